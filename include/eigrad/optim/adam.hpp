#pragma once
/// \file adam.hpp
/// \brief Adam, optionally AMSGrad (PyTorch 1.13's `torch.optim.Adam`), and what AdamW
///        shares with it: the options and the update, which differ only in weight decay.
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "eigrad/optim/optimizer.hpp"

namespace eigrad::optim {

/// Which member of the Adam family: where weight decay enters the update.
enum class AdamVariant {
  Adam,  ///< coupled: wd·p is added to the gradient (an L2 penalty)
  AdamW  ///< decoupled: p is scaled by 1 − lr·wd before the step
};

/// Options of Adam (AdamOptions) and AdamW (AdamWOptions), with chained setters:
/// `AdamOptions(1e-2).betas({0.8, 0.95}).amsgrad(true)`. They differ only in the default
/// weight decay (0 for Adam, 1e-2 for AdamW) and in how the optimizer applies it.
template <AdamVariant Variant>
class BasicAdamOptions : public detail::OptionsBase<BasicAdamOptions<Variant>> {
 public:
  /// The decay rates (beta1, beta2) of the first and second moment averages.
  using Betas = std::tuple<double, double>;

  /// Options with learning rate \p lr (PyTorch's default 1e-3).
  explicit BasicAdamOptions(double lr = 1e-3) : lr_(lr) {}

  /// The name in messages.
  static constexpr const char* kName = Variant == AdamVariant::AdamW ? "AdamWOptions" : "AdamOptions";
  /// Calls \p f(PyTorch name, option) for every option of \p self, in checkpoint order
  /// (the betas as "beta1" and "beta2").
  template <class Self, class Visitor>
  static void visit(Self& self, Visitor&& f) {
    f("lr", self.lr());
    f("beta1", std::get<0>(self.betas()));
    f("beta2", std::get<1>(self.betas()));
    f("eps", self.eps());
    f("weight_decay", self.weight_decay());
    f("amsgrad", self.amsgrad());
    f("maximize", self.maximize());
  }

  /// The learning rate.
  EIGRAD_ARG(double, lr);
  /// The decay rates (beta1, beta2) of the first and second moment averages.
  EIGRAD_ARG(Betas, betas) = {0.9, 0.999};
  /// The term added to the denominator.
  EIGRAD_ARG(double, eps) = 1e-8;
  /// The weight decay: Adam's L2 penalty added to the gradient (default 0), AdamW's
  /// decoupled decay, each step first scaling p by 1 − lr·weight_decay (default 1e-2).
  EIGRAD_ARG(double, weight_decay) = Variant == AdamVariant::AdamW ? 1e-2 : 0.0;
  /// AMSGrad: normalise by the running maximum of the second moment.
  EIGRAD_ARG(bool, amsgrad) = false;
  /// Whether the objective is maximised instead of minimised.
  EIGRAD_ARG(bool, maximize) = false;
};

/// Options of Adam.
using AdamOptions = BasicAdamOptions<AdamVariant::Adam>;

/// The Adam family, PyTorch 1.13's rules per parameter p with gradient g at step t:
/// g ← −g if maximize; Adam: g ← g + wd·p, AdamW: p ← p·(1 − lr·wd); then
/// m ← β1·m + (1 − β1)·g; v ← β2·v + (1 − β2)·g²; with AMSGrad v̂ ← max(v̂, v) replaces v
/// below; denom = √v / √(1 − β2ᵗ) + eps; p ← p − (lr / (1 − β1ᵗ))·m / denom.
template <class T, AdamVariant Variant>
class BasicAdam : public Optimizer<T> {
 public:
  /// The options struct of this variant.
  using Options = BasicAdamOptions<Variant>;

  /// The optimizer over \p groups (groups without options take \p defaults). ValueError for
  /// a negative lr, eps or weight decay, or a beta outside [0, 1).
  BasicAdam(std::vector<ParamGroup<T>> groups, const Options& defaults = Options());
  /// The optimizer over one group of \p params.
  BasicAdam(std::vector<Tensor<T>> params, const Options& defaults = Options())
      : BasicAdam(std::vector<ParamGroup<T>>{ParamGroup<T>(std::move(params))}, defaults) {}

  /// "Adam" or "AdamW".
  std::string name() const override { return Variant == AdamVariant::AdamW ? "AdamW" : "Adam"; }

 protected:
  /// Checks that \p options are this variant's and in range.
  void validate(const OptimizerOptions& options) const override;
  /// "exp_avg", "exp_avg_sq" and, with AMSGrad, "max_exp_avg_sq".
  std::vector<std::string> buffer_names() const override {
    return {"exp_avg", "exp_avg_sq", "max_exp_avg_sq"};
  }
  /// One step of the variant's rule for every parameter of \p group with a gradient.
  void update(ParamGroup<T>& group) override;
};

/// Adam (PyTorch 1.13's `torch.optim.Adam`): weight decay as an L2 penalty in the gradient.
///
/// \snippet optimizers.cpp adam
template <class T>
class Adam : public BasicAdam<T, AdamVariant::Adam> {
 public:
  /// BasicAdam's constructors: over parameter groups or one list of parameters.
  using BasicAdam<T, AdamVariant::Adam>::BasicAdam;
};

extern template class BasicAdam<float, AdamVariant::Adam>;
extern template class BasicAdam<double, AdamVariant::Adam>;
extern template class BasicAdam<float, AdamVariant::AdamW>;
extern template class BasicAdam<double, AdamVariant::AdamW>;

}  // namespace eigrad::optim
