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

/// True when this build of eigrad has the CUDA backend (the Thrust device storage).
bool cuda_backend_built();

/// Throws DeviceError unless \p device is usable in this build. Used by factories and
/// `to(Device)`; the message says "CUDA backend not built" for CUDA devices here.
void check_device_available(const Device& device);

}  // namespace eigrad
