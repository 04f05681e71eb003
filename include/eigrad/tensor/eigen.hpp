#pragma once
/// \file tensor/eigen.hpp
/// \brief Eigen interop: tensors over Eigen arrays and matrices without copying.
#include <Eigen/Core>

#include "eigrad/tensor/tensor.hpp"

namespace eigrad {

// -------------------------------------------------------------------- Eigen interop
/// Takes an Eigen column array without copying (moves its buffer into the tensor's storage).
template <class T>
Tensor<T> from_eigen(Eigen::Array<T, Eigen::Dynamic, 1>&& array, Shape shape = {});
/// Wraps the caller's Eigen array or matrix without copying: the tensor writes through to
/// it, and the caller keeps it alive. A matrix is viewed as [rows, cols] in its storage
/// order (row-major matrices as they are; column-major ones as their transpose's data).
template <class Derived>
Tensor<typename Derived::Scalar> from_eigen(Eigen::PlainObjectBase<Derived>& object) {
  using T = typename Derived::Scalar;
  const Shape shape = Derived::IsVectorAtCompileTime
                          ? Shape{object.size()}
                          : (Derived::IsRowMajor ? Shape{object.rows(), object.cols()}
                                                 : Shape{object.cols(), object.rows()});
  return Tensor<T>(Storage<T>::borrow(object.data(), object.size()), shape);
}

}  // namespace eigrad
