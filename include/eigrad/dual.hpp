#pragma once
/// \file dual.hpp
/// \brief Dual<T, N>: forward-mode automatic differentiation with N tangents at once.
///
/// A dual number carries a value and the directional derivatives of that value along N
/// seeded directions. Every operation applies the chain rule to the tangents, so evaluating
/// any function written generically in its scalar type on duals yields exact (to rounding)
/// derivatives, in one pass, with no graph. Because `T` may itself be a Dual,
/// `Dual<Dual<double, N>, N>` carries second derivatives (see forward.hpp for hessian()).
///
/// Every function with an op-table entry (include/eigrad/ops/: the arithmetic, sin, exp, pow,
/// ...) is that entry applied to the dual: the entry's `value` on the value and its gradient
/// formula on each tangent, the same functors the tensor ops, expressions and the device run.
///
/// The tangents live in a plain fixed-size array and every function is `EIGRAD_HOST_DEVICE`,
/// so duals can be used inside device functors. Eigen support (NumTraits, mixing with plain
/// scalars in expressions) is in dual_eigen.hpp; this header includes no Eigen.
#include <cmath>
#include <iosfwd>
#include <type_traits>

#include "eigrad/errors.hpp"
#include "eigrad/host_device.hpp"
#include "eigrad/ops/elementwise.hpp"
#include "eigrad/ops/pow.hpp"

namespace eigrad {

template <class T, int N>
class Dual;

/// True for Dual types (at any nesting depth), false otherwise.
template <class T>
struct is_dual : std::false_type {};
/// A Dual is a dual.
template <class T, int N>
struct is_dual<Dual<T, N>> : std::true_type {};
/// Shorthand for is_dual<T>::value.
template <class T>
inline constexpr bool is_dual_v = is_dual<T>::value;

/// The innermost non-dual type: `double` for `Dual<Dual<double, 4>, 4>`, \p T itself otherwise.
template <class T>
struct dual_base {
  /// \p T, which is not a dual.
  using type = T;
};
/// Peels one level of nesting.
template <class T, int N>
struct dual_base<Dual<T, N>> {
  /// The base of the value type.
  using type = typename dual_base<T>::type;
};
/// Shorthand for dual_base<T>::type.
template <class T>
using dual_base_t = typename dual_base<T>::type;

namespace detail {
template <class S>
using enable_if_arithmetic = std::enable_if_t<std::is_arithmetic_v<S>, int>;
template <class T>
using enable_if_dual = std::enable_if_t<is_dual_v<T>, int>;

/// Op-table entry \p op applied to \p x: the entry's value once, then its gradient formula
/// with each tangent as the incoming gradient (every entry's gradient is linear in it, so
/// that is the tangent of the result).
template <class Op, class T, int N>
EIGRAD_HOST_DEVICE Dual<T, N> apply_entry(const Op& op, const Dual<T, N>& x) {
  Dual<T, N> r(op.value(x.value()));
  for (int i = 0; i < N; ++i) r.tangent(i) = op.grad(x.tangent(i), x.value(), r.value());
  return r;
}
/// Two-operand entry \p op applied to \p a and \p b: the tangent is the sum of both
/// operands' gradient formulas.
template <class Op, class T, int N>
EIGRAD_HOST_DEVICE Dual<T, N> apply_entry(const Op& op, const Dual<T, N>& a, const Dual<T, N>& b) {
  Dual<T, N> r(op.value(a.value(), b.value()));
  for (int i = 0; i < N; ++i) {
    r.tangent(i) = op.grad_a(a.tangent(i), a.value(), b.value(), r.value()) +
                   op.grad_b(b.tangent(i), a.value(), b.value(), r.value());
  }
  return r;
}
}  // namespace detail

/// A value of type \p T with \p N tangents (directional derivatives) of the same type.
///
/// Arithmetic with another Dual of the same type, with \p T, and with any arithmetic type
/// (`int`, `double`, ...) is provided by the operators `+ - * /` (binary and compound),
/// unary `-` and `+`, and the comparisons `== != < <= > >=`, which compare values only
/// (so branches follow the value, as they do when the same code runs on plain numbers).
/// Math functions (sin, exp, pow, ...) are free functions found by argument-dependent
/// lookup, so generic code calls them unqualified after `using std::sin;`.
///
/// \snippet dual.cpp dual
template <class T, int N>
class Dual {
  static_assert(N >= 1, "a Dual needs at least one tangent");

