#pragma once
// Internal: the small objects' counterpart of the host buffer pool. Every tensor has a
// TensorImpl and a storage block (a few hundred bytes together); a training step makes and
// frees the same ones again and again (its results and gradients). Each thread keeps the blocks
// it frees, per size, and hands them out for the next ones, so a steady training step does not
// call the heap for them.
#include <cstddef>
#include <new>

#if defined(__SANITIZE_ADDRESS__)
#define EIGRAD_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define EIGRAD_ASAN 1
#endif
#endif
#ifdef EIGRAD_ASAN
#include <sanitizer/asan_interface.h>
#endif

namespace eigrad::detail {

/// Freed blocks of \p Bytes, kept per thread (at most kKept): a block freed on another thread
/// than the one that made it joins the freeing thread's cache. Under AddressSanitizer a kept
/// block is poisoned, so a use after free is still reported.
template <std::size_t Bytes>
class BlockCache {
 public:
  /// A block of Bytes: a kept one, or a new one from the heap.
  static void* take() {
    Kept& kept = kept_;
    if (kept.count > 0) {
      void* block = kept.blocks[--kept.count];
#ifdef EIGRAD_ASAN
      ASAN_UNPOISON_MEMORY_REGION(block, Bytes);
#endif
      return block;
    }
    return ::operator new(Bytes);
  }
  /// Keeps \p block for take(), or frees it when the cache is full or its thread is ending.
  static void give(void* block) noexcept {
    Kept& kept = kept_;
    if (kept.closed || kept.count == kKept) {
      ::operator delete(block);
      return;
    }
    (void)&closer_;  // the first block kept on a thread registers the thread's cleanup
#ifdef EIGRAD_ASAN
    ASAN_POISON_MEMORY_REGION(block, Bytes);
#endif
    kept.blocks[kept.count++] = block;
  }

 private:
  static constexpr int kKept = 64;
  // Trivially destructible, so blocks freed after the thread's cleanup (by static objects at
  // exit) still find it, closed, and go back to the heap.
  struct Kept {
    void* blocks[kKept];
    int count;
    bool closed;
  };
  struct Closer {
    Closer() noexcept {}  // user-provided: a real initialisation, which registers ~Closer
    ~Closer() {
      Kept& kept = kept_;
      kept.closed = true;
      while (kept.count > 0) {
        void* block = kept.blocks[--kept.count];
#ifdef EIGRAD_ASAN
        ASAN_UNPOISON_MEMORY_REGION(block, Bytes);
#endif
        ::operator delete(block);
      }
    }
  };
  static thread_local Kept kept_;
  static thread_local Closer closer_;
};

template <std::size_t Bytes>
thread_local typename BlockCache<Bytes>::Kept BlockCache<Bytes>::kept_{};
template <std::size_t Bytes>
thread_local typename BlockCache<Bytes>::Closer BlockCache<Bytes>::closer_;

/// An allocator for std::allocate_shared whose single objects come from BlockCache.
template <class U>
struct CachingAllocator {
  static_assert(alignof(U) <= __STDCPP_DEFAULT_NEW_ALIGNMENT__, "BlockCache gives operator new's alignment");
  using value_type = U;
  CachingAllocator() = default;
  template <class V>
  CachingAllocator(const CachingAllocator<V>&) noexcept {}  // NOLINT: rebinding is implicit
  U* allocate(std::size_t n) {
    return static_cast<U*>(n == 1 ? BlockCache<sizeof(U)>::take() : ::operator new(n * sizeof(U)));
  }
  void deallocate(U* p, std::size_t n) noexcept {
    if (n == 1) BlockCache<sizeof(U)>::give(p);
    else ::operator delete(p);
  }
  friend bool operator==(const CachingAllocator&, const CachingAllocator&) { return true; }
  friend bool operator!=(const CachingAllocator&, const CachingAllocator&) { return false; }
};

}  // namespace eigrad::detail
