// The optimizers' update loops, one launch per parameter. Each element runs the operations
// of src/optim/ in the same order and type (there, one loop per operation over all
// elements; the elements are independent, so one pass per element rounds the same).
#include <cmath>

#include "backend.hpp"
#include "eigrad/cuda/kernels.hpp"

namespace eigrad::cuda {

namespace {
using detail::Index;

// gradient_for_update (src/optim/optimizer.cpp): negate, then add weight_decay * param.
template <class T>
EIGRAD_HOST_DEVICE T prepared(const GradientPrep<T>& prep, T grad, T param) {
  T g = prep.maximize ? -grad : grad;
  if (prep.use_weight_decay) g = g + prep.weight_decay * param;
  return g;
}

template <class T>
struct SgdElement {
  SgdStep<T> s;
  T* param;
  const T* grad;
  T* buf;
  EIGRAD_HOST_DEVICE void operator()(Index i) const {
    T d = prepared(s.prep, grad[i], param[i]);
    if (s.use_momentum) {
      T b = d;  // torch.clone(d_p) on the first step
      if (!s.first_step) {
        b = buf[i] * s.momentum;
        b = b + s.one_minus_dampening * d;
      }
      buf[i] = b;
      d = s.nesterov ? d + s.momentum * b : b;
    }
    param[i] = param[i] + s.neg_lr * d;
  }
};

template <class T>
struct AdamElement {
  AdamStep<T> s;
  T* param;
  const T* grad;
  T *exp_avg, *exp_avg_sq, *max_exp_avg_sq;
  EIGRAD_HOST_DEVICE void operator()(Index i) const {
    const T g = prepared(s.prep, grad[i], param[i]);
    T p = param[i];
    if (s.decoupled) p = p * s.decay;
    T m = exp_avg[i] * s.beta1;
    m = m + s.one_minus_beta1 * g;
    T v = exp_avg_sq[i] * s.beta2;
    v = v + s.one_minus_beta2 * g * g;
    exp_avg[i] = m;
    exp_avg_sq[i] = v;
    T second = v;
    if (s.amsgrad) {
      const T a = max_exp_avg_sq[i];
      second = (a != a || v != v) ? a + v : (a > v ? a : v);  // torch.maximum: NaN propagates
      max_exp_avg_sq[i] = second;
    }
    const T denom = std::sqrt(second) / s.bias_correction2_sqrt + s.eps;
    param[i] = p + s.neg_step_size * m / denom;
  }
};

template <class T>
struct RmspropElement {
  RmspropStep<T> s;
  T* param;
  const T* grad;
  T *square_avg, *grad_avg, *buf;
  EIGRAD_HOST_DEVICE void operator()(Index i) const {
    const T g = prepared(s.prep, grad[i], param[i]);
    T sq = square_avg[i] * s.alpha;
    sq = sq + s.one_minus_alpha * g * g;
    square_avg[i] = sq;
    T avg;
    if (s.centered) {
      T ga = grad_avg[i] * s.alpha;
      ga = ga + s.one_minus_alpha * g;
      grad_avg[i] = ga;
      avg = std::sqrt(sq + T(-1) * ga * ga);
    } else {
      avg = std::sqrt(sq);
    }
    avg = avg + s.eps;
    if (s.use_momentum) {
      T b = buf[i] * s.momentum;
      b = b + T(1) * g / avg;
      buf[i] = b;
      param[i] = param[i] + s.neg_lr * b;
    } else {
      param[i] = param[i] + s.neg_lr * g / avg;
    }
  }
};

template <class T>
struct AdagradElement {
  AdagradStep<T> s;
  T* param;
  const T* grad;
  T* sum;
  EIGRAD_HOST_DEVICE void operator()(Index i) const {
    const T g = prepared(s.prep, grad[i], param[i]);
    const T acc = sum[i] + T(1) * g * g;
    sum[i] = acc;
    const T std_dev = std::sqrt(acc) + s.eps;
    param[i] = param[i] + s.neg_clr * g / std_dev;
  }
};
}  // namespace

template <class T>
void sgd_step(const SgdStep<T>& s, T* param, const T* grad, T* momentum_buffer, std::int64_t n) {
  detail::for_each_index("sgd_step", n, SgdElement<T>{s, param, grad, momentum_buffer});
}

template <class T>
void adam_step(const AdamStep<T>& s, T* param, const T* grad, T* exp_avg, T* exp_avg_sq, T* max_exp_avg_sq,
               std::int64_t n) {
  detail::for_each_index("adam_step", n, AdamElement<T>{s, param, grad, exp_avg, exp_avg_sq, max_exp_avg_sq});
}

template <class T>
void rmsprop_step(const RmspropStep<T>& s, T* param, const T* grad, T* square_avg, T* grad_avg, T* momentum_buffer,
                  std::int64_t n) {
  detail::for_each_index("rmsprop_step", n, RmspropElement<T>{s, param, grad, square_avg, grad_avg, momentum_buffer});
}

template <class T>
void adagrad_step(const AdagradStep<T>& s, T* param, const T* grad, T* sum, std::int64_t n) {
  detail::for_each_index("adagrad_step", n, AdagradElement<T>{s, param, grad, sum});
}

#define EIGRAD_INSTANTIATE(T)                                                                          \
  template void sgd_step<T>(const SgdStep<T>&, T*, const T*, T*, std::int64_t);                        \
  template void adam_step<T>(const AdamStep<T>&, T*, const T*, T*, T*, T*, std::int64_t);              \
  template void rmsprop_step<T>(const RmspropStep<T>&, T*, const T*, T*, T*, T*, std::int64_t);        \
  template void adagrad_step<T>(const AdagradStep<T>&, T*, const T*, T*, std::int64_t);
EIGRAD_INSTANTIATE(float)
EIGRAD_INSTANTIATE(double)
#undef EIGRAD_INSTANTIATE

}  // namespace eigrad::cuda