 public:
  /// Type of the value and of each tangent.
  using value_type = T;
  /// Number of tangents.
  static constexpr int num_tangents = N;

  /// Zero value, zero tangents.
  EIGRAD_HOST_DEVICE Dual() : value_(0) { zero_tangents(); }
  /// A constant: \p value with zero tangents. Implicit, so constants mix freely with duals.
  EIGRAD_HOST_DEVICE Dual(const T& value) : value_(value) { zero_tangents(); }  // NOLINT
  /// A constant from any arithmetic value (needed when \p T is itself a Dual).
  template <class S, detail::enable_if_arithmetic<S> = 0>
  EIGRAD_HOST_DEVICE Dual(S value) : value_(static_cast<T>(value)) {  // NOLINT
    zero_tangents();
  }
  /// \p value with tangent(i) = \p tangents[i].
  EIGRAD_HOST_DEVICE Dual(const T& value, const T (&tangents)[N]) : value_(value) {
    for (int i = 0; i < N; ++i) tangent_[i] = tangents[i];
  }

  /// The independent variable number \p index: tangent \p index is 1, the others 0. On the
  /// host, an index outside [0, N) throws ValueError naming the index and N.
  EIGRAD_HOST_DEVICE static Dual variable(const T& value, int index) {
#ifndef __CUDA_ARCH__  // device code cannot throw; the host check covers the seeding done there
    EIGRAD_CHECK(index >= 0 && index < N, ValueError, "Dual<T, ", N, ">::variable: index ", index,
                 " is out of range (expected in [0, ", N - 1, "])");
#endif
    Dual d(value);
    d.tangent_[index] = T(1);
    return d;
  }
  /// A constant: \p value with zero tangents.
  EIGRAD_HOST_DEVICE static Dual constant(const T& value) { return Dual(value); }

  /// The value.
  EIGRAD_HOST_DEVICE const T& value() const { return value_; }
  /// The value (writable).
  EIGRAD_HOST_DEVICE T& value() { return value_; }
  /// The derivative along seeded direction \p i (0 <= i < N).
  EIGRAD_HOST_DEVICE const T& tangent(int i) const { return tangent_[i]; }
  /// The derivative along seeded direction \p i (writable, to seed variables).
  EIGRAD_HOST_DEVICE T& tangent(int i) { return tangent_[i]; }

