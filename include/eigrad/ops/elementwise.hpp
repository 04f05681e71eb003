#pragma once
/// \file ops/elementwise.hpp
/// \brief The op table: every elementwise operation defined once.
///
/// An entry is a small struct (a functor: parameters such as a scalar operand are its fields)
/// with
/// - `value(x)` or `value(a, b)`: the forward value of one element;
/// - `grad(g, x, y)` or `grad_a(g, a, b, y)` / `grad_b(g, a, b, y)`: the gradient of an operand
///   given the incoming gradient `g`, the operands and the output `y`, written operation for
///   operation as PyTorch 1.13 writes it (doc/design.md lists the forms), so rounding and the
///   special values come out the same. Every formula is linear in `g`, so the same function is
///   the forward-mode tangent when `g` is the operand's tangent;
/// - `name`: PyTorch's backward node name;
///
/// Math functions are called unqualified after `using std::sin;` (and so on), so that an
/// entry also runs on Dual numbers, nested ones included: argument-dependent lookup finds
/// dual.hpp's overloads, which apply these same entries to the dual's value and tangents.
/// For float and double the call is std::sin, as written qualified.
/// - `saves_input` / `saves_output`: what a recorded node must keep for `grad`;
/// - `array(x)` where Eigen's vectorised form rounds exactly as `value` (`+ - * /`, abs; not
///   sqrt, whose float packet is an approximation under EIGEN_FAST_MATH):
///   the same operation on an Eigen array expression.
///
/// The eager tensor ops (src/tensor/operators.cpp) run these functors in their loops; expressions
/// and the device backend use the same entries (doc/design.md, "Expressions, the op table and
/// the device").
#include <algorithm>
#include <cmath>

#include "eigrad/host_device.hpp"

