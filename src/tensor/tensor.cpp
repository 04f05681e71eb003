// Tensor<T>: metadata, autograd state, views and in-place updates.
#include "eigrad/tensor/tensor.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "../detail/block_cache.hpp"
#include "../detail/device.hpp"
#include "../detail/kernels.hpp"
#include "eigrad/autograd/grad_mode.hpp"
#include "eigrad/autograd/node.hpp"
#include "eigrad/detail/tensor_impl.hpp"
#include "eigrad/random.hpp"

namespace eigrad {

namespace {

using detail::TensorImpl;

template <class T>
std::shared_ptr<TensorImpl<T>> make_impl(Storage<T> storage, Shape shape, std::int64_t offset) {
  check_shape(shape);
  EIGRAD_CHECK(offset >= 0 && offset + numel(shape) <= storage.size(), ShapeError, "shape ", to_string(shape),
               " at offset ", offset, " does not fit a storage of ", storage.size(), " elements");
  auto impl = std::allocate_shared<TensorImpl<T>>(detail::CachingAllocator<TensorImpl<T>>());
  impl->storage = std::move(storage);
  impl->offset = offset;
  impl->shape = std::move(shape);
  return impl;
}

/// A gradient-free node for view-like ops: the gradient is reshaped back.
template <class T>
class ReshapeBackward final : public Node<T> {
 public:
  ReshapeBackward(Shape input_shape, const char* name) : input_shape_(std::move(input_shape)), name_(name) {}
  std::string name() const override { return name_; }

 protected:
  std::vector<Tensor<T>> backward(const Tensor<T>& g) override { return {g.reshape(input_shape_)}; }

 private:
  Shape input_shape_;
  const char* name_;
};

/// The gradient of a copy to another device is copied back to the source's device.
template <class T>
class ToCopyBackward final : public Node<T> {
 public:
  explicit ToCopyBackward(Device source) : source_(source) {}
  std::string name() const override { return "ToCopyBackward0"; }

 protected:
  std::vector<Tensor<T>> backward(const Tensor<T>& g) override { return {g.detach().to(source_)}; }

 private:
  Device source_;
};

/// The elements of \p src copied into \p dst (same element count, any devices).
template <class T>
void copy_elements(const Tensor<T>& dst, const Tensor<T>& src) {
  const std::int64_t n = src.numel();
  if (n == 0) return;  // an empty tensor's pointer may be null
  const bool from_device = detail::on_device(src), to_device = detail::on_device(dst);
  if (from_device && to_device) cuda::copy(dst.data_ptr(), src.data_ptr(), n);
  else if (to_device) cuda::copy_from_host(dst.data_ptr(), src.data_ptr(), n);
  else if (from_device) cuda::copy_to_host(dst.data_ptr(), src.data_ptr(), n);
  else std::memmove(dst.data_ptr(), src.data_ptr(), sizeof(T) * n);
}

template <class T>
class CloneBackward final : public Node<T> {
 public:
  std::string name() const override { return "CloneBackward0"; }

