#pragma once
/// \file tensor/options.hpp
/// \brief TensorOptions (device, requires_grad), dtype names and dtype tags.
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

/// A dtype as a value, for `t.to(eigrad::kFloat64)` as LibTorch spells it. The element type
/// is a template parameter in eigrad, so each dtype is its own tag type and `to(tag)` returns
/// a tensor of that element type.
template <class T>
struct Dtype {
  /// The element type.
  using type = T;
};
/// float32, as `torch::kFloat32`.
inline constexpr Dtype<float> kFloat32{};
/// float32, as `torch::kFloat`.
inline constexpr Dtype<float> kFloat{};
/// float64, as `torch::kFloat64`.
inline constexpr Dtype<double> kFloat64{};
/// float64, as `torch::kDouble`.
inline constexpr Dtype<double> kDouble{};

/// Options of a new tensor: its device and whether it requires grad. The setters return a
/// modified copy and leave the options they are called on unchanged, as LibTorch's do:
/// `TensorOptions().requires_grad(true)`; `auto leaf = base.requires_grad(true);` keeps `base`.
class TensorOptions {
 public:
  TensorOptions() = default;
  /// Options on \p device.
  TensorOptions(Device device) : device_(device) {}  // NOLINT: implicit as in LibTorch
  /// A copy on device \p d.
  TensorOptions device(Device d) const {
    TensorOptions copy = *this;
    copy.device_ = d;
    return copy;
  }
  /// A copy whose tensors are leaves that require grad when \p r.
  TensorOptions requires_grad(bool r) const {
    TensorOptions copy = *this;
    copy.requires_grad_ = r;
    return copy;
  }
  /// The device.
  const Device& device() const { return device_; }
  /// Whether the tensor requires grad.
  bool requires_grad() const { return requires_grad_; }

 private:
  Device device_;
  bool requires_grad_ = false;
};

/// Options whose tensors require grad (or not), as `torch::requires_grad()`.
inline TensorOptions requires_grad(bool r = true) { return TensorOptions().requires_grad(r); }

}  // namespace eigrad
