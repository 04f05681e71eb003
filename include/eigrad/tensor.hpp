#pragma once
/// \file tensor.hpp
/// \brief Tensor<T>: an n-dimensional array on a device, with PyTorch's semantics.
///
/// A Tensor is a handle: copies share the same data and autograd state (as `torch.Tensor`
/// objects do in Python). Element types are `float` and `double`; ranks 0 to 8; storage is
/// always contiguous row-major, and views (reshape, unsqueeze, flatten) share it.
///
/// This header gathers the parts under `eigrad/tensor/`: options, the class, factories,
/// operators, Eigen interop, printing, comparisons, indexing, reductions and shape ops, and the
/// lazy expressions tensor arithmetic returns.
#include "eigrad/tensor/compare.hpp"    // IWYU pragma: export
#include "eigrad/tensor/eigen.hpp"      // IWYU pragma: export
#include "eigrad/tensor/factories.hpp"  // IWYU pragma: export
#include "eigrad/tensor/indexing.hpp"   // IWYU pragma: export
#include "eigrad/tensor/operators.hpp"  // IWYU pragma: export
#include "eigrad/tensor/options.hpp"    // IWYU pragma: export
#include "eigrad/tensor/print.hpp"      // IWYU pragma: export
#include "eigrad/tensor/reductions.hpp" // IWYU pragma: export
#include "eigrad/tensor/shape_ops.hpp"  // IWYU pragma: export
#include "eigrad/tensor/tensor.hpp"     // IWYU pragma: export
// Tensor arithmetic returns the lazy expressions of expr/expr.hpp, recorded as Nodes.
#include "eigrad/expr/expr.hpp"          // IWYU pragma: export
#include "eigrad/autograd/node.hpp"      // IWYU pragma: export
