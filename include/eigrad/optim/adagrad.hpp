#pragma once
/// \file adagrad.hpp
/// \brief Adagrad with learning-rate decay (PyTorch 1.13's `torch.optim.Adagrad`).
#include <string>
#include <utility>
#include <vector>

#include "eigrad/optim/optimizer.hpp"

namespace eigrad::optim {

/// Options of Adagrad, with chained setters: `AdagradOptions(0.1).lr_decay(1e-3)`.
class AdagradOptions : public detail::OptionsBase<AdagradOptions> {
 public:
  /// Options with learning rate \p lr (PyTorch's default 1e-2).
  explicit AdagradOptions(double lr = 1e-2) : lr_(lr) {}

  /// The name in messages.
  static constexpr const char* kName = "AdagradOptions";
  /// Calls \p f(PyTorch name, option) for every option of \p self, in checkpoint order.
  template <class Self, class Visitor>
  static void visit(Self& self, Visitor&& f) {
    f("lr", self.lr());
    f("lr_decay", self.lr_decay());
    f("weight_decay", self.weight_decay());
    f("initial_accumulator_value", self.initial_accumulator_value());
    f("eps", self.eps());
    f("maximize", self.maximize());
  }

  /// The learning rate.
  EIGRAD_ARG(double, lr);
  /// The decay: step t uses lr / (1 + (t − 1)·lr_decay).
  EIGRAD_ARG(double, lr_decay) = 0;
  /// The L2 penalty added to the gradient.
  EIGRAD_ARG(double, weight_decay) = 0;
  /// The starting value of the squared-gradient sums. As in PyTorch only the optimizer's
  /// defaults (its constructor's value) fill the sums; a group's own value is validated and
  /// saved but unused.
  EIGRAD_ARG(double, initial_accumulator_value) = 0;
  /// The term added to the root of the sum.
  EIGRAD_ARG(double, eps) = 1e-10;
  /// Whether the objective is maximised instead of minimised.
  EIGRAD_ARG(bool, maximize) = false;
};

/// Adagrad, PyTorch 1.13's rule per parameter p with gradient g at step t:
/// g ← −g if maximize; g ← g + wd·p; clr = lr / (1 + (t − 1)·lr_decay); s ← s + g²;
/// p ← p − clr·g / (√s + eps). Every sum s starts, when its parameter's group is added, at
/// the initial_accumulator_value of the optimizer's defaults, whatever the group's own says:
/// PyTorch's constructor fills them from its argument. (PyTorch fills none for a group added
/// later, whose first step then fails; eigrad fills those from the defaults too.)
///
/// \snippet optimizers.cpp adagrad
template <class T>
class Adagrad : public Optimizer<T> {
 public:
  /// Adagrad over \p groups (groups without options take \p defaults). ValueError for a
  /// negative lr, lr_decay, weight decay, initial_accumulator_value or eps.
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

 private:
  // A sum of \p param's shape filled with the defaults' initial_accumulator_value.
  Tensor<T> initial_sum(const Tensor<T>& param) const;
};

extern template class Adagrad<float>;
extern template class Adagrad<double>;

}  // namespace eigrad::optim
