#pragma once
/// \file rmsprop.hpp
/// \brief RMSprop, optionally centered and with momentum (PyTorch 1.13's `torch.optim.RMSprop`).
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "eigrad/optim/optimizer.hpp"

namespace eigrad::optim {

/// Options of RMSprop, with chained setters: `RMSpropOptions(1e-3).alpha(0.9).centered(true)`.
class RMSpropOptions : public OptimizerOptions {
 public:
  /// Options with learning rate \p lr (PyTorch's default 1e-2).
  explicit RMSpropOptions(double lr = 1e-2) : lr_(lr) {}

  /// Sets the learning rate.
  RMSpropOptions& lr(double v) { lr_ = v; return *this; }
  /// The learning rate.
  double lr() const { return lr_; }
  /// Sets the smoothing constant of the squared-gradient average.
  RMSpropOptions& alpha(double v) { alpha_ = v; return *this; }
  /// The smoothing constant.
  double alpha() const { return alpha_; }
  /// Sets the term added to the root of the average (after the square root, as PyTorch).
  RMSpropOptions& eps(double v) { eps_ = v; return *this; }
  /// The term added to the denominator.
  double eps() const { return eps_; }
  /// Sets the L2 penalty added to the gradient.
  RMSpropOptions& weight_decay(double v) { weight_decay_ = v; return *this; }
  /// The L2 penalty.
  double weight_decay() const { return weight_decay_; }
  /// Sets the momentum factor (0 disables momentum).
  RMSpropOptions& momentum(double v) { momentum_ = v; return *this; }
  /// The momentum factor.
  double momentum() const { return momentum_; }
  /// Sets centering: normalise by an estimate of the gradient's variance instead of its
  /// second moment.
  RMSpropOptions& centered(bool v) { centered_ = v; return *this; }
  /// Whether the variance is used.
  bool centered() const { return centered_; }
  /// Sets whether the objective is maximised instead of minimised.
  RMSpropOptions& maximize(bool v) { maximize_ = v; return *this; }
  /// Whether the objective is maximised.
  bool maximize() const { return maximize_; }

  std::unique_ptr<OptimizerOptions> clone() const override { return std::make_unique<RMSpropOptions>(*this); }
  double get_lr() const override { return lr_; }
  void set_lr(double lr) override { lr_ = lr; }
  std::vector<std::pair<std::string, double>> values() const override;
  void set_values(const std::map<std::string, double>& values) override;

 private:
  double lr_;
  double alpha_ = 0.99;
  double eps_ = 1e-8;
  double weight_decay_ = 0;
  double momentum_ = 0;
  bool centered_ = false;
  bool maximize_ = false;
};

/// RMSprop, PyTorch 1.13's rule per parameter p with gradient g:
/// g ← −g if maximize; g ← g + wd·p; v ← α·v + (1 − α)·g²; when centered
/// m ← α·m + (1 − α)·g and avg = √(v − m²) + eps, else avg = √v + eps; with momentum
/// buf ← momentum·buf + g/avg and p ← p − lr·buf, else p ← p − lr·g/avg.
template <class T>
class RMSprop : public Optimizer<T> {
 public:
  /// RMSprop over \p groups (groups without options take \p defaults). std::invalid_argument
  /// for a negative lr, alpha, eps, momentum or weight decay.
  RMSprop(std::vector<ParamGroup<T>> groups, const RMSpropOptions& defaults = RMSpropOptions());
  /// RMSprop over one group of \p params.
  RMSprop(std::vector<Tensor<T>> params, const RMSpropOptions& defaults = RMSpropOptions())
      : RMSprop(std::vector<ParamGroup<T>>{ParamGroup<T>(std::move(params))}, defaults) {}

  std::string name() const override { return "RMSprop"; }

 protected:
  void validate(const OptimizerOptions& options) const override;
  std::vector<std::string> buffer_names() const override {
    return {"square_avg", "momentum_buffer", "grad_avg"};
  }
  void update(ParamGroup<T>& group) override;
};

extern template class RMSprop<float>;
extern template class RMSprop<double>;

}  // namespace eigrad::optim
