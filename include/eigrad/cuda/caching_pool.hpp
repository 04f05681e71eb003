#pragma once
/// \file cuda/caching_pool.hpp
/// \brief The caching pool behind both storage allocators (host memory for big CPU buffers,
///        the device system's memory on "cuda").
#include <cstddef>
#include <cstdint>
#include <mutex>

namespace eigrad::detail {

/// Keeps freed blocks for reuse by a later request of the same size: a training step frees
/// and requests the same sizes every step, so after the first step no request reaches the
/// underlying allocator (no cudaMalloc, no fresh pages to fault in on the host). Blocks are
/// matched by exact byte size; the pool holds at most kSlots blocks and \p capacity bytes,
/// and releases the oldest block when a new one does not fit. Its bookkeeping is a fixed
/// array: it never allocates for itself. Thread-safe.
template <class Underlying>
class CachingPool {
 public:
  static constexpr int kSlots = 64;  ///< blocks kept at most

  /// Counters of the pool's traffic.
  struct Stats {
    std::uint64_t hits = 0;        ///< requests served from the pool
    std::uint64_t misses = 0;      ///< requests passed to the underlying allocator
    std::size_t cached_bytes = 0;  ///< bytes held for reuse now
  };

  /// A pool over \p underlying keeping at most \p capacity bytes.
  explicit CachingPool(Underlying underlying, std::size_t capacity) : underlying_(underlying), capacity_(capacity) {}
  ~CachingPool() { release_all(); }
  CachingPool(const CachingPool&) = delete;
  CachingPool& operator=(const CachingPool&) = delete;

  /// \p bytes of memory: a cached block of that size, else a new one (null when the
  /// underlying allocator fails even after the pool released what it held).
  void* allocate(std::size_t bytes) {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      for (int i = count_ - 1; i >= 0; --i) {
        if (slots_[i].bytes != bytes) continue;
        void* p = slots_[i].pointer;
        remove(i);
        ++stats_.hits;
        return p;
      }
      ++stats_.misses;
    }
    if (void* p = underlying_.allocate(bytes)) return p;
    release_all();  // memory held for other sizes may be what is missing
    return underlying_.allocate(bytes);
  }

  /// Returns \p pointer (a block of \p bytes from allocate()) to the pool.
  void deallocate(void* pointer, std::size_t bytes) {
    if (pointer == nullptr) return;
    if (bytes > capacity_) return underlying_.deallocate(pointer, bytes);
    std::lock_guard<std::mutex> lock(mutex_);
    while (count_ > 0 && (count_ == kSlots || stats_.cached_bytes + bytes > capacity_)) {
      underlying_.deallocate(slots_[0].pointer, slots_[0].bytes);
      remove(0);
    }
    slots_[count_++] = {pointer, bytes};
    stats_.cached_bytes += bytes;
  }

  /// Gives every cached block back to the underlying allocator.
  void release_all() {
    std::lock_guard<std::mutex> lock(mutex_);
    while (count_ > 0) {
      underlying_.deallocate(slots_[count_ - 1].pointer, slots_[count_ - 1].bytes);
      remove(count_ - 1);
    }
  }

  /// The counters so far.
  Stats stats() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return stats_;
  }

 private:
  struct Slot {
    void* pointer = nullptr;
    std::size_t bytes = 0;
  };

  void remove(int i) {  // keeps the slots oldest first
    stats_.cached_bytes -= slots_[i].bytes;
    for (int j = i; j + 1 < count_; ++j) slots_[j] = slots_[j + 1];
    --count_;
  }

  Underlying underlying_;
  std::size_t capacity_;
  mutable std::mutex mutex_;
  Slot slots_[kSlots];
  int count_ = 0;
  Stats stats_;
};

}  // namespace eigrad::detail
