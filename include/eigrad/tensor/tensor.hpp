#pragma once
/// \file tensor/tensor.hpp
/// \brief The Tensor<T> class: a handle to an n-dimensional array with autograd state.
#include <Eigen/Core>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <memory>
#include <string>
#include <type_traits>
#include <vector>

#include "eigrad/device.hpp"
#include "eigrad/errors.hpp"
#include "eigrad/shape.hpp"
#include "eigrad/storage.hpp"
#include "eigrad/tensor/options.hpp"

namespace eigrad {

template <class T>
class Node;
namespace detail {
template <class T>
struct TensorImpl;
struct Internals;
}  // namespace detail

/// An n-dimensional array of \p T (float or double) with autograd.
template <class T>
class Tensor {
  static_assert(std::is_same_v<T, float> || std::is_same_v<T, double>,
                "eigrad tensors hold float or double");

 public:
  /// Element type.
  using Scalar = T;
  /// A flat view of the elements as an Eigen array (zero-copy).
  using ArrayMap = Eigen::Map<Eigen::Array<T, Eigen::Dynamic, 1>>;
  /// A flat read-only view of the elements as an Eigen array.
  using ConstArrayMap = Eigen::Map<const Eigen::Array<T, Eigen::Dynamic, 1>>;
  /// A rank-2 view as a row-major Eigen matrix (zero-copy).
  using MatrixMap =
      Eigen::Map<Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>>;

  /// An undefined tensor (like a Python `None` gradient).
  Tensor() = default;
  /// A rank-1 tensor from a braced list: `Tensor<float>{1, 2, 3}`.
  Tensor(std::initializer_list<T> values);
  /// A rank-2 tensor from nested braced lists: `Tensor<float>{{1, 2}, {3, 4}}`.
  Tensor(std::initializer_list<std::initializer_list<T>> rows);
  /// `t = {}` (or `t = nullptr`) makes the handle undefined, as `p.grad = None`. Declared so
  /// that clang, which finds the implicit copy and move assignments equally good for empty
  /// braces, accepts `p.grad() = {}` as g++ does.
  Tensor& operator=(std::nullptr_t) {
    *this = Tensor();
    return *this;
  }
  /// A tensor of \p shape over \p storage starting at \p offset (advanced use).
  Tensor(Storage<T> storage, Shape shape, std::int64_t offset = 0);

  // ---------------------------------------------------------------- metadata
  /// False for a default-constructed (undefined) tensor.
  bool defined() const { return static_cast<bool>(impl_); }
  /// Extents, outermost first.
  const Shape& shape() const;
  /// Extents, as PyTorch's `sizes()`.
  const Shape& sizes() const { return shape(); }
  /// Extent of dimension \p dim (negative counts from the end).
  std::int64_t size(std::int64_t dim) const;
  /// Rank.
  int dim() const { return static_cast<int>(shape().size()); }
  /// Number of elements.
  std::int64_t numel() const;
  /// Where the data lives.
  const Device& device() const;
  /// The underlying buffer (shared with views).
  const Storage<T>& storage() const;
  /// Offset of the first element in storage().
  std::int64_t storage_offset() const;
  /// Pointer to the first element (contiguous row-major).
  T* data() const;
  /// The single value of a one-element tensor; throws ValueError otherwise.
  T item() const;
  /// item() converted to \p U (as LibTorch's `item<U>()`).
  template <class U>
  U item() const { return static_cast<U>(item()); }
  /// Flat zero-copy view as an Eigen array.
  ArrayMap array() const;
  /// Zero-copy view of a rank-2 tensor as a row-major Eigen matrix; ShapeError otherwise.
  MatrixMap matrix() const;
  /// The elements copied into a std::vector.
  std::vector<T> to_vector() const;
  /// True when both are handles of the same tensor.
  bool is_same(const Tensor& other) const { return impl_ == other.impl_; }
  /// An identity shared by every handle of this tensor (null for an undefined one): a key
  /// for per-tensor state, as the optimizers keep (LibTorch keys it by the TensorImpl).
  const void* id() const { return impl_.get(); }

  // ---------------------------------------------------------------- autograd
  /// Whether gradients flow to or through this tensor.
  bool requires_grad() const;
  /// Makes a leaf require grad (or not); returns *this. AutogradError on a non-leaf.
  Tensor& requires_grad_(bool requires = true);
  /// The accumulated gradient; undefined until a backward pass reaches it. Assign `{}` to
  /// reset it as `p.grad = None` does.
  Tensor& grad() const;
  /// Replaces the gradient (undefined resets it).
  void set_grad(const Tensor& grad) const;
  /// True for tensors created by the user rather than by a recorded operation.
  bool is_leaf() const;
  /// Keeps the gradient of this non-leaf in grad() during backward passes.
  void retain_grad() const;
  /// Whether retain_grad() was called (always true for leaves requiring grad).
  bool retains_grad() const;
  /// The node that produced this tensor; null for leaves.
  const std::shared_ptr<Node<T>>& grad_fn() const;
  /// Attaches \p node as the producer of this tensor (used by operations and Function).
  void set_grad_fn(std::shared_ptr<Node<T>> node) const;
  /// Back-propagates from this tensor. Without \p gradient the tensor must hold one element
  /// (the gradient is then 1). Unless \p retain_graph, saved buffers are freed afterwards.
  void backward(const Tensor& gradient = {}, bool retain_graph = false) const;
  /// A tensor sharing the data but cut from the graph.
  Tensor detach() const;
  /// Counts in-place modifications of the data, shared by every view of it (and by
  /// detach()); backward() uses it to refuse saved tensors changed since they were saved.
  std::uint64_t version() const;
  /// Records an in-place change made directly through data() or array() (in-place ops
  /// record theirs themselves).
  void mark_modified() const;

