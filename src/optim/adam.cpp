// Adam and AdamW: PyTorch 1.13's _single_tensor_adam and _single_tensor_adamw, element by
// element in T, in PyTorch's order. They differ only in where the weight decay enters.
#include "eigrad/optim/adam.hpp"

#include <cmath>
#include <vector>

#include "eigrad/cuda/kernels.hpp"

namespace eigrad::optim {

namespace {

// The moment updates and the parameter step, after weight decay.
template <class T>
void adam_step(ParamState<T>& state, const Tensor<T>& p, const T* grad, double lr, double beta1_d,
               double beta2_d, double eps_d, bool amsgrad) {
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

}  // namespace

template <class T, AdamVariant Variant>
BasicAdam<T, Variant>::BasicAdam(std::vector<ParamGroup<T>> groups, const Options& defaults)
    : Optimizer<T>(defaults.clone()) {
  this->add_param_groups(groups);
}

template <class T, AdamVariant Variant>
void BasicAdam<T, Variant>::validate(const OptimizerOptions& options) const {
  const auto& o = this->template options_as<Options>(options);
  const std::string who = name();
  detail::check_non_negative(who, "lr", o.lr());
  detail::check_non_negative(who, "eps", o.eps());
  const auto [beta1, beta2] = o.betas();
  EIGRAD_CHECK(beta1 >= 0 && beta1 < 1, ValueError, who, ": invalid beta1 = ", detail::format_number(beta1),
               " (betas must be in [0, 1))");
  EIGRAD_CHECK(beta2 >= 0 && beta2 < 1, ValueError, who, ": invalid beta2 = ", detail::format_number(beta2),
               " (betas must be in [0, 1))");
  detail::check_non_negative(who, "weight_decay", o.weight_decay());
}

template <class T, AdamVariant Variant>
void BasicAdam<T, Variant>::update(ParamGroup<T>& group) {
  const auto& o = this->template options_as<Options>(group.options());
  constexpr bool decoupled = Variant == AdamVariant::AdamW;
  // AdamW's param.mul_(1 - lr * weight_decay): the factor is a Python float.
  const T decay = static_cast<T>(1 - o.lr() * o.weight_decay());
  std::vector<T> g;
  for (auto& p : group.params()) {
    if (!p.grad().defined()) continue;
    if (p.is_cuda()) {
      this->check_gradient(p);
      ParamState<T>& state = this->mutable_state(p);
      T* exp_avg = this->buffer_on_device(state, "exp_avg", p).data_ptr();
      T* exp_avg_sq = this->buffer_on_device(state, "exp_avg_sq", p).data_ptr();
      T* max_exp_avg_sq = o.amsgrad() ? this->buffer_on_device(state, "max_exp_avg_sq", p).data_ptr() : nullptr;
      state.step += 1;
      const auto s = cuda::AdamStep<T>::make(o.lr(), std::get<0>(o.betas()), std::get<1>(o.betas()), o.eps(),
                                             o.weight_decay(), o.amsgrad(), o.maximize(), decoupled, state.step);
      cuda::adam_step(s, p.data_ptr(), p.grad().data_ptr(), exp_avg, exp_avg_sq, max_exp_avg_sq, p.numel());
      this->bump_version(p);
      continue;
    }
    this->gradient_for_update(p, o.maximize(), decoupled ? 0.0 : o.weight_decay(), g);
    if (decoupled) {
      T* param = p.data();
      for (std::int64_t i = 0, n = p.numel(); i < n; ++i) param[i] = param[i] * decay;
    }
    adam_step(this->mutable_state(p), p, g.data(), o.lr(), std::get<0>(o.betas()), std::get<1>(o.betas()), o.eps(),
              o.amsgrad());
    this->bump_version(p);
  }
}

template class BasicAdam<float, AdamVariant::Adam>;
template class BasicAdam<double, AdamVariant::Adam>;
template class BasicAdam<float, AdamVariant::AdamW>;
template class BasicAdam<double, AdamVariant::AdamW>;

}  // namespace eigrad::optim
