#pragma once
/// \file loss.hpp
/// \brief The regression losses as functions, as `torch.nn.functional`.
///
/// Prediction and target must have the same shape: where PyTorch only warns and then
/// broadcasts ([2000, 1] against [2000] silently becomes [2000, 2000]), these throw
/// ShapeError naming both shapes. All are recorded for autograd; gradients flow to the
/// prediction and to the target, and are PyTorch 1.13's also where the pieces of a loss meet
/// (see smooth_l1_loss()).
#include <type_traits>

#include "eigrad/nn/reduction.hpp"
#include "eigrad/ops/loss.hpp"
#include "eigrad/tensor.hpp"

namespace eigrad::nn::functional {

namespace detail {
/// ValueError naming \p loss unless \p delta > 0 (shared by huber_loss and HuberLoss).
void check_huber_delta(const char* loss, double delta);
/// ValueError naming \p loss unless \p beta >= 0 (shared by smooth_l1_loss and SmoothL1Loss).
void check_smooth_l1_beta(const char* loss, double beta);
/// A loss's reduction as a fused evaluation's.
constexpr expr::Reduction fused_reduction(Reduction reduction) {
  return reduction == Reduction::Sum ? expr::Reduction::Sum
         : reduction == Reduction::Mean ? expr::Reduction::Mean
                                        : expr::Reduction::None;
}
/// Enabled for a lazy expression \p E of element type \p T.
template <class E, class T>
using enable_if_expr = std::enable_if_t<expr::is_expr_v<E> && std::is_same_v<T, typename E::Scalar>, int>;
/// Whether a loss of expression \p input against \p target takes the tensor form: an
/// evaluated expression, an undefined target or other shapes (which the tensor form checks).
template <class E, class T>
bool takes_tensor_form(const E& input, const Tensor<T>& target) {
  return input.evaluated() || !target.defined() || input.shape() != target.shape();
}
/// The statement "pointwise loss \p kernel of expression \p input against \p target" (same
/// shape), not evaluated.
template <class E, class T, class Kernel>
auto loss_statement(const E& input, const Tensor<T>& target, const Kernel& kernel) {
  using Loss = ops::LossOfOperands<Kernel>;
  return expr::Binary<Loss, E, expr::Leaf<T>>(Loss{kernel}, input, expr::Leaf<T>(target));
}
/// loss_statement() evaluated in one pass and reduced by \p reduction: one node, named as the
/// tensor form's.
template <class E, class T, class Kernel>
Tensor<T> fused_pointwise_loss(const E& input, const Tensor<T>& target, Reduction reduction, const Kernel& kernel) {
  return expr::detail::evaluate(loss_statement(input, target, kernel), fused_reduction(reduction),
                                Kernel::backward_name);
}
}  // namespace detail

/// (input - target)² reduced by \p reduction.
template <class T>
Tensor<T> mse_loss(const Tensor<T>& input, const Tensor<T>& target, Reduction reduction = Reduction::Mean);

/// |input - target| reduced by \p reduction.
template <class T>
Tensor<T> l1_loss(const Tensor<T>& input, const Tensor<T>& target, Reduction reduction = Reduction::Mean);

/// mse_loss() of a lazy expression (`mse_loss(a + b * x, y)`): fused with it, one node
/// (MseLossBackward0), one pass forward and one backward. An evaluated expression or
/// mismatched shapes take the tensor form.
template <class E, class T, detail::enable_if_expr<E, T> = 0>
Tensor<T> mse_loss(const E& input, const Tensor<T>& target, Reduction reduction = Reduction::Mean) {
  if (detail::takes_tensor_form(input, target))
    return mse_loss<T>(input.as_tensor(), target, reduction);
  return expr::detail::evaluate((input - target).pow(2), detail::fused_reduction(reduction), "MseLossBackward0");
}

/// l1_loss() of a lazy expression: fused with it, one node (MeanBackward0, SumBackward0 or
/// AbsBackward0, the last op PyTorch records). An evaluated expression or mismatched shapes
/// take the tensor form.
template <class E, class T, detail::enable_if_expr<E, T> = 0>
Tensor<T> l1_loss(const E& input, const Tensor<T>& target, Reduction reduction = Reduction::Mean) {
  if (detail::takes_tensor_form(input, target))
    return l1_loss<T>(input.as_tensor(), target, reduction);
  return expr::detail::evaluate((input - target).abs(), detail::fused_reduction(reduction));
}

/// Huber: ½d² where |d| < delta, else delta·(|d| − ½delta), with d = input − target.
/// ValueError unless delta > 0.
template <class T>
Tensor<T> huber_loss(const Tensor<T>& input, const Tensor<T>& target, Reduction reduction = Reduction::Mean,
                     double delta = 1.0);

/// Smooth L1: ½d²/beta where |d| < beta, else |d| − ½beta. ValueError for a negative beta.
///
/// Beta 0 gives the L1 loss's values but not its gradient at a zero difference: there PyTorch
/// 1.13 takes the linear branch with sign −1 for each operand, so input and target both get
/// −1 (times the reduction's scale) where l1_loss() gives them 0.
template <class T>
Tensor<T> smooth_l1_loss(const Tensor<T>& input, const Tensor<T>& target, Reduction reduction = Reduction::Mean,
                         double beta = 1.0);

/// huber_loss() of a lazy expression (`huber_loss(a + b * x, y)`): fused with it, one node
/// (HuberLossBackward0), one pass forward and one backward, the same entry as the tensor form
/// (ops::HuberLoss), so the elements are the same bits. An evaluated expression or mismatched
/// shapes take the tensor form. ValueError unless delta > 0.
template <class E, class T, detail::enable_if_expr<E, T> = 0>
Tensor<T> huber_loss(const E& input, const Tensor<T>& target, Reduction reduction = Reduction::Mean,
                     double delta = 1.0) {
  if (detail::takes_tensor_form(input, target))
    return huber_loss<T>(input.as_tensor(), target, reduction, delta);
  detail::check_huber_delta("huber_loss", delta);
  return detail::fused_pointwise_loss(input, target, reduction, ops::HuberLoss<T>{static_cast<T>(delta)});
}

/// smooth_l1_loss() of a lazy expression: fused with it, one node (SmoothL1LossBackward0), one
/// pass forward and one backward, with the tensor form's values and gradients (also the −1 of
/// both operands at a zero difference with beta 0). An evaluated expression or mismatched shapes
/// take the tensor form. ValueError for a negative beta.
template <class E, class T, detail::enable_if_expr<E, T> = 0>
Tensor<T> smooth_l1_loss(const E& input, const Tensor<T>& target, Reduction reduction = Reduction::Mean,
                         double beta = 1.0) {
  if (detail::takes_tensor_form(input, target))
    return smooth_l1_loss<T>(input.as_tensor(), target, reduction, beta);
  detail::check_smooth_l1_beta("smooth_l1_loss", beta);
  return detail::fused_pointwise_loss(input, target, reduction, ops::SmoothL1Loss<T>{static_cast<T>(beta)});
}

}  // namespace eigrad::nn::functional
