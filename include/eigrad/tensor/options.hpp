#pragma once
/// \file tensor/options.hpp
/// \brief TensorOptions (device, requires_grad) and dtype names.
#include <type_traits>

#include "eigrad/device.hpp"

namespace eigrad {

/// "float32" or "float64".
template <class T>
constexpr const char* dtype_name() {
  static_assert(std::is_same_v<T, float> || std::is_same_v<T, double>,
                "eigrad tensors hold float or double");
  return std::is_same_v<T, float> ? "float32" : "float64";
}

/// Options of a new tensor: its device and whether it requires grad. Chained setters, as in
/// LibTorch: `TensorOptions().requires_grad(true)`.
class TensorOptions {
 public:
  TensorOptions() = default;
  /// Options on \p device.
  TensorOptions(Device device) : device_(device) {}  // NOLINT: implicit as in LibTorch
  /// Sets the device.
  TensorOptions& device(Device d) { device_ = d; return *this; }
  /// Sets whether the tensor is a leaf that requires grad.
  TensorOptions& requires_grad(bool r = true) { requires_grad_ = r; return *this; }
  /// The device.
  const Device& device() const { return device_; }
  /// Whether the tensor requires grad.
  bool requires_grad() const { return requires_grad_; }

 private:
  Device device_;
  bool requires_grad_ = false;
};

}  // namespace eigrad
