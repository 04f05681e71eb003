#pragma once
/// \file tensor/compare.hpp
/// \brief Comparison operators and where(cond, a, b).
///
/// A comparison gives a tensor of the operands' element type holding 1 where it holds and 0
/// elsewhere (PyTorch gives a bool tensor): the result multiplies, sums (a count) and feeds
/// where() directly. It is not recorded.
#include <type_traits>

#include "eigrad/tensor/tensor.hpp"

namespace eigrad {

/// \p a where \p cond is nonzero, \p b elsewhere, all three broadcast together. Recorded: a
/// gets the gradient where cond holds, b where it does not; cond gets none.
template <class T>
Tensor<T> where(const Tensor<T>& cond, const Tensor<T>& a, const Tensor<T>& b);

/// Elementwise clamp, as the member.
template <class T>
Tensor<T> clamp_min(const Tensor<T>& a, T min) { return a.clamp_min(min); }
/// Elementwise clamp, as the member.
template <class T>
Tensor<T> clamp_max(const Tensor<T>& a, T max) { return a.clamp_max(max); }
/// a.mm(b).
template <class T>
Tensor<T> mm(const Tensor<T>& a, const Tensor<T>& b) { return a.matmul(b); }

/// \cond OPERATOR_OVERLOADS
template <class T> Tensor<T> operator==(const Tensor<T>& a, const Tensor<T>& b) { return a.eq(b); }
template <class T> Tensor<T> operator!=(const Tensor<T>& a, const Tensor<T>& b) { return a.ne(b); }
template <class T> Tensor<T> operator<(const Tensor<T>& a, const Tensor<T>& b) { return a.lt(b); }
template <class T> Tensor<T> operator<=(const Tensor<T>& a, const Tensor<T>& b) { return a.le(b); }
template <class T> Tensor<T> operator>(const Tensor<T>& a, const Tensor<T>& b) { return a.gt(b); }
template <class T> Tensor<T> operator>=(const Tensor<T>& a, const Tensor<T>& b) { return a.ge(b); }
template <class T, class S, std::enable_if_t<std::is_arithmetic_v<S>, int> = 0>
Tensor<T> operator==(const Tensor<T>& a, S s) { return a.eq(static_cast<T>(s)); }
template <class T, class S, std::enable_if_t<std::is_arithmetic_v<S>, int> = 0>
Tensor<T> operator!=(const Tensor<T>& a, S s) { return a.ne(static_cast<T>(s)); }
template <class T, class S, std::enable_if_t<std::is_arithmetic_v<S>, int> = 0>
Tensor<T> operator<(const Tensor<T>& a, S s) { return a.lt(static_cast<T>(s)); }
template <class T, class S, std::enable_if_t<std::is_arithmetic_v<S>, int> = 0>
Tensor<T> operator<=(const Tensor<T>& a, S s) { return a.le(static_cast<T>(s)); }
template <class T, class S, std::enable_if_t<std::is_arithmetic_v<S>, int> = 0>
Tensor<T> operator>(const Tensor<T>& a, S s) { return a.gt(static_cast<T>(s)); }
template <class T, class S, std::enable_if_t<std::is_arithmetic_v<S>, int> = 0>
Tensor<T> operator>=(const Tensor<T>& a, S s) { return a.ge(static_cast<T>(s)); }
/// \endcond

}  // namespace eigrad
