#pragma once
/// \file rmsprop.hpp
/// \brief RMSprop, optionally centered and with momentum (PyTorch 1.13's `torch.optim.RMSprop`).
#include <string>
#include <utility>
#include <vector>

#include "eigrad/optim/optimizer.hpp"

namespace eigrad::optim {

/// Options of RMSprop, with chained setters: `RMSpropOptions(1e-3).alpha(0.9).centered(true)`.
class RMSpropOptions : public detail::OptionsBase<RMSpropOptions> {
 public:
  /// Options with learning rate \p lr (PyTorch's default 1e-2).
  explicit RMSpropOptions(double lr = 1e-2) : lr_(lr) {}

  /// The name in messages.
  static constexpr const char* kName = "RMSpropOptions";
  /// Calls \p f(PyTorch name, option) for every option of \p self, in checkpoint order.
  template <class Self, class Visitor>
  static void visit(Self& self, Visitor&& f) {
    f("lr", self.lr());
    f("alpha", self.alpha());
    f("eps", self.eps());
    f("weight_decay", self.weight_decay());
    f("momentum", self.momentum());
    f("centered", self.centered());
    f("maximize", self.maximize());
  }

  /// The learning rate.
  EIGRAD_ARG(double, lr);
  /// The smoothing constant of the squared-gradient average.
  EIGRAD_ARG(double, alpha) = 0.99;
  /// The term added to the root of the average (after the square root, as PyTorch).
  EIGRAD_ARG(double, eps) = 1e-8;
  /// The L2 penalty added to the gradient.
  EIGRAD_ARG(double, weight_decay) = 0;
  /// The momentum factor (0 disables momentum).
  EIGRAD_ARG(double, momentum) = 0;
  /// Centering: normalise by an estimate of the gradient's variance instead of its second
  /// moment.
  EIGRAD_ARG(bool, centered) = false;
  /// Whether the objective is maximised instead of minimised.
  EIGRAD_ARG(bool, maximize) = false;
};

/// RMSprop, PyTorch 1.13's rule per parameter p with gradient g:
/// g ← −g if maximize; g ← g + wd·p; v ← α·v + (1 − α)·g²; when centered
/// m ← α·m + (1 − α)·g and avg = √(v − m²) + eps, else avg = √v + eps; with momentum
/// buf ← momentum·buf + g/avg and p ← p − lr·buf, else p ← p − lr·g/avg.
///
/// \snippet optimizers.cpp rmsprop
template <class T>
class RMSprop : public Optimizer<T> {
 public:
  /// RMSprop over \p groups (groups without options take \p defaults). ValueError for a
  /// negative lr, alpha, eps, momentum or weight decay.
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
