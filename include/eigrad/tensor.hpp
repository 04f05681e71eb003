#pragma once
/// \file tensor.hpp
/// \brief Tensor<T>: an n-dimensional array on a device, with PyTorch's semantics.
///
/// A Tensor is a handle: copies share the same data and autograd state (as `torch.Tensor`
/// objects do in Python). Element types are `float` and `double`; ranks 0 to 4; storage is
/// always contiguous row-major, and views (reshape, unsqueeze, flatten) share it.
#include <Eigen/Core>
#include <cstdint>
#include <initializer_list>
#include <iosfwd>
#include <memory>
#include <string>
#include <type_traits>
#include <vector>

#include "eigrad/device.hpp"
#include "eigrad/errors.hpp"
#include "eigrad/shape.hpp"
#include "eigrad/storage.hpp"

namespace eigrad {

template <class T>
class Node;
namespace detail {
template <class T>
struct TensorImpl;
struct Internals;
}  // namespace detail

/// "float32" or "float64".
template <class T>
constexpr const char* dtype_name() {
  static_assert(std::is_same_v<T, float> || std::is_same_v<T, double>,
                "eigrad tensors hold float or double");
  return std::is_same_v<T, float> ? "float32" : "float64";
}

/// Options of a new tensor: its device and whether it requires grad. Chained setters, as in
/// LibTorch: `TensorOptions().requires_grad(true)`.
class TensorOptions {
 public:
  TensorOptions() = default;
  /// Options on \p device.
  TensorOptions(Device device) : device_(device) {}  // NOLINT: implicit as in LibTorch
  /// Sets the device.
  TensorOptions& device(Device d) { device_ = d; return *this; }
  /// Sets whether the tensor is a leaf that requires grad.
  TensorOptions& requires_grad(bool r = true) { requires_grad_ = r; return *this; }
  /// The device.
  const Device& device() const { return device_; }
  /// Whether the tensor requires grad.
  bool requires_grad() const { return requires_grad_; }

