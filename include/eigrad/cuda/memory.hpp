#pragma once
/// \file cuda/memory.hpp
/// \brief The device system's memory: the allocator behind Storage on "cuda", copies between
///        host and device, and the count of kernel launches.
///
/// Compiled into eigrad only when a device backend is built (EIGRAD_DEVICE_BACKEND = CUDA,
/// OMP or CPP; see eigrad::device_backend_name()). Pointers are raw device pointers: under
/// CUDA they are not readable on the host; under OMP and CPP they are separately allocated
/// host memory of Thrust's CPU device system. No Thrust type appears here, so g++-compiled
/// code can call every function.
#include <cstddef>
#include <cstdint>

namespace eigrad::cuda {

/// \p bytes of memory on device \p device, through Thrust's allocator and a caching pool
/// (a block freed by deallocate() serves a later request of the same size). Throws
/// DeviceError naming the size when the device cannot provide it.
void* allocate(std::size_t bytes, int device);
/// Returns \p pointer, a block of \p bytes from allocate() on \p device, to the pool.
void deallocate(void* pointer, std::size_t bytes, int device);
/// Frees every block the device pool holds for reuse.
void release_cached_memory();

/// Traffic of the device memory pool.
struct PoolStats {
  std::uint64_t hits = 0;        ///< allocations served from the pool
  std::uint64_t misses = 0;      ///< allocations that reached Thrust's allocator
  std::size_t cached_bytes = 0;  ///< bytes held for reuse
};
/// The device pool's counters.
PoolStats pool_stats();

/// Copies \p n elements from host memory \p host to device memory \p device_dst.
template <class T>
void copy_from_host(T* device_dst, const T* host, std::int64_t n);
/// Copies \p n elements from device memory \p device_src to host memory \p host.
template <class T>
void copy_to_host(T* host, const T* device_src, std::int64_t n);

/// Kernels launched by the device backend since the program started: each kernel-table call
/// and each interpreter pass adds the number of Thrust algorithms it ran (a reduction's
/// result copy and host<->device copies are not launches).
std::uint64_t launch_count();

/// Called with the kernel's name at every launch; null for none.
using LaunchHook = void (*)(const char* kernel);
/// Installs \p hook (null removes it) and returns the previous one.
LaunchHook set_launch_hook(LaunchHook hook);

/// Counts the launches from its construction on: `LaunchCounter c; run(); c.count()`.
class LaunchCounter {
 public:
  /// Starts counting now.
  LaunchCounter() : start_(launch_count()) {}
  /// Launches since construction.
  std::uint64_t count() const { return launch_count() - start_; }

 private:
  std::uint64_t start_;
};

}  // namespace eigrad::cuda
