#pragma once
/// \file forward.hpp
/// \brief Forward-mode derivatives of functions of Eigen vectors: derivative(), gradient(),
///        value_and_gradient(), jacobian(), hessian().
///
/// The function is written once, generically in its scalar type (a generic lambda taking
/// `const auto& x`), and the helpers call it with vectors of Dual numbers seeded along the
/// coordinate directions. A fixed-size input of up to max_fixed_tangents coefficients is
/// handled in one pass with one tangent per coordinate; a dynamic-size input is processed
/// in chunks of `Chunk` tangents (a template argument, default_chunk by default), so any
/// size works at the cost of ceil(n / Chunk) passes (ceil(n / Chunk)² / 2 for hessian()).
///
/// ```
/// auto rosenbrock = [](const auto& x) {
///   return (1 - x(0)) * (1 - x(0)) + 100 * (x(1) - x(0) * x(0)) * (x(1) - x(0) * x(0));
/// };
/// Eigen::Vector2d g = eigrad::forward::gradient(rosenbrock, Eigen::Vector2d(1.5, 2));
/// Eigen::Matrix2d h = eigrad::forward::hessian(rosenbrock, Eigen::Vector2d(1.5, 2));
/// ```
#include <Eigen/Core>
#include <algorithm>
#include <string>
#include <type_traits>
#include <utility>

#include "eigrad/dual.hpp"
#include "eigrad/dual_eigen.hpp"
#include "eigrad/errors.hpp"

