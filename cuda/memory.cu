// The device system's memory (Thrust's allocator behind a caching pool), host<->device copies,
// the device count and the launch counter.
#include <thrust/copy.h>
#include <thrust/device_free.h>
#include <thrust/device_malloc.h>
#include <thrust/device_ptr.h>

#include <atomic>
#include <memory>
#include <mutex>

#include "backend.hpp"
#include "eigrad/cuda/caching_pool.hpp"
#include "eigrad/cuda/memory.hpp"
#include "eigrad/device.hpp"
#include "eigrad/errors.hpp"
#if EIGRAD_DEVICE_CUDA
#include <cuda_runtime_api.h>
#endif

namespace eigrad {

namespace cuda {
int device_count() {
#if EIGRAD_DEVICE_CUDA
  int count = 0;
  if (cudaGetDeviceCount(&count) != cudaSuccess) {
    (void)cudaGetLastError();  // no driver or no GPU: clear the sticky error
    return 0;
  }
  return count;
#else
  return 1;  // Thrust's CPU system stands in for one device
#endif
}
}  // namespace cuda

namespace cuda {
namespace {

constexpr int kMaxDevices = 64;
constexpr std::size_t kDevicePoolCapacity = std::size_t{8} << 30;

/// Makes \p device current for the scope (CUDA only; the CPU systems have one device).
class DeviceScope {
 public:
  explicit DeviceScope(int device) {
#if EIGRAD_DEVICE_CUDA
    if (cudaGetDevice(&previous_) == cudaSuccess && previous_ != device) cudaSetDevice(device);
#endif
    (void)device;
  }
  ~DeviceScope() {
#if EIGRAD_DEVICE_CUDA
    if (previous_ >= 0) cudaSetDevice(previous_);
#endif
  }
  DeviceScope(const DeviceScope&) = delete;
  DeviceScope& operator=(const DeviceScope&) = delete;

 private:
  int previous_ = -1;
};

struct ThrustMemory {
  static void* allocate(std::size_t bytes) {
    try {
      return thrust::device_malloc<char>(bytes).get();
    } catch (...) {  // thrust::system::detail::bad_alloc or std::bad_alloc: the pool retries
      return nullptr;
    }
  }
  static void deallocate(void* p, std::size_t) {
    thrust::device_free(thrust::device_pointer_cast(static_cast<char*>(p)));
  }
};

using DevicePool = eigrad::detail::CachingPool<ThrustMemory>;

// Never destroyed: storages in static objects may return their buffers after main.
DevicePool& pool(int device) {
  static auto* pools = new std::unique_ptr<DevicePool>[kMaxDevices];
  static std::mutex mutex;
  std::lock_guard<std::mutex> lock(mutex);
  if (!pools[device]) pools[device] = std::make_unique<DevicePool>(ThrustMemory{}, kDevicePoolCapacity);
  return *pools[device];
}

std::atomic<std::uint64_t> launches{0};
std::atomic<LaunchHook> launch_hook{nullptr};

}  // namespace

void* allocate(std::size_t bytes, int device) {
  check_device_exists(Device::cuda(device));
  EIGRAD_CHECK(device < kMaxDevices, DeviceError, "device cuda:", device, ": at most ", kMaxDevices,
               " devices are supported");
  const DeviceScope scope(device);
  void* p = pool(device).allocate(bytes);
  EIGRAD_CHECK(p != nullptr, DeviceError, "cannot allocate ", bytes, " bytes on cuda:", device,
               " (device backend ", device_backend_name(), "): out of memory");
  return p;
}

void deallocate(void* pointer, std::size_t bytes, int device) {
  const DeviceScope scope(device);
  pool(device).deallocate(pointer, bytes);
}

void release_cached_memory() {
  for (int d = 0; d < device_count() && d < kMaxDevices; ++d) {
    const DeviceScope scope(d);
    pool(d).release_all();
  }
}

PoolStats pool_stats() {
  PoolStats total;
  for (int d = 0; d < device_count() && d < kMaxDevices; ++d) {
    const auto s = pool(d).stats();
    total.hits += s.hits;
    total.misses += s.misses;
    total.cached_bytes += s.cached_bytes;
  }
  return total;
}

template <class T>
void copy_from_host(T* device_dst, const T* host, std::int64_t n) {
  if (n > 0) thrust::copy(host, host + n, thrust::device_pointer_cast(device_dst));
}

template <class T>
void copy_to_host(T* host, const T* device_src, std::int64_t n) {
  if (n > 0) thrust::copy(thrust::device_pointer_cast(device_src), thrust::device_pointer_cast(device_src) + n, host);
}

std::uint64_t launch_count() { return launches.load(std::memory_order_relaxed); }

LaunchHook set_launch_hook(LaunchHook hook) { return launch_hook.exchange(hook); }

namespace detail {
void record_launch(const char* kernel) {
  launches.fetch_add(1, std::memory_order_relaxed);
  if (LaunchHook hook = launch_hook.load()) hook(kernel);
}
}  // namespace detail

template void copy_from_host<float>(float*, const float*, std::int64_t);
template void copy_from_host<double>(double*, const double*, std::int64_t);
template void copy_to_host<float>(float*, const float*, std::int64_t);
template void copy_to_host<double>(double*, const double*, std::int64_t);

}  // namespace cuda
}  // namespace eigrad