 protected:
  std::vector<Tensor<T>> backward(const Tensor<T>& g) override { return {g}; }
};

}  // namespace

// -------------------------------------------------------------------- construction
template <class T>
Tensor<T>::Tensor(std::initializer_list<T> values)
    : impl_(make_impl(Storage<T>(static_cast<std::int64_t>(values.size())),
                      Shape{static_cast<std::int64_t>(values.size())}, 0)) {
  std::copy(values.begin(), values.end(), data());
}

template <class T>
Tensor<T>::Tensor(std::initializer_list<std::initializer_list<T>> rows) {
  const auto r = static_cast<std::int64_t>(rows.size());
  const auto c = r ? static_cast<std::int64_t>(rows.begin()->size()) : 0;
  for (const auto& row : rows)
    EIGRAD_CHECK(static_cast<std::int64_t>(row.size()) == c, ShapeError, "ragged nested list: rows of ", c,
                 " and ", row.size(), " elements");
  impl_ = make_impl(Storage<T>(r * c), Shape{r, c}, 0);
  T* out = data();
  for (const auto& row : rows) out = std::copy(row.begin(), row.end(), out);
}

template <class T>
Tensor<T>::Tensor(Storage<T> storage, Shape shape, std::int64_t offset)
    : impl_(make_impl(std::move(storage), std::move(shape), offset)) {}

template <class T>
void Tensor<T>::check_defined(const char* what) const {
  EIGRAD_CHECK(impl(), ValueError, what, " called on an undefined tensor");
}

template <class T>
void Tensor<T>::check_inplace(const char* what) const {
  check_defined(what);
  if (impl()->requires_grad && GradMode::is_enabled()) {
    EIGRAD_CHECK(impl()->grad_fn, AutogradError, "a leaf tensor of shape ", to_string(impl()->shape),
                 " that requires grad is used in the in-place operation ", what,
                 "; do the update inside an eigrad::NoGradGuard");
    EIGRAD_FAIL(AutogradError, "the in-place operation ", what, " on a non-leaf tensor of shape ",
                to_string(impl()->shape), " that requires grad would not be recorded; use the out-of-place operation");
  }
  impl()->storage.bump_version();
}

// -------------------------------------------------------------------- metadata
template <class T>
const Shape& Tensor<T>::shape() const {
  check_defined("shape()");
  return impl()->shape;
}

template <class T>
std::int64_t Tensor<T>::size(std::int64_t dim) const {
  return shape()[wrap_dim(dim, this->dim())];
}

template <class T>
std::int64_t Tensor<T>::numel() const { return eigrad::numel(shape()); }

template <class T>
const Device& Tensor<T>::device() const {
  check_defined("device()");
  return impl()->storage.device();
}

template <class T>
const Storage<T>& Tensor<T>::storage() const {
  check_defined("storage()");
  return impl()->storage;
}

template <class T>
std::int64_t Tensor<T>::storage_offset() const {
  check_defined("storage_offset()");
  return impl()->offset;
}

template <class T>
T* Tensor<T>::data() const {
  check_defined("data()");
  EIGRAD_CHECK(!impl()->storage.device().is_cuda(), DeviceError, "data() of a tensor of shape ",
               to_string(impl()->shape), " on ", impl()->storage.device().str(),
               ": the host cannot read device memory; copy it with cpu() first (data_ptr() is the device pointer)");
  return impl()->storage.data() + impl()->offset;
}

template <class T>
T* Tensor<T>::data_ptr() const {
  check_defined("data_ptr()");
  return impl()->storage.data() + impl()->offset;
}

template <class T>
T Tensor<T>::item() const {
  EIGRAD_CHECK(numel() == 1, ValueError, "item() needs a tensor with one element, got shape ", to_string(shape()));
  if (!is_cuda()) return data()[0];
  T value;
  cuda::copy_to_host(&value, data_ptr(), 1);
  return value;
}

template <class T>
typename Tensor<T>::ArrayMap Tensor<T>::array() const {
  return ArrayMap(data(), numel());
}

template <class T>
typename Tensor<T>::MatrixMap Tensor<T>::matrix() const {
  EIGRAD_CHECK(dim() == 2, ShapeError, "matrix() needs a rank-2 tensor, got shape ", to_string(shape()));
  return MatrixMap(data(), shape()[0], shape()[1]);
}

template <class T>
std::vector<T> Tensor<T>::to_vector() const {
  if (!is_cuda()) return std::vector<T>(data(), data() + numel());
  std::vector<T> host(static_cast<std::size_t>(numel()));
  if (!host.empty()) cuda::copy_to_host(host.data(), data_ptr(), numel());
  return host;
}

// -------------------------------------------------------------------- autograd state
template <class T>
bool Tensor<T>::requires_grad() const { return impl() && impl()->requires_grad; }

template <class T>
Tensor<T>& Tensor<T>::requires_grad_(bool requires) {
  check_defined("requires_grad_()");
  EIGRAD_CHECK(!impl()->grad_fn || requires, AutogradError, "requires_grad_(false) on a non-leaf tensor of shape ",
               to_string(shape()), "; use detach() to get a tensor outside the graph");
  impl()->requires_grad = requires || impl()->grad_fn != nullptr;
  return *this;
}

template <class T>
Tensor<T>& Tensor<T>::grad() const {
  check_defined("grad()");
  return impl()->grad;
}

template <class T>
void Tensor<T>::set_data(const Tensor& data) const {
  check_defined("set_data()");
  EIGRAD_CHECK(data.defined(), ValueError, "set_data() needs a defined tensor, got an undefined one");
  impl()->storage = data.storage();
  impl()->offset = data.storage_offset();
  impl()->shape = data.shape();
}

template <class T>
void Tensor<T>::set_grad(const Tensor& grad) const {
  check_defined("set_grad()");
  EIGRAD_CHECK(!grad.defined() || grad.shape() == shape(), ShapeError, "set_grad: gradient of shape ",
               to_string(grad.shape()), " for a tensor of shape ", to_string(shape()));
  impl()->grad = grad;
}

template <class T>
bool Tensor<T>::is_leaf() const {
  check_defined("is_leaf()");
  return impl()->grad_fn == nullptr;
}

template <class T>
void Tensor<T>::retain_grad() const {
  check_defined("retain_grad()");
  EIGRAD_CHECK(impl()->requires_grad, AutogradError, "retain_grad() on a tensor of shape ", to_string(shape()),
               " that does not require grad");
  if (impl()->grad_fn) {
    detail::Internals::retained_output(*impl()->grad_fn) = impl();
    impl()->retains_grad = true;
  }
}

template <class T>
bool Tensor<T>::retains_grad() const {
  return impl() && (impl()->retains_grad || (impl()->requires_grad && !impl()->grad_fn));
}

template <class T>
const std::shared_ptr<Node<T>>& Tensor<T>::grad_fn() const {
  check_defined("grad_fn()");
  return impl()->grad_fn;
}

template <class T>
void Tensor<T>::set_grad_fn(std::shared_ptr<Node<T>> node) const {
  check_defined("set_grad_fn()");
  impl()->grad_fn = std::move(node);
  impl()->requires_grad = impl()->grad_fn != nullptr || impl()->requires_grad;
}

template <class T>
void Tensor<T>::backward(const Tensor& gradient, bool retain_graph) const {
  check_defined("backward()");
  autograd::run_backward<T>(this, 1, &gradient, 1, retain_graph);
}

template <class T>
Tensor<T> Tensor<T>::detach() const {
  check_defined("detach()");
  return Tensor(impl()->storage, impl()->shape, impl()->offset);
}

template <class T>
std::uint64_t Tensor<T>::version() const {
  check_defined("version()");
  return impl()->storage.version();
}

template <class T>
void Tensor<T>::mark_modified() const {
  check_defined("mark_modified()");
  impl()->storage.bump_version();
}


// -------------------------------------------------------------------- views and copies
template <class T>
Tensor<T> Tensor<T>::clone() const {
  Tensor out = empty<T>(shape(), device());
  copy_elements(out, *this);
  return autograd::record<T>(out, std::make_shared<CloneBackward<T>>(), {this});
}

template <class T>
Tensor<T> Tensor<T>::reshape(Shape new_shape) const {
  const std::int64_t n = numel();
  std::int64_t known = 1;
  int infer = -1;
  for (std::size_t i = 0; i < new_shape.size(); ++i) {
    if (new_shape[i] == -1) {
      EIGRAD_CHECK(infer < 0, ShapeError, "reshape to ", to_string(new_shape), ": only one extent may be -1");
      infer = static_cast<int>(i);
    } else {
      known *= new_shape[i];
    }
  }
  if (infer >= 0 && known > 0 && n % known == 0) new_shape[infer] = n / known;
  EIGRAD_CHECK(eigrad::numel(new_shape) == n && (infer < 0 || new_shape[infer] >= 0), ShapeError,
               "cannot reshape a tensor of shape ", to_string(shape()), " (", n, " elements) to ",
               to_string(new_shape));
  Tensor out(impl()->storage, std::move(new_shape), impl()->offset);
  return autograd::record<T>(out, std::make_shared<ReshapeBackward<T>>(shape(), "ViewBackward0"), {this});
}

template <class T>
Tensor<T> Tensor<T>::unsqueeze(std::int64_t dim) const {
  const int d = wrap_dim(dim, this->dim() + 1);  // the new dimension's index in the result
  Shape s = shape();
  s.insert(s.begin() + d, 1);
  Tensor out(impl()->storage, std::move(s), impl()->offset);
  return autograd::record<T>(out, std::make_shared<ReshapeBackward<T>>(shape(), "UnsqueezeBackward0"), {this});
}

template <class T>
Tensor<T> Tensor<T>::squeeze(std::int64_t dim) const {
  const int d = wrap_dim(dim, this->dim());
  if (this->dim() == 0 || shape()[d] != 1) return *this;
  Shape s = shape();
  s.erase(s.begin() + d);
  Tensor out(impl()->storage, std::move(s), impl()->offset);
  return autograd::record<T>(out, std::make_shared<ReshapeBackward<T>>(shape(), "SqueezeBackward1"), {this});
}

template <class T>
Tensor<T> Tensor<T>::flatten(std::int64_t start_dim, std::int64_t end_dim) const {
  if (dim() == 0) return reshape({1});
  const int s = wrap_dim(start_dim, dim());
  const int e = wrap_dim(end_dim, dim());
  EIGRAD_CHECK(s <= e, ValueError, "flatten: start_dim ", start_dim, " comes after end_dim ", end_dim,
               " for shape ", to_string(shape()));
  Shape out;
  for (int i = 0; i < s; ++i) out.push_back(shape()[i]);
  std::int64_t merged = 1;
  for (int i = s; i <= e; ++i) merged *= shape()[i];
  out.push_back(merged);
  for (int i = e + 1; i < dim(); ++i) out.push_back(shape()[i]);
  return reshape(out);
}

template <class T>
Tensor<T> Tensor<T>::to(const Device& target) const {
  check_defined("to()");
  if (target == device()) return *this;
  Tensor out = empty<T>(shape(), target);
  copy_elements(out, *this);
  return autograd::record<T>(out, std::make_shared<ToCopyBackward<T>>(device()), {this});
}

// -------------------------------------------------------------------- in place
template <class T>
Tensor<T>& Tensor<T>::zero_() { return fill_(T(0)); }

template <class T>
Tensor<T>& Tensor<T>::fill_(T value) {
  check_inplace("fill_");
  if (is_cuda()) cuda::fill(data_ptr(), numel(), value);
  else std::fill(data(), data() + numel(), value);
  return *this;
}

template <class T>
Tensor<T>& Tensor<T>::copy_(const Tensor& src) {
  check_inplace("copy_");
  EIGRAD_CHECK(broadcast_shapes(shape(), src.shape()) == shape(), ShapeError, "copy_: source of shape ",
               to_string(src.shape()), " does not broadcast to the destination shape ", to_string(shape()));
  if (src.numel() == numel()) {
    copy_elements(*this, src);
  } else if (is_cuda() || src.is_cuda()) {
    copy_elements(*this, src.detach().cpu().expand(shape()));  // broadcast on the host, one copy over
  } else {
    detail::broadcast_binary(data(), shape(), src.data(), src.shape(), data(), shape(),
                             [](T, T s) { return s; });
  }
  return *this;
}

namespace {
/// Fills \p self with draw() cast to T, in order. Drawn on the host and copied, so a seed gives
/// the same numbers on every device.
template <class T, class Draw>
void fill_drawn(const Tensor<T>& self, Draw draw) {
  const Tensor<T> host = self.is_cuda() ? empty<T>(self.shape()) : self;
  for (T* p = host.data(), *e = p + host.numel(); p != e; ++p) *p = static_cast<T>(draw());
  if (self.is_cuda()) copy_elements(self, host);
}
}  // namespace

template <class T>
Tensor<T>& Tensor<T>::uniform_(T from, T to) {
  check_inplace("uniform_");
  fill_drawn(*this, [from, to, &g = default_generator()] { return from + (to - from) * g.uniform(); });
  return *this;
}

template <class T>
Tensor<T>& Tensor<T>::normal_(T mean, T stddev) {
  check_inplace("normal_");
  fill_drawn(*this, [mean, stddev, &g = default_generator()] { return mean + stddev * g.normal(); });
  return *this;
}

namespace {
/// self = self OP other in place, OP the op table's entry \p code on the device and \p f on
/// the CPU (the same arithmetic).
template <class T, class F>
Tensor<T>& inplace_binary(Tensor<T>& self, const Tensor<T>& other, const char* what, ops::Code code, F f) {
  EIGRAD_CHECK(broadcast_shapes(self.shape(), other.shape()) == self.shape(), ShapeError, what,
               ": operand of shape ", to_string(other.shape()), " does not broadcast to the destination shape ",
               to_string(self.shape()));
  detail::check_same_device(what, self, other);
  if (detail::on_device(self)) {
    cuda::binary(code, detail::device_operand(self), detail::device_operand(other), self.data_ptr(), self.shape());
    return self;
  }
  detail::broadcast_binary(self.data(), self.shape(), other.data(), other.shape(), self.data(),
                           self.shape(), f);
  return self;
}

/// self = self OP value in place, OP the op table's tensor-and-scalar entry \p code.
template <class T>
Tensor<T>& inplace_scalar(Tensor<T>& self, T value, ops::Code code) {
  if (detail::on_device(self)) {
    cuda::unary(cuda::Unary<T>::with_scalar(code, value), self.data_ptr(), self.data_ptr(), self.numel());
    return self;
  }
  auto a = self.array();
  switch (code) {
    case ops::Code::AddScalar: a += value; break;
    case ops::Code::SubScalar: a -= value; break;
    case ops::Code::MulScalar: a *= value; break;
    default: a /= value; break;
  }
  return self;
}
}  // namespace

template <class T>
Tensor<T>& Tensor<T>::operator+=(const Tensor& o) {
  check_inplace("+=");
  return inplace_binary(*this, o, "+=", ops::Code::Add, [](T a, T b) { return a + b; });
}
template <class T>
Tensor<T>& Tensor<T>::operator-=(const Tensor& o) {
  check_inplace("-=");
  return inplace_binary(*this, o, "-=", ops::Code::Sub, [](T a, T b) { return a - b; });
}
template <class T>
Tensor<T>& Tensor<T>::operator*=(const Tensor& o) {
  check_inplace("*=");
  return inplace_binary(*this, o, "*=", ops::Code::Mul, [](T a, T b) { return a * b; });
}
template <class T>
Tensor<T>& Tensor<T>::operator/=(const Tensor& o) {
  check_inplace("/=");
  return inplace_binary(*this, o, "/=", ops::Code::Div, [](T a, T b) { return a / b; });
}
template <class T>
Tensor<T>& Tensor<T>::add_(const Tensor& o, T alpha) {
  check_inplace("add_");
  if (detail::on_device(*this)) {  // alpha * b then a + that: the CPU's two roundings
    detail::check_same_device("add_", *this, o);
    Tensor<T> scaled = empty<T>(o.shape(), o.device());
    cuda::unary(cuda::Unary<T>::with_scalar(ops::Code::MulScalar, alpha), o.data_ptr(), scaled.data_ptr(), o.numel());
    return inplace_binary(*this, scaled, "add_", ops::Code::Add, [](T a, T b) { return a + b; });
  }
  return inplace_binary(*this, o, "add_", ops::Code::Add, [alpha](T a, T b) { return a + alpha * b; });
}
template <class T>
Tensor<T>& Tensor<T>::operator+=(T v) {
  check_inplace("+=");
  return inplace_scalar(*this, v, ops::Code::AddScalar);
}
template <class T>
Tensor<T>& Tensor<T>::operator-=(T v) {
  check_inplace("-=");
  return inplace_scalar(*this, v, ops::Code::SubScalar);
}
template <class T>
Tensor<T>& Tensor<T>::operator*=(T v) {
  check_inplace("*=");
  return inplace_scalar(*this, v, ops::Code::MulScalar);
}
template <class T>
Tensor<T>& Tensor<T>::operator/=(T v) {
  check_inplace("/=");
  return inplace_scalar(*this, v, ops::Code::DivScalar);
}

template class Tensor<float>;
template class Tensor<double>;

}  // namespace eigrad
