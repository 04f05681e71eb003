#pragma once
/// \file adam.hpp
/// \brief Adam, optionally AMSGrad (PyTorch 1.13's `torch.optim.Adam`).
#include <map>
#include <memory>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "eigrad/optim/optimizer.hpp"

namespace eigrad::optim {

/// Options of Adam, with chained setters: `AdamOptions(1e-2).betas({0.8, 0.95}).amsgrad(true)`.
class AdamOptions : public OptimizerOptions {
 public:
  /// Options with learning rate \p lr (PyTorch's default 1e-3).
  explicit AdamOptions(double lr = 1e-3) : lr_(lr) {}

  /// Sets the learning rate.
  AdamOptions& lr(double v) { lr_ = v; return *this; }
  /// The learning rate.
  double lr() const { return lr_; }
  /// Sets the decay rates (beta1, beta2) of the first and second moment averages.
  AdamOptions& betas(std::tuple<double, double> v) { betas_ = v; return *this; }
  /// The decay rates (beta1, beta2).
  std::tuple<double, double> betas() const { return betas_; }
  /// Sets the term added to the denominator.
  AdamOptions& eps(double v) { eps_ = v; return *this; }
  /// The term added to the denominator.
  double eps() const { return eps_; }
  /// Sets the L2 penalty added to the gradient (coupled, unlike AdamW).
  AdamOptions& weight_decay(double v) { weight_decay_ = v; return *this; }
  /// The L2 penalty.
  double weight_decay() const { return weight_decay_; }
  /// Sets AMSGrad: normalise by the running maximum of the second moment.
  AdamOptions& amsgrad(bool v) { amsgrad_ = v; return *this; }
  /// Whether AMSGrad is used.
  bool amsgrad() const { return amsgrad_; }
  /// Sets whether the objective is maximised instead of minimised.
  AdamOptions& maximize(bool v) { maximize_ = v; return *this; }
  /// Whether the objective is maximised.
  bool maximize() const { return maximize_; }

  std::unique_ptr<OptimizerOptions> clone() const override { return std::make_unique<AdamOptions>(*this); }
  double get_lr() const override { return lr_; }
  void set_lr(double lr) override { lr_ = lr; }
  std::vector<std::pair<std::string, double>> values() const override;
  void set_values(const std::map<std::string, double>& values) override;

 private:
  double lr_;
  std::tuple<double, double> betas_{0.9, 0.999};
  double eps_ = 1e-8;
  double weight_decay_ = 0;
  bool amsgrad_ = false;
  bool maximize_ = false;
};

/// Adam, PyTorch 1.13's rule per parameter p with gradient g at step t:
/// g ← −g if maximize; g ← g + wd·p; m ← β1·m + (1 − β1)·g; v ← β2·v + (1 − β2)·g²;
/// with AMSGrad v̂ ← max(v̂, v) replaces v below; denom = √v / √(1 − β2ᵗ) + eps;
/// p ← p − (lr / (1 − β1ᵗ))·m / denom.
template <class T>
class Adam : public Optimizer<T> {
 public:
  /// Adam over \p groups (groups without options take \p defaults). std::invalid_argument for
  /// a negative lr, eps or weight decay, or a beta outside [0, 1).
  Adam(std::vector<ParamGroup<T>> groups, const AdamOptions& defaults = AdamOptions());
  /// Adam over one group of \p params.
  Adam(std::vector<Tensor<T>> params, const AdamOptions& defaults = AdamOptions())
      : Adam(std::vector<ParamGroup<T>>{ParamGroup<T>(std::move(params))}, defaults) {}

  std::string name() const override { return "Adam"; }

 protected:
  void validate(const OptimizerOptions& options) const override;
  std::vector<std::string> buffer_names() const override {
    return {"exp_avg", "exp_avg_sq", "max_exp_avg_sq"};
  }
  void update(ParamGroup<T>& group) override;
};

/// \cond INTERNAL
namespace detail {
/// Checks the options Adam and AdamW share; \p who names the optimizer in messages.
void check_adam_options(const char* who, double lr, double beta1, double beta2, double eps,
                        double weight_decay);
/// The moment updates and parameter step Adam and AdamW share (after weight decay).
template <class T>
void adam_param_step(ParamState<T>& state, const Tensor<T>& param, const T* grad, double lr,
                     double beta1, double beta2, double eps, bool amsgrad);
}  // namespace detail
/// \endcond

extern template class Adam<float>;
extern template class Adam<double>;

}  // namespace eigrad::optim
