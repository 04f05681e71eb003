#pragma once
/// \file data/dataset.hpp
/// \brief TensorDataset: examples that are the rows (dimension 0) of one or more tensors, as
///        `torch.utils.data.TensorDataset`.
#include <cstdint>
#include <utility>
#include <vector>

#include "eigrad/errors.hpp"
#include "eigrad/tensor.hpp"
#include "eigrad/tensor/shape_ops.hpp"

namespace eigrad::data {

/// Example i is (t[i] for t in tensors); a batch stacks the examples of its indices.
template <class T>
class TensorDataset {
 public:
  /// What get() and get_batch() return: one tensor per dataset tensor, in order.
  using Example = std::vector<Tensor<T>>;

  /// Over \p tensors, which must agree in size(0) (ValueError otherwise).
  explicit TensorDataset(std::vector<Tensor<T>> tensors) : tensors_(std::move(tensors)) {
    EIGRAD_CHECK(!tensors_.empty(), ValueError, "TensorDataset needs at least one tensor");
    for (const Tensor<T>& t : tensors_)
      EIGRAD_CHECK(t.dim() > 0 && t.size(0) == tensors_.front().size(0), ValueError,
                   "TensorDataset: size mismatch between tensors (shapes ", to_string(tensors_.front().shape()), " and ",
                   to_string(t.shape()), ")");
  }
  /// TensorDataset({x, y}).
  TensorDataset(std::initializer_list<Tensor<T>> tensors) : TensorDataset(std::vector<Tensor<T>>(tensors)) {}

  /// Number of examples.
  std::int64_t size() const { return tensors_.front().size(0); }
  /// Example \p index (negative counts from the end).
  Example get(std::int64_t index) const {
    Example out;
    for (const Tensor<T>& t : tensors_) out.push_back(t.select(0, index));
    return out;
  }
  /// The examples at \p indices stacked along a new dimension 0.
  Example get_batch(const std::vector<std::int64_t>& indices) const {
    Example out;
    for (const Tensor<T>& t : tensors_) out.push_back(index_select(t, 0, indices));
    return out;
  }
  /// The tensors.
  const std::vector<Tensor<T>>& tensors() const { return tensors_; }

 private:
  std::vector<Tensor<T>> tensors_;
};

}  // namespace eigrad::data
