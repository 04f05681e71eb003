#pragma once
/// \file activation.hpp
/// \brief Elementwise activation layers: ReLU, Tanh, Sigmoid.
#include "eigrad/nn/module.hpp"

namespace eigrad::nn {

/// max(x, 0) elementwise, as `torch.nn.ReLU` (gradient 0 at 0, as PyTorch).
template <class T>
class ReLU : public Module<T> {
 public:
  /// input.relu().
  Tensor<T> forward(const Tensor<T>& input) override { return input.relu(); }
};

/// tanh(x) elementwise, as `torch.nn.Tanh`.
template <class T>
class Tanh : public Module<T> {
 public:
  /// input.tanh().
  Tensor<T> forward(const Tensor<T>& input) override { return input.tanh(); }
};

/// 1 / (1 + exp(-x)) elementwise, as `torch.nn.Sigmoid`.
template <class T>
class Sigmoid : public Module<T> {
 public:
  /// input.sigmoid().
  Tensor<T> forward(const Tensor<T>& input) override { return input.sigmoid(); }
};

}  // namespace eigrad::nn
