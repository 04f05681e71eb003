// The host side of the device kernel table: the parameter records its entries take, built
// here for every configuration (a build without a device backend still compiles the code that
// would call the table behind a device check).
#include <cmath>

#include "eigrad/cuda/kernels.hpp"
#include "eigrad/errors.hpp"

namespace eigrad::cuda {

template <class T>
Unary<T> Unary<T>::plain(ops::Code code) {
  EIGRAD_CHECK(code >= ops::Code::Neg && code <= ops::Code::Relu, ValueError, "Unary::plain: op code ",
               static_cast<int>(code), " takes parameters");
  Unary op;
  op.code = code;
  return op;
}

template <class T>
Unary<T> Unary<T>::with_scalar(ops::Code code, T s) {
  EIGRAD_CHECK(code >= ops::Code::AddScalar && code <= ops::Code::RDivScalar, ValueError,
               "Unary::with_scalar: op code ", static_cast<int>(code), " is not a tensor-and-scalar entry");
  Unary op;
  op.code = code;
  op.s = s;
  return op;
}

template <class T>
Unary<T> Unary<T>::clamp(T lo, T hi) {
  Unary op;
  op.code = ops::Code::Clamp;
  op.s = lo;
  op.s2 = hi;
  return op;
}

template <class T>
Unary<T> Unary<T>::pow_exponent(double e) {
  Unary op;
  op.code = ops::Code::PowScalar;
  op.s = static_cast<T>(e);
  op.s2 = static_cast<T>(e - 1.0);
  op.pow = ops::pow_kind(e);
  op.pow_m1 = ops::pow_kind(e - 1.0);
  return op;
}

template <class T>
Unary<T> Unary<T>::pow_base(T base) {
  const ops::PowScalarBase<T> entry(base);
  Unary op;
  op.code = ops::Code::PowScalarBase;
  op.s = entry.s;
  op.s2 = entry.log_base;
  return op;
}

template <class T>
AdamStep<T> AdamStep<T>::make(double lr, double beta1, double beta2, double eps, double weight_decay, bool amsgrad,
                              bool maximize, bool decoupled, std::int64_t step) {
  AdamStep s;
  s.prep = GradientPrep<T>::make(maximize, decoupled ? 0.0 : weight_decay);
  s.decoupled = decoupled;
  s.decay = static_cast<T>(1 - lr * weight_decay);
  s.beta1 = static_cast<T>(beta1);
  s.beta2 = static_cast<T>(beta2);
  s.one_minus_beta1 = static_cast<T>(1 - beta1);
  s.one_minus_beta2 = static_cast<T>(1 - beta2);
  // The bias corrections are Python floats (double), as in PyTorch.
  const double bias_correction1 = 1 - std::pow(beta1, static_cast<double>(step));
  const double bias_correction2 = 1 - std::pow(beta2, static_cast<double>(step));
  s.bias_correction2_sqrt = static_cast<T>(std::sqrt(bias_correction2));
  s.eps = static_cast<T>(eps);
  s.neg_step_size = static_cast<T>(-(lr / bias_correction1));
  s.amsgrad = amsgrad;
  return s;
}

template struct Unary<float>;
template struct Unary<double>;
template struct AdamStep<float>;
template struct AdamStep<double>;

}  // namespace eigrad::cuda
