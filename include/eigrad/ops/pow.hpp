#pragma once
/// \file ops/pow.hpp
/// \brief x ^ e for a real exponent e: the kernel is chosen once, outside the element loop.
///
/// PyTorch's CPU pow with a scalar exponent (`pow_tensor_scalar_optimized_kernel`) computes
/// 2 and 3 as products, 0.5 and -0.5 through sqrt, -1 and -2 as reciprocals and the rest with
/// std::pow, comparing the exponent as the double it was given. with_pow_kernel() makes that
/// choice and hands the chosen kernel type to the caller's loop, so no element pays a branch.
#include <cmath>

#include "eigrad/host_device.hpp"

namespace eigrad::ops {

/// Kernels of x ^ e, one per special exponent.
namespace pow_kernels {
/// x ^ 0 = 1 (also at 0 and NaN).
struct One {
  /// 1.
  template <class T> EIGRAD_HOST_DEVICE T operator()(T) const { return T(1); }
};
/// x ^ 1 = x.
struct Identity {
  /// x.
  template <class T> EIGRAD_HOST_DEVICE T operator()(T x) const { return x; }
};
/// x ^ 2 = x * x.
struct Square {
  /// x * x.
  template <class T> EIGRAD_HOST_DEVICE T operator()(T x) const { return x * x; }
  /// Vectorised form.
  template <class A> auto array(const A& x) const { return x * x; }
};
/// x ^ 3 = x * x * x.
struct Cube {
  /// x * x * x.
  template <class T> EIGRAD_HOST_DEVICE T operator()(T x) const { return x * x * x; }
  /// Vectorised form.
  template <class A> auto array(const A& x) const { return x * x * x; }
};
/// x ^ 0.5 = sqrt(x).
struct Sqrt {
  /// sqrt(x).
  template <class T> EIGRAD_HOST_DEVICE T operator()(T x) const {
    using std::sqrt;
    return sqrt(x);
  }
};
/// x ^ -0.5 = 1 / sqrt(x).
struct RSqrt {
  /// 1 / sqrt(x).
  template <class T> EIGRAD_HOST_DEVICE T operator()(T x) const {
    using std::sqrt;
    return T(1) / sqrt(x);
  }
};
/// x ^ -1 = 1 / x.
struct Reciprocal {
  /// 1 / x.
  template <class T> EIGRAD_HOST_DEVICE T operator()(T x) const { return T(1) / x; }
  /// Vectorised form.
  template <class A> auto array(const A& x) const { return x.inverse(); }
};
/// x ^ -2 = 1 / (x * x).
struct ReciprocalSquare {
  /// 1 / (x * x).
  template <class T> EIGRAD_HOST_DEVICE T operator()(T x) const { return T(1) / (x * x); }
  /// Vectorised form.
  template <class A> auto array(const A& x) const { return (x * x).inverse(); }
};
/// Any other exponent: std::pow with the exponent cast to T. On duals the exponent \p E is
/// the plain number type, so that pow takes a constant exponent (a dual one would add the
/// derivative in the exponent, 0 * log(x), NaN for a negative x).
template <class T, class E = T>
struct General {
  E e;  ///< the exponent
  /// std::pow(x, e).
  EIGRAD_HOST_DEVICE T operator()(T x) const {
    using std::pow;
    return pow(x, e);
  }
};
}  // namespace pow_kernels

/// Which kernel computes x ^ e.
enum class PowKind { Square, Cube, Identity, One, Sqrt, RSqrt, Reciprocal, ReciprocalSquare, General };

/// The kernel for exponent \p e, compared as the double given (as PyTorch compares its Scalar).
EIGRAD_HOST_DEVICE constexpr PowKind pow_kind(double e) {
  if (e == 2.0) return PowKind::Square;
  if (e == 3.0) return PowKind::Cube;
  if (e == 1.0) return PowKind::Identity;
  if (e == 0.0) return PowKind::One;
  if (e == 0.5) return PowKind::Sqrt;
  if (e == -0.5) return PowKind::RSqrt;
  if (e == -1.0) return PowKind::Reciprocal;
  if (e == -2.0) return PowKind::ReciprocalSquare;
  return PowKind::General;
}

/// Calls \p f with the kernel of x ^ \p e for element type \p T and returns its result.
template <class T, class F>
decltype(auto) with_pow_kernel(double e, F&& f) {
  namespace k = pow_kernels;
  switch (pow_kind(e)) {
    case PowKind::Square: return f(k::Square{});
    case PowKind::Cube: return f(k::Cube{});
    case PowKind::Identity: return f(k::Identity{});
    case PowKind::One: return f(k::One{});
    case PowKind::Sqrt: return f(k::Sqrt{});
    case PowKind::RSqrt: return f(k::RSqrt{});
    case PowKind::Reciprocal: return f(k::Reciprocal{});
    case PowKind::ReciprocalSquare: return f(k::ReciprocalSquare{});
    case PowKind::General: break;
  }
  return f(k::General<T>{static_cast<T>(e)});
}

/// x ^ e by the kernel \p kind (for code that keeps the choice as a value, as expressions
/// do): the same kernels as with_pow_kernel().
template <class T, class E>
EIGRAD_HOST_DEVICE inline T pow_by_kind(PowKind kind, E e, T x) {
  namespace k = pow_kernels;
  switch (kind) {
    case PowKind::Square: return k::Square{}(x);
    case PowKind::Cube: return k::Cube{}(x);
    case PowKind::Identity: return k::Identity{}(x);
    case PowKind::One: return k::One{}(x);
    case PowKind::Sqrt: return k::Sqrt{}(x);
    case PowKind::RSqrt: return k::RSqrt{}(x);
    case PowKind::Reciprocal: return k::Reciprocal{}(x);
    case PowKind::ReciprocalSquare: return k::ReciprocalSquare{}(x);
    case PowKind::General: break;
  }
  return k::General<T, E>{e}(x);
}

/// x ^ k for k = 0 .. 3 as products in PyTorch's order (x * x, x * x * x): 1 * x is x
/// exactly, so the loop gives the same bits as the Square and Cube kernels.
template <class T>
EIGRAD_HOST_DEVICE inline T power_by_products(T x, int k) {
  T r = T(1);
  for (int j = 0; j < k; ++j) r *= x;
  return r;
}

/// pow_by_kind() as a call: the rarer kernels of an expression's x ^ e stay out of the
/// element loop's body (inlined, its switch multiplies the loop's code and compile time).
template <class T>
#if defined(__GNUC__)
__attribute__((noinline))
#endif
T pow_by_kind_call(PowKind kind, T e, T x) {
  return pow_by_kind(kind, e, x);
}

/// x ^ e with the kernels chosen when the entry is made (PowBackward0): the form
/// expressions use, where the exponent is a value of the tree. Exponents 0 to 3 are
/// products (a loop of at most three multiplications); the others call their kernel.
template <class T>
struct PowScalarRuntime {
  PowKind kind;      ///< kernel of x ^ e
  PowKind kind_m1;   ///< kernel of x ^ (e - 1)
  int products;      ///< e when e is 0, 1, 2 or 3; otherwise -1
  int products_m1;   ///< e - 1 when that is 0, 1, 2 or 3; otherwise -1
  T e;               ///< the exponent cast to T
  T e_m1;            ///< e - 1 taken in double, cast to T
  bool zero;         ///< e == 0 (as the double given)
  /// The entry for exponent \p exponent.
  explicit PowScalarRuntime(double exponent)
      : kind(pow_kind(exponent)), kind_m1(pow_kind(exponent - 1.0)), products(small_integer(exponent)),
        products_m1(small_integer(exponent - 1.0)), e(static_cast<T>(exponent)),
        e_m1(static_cast<T>(exponent - 1.0)), zero(exponent == 0.0) {}
  /// The entry whose kernels were chosen before (as a program keeps them): \p k for x ^ e,
  /// \p k_m1 for x ^ (e - 1), with the exponents \p exponent and \p exponent_m1 cast to T.
  PowScalarRuntime(PowKind k, PowKind k_m1, T exponent, T exponent_m1)
      : kind(k), kind_m1(k_m1), products(products_of(k)), products_m1(products_of(k_m1)), e(exponent),
        e_m1(exponent_m1), zero(k == PowKind::One) {}
  /// Backward node name.
  static constexpr const char* name = "PowBackward0";
  /// x ^ e.
  T value(T x) const { return products >= 0 ? power_by_products(x, products) : pow_by_kind_call(kind, e, x); }
  /// pow_backward, as PowScalarGrad.
  T grad(T g, T x, T) const {
    if (zero) return T(0);
    const T p = products_m1 >= 0 ? power_by_products(x, products_m1) : pow_by_kind_call(kind_m1, e_m1, x);
    return g * (e * p);
  }
  /// value() over \p m elements, the kernel chosen once for the block.
  void value_block(const T* x, T* out, int m) const {
    switch (products) {
      case 0: return products_block<0>(x, out, m);
      case 1: return products_block<1>(x, out, m);
      case 2: return products_block<2>(x, out, m);
      case 3: return products_block<3>(x, out, m);
      default: break;
    }
    for (int j = 0; j < m; ++j) out[j] = pow_by_kind_call(kind, e, x[j]);
  }
  /// grad() over \p m elements (the output is not read), the kernel chosen once for the block.
  void grad_block(const T* g, const T* x, T* out, int m) const {
    if (zero) {
      for (int j = 0; j < m; ++j) out[j] = T(0);
      return;
    }
    switch (products_m1) {
      case 0: return grad_products_block<0>(g, x, out, m);
      case 1: return grad_products_block<1>(g, x, out, m);
      case 2: return grad_products_block<2>(g, x, out, m);
      case 3: return grad_products_block<3>(g, x, out, m);
      default: break;
    }
    for (int j = 0; j < m; ++j) out[j] = g[j] * (e * pow_by_kind_call(kind_m1, e_m1, x[j]));
  }

