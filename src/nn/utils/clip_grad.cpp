// Gradient clipping, step for step as torch/nn/utils/clip_grad.py (1.13).
#include "eigrad/nn/utils/clip_grad.hpp"

#include <cmath>
#include <string>

#include "eigrad/autograd/grad_mode.hpp"
#include "eigrad/errors.hpp"
#include "eigrad/tensor/shape_ops.hpp"

namespace eigrad::nn::utils {

template <class T>
double clip_grad_norm_(const std::vector<Tensor<T>>& parameters, double max_norm, double norm_type,
                       bool error_if_nonfinite) {
  NoGradGuard no_grad;
  std::vector<Tensor<T>> grads;
  for (const Tensor<T>& p : parameters)
    if (p.grad().defined()) grads.push_back(p.grad());
  if (grads.empty()) return 0.0;
  std::vector<Tensor<T>> norms;
  for (const Tensor<T>& g : grads) norms.push_back(std::isinf(norm_type) ? g.abs().max() : g.norm(norm_type));
  const Tensor<T> total = std::isinf(norm_type) ? (norms.size() == 1 ? norms[0] : stack(norms).max())
                                                : stack(norms).norm(norm_type);
  const T total_norm = total.item();
  EIGRAD_CHECK(!error_if_nonfinite || std::isfinite(total_norm), ValueError, "The total norm of order ",
               std::to_string(norm_type), " for gradients from `parameters` is non-finite, so it cannot be clipped");
  const Tensor<T> clip_coef = static_cast<T>(max_norm) / (total + static_cast<T>(1e-6));
  const T coef = clip_coef.clamp_max(T(1)).item();
  for (Tensor<T>& g : grads) g *= coef;
  return static_cast<double>(total_norm);
}

template <class T>
void clip_grad_value_(const std::vector<Tensor<T>>& parameters, double clip_value) {
  NoGradGuard no_grad;
  const auto v = static_cast<T>(clip_value);
  for (const Tensor<T>& p : parameters)
    if (p.grad().defined()) p.grad().copy_(p.grad().clamp(-v, v));
}

template double clip_grad_norm_<float>(const std::vector<Tensor<float>>&, double, double, bool);
template double clip_grad_norm_<double>(const std::vector<Tensor<double>>&, double, double, bool);
template void clip_grad_value_<float>(const std::vector<Tensor<float>>&, double);
template void clip_grad_value_<double>(const std::vector<Tensor<double>>&, double);

}  // namespace eigrad::nn::utils
