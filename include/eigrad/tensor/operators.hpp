#pragma once
/// \file tensor/operators.hpp
/// \brief Recorded free functions: arithmetic operators, scalar forms and elementwise math.
#include <type_traits>

#include "eigrad/tensor/tensor.hpp"

namespace eigrad {

// -------------------------------------------------------------------- recorded free functions
/// a + b with broadcasting.
template <class T> Tensor<T> operator+(const Tensor<T>& a, const Tensor<T>& b);
/// a - b with broadcasting.
template <class T> Tensor<T> operator-(const Tensor<T>& a, const Tensor<T>& b);
/// a * b with broadcasting.
template <class T> Tensor<T> operator*(const Tensor<T>& a, const Tensor<T>& b);
/// a / b with broadcasting.
template <class T> Tensor<T> operator/(const Tensor<T>& a, const Tensor<T>& b);
/// -a.
template <class T> Tensor<T> operator-(const Tensor<T>& a);
/// a + s.
template <class T> Tensor<T> add_scalar(const Tensor<T>& a, T s);
/// a * s.
template <class T> Tensor<T> mul_scalar(const Tensor<T>& a, T s);
/// a - s.
template <class T> Tensor<T> sub_scalar(const Tensor<T>& a, T s);
/// a / s (a true division, as PyTorch rounds it).
template <class T> Tensor<T> div_scalar(const Tensor<T>& a, T s);
/// s - a.
template <class T> Tensor<T> rsub_scalar(const Tensor<T>& a, T s);
/// s / a.
template <class T> Tensor<T> rdiv_scalar(const Tensor<T>& a, T s);
/// Elementwise maximum with broadcasting (gradient to the larger; split evenly on ties).
template <class T> Tensor<T> maximum(const Tensor<T>& a, const Tensor<T>& b);
/// Elementwise minimum with broadcasting.
template <class T> Tensor<T> minimum(const Tensor<T>& a, const Tensor<T>& b);
/// Elementwise \p s raised to the tensor \p exponent.
template <class T> Tensor<T> pow(T s, const Tensor<T>& exponent);
/// Elementwise clamp to [lo, hi] (gradient passes inside the interval).
template <class T> Tensor<T> clamp(const Tensor<T>& a, T lo, T hi);

/// \cond OPERATOR_OVERLOADS
template <class T, class S, std::enable_if_t<std::is_arithmetic_v<S>, int> = 0>
Tensor<T> operator+(const Tensor<T>& a, S s) { return add_scalar(a, static_cast<T>(s)); }
template <class T, class S, std::enable_if_t<std::is_arithmetic_v<S>, int> = 0>
Tensor<T> operator+(S s, const Tensor<T>& a) { return add_scalar(a, static_cast<T>(s)); }
template <class T, class S, std::enable_if_t<std::is_arithmetic_v<S>, int> = 0>
Tensor<T> operator-(const Tensor<T>& a, S s) { return sub_scalar(a, static_cast<T>(s)); }
template <class T, class S, std::enable_if_t<std::is_arithmetic_v<S>, int> = 0>
Tensor<T> operator-(S s, const Tensor<T>& a) { return rsub_scalar(a, static_cast<T>(s)); }
template <class T, class S, std::enable_if_t<std::is_arithmetic_v<S>, int> = 0>
Tensor<T> operator*(const Tensor<T>& a, S s) { return mul_scalar(a, static_cast<T>(s)); }
template <class T, class S, std::enable_if_t<std::is_arithmetic_v<S>, int> = 0>
Tensor<T> operator*(S s, const Tensor<T>& a) { return mul_scalar(a, static_cast<T>(s)); }
template <class T, class S, std::enable_if_t<std::is_arithmetic_v<S>, int> = 0>
Tensor<T> operator/(const Tensor<T>& a, S s) { return div_scalar(a, static_cast<T>(s)); }
template <class T, class S, std::enable_if_t<std::is_arithmetic_v<S>, int> = 0>
Tensor<T> operator/(S s, const Tensor<T>& a) { return rdiv_scalar(a, static_cast<T>(s)); }
/// \endcond

/// Elementwise sine.
template <class T> Tensor<T> sin(const Tensor<T>& a) { return a.sin(); }
/// Elementwise cosine.
template <class T> Tensor<T> cos(const Tensor<T>& a) { return a.cos(); }
/// Elementwise exponential.
template <class T> Tensor<T> exp(const Tensor<T>& a) { return a.exp(); }
/// Elementwise natural logarithm.
template <class T> Tensor<T> log(const Tensor<T>& a) { return a.log(); }
/// Elementwise square root.
template <class T> Tensor<T> sqrt(const Tensor<T>& a) { return a.sqrt(); }
/// Elementwise absolute value.
template <class T> Tensor<T> abs(const Tensor<T>& a) { return a.abs(); }
/// Elementwise hyperbolic tangent.
template <class T> Tensor<T> tanh(const Tensor<T>& a) { return a.tanh(); }
/// Elementwise power.
template <class T> Tensor<T> pow(const Tensor<T>& a, double e) { return a.pow(e); }
/// Elementwise power with a tensor exponent.
template <class T> Tensor<T> pow(const Tensor<T>& a, const Tensor<T>& e) { return a.pow(e); }
/// Rank-2 matrix product.
template <class T> Tensor<T> matmul(const Tensor<T>& a, const Tensor<T>& b) { return a.matmul(b); }

}  // namespace eigrad
