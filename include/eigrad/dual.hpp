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
/// The tangents live in a plain fixed-size array and every function is `EIGRAD_HOST_DEVICE`,
/// so duals can be used inside device functors. Eigen support (NumTraits, mixing with plain
/// scalars in expressions) is in dual_eigen.hpp; this header includes no Eigen.
#include <cmath>
#include <iosfwd>
#include <type_traits>

#include "eigrad/errors.hpp"
#include "eigrad/host_device.hpp"

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

  /// Adds \p b (value and tangents).
  EIGRAD_HOST_DEVICE Dual& operator+=(const Dual& b) {
    value_ += b.value_;
    for (int i = 0; i < N; ++i) tangent_[i] += b.tangent_[i];
    return *this;
  }
  /// Subtracts \p b.
  EIGRAD_HOST_DEVICE Dual& operator-=(const Dual& b) {
    value_ -= b.value_;
    for (int i = 0; i < N; ++i) tangent_[i] -= b.tangent_[i];
    return *this;
  }
  /// Multiplies by \p b (product rule).
  EIGRAD_HOST_DEVICE Dual& operator*=(const Dual& b) {
    // Through a copy so that `a *= a` reads the old tangents.
    const Dual a = *this;
    for (int i = 0; i < N; ++i) tangent_[i] = a.tangent_[i] * b.value_ + a.value_ * b.tangent_[i];
    value_ = a.value_ * b.value_;
    return *this;
  }
  /// Divides by \p b (quotient rule).
  EIGRAD_HOST_DEVICE Dual& operator/=(const Dual& b) {
    const Dual a = *this;
    value_ = a.value_ / b.value_;
    // (a/b)' = (a' - (a/b) b') / b: one division per tangent and no b^2 overflow.
    for (int i = 0; i < N; ++i) tangent_[i] = (a.tangent_[i] - value_ * b.tangent_[i]) / b.value_;
    return *this;
  }
  /// Adds a constant.
  EIGRAD_HOST_DEVICE Dual& operator+=(const T& s) { value_ += s; return *this; }
  /// Subtracts a constant.
  EIGRAD_HOST_DEVICE Dual& operator-=(const T& s) { value_ -= s; return *this; }
  /// Multiplies value and tangents by a constant.
  EIGRAD_HOST_DEVICE Dual& operator*=(const T& s) {
    value_ *= s;
    for (int i = 0; i < N; ++i) tangent_[i] *= s;
    return *this;
  }
  /// Divides value and tangents by a constant.
  EIGRAD_HOST_DEVICE Dual& operator/=(const T& s) {
    value_ /= s;
    for (int i = 0; i < N; ++i) tangent_[i] /= s;
    return *this;
  }
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
  EIGRAD_HOST_DEVICE friend Dual operator-(const Dual& a) {
    Dual r;
    r.value_ = -a.value_;
    for (int i = 0; i < N; ++i) r.tangent_[i] = -a.tangent_[i];
    return r;
  }

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
    Dual r = -b;
    r.value_ += s;
    return r;
  }
  template <class S, detail::enable_if_arithmetic<S> = 0>
  EIGRAD_HOST_DEVICE friend Dual operator-(S s, const Dual& b) { return T(s) - b; }
  EIGRAD_HOST_DEVICE friend Dual operator/(const T& s, const Dual& b) {
    // (s/b)' = -(s/b) b' / b
    Dual r;
    r.value_ = s / b.value_;
    for (int i = 0; i < N; ++i) r.tangent_[i] = -(r.value_ * b.tangent_[i]) / b.value_;
    return r;
  }
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
/// Sine; derivative cos.
template <class T, int N>
EIGRAD_HOST_DEVICE Dual<T, N> sin(const Dual<T, N>& x) {
  using std::cos;
  using std::sin;
  return detail::chain(x, sin(x.value()), cos(x.value()));
}
/// Cosine; derivative -sin.
template <class T, int N>
EIGRAD_HOST_DEVICE Dual<T, N> cos(const Dual<T, N>& x) {
  using std::cos;
  using std::sin;
  return detail::chain(x, cos(x.value()), T(-sin(x.value())));
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
/// Hyperbolic tangent; derivative 1 - tanh².
template <class T, int N>
EIGRAD_HOST_DEVICE Dual<T, N> tanh(const Dual<T, N>& x) {
  using std::tanh;
  const T t = tanh(x.value());
  return detail::chain(x, t, T(T(1) - t * t));
}
/// Logistic sigmoid 1 / (1 + exp(-x)); derivative s (1 - s).
template <class T, int N>
EIGRAD_HOST_DEVICE Dual<T, N> sigmoid(const Dual<T, N>& x) {
  using std::exp;
  // exp(-x) overflows to inf for very negative x, giving s = 0 and s' = 0 as it should.
  const T s = T(1) / (T(1) + exp(-x.value()));
  return detail::chain(x, s, T(s * (T(1) - s)));
}

// ------------------------------------------------------------------ exponential and logarithmic
/// Exponential; derivative exp.
template <class T, int N>
EIGRAD_HOST_DEVICE Dual<T, N> exp(const Dual<T, N>& x) {
  using std::exp;
  const T e = exp(x.value());
  return detail::chain(x, e, e);
}
/// exp(x) - 1, accurate near 0; derivative exp.
template <class T, int N>
EIGRAD_HOST_DEVICE Dual<T, N> expm1(const Dual<T, N>& x) {
  using std::exp;
  using std::expm1;
  return detail::chain(x, expm1(x.value()), exp(x.value()));
}
/// Natural logarithm; derivative 1 / x.
template <class T, int N>
EIGRAD_HOST_DEVICE Dual<T, N> log(const Dual<T, N>& x) {
  using std::log;
  return detail::chain(x, log(x.value()), T(T(1) / x.value()));
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
/// Square root; derivative 1 / (2 sqrt(x)) (infinite at 0, as in PyTorch).
template <class T, int N>
EIGRAD_HOST_DEVICE Dual<T, N> sqrt(const Dual<T, N>& x) {
  using std::sqrt;
  const T r = sqrt(x.value());
  return detail::chain(x, r, T(T(0.5) / r));
}
/// Cube root; derivative 1 / (3 cbrt(x)²).
template <class T, int N>
EIGRAD_HOST_DEVICE Dual<T, N> cbrt(const Dual<T, N>& x) {
  using std::cbrt;
  const T r = cbrt(x.value());
  return detail::chain(x, r, T(T(1) / (T(3) * r * r)));
}
/// x raised to a real exponent \p p; derivative p x^(p-1). Exponents 0 to 3 are exact
/// (1, x, x·x, x·x·x, as the tensor layer computes them), and the derivative of x^0 is 0.
template <class T, int N, class S, detail::enable_if_arithmetic<S> = 0>
EIGRAD_HOST_DEVICE Dual<T, N> pow(const Dual<T, N>& x, S p) {
  using std::pow;
  using B = dual_base_t<T>;
  const B e = static_cast<B>(p);
  if (e == B(0)) return Dual<T, N>(T(1));
  if (e == B(1)) return x;
  if (e == B(2)) return x * x;
  if (e == B(3)) return x * x * x;
  return detail::chain(x, T(pow(x.value(), e)), T(e * pow(x.value(), B(e - B(1)))));
}
/// x raised to a dual exponent y: partials y x^(y-1) and x^y log(x); the log term is taken
/// as 0 where x = 0 (as PyTorch does) so that 0^y stays differentiable in x.
template <class T, int N>
EIGRAD_HOST_DEVICE Dual<T, N> pow(const Dual<T, N>& x, const Dual<T, N>& y) {
  using std::log;
  using std::pow;
  const T& v = x.value();
  const T& w = y.value();
  Dual<T, N> r(pow(v, w));
  const T dx = w * pow(v, T(w - T(1)));
  const T dy = v == T(0) ? T(0) : T(r.value() * log(v));
  for (int i = 0; i < N; ++i) r.tangent(i) = dx * x.tangent(i) + dy * y.tangent(i);
  return r;
}
/// A nested dual raised to an exponent of its value type (a dual one level down).
template <class T, int N, detail::enable_if_dual<T> = 0>
EIGRAD_HOST_DEVICE Dual<T, N> pow(const Dual<T, N>& x, const T& y) {
  return pow(x, Dual<T, N>(y));
}
/// A real base \p s raised to a dual exponent y; derivative s^y log(s) (0 where s = 0).
template <class T, int N, class S, detail::enable_if_arithmetic<S> = 0>
EIGRAD_HOST_DEVICE Dual<T, N> pow(S s, const Dual<T, N>& y) {
  using std::log;
  using std::pow;
  using B = dual_base_t<T>;
  const B base = static_cast<B>(s);
  const T r = pow(base, y.value());
  const T d = base == B(0) ? T(0) : T(r * log(base));
  return detail::chain(y, r, d);
}
/// A base of the value type (a dual one level down) raised to a nested dual exponent.
template <class T, int N, detail::enable_if_dual<T> = 0>
EIGRAD_HOST_DEVICE Dual<T, N> pow(const T& s, const Dual<T, N>& y) {
  return pow(Dual<T, N>(s), y);
}

// ------------------------------------------------------------------ piecewise
/// Absolute value; derivative sign(x), 0 at 0 (as PyTorch).
template <class T, int N>
EIGRAD_HOST_DEVICE Dual<T, N> abs(const Dual<T, N>& x) {
  using std::abs;
  Dual<T, N> r(abs(x.value()));
  const bool pos = x.value() > T(0);
  const bool neg = x.value() < T(0);
  for (int i = 0; i < N; ++i) {
    r.tangent(i) = pos ? x.tangent(i) : (neg ? T(-x.tangent(i)) : T(0));
  }
  return r;
}
/// Same as abs().
template <class T, int N>
EIGRAD_HOST_DEVICE Dual<T, N> fabs(const Dual<T, N>& x) {
  return abs(x);
}
/// max(x, 0); derivative 1 for x > 0, else 0 (NaN propagates).
template <class T, int N>
EIGRAD_HOST_DEVICE Dual<T, N> relu(const Dual<T, N>& x) {
  const bool nan = x.value() != x.value();
  return (x.value() > T(0) || nan) ? x : Dual<T, N>(T(0));
}
/// The larger of \p a and \p b; on a tie the derivative is the mean of both (as PyTorch's
/// `maximum`), and a NaN operand propagates.
template <class T, int N>
EIGRAD_HOST_DEVICE Dual<T, N> max(const Dual<T, N>& a, const Dual<T, N>& b) {
  if (a.value() > b.value() || a.value() != a.value()) return a;
  if (b.value() > a.value() || b.value() != b.value()) return b;
  Dual<T, N> r(a.value());
  for (int i = 0; i < N; ++i) r.tangent(i) = (a.tangent(i) + b.tangent(i)) * T(0.5);
  return r;
}
/// The smaller of \p a and \p b; ties and NaN as max().
template <class T, int N>
EIGRAD_HOST_DEVICE Dual<T, N> min(const Dual<T, N>& a, const Dual<T, N>& b) {
  if (a.value() < b.value() || a.value() != a.value()) return a;
  if (b.value() < a.value() || b.value() != b.value()) return b;
  Dual<T, N> r(a.value());
  for (int i = 0; i < N; ++i) r.tangent(i) = (a.tangent(i) + b.tangent(i)) * T(0.5);
  return r;
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
/// The bounds may be constants of any type comparable with the value, or duals.
template <class T, int N, class L, class H>
EIGRAD_HOST_DEVICE Dual<T, N> clamp(const Dual<T, N>& x, const L& lo, const H& hi) {
  if (x.value() < lo) return Dual<T, N>(lo);
  if (x.value() > hi) return Dual<T, N>(hi);
  return x;
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
