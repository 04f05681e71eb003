#pragma once
/// \file tensor/shape_ops.hpp
/// \brief Joining tensors (cat, stack) and the free forms of the indexing members.
#include <cstdint>
#include <vector>

#include "eigrad/tensor/indexing.hpp"
#include "eigrad/tensor/tensor.hpp"

namespace eigrad {

/// \p tensors joined along \p dim: every other extent must agree (ShapeError naming the
/// shapes otherwise). Recorded: each input gets its slice of the gradient.
template <class T>
Tensor<T> cat(const std::vector<Tensor<T>>& tensors, std::int64_t dim = 0);

/// \p tensors (all of one shape) joined along a new dimension \p dim.
template <class T>
Tensor<T> stack(const std::vector<Tensor<T>>& tensors, std::int64_t dim = 0);

/// The slices of \p input at \p index along \p dim, in that order (repeats allowed), as
/// `torch.index_select`. Recorded: repeated slices add their gradients.
template <class T>
Tensor<T> index_select(const Tensor<T>& input, std::int64_t dim, const std::vector<std::int64_t>& index);

/// out[i][j][k] = input[index[i][j][k]][j][k] for dim 0 (and likewise for the others), as
/// `torch.gather`; \p index holds integers in a tensor of T and has input's rank.
template <class T>
Tensor<T> gather(const Tensor<T>& input, std::int64_t dim, const Tensor<T>& index);

/// Free form of Tensor::split().
template <class T>
std::vector<Tensor<T>> split(const Tensor<T>& t, std::int64_t split_size, std::int64_t dim = 0) {
  return t.split(split_size, dim);
}
/// Free form of Tensor::chunk().
template <class T>
std::vector<Tensor<T>> chunk(const Tensor<T>& t, std::int64_t chunks, std::int64_t dim = 0) {
  return t.chunk(chunks, dim);
}
/// Free form of Tensor::select().
template <class T>
Tensor<T> select(const Tensor<T>& t, std::int64_t dim, std::int64_t index) { return t.select(dim, index); }
/// Free form of Tensor::narrow().
template <class T>
Tensor<T> narrow(const Tensor<T>& t, std::int64_t dim, std::int64_t start, std::int64_t length) {
  return t.narrow(dim, start, length);
}
/// Free form of Tensor::permute().
template <class T>
Tensor<T> permute(const Tensor<T>& t, const std::vector<std::int64_t>& dims) { return t.permute(dims); }
/// Free form of Tensor::transpose().
template <class T>
Tensor<T> transpose(const Tensor<T>& t, std::int64_t dim0, std::int64_t dim1) { return t.transpose(dim0, dim1); }

}  // namespace eigrad