  // The result is built apart and then assigned, so that `a *= a` reads the old tangents.
  /// Adds \p b (ops::Add).
  EIGRAD_HOST_DEVICE Dual& operator+=(const Dual& b) { return *this = detail::apply_entry(ops::Add{}, *this, b); }
  /// Subtracts \p b (ops::Sub).
  EIGRAD_HOST_DEVICE Dual& operator-=(const Dual& b) { return *this = detail::apply_entry(ops::Sub{}, *this, b); }
  /// Multiplies by \p b (ops::Mul: the product rule).
  EIGRAD_HOST_DEVICE Dual& operator*=(const Dual& b) { return *this = detail::apply_entry(ops::Mul{}, *this, b); }
  /// Divides by \p b (ops::Div: the quotient rule as a' / b - b' (a / b) / b, no b² to
  /// overflow).
  EIGRAD_HOST_DEVICE Dual& operator/=(const Dual& b) { return *this = detail::apply_entry(ops::Div{}, *this, b); }
  /// Adds a constant (ops::AddScalar).
  EIGRAD_HOST_DEVICE Dual& operator+=(const T& s) { return *this = detail::apply_entry(ops::AddScalar<T>{{}, s}, *this); }
  /// Subtracts a constant (ops::SubScalar).
  EIGRAD_HOST_DEVICE Dual& operator-=(const T& s) { return *this = detail::apply_entry(ops::SubScalar<T>{{}, s}, *this); }
  /// Multiplies value and tangents by a constant (ops::MulScalar).
  EIGRAD_HOST_DEVICE Dual& operator*=(const T& s) { return *this = detail::apply_entry(ops::MulScalar<T>{{}, s}, *this); }
  /// Divides value and tangents by a constant (ops::DivScalar).
  EIGRAD_HOST_DEVICE Dual& operator/=(const T& s) { return *this = detail::apply_entry(ops::DivScalar<T>{{}, s}, *this); }
  /// Adds an arithmetic constant.
  template <class S, detail::enable_if_arithmetic<S> = 0>
  EIGRAD_HOST_DEVICE Dual& operator+=(S s) { return *this += T(s); }
  /// Subtracts an arithmetic constant.
  template <class S, detail::enable_if_arithmetic<S> = 0>
  EIGRAD_HOST_DEVICE Dual& operator-=(S s) { return *this -= T(s); }
  /// Multiplies by an arithmetic constant.
  template <class S, detail::enable_if_arithmetic<S> = 0>
  EIGRAD_HOST_DEVICE Dual& operator*=(S s) { return *this *= T(s); }
  /// Divides by an arithmetic constant.
  template <class S, detail::enable_if_arithmetic<S> = 0>
  EIGRAD_HOST_DEVICE Dual& operator/=(S s) { return *this /= T(s); }

  /// \cond OPERATOR_OVERLOADS
  // Hidden friends: found only through a Dual argument, and (being non-templates for the
  // Dual/T forms) they accept implicit conversions of the other operand. The arithmetic
  // templates make `nested * 2.0` unambiguous when T is itself a Dual.
  EIGRAD_HOST_DEVICE friend Dual operator+(const Dual& a) { return a; }
  EIGRAD_HOST_DEVICE friend Dual operator-(const Dual& a) { return detail::apply_entry(ops::Neg{}, a); }

#define EIGRAD_DUAL_BINARY_OPERATOR(OP, COMPOUND)                                        \
  EIGRAD_HOST_DEVICE friend Dual operator OP(Dual a, const Dual& b) { return a COMPOUND b; } \
  EIGRAD_HOST_DEVICE friend Dual operator OP(Dual a, const T& b) { return a COMPOUND b; }    \
  template <class S, detail::enable_if_arithmetic<S> = 0>                                 \
  EIGRAD_HOST_DEVICE friend Dual operator OP(Dual a, S b) { return a COMPOUND T(b); }
  EIGRAD_DUAL_BINARY_OPERATOR(+, +=)
  EIGRAD_DUAL_BINARY_OPERATOR(-, -=)
  EIGRAD_DUAL_BINARY_OPERATOR(*, *=)
  EIGRAD_DUAL_BINARY_OPERATOR(/, /=)
#undef EIGRAD_DUAL_BINARY_OPERATOR

