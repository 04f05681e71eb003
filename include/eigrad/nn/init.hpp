#pragma once
/// \file init.hpp
/// \brief Weight initialisation in place, as `torch.nn.init`, drawing from
///        eigrad::default_generator() (seed it with eigrad::manual_seed()).
///
/// Each function fills its tensor in place without recording autograd (so it works on
/// parameters that require grad) and returns the same handle.
#include <cmath>
#include <cstdint>
#include <string>
#include <utility>

#include "eigrad/autograd/grad_mode.hpp"
#include "eigrad/errors.hpp"
#include "eigrad/tensor.hpp"

namespace eigrad::nn::init {

/// The nonlinearity a layer feeds, for calculate_gain().
enum class Nonlinearity {
  Linear,     ///< identity (gain 1)
  Sigmoid,    ///< logistic sigmoid (gain 1)
  Tanh,       ///< tanh (gain 5/3)
  ReLU,       ///< max(x, 0) (gain √2)
  LeakyReLU,  ///< leaky ReLU with negative slope `param` (gain √(2 / (1 + param²)))
  SELU,       ///< SELU (gain 3/4)
};

/// Whether kaiming_* preserve the variance of the forward pass (fan in) or the backward pass.
enum class FanMode {
  FanIn,   ///< scale by the number of inputs
  FanOut,  ///< scale by the number of outputs
};

/// PyTorch's recommended gain for \p nonlinearity (\p param: LeakyReLU's negative slope).
inline double calculate_gain(Nonlinearity nonlinearity, double param = 0.01) {
  switch (nonlinearity) {
    case Nonlinearity::Linear:
    case Nonlinearity::Sigmoid: return 1.0;
    case Nonlinearity::Tanh: return 5.0 / 3.0;
    case Nonlinearity::ReLU: return std::sqrt(2.0);
    case Nonlinearity::LeakyReLU: return std::sqrt(2.0 / (1.0 + param * param));
    case Nonlinearity::SELU: return 3.0 / 4.0;
  }
  return 1.0;
}

/// (fan_in, fan_out) of a weight of \p shape: [out, in, k...] gives (in·∏k, out·∏k).
/// ValueError for fewer than 2 dimensions, as PyTorch.
inline std::pair<std::int64_t, std::int64_t> calculate_fan_in_and_fan_out(const Shape& shape) {
  EIGRAD_CHECK(shape.size() >= 2, ValueError, "fan in and fan out cannot be computed for a tensor of shape ",
               eigrad::to_string(shape), " with fewer than 2 dimensions");
  std::int64_t receptive = 1;
  for (std::size_t i = 2; i < shape.size(); ++i) receptive *= shape[i];
  return {shape[1] * receptive, shape[0] * receptive};
}

/// Fills with uniform draws in [a, b).
template <class T>
Tensor<T> uniform_(Tensor<T> tensor, double a = 0.0, double b = 1.0) {
  NoGradGuard no_grad;
  tensor.uniform_(static_cast<T>(a), static_cast<T>(b));
  return tensor;
}

/// Fills with normal draws of mean \p mean and standard deviation \p std.
template <class T>
Tensor<T> normal_(Tensor<T> tensor, double mean = 0.0, double std = 1.0) {
  NoGradGuard no_grad;
  tensor.normal_(static_cast<T>(mean), static_cast<T>(std));
  return tensor;
}

/// Fills with \p value.
template <class T>
Tensor<T> constant_(Tensor<T> tensor, double value) {
  NoGradGuard no_grad;
  tensor.fill_(static_cast<T>(value));
  return tensor;
}

/// Fills with zeros.
template <class T>
Tensor<T> zeros_(Tensor<T> tensor) { return constant_(std::move(tensor), 0.0); }

/// Fills with ones.
template <class T>
Tensor<T> ones_(Tensor<T> tensor) { return constant_(std::move(tensor), 1.0); }

/// Glorot uniform: U(-b, b) with b = gain·√(6 / (fan_in + fan_out)).
template <class T>
Tensor<T> xavier_uniform_(Tensor<T> tensor, double gain = 1.0) {
  const auto [fan_in, fan_out] = calculate_fan_in_and_fan_out(tensor.shape());
  const double bound = gain * std::sqrt(6.0 / static_cast<double>(fan_in + fan_out));
  return uniform_(std::move(tensor), -bound, bound);
}

/// Glorot normal: N(0, s²) with s = gain·√(2 / (fan_in + fan_out)).
template <class T>
Tensor<T> xavier_normal_(Tensor<T> tensor, double gain = 1.0) {
  const auto [fan_in, fan_out] = calculate_fan_in_and_fan_out(tensor.shape());
  return normal_(std::move(tensor), 0.0, gain * std::sqrt(2.0 / static_cast<double>(fan_in + fan_out)));
}

/// The fan kaiming_* scale by.
inline std::int64_t kaiming_fan(const Shape& shape, FanMode mode) {
  const auto [fan_in, fan_out] = calculate_fan_in_and_fan_out(shape);
  return mode == FanMode::FanIn ? fan_in : fan_out;
}

/// He uniform: U(-b, b) with b = gain·√(3 / fan), gain = calculate_gain(nonlinearity, a).
/// With a = √5 and the defaults this is Linear's initialisation, b = 1/√fan_in.
template <class T>
Tensor<T> kaiming_uniform_(Tensor<T> tensor, double a = 0.0, FanMode mode = FanMode::FanIn,
                           Nonlinearity nonlinearity = Nonlinearity::LeakyReLU) {
  const auto fan = kaiming_fan(tensor.shape(), mode);
  if (fan == 0) return tensor;  // PyTorch warns and leaves a zero-element tensor alone
  const double bound = calculate_gain(nonlinearity, a) * std::sqrt(3.0 / static_cast<double>(fan));
  return uniform_(std::move(tensor), -bound, bound);
}

/// He normal: N(0, s²) with s = gain / √fan.
template <class T>
Tensor<T> kaiming_normal_(Tensor<T> tensor, double a = 0.0, FanMode mode = FanMode::FanIn,
                          Nonlinearity nonlinearity = Nonlinearity::LeakyReLU) {
  const auto fan = kaiming_fan(tensor.shape(), mode);
  if (fan == 0) return tensor;
  return normal_(std::move(tensor), 0.0, calculate_gain(nonlinearity, a) / std::sqrt(static_cast<double>(fan)));
}

}  // namespace eigrad::nn::init
