// Adagrad: PyTorch 1.13's _single_tensor_adagrad, element by element in T, in PyTorch's order.
#include "eigrad/optim/adagrad.hpp"

#include <cmath>
#include <vector>

#include "eigrad/cuda/kernels.hpp"

namespace eigrad::optim {

template <class T>
Adagrad<T>::Adagrad(std::vector<ParamGroup<T>> groups, const AdagradOptions& defaults)
    : Optimizer<T>(defaults.clone()) {
  this->add_param_groups(groups);
}

template <class T>
void Adagrad<T>::validate(const OptimizerOptions& options) const {
  const auto& o = this->template options_as<AdagradOptions>(options);
  detail::check_non_negative("Adagrad", "lr", o.lr());
  detail::check_non_negative("Adagrad", "lr_decay", o.lr_decay());
  detail::check_non_negative("Adagrad", "weight_decay", o.weight_decay());
  detail::check_non_negative("Adagrad", "initial_accumulator_value", o.initial_accumulator_value());
  detail::check_non_negative("Adagrad", "eps", o.eps());
}

template <class T>
Tensor<T> Adagrad<T>::initial_sum(const Tensor<T>& param) const {
  // PyTorch 1.13's constructor: state_sum = full_like(p, initial_accumulator_value) with its
  // own argument, i.e. the defaults, for every group. A group's value stays in its options
  // (and in checkpoints, as in PyTorch's state_dict) without effect; a checkpoint restores
  // the sums themselves, so a resumed run does not depend on either value.
  const auto& defaults = this->template options_as<AdagradOptions>(this->defaults());
  return full<T>(param.shape(), static_cast<T>(defaults.initial_accumulator_value()), TensorOptions(param.device()));
}

template <class T>
void Adagrad<T>::init_group(ParamGroup<T>& group) {
  for (auto& p : group.params()) {
    ParamState<T>& state = this->mutable_state(p);
    state.step = 0;
    state.buffers["sum"] = initial_sum(p);
  }
}

template <class T>
void Adagrad<T>::update(ParamGroup<T>& group) {
  const auto& o = this->template options_as<AdagradOptions>(group.options());
  const T eps = static_cast<T>(o.eps());
  std::vector<T> g;
  for (auto& p : group.params()) {
    if (!p.grad().defined()) continue;
    if (p.is_cuda()) {
      this->check_gradient(p);
      ParamState<T>& state = this->mutable_state(p);
      Tensor<T>& sum_t = state.buffers["sum"];
      if (!sum_t.defined())
        sum_t = initial_sum(p);
      else if (sum_t.device() != p.device())
        sum_t = sum_t.to(p.device());  // made by init_group before the module moved
      state.step += 1;
      const auto s = cuda::AdagradStep<T>::make(o.lr(), o.lr_decay(), o.eps(), o.weight_decay(), o.maximize(),
                                                state.step);
      cuda::adagrad_step(s, p.data_ptr(), p.grad().data_ptr(), sum_t.data_ptr(), p.numel());
      this->bump_version(p);
      continue;
    }
    this->gradient_for_update(p, o.maximize(), o.weight_decay(), g);
    const std::int64_t n = p.numel();
    ParamState<T>& state = this->mutable_state(p);
    Tensor<T>& sum_t = state.buffers["sum"];
    if (!sum_t.defined()) sum_t = initial_sum(p);  // a checkpoint without this parameter's state
    state.step += 1;
    const double step = static_cast<double>(state.step);
    T* param = p.data();
    T* sum = sum_t.data();
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
