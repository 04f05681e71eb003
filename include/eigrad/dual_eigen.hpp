#pragma once
/// \file dual_eigen.hpp
/// \brief Dual numbers as Eigen scalars: `Eigen::Array<Dual<double, 4>, Dynamic, 1>`,
///        matrices of duals, and expressions mixing duals with plain `double` arrays.
///
/// Eigen's coefficient-wise functions (`.sin()`, `.exp()`, `.pow(e)`, `.abs()`, ...) call
/// the scalar function through argument-dependent lookup, so they find the overloads of
/// dual.hpp. The ScalarBinaryOpTraits below let a binary expression take a dual operand and
/// a plain one (`duals * doubles`, `dual_scalar + double_array`) without a cast, the result
/// being dual.
#include <Eigen/Core>

#include "eigrad/dual.hpp"

namespace Eigen {

/// Eigen's description of a dual scalar: a signed, real, non-integer type whose operations
/// cost N + 1 times those of its value type (vectorisation is not attempted).
template <class T, int N>
struct NumTraits<eigrad::Dual<T, N>> {
  /// A dual is its own real type (it is not complex).
  using Real = eigrad::Dual<T, N>;
  /// Already non-integer.
  using NonInteger = eigrad::Dual<T, N>;
  /// Held by value in expressions.
  using Nested = eigrad::Dual<T, N>;
  /// Type of literals in Eigen's algorithms.
  using Literal = eigrad::Dual<T, N>;
  /// Traits Eigen's evaluators read.
  enum {
    IsComplex = 0,              ///< real
    IsInteger = 0,              ///< not an integer
    IsSigned = 1,               ///< signed
    RequireInitialization = 1,  ///< has a constructor
    ReadCost = (N + 1) * NumTraits<T>::ReadCost,  ///< reads value and tangents
    AddCost = (N + 1) * NumTraits<T>::AddCost,    ///< adds value and tangents
    /// a product needs 2N + 1 products and N sums of the value type
    MulCost = (2 * N + 1) * NumTraits<T>::MulCost + N * NumTraits<T>::AddCost
  };
  /// Machine epsilon of the value type.
  static Real epsilon() { return Real(NumTraits<T>::epsilon()); }
  /// Default tolerance of isApprox and friends.
  static Real dummy_precision() { return Real(NumTraits<T>::dummy_precision()); }
  /// Largest finite value.
  static Real highest() { return Real(NumTraits<T>::highest()); }
  /// Most negative finite value.
  static Real lowest() { return Real(NumTraits<T>::lowest()); }
  /// Positive infinity.
  static Real infinity() { return Real(NumTraits<T>::infinity()); }
  /// A quiet NaN.
  static Real quiet_NaN() { return Real(NumTraits<T>::quiet_NaN()); }
  /// Decimal digits of the value type (used when printing).
  static int digits10() { return NumTraits<T>::digits10(); }
  /// Mantissa bits of the value type.
  static int digits() { return NumTraits<T>::digits(); }
  /// Smallest exponent of the value type.
  static int min_exponent() { return NumTraits<T>::min_exponent(); }
  /// Largest exponent of the value type.
  static int max_exponent() { return NumTraits<T>::max_exponent(); }
};

/// A dual combined with a `double` gives a dual (so `dual_array * double_array` compiles).
template <class T, int N, class BinaryOp>
struct ScalarBinaryOpTraits<eigrad::Dual<T, N>, double, BinaryOp> {
  /// The result is dual.
  using ReturnType = eigrad::Dual<T, N>;
};
/// A `double` combined with a dual gives a dual.
template <class T, int N, class BinaryOp>
struct ScalarBinaryOpTraits<double, eigrad::Dual<T, N>, BinaryOp> {
  /// The result is dual.
  using ReturnType = eigrad::Dual<T, N>;
};
/// A dual combined with a `float` gives a dual.
template <class T, int N, class BinaryOp>
struct ScalarBinaryOpTraits<eigrad::Dual<T, N>, float, BinaryOp> {
  /// The result is dual.
  using ReturnType = eigrad::Dual<T, N>;
};
/// A `float` combined with a dual gives a dual.
template <class T, int N, class BinaryOp>
struct ScalarBinaryOpTraits<float, eigrad::Dual<T, N>, BinaryOp> {
  /// The result is dual.
  using ReturnType = eigrad::Dual<T, N>;
};
/// A nested dual combined with its value type (one level down) gives the nested dual.
template <class T, int M, int N, class BinaryOp>
struct ScalarBinaryOpTraits<eigrad::Dual<eigrad::Dual<T, M>, N>, eigrad::Dual<T, M>, BinaryOp> {
  /// The result is the nested dual.
  using ReturnType = eigrad::Dual<eigrad::Dual<T, M>, N>;
};
/// A dual combined with a nested dual over it gives the nested dual.
template <class T, int M, int N, class BinaryOp>
struct ScalarBinaryOpTraits<eigrad::Dual<T, M>, eigrad::Dual<eigrad::Dual<T, M>, N>, BinaryOp> {
  /// The result is the nested dual.
  using ReturnType = eigrad::Dual<eigrad::Dual<T, M>, N>;
};

/// \cond INTERNAL
namespace internal {
// Eigen's BLAS-style GEMV/GEMM kernels assume the scale factor and partial sums fit the
// operands' scalar types, which fails to compile when a dual matrix meets a plain one (and
// gains nothing for duals, which do not vectorise). Products involving dual matrices take
// Eigen's coefficient-based path instead, which mixes scalar types freely.
#define EIGRAD_DUAL_COEFF_PRODUCT(TAG)                                                                \
  template <class T, int N, int R, int C, int O, int MR, int MC, class Rhs>                         \
  struct generic_product_impl<Matrix<eigrad::Dual<T, N>, R, C, O, MR, MC>, Rhs, DenseShape, DenseShape, TAG> \
      : generic_product_impl<Matrix<eigrad::Dual<T, N>, R, C, O, MR, MC>, Rhs, DenseShape, DenseShape,        \
                             CoeffBasedProductMode> {};                                              \
  template <class Lhs, class T, int N, int R, int C, int O, int MR, int MC>                         \
  struct generic_product_impl<Lhs, Matrix<eigrad::Dual<T, N>, R, C, O, MR, MC>, DenseShape, DenseShape, TAG> \
      : generic_product_impl<Lhs, Matrix<eigrad::Dual<T, N>, R, C, O, MR, MC>, DenseShape, DenseShape,        \
                             CoeffBasedProductMode> {};                                              \
  template <class T, int N, int R, int C, int O, int MR, int MC, class U, int M, int R2, int C2, int O2,   \
            int MR2, int MC2>                                                                        \
  struct generic_product_impl<Matrix<eigrad::Dual<T, N>, R, C, O, MR, MC>,                          \
                              Matrix<eigrad::Dual<U, M>, R2, C2, O2, MR2, MC2>, DenseShape, DenseShape, TAG> \
      : generic_product_impl<Matrix<eigrad::Dual<T, N>, R, C, O, MR, MC>,                           \
                             Matrix<eigrad::Dual<U, M>, R2, C2, O2, MR2, MC2>, DenseShape, DenseShape,        \
                             CoeffBasedProductMode> {};
EIGRAD_DUAL_COEFF_PRODUCT(GemvProduct)
EIGRAD_DUAL_COEFF_PRODUCT(GemmProduct)
#undef EIGRAD_DUAL_COEFF_PRODUCT
}  // namespace internal
/// \endcond

}  // namespace Eigen

namespace eigrad {

namespace detail {
struct DualValueOp {
  template <class T, int N>
  const T& operator()(const Dual<T, N>& d) const { return d.value(); }
};
struct DualTangentOp {
  int index;
  template <class T, int N>
  const T& operator()(const Dual<T, N>& d) const { return d.tangent(index); }
};
}  // namespace detail

/// The values of an Eigen array or matrix of duals, as a plain array or matrix of the
/// value type (evaluated, so it outlives \p x).
template <class Derived>
auto values(const Eigen::DenseBase<Derived>& x) {
  return x.derived().unaryExpr(detail::DualValueOp{}).eval();
}

/// Tangent number \p i of every coefficient of an Eigen array or matrix of duals, as a
/// plain array or matrix of the value type.
template <class Derived>
auto tangents(const Eigen::DenseBase<Derived>& x, int i) {
  return x.derived().unaryExpr(detail::DualTangentOp{i}).eval();
}

}  // namespace eigrad
