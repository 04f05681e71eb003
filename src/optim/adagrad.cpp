// Adagrad: PyTorch 1.13's _single_tensor_adagrad, element by element in T, in PyTorch's order.
#include "eigrad/optim/adagrad.hpp"

#include <cmath>
#include <stdexcept>
#include <vector>

namespace eigrad::optim {

std::vector<std::pair<std::string, double>> AdagradOptions::values() const {
  return {{"lr", lr_},
          {"lr_decay", lr_decay_},
          {"weight_decay", weight_decay_},
          {"initial_accumulator_value", initial_accumulator_value_},
          {"eps", eps_},
          {"maximize", maximize_ ? 1.0 : 0.0}};
}

void AdagradOptions::set_values(const std::map<std::string, double>& v) {
  const char* who = "AdagradOptions";
  lr_ = detail::option_value(v, who, "lr");
  lr_decay_ = detail::option_value(v, who, "lr_decay");
  weight_decay_ = detail::option_value(v, who, "weight_decay");
  initial_accumulator_value_ = detail::option_value(v, who, "initial_accumulator_value");
  eps_ = detail::option_value(v, who, "eps");
  maximize_ = detail::option_value(v, who, "maximize") != 0;
}

template <class T>
Adagrad<T>::Adagrad(std::vector<ParamGroup<T>> groups, const AdagradOptions& defaults)
    : Optimizer<T>(defaults.clone()) {
  validate(defaults);
  for (const auto& g : groups) this->add_param_group(g);
}

template <class T>
void Adagrad<T>::validate(const OptimizerOptions& options) const {
  const auto* o = dynamic_cast<const AdagradOptions*>(&options);
  if (!o) throw std::invalid_argument("Adagrad: parameter group options must be AdagradOptions");
  detail::check_non_negative("Adagrad", "lr", o->lr());
  detail::check_non_negative("Adagrad", "lr_decay", o->lr_decay());
  detail::check_non_negative("Adagrad", "weight_decay", o->weight_decay());
  detail::check_non_negative("Adagrad", "initial_accumulator_value", o->initial_accumulator_value());
  detail::check_non_negative("Adagrad", "eps", o->eps());
}

template <class T>
void Adagrad<T>::init_group(ParamGroup<T>& group) {
  // As PyTorch's constructor: step 0 and sum = full_like(p, initial_accumulator_value).
  const auto& o = this->template options_of<AdagradOptions>(group);
  for (auto& p : group.params()) {
    ParamState<T>& state = this->mutable_state(p);
    state.step = 0;
    state.buffers["sum"] = full<T>(p.shape(), static_cast<T>(o.initial_accumulator_value()));
  }
}

template <class T>
void Adagrad<T>::update(ParamGroup<T>& group) {
  const auto& o = this->template options_of<AdagradOptions>(group);
  const T weight_decay = static_cast<T>(o.weight_decay());
  const T eps = static_cast<T>(o.eps());
  std::vector<T> g;
  for (auto& p : group.params()) {
    if (!p.grad().defined()) continue;
    this->check_update(p);
    const std::int64_t n = p.numel();
    ParamState<T>& state = this->mutable_state(p);
    Tensor<T>& sum_t = state.buffers["sum"];
    if (!sum_t.defined()) sum_t = full<T>(p.shape(), static_cast<T>(o.initial_accumulator_value()));
    state.step += 1;
    const double step = static_cast<double>(state.step);
    T* param = p.data();
    const T* grad = p.grad().data();
    T* sum = sum_t.data();
    g.assign(grad, grad + n);
    if (o.maximize())
      for (auto& v : g) v = -v;
    if (o.weight_decay() != 0)
      for (std::int64_t i = 0; i < n; ++i) g[i] = g[i] + weight_decay * param[i];
    const double clr = o.lr() / (1 + (step - 1) * o.lr_decay());
    const T neg_clr = static_cast<T>(-clr);
    // state_sum.addcmul_(grad, grad, value=1); std = state_sum.sqrt().add_(eps);
    // param.addcdiv_(grad, std, value=-clr)
    for (std::int64_t i = 0; i < n; ++i) sum[i] = sum[i] + T(1) * g[i] * g[i];
    for (std::int64_t i = 0; i < n; ++i) {
      const T std_dev = std::sqrt(sum[i]) + eps;
      param[i] = param[i] + neg_clr * g[i] / std_dev;
    }
    this->bump_version(p);
  }
}

template class Adagrad<float>;
template class Adagrad<double>;

}  // namespace eigrad::optim