  // ---------------------------------------------------------------- conversions and views
  /// A copy with its own storage (recorded: gradients flow back).
  Tensor clone() const;
  /// The same data viewed with \p shape (one extent may be -1). ShapeError if sizes differ.
  Tensor reshape(Shape shape) const;
  /// Same as reshape().
  Tensor view(Shape shape) const { return reshape(std::move(shape)); }
  /// Inserts a dimension of extent 1 at \p dim (negative counts from the end).
  Tensor unsqueeze(std::int64_t dim) const;
  /// Removes dimension \p dim if its extent is 1.
  Tensor squeeze(std::int64_t dim) const;
  /// Merges dimensions \p start_dim .. \p end_dim into one.
  Tensor flatten(std::int64_t start_dim = 0, std::int64_t end_dim = -1) const;
  /// Copies to \p device (returns *this when already there). DeviceError if not built.
  Tensor to(const Device& device) const;
  /// Makes this tensor (and every handle of it) use \p data's storage, shape and device,
  /// keeping its own autograd identity: as PyTorch's `param.data = data`, which
  /// Module::to() uses to move parameters without replacing them.
  void set_data(const Tensor& data) const;

  // ---------------------------------------------------------------- math (recorded)
  /// Elementwise power with a real exponent (2 and 3 are exact repeated products).
  Tensor pow(double exponent) const;
  /// Elementwise power with a broadcast tensor exponent.
  Tensor pow(const Tensor& exponent) const;
  /// Elementwise sine.
  Tensor sin() const;
  /// Elementwise cosine.
  Tensor cos() const;
  /// Elementwise exponential.
  Tensor exp() const;
  /// Elementwise natural logarithm.
  Tensor log() const;
  /// Elementwise square root.
  Tensor sqrt() const;
  /// Elementwise absolute value (gradient 0 at 0, as PyTorch).
  Tensor abs() const;
  /// Elementwise hyperbolic tangent.
  Tensor tanh() const;
  /// Elementwise logistic sigmoid.
  Tensor sigmoid() const;
  /// Elementwise max(x, 0).
  Tensor relu() const;
  /// Sum of all elements (rank 0).
  Tensor sum() const;
  /// Sum over \p dim, keeping it with extent 1 when \p keepdim.
  Tensor sum(std::int64_t dim, bool keepdim = false) const;
  /// Mean of all elements (rank 0).
  Tensor mean() const;
  /// Mean over \p dim.
  Tensor mean(std::int64_t dim, bool keepdim = false) const;
  /// Sums this tensor down to \p shape, reversing broadcasting (the adjoint of expand).
  Tensor sum_to(const Shape& shape) const;
  /// Rank-2 matrix product (Eigen GEMM); ShapeError naming both shapes on mismatch.
  Tensor matmul(const Tensor& other) const;
  /// Transpose of a rank-2 tensor (a copy).
  Tensor t() const;

  // ---------------------------------------------------------------- in place (not recorded)
  /// Sets every element to 0.
  Tensor& zero_();
  /// Sets every element to \p value.
  Tensor& fill_(T value);
  /// Copies \p src (broadcast to this shape) into this tensor.
  Tensor& copy_(const Tensor& src);
  /// Fills with uniform draws in [from, to) from the global generator.
  Tensor& uniform_(T from, T to);
  /// Fills with normal draws from the global generator.
  Tensor& normal_(T mean = 0, T stddev = 1);
  /// this += other (broadcast to this shape).
  Tensor& operator+=(const Tensor& other);
  /// this -= other.
  Tensor& operator-=(const Tensor& other);
  /// this *= other.
  Tensor& operator*=(const Tensor& other);
  /// this /= other.
  Tensor& operator/=(const Tensor& other);
  /// this += value.
  Tensor& operator+=(T value);
  /// this -= value.
  Tensor& operator-=(T value);
  /// this *= value.
  Tensor& operator*=(T value);
  /// this /= value.
  Tensor& operator/=(T value);
  /// this += alpha * other, one pass.
  Tensor& add_(const Tensor& other, T alpha = 1);

 private:
  friend struct detail::Internals;  // the autograd sources' access to impl_
  void check_defined(const char* what) const;
  void check_inplace(const char* what) const;
  std::shared_ptr<detail::TensorImpl<T>> impl_;
};

extern template class Tensor<float>;
extern template class Tensor<double>;

}  // namespace eigrad