 private:
  template <int K>
  static void products_block(const T* x, T* out, int m) {
    for (int j = 0; j < m; ++j) out[j] = power_by_products(x[j], K);
  }
  template <int K>
  void grad_products_block(const T* g, const T* x, T* out, int m) const {
    for (int j = 0; j < m; ++j) out[j] = g[j] * (e * power_by_products(x[j], K));
  }
  static int small_integer(double p) {
    return (p == 0.0 || p == 1.0 || p == 2.0 || p == 3.0) ? static_cast<int>(p) : -1;
  }
  static int products_of(PowKind k) {  // small_integer of the exponent k was chosen for
    return k == PowKind::One ? 0 : k == PowKind::Identity ? 1 : k == PowKind::Square ? 2 : k == PowKind::Cube ? 3 : -1;
  }
};

/// x ^ e with both kernels kept as values (PowBackward0), for code that cannot carry a
/// kernel type: the device's interpreter and Dual's pow. Same kernels, hence the same
/// values and gradients, as with_pow_kernel() / with_pow_grad() and PowScalarRuntime. \p E
/// is the exponent's type: T, or for duals the plain number type under them.
template <class T, class E = T>
struct PowScalarKinds {
  PowKind kind;     ///< kernel of x ^ e
  PowKind kind_m1;  ///< kernel of x ^ (e - 1)
  E e;              ///< the exponent cast to E
  E e_m1;           ///< e - 1 taken in double, cast to E
  /// Backward node name.
  static constexpr const char* name = "PowBackward0";
  /// The entry for exponent \p exponent, compared as the double given.
  EIGRAD_HOST_DEVICE static PowScalarKinds of(double exponent) {
    return {pow_kind(exponent), pow_kind(exponent - 1.0), static_cast<E>(exponent), static_cast<E>(exponent - 1.0)};
  }
  /// x ^ e.
  EIGRAD_HOST_DEVICE T value(T x) const { return pow_by_kind(kind, e, x); }
  /// pow_backward: zeros for e == 0, else grad * (e * self.pow(e - 1)).
  EIGRAD_HOST_DEVICE T grad(T g, T x, T) const {
    return kind == PowKind::One ? T(0) : g * (e * pow_by_kind(kind_m1, e_m1, x));
  }
};

/// The gradient of x ^ e: \p Km1 is the kernel of x ^ (e - 1), chosen by with_pow_kernel()
/// with e - 1 taken in double, as PyTorch does. (The value of x ^ e is the kernel of e.)
template <class T, class Km1>
struct PowScalarGrad {
  Km1 pow_em1;  ///< x ^ (e - 1)
  T e;          ///< the exponent cast to T
  bool zero;    ///< e == 0 (as the double given): the gradient is 0 everywhere
  /// Backward node name.
  static constexpr const char* name = "PowBackward0";
  /// pow_backward: zeros for e == 0 (even at x = 0 or a NaN gradient), else
  /// grad * (e * self.pow(e - 1)).
  EIGRAD_HOST_DEVICE T grad(T g, T x, T) const { return zero ? T(0) : g * (e * pow_em1(x)); }
};

/// Calls \p f with the PowScalarGrad of exponent \p e (its kernel chosen here, once).
template <class T, class F>
decltype(auto) with_pow_grad(double e, F&& f) {
  return with_pow_kernel<T>(e - 1.0, [&](auto pow_em1) -> decltype(auto) {
    return f(PowScalarGrad<T, decltype(pow_em1)>{pow_em1, static_cast<T>(e), e == 0.0});
  });
}

}  // namespace eigrad::ops
