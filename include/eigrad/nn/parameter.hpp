#pragma once
/// \file parameter.hpp
/// \brief Parameter<T>: the tensor type of a module's trainable weights.
#include "eigrad/tensor.hpp"

namespace eigrad::nn {

/// A tensor that is a leaf requiring grad, as `torch.nn.Parameter`.
///
/// It adds no state to Tensor: it is a Tensor handle whose constructor makes sure the
/// handle is a leaf of the autograd graph (so gradients accumulate in grad()) and requires
/// grad. Passing one to Module::register_parameter() is the same as passing the tensor.
template <class T>
class Parameter : public Tensor<T> {
 public:
  /// An undefined parameter (as a `None` parameter in PyTorch).
  Parameter() = default;
  /// A new leaf sharing the data of \p data (as `data.detach()`: the handle passed in keeps
  /// its own autograd state) with requires_grad set to \p requires_grad.
  explicit Parameter(const Tensor<T>& data, bool requires_grad = true)
      : Tensor<T>(data.defined() ? data.detach() : data) {
    if (this->defined()) this->requires_grad_(requires_grad);
  }
};

}  // namespace eigrad::nn
