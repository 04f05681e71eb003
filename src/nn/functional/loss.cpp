// The regression losses, composed from recorded Tensor operations: each is a handful of
// elementwise passes, and autograd gives exact gradients to prediction and target.
#include "eigrad/nn/functional/loss.hpp"

#include <string>

#include "eigrad/errors.hpp"

namespace eigrad::nn::functional {
namespace {

template <class T>
void check_operands(const char* loss, const Tensor<T>& input, const Tensor<T>& target) {
  EIGRAD_CHECK(input.defined() && target.defined(), ValueError, loss, ": ", input.defined() ? "target" : "input",
               " is undefined");
  EIGRAD_CHECK(input.shape() == target.shape(), ShapeError, loss, ": input shape ", eigrad::to_string(input.shape()),
               " and target shape ", eigrad::to_string(target.shape()),
               " differ; broadcasting them would silently compute a different loss, so reshape one "
               "(flatten, unsqueeze) to match");
}

template <class T>
Tensor<T> reduce(const Tensor<T>& elementwise, Reduction reduction) {
  switch (reduction) {
    case Reduction::None: return elementwise;
    case Reduction::Mean: return elementwise.mean();
    case Reduction::Sum: return elementwise.sum();
  }
  EIGRAD_FAIL(ValueError, "unknown loss reduction");
}

}  // namespace

void detail::check_huber_delta(const char* loss, double delta) {
  EIGRAD_CHECK(delta > 0, ValueError, loss, ": delta must be positive, got ", std::to_string(delta));
}

void detail::check_smooth_l1_beta(const char* loss, double beta) {
  EIGRAD_CHECK(beta >= 0, ValueError, loss, ": beta must be non-negative, got ", std::to_string(beta));
}

template <class T>
Tensor<T> mse_loss(const Tensor<T>& input, const Tensor<T>& target, Reduction reduction) {
  check_operands("mse_loss", input, target);
  return reduce((input - target).pow(2), reduction);
}

template <class T>
Tensor<T> l1_loss(const Tensor<T>& input, const Tensor<T>& target, Reduction reduction) {
  check_operands("l1_loss", input, target);
  return reduce((input - target).abs(), reduction);
}

template <class T>
Tensor<T> huber_loss(const Tensor<T>& input, const Tensor<T>& target, Reduction reduction, double delta) {
  check_operands("huber_loss", input, target);
  detail::check_huber_delta("huber_loss", delta);
  // With a = |d| and q = min(a, delta): ½q² + delta·(a − q) is ½d² below delta and
  // delta·(a − ½delta) above, and its gradient (q, then delta) is Huber's, with no branch.
  const Tensor<T> a = (input - target).abs();
  const Tensor<T> q = clamp(a, T(0), static_cast<T>(delta));
  return reduce(q.pow(2) * T(0.5) + (a - q) * static_cast<T>(delta), reduction);
}

template <class T>
Tensor<T> smooth_l1_loss(const Tensor<T>& input, const Tensor<T>& target, Reduction reduction, double beta) {
  check_operands("smooth_l1_loss", input, target);
  detail::check_smooth_l1_beta("smooth_l1_loss", beta);
  const Tensor<T> a = (input - target).abs();
  if (beta == 0) return reduce(a, reduction);
  // ½q²/beta + (a − q) with q = min(a, beta): ½d²/beta below beta, a − ½beta above.
  const Tensor<T> q = clamp(a, T(0), static_cast<T>(beta));
  return reduce(q.pow(2) * static_cast<T>(0.5 / beta) + (a - q), reduction);
}

#define EIGRAD_INSTANTIATE_LOSSES(T)                                                          \
  template Tensor<T> mse_loss<T>(const Tensor<T>&, const Tensor<T>&, Reduction);              \
  template Tensor<T> l1_loss<T>(const Tensor<T>&, const Tensor<T>&, Reduction);               \
  template Tensor<T> huber_loss<T>(const Tensor<T>&, const Tensor<T>&, Reduction, double);    \
  template Tensor<T> smooth_l1_loss<T>(const Tensor<T>&, const Tensor<T>&, Reduction, double);
EIGRAD_INSTANTIATE_LOSSES(float)
EIGRAD_INSTANTIATE_LOSSES(double)
#undef EIGRAD_INSTANTIATE_LOSSES

}  // namespace eigrad::nn::functional
