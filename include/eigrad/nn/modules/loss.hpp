#pragma once
/// \file loss.hpp
/// \brief Regression loss modules: MSELoss, L1Loss, HuberLoss, SmoothL1Loss.
///
/// A loss is a Module (it prints and can be registered) called with two tensors,
/// `loss_fn(prediction, target)`. A shape mismatch between them is a ShapeError naming
/// both shapes (PyTorch only warns; silent broadcasting there is a classic bug).
#include "eigrad/nn/functional/loss.hpp"
#include "eigrad/nn/module.hpp"
#include "eigrad/nn/options/loss.hpp"

namespace eigrad::nn {

/// Base of the loss modules (CRTP): the options, forward(input, target) and the call
/// operator. \p Loss supplies `static Tensor<T> apply(input, target, const Options&)`, its
/// functional form with the options spelled out.
template <class T, class Loss, class Options>
class LossModule : public Module<T> {
 public:
  using Module<T>::forward;
  /// The loss of \p input against \p target.
  Tensor<T> forward(const Tensor<T>& input, const Tensor<T>& target) { return Loss::apply(input, target, options_); }
  /// Same as forward(input, target).
  Tensor<T> operator()(const Tensor<T>& input, const Tensor<T>& target) { return forward(input, target); }
  /// The loss of a lazy expression \p input: the regression losses fuse with it (one node).
  template <class E, functional::detail::enable_if_expr<E, T> = 0>
  Tensor<T> operator()(const E& input, const Tensor<T>& target) { return Loss::apply(input, target, options_); }
  /// The options the loss was built with.
  const Options& options() const { return options_; }

 protected:
  /// A loss with \p options.
  explicit LossModule(const Options& options) : options_(options) {}

 private:
  Options options_;
};

/// Mean squared error, as `torch.nn.MSELoss`: `MSELoss<float> loss_fn(Reduction::Sum)`.
///
/// \snippet losses.cpp mse
template <class T>
class MSELoss : public LossModule<T, MSELoss<T>, MSELossOptions> {
 public:
  /// A loss with \p options (a Reduction converts to them).
  explicit MSELoss(const MSELossOptions& options = {}) : MSELoss::LossModule(options) {}
  /// functional::mse_loss() with \p options.
  template <class Input>
  static Tensor<T> apply(const Input& input, const Tensor<T>& target, const MSELossOptions& options) {
    return functional::mse_loss(input, target, options.reduction());
  }
};

/// Mean absolute error, as `torch.nn.L1Loss`.
///
/// \snippet losses.cpp l1
template <class T>
class L1Loss : public LossModule<T, L1Loss<T>, L1LossOptions> {
 public:
  /// A loss with \p options (a Reduction converts to them).
  explicit L1Loss(const L1LossOptions& options = {}) : L1Loss::LossModule(options) {}
  /// functional::l1_loss() with \p options.
  template <class Input>
  static Tensor<T> apply(const Input& input, const Tensor<T>& target, const L1LossOptions& options) {
    return functional::l1_loss(input, target, options.reduction());
  }
};

/// Huber loss, as `torch.nn.HuberLoss`: quadratic for errors below delta, linear above.
///
/// \snippet losses.cpp huber
template <class T>
class HuberLoss : public LossModule<T, HuberLoss<T>, HuberLossOptions> {
 public:
  /// A loss with \p options (a Reduction converts to them); ValueError unless delta > 0.
  explicit HuberLoss(const HuberLossOptions& options = {}) : HuberLoss::LossModule(options) {
    functional::detail::check_huber_delta("HuberLoss", options.delta());
  }
  /// A loss with \p reduction and threshold \p delta.
  HuberLoss(Reduction reduction, double delta) : HuberLoss(HuberLossOptions(reduction).delta(delta)) {}
  /// functional::huber_loss() with \p options.
  template <class Input>
  static Tensor<T> apply(const Input& input, const Tensor<T>& target, const HuberLossOptions& options) {
    return functional::huber_loss(input, target, options.reduction(), options.delta());
  }
};

/// Smooth L1 loss, as `torch.nn.SmoothL1Loss`: Huber divided by beta.
///
/// \snippet losses.cpp smooth l1
template <class T>
class SmoothL1Loss : public LossModule<T, SmoothL1Loss<T>, SmoothL1LossOptions> {
 public:
  /// A loss with \p options (a Reduction converts to them); ValueError for a negative beta.
  explicit SmoothL1Loss(const SmoothL1LossOptions& options = {}) : SmoothL1Loss::LossModule(options) {
    functional::detail::check_smooth_l1_beta("SmoothL1Loss", options.beta());
  }
  /// A loss with \p reduction and threshold \p beta.
  SmoothL1Loss(Reduction reduction, double beta) : SmoothL1Loss(SmoothL1LossOptions(reduction).beta(beta)) {}
  /// functional::smooth_l1_loss() with \p options.
  template <class Input>
  static Tensor<T> apply(const Input& input, const Tensor<T>& target, const SmoothL1LossOptions& options) {
    return functional::smooth_l1_loss(input, target, options.reduction(), options.beta());
  }
};

}  // namespace eigrad::nn