namespace eigrad::forward {

/// Tangents per pass when the input size is dynamic (or a fixed size too large for one pass).
inline constexpr int default_chunk = 8;
/// Largest fixed input size differentiated in a single pass with one tangent per coordinate.
inline constexpr int max_fixed_tangents = 32;

namespace detail {

template <class Derived>
inline constexpr bool is_array_v = std::is_base_of_v<Eigen::ArrayBase<Derived>, Derived>;

// Tangents per pass: the whole input when its size is fixed and small, else a chunk.
template <class Derived, int Chunk>
constexpr int tangents_per_pass() {
  constexpr int size = Derived::SizeAtCompileTime;
  return (size != Eigen::Dynamic && size >= 1 && size <= max_fixed_tangents) ? size : Chunk;
}

// The column vector handed to the user's function (an Array if the input was one).
template <class Derived, class S>
using column_of = std::conditional_t<is_array_v<Derived>,
                                     Eigen::Array<S, Derived::SizeAtCompileTime, 1>,
                                     Eigen::Matrix<S, Derived::SizeAtCompileTime, 1>>;

template <class T>
inline constexpr bool is_differentiable_scalar_v = std::is_floating_point_v<T> || is_dual_v<T>;

// Copies a row or column vector into a column of S, converting each coefficient.
template <class S, class Derived>
column_of<Derived, S> to_column(const Eigen::DenseBase<Derived>& x, const char* who) {
  EIGRAD_CHECK(x.rows() == 1 || x.cols() == 1, ShapeError, "eigrad::forward::", who, ": x must be a vector, got a ",
               x.rows(), "x", x.cols(), " matrix");
  const Eigen::Index n = x.size();
  column_of<Derived, S> out(n);
  const bool column = x.cols() == 1;
  for (Eigen::Index i = 0; i < n; ++i) out(i) = S(column ? x.derived()(i, 0) : x.derived()(0, i));
  return out;
}

}  // namespace detail

/// The derivative of a scalar function at \p x: f is called once with a Dual<T, 1>.
/// When f returns a scalar the result is a \p T; when it returns an Eigen vector (or array)
/// of duals, the result is the vector of derivatives of its coefficients; when it returns
/// a plain number (f does not depend on x) the result is 0. \p T may itself be a Dual, so
/// derivatives of derivatives nest.
template <class F, class T,
          std::enable_if_t<detail::is_differentiable_scalar_v<T>, int> = 0>
auto derivative(F&& f, const T& x) {
  using D = Dual<T, 1>;
  const auto y = f(D::variable(x, 0));
  using R = std::decay_t<decltype(y)>;
  if constexpr (std::is_same_v<R, D>) {
    return T(y.tangent(0));
  } else if constexpr (std::is_base_of_v<Eigen::EigenBase<R>, R>) {
    return tangents(y, 0);
  } else {
    static_assert(std::is_arithmetic_v<R> || std::is_same_v<R, T>,
                  "derivative: f must return a Dual<T, 1>, an Eigen vector of them, or a constant");
    return T(0);
  }
}

/// The value of a scalar function f at \p x and its gradient, in ceil(n / N) passes of
/// Dual<T, N> (see the file comment for N). \p x is a row or column vector (matrix or
/// array); f receives a column of the same kind, of duals, and returns a scalar dual.
template <int Chunk = default_chunk, class F, class Derived>
std::pair<typename Derived::Scalar, detail::column_of<Derived, typename Derived::Scalar>>
value_and_gradient(F&& f, const Eigen::DenseBase<Derived>& x) {
  using T = typename Derived::Scalar;
  static_assert(detail::is_differentiable_scalar_v<T>, "gradient: x must hold floating-point values");
  static_assert(Chunk >= 1, "gradient: the chunk needs at least one tangent");
  constexpr int N = detail::tangents_per_pass<Derived, Chunk>();
  using D = Dual<T, N>;
  auto xd = detail::to_column<D>(x, "gradient");
  const Eigen::Index n = xd.size();
  detail::column_of<Derived, T> g(n);
  T value(0);
  Eigen::Index start = 0;
  do {  // at least once, so that a zero-size input still yields the value
    const int width = static_cast<int>(std::min<Eigen::Index>(N, n - start));
    for (int k = 0; k < width; ++k) xd(start + k).tangent(k) = T(1);
    const D y = f(std::as_const(xd));
    value = y.value();
    for (int k = 0; k < width; ++k) g(start + k) = y.tangent(k);
    for (int k = 0; k < width; ++k) xd(start + k).tangent(k) = T(0);
    start += N;
  } while (start < n);
  return {value, g};
}

/// The gradient of a scalar function f at \p x (see value_and_gradient()).
template <int Chunk = default_chunk, class F, class Derived>
detail::column_of<Derived, typename Derived::Scalar> gradient(F&& f,
                                                               const Eigen::DenseBase<Derived>& x) {
  return value_and_gradient<Chunk>(std::forward<F>(f), x).second;
}

/// The Jacobian matrix J(i, j) = d f_i / d x_j of a vector function f at \p x. f receives a
/// column of duals (as in gradient()) and returns an Eigen vector or array of them of a size
/// m that does not depend on x; the result is an m x n matrix.
template <int Chunk = default_chunk, class F, class Derived>
auto jacobian(F&& f, const Eigen::DenseBase<Derived>& x) {
  using T = typename Derived::Scalar;
  static_assert(detail::is_differentiable_scalar_v<T>, "jacobian: x must hold floating-point values");
  static_assert(Chunk >= 1, "jacobian: the chunk needs at least one tangent");
  constexpr int N = detail::tangents_per_pass<Derived, Chunk>();
  using D = Dual<T, N>;
  auto xd = detail::to_column<D>(x, "jacobian");
  using R = std::decay_t<decltype(f(std::as_const(xd)).eval())>;
  static_assert(std::is_same_v<typename R::Scalar, D>,
                "jacobian: f must return an Eigen vector of the duals it is given");
  const Eigen::Index n = xd.size();
  Eigen::Matrix<T, R::SizeAtCompileTime, Derived::SizeAtCompileTime> J;
  Eigen::Index start = 0;
  do {
    const int width = static_cast<int>(std::min<Eigen::Index>(N, n - start));
    for (int k = 0; k < width; ++k) xd(start + k).tangent(k) = T(1);
    const R y = f(std::as_const(xd)).eval();
    if (start == 0) {
      J.resize(y.size(), n);
    } else {
      EIGRAD_CHECK(y.size() == J.rows(), ShapeError, "eigrad::forward::jacobian: f returned ", y.size(),
                   " values after ", J.rows(), " on an earlier pass");
    }
    for (Eigen::Index i = 0; i < y.size(); ++i) {
      for (int k = 0; k < width; ++k) J(i, start + k) = y.coeff(i).tangent(k);
    }
    for (int k = 0; k < width; ++k) xd(start + k).tangent(k) = T(0);
    start += N;
  } while (start < n);
  return J;
}

/// The Hessian matrix H(i, j) = d² f / dx_i dx_j of a scalar function f at \p x, from
/// nested duals `Dual<Dual<T, N>, N>`: the inner tangents seed one block of coordinates,
/// the outer tangents another, and each pass yields one block of mixed second derivatives.
/// Only the blocks on and above the diagonal are evaluated; the result is exactly symmetric.
template <int Chunk = default_chunk, class F, class Derived>
Eigen::Matrix<typename Derived::Scalar, Derived::SizeAtCompileTime, Derived::SizeAtCompileTime>
hessian(F&& f, const Eigen::DenseBase<Derived>& x) {
  using T = typename Derived::Scalar;
  static_assert(detail::is_differentiable_scalar_v<T>, "hessian: x must hold floating-point values");
  static_assert(Chunk >= 1, "hessian: the chunk needs at least one tangent");
  constexpr int N = detail::tangents_per_pass<Derived, Chunk>();
  using D = Dual<T, N>;
  using DD = Dual<D, N>;
  auto xd = detail::to_column<DD>(x, "hessian");
  const Eigen::Index n = xd.size();
  Eigen::Matrix<T, Derived::SizeAtCompileTime, Derived::SizeAtCompileTime> H(n, n);
  for (Eigen::Index ib = 0; ib < n; ib += N) {
    const int wi = static_cast<int>(std::min<Eigen::Index>(N, n - ib));
    for (int k = 0; k < wi; ++k) xd(ib + k).value().tangent(k) = T(1);
    for (Eigen::Index jb = ib; jb < n; jb += N) {
      const int wj = static_cast<int>(std::min<Eigen::Index>(N, n - jb));
      for (int l = 0; l < wj; ++l) xd(jb + l).tangent(l) = D(T(1));
      const DD y = f(std::as_const(xd));
      // y.tangent(l) is d f / d x_{jb+l} as a dual; its inner tangent k differentiates it
      // again along x_{ib+k}. Writing both triangles keeps H symmetric to the last bit.
      for (int l = 0; l < wj; ++l) {
        for (int k = 0; k < wi; ++k) {
          const T h = y.tangent(l).tangent(k);
          H(jb + l, ib + k) = h;
          H(ib + k, jb + l) = h;
        }
      }
      for (int l = 0; l < wj; ++l) xd(jb + l).tangent(l) = D(T(0));
    }
    for (int k = 0; k < wi; ++k) xd(ib + k).value().tangent(k) = T(0);
  }
  return H;
}

}  // namespace eigrad::forward
