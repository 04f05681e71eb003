#pragma once
/// \file utils/clip_grad.hpp
/// \brief Gradient clipping, as `torch.nn.utils.clip_grad_norm_` and `clip_grad_value_`.
///
/// Both change the gradients of \p parameters in place (parameters without a gradient are
/// skipped), so call them between backward() and the optimizer's step().
#include <vector>

#include "eigrad/tensor.hpp"

namespace eigrad::nn::utils {

/// Scales every gradient by min(1, max_norm / (total_norm + 1e-6)), where total_norm is the
/// \p norm_type norm (infinity allowed) of all gradients together, computed in T as PyTorch
/// 1.13 does (the norm of the per-parameter norms); returns total_norm, as LibTorch. With
/// \p error_if_nonfinite, a NaN or infinite total norm is a ValueError and nothing changes.
template <class T>
double clip_grad_norm_(const std::vector<Tensor<T>>& parameters, double max_norm, double norm_type = 2.0,
                       bool error_if_nonfinite = false);

/// clip_grad_norm_() of one parameter.
template <class T>
double clip_grad_norm_(const Tensor<T>& parameter, double max_norm, double norm_type = 2.0,
                       bool error_if_nonfinite = false) {
  return clip_grad_norm_(std::vector<Tensor<T>>{parameter}, max_norm, norm_type, error_if_nonfinite);
}

/// Clamps every gradient element to [-clip_value, clip_value].
template <class T>
void clip_grad_value_(const std::vector<Tensor<T>>& parameters, double clip_value);

/// clip_grad_value_() of one parameter.
template <class T>
void clip_grad_value_(const Tensor<T>& parameter, double clip_value) {
  clip_grad_value_(std::vector<Tensor<T>>{parameter}, clip_value);
}

}  // namespace eigrad::nn::utils