  EIGRAD_HOST_DEVICE friend Dual operator+(const T& s, Dual b) { return b += s; }
  template <class S, detail::enable_if_arithmetic<S> = 0>
  EIGRAD_HOST_DEVICE friend Dual operator+(S s, Dual b) { return b += T(s); }
  EIGRAD_HOST_DEVICE friend Dual operator*(const T& s, Dual b) { return b *= s; }
  template <class S, detail::enable_if_arithmetic<S> = 0>
  EIGRAD_HOST_DEVICE friend Dual operator*(S s, Dual b) { return b *= T(s); }
  EIGRAD_HOST_DEVICE friend Dual operator-(const T& s, const Dual& b) {
    return detail::apply_entry(ops::RSubScalar<T>{{}, s}, b);
  }
  template <class S, detail::enable_if_arithmetic<S> = 0>
  EIGRAD_HOST_DEVICE friend Dual operator-(S s, const Dual& b) { return T(s) - b; }
  // ops::Div with a constant dividend, not ops::RDivScalar: that is PyTorch's tensor form
  // (1 / b) * s, which rounds twice; s / b must equal Dual(s) / b.
  EIGRAD_HOST_DEVICE friend Dual operator/(const T& s, const Dual& b) { return Dual(s) / b; }
  template <class S, detail::enable_if_arithmetic<S> = 0>
  EIGRAD_HOST_DEVICE friend Dual operator/(S s, const Dual& b) { return T(s) / b; }

#define EIGRAD_DUAL_COMPARISON(OP)                                                              \
  EIGRAD_HOST_DEVICE friend bool operator OP(const Dual& a, const Dual& b) { return a.value_ OP b.value_; } \
  EIGRAD_HOST_DEVICE friend bool operator OP(const Dual& a, const T& b) { return a.value_ OP b; }          \
  EIGRAD_HOST_DEVICE friend bool operator OP(const T& a, const Dual& b) { return a OP b.value_; }          \
  template <class S, detail::enable_if_arithmetic<S> = 0>                                     \
  EIGRAD_HOST_DEVICE friend bool operator OP(const Dual& a, S b) { return a.value_ OP T(b); }          \
  template <class S, detail::enable_if_arithmetic<S> = 0>                                     \
  EIGRAD_HOST_DEVICE friend bool operator OP(S a, const Dual& b) { return T(a) OP b.value_; }
  EIGRAD_DUAL_COMPARISON(==)
  EIGRAD_DUAL_COMPARISON(!=)
  EIGRAD_DUAL_COMPARISON(<)
  EIGRAD_DUAL_COMPARISON(<=)
  EIGRAD_DUAL_COMPARISON(>)
  EIGRAD_DUAL_COMPARISON(>=)
#undef EIGRAD_DUAL_COMPARISON
  /// \endcond

 private:
  EIGRAD_HOST_DEVICE void zero_tangents() {
    for (int i = 0; i < N; ++i) tangent_[i] = T(0);
  }

