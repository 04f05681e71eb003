// SGD: PyTorch 1.13's _single_tensor_sgd, element by element in T, in PyTorch's order.
#include "eigrad/optim/sgd.hpp"

#include <vector>

#include "eigrad/cuda/kernels.hpp"

namespace eigrad::optim {

template <class T>
SGD<T>::SGD(std::vector<ParamGroup<T>> groups, const SGDOptions& defaults) : Optimizer<T>(defaults.clone()) {
  this->add_param_groups(groups);
}

template <class T>
void SGD<T>::validate(const OptimizerOptions& options) const {
  const auto& o = this->template options_as<SGDOptions>(options);
  detail::check_non_negative("SGD", "lr", o.lr());
  detail::check_non_negative("SGD", "momentum", o.momentum());
  detail::check_non_negative("SGD", "weight_decay", o.weight_decay());
  detail::check_non_negative("SGD", "dampening", o.dampening());
  EIGRAD_CHECK(!o.nesterov() || (o.momentum() > 0 && o.dampening() == 0), ValueError,
               "SGD: nesterov = true requires momentum > 0 and dampening = 0, got momentum = ",
               detail::format_number(o.momentum()), ", dampening = ", detail::format_number(o.dampening()));
}

template <class T>
void SGD<T>::update(ParamGroup<T>& group) {
  const auto& o = this->template options_as<SGDOptions>(group.options());
  // Python floats become T when they meet a T tensor, as ATen's scalar arguments do.
  const T momentum = static_cast<T>(o.momentum());
  const T one_minus_dampening = static_cast<T>(1 - o.dampening());
  const T neg_lr = static_cast<T>(-o.lr());
  std::vector<T> d_p;
  for (auto& p : group.params()) {
    if (!p.grad().defined()) continue;
    if (p.is_cuda()) {
      this->check_gradient(p);
      T* momentum_buffer = nullptr;
      bool first_step = false;
      if (o.momentum() != 0)
        momentum_buffer =
            this->buffer_on_device(this->mutable_state(p), "momentum_buffer", p, &first_step).data_ptr();
      cuda::sgd_step(cuda::SgdStep<T>::make(o.lr(), o.momentum(), o.dampening(), o.weight_decay(), o.nesterov(),
                                            o.maximize(), first_step),
                     p.data_ptr(), p.grad().data_ptr(), momentum_buffer, p.numel());
      this->bump_version(p);
      continue;
    }
    this->gradient_for_update(p, o.maximize(), o.weight_decay(), d_p);
    const std::int64_t n = p.numel();
    T* param = p.data();
    if (o.momentum() != 0) {
      Tensor<T>& buf = this->mutable_state(p).buffers["momentum_buffer"];
      if (!buf.defined()) {
        buf = from_vector<T>(d_p, p.shape());  // torch.clone(d_p).detach() on the first step
      } else {
        T* b = buf.data();
        for (std::int64_t i = 0; i < n; ++i) b[i] = b[i] * momentum;
        for (std::int64_t i = 0; i < n; ++i) b[i] = b[i] + one_minus_dampening * d_p[i];
      }
      const T* b = buf.data();
      if (o.nesterov())
        for (std::int64_t i = 0; i < n; ++i) d_p[i] = d_p[i] + momentum * b[i];
      else
        d_p.assign(b, b + n);
    }
    for (std::int64_t i = 0; i < n; ++i) param[i] = param[i] + neg_lr * d_p[i];
    this->bump_version(p);
  }
}

template class SGD<float>;
template class SGD<double>;

}  // namespace eigrad::optim
