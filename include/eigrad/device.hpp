#pragma once
/// \file device.hpp
/// \brief Where a tensor's storage lives.
#include <iosfwd>
#include <string>

namespace eigrad {

/// The kinds of backend a tensor can live on.
enum class DeviceType { CPU, CUDA };

/// A device: a backend type and, for CUDA, an ordinal. Parse one from "cpu", "cuda" or
/// "cuda:K" with Device::parse.
struct Device {
  DeviceType type = DeviceType::CPU;  ///< backend
  int index = 0;                      ///< device ordinal (CUDA only)

  /// The CPU device.
  static Device cpu() { return {DeviceType::CPU, 0}; }
  /// CUDA device number \p index.
  static Device cuda(int index = 0) { return {DeviceType::CUDA, index}; }
  /// Parses "cpu", "cuda" or "cuda:K"; throws DeviceError naming the text otherwise.
  static Device parse(const std::string& text);
  /// "cpu" or "cuda:K".
  std::string str() const;
  /// True for the CPU.
  bool is_cpu() const { return type == DeviceType::CPU; }
  /// True for a CUDA device.
  bool is_cuda() const { return type == DeviceType::CUDA; }

  /// Equal type and index.
  friend bool operator==(const Device& a, const Device& b) {
    return a.type == b.type && (a.type == DeviceType::CPU || a.index == b.index);
  }
  /// Not equal.
  friend bool operator!=(const Device& a, const Device& b) { return !(a == b); }
};

/// Prints Device::str().
std::ostream& operator<<(std::ostream& os, const Device& device);

/// True when tensors of this build of eigrad may live on CUDA devices. It stays false until
/// the tensor operations call the device kernel table, even on a build whose device backend
/// (device_backend_name()) provides storage and kernels.
bool cuda_backend_built();

/// Throws DeviceError unless tensors may live on \p device in this build. Used by factories
/// and `to(Device)`; the message says "CUDA backend not built" for CUDA devices here.
void check_device_available(const Device& device);

/// The device backend compiled into this build: "CUDA" (nvcc, the GPU), "OMP" or "CPP"
/// (the same sources through Thrust's CPU systems, "cuda" memory being separately allocated
/// host memory), or "NONE".
const char* device_backend_name();

/// Throws DeviceError unless the device backend has \p device: always true of the CPU; for
/// "cuda:K", a backend must be built and K below cuda::device_count() (the message says how
/// many devices there are).
void check_device_exists(const Device& device);

/// The CUDA devices of the device backend.
namespace cuda {
/// Number of devices: the CUDA runtime's count on a CUDA build (0 without a driver or GPU),
/// 1 on the OMP and CPP builds (the CPU system stands in for one device), 0 without a backend.
int device_count();
/// True when device_count() > 0.
bool is_available();
}  // namespace cuda

}  // namespace eigrad
