#pragma once
/// \file tensor/operators.hpp
/// \brief Recorded free functions: arithmetic operators, scalar forms and elementwise math.
#include <type_traits>

#include "eigrad/tensor/tensor.hpp"

namespace eigrad {

// -------------------------------------------------------------------- recorded free functions
// The arithmetic operators (+ - * / and unary -, between tensors, expressions and numbers),
// pow(x, e) and the elementwise math functions build lazy expressions: see expr/expr.hpp.
/// a + s (eager: one node).
template <class T> Tensor<T> add_scalar(const Tensor<T>& a, T s);
/// a * s (eager: one node).
template <class T> Tensor<T> mul_scalar(const Tensor<T>& a, T s);
/// a - s (eager: one node).
template <class T> Tensor<T> sub_scalar(const Tensor<T>& a, T s);
/// a / s (a true division, as PyTorch rounds it; eager: one node).
template <class T> Tensor<T> div_scalar(const Tensor<T>& a, T s);
/// s - a (eager: one node).
template <class T> Tensor<T> rsub_scalar(const Tensor<T>& a, T s);
/// s / a (eager: one node).
template <class T> Tensor<T> rdiv_scalar(const Tensor<T>& a, T s);
/// Elementwise maximum with broadcasting (gradient to the larger; split evenly on ties).
template <class T> Tensor<T> maximum(const Tensor<T>& a, const Tensor<T>& b);
/// Elementwise minimum with broadcasting.
template <class T> Tensor<T> minimum(const Tensor<T>& a, const Tensor<T>& b);
/// Elementwise \p s raised to the tensor \p exponent.
template <class T> Tensor<T> pow(T s, const Tensor<T>& exponent);
/// Elementwise clamp to [lo, hi] (gradient passes inside the interval).
template <class T> Tensor<T> clamp(const Tensor<T>& a, T lo, T hi);
/// Elementwise power with a tensor exponent.
template <class T> Tensor<T> pow(const Tensor<T>& a, const Tensor<T>& e) { return a.pow(e); }
/// Rank-2 matrix product.
template <class T> Tensor<T> matmul(const Tensor<T>& a, const Tensor<T>& b) { return a.matmul(b); }

namespace detail {
/// The eager form of the one-operand entry \p Op (the elementwise math functions): one node.
template <class T, class Op> Tensor<T> eager_unary(const Tensor<T>& a, const Op& op);
/// The eager form of the two-operand entry \p Op (Add, Sub, Mul, Div) with full
/// broadcasting: one node. Expressions fall back on it for shapes they cannot fuse.
template <class T, class Op> Tensor<T> eager_binary(const Tensor<T>& a, const Tensor<T>& b);
/// The eager x.pow(e): one node.
template <class T> Tensor<T> eager_pow(const Tensor<T>& a, double e);
}  // namespace detail

}  // namespace eigrad
