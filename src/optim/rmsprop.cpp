// RMSprop: PyTorch 1.13's _single_tensor_rmsprop, element by element in T, in PyTorch's order.
#include "eigrad/optim/rmsprop.hpp"

#include <cmath>
#include <vector>

#include "eigrad/cuda/kernels.hpp"

namespace eigrad::optim {

template <class T>
RMSprop<T>::RMSprop(std::vector<ParamGroup<T>> groups, const RMSpropOptions& defaults)
    : Optimizer<T>(defaults.clone()) {
  this->add_param_groups(groups);
}

template <class T>
void RMSprop<T>::validate(const OptimizerOptions& options) const {
  const auto& o = this->template options_as<RMSpropOptions>(options);
  detail::check_non_negative("RMSprop", "lr", o.lr());
  detail::check_non_negative("RMSprop", "eps", o.eps());
  detail::check_non_negative("RMSprop", "momentum", o.momentum());
  detail::check_non_negative("RMSprop", "weight_decay", o.weight_decay());
  detail::check_non_negative("RMSprop", "alpha", o.alpha());
}

template <class T>
void RMSprop<T>::update(ParamGroup<T>& group) {
  const auto& o = this->template options_as<RMSpropOptions>(group.options());
  const T alpha = static_cast<T>(o.alpha());
  const T one_minus_alpha = static_cast<T>(1 - o.alpha());
  const T eps = static_cast<T>(o.eps());
  const T momentum = static_cast<T>(o.momentum());
  const T neg_lr = static_cast<T>(-o.lr());
  std::vector<T> g, avg;
  for (auto& p : group.params()) {
    if (!p.grad().defined()) continue;
    if (p.is_cuda()) {
      this->check_gradient(p);
      ParamState<T>& state = this->mutable_state(p);
      T* square_avg = this->buffer_on_device(state, "square_avg", p).data_ptr();
      state.step += 1;
      T* grad_avg = o.centered() ? this->buffer_on_device(state, "grad_avg", p).data_ptr() : nullptr;
      T* momentum_buffer = o.momentum() > 0 ? this->buffer_on_device(state, "momentum_buffer", p).data_ptr() : nullptr;
      const auto s = cuda::RmspropStep<T>::make(o.lr(), o.alpha(), o.eps(), o.weight_decay(), o.momentum(),
                                                o.centered(), o.maximize());
      cuda::rmsprop_step(s, p.data_ptr(), p.grad().data_ptr(), square_avg, grad_avg, momentum_buffer, p.numel());
      this->bump_version(p);
      continue;
    }
    this->gradient_for_update(p, o.maximize(), o.weight_decay(), g);
    const std::int64_t n = p.numel();
    ParamState<T>& state = this->mutable_state(p);
    Tensor<T>& square_avg_t = state.buffers["square_avg"];
    if (!square_avg_t.defined()) square_avg_t = zeros<T>(p.shape());
    state.step += 1;
    T* param = p.data();
    T* square_avg = square_avg_t.data();
    // square_avg.mul_(alpha).addcmul_(grad, grad, value=1 - alpha); ATen's addcmul is
    // self + value * t1 * t2, evaluated left to right.
    for (std::int64_t i = 0; i < n; ++i) square_avg[i] = square_avg[i] * alpha;
    for (std::int64_t i = 0; i < n; ++i) square_avg[i] = square_avg[i] + one_minus_alpha * g[i] * g[i];
    avg.resize(static_cast<std::size_t>(n));
    if (o.centered()) {
      Tensor<T>& grad_avg_t = state.buffers["grad_avg"];
      if (!grad_avg_t.defined()) grad_avg_t = zeros<T>(p.shape());
      T* grad_avg = grad_avg_t.data();
      for (std::int64_t i = 0; i < n; ++i) grad_avg[i] = grad_avg[i] * alpha;
      for (std::int64_t i = 0; i < n; ++i) grad_avg[i] = grad_avg[i] + one_minus_alpha * g[i];
      // square_avg.addcmul(grad_avg, grad_avg, value=-1).sqrt_()
      for (std::int64_t i = 0; i < n; ++i)
        avg[i] = std::sqrt(square_avg[i] + T(-1) * grad_avg[i] * grad_avg[i]);
    } else {
      for (std::int64_t i = 0; i < n; ++i) avg[i] = std::sqrt(square_avg[i]);
    }
    for (std::int64_t i = 0; i < n; ++i) avg[i] = avg[i] + eps;
    if (o.momentum() > 0) {
      Tensor<T>& buf_t = state.buffers["momentum_buffer"];
      if (!buf_t.defined()) buf_t = zeros<T>(p.shape());
      T* buf = buf_t.data();
      // buf.mul_(momentum).addcdiv_(grad, avg); param.add_(buf, alpha=-lr)
      for (std::int64_t i = 0; i < n; ++i) buf[i] = buf[i] * momentum;
      for (std::int64_t i = 0; i < n; ++i) buf[i] = buf[i] + T(1) * g[i] / avg[i];
      for (std::int64_t i = 0; i < n; ++i) param[i] = param[i] + neg_lr * buf[i];
    } else {
      // param.addcdiv_(grad, avg, value=-lr): self + value * t1 / t2
      for (std::int64_t i = 0; i < n; ++i) param[i] = param[i] + neg_lr * g[i] / avg[i];
    }
    this->bump_version(p);
  }
}

template class RMSprop<float>;
template class RMSprop<double>;

}  // namespace eigrad::optim