  T value_;
  T tangent_[N];
};

namespace detail {
/// f(x) given f(value) and f'(value): the chain rule on every tangent.
template <class T, int N>
EIGRAD_HOST_DEVICE Dual<T, N> chain(const Dual<T, N>& x, const T& f, const T& df) {
  Dual<T, N> r(f);
  for (int i = 0; i < N; ++i) r.tangent(i) = df * x.tangent(i);
  return r;
}
}  // namespace detail

/// The innermost value of \p x: `x.value().value()...` down to a non-dual number.
template <class T>
EIGRAD_HOST_DEVICE dual_base_t<T> base_value(const T& x) {
  if constexpr (is_dual_v<T>) {
    return base_value(x.value());
  } else {
    return x;
  }
}

// ------------------------------------------------------------------ trigonometric
/// Sine (ops::Sin); derivative cos.
template <class T, int N>
EIGRAD_HOST_DEVICE Dual<T, N> sin(const Dual<T, N>& x) {
  return detail::apply_entry(ops::Sin{}, x);
}
/// Cosine (ops::Cos); derivative -sin.
template <class T, int N>
EIGRAD_HOST_DEVICE Dual<T, N> cos(const Dual<T, N>& x) {
  return detail::apply_entry(ops::Cos{}, x);
}
/// Tangent; derivative 1 + tan².
template <class T, int N>
EIGRAD_HOST_DEVICE Dual<T, N> tan(const Dual<T, N>& x) {
  using std::tan;
  const T t = tan(x.value());
  return detail::chain(x, t, T(T(1) + t * t));
}
/// Arc sine; derivative 1 / sqrt(1 - x²).
template <class T, int N>
EIGRAD_HOST_DEVICE Dual<T, N> asin(const Dual<T, N>& x) {
  using std::asin;
  using std::sqrt;
  const T& v = x.value();
  return detail::chain(x, asin(v), T(T(1) / sqrt(T(1) - v * v)));
}
/// Arc cosine; derivative -1 / sqrt(1 - x²).
template <class T, int N>
EIGRAD_HOST_DEVICE Dual<T, N> acos(const Dual<T, N>& x) {
  using std::acos;
  using std::sqrt;
  const T& v = x.value();
  return detail::chain(x, acos(v), T(T(-1) / sqrt(T(1) - v * v)));
}
/// Arc tangent; derivative 1 / (1 + x²).
template <class T, int N>
EIGRAD_HOST_DEVICE Dual<T, N> atan(const Dual<T, N>& x) {
  using std::atan;
  const T& v = x.value();
  return detail::chain(x, atan(v), T(T(1) / (T(1) + v * v)));
}
/// Two-argument arc tangent of y / x; partials x / (x² + y²) and -y / (x² + y²).
template <class T, int N>
EIGRAD_HOST_DEVICE Dual<T, N> atan2(const Dual<T, N>& y, const Dual<T, N>& x) {
  using std::atan2;
  Dual<T, N> r(atan2(y.value(), x.value()));
  const T r2 = x.value() * x.value() + y.value() * y.value();
  for (int i = 0; i < N; ++i) {
    r.tangent(i) = (x.value() * y.tangent(i) - y.value() * x.tangent(i)) / r2;
  }
  return r;
}

// ------------------------------------------------------------------ hyperbolic
/// Hyperbolic sine; derivative cosh.
template <class T, int N>
EIGRAD_HOST_DEVICE Dual<T, N> sinh(const Dual<T, N>& x) {
  using std::cosh;
  using std::sinh;
  return detail::chain(x, sinh(x.value()), cosh(x.value()));
}
/// Hyperbolic cosine; derivative sinh.
template <class T, int N>
EIGRAD_HOST_DEVICE Dual<T, N> cosh(const Dual<T, N>& x) {
  using std::cosh;
  using std::sinh;
  return detail::chain(x, cosh(x.value()), sinh(x.value()));
}
/// Hyperbolic tangent (ops::Tanh); derivative 1 - tanh².
template <class T, int N>
EIGRAD_HOST_DEVICE Dual<T, N> tanh(const Dual<T, N>& x) {
  return detail::apply_entry(ops::Tanh{}, x);
}
/// Logistic sigmoid 1 / (1 + exp(-x)) (ops::Sigmoid); derivative s (1 - s), 0 where exp(-x)
/// overflows.
template <class T, int N>
EIGRAD_HOST_DEVICE Dual<T, N> sigmoid(const Dual<T, N>& x) {
  return detail::apply_entry(ops::Sigmoid{}, x);
}

// ------------------------------------------------------------------ exponential and logarithmic
/// Exponential (ops::Exp); derivative exp.
template <class T, int N>
EIGRAD_HOST_DEVICE Dual<T, N> exp(const Dual<T, N>& x) {
  return detail::apply_entry(ops::Exp{}, x);
}
/// exp(x) - 1, accurate near 0; derivative exp.
template <class T, int N>
EIGRAD_HOST_DEVICE Dual<T, N> expm1(const Dual<T, N>& x) {
  using std::exp;
  using std::expm1;
  return detail::chain(x, expm1(x.value()), exp(x.value()));
}
/// Natural logarithm (ops::Log); derivative 1 / x.
template <class T, int N>
EIGRAD_HOST_DEVICE Dual<T, N> log(const Dual<T, N>& x) {
  return detail::apply_entry(ops::Log{}, x);
}
/// log(1 + x), accurate near 0; derivative 1 / (1 + x).
template <class T, int N>
EIGRAD_HOST_DEVICE Dual<T, N> log1p(const Dual<T, N>& x) {
  using std::log1p;
  return detail::chain(x, log1p(x.value()), T(T(1) / (T(1) + x.value())));
}
/// Base-2 logarithm; derivative 1 / (x ln 2).
template <class T, int N>
EIGRAD_HOST_DEVICE Dual<T, N> log2(const Dual<T, N>& x) {
  using std::log2;
  const T ln2(0.69314718055994530942);
  return detail::chain(x, log2(x.value()), T(T(1) / (x.value() * ln2)));
}
/// Base-10 logarithm; derivative 1 / (x ln 10).
template <class T, int N>
EIGRAD_HOST_DEVICE Dual<T, N> log10(const Dual<T, N>& x) {
  using std::log10;
  const T ln10(2.30258509299404568402);
  return detail::chain(x, log10(x.value()), T(T(1) / (x.value() * ln10)));
}

// ------------------------------------------------------------------ powers and roots
/// Square root (ops::Sqrt); derivative 1 / (2 sqrt(x)) (infinite at 0, as in PyTorch).
template <class T, int N>
EIGRAD_HOST_DEVICE Dual<T, N> sqrt(const Dual<T, N>& x) {
  return detail::apply_entry(ops::Sqrt{}, x);
}
/// Cube root; derivative 1 / (3 cbrt(x)²).
template <class T, int N>
EIGRAD_HOST_DEVICE Dual<T, N> cbrt(const Dual<T, N>& x) {
  using std::cbrt;
  const T r = cbrt(x.value());
  return detail::chain(x, r, T(T(1) / (T(3) * r * r)));
}
/// x raised to a real exponent \p p (ops::PowScalarKinds, the tensor layer's kernels:
/// exponents 0 to 3 as products, ±0.5 through sqrt, -1 and -2 as reciprocals); derivative
/// p x^(p-1), 0 for p = 0. The exponent stays a plain number at every nesting depth.
template <class T, int N, class S, detail::enable_if_arithmetic<S> = 0>
EIGRAD_HOST_DEVICE Dual<T, N> pow(const Dual<T, N>& x, S p) {
  return detail::apply_entry(ops::PowScalarKinds<T, dual_base_t<T>>::of(static_cast<double>(p)), x);
}
/// x raised to a dual exponent y (ops::Pow): partials y x^(y-1) (0 for y = 0) and x^y log(x);
/// the log term is taken as 0 where x = 0 and y >= 0 (as PyTorch does) so that 0^y stays
/// differentiable.
template <class T, int N>
EIGRAD_HOST_DEVICE Dual<T, N> pow(const Dual<T, N>& x, const Dual<T, N>& y) {
  return detail::apply_entry(ops::Pow{}, x, y);
}
/// A nested dual raised to an exponent of its value type (a dual one level down).
template <class T, int N, detail::enable_if_dual<T> = 0>
EIGRAD_HOST_DEVICE Dual<T, N> pow(const Dual<T, N>& x, const T& y) {
  return pow(x, Dual<T, N>(y));
}
/// A real base \p s raised to a dual exponent y (ops::PowScalarBase); derivative s^y log(s),
/// 0 where s = 0 and y >= 0. The base stays a plain number at every nesting depth.
template <class T, int N, class S, detail::enable_if_arithmetic<S> = 0>
EIGRAD_HOST_DEVICE Dual<T, N> pow(S s, const Dual<T, N>& y) {
  using B = dual_base_t<T>;
  return detail::apply_entry(ops::PowScalarBase<B>(static_cast<B>(s)), y);
}
/// A base of the value type (a dual one level down) raised to a nested dual exponent.
template <class T, int N, detail::enable_if_dual<T> = 0>
EIGRAD_HOST_DEVICE Dual<T, N> pow(const T& s, const Dual<T, N>& y) {
  return pow(Dual<T, N>(s), y);
}

// ------------------------------------------------------------------ piecewise
/// Absolute value (ops::Abs); derivative sign(x), 0 at 0 (as PyTorch).
template <class T, int N>
EIGRAD_HOST_DEVICE Dual<T, N> abs(const Dual<T, N>& x) {
  return detail::apply_entry(ops::Abs{}, x);
}
/// Same as abs().
template <class T, int N>
EIGRAD_HOST_DEVICE Dual<T, N> fabs(const Dual<T, N>& x) {
  return abs(x);
}
/// max(x, 0) as clamp_min(x, 0) (ops::Relu); derivative 1 for x > 0, else 0 (NaN
/// propagates, with the whole derivative).
template <class T, int N>
EIGRAD_HOST_DEVICE Dual<T, N> relu(const Dual<T, N>& x) {
  return detail::apply_entry(ops::Relu{}, x);
}
/// The larger of \p a and \p b (ops::Maximum); on a tie each operand's derivative counts
/// half (as PyTorch's `maximum`), and a NaN operand propagates.
template <class T, int N>
EIGRAD_HOST_DEVICE Dual<T, N> max(const Dual<T, N>& a, const Dual<T, N>& b) {
  return detail::apply_entry(ops::Maximum{}, a, b);
}
/// The smaller of \p a and \p b (ops::Minimum); ties and NaN as max().
template <class T, int N>
EIGRAD_HOST_DEVICE Dual<T, N> min(const Dual<T, N>& a, const Dual<T, N>& b) {
  return detail::apply_entry(ops::Minimum{}, a, b);
}
/// Same as max() (the tensor layer's name).
template <class T, int N>
EIGRAD_HOST_DEVICE Dual<T, N> maximum(const Dual<T, N>& a, const Dual<T, N>& b) {
  return max(a, b);
}
/// Same as min() (the tensor layer's name).
template <class T, int N>
EIGRAD_HOST_DEVICE Dual<T, N> minimum(const Dual<T, N>& a, const Dual<T, N>& b) {
  return min(a, b);
}
/// \p x limited to [lo, hi]; the derivative passes where lo <= x <= hi (as PyTorch's clamp).
/// The bounds may be constants convertible to the value type (ops::Clamp) or duals (then a
/// clamped result takes the bound's derivative).
template <class T, int N, class L, class H>
EIGRAD_HOST_DEVICE Dual<T, N> clamp(const Dual<T, N>& x, const L& lo, const H& hi) {
  if constexpr (is_dual_v<L> || is_dual_v<H>) {
    // PyTorch's clamp with tensor bounds: no entry in the op table.
    if (x.value() < lo) return Dual<T, N>(lo);
    if (x.value() > hi) return Dual<T, N>(hi);
    return x;
  } else {
    return detail::apply_entry(ops::Clamp<T>{{}, T(lo), T(hi)}, x);
  }
}

// ------------------------------------------------------------------ classification
/// Whether the value is NaN.
template <class T, int N>
EIGRAD_HOST_DEVICE bool isnan(const Dual<T, N>& x) {
  return x.value() != x.value();
}
/// Whether the value is infinite.
template <class T, int N>
EIGRAD_HOST_DEVICE bool isinf(const Dual<T, N>& x) {
  using std::isinf;
  return isinf(x.value());
}
/// Whether the value is finite.
template <class T, int N>
EIGRAD_HOST_DEVICE bool isfinite(const Dual<T, N>& x) {
  using std::isfinite;
  return isfinite(x.value());
}

/// Prints `value [t0, t1, ...]`.
template <class CharT, class Traits, class T, int N>
std::basic_ostream<CharT, Traits>& operator<<(std::basic_ostream<CharT, Traits>& os,
                                              const Dual<T, N>& x) {
  os << x.value() << " [";
  for (int i = 0; i < N; ++i) {
    if (i > 0) os << ", ";
    os << x.tangent(i);
  }
  return os << "]";
}

}  // namespace eigrad
