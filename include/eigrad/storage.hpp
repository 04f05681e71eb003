#pragma once
/// \file storage.hpp
/// \brief A tensor's flat, contiguous buffer, shared by handle between views.
#include <Eigen/Core>
#include <cstdint>
#include <memory>

#include "eigrad/device.hpp"

namespace eigrad {

/// A contiguous buffer of \p T on a device, shared by reference between every tensor that
/// views it: a pointer, the deleter that gives the memory back to the device's allocator, and
/// the device. On the CPU the memory is the storage's own (a buffer of at most four elements
/// inside its control block, a big one from a caching pool, see host_pool_stats()), an
/// `Eigen::Array<T, Dynamic, 1>` taken over, or a borrowed pointer into the caller's memory
/// (zero-copy interop, see from_blob()). On "cuda" it comes from the device backend's
/// allocator (cuda/memory.hpp) and data() is a device pointer.
template <class T>
class Storage {
 public:
  /// The Eigen type of an owned CPU buffer.
  using Array = Eigen::Array<T, Eigen::Dynamic, 1>;

  /// An empty storage (no buffer).
  Storage() = default;
  /// A new uninitialised buffer of \p size elements on \p device, where tensors may live
  /// (check_device_available()); otherwise as allocate().
  explicit Storage(std::int64_t size, Device device = Device::cpu());
  /// A new uninitialised buffer of \p size elements from \p device's allocator, on any
  /// device the device backend has (check_device_exists()). Throws ValueError for a negative
  /// size or one beyond the address space, DeviceError naming the size when the device
  /// cannot provide the memory.
  static Storage allocate(std::int64_t size, Device device = Device::cpu());
  /// Takes ownership of \p array without copying its elements.
  explicit Storage(Array&& array);
  /// Borrows \p size elements at \p data: the caller keeps them alive while any tensor uses them.
  static Storage borrow(T* data, std::int64_t size);

  /// First element.
  T* data() const { return data_.get(); }
  /// Number of elements.
  std::int64_t size() const { return size_; }
  /// Where the buffer lives.
  const Device& device() const { return device_; }
  /// Whether a buffer is attached.
  explicit operator bool() const { return static_cast<bool>(data_); }
  /// True when both handles refer to the same buffer.
  bool same_buffer(const Storage& other) const { return data_ == other.data_; }
  /// True when this handle is the only one of an owned buffer (its data and version counter
  /// are the block's two references): the buffer may then be handed over instead of copied.
  bool sole_owner() const { return data_ && data_.use_count() == 2; }
  /// How many times the elements were changed in place: one counter per buffer, so every
  /// view of it sees the same count (autograd checks it on saved tensors).
  std::uint64_t version() const { return version_ ? *version_ : 0; }
  /// Records one in-place change of the elements.
  void bump_version() const {
    if (version_) ++*version_;
  }

 private:
  std::shared_ptr<T> data_;
  std::shared_ptr<std::uint64_t> version_;  // lives in the same allocation as an owned buffer
  std::int64_t size_ = 0;
  Device device_;
};

/// Traffic of the host pool that serves CPU buffers of at least host_pool_min_bytes().
struct HostPoolStats {
  std::uint64_t hits = 0;        ///< buffers served from the pool
  std::uint64_t misses = 0;      ///< buffers newly allocated
  std::size_t cached_bytes = 0;  ///< bytes held for reuse
};
/// The host pool's counters.
HostPoolStats host_pool_stats();
/// Smallest CPU buffer, in bytes, that the host pool serves.
std::size_t host_pool_min_bytes();

extern template class Storage<float>;
extern template class Storage<double>;

}  // namespace eigrad
