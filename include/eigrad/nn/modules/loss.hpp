#pragma once
/// \file loss.hpp
/// \brief Regression loss modules: MSELoss, L1Loss, HuberLoss, SmoothL1Loss.
///
/// A loss is a Module (it prints and can be registered) called with two tensors,
/// `loss_fn(prediction, target)`. A shape mismatch between them is a ShapeError naming
/// both shapes (PyTorch only warns; silent broadcasting there is a classic bug).
#include <string>

#include "eigrad/nn/functional/loss.hpp"
#include "eigrad/nn/module.hpp"
#include "eigrad/nn/options/loss.hpp"

namespace eigrad::nn {

/// Mean squared error, as `torch.nn.MSELoss`: `MSELoss<float> loss_fn(Reduction::Sum)`.
template <class T>
class MSELoss : public Module<T> {
 public:
  using Module<T>::forward;
  /// A loss with \p options (a Reduction converts to them).
  explicit MSELoss(const MSELossOptions& options = {}) : options_(options) {}
  /// The loss of \p input against \p target.
  Tensor<T> forward(const Tensor<T>& input, const Tensor<T>& target) {
    return functional::mse_loss(input, target, options_.reduction());
  }
  /// Same as forward(input, target).
  Tensor<T> operator()(const Tensor<T>& input, const Tensor<T>& target) { return forward(input, target); }
  /// The options the loss was built with.
  const MSELossOptions& options() const { return options_; }

 private:
  MSELossOptions options_;
};

/// Mean absolute error, as `torch.nn.L1Loss`.
template <class T>
class L1Loss : public Module<T> {
 public:
  using Module<T>::forward;
  /// A loss with \p options (a Reduction converts to them).
  explicit L1Loss(const L1LossOptions& options = {}) : options_(options) {}
  /// The loss of \p input against \p target.
  Tensor<T> forward(const Tensor<T>& input, const Tensor<T>& target) {
    return functional::l1_loss(input, target, options_.reduction());
  }
  /// Same as forward(input, target).
  Tensor<T> operator()(const Tensor<T>& input, const Tensor<T>& target) { return forward(input, target); }
  /// The options the loss was built with.
  const L1LossOptions& options() const { return options_; }

 private:
  L1LossOptions options_;
};

/// Huber loss, as `torch.nn.HuberLoss`: quadratic for errors below delta, linear above.
template <class T>
class HuberLoss : public Module<T> {
 public:
  using Module<T>::forward;
  /// A loss with \p options (a Reduction converts to them).
  explicit HuberLoss(const HuberLossOptions& options = {}) : options_(options) { check(); }
  /// A loss with \p reduction and threshold \p delta.
  HuberLoss(Reduction reduction, double delta) : options_(HuberLossOptions(reduction).delta(delta)) { check(); }
  /// The loss of \p input against \p target.
  Tensor<T> forward(const Tensor<T>& input, const Tensor<T>& target) {
    return functional::huber_loss(input, target, options_.reduction(), options_.delta());
  }
  /// Same as forward(input, target).
  Tensor<T> operator()(const Tensor<T>& input, const Tensor<T>& target) { return forward(input, target); }
  /// The options the loss was built with.
  const HuberLossOptions& options() const { return options_; }

 private:
  void check() const {
    functional::detail::check_huber_delta("HuberLoss", options_.delta());
  }
  HuberLossOptions options_;
};

/// Smooth L1 loss, as `torch.nn.SmoothL1Loss`: Huber divided by beta.
template <class T>
class SmoothL1Loss : public Module<T> {
 public:
  using Module<T>::forward;
  /// A loss with \p options (a Reduction converts to them).
  explicit SmoothL1Loss(const SmoothL1LossOptions& options = {}) : options_(options) { check(); }
  /// A loss with \p reduction and threshold \p beta.
  SmoothL1Loss(Reduction reduction, double beta) : options_(SmoothL1LossOptions(reduction).beta(beta)) { check(); }
  /// The loss of \p input against \p target.
  Tensor<T> forward(const Tensor<T>& input, const Tensor<T>& target) {
    return functional::smooth_l1_loss(input, target, options_.reduction(), options_.beta());
  }
  /// Same as forward(input, target).
  Tensor<T> operator()(const Tensor<T>& input, const Tensor<T>& target) { return forward(input, target); }
  /// The options the loss was built with.
  const SmoothL1LossOptions& options() const { return options_; }

 private:
  void check() const {
    functional::detail::check_smooth_l1_beta("SmoothL1Loss", options_.beta());
  }
  SmoothL1LossOptions options_;
};

}  // namespace eigrad::nn
