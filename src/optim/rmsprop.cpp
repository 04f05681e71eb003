// RMSprop: PyTorch 1.13's _single_tensor_rmsprop, element by element in T, in PyTorch's order.
#include "eigrad/optim/rmsprop.hpp"

#include <cmath>
#include <stdexcept>
#include <vector>

namespace eigrad::optim {

std::vector<std::pair<std::string, double>> RMSpropOptions::values() const {
  return {{"lr", lr_},
          {"alpha", alpha_},
          {"eps", eps_},
          {"weight_decay", weight_decay_},
          {"momentum", momentum_},
          {"centered", centered_ ? 1.0 : 0.0},
          {"maximize", maximize_ ? 1.0 : 0.0}};
}

void RMSpropOptions::set_values(const std::map<std::string, double>& v) {
  const char* who = "RMSpropOptions";
  lr_ = detail::option_value(v, who, "lr");
  alpha_ = detail::option_value(v, who, "alpha");
  eps_ = detail::option_value(v, who, "eps");
  weight_decay_ = detail::option_value(v, who, "weight_decay");
  momentum_ = detail::option_value(v, who, "momentum");
  centered_ = detail::option_value(v, who, "centered") != 0;
  maximize_ = detail::option_value(v, who, "maximize") != 0;
}

template <class T>
RMSprop<T>::RMSprop(std::vector<ParamGroup<T>> groups, const RMSpropOptions& defaults)
    : Optimizer<T>(defaults.clone()) {
  validate(defaults);
  for (const auto& g : groups) this->add_param_group(g);
}

template <class T>
void RMSprop<T>::validate(const OptimizerOptions& options) const {
  const auto* o = dynamic_cast<const RMSpropOptions*>(&options);
  if (!o) throw std::invalid_argument("RMSprop: parameter group options must be RMSpropOptions");
  detail::check_non_negative("RMSprop", "lr", o->lr());
  detail::check_non_negative("RMSprop", "eps", o->eps());
  detail::check_non_negative("RMSprop", "momentum", o->momentum());
  detail::check_non_negative("RMSprop", "weight_decay", o->weight_decay());
  detail::check_non_negative("RMSprop", "alpha", o->alpha());
}

template <class T>
void RMSprop<T>::update(ParamGroup<T>& group) {
  const auto& o = this->template options_of<RMSpropOptions>(group);
  const T weight_decay = static_cast<T>(o.weight_decay());
  const T alpha = static_cast<T>(o.alpha());
  const T one_minus_alpha = static_cast<T>(1 - o.alpha());
  const T eps = static_cast<T>(o.eps());
  const T momentum = static_cast<T>(o.momentum());
  const T neg_lr = static_cast<T>(-o.lr());
  std::vector<T> g, avg;
  for (auto& p : group.params()) {
    if (!p.grad().defined()) continue;
    this->check_update(p);
    const std::int64_t n = p.numel();
    ParamState<T>& state = this->mutable_state(p);
    Tensor<T>& square_avg_t = state.buffers["square_avg"];
    if (!square_avg_t.defined()) square_avg_t = zeros<T>(p.shape());
    state.step += 1;
    T* param = p.data();
    const T* grad = p.grad().data();
    T* square_avg = square_avg_t.data();
    g.assign(grad, grad + n);
    if (o.maximize())
      for (auto& v : g) v = -v;
    if (o.weight_decay() != 0)
      for (std::int64_t i = 0; i < n; ++i) g[i] = g[i] + weight_decay * param[i];
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
