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
namespace indexing {
class TensorIndex;  // Tensor::index() names it; defined in tensor/indexing.hpp
}  // namespace indexing

namespace detail {
template <class T>
struct TensorImpl;
struct Internals;
}  // namespace detail
namespace ops {
struct Sin;
struct Cos;
struct Exp;
struct Log;
struct Sqrt;
struct Abs;
struct Tanh;
struct Sigmoid;
struct Relu;
template <class T>
struct PowScalarRuntime;
}  // namespace ops
namespace expr {
template <class Derived, class T>
class Expr;
template <class T>
class Leaf;
template <class Op, class A>
class Unary;
}  // namespace expr

/// An n-dimensional array of \p T (float or double) with autograd.
///
/// \snippet tensor.cpp tensor
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
  /// Another handle of \p other's tensor (an expression is evaluated first).
  Tensor(const Tensor& other) : impl_(other.impl()) {}
  /// Takes over \p other's handle (an expression is evaluated first, and keeps its result).
  Tensor(Tensor&& other) : impl_(other.take_impl()) {}
  /// Makes this a handle of \p other's tensor.
  Tensor& operator=(const Tensor& other) {
    impl_ = other.impl();
    return *this;
  }
  /// Takes over \p other's handle.
  Tensor& operator=(Tensor&& other) {
    impl_ = other.take_impl();
    return *this;
  }
  /// Releases the handle.
  ~Tensor() = default;
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
  bool defined() const { return static_cast<bool>(impl()); }
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
  /// True when the data lives on a CUDA device.
  bool is_cuda() const { return device().is_cuda(); }
  /// Pointer to the first element (contiguous row-major) of a CPU tensor. DeviceError on a
  /// "cuda" tensor, whose elements the host cannot read: copy it with cpu() first, or use
  /// data_ptr() to hand its memory to a device kernel.
  T* data() const;
  /// Pointer to the first element on the tensor's own device (a device pointer on "cuda").
  T* data_ptr() const;
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
  bool is_same(const Tensor& other) const { return impl() == other.impl(); }
  /// An identity shared by every handle of this tensor (null for an undefined one): a key
  /// for per-tensor state, as the optimizers keep (LibTorch keys it by the TensorImpl).
  const void* id() const { return impl().get(); }

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
  /// Copies to \p device (returns *this when already there); recorded, so the gradient flows
  /// back to this tensor's device. DeviceError when \p device is not in this build.
  Tensor to(const Device& device) const;
  /// Same as to(Device::cpu()).
  Tensor cpu() const { return to(Device::cpu()); }
  /// Makes this tensor (and every handle of it) use \p data's storage, shape and device,
  /// keeping its own autograd identity: as PyTorch's `param.data = data`, which
  /// Module::to() uses to move parameters without replacing them.
  void set_data(const Tensor& data) const;

  // ---------------------------------------------------------------- math (recorded)
  // The elementwise functions return lazy expressions (expr/expr.hpp): a statement evaluates
  // in one pass and records one node; the expression converts to a Tensor implicitly.
  /// Elementwise power with a real exponent (2 and 3 are exact repeated products).
  expr::Unary<ops::PowScalarRuntime<T>, expr::Leaf<T>> pow(double exponent) const;
  /// Elementwise power with a broadcast tensor exponent.
  Tensor pow(const Tensor& exponent) const;
  /// Elementwise sine.
  expr::Unary<ops::Sin, expr::Leaf<T>> sin() const;
  /// Elementwise cosine.
  expr::Unary<ops::Cos, expr::Leaf<T>> cos() const;
  /// Elementwise exponential.
  expr::Unary<ops::Exp, expr::Leaf<T>> exp() const;
  /// Elementwise natural logarithm.
  expr::Unary<ops::Log, expr::Leaf<T>> log() const;
  /// Elementwise square root.
  expr::Unary<ops::Sqrt, expr::Leaf<T>> sqrt() const;
  /// Elementwise absolute value (gradient 0 at 0, as PyTorch).
  expr::Unary<ops::Abs, expr::Leaf<T>> abs() const;
  /// Elementwise hyperbolic tangent.
  expr::Unary<ops::Tanh, expr::Leaf<T>> tanh() const;
  /// Elementwise logistic sigmoid.
  expr::Unary<ops::Sigmoid, expr::Leaf<T>> sigmoid() const;
  /// Elementwise max(x, 0).
  expr::Unary<ops::Relu, expr::Leaf<T>> relu() const;
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
  /// this += e for a lazy expression of this shape: evaluated straight into this tensor, one
  /// pass and no temporary (any other expression is evaluated first).
  template <class E>
  Tensor& operator+=(const expr::Expr<E, T>& e);
  /// this -= e, as operator+=(e).
  template <class E>
  Tensor& operator-=(const expr::Expr<E, T>& e);
  /// this *= e, as operator+=(e).
  template <class E>
  Tensor& operator*=(const expr::Expr<E, T>& e);
  /// this /= e, as operator+=(e).
  template <class E>
  Tensor& operator/=(const expr::Expr<E, T>& e);

 protected:
  /// How an expression computes the tensor it stands for (see expr/expr.hpp).
  using Evaluator = void (*)(const Tensor&);
  /// An expression's base: undefined until \p evaluator stores its result.
  explicit Tensor(Evaluator evaluator) : evaluator_(evaluator) {}
  /// An expression's copy of \p other's base: the result if there is one, never evaluating.
  Tensor(const Tensor& other, Evaluator evaluator) : impl_(other.impl_), evaluator_(evaluator) {}
  /// Whether the handle is set (a tensor, or an expression already evaluated).
  bool evaluated() const { return impl_ != nullptr; }
  /// Stores an expression's result (done once, by its evaluator).
  void set_evaluated(const Tensor& result) const { impl_ = result.impl(); }

 public:
  // ---- API breadth (issue 15)
  // Indexing, joining and dimension order (src/tensor/shape_ops.cpp). Storage has no strides,
  // so a result is a view (sharing this tensor's storage, as PyTorch's) only where its
  // elements lie contiguously in it: select, narrow and unit-step slices of dimension 0, and
  // any result whose other kept extents make it contiguous. Elsewhere it is a copy with
  // PyTorch's values and gradients, which writes made later through it do not reach.
  /// The sub-tensor at \p index of dimension \p dim, without that dimension.
  Tensor select(std::int64_t dim, std::int64_t index) const;
  /// select(0, index), as `t[i]`.
  Tensor operator[](std::int64_t index) const { return select(0, index); }
  /// \p length elements of dimension \p dim from \p start.
  Tensor narrow(std::int64_t dim, std::int64_t start, std::int64_t length) const;
  /// Elements start, start + step, ... before \p end of dimension \p dim; negative bounds
  /// count from the end and bounds are clamped, as a Python slice.
  Tensor slice(std::int64_t dim = 0, std::int64_t start = 0, std::int64_t end = INT64_MAX,
               std::int64_t step = 1) const;
  /// A multi-index as LibTorch's: `t.index({Slice(0, 3), 1})`, `t.index({"...", None})`.
  Tensor index(const std::vector<indexing::TensorIndex>& indices) const;
  /// The dimensions in the order \p dims (a permutation of 0 .. dim()-1).
  Tensor permute(const std::vector<std::int64_t>& dims) const;
  /// Dimensions \p dim0 and \p dim1 swapped.
  Tensor transpose(std::int64_t dim0, std::int64_t dim1) const;
  /// This tensor repeated along its extent-1 (or new leading) dimensions to \p shape; -1
  /// keeps an extent. The gradient sums back, as PyTorch's.
  Tensor expand(const Shape& shape) const;
  /// Pieces of \p split_size along \p dim (the last may be smaller).
  std::vector<Tensor> split(std::int64_t split_size, std::int64_t dim = 0) const;
  /// Pieces of the given sizes along \p dim (they must add up to the extent).
  std::vector<Tensor> split_with_sizes(const std::vector<std::int64_t>& sizes, std::int64_t dim = 0) const;
  /// At most \p chunks pieces of ceil(extent / chunks) along \p dim, as PyTorch's chunk().
  std::vector<Tensor> chunk(std::int64_t chunks, std::int64_t dim = 0) const;
  /// A copy as element type \p U (float <-> double); gradients flow back converted to T.
  template <class U>
  Tensor<U> to() const;
  /// to<U>() spelled with a dtype tag: `t.to(eigrad::kFloat64)`.
  template <class U>
  Tensor<U> to(Dtype<U>) const { return to<U>(); }

  // Comparisons, clamp and mm (src/tensor/compare.cpp). A comparison returns a tensor of T
  // holding 1 where it holds and 0 elsewhere (PyTorch returns bool), with broadcasting, and
  // is not recorded: it has no gradient, as in PyTorch.
  /// this == other.
  Tensor eq(const Tensor& other) const;
  /// this != other.
  Tensor ne(const Tensor& other) const;
  /// this < other.
  Tensor lt(const Tensor& other) const;
  /// this <= other.
  Tensor le(const Tensor& other) const;
  /// this > other.
  Tensor gt(const Tensor& other) const;
  /// this >= other.
  Tensor ge(const Tensor& other) const;
  /// this == value.
  Tensor eq(T value) const;
  /// this != value.
  Tensor ne(T value) const;
  /// this < value.
  Tensor lt(T value) const;
  /// this <= value.
  Tensor le(T value) const;
  /// this > value.
  Tensor gt(T value) const;
  /// this >= value.
  Tensor ge(T value) const;
  /// Elementwise clamp to [min, max] (gradient passes where min <= x <= max).
  Tensor clamp(T min, T max) const;
  /// Elementwise max(x, min).
  Tensor clamp_min(T min) const;
  /// Elementwise min(x, max).
  Tensor clamp_max(T max) const;
  /// matmul(), as `torch.mm`.
  Tensor mm(const Tensor& other) const { return matmul(other); }

  // Reductions (src/tensor/reductions.cpp). An empty \p dims list reduces every dimension.
  // Indices (max, min, argmax, argmin) are tensors of T holding integers (exact below 2^24 in
  // float), since eigrad tensors hold float or double only.
  /// Sum over \p dims.
  Tensor sum(const std::vector<std::int64_t>& dims, bool keepdim = false) const;
  /// Mean over \p dims.
  Tensor mean(const std::vector<std::int64_t>& dims, bool keepdim = false) const;
  /// Product of all elements.
  Tensor prod() const;
  /// Product over \p dim.
  Tensor prod(std::int64_t dim, bool keepdim = false) const;
  /// Largest element (NaN if any is NaN); the gradient is shared evenly by ties.
  Tensor max() const;
  /// Largest values over \p dim and their first indices (`auto [values, indices] = t.max(1)`).
  std::pair<Tensor, Tensor> max(std::int64_t dim, bool keepdim = false) const;
  /// Smallest element.
  Tensor min() const;
  /// Smallest values over \p dim and their first indices.
  std::pair<Tensor, Tensor> min(std::int64_t dim, bool keepdim = false) const;
  /// Flat index of the first largest element (rank 0).
  Tensor argmax() const;
  /// Indices of the first largest elements over \p dim.
  Tensor argmax(std::int64_t dim, bool keepdim = false) const;
  /// Flat index of the first smallest element (rank 0).
  Tensor argmin() const;
  /// Indices of the first smallest elements over \p dim.
  Tensor argmin(std::int64_t dim, bool keepdim = false) const;
  /// Variance of all elements, divided by n - 1 when \p unbiased, else by n.
  Tensor var(bool unbiased = true) const;
  /// Variance over \p dims.
  Tensor var(const std::vector<std::int64_t>& dims, bool unbiased = true, bool keepdim = false) const;
  /// Variance over \p dim. With it, `var(1)` and `var({1})` do not compile (ambiguous with
  /// var(bool)) instead of silently meaning unbiased = true: write `var(std::int64_t{1})`.
  Tensor var(std::int64_t dim, bool unbiased = true, bool keepdim = false) const {
    return var(std::vector<std::int64_t>{dim}, unbiased, keepdim);
  }
  /// Standard deviation of all elements.
  Tensor std(bool unbiased = true) const;
  /// Standard deviation over \p dims.
  Tensor std(const std::vector<std::int64_t>& dims, bool unbiased = true, bool keepdim = false) const;
  /// Standard deviation over \p dim.
  Tensor std(std::int64_t dim, bool unbiased = true, bool keepdim = false) const {
    return std(std::vector<std::int64_t>{dim}, unbiased, keepdim);
  }
  /// The \p p-norm of all elements (p > 0, or infinity); gradient 0 where the norm is 0.
  Tensor norm(double p = 2) const;
  /// The \p p-norm over \p dims.
  Tensor norm(double p, const std::vector<std::int64_t>& dims, bool keepdim = false) const;
  /// exp(x) / sum(exp(x)) over \p dim, computed from x - max as PyTorch does.
  Tensor softmax(std::int64_t dim) const;
  /// log(softmax(x)) over \p dim, computed as x - max - log(sum(exp(x - max))).
  Tensor log_softmax(std::int64_t dim) const;

 private:
  friend struct detail::Internals;  // the autograd sources' access to impl_
  void check_defined(const char* what) const;
  void check_inplace(const char* what) const;
  /// The state behind the handle, evaluating a pending expression first.
  const std::shared_ptr<detail::TensorImpl<T>>& impl() const {
    if (!impl_ && evaluator_) evaluator_(*this);
    return impl_;
  }
  /// impl() to move out: an expression keeps its result (it may be used again).
  std::shared_ptr<detail::TensorImpl<T>> take_impl() {
    if (evaluator_) return impl();
    return std::move(impl_);
  }
  mutable std::shared_ptr<detail::TensorImpl<T>> impl_;
  Evaluator evaluator_ = nullptr;  // set in the base of an expression only
};

extern template class Tensor<float>;
extern template class Tensor<double>;

}  // namespace eigrad
