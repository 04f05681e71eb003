#pragma once
/// \file sgd.hpp
/// \brief Stochastic gradient descent with momentum, dampening, Nesterov momentum and weight
///        decay (PyTorch 1.13's `torch.optim.SGD`).
#include <string>
#include <utility>
#include <vector>

#include "eigrad/optim/optimizer.hpp"

namespace eigrad::optim {

/// Options of SGD, with chained setters: `SGDOptions(1e-6).momentum(0.9).nesterov(true)`.
class SGDOptions : public detail::OptionsBase<SGDOptions> {
 public:
  /// Options with learning rate \p lr (SGD has no default learning rate).
  explicit SGDOptions(double lr) : lr_(lr) {}

  /// The name in messages.
  static constexpr const char* kName = "SGDOptions";
  /// Calls \p f(PyTorch name, option) for every option of \p self, in checkpoint order.
  template <class Self, class Visitor>
  static void visit(Self& self, Visitor&& f) {
    f("lr", self.lr());
    f("momentum", self.momentum());
    f("dampening", self.dampening());
    f("weight_decay", self.weight_decay());
    f("nesterov", self.nesterov());
    f("maximize", self.maximize());
  }

  /// The learning rate.
  EIGRAD_ARG(double, lr);
  /// The momentum factor (0 disables momentum).
  EIGRAD_ARG(double, momentum) = 0;
  /// The dampening of momentum: the new gradient enters the buffer scaled by 1 - dampening.
  EIGRAD_ARG(double, dampening) = 0;
  /// The L2 penalty added to the gradient (weight_decay · param).
  EIGRAD_ARG(double, weight_decay) = 0;
  /// Nesterov momentum (needs momentum > 0 and zero dampening).
  EIGRAD_ARG(bool, nesterov) = false;
  /// Whether the objective is maximised instead of minimised.
  EIGRAD_ARG(bool, maximize) = false;
};

/// SGD, PyTorch 1.13's rule per parameter p with gradient g:
/// g ← −g if maximize; g ← g + wd·p; with momentum, buf ← g on the first step (a copy) and
/// buf ← momentum·buf + (1 − dampening)·g afterwards, then g ← g + momentum·buf (Nesterov)
/// or g ← buf; finally p ← p − lr·g.
///
/// \snippet optimizers.cpp sgd
template <class T>
class SGD : public Optimizer<T> {
 public:
  /// SGD over \p groups (groups without options take \p defaults). ValueError for a negative
  /// lr, momentum, dampening or weight decay, Nesterov without momentum or with dampening,
  /// or no parameters at all.
  SGD(std::vector<ParamGroup<T>> groups, const SGDOptions& defaults);
  /// SGD over one group of \p params.
  SGD(std::vector<Tensor<T>> params, const SGDOptions& defaults)
      : SGD(std::vector<ParamGroup<T>>{ParamGroup<T>(std::move(params))}, defaults) {}

  std::string name() const override { return "SGD"; }

 protected:
  void validate(const OptimizerOptions& options) const override;
  std::vector<std::string> buffer_names() const override { return {"momentum_buffer"}; }
  void update(ParamGroup<T>& group) override;
};

extern template class SGD<float>;
extern template class SGD<double>;

}  // namespace eigrad::optim