namespace eigrad::ops {

namespace detail {
/// 1 - y*y rounded once, as PyTorch's GCC build contracts tanh_backward's `1 - y * y` into an
/// FMA. A float's square is exact in double, and 1 - y*y rounded to double then to float
/// equals the fused result for every float in [-1, 1] (checked exhaustively).
EIGRAD_HOST_DEVICE inline float one_minus_square(float y) {
  return static_cast<float>(1.0 - static_cast<double>(y) * static_cast<double>(y));
}
EIGRAD_HOST_DEVICE inline double one_minus_square(double y) { return std::fma(-y, y, 1.0); }
/// 1 - y*y for other element types (duals): the float and double overloads above are the
/// exact matches for plain numbers, so their rounding is unchanged.
template <class T>
EIGRAD_HOST_DEVICE T one_minus_square(const T& y) {
  return T(1) - y * y;
}
}  // namespace detail

/// What a recorded node keeps for an entry's gradient: the operand(s) and/or the output.
template <bool Input, bool Output>
struct Saves {
  static constexpr bool saves_input = Input;    ///< the gradient reads the operand(s)
  static constexpr bool saves_output = Output;  ///< the gradient reads the output y
};

/// Saves of a two-operand entry, and whether each operand's gradient is g itself (a node may
/// then pass g on without a copy).
template <bool Input, bool Output, bool GradAIsG, bool GradBIsG>
struct BinarySaves : Saves<Input, Output> {
  static constexpr bool grad_a_is_g = GradAIsG;  ///< grad_a(g, ...) is g
  static constexpr bool grad_b_is_g = GradBIsG;  ///< grad_b(g, ...) is g
};

// ==================================================================== one operand
/// Negation.
struct Neg : Saves<false, false> {
  /// Backward node name.
  static constexpr const char* name = "NegBackward0";
  /// -x.
  template <class T> EIGRAD_HOST_DEVICE T value(T x) const { return -x; }
  /// grad.neg().
  template <class T> EIGRAD_HOST_DEVICE T grad(T g, T, T) const { return -g; }
  /// Vectorised -x.
  template <class A> auto array(const A& x) const { return -x; }
};

/// Sine.
struct Sin : Saves<true, false> {
  /// Backward node name.
  static constexpr const char* name = "SinBackward0";
  /// sin(x).
  template <class T> EIGRAD_HOST_DEVICE T value(T x) const {
    using std::sin;
    return sin(x);
  }
  /// grad * self.cos().
  template <class T> EIGRAD_HOST_DEVICE T grad(T g, T x, T) const {
    using std::cos;
    return g * cos(x);
  }
};

/// Cosine.
struct Cos : Saves<true, false> {
  /// Backward node name.
  static constexpr const char* name = "CosBackward0";
  /// cos(x).
  template <class T> EIGRAD_HOST_DEVICE T value(T x) const {
    using std::cos;
    return cos(x);
  }
  /// grad * -self.sin().
  template <class T> EIGRAD_HOST_DEVICE T grad(T g, T x, T) const {
    using std::sin;
    return g * -sin(x);
  }
};

/// Exponential.
struct Exp : Saves<false, true> {
  /// Backward node name.
  static constexpr const char* name = "ExpBackward0";
  /// exp(x).
  template <class T> EIGRAD_HOST_DEVICE T value(T x) const {
    using std::exp;
    return exp(x);
  }
  /// grad * result.
  template <class T> EIGRAD_HOST_DEVICE T grad(T g, T, T y) const { return g * y; }
};

/// Natural logarithm.
struct Log : Saves<true, false> {
  /// Backward node name.
  static constexpr const char* name = "LogBackward0";
  /// log(x).
  template <class T> EIGRAD_HOST_DEVICE T value(T x) const {
    using std::log;
    return log(x);
  }
  /// grad.div(self).
  template <class T> EIGRAD_HOST_DEVICE T grad(T g, T x, T) const { return g / x; }
};

/// Square root.
struct Sqrt : Saves<false, true> {
  /// Backward node name.
  static constexpr const char* name = "SqrtBackward0";
  /// sqrt(x).
  template <class T> EIGRAD_HOST_DEVICE T value(T x) const {
    using std::sqrt;
    return sqrt(x);
  }
  /// grad / (2 * result).
  template <class T> EIGRAD_HOST_DEVICE T grad(T g, T, T y) const { return g / (T(2) * y); }
};

/// Absolute value.
struct Abs : Saves<true, false> {
  /// Backward node name.
  static constexpr const char* name = "AbsBackward0";
  /// |x|.
  template <class T> EIGRAD_HOST_DEVICE T value(T x) const {
    using std::abs;
    return abs(x);
  }
  /// grad * self.sgn(), with sgn(±0) = sgn(NaN) = 0.
  template <class T> EIGRAD_HOST_DEVICE T grad(T g, T x, T) const { return g * T((T(0) < x) - (x < T(0))); }
  /// Vectorised |x|.
  template <class A> auto array(const A& x) const { return x.abs(); }
};

/// Hyperbolic tangent.
struct Tanh : Saves<false, true> {
  /// Backward node name.
  static constexpr const char* name = "TanhBackward0";
  /// tanh(x).
  template <class T> EIGRAD_HOST_DEVICE T value(T x) const {
    using std::tanh;
    return tanh(x);
  }
  /// tanh_backward: grad * (1 - y * y), the bracket rounded once.
  template <class T> EIGRAD_HOST_DEVICE T grad(T g, T, T y) const { return g * detail::one_minus_square(y); }
};

/// Logistic sigmoid.
struct Sigmoid : Saves<false, true> {
  /// Backward node name.
  static constexpr const char* name = "SigmoidBackward0";
  /// 1 / (1 + exp(-x)).
  template <class T> EIGRAD_HOST_DEVICE T value(T x) const {
    using std::exp;
    return T(1) / (T(1) + exp(-x));
  }
  /// sigmoid_backward: grad * (1 - y) * y.
  template <class T> EIGRAD_HOST_DEVICE T grad(T g, T, T y) const { return g * (T(1) - y) * y; }
};

/// max(x, 0) as clamp_min(x, 0): keeps NaN and -0.0.
struct Relu : Saves<false, true> {
  /// Backward node name.
  static constexpr const char* name = "ReluBackward0";
  /// x < 0 ? 0 : x.
  template <class T> EIGRAD_HOST_DEVICE T value(T x) const { return x < T(0) ? T(0) : x; }
  /// threshold_backward(grad, result, 0): a NaN input gets the whole gradient.
  template <class T> EIGRAD_HOST_DEVICE T grad(T g, T, T y) const { return y <= T(0) ? T(0) : g; }
};

// ==================================================================== a tensor and a scalar
/// x + s.
template <class T>
struct AddScalar : Saves<false, false> {
  T s;  ///< the scalar operand
  /// Backward node name.
  static constexpr const char* name = "AddBackward0";
    /// Whether grad() is g itself (a node may pass g on without a copy).
  static constexpr bool grad_is_g = true;
  /// x + s.
  EIGRAD_HOST_DEVICE T value(T x) const { return x + s; }
  /// grad.
  EIGRAD_HOST_DEVICE T grad(T g, T, T) const { return g; }
  /// Vectorised x + s.
  template <class A> auto array(const A& x) const { return x + s; }
};

/// x - s.
template <class T>
struct SubScalar : Saves<false, false> {
  T s;  ///< the scalar operand
  /// Backward node name.
  static constexpr const char* name = "SubBackward0";
    /// Whether grad() is g itself (a node may pass g on without a copy).
  static constexpr bool grad_is_g = true;
  /// x - s.
  EIGRAD_HOST_DEVICE T value(T x) const { return x - s; }
  /// grad.
  EIGRAD_HOST_DEVICE T grad(T g, T, T) const { return g; }
  /// Vectorised x - s.
  template <class A> auto array(const A& x) const { return x - s; }
};

/// s - x (rsub).
template <class T>
struct RSubScalar : Saves<false, false> {
  T s;  ///< the scalar operand
  /// Backward node name.
  static constexpr const char* name = "RsubBackward1";
  /// s - x.
  EIGRAD_HOST_DEVICE T value(T x) const { return s - x; }
  /// -grad * alpha, negated as PyTorch does.
  EIGRAD_HOST_DEVICE T grad(T g, T, T) const { return -g; }
  /// Vectorised s - x.
  template <class A> auto array(const A& x) const { return s - x; }
};

/// x * s.
template <class T>
struct MulScalar : Saves<false, false> {
  T s;  ///< the scalar operand
  /// Backward node name.
  static constexpr const char* name = "MulBackward0";
  /// x * s.
  EIGRAD_HOST_DEVICE T value(T x) const { return x * s; }
  /// grad * s.
  EIGRAD_HOST_DEVICE T grad(T g, T, T) const { return g * s; }
  /// Vectorised x * s.
  template <class A> auto array(const A& x) const { return x * s; }
};

/// x / s, a true division.
template <class T>
struct DivScalar : Saves<false, false> {
  T s;  ///< the scalar operand
  /// Backward node name.
  static constexpr const char* name = "DivBackward0";
  /// x / s.
  EIGRAD_HOST_DEVICE T value(T x) const { return x / s; }
  /// div_tensor_self_backward: grad / other (grad * (1 / s) would round differently).
  EIGRAD_HOST_DEVICE T grad(T g, T, T) const { return g / s; }
  /// Vectorised x / s.
  template <class A> auto array(const A& x) const { return x / s; }
};

/// s / x, as PyTorch computes it: x.reciprocal() * s.
template <class T>
struct RDivScalar : Saves<true, false> {
  T s;  ///< the scalar operand
  /// Backward node name (PyTorch records the multiplication last).
  static constexpr const char* name = "MulBackward0";
  /// (1 / x) * s.
  EIGRAD_HOST_DEVICE T value(T x) const { return (T(1) / x) * s; }
  /// MulBackward0's grad * s, then ReciprocalBackward0's -grad * (r * r) with r = 1 / x.
  EIGRAD_HOST_DEVICE T grad(T g, T x, T) const {
    const T r = T(1) / x;
    return -(g * s) * (r * r);
  }
  /// Vectorised (1 / x) * s.
  template <class A> auto array(const A& x) const { return x.inverse() * s; }
};

/// s ^ p for a scalar base s and a tensor exponent p (pow.Scalar).
template <class T>
struct PowScalarBase : Saves<true, true> {
  T s;         ///< the base
  T log_base;  ///< log(s) taken in double, as PyTorch's Scalar::log, then cast to T
  /// An entry for base \p base.
  EIGRAD_HOST_DEVICE explicit PowScalarBase(T base)
      : s(base), log_base(static_cast<T>(std::log(static_cast<double>(base)))) {}
  /// Backward node name.
  static constexpr const char* name = "PowBackward2";
  // value and grad take the exponent's type P apart from T: on duals the base and log(s)
  // stay plain numbers of T (a dual constant base would differentiate pow in the base too,
  // 0 * inf = NaN at s = 0), and P is the dual's value type.
  /// 1 for a base of 1, else pow(s, p).
  template <class P> EIGRAD_HOST_DEVICE P value(P p) const {
    using std::pow;
    return s == T(1) ? P(1) : P(pow(s, p));
  }
  /// grad * where(s == 0 & p >= 0, 0, result * log(s)).
  template <class P> EIGRAD_HOST_DEVICE P grad(P g, P p, P y) const {
    return g * ((s == T(0) && p >= P(0)) ? P(0) : P(y * log_base));
  }
};

/// clamp(x, lo, hi).
template <class T>
struct Clamp : Saves<true, false> {
  T lo;  ///< lower bound
  T hi;  ///< upper bound
  /// Backward node name.
  static constexpr const char* name = "ClampBackward1";
  /// min(max(x, lo), hi).
  EIGRAD_HOST_DEVICE T value(T x) const { return std::min(std::max(x, lo), hi); }
  /// clamp_backward: where(self >= min & self <= max, grad, 0); 0 at NaN.
  EIGRAD_HOST_DEVICE T grad(T g, T x, T) const { return (x >= lo && x <= hi) ? g : T(0); }
};

// ==================================================================== two operands (broadcast)
/// a + b.
struct Add : BinarySaves<false, false, true, true> {
  /// Backward node name.
  static constexpr const char* name = "AddBackward0";
  /// a + b.
  template <class T> EIGRAD_HOST_DEVICE T value(T a, T b) const { return a + b; }
  /// grad.
  template <class T> EIGRAD_HOST_DEVICE T grad_a(T g, T, T, T) const { return g; }
  /// grad.
  template <class T> EIGRAD_HOST_DEVICE T grad_b(T g, T, T, T) const { return g; }
  /// Vectorised a + b.
  template <class A, class B> auto array(const A& a, const B& b) const { return a + b; }
};

/// a - b.
struct Sub : BinarySaves<false, false, true, false> {
  /// Backward node name.
  static constexpr const char* name = "SubBackward0";
  /// a - b.
  template <class T> EIGRAD_HOST_DEVICE T value(T a, T b) const { return a - b; }
  /// grad.
  template <class T> EIGRAD_HOST_DEVICE T grad_a(T g, T, T, T) const { return g; }
  /// -grad.
  template <class T> EIGRAD_HOST_DEVICE T grad_b(T g, T, T, T) const { return -g; }
  /// Vectorised a - b.
  template <class A, class B> auto array(const A& a, const B& b) const { return a - b; }
};

/// a * b.
struct Mul : BinarySaves<true, false, false, false> {
  /// Backward node name.
  static constexpr const char* name = "MulBackward0";
  /// a * b.
  template <class T> EIGRAD_HOST_DEVICE T value(T a, T b) const { return a * b; }
  /// mul_tensor_backward: grad * other.
  template <class T> EIGRAD_HOST_DEVICE T grad_a(T g, T, T b, T) const { return g * b; }
  /// mul_tensor_backward: grad * self.
  template <class T> EIGRAD_HOST_DEVICE T grad_b(T g, T a, T, T) const { return g * a; }
  /// Vectorised a * b.
  template <class A, class B> auto array(const A& a, const B& b) const { return a * b; }
};

/// a / b.
struct Div : BinarySaves<true, false, false, false> {
  /// Backward node name.
  static constexpr const char* name = "DivBackward0";
  /// a / b.
  template <class T> EIGRAD_HOST_DEVICE T value(T a, T b) const { return a / b; }
  /// div_tensor_self_backward: grad / other.
  template <class T> EIGRAD_HOST_DEVICE T grad_a(T g, T, T b, T) const { return g / b; }
  /// div_tensor_other_backward: -grad * ((self / other) / other); b * b would overflow or
  /// underflow where a / b / b does not.
  template <class T> EIGRAD_HOST_DEVICE T grad_b(T g, T a, T b, T) const { return -g * ((a / b) / b); }
  /// Vectorised a / b.
  template <class A, class B> auto array(const A& a, const B& b) const { return a / b; }
};

/// a ^ b with a tensor exponent.
struct Pow : BinarySaves<true, true, false, false> {
  /// Backward node name.
  static constexpr const char* name = "PowBackward1";
  /// pow(a, b).
  template <class T> EIGRAD_HOST_DEVICE T value(T a, T b) const {
    using std::pow;
    return pow(a, b);
  }
  /// pow_backward_self: where(exponent == 0, 0, grad * (exponent * self.pow(exponent - 1))).
  template <class T> EIGRAD_HOST_DEVICE T grad_a(T g, T x, T p, T) const {
    using std::pow;
    return p == T(0) ? T(0) : g * (p * pow(x, p - T(1)));
  }
  /// pow_backward_exponent: grad * where(self == 0 & exponent >= 0, 0, result * self.log()).
  template <class T> EIGRAD_HOST_DEVICE T grad_b(T g, T x, T p, T y) const {
    using std::log;
    return g * ((x == T(0) && p >= T(0)) ? T(0) : y * log(x));
  }
};

/// Elementwise maximum (Max = true) or minimum (Max = false); a NaN operand gives NaN.
template <bool Max>
struct Extremum : BinarySaves<true, false, false, false> {
  /// Backward node name.
  static constexpr const char* name = Max ? "MaximumBackward0" : "MinimumBackward0";
  /// The larger (smaller) of a and b; NaN if either is (std::max would drop it).
  template <class T> EIGRAD_HOST_DEVICE T value(T a, T b) const {
    if (a != a || b != b) return a + b;
    return Max ? std::max(a, b) : std::min(a, b);
  }
  /// where(self == other, grad / 2, grad).masked_fill_(self < other, 0) (> for minimum): a
  /// NaN on either side compares false both ways, so both operands get the whole gradient.
  template <class T> EIGRAD_HOST_DEVICE T grad_a(T g, T a, T b, T) const { return share(g, a, b); }
  /// The same with the operands' roles swapped.
  template <class T> EIGRAD_HOST_DEVICE T grad_b(T g, T a, T b, T) const { return share(g, b, a); }

 private:
  template <class T> EIGRAD_HOST_DEVICE static T share(T g, T mine, T other) {
    if (mine == other) return g / T(2);
    return (Max ? mine < other : mine > other) ? T(0) : g;
  }
};

/// Elementwise maximum.
using Maximum = Extremum<true>;
/// Elementwise minimum.
using Minimum = Extremum<false>;

}  // namespace eigrad::ops
