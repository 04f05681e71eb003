#pragma once
/// \file loss.hpp
/// \brief The regression losses as functions, as `torch.nn.functional`.
///
/// Prediction and target must have the same shape: where PyTorch only warns and then
/// broadcasts ([2000, 1] against [2000] silently becomes [2000, 2000]), these throw
/// ShapeError naming both shapes. All are recorded for autograd; gradients flow to the
/// prediction and to the target.
#include "eigrad/nn/reduction.hpp"
#include "eigrad/tensor.hpp"

namespace eigrad::nn::functional {

namespace detail {
/// ValueError naming \p loss unless \p delta > 0 (shared by huber_loss and HuberLoss).
void check_huber_delta(const char* loss, double delta);
/// ValueError naming \p loss unless \p beta >= 0 (shared by smooth_l1_loss and SmoothL1Loss).
void check_smooth_l1_beta(const char* loss, double beta);
}  // namespace detail

/// (input - target)² reduced by \p reduction.
template <class T>
Tensor<T> mse_loss(const Tensor<T>& input, const Tensor<T>& target, Reduction reduction = Reduction::Mean);

/// |input - target| reduced by \p reduction.
template <class T>
Tensor<T> l1_loss(const Tensor<T>& input, const Tensor<T>& target, Reduction reduction = Reduction::Mean);

/// Huber: ½d² where |d| < delta, else delta·(|d| − ½delta), with d = input − target.
/// ValueError unless delta > 0.
template <class T>
Tensor<T> huber_loss(const Tensor<T>& input, const Tensor<T>& target, Reduction reduction = Reduction::Mean,
                     double delta = 1.0);

/// Smooth L1: ½d²/beta where |d| < beta, else |d| − ½beta (beta 0: the L1 loss).
/// ValueError for a negative beta.
template <class T>
Tensor<T> smooth_l1_loss(const Tensor<T>& input, const Tensor<T>& target, Reduction reduction = Reduction::Mean,
                         double beta = 1.0);

}  // namespace eigrad::nn::functional