 private:
  Device device_;
  bool requires_grad_ = false;
};

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

// -------------------------------------------------------------------- factories
/// `steps` values from \p start to \p end inclusive, computed exactly as PyTorch does.
template <class T>
Tensor<T> linspace(double start, double end, std::int64_t steps, TensorOptions options = {});
/// 0, 1, ... up to but excluding \p end.
template <class T>
Tensor<T> arange(double end, TensorOptions options = {});
/// start, start + step, ... up to but excluding \p end.
template <class T>
Tensor<T> arange(double start, double end, double step = 1, TensorOptions options = {});
/// All zeros.
template <class T>
Tensor<T> zeros(const Shape& shape, TensorOptions options = {});
/// All ones.
template <class T>
Tensor<T> ones(const Shape& shape, TensorOptions options = {});
/// All \p value.
template <class T>
Tensor<T> full(const Shape& shape, T value, TensorOptions options = {});
/// A rank-0 tensor holding \p value.
template <class T>
Tensor<T> scalar_tensor(T value, TensorOptions options = {});
/// Uninitialised contents.
template <class T>
Tensor<T> empty(const Shape& shape, TensorOptions options = {});
/// Standard normal draws from the global generator (see manual_seed()).
template <class T>
Tensor<T> randn(const Shape& shape, TensorOptions options = {});
/// Uniform draws in [0, 1) from the global generator.
template <class T>
Tensor<T> rand(const Shape& shape, TensorOptions options = {});
/// A tensor of \p shape holding a copy of \p values (row-major).
template <class T>
Tensor<T> from_vector(const std::vector<T>& values, const Shape& shape, TensorOptions options = {});
/// Same shape and options as \p like, all zeros.
template <class T>
Tensor<T> zeros_like(const Tensor<T>& like);
/// Same shape as \p like, all ones.
template <class T>
Tensor<T> ones_like(const Tensor<T>& like);

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

// -------------------------------------------------------------------- recorded free functions
/// a + b with broadcasting.
template <class T> Tensor<T> operator+(const Tensor<T>& a, const Tensor<T>& b);
/// a - b with broadcasting.
template <class T> Tensor<T> operator-(const Tensor<T>& a, const Tensor<T>& b);
/// a * b with broadcasting.
template <class T> Tensor<T> operator*(const Tensor<T>& a, const Tensor<T>& b);
/// a / b with broadcasting.
template <class T> Tensor<T> operator/(const Tensor<T>& a, const Tensor<T>& b);
/// -a.
template <class T> Tensor<T> operator-(const Tensor<T>& a);
/// a + s.
template <class T> Tensor<T> add_scalar(const Tensor<T>& a, T s);
/// a * s.
template <class T> Tensor<T> mul_scalar(const Tensor<T>& a, T s);
/// a - s.
template <class T> Tensor<T> sub_scalar(const Tensor<T>& a, T s);
/// a / s (a true division, as PyTorch rounds it).
template <class T> Tensor<T> div_scalar(const Tensor<T>& a, T s);
/// s - a.
template <class T> Tensor<T> rsub_scalar(const Tensor<T>& a, T s);
/// s / a.
template <class T> Tensor<T> rdiv_scalar(const Tensor<T>& a, T s);
/// Elementwise maximum with broadcasting (gradient to the larger; split evenly on ties).
template <class T> Tensor<T> maximum(const Tensor<T>& a, const Tensor<T>& b);
/// Elementwise minimum with broadcasting.
template <class T> Tensor<T> minimum(const Tensor<T>& a, const Tensor<T>& b);
/// Elementwise \p s raised to the tensor \p exponent.
template <class T> Tensor<T> pow(T s, const Tensor<T>& exponent);
/// Elementwise clamp to [lo, hi] (gradient passes inside the interval).
template <class T> Tensor<T> clamp(const Tensor<T>& a, T lo, T hi);

/// \cond OPERATOR_OVERLOADS
template <class T, class S, std::enable_if_t<std::is_arithmetic_v<S>, int> = 0>
Tensor<T> operator+(const Tensor<T>& a, S s) { return add_scalar(a, static_cast<T>(s)); }
template <class T, class S, std::enable_if_t<std::is_arithmetic_v<S>, int> = 0>
Tensor<T> operator+(S s, const Tensor<T>& a) { return add_scalar(a, static_cast<T>(s)); }
template <class T, class S, std::enable_if_t<std::is_arithmetic_v<S>, int> = 0>
Tensor<T> operator-(const Tensor<T>& a, S s) { return sub_scalar(a, static_cast<T>(s)); }
template <class T, class S, std::enable_if_t<std::is_arithmetic_v<S>, int> = 0>
Tensor<T> operator-(S s, const Tensor<T>& a) { return rsub_scalar(a, static_cast<T>(s)); }
template <class T, class S, std::enable_if_t<std::is_arithmetic_v<S>, int> = 0>
Tensor<T> operator*(const Tensor<T>& a, S s) { return mul_scalar(a, static_cast<T>(s)); }
template <class T, class S, std::enable_if_t<std::is_arithmetic_v<S>, int> = 0>
Tensor<T> operator*(S s, const Tensor<T>& a) { return mul_scalar(a, static_cast<T>(s)); }
template <class T, class S, std::enable_if_t<std::is_arithmetic_v<S>, int> = 0>
Tensor<T> operator/(const Tensor<T>& a, S s) { return div_scalar(a, static_cast<T>(s)); }
template <class T, class S, std::enable_if_t<std::is_arithmetic_v<S>, int> = 0>
Tensor<T> operator/(S s, const Tensor<T>& a) { return rdiv_scalar(a, static_cast<T>(s)); }
/// \endcond

/// Elementwise sine.
template <class T> Tensor<T> sin(const Tensor<T>& a) { return a.sin(); }
/// Elementwise cosine.
template <class T> Tensor<T> cos(const Tensor<T>& a) { return a.cos(); }
/// Elementwise exponential.
template <class T> Tensor<T> exp(const Tensor<T>& a) { return a.exp(); }
/// Elementwise natural logarithm.
template <class T> Tensor<T> log(const Tensor<T>& a) { return a.log(); }
/// Elementwise square root.
template <class T> Tensor<T> sqrt(const Tensor<T>& a) { return a.sqrt(); }
/// Elementwise absolute value.
template <class T> Tensor<T> abs(const Tensor<T>& a) { return a.abs(); }
/// Elementwise hyperbolic tangent.
template <class T> Tensor<T> tanh(const Tensor<T>& a) { return a.tanh(); }
/// Elementwise power.
template <class T> Tensor<T> pow(const Tensor<T>& a, double e) { return a.pow(e); }
/// Elementwise power with a tensor exponent.
template <class T> Tensor<T> pow(const Tensor<T>& a, const Tensor<T>& e) { return a.pow(e); }
/// Rank-2 matrix product.
template <class T> Tensor<T> matmul(const Tensor<T>& a, const Tensor<T>& b) { return a.matmul(b); }

/// Prints like PyTorch's repr: `tensor([1.0000, 2.0000], requires_grad=True)`.
template <class T>
std::ostream& operator<<(std::ostream& os, const Tensor<T>& t);

/// True when shapes match and every element differs by at most atol + rtol·|b|.
template <class T>
bool allclose(const Tensor<T>& a, const Tensor<T>& b, double rtol = 1e-5, double atol = 1e-8);

extern template class Tensor<float>;
extern template class Tensor<double>;

}  // namespace eigrad
