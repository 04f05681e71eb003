#pragma once
/// \file sgd.hpp
/// \brief Stochastic gradient descent with momentum, dampening, Nesterov momentum and weight
///        decay (PyTorch 1.13's `torch.optim.SGD`).
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "eigrad/optim/optimizer.hpp"

namespace eigrad::optim {

/// Options of SGD, with chained setters: `SGDOptions(1e-6).momentum(0.9).nesterov(true)`.
class SGDOptions : public OptimizerOptions {
 public:
  /// Options with learning rate \p lr (SGD has no default learning rate).
  explicit SGDOptions(double lr) : lr_(lr) {}

  /// Sets the learning rate.
  SGDOptions& lr(double v) { lr_ = v; return *this; }
  /// The learning rate.
  double lr() const { return lr_; }
  /// Sets the momentum factor (0 disables momentum).
  SGDOptions& momentum(double v) { momentum_ = v; return *this; }
  /// The momentum factor.
  double momentum() const { return momentum_; }
  /// Sets the dampening of momentum: the new gradient enters the buffer scaled by 1 - dampening.
  SGDOptions& dampening(double v) { dampening_ = v; return *this; }
  /// The dampening.
  double dampening() const { return dampening_; }
  /// Sets the L2 penalty added to the gradient (weight_decay · param).
  SGDOptions& weight_decay(double v) { weight_decay_ = v; return *this; }
  /// The L2 penalty.
  double weight_decay() const { return weight_decay_; }
  /// Sets Nesterov momentum (needs momentum > 0 and zero dampening).
  SGDOptions& nesterov(bool v) { nesterov_ = v; return *this; }
  /// Whether Nesterov momentum is used.
  bool nesterov() const { return nesterov_; }
  /// Sets whether the objective is maximised instead of minimised.
  SGDOptions& maximize(bool v) { maximize_ = v; return *this; }
  /// Whether the objective is maximised.
  bool maximize() const { return maximize_; }

  std::unique_ptr<OptimizerOptions> clone() const override { return std::make_unique<SGDOptions>(*this); }
  double get_lr() const override { return lr_; }
  void set_lr(double lr) override { lr_ = lr; }
  std::vector<std::pair<std::string, double>> values() const override;
  void set_values(const std::map<std::string, double>& values) override;

 private:
  double lr_;
  double momentum_ = 0;
  double dampening_ = 0;
  double weight_decay_ = 0;
  bool nesterov_ = false;
  bool maximize_ = false;
};

/// SGD, PyTorch 1.13's rule per parameter p with gradient g:
/// g ← −g if maximize; g ← g + wd·p; with momentum, buf ← g on the first step (a copy) and
/// buf ← momentum·buf + (1 − dampening)·g afterwards, then g ← g + momentum·buf (Nesterov)
/// or g ← buf; finally p ← p − lr·g.
template <class T>
class SGD : public Optimizer<T> {
 public:
  /// SGD over \p groups (groups without options take \p defaults). std::invalid_argument for
  /// a negative lr, momentum or weight decay, or Nesterov without momentum or with dampening.
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
