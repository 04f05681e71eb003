#include "eigrad/storage.hpp"

#include <algorithm>
#include <cstdlib>
#include <limits>
#include <string>

#include "detail/block_cache.hpp"
#include "eigrad/cuda/caching_pool.hpp"
#include "eigrad/errors.hpp"
#if EIGRAD_DEVICE_BACKEND_BUILT
#include "eigrad/cuda/memory.hpp"
#endif

namespace eigrad {

namespace {
/// Buffers this small live inside the storage's control block: a one-element tensor (a 0-d
/// weight, its gradient, a loss) costs one allocation, not two.
constexpr std::int64_t kInlineElements = 4;
/// CPU buffers from this size on come from the host pool: fresh pages of a big buffer cost a
/// page fault each (glibc maps such buffers anew for every malloc), a reused buffer none.
constexpr std::size_t kPooledBytes = std::size_t{1} << 20;
/// The most the host pool keeps for reuse.
constexpr std::size_t kHostPoolCapacity = std::size_t{4} << 30;
constexpr std::size_t kHostAlignment = 64;

struct AlignedHostMemory {
  static void* allocate(std::size_t bytes) {
    const std::size_t lines = (std::max<std::size_t>(bytes, 1) + kHostAlignment - 1) / kHostAlignment;
    return std::aligned_alloc(kHostAlignment, lines * kHostAlignment);
  }
  static void deallocate(void* p, std::size_t) { std::free(p); }
};

detail::CachingPool<AlignedHostMemory>& host_pool() {
  // Never destroyed: storages in static objects may return their buffers after main.
  static auto* pool = new detail::CachingPool<AlignedHostMemory>(AlignedHostMemory{}, kHostPoolCapacity);
  return *pool;
}

/// The control block of an allocated buffer: its version counter, the memory and how to give
/// it back, and room for a small CPU buffer.
template <class T>
struct Block {
  std::uint64_t version = 0;
  void* memory = nullptr;  // from the host pool, malloc or the device allocator
  std::size_t bytes = 0;
  Device device;
  T inline_elements[kInlineElements];

  Block() = default;
  Block(const Block&) = delete;
  Block& operator=(const Block&) = delete;
  ~Block() {
    if (memory == nullptr) return;
    if (device.is_cuda()) {
#if EIGRAD_DEVICE_BACKEND_BUILT
      cuda::deallocate(memory, bytes, device.index);
#endif
    } else if (bytes >= kPooledBytes) {
      host_pool().deallocate(memory, bytes);
    } else {
      std::free(memory);
    }
  }
};

/// The control block of an Eigen array taken over.
template <class T>
struct ArrayBlock {
  Eigen::Array<T, Eigen::Dynamic, 1> array;
  std::uint64_t version = 0;
};

template <class T>
const char* element_name() {
  return sizeof(T) == sizeof(float) ? "float32" : "float64";
}

template <class T>
void* allocate_memory(std::int64_t size, std::size_t bytes, const Device& device) {
  void* memory = nullptr;
  if (device.is_cuda()) {
#if EIGRAD_DEVICE_BACKEND_BUILT
    memory = cuda::allocate(bytes, device.index);
#endif
  } else {
    // Cache-line aligned, as PyTorch's CPU buffers: the vectorised loops then never split a
    // load or a store over two lines.
    memory = bytes >= kPooledBytes ? host_pool().allocate(bytes) : AlignedHostMemory::allocate(bytes);
  }
  EIGRAD_CHECK(memory != nullptr, DeviceError, "Storage: cannot allocate ", size, " elements of ",
               element_name<T>(), " (", bytes, " bytes) on ", device.str(), ": out of memory");
  return memory;
}
}  // namespace

template <class T>
Storage<T>::Storage(std::int64_t size, Device device) {
  check_device_available(device);
  *this = allocate(size, device);
}

template <class T>
Storage<T> Storage<T>::allocate(std::int64_t size, Device device) {
  EIGRAD_CHECK(size >= 0, ValueError, "Storage: negative size ", size);
  constexpr auto max_elements = static_cast<std::int64_t>(std::numeric_limits<std::ptrdiff_t>::max() / sizeof(T));
  EIGRAD_CHECK(size <= max_elements, ValueError, "Storage: ", size, " elements of ", element_name<T>(),
               " exceed the address space (at most ", max_elements, ")");
  check_device_exists(device);
  auto block = std::allocate_shared<Block<T>>(detail::CachingAllocator<Block<T>>());
  block->device = device;
  T* data = nullptr;  // an empty buffer stays null, as Eigen's
  if (size > 0 && size <= kInlineElements && device.is_cpu()) {
    data = block->inline_elements;
  } else if (size > 0) {
    block->bytes = static_cast<std::size_t>(size) * sizeof(T);
    block->memory = allocate_memory<T>(size, block->bytes, device);
    data = static_cast<T*>(block->memory);
  }
  Storage s;
  s.data_ = std::shared_ptr<T>(block, data);
  s.version_ = std::shared_ptr<std::uint64_t>(block, &block->version);
  s.size_ = size;
  s.device_ = device;
  return s;
}

template <class T>
Storage<T>::Storage(Array&& array) : size_(array.size()) {
  auto block = std::make_shared<ArrayBlock<T>>();
  block->array = std::move(array);  // takes the buffer, no copy
  data_ = std::shared_ptr<T>(block, block->array.data());
  version_ = std::shared_ptr<std::uint64_t>(block, &block->version);
}

template <class T>
Storage<T> Storage<T>::borrow(T* data, std::int64_t size) {
  Storage s;
  s.data_ = std::shared_ptr<T>(data, [](T*) {});
  s.version_ = std::make_shared<std::uint64_t>(0);
  s.size_ = size;
  return s;
}

HostPoolStats host_pool_stats() {
  const auto s = host_pool().stats();
  return {s.hits, s.misses, s.cached_bytes};
}

std::size_t host_pool_min_bytes() { return kPooledBytes; }

template class Storage<float>;
template class Storage<double>;

}  // namespace eigrad
