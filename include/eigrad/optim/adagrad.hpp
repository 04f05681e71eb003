#pragma once
/// \file adagrad.hpp
/// \brief Adagrad with learning-rate decay (PyTorch 1.13's `torch.optim.Adagrad`).
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "eigrad/optim/optimizer.hpp"

namespace eigrad::optim {

/// Options of Adagrad, with chained setters: `AdagradOptions(0.1).lr_decay(1e-3)`.
class AdagradOptions : public OptimizerOptions {
 public:
  /// Options with learning rate \p lr (PyTorch's default 1e-2).
  explicit AdagradOptions(double lr = 1e-2) : lr_(lr) {}

  /// Sets the learning rate.
  AdagradOptions& lr(double v) { lr_ = v; return *this; }
  /// The learning rate.
  double lr() const { return lr_; }
  /// Sets the decay: step t uses lr / (1 + (t − 1)·lr_decay).
  AdagradOptions& lr_decay(double v) { lr_decay_ = v; return *this; }
  /// The learning-rate decay.
  double lr_decay() const { return lr_decay_; }
  /// Sets the L2 penalty added to the gradient.
  AdagradOptions& weight_decay(double v) { weight_decay_ = v; return *this; }
  /// The L2 penalty.
  double weight_decay() const { return weight_decay_; }
  /// Sets the starting value of the squared-gradient sums.
  AdagradOptions& initial_accumulator_value(double v) { initial_accumulator_value_ = v; return *this; }
  /// The starting value of the sums.
  double initial_accumulator_value() const { return initial_accumulator_value_; }
  /// Sets the term added to the root of the sum.
  AdagradOptions& eps(double v) { eps_ = v; return *this; }
  /// The term added to the denominator.
  double eps() const { return eps_; }
  /// Sets whether the objective is maximised instead of minimised.
  AdagradOptions& maximize(bool v) { maximize_ = v; return *this; }
  /// Whether the objective is maximised.
  bool maximize() const { return maximize_; }

  std::unique_ptr<OptimizerOptions> clone() const override { return std::make_unique<AdagradOptions>(*this); }
  double get_lr() const override { return lr_; }
  void set_lr(double lr) override { lr_ = lr; }
  std::vector<std::pair<std::string, double>> values() const override;
  void set_values(const std::map<std::string, double>& values) override;

 private:
  double lr_;
  double lr_decay_ = 0;
  double weight_decay_ = 0;
  double initial_accumulator_value_ = 0;
  double eps_ = 1e-10;
  bool maximize_ = false;
};

/// Adagrad, PyTorch 1.13's rule per parameter p with gradient g at step t:
/// g ← −g if maximize; g ← g + wd·p; clr = lr / (1 + (t − 1)·lr_decay); s ← s + g²;
/// p ← p − clr·g / (√s + eps). The sums s start at initial_accumulator_value when the
/// parameter's group is added, as in PyTorch.
template <class T>
class Adagrad : public Optimizer<T> {
 public:
  /// Adagrad over \p groups (groups without options take \p defaults). std::invalid_argument
  /// for a negative lr, lr_decay, weight decay, initial_accumulator_value or eps.
  Adagrad(std::vector<ParamGroup<T>> groups, const AdagradOptions& defaults = AdagradOptions());
  /// Adagrad over one group of \p params.
  Adagrad(std::vector<Tensor<T>> params, const AdagradOptions& defaults = AdagradOptions())
      : Adagrad(std::vector<ParamGroup<T>>{ParamGroup<T>(std::move(params))}, defaults) {}

  std::string name() const override { return "Adagrad"; }

 protected:
  void validate(const OptimizerOptions& options) const override;
  std::vector<std::string> buffer_names() const override { return {"sum"}; }
  void update(ParamGroup<T>& group) override;
  void init_group(ParamGroup<T>& group) override;
};

extern template class Adagrad<float>;
extern template class Adagrad<double>;

}  // namespace eigrad::optim
