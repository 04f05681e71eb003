// AdamW: PyTorch 1.13's _single_tensor_adamw (decoupled weight decay, then Adam's step).
#include "eigrad/optim/adamw.hpp"

#include <stdexcept>
#include <vector>

#include "eigrad/optim/adam.hpp"

namespace eigrad::optim {

std::vector<std::pair<std::string, double>> AdamWOptions::values() const {
  return {{"lr", lr_},
          {"beta1", std::get<0>(betas_)},
          {"beta2", std::get<1>(betas_)},
          {"eps", eps_},
          {"weight_decay", weight_decay_},
          {"amsgrad", amsgrad_ ? 1.0 : 0.0},
          {"maximize", maximize_ ? 1.0 : 0.0}};
}

void AdamWOptions::set_values(const std::map<std::string, double>& v) {
  const char* who = "AdamWOptions";
  lr_ = detail::option_value(v, who, "lr");
  betas_ = {detail::option_value(v, who, "beta1"), detail::option_value(v, who, "beta2")};
  eps_ = detail::option_value(v, who, "eps");
  weight_decay_ = detail::option_value(v, who, "weight_decay");
  amsgrad_ = detail::option_value(v, who, "amsgrad") != 0;
  maximize_ = detail::option_value(v, who, "maximize") != 0;
}

template <class T>
AdamW<T>::AdamW(std::vector<ParamGroup<T>> groups, const AdamWOptions& defaults)
    : Optimizer<T>(defaults.clone()) {
  validate(defaults);
  for (const auto& g : groups) this->add_param_group(g);
}

template <class T>
void AdamW<T>::validate(const OptimizerOptions& options) const {
  const auto* o = dynamic_cast<const AdamWOptions*>(&options);
  if (!o) throw std::invalid_argument("AdamW: parameter group options must be AdamWOptions");
  detail::check_adam_options("AdamW", o->lr(), std::get<0>(o->betas()), std::get<1>(o->betas()), o->eps(),
                             o->weight_decay());
}

template <class T>
void AdamW<T>::update(ParamGroup<T>& group) {
  const auto& o = this->template options_of<AdamWOptions>(group);
  // param.mul_(1 - lr * weight_decay): the factor is a Python float
  const T decay = static_cast<T>(1 - o.lr() * o.weight_decay());
  std::vector<T> g;
  for (auto& p : group.params()) {
    if (!p.grad().defined()) continue;
    this->check_update(p);
    const std::int64_t n = p.numel();
    const T* grad = p.grad().data();
    T* param = p.data();
    g.assign(grad, grad + n);
    if (o.maximize())
      for (auto& v : g) v = -v;
    for (std::int64_t i = 0; i < n; ++i) param[i] = param[i] * decay;
    detail::adam_param_step(this->mutable_state(p), p, g.data(), o.lr(), std::get<0>(o.betas()),
                            std::get<1>(o.betas()), o.eps(), o.amsgrad());
    this->bump_version(p);
  }
}

template class AdamW<float>;
template class AdamW<double>;

}  // namespace eigrad::optim
