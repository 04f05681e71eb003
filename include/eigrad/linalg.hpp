#pragma once
/// \file linalg.hpp
/// \brief Dense linear algebra on tensors that is not differentiated (solves used as
///        references and in closed-form fits).
#include "eigrad/tensor.hpp"

namespace eigrad::linalg {

/// Least-squares solution X of A X ≈ B by Eigen's column-pivoting Householder QR, as
/// `torch.linalg.lstsq(A, B).solution`. \p A is [m, n]; \p B is [m] (giving [n]) or [m, k]
/// (giving [n, k]). ShapeError naming both shapes when the rows differ. The solve is not
/// recorded: AutogradError when an input requires grad while grad mode is on.
template <class T>
Tensor<T> lstsq(const Tensor<T>& A, const Tensor<T>& B);

/// Solution X of the square system A X = B by LU with partial pivoting, as
/// `torch.linalg.solve(A, B)` (LAPACK's gesv). \p A is [n, n]; \p B is [n] (giving [n]) or
/// [n, k] (giving [n, k]). ShapeError naming both shapes when A is not square or B does not
/// fit; ValueError when A is singular (a pivot is exactly zero). Compiled once in the
/// library, so a small Newton step does not instantiate a decomposition in the caller's code.
/// Not recorded: AutogradError when an input requires grad while grad mode is on.
template <class T>
Tensor<T> solve(const Tensor<T>& A, const Tensor<T>& B);

/// \cond INTERNAL
extern template Tensor<float> lstsq<float>(const Tensor<float>&, const Tensor<float>&);
extern template Tensor<double> lstsq<double>(const Tensor<double>&, const Tensor<double>&);
extern template Tensor<float> solve<float>(const Tensor<float>&, const Tensor<float>&);
extern template Tensor<double> solve<double>(const Tensor<double>&, const Tensor<double>&);
/// \endcond

}  // namespace eigrad::linalg
