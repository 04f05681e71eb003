// Adam: PyTorch 1.13's _single_tensor_adam, element by element in T, in PyTorch's order.
#include "eigrad/optim/adam.hpp"

#include <cmath>
#include <stdexcept>
#include <vector>

namespace eigrad::optim {

std::vector<std::pair<std::string, double>> AdamOptions::values() const {
  return {{"lr", lr_},
          {"beta1", std::get<0>(betas_)},
          {"beta2", std::get<1>(betas_)},
          {"eps", eps_},
          {"weight_decay", weight_decay_},
          {"amsgrad", amsgrad_ ? 1.0 : 0.0},
          {"maximize", maximize_ ? 1.0 : 0.0}};
}

void AdamOptions::set_values(const std::map<std::string, double>& v) {
  const char* who = "AdamOptions";
  lr_ = detail::option_value(v, who, "lr");
  betas_ = {detail::option_value(v, who, "beta1"), detail::option_value(v, who, "beta2")};
  eps_ = detail::option_value(v, who, "eps");
  weight_decay_ = detail::option_value(v, who, "weight_decay");
  amsgrad_ = detail::option_value(v, who, "amsgrad") != 0;
  maximize_ = detail::option_value(v, who, "maximize") != 0;
}

namespace detail {

void check_adam_options(const char* who, double lr, double beta1, double beta2, double eps,
                        double weight_decay) {
  check_non_negative(who, "lr", lr);
  check_non_negative(who, "eps", eps);
  if (!(beta1 >= 0 && beta1 < 1))
    throw std::invalid_argument(std::string(who) + ": invalid beta1 = " + format_number(beta1) +
                                " (betas must be in [0, 1))");
  if (!(beta2 >= 0 && beta2 < 1))
    throw std::invalid_argument(std::string(who) + ": invalid beta2 = " + format_number(beta2) +
                                " (betas must be in [0, 1))");
  check_non_negative(who, "weight_decay", weight_decay);
}

template <class T>
void adam_param_step(ParamState<T>& state, const Tensor<T>& p, const T* grad, double lr,
                     double beta1_d, double beta2_d, double eps_d, bool amsgrad) {
  const std::int64_t n = p.numel();
  Tensor<T>& exp_avg_t = state.buffers["exp_avg"];
  if (!exp_avg_t.defined()) exp_avg_t = zeros<T>(p.shape());
  Tensor<T>& exp_avg_sq_t = state.buffers["exp_avg_sq"];
  if (!exp_avg_sq_t.defined()) exp_avg_sq_t = zeros<T>(p.shape());
  state.step += 1;

  T* param = p.data();
  T* exp_avg = exp_avg_t.data();
  T* exp_avg_sq = exp_avg_sq_t.data();
  const T beta1 = static_cast<T>(beta1_d);
  const T beta2 = static_cast<T>(beta2_d);
  const T one_minus_beta1 = static_cast<T>(1 - beta1_d);
  const T one_minus_beta2 = static_cast<T>(1 - beta2_d);
  // exp_avg.mul_(beta1).add_(grad, alpha=1 - beta1)
  for (std::int64_t i = 0; i < n; ++i) exp_avg[i] = exp_avg[i] * beta1;
  for (std::int64_t i = 0; i < n; ++i) exp_avg[i] = exp_avg[i] + one_minus_beta1 * grad[i];
  // exp_avg_sq.mul_(beta2).addcmul_(grad, grad, value=1 - beta2)
  for (std::int64_t i = 0; i < n; ++i) exp_avg_sq[i] = exp_avg_sq[i] * beta2;
  for (std::int64_t i = 0; i < n; ++i) exp_avg_sq[i] = exp_avg_sq[i] + one_minus_beta2 * grad[i] * grad[i];

  // The bias corrections are Python floats (double), as in PyTorch.
  const double step = static_cast<double>(state.step);
  const double bias_correction1 = 1 - std::pow(beta1_d, step);
  const double bias_correction2 = 1 - std::pow(beta2_d, step);
  const double step_size = lr / bias_correction1;
  const T bias_correction2_sqrt = static_cast<T>(std::sqrt(bias_correction2));
  const T eps = static_cast<T>(eps_d);
  const T neg_step_size = static_cast<T>(-step_size);

  const T* second = exp_avg_sq;
  if (amsgrad) {
    Tensor<T>& max_t = state.buffers["max_exp_avg_sq"];
    if (!max_t.defined()) max_t = zeros<T>(p.shape());
    T* max_exp_avg_sq = max_t.data();
    // torch.maximum(max_exp_avg_sqs[i], exp_avg_sq, out=max_exp_avg_sqs[i]) (NaN propagates)
    for (std::int64_t i = 0; i < n; ++i) {
      const T a = max_exp_avg_sq[i], b = exp_avg_sq[i];
      max_exp_avg_sq[i] = (std::isnan(a) || std::isnan(b)) ? a + b : (a > b ? a : b);
    }
    second = max_exp_avg_sq;
  }
  // denom = (second.sqrt() / bias_correction2_sqrt).add_(eps);
  // param.addcdiv_(exp_avg, denom, value=-step_size)
  for (std::int64_t i = 0; i < n; ++i) {
    const T denom = std::sqrt(second[i]) / bias_correction2_sqrt + eps;
    param[i] = param[i] + neg_step_size * exp_avg[i] / denom;
  }
}

template void adam_param_step<float>(ParamState<float>&, const Tensor<float>&, const float*, double,
                                     double, double, double, bool);
template void adam_param_step<double>(ParamState<double>&, const Tensor<double>&, const double*,
                                      double, double, double, double, bool);

}  // namespace detail

template <class T>
Adam<T>::Adam(std::vector<ParamGroup<T>> groups, const AdamOptions& defaults)
    : Optimizer<T>(defaults.clone()) {
  validate(defaults);
  for (const auto& g : groups) this->add_param_group(g);
}

template <class T>
void Adam<T>::validate(const OptimizerOptions& options) const {
  const auto* o = dynamic_cast<const AdamOptions*>(&options);
  if (!o) throw std::invalid_argument("Adam: parameter group options must be AdamOptions");
  detail::check_adam_options("Adam", o->lr(), std::get<0>(o->betas()), std::get<1>(o->betas()), o->eps(),
                             o->weight_decay());
}

template <class T>
void Adam<T>::update(ParamGroup<T>& group) {
  const auto& o = this->template options_of<AdamOptions>(group);
  const T weight_decay = static_cast<T>(o.weight_decay());
  std::vector<T> g;
  for (auto& p : group.params()) {
    if (!p.grad().defined()) continue;
    this->check_update(p);
    const std::int64_t n = p.numel();
    const T* grad = p.grad().data();
    const T* param = p.data();
    g.assign(grad, grad + n);
    if (o.maximize())
      for (auto& v : g) v = -v;
    if (o.weight_decay() != 0)
      for (std::int64_t i = 0; i < n; ++i) g[i] = g[i] + weight_decay * param[i];
    detail::adam_param_step(this->mutable_state(p), p, g.data(), o.lr(), std::get<0>(o.betas()),
                            std::get<1>(o.betas()), o.eps(), o.amsgrad());
    this->bump_version(p);
  }
}

template class Adam<float>;
template class Adam<double>;

}  // namespace eigrad::optim
