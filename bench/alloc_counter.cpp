#include "alloc_counter.hpp"

#include <atomic>
#include <cerrno>
#include <cstddef>
#include <new>

// glibc's own allocator under its exported internal names: the replacements below count a
// call and forward it, so every block still comes from (and returns to) the same allocator.
extern "C" {
void* __libc_malloc(std::size_t size);
void* __libc_calloc(std::size_t count, std::size_t size);
void* __libc_realloc(void* ptr, std::size_t size);
void* __libc_memalign(std::size_t alignment, std::size_t size);
void __libc_free(void* ptr);
}

namespace {

std::atomic<std::uint64_t> heap_calls{0};
std::atomic<std::uint64_t> new_calls{0};

void count_heap() { heap_calls.fetch_add(1, std::memory_order_relaxed); }

bool valid_alignment(std::size_t alignment) {
  return alignment >= sizeof(void*) && (alignment & (alignment - 1)) == 0;
}

void* counted_new(std::size_t size, std::size_t alignment = 0) {
  new_calls.fetch_add(1, std::memory_order_relaxed);
  count_heap();
  if (size == 0) size = 1;
  void* p = alignment > alignof(std::max_align_t) ? __libc_memalign(alignment, size) : __libc_malloc(size);
  if (p == nullptr) throw std::bad_alloc();
  return p;
}

}  // namespace

namespace eigrad_bench {

AllocCount alloc_count() {
  return AllocCount{heap_calls.load(std::memory_order_relaxed), new_calls.load(std::memory_order_relaxed)};
}

}  // namespace eigrad_bench

extern "C" {

void* malloc(std::size_t size) {
  count_heap();
  return __libc_malloc(size);
}

void* calloc(std::size_t count, std::size_t size) {
  count_heap();
  return __libc_calloc(count, size);
}

void* realloc(void* ptr, std::size_t size) {
  count_heap();
  return __libc_realloc(ptr, size);
}

void free(void* ptr) { __libc_free(ptr); }

int posix_memalign(void** out, std::size_t alignment, std::size_t size) {
  if (!valid_alignment(alignment)) return EINVAL;
  count_heap();
  void* p = __libc_memalign(alignment, size);
  if (p == nullptr) return ENOMEM;
  *out = p;
  return 0;
}

void* aligned_alloc(std::size_t alignment, std::size_t size) {
  count_heap();
  return __libc_memalign(alignment, size);
}

void* memalign(std::size_t alignment, std::size_t size) {
  count_heap();
  return __libc_memalign(alignment, size);
}

}  // extern "C"

void* operator new(std::size_t size) { return counted_new(size); }
void* operator new[](std::size_t size) { return counted_new(size); }
void* operator new(std::size_t size, std::align_val_t al) { return counted_new(size, static_cast<std::size_t>(al)); }
void* operator new[](std::size_t size, std::align_val_t al) { return counted_new(size, static_cast<std::size_t>(al)); }
void* operator new(std::size_t size, const std::nothrow_t&) noexcept {
  try {
    return counted_new(size);
  } catch (const std::bad_alloc&) {
    return nullptr;
  }
}
void* operator new[](std::size_t size, const std::nothrow_t& tag) noexcept { return operator new(size, tag); }
void* operator new(std::size_t size, std::align_val_t al, const std::nothrow_t&) noexcept {
  try {
    return counted_new(size, static_cast<std::size_t>(al));
  } catch (const std::bad_alloc&) {
    return nullptr;
  }
}
void* operator new[](std::size_t size, std::align_val_t al, const std::nothrow_t& tag) noexcept {
  return operator new(size, al, tag);
}

void operator delete(void* p) noexcept { __libc_free(p); }
void operator delete[](void* p) noexcept { __libc_free(p); }
void operator delete(void* p, std::size_t) noexcept { __libc_free(p); }
void operator delete[](void* p, std::size_t) noexcept { __libc_free(p); }
void operator delete(void* p, std::align_val_t) noexcept { __libc_free(p); }
void operator delete[](void* p, std::align_val_t) noexcept { __libc_free(p); }
void operator delete(void* p, std::size_t, std::align_val_t) noexcept { __libc_free(p); }
void operator delete[](void* p, std::size_t, std::align_val_t) noexcept { __libc_free(p); }
void operator delete(void* p, const std::nothrow_t&) noexcept { __libc_free(p); }
void operator delete[](void* p, const std::nothrow_t&) noexcept { __libc_free(p); }
void operator delete(void* p, std::align_val_t, const std::nothrow_t&) noexcept { __libc_free(p); }
void operator delete[](void* p, std::align_val_t, const std::nothrow_t&) noexcept { __libc_free(p); }
