#pragma once
/// \file adamw.hpp
/// \brief AdamW: Adam with decoupled weight decay (PyTorch 1.13's `torch.optim.AdamW`).
#include <map>
#include <memory>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "eigrad/optim/optimizer.hpp"

namespace eigrad::optim {

/// Options of AdamW, with chained setters: `AdamWOptions(1e-2).weight_decay(0.1)`.
class AdamWOptions : public OptimizerOptions {
 public:
  /// Options with learning rate \p lr (PyTorch's default 1e-3).
  explicit AdamWOptions(double lr = 1e-3) : lr_(lr) {}

  /// Sets the learning rate.
  AdamWOptions& lr(double v) { lr_ = v; return *this; }
  /// The learning rate.
  double lr() const { return lr_; }
  /// Sets the decay rates (beta1, beta2) of the first and second moment averages.
  AdamWOptions& betas(std::tuple<double, double> v) { betas_ = v; return *this; }
  /// The decay rates (beta1, beta2).
  std::tuple<double, double> betas() const { return betas_; }
  /// Sets the term added to the denominator.
  AdamWOptions& eps(double v) { eps_ = v; return *this; }
  /// The term added to the denominator.
  double eps() const { return eps_; }
  /// Sets the decoupled weight decay: each step first scales p by 1 − lr·weight_decay.
  AdamWOptions& weight_decay(double v) { weight_decay_ = v; return *this; }
  /// The decoupled weight decay (default 1e-2).
  double weight_decay() const { return weight_decay_; }
  /// Sets AMSGrad: normalise by the running maximum of the second moment.
  AdamWOptions& amsgrad(bool v) { amsgrad_ = v; return *this; }
  /// Whether AMSGrad is used.
  bool amsgrad() const { return amsgrad_; }
  /// Sets whether the objective is maximised instead of minimised.
  AdamWOptions& maximize(bool v) { maximize_ = v; return *this; }
  /// Whether the objective is maximised.
  bool maximize() const { return maximize_; }

  std::unique_ptr<OptimizerOptions> clone() const override { return std::make_unique<AdamWOptions>(*this); }
  double get_lr() const override { return lr_; }
  void set_lr(double lr) override { lr_ = lr; }
  std::vector<std::pair<std::string, double>> values() const override;
  void set_values(const std::map<std::string, double>& values) override;

 private:
  double lr_;
  std::tuple<double, double> betas_{0.9, 0.999};
  double eps_ = 1e-8;
  double weight_decay_ = 1e-2;
  bool amsgrad_ = false;
  bool maximize_ = false;
};

/// AdamW, PyTorch 1.13's rule: p ← p·(1 − lr·wd) first, then Adam's update without any
/// weight decay in the gradient.
template <class T>
class AdamW : public Optimizer<T> {
 public:
  /// AdamW over \p groups (groups without options take \p defaults). std::invalid_argument
  /// for a negative lr, eps or weight decay, or a beta outside [0, 1).
  AdamW(std::vector<ParamGroup<T>> groups, const AdamWOptions& defaults = AdamWOptions());
  /// AdamW over one group of \p params.
  AdamW(std::vector<Tensor<T>> params, const AdamWOptions& defaults = AdamWOptions())
      : AdamW(std::vector<ParamGroup<T>>{ParamGroup<T>(std::move(params))}, defaults) {}

  std::string name() const override { return "AdamW"; }

 protected:
  void validate(const OptimizerOptions& options) const override;
  std::vector<std::string> buffer_names() const override {
    return {"exp_avg", "exp_avg_sq", "max_exp_avg_sq"};
  }
  void update(ParamGroup<T>& group) override;
};

extern template class AdamW<float>;
extern template class AdamW<double>;

}  // namespace eigrad::optim
