// Differentiable operations of the tensor layer: the elementwise ones run the op table's
// entries (include/eigrad/ops/) in the loops of detail/kernels.hpp, forward and backward.
#include <algorithm>
#include <cmath>
#include <limits>
#include <optional>
#include <type_traits>

#include "../detail/device.hpp"
#include "../detail/kernels.hpp"
#include "eigrad/autograd/node.hpp"
#include "eigrad/detail/cascade_sum.hpp"
#include "eigrad/errors.hpp"
#include "eigrad/ops/elementwise.hpp"
#include "eigrad/ops/pow.hpp"
#include "eigrad/ops/program.hpp"

namespace eigrad {

namespace {

using detail::broadcast_binary;

/// Whether the op-table entry \p Op has a vectorised array() form for Eigen arrays of \p T.
template <class Op, class T, class = void>
struct has_array_form : std::false_type {};
template <class Op, class T>
struct has_array_form<Op, T,
                      std::void_t<decltype(std::declval<const Op&>().array(
                          std::declval<const typename Tensor<T>::ConstArrayMap&>()))>> : std::true_type {};

/// Whether the one-operand entry \p Op declares its gradient to be g itself.
template <class Op, class = void>
struct grad_is_g : std::false_type {};
template <class Op>
struct grad_is_g<Op, std::void_t<decltype(Op::grad_is_g)>> : std::bool_constant<Op::grad_is_g> {};

/// The device kernel table's form of the one-operand entry \p op (its code and scalars).
template <class T, class Op>
cuda::Unary<T> device_unary(const Op& op) {
  constexpr ops::Code code = ops::code_of_v<Op>;
  if constexpr (code == ops::Code::Clamp) return cuda::Unary<T>::clamp(op.lo, op.hi);
  else if constexpr (code == ops::Code::PowScalarBase) return cuda::Unary<T>::pow_base(op.s);
  else if constexpr (code >= ops::Code::AddScalar) return cuda::Unary<T>::with_scalar(code, op.s);
  else return cuda::Unary<T>::plain(code);
}

/// op.value(x) elementwise: through Eigen's vectorised form where the entry has one.
template <class T, class Op>
Tensor<T> map_unary(const Tensor<T>& a, const Op& op) {
  Tensor<T> out = empty<T>(a.shape(), a.device());
  if (detail::on_device(a)) {
    cuda::unary(device_unary<T>(op), a.data_ptr(), out.data_ptr(), a.numel());
    return out;
  }
  if constexpr (has_array_form<Op, T>::value) {
    const typename Tensor<T>::ConstArrayMap in(a.data(), a.numel());
    out.array() = op.array(in);
  } else {
    detail::unary(a.data(), out.data(), a.numel(), [&op](T x) { return op.value(x); });
  }
  return out;
}

template <class T, class Op>
Tensor<T> map_binary(const Tensor<T>& a, const Tensor<T>& b, const Op& op) {
  detail::check_same_device(Op::name, a, b);
  const Shape out_shape = broadcast_shapes(a.shape(), b.shape());
  Tensor<T> out = empty<T>(out_shape, a.device());
  if (detail::on_device(a)) {
    cuda::binary(ops::code_of_v<Op>, detail::device_operand(a), detail::device_operand(b), out.data_ptr(), out_shape);
    return out;
  }
  broadcast_binary(a.data(), a.shape(), b.data(), b.shape(), out.data(), out_shape,
                   [&op](T x, T y) { return op.value(x, y); });
  return out;
}

/// f(x, y, ...) elementwise over operands of the same device whose shapes broadcast together
/// (backward formulas: the gradient, saved inputs and output), in one pass.
template <class T, class F, class... Rest>
Tensor<T> map_broadcast(F f, const Tensor<T>& first, const Rest&... rest) {
  Shape out_shape = first.shape();
  ((out_shape = broadcast_shapes(out_shape, rest.shape())), ...);
  Tensor<T> out = empty<T>(out_shape, first.device());
  detail::broadcast_map(out.data(), out_shape, f, detail::Operand<T>{first.data(), first.shape()},
                        detail::Operand<T>{rest.data(), rest.shape()}...);
  return out;
}

// ---------------------------------------------------------------- one-operand nodes
/// out[i] = op.grad(g[i], x[i], y[i]) over contiguous buffers (x or y null when not saved).
template <class T, class Op, bool ReadsX, bool ReadsY>
void unary_grad_loop(const Op& op, const T* g, const T* x, const T* y, T* out, std::int64_t n) {
  for (std::int64_t i = 0; i < n; ++i) {
    T xi{}, yi{};
    if constexpr (ReadsX) xi = x[i];
    if constexpr (ReadsY) yi = y[i];
    out[i] = op.grad(g[i], xi, yi);
  }
}

// Where the compiler targets plain x86-64, std::fma is a library call per element; a clone
// of the double tanh loop for FMA hardware (picked at load time) keeps it one instruction.
#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && !defined(__FMA__) && defined(__ELF__)
__attribute__((target_clones("fma", "default")))
#endif
void tanh_backward_loop(const double* g, const double* y, double* out, std::int64_t n) {
  unary_grad_loop<double, ops::Tanh, false, true>(ops::Tanh{}, g, nullptr, y, out, n);
}

/// The node of a one-operand table entry \p Op: saves what its gradient reads, or with
/// \p KeepBoth the input and the output whatever it reads (the math functions, whose
/// in-place checks cover both: doc/design.md).
template <class T, class Op, bool KeepBoth>
class UnaryBackward final : public Node<T> {
  static constexpr bool reads_x = KeepBoth || Op::saves_input;
  static constexpr bool reads_y = KeepBoth || Op::saves_output;

 public:
  UnaryBackward(const Op& op, const Tensor<T>& x, const Tensor<T>& y) : op_(op) {
    if constexpr (reads_x) this->save(x);
    if constexpr (reads_y) this->save(y);
  }
  std::string name() const override { return Op::name; }

 protected:
  std::vector<Tensor<T>> backward(const Tensor<T>& g) override {
    if constexpr (grad_is_g<Op>::value) return {g};
    Tensor<T> gx = empty<T>(g.shape(), g.device());
    const T* px = nullptr;
    const T* py = nullptr;
    if constexpr (reads_x) px = this->saved(0).data_ptr();
    if constexpr (reads_y) py = this->saved(reads_x ? 1 : 0).data_ptr();
    if (detail::on_device(g)) {
      cuda::unary_grad(device_unary<T>(op_), g.data_ptr(), px, py, gx.data_ptr(), g.numel());
      return {gx};
    }
    if constexpr (std::is_same_v<T, double> && std::is_same_v<Op, ops::Tanh>) {
      tanh_backward_loop(g.data(), py, gx.data(), g.numel());
    } else {
      unary_grad_loop<T, Op, reads_x, reads_y>(op_, g.data(), px, py, gx.data(), g.numel());
    }
    return {gx};
  }

 private:
  Op op_;
};

/// y = op(a), recorded with \p Op's node when a requires grad (no node is built otherwise).
template <bool KeepBoth = false, class T, class Op>
Tensor<T> unary_op(const Tensor<T>& a, const Op& op) {
  Tensor<T> y = map_unary(a, op);
  if (!autograd::any_requires_grad<T>({&a})) return y;
  return autograd::record<T>(y, std::make_shared<UnaryBackward<T, Op, KeepBoth>>(op, a, y), {&a});
}

/// The gradient of x.pow(e): its kernel (x ^ (e - 1)) is chosen once per backward call.
template <class T>
class PowScalarBackward final : public Node<T> {
 public:
  PowScalarBackward(const Tensor<T>& x, double e) : e_(e) { this->save(x); }
  std::string name() const override { return "PowBackward0"; }

 protected:
  std::vector<Tensor<T>> backward(const Tensor<T>& g) override {
    if (e_ == 0.0) return {zeros_like(g)};  // pow_backward's zeros, even at x = 0 or a NaN g
    const Tensor<T>& x = this->saved(0);
    if (detail::on_device(g)) {
      Tensor<T> gx = empty<T>(g.shape(), g.device());
      const T* unread_y = nullptr;
      cuda::unary_grad(cuda::Unary<T>::pow_exponent(e_), g.data_ptr(), x.data_ptr(), unread_y, gx.data_ptr(),
                       g.numel());
      return {gx};
    }
    return ops::with_pow_grad<T>(e_, [&](auto entry) {
      Tensor<T> gx = empty<T>(g.shape(), g.device());
      unary_grad_loop<T, decltype(entry), true, false>(entry, g.data(), x.data(), nullptr, gx.data(), g.numel());
      return std::vector<Tensor<T>>{gx};
    });
  }

 private:
  double e_;
};

// ---------------------------------------------------------------- broadcasting binary nodes
/// The node of a two-operand table entry \p Op: each operand's gradient in one pass over the
/// broadcast shape, then summed back to the operand's shape.
template <class T, class Op>
class BinaryBackward final : public Node<T> {
 public:
  BinaryBackward(const Tensor<T>& a, const Tensor<T>& b, const Tensor<T>& y)
      : a_shape_(a.shape()), b_shape_(b.shape()) {
    if constexpr (Op::saves_input) {
      this->save(a);
      this->save(b);
    }
    if constexpr (Op::saves_output) this->save(y);
  }
  std::string name() const override { return Op::name; }

 protected:
  std::vector<Tensor<T>> backward(const Tensor<T>& g) override {
    Tensor<T> ga, gb;
    if (this->needs_input_grad(0)) ga = Op::grad_a_is_g ? g : operand_grad<0>(g);
    if (this->needs_input_grad(1)) gb = Op::grad_b_is_g ? g : operand_grad<1>(g);
    if (ga.defined() && ga.shape() != a_shape_) ga = ga.sum_to(a_shape_);
    if (gb.defined() && gb.shape() != b_shape_) gb = gb.sum_to(b_shape_);
    return {ga, gb};
  }

 private:
  template <int Which>
  Tensor<T> operand_grad(const Tensor<T>& g) const {
    if (detail::on_device(g)) return device_operand_grad(Which, g);
    auto grad = [](T gi, T a, T b, T y) {
      return Which == 0 ? Op{}.grad_a(gi, a, b, y) : Op{}.grad_b(gi, a, b, y);
    };
    if constexpr (Op::saves_output) {
      return map_broadcast(grad, g, this->saved(0), this->saved(1), this->saved(2));
    } else if constexpr (Op::saves_input) {
      return map_broadcast([grad](T gi, T a, T b) { return grad(gi, a, b, T(0)); }, g, this->saved(0), this->saved(1));
    } else {
      return map_broadcast([grad](T gi) { return grad(gi, T(0), T(0), T(0)); }, g);
    }
  }

  /// operand_grad on the device: one kernel-table pass over g's shape. An operand the entry's
  /// gradient does not read is given as g (read through valid memory, its values unused).
  Tensor<T> device_operand_grad(int which, const Tensor<T>& g) const {
    Tensor<T> out = empty<T>(g.shape(), g.device());
    const cuda::Operand<T> unread = detail::device_operand(g);
    const cuda::Operand<T> a = Op::saves_input ? detail::device_operand(this->saved(0)) : unread;
    const cuda::Operand<T> b = Op::saves_input ? detail::device_operand(this->saved(1)) : unread;
    const T* y = Op::saves_output ? this->saved(Op::saves_input ? 2 : 0).data_ptr() : nullptr;
    cuda::binary_grad(ops::code_of_v<Op>, which, g.data_ptr(), a, b, y, out.data_ptr(), g.shape());
    return out;
  }

  Shape a_shape_, b_shape_;
};

template <class T, class Op>
Tensor<T> binary_op(const Tensor<T>& a, const Tensor<T>& b) {
  Tensor<T> y = map_binary(a, b, Op{});
  if (!autograd::any_requires_grad<T>({&a, &b})) return y;
  return autograd::record<T>(y, std::make_shared<BinaryBackward<T, Op>>(a, b, y), {&a, &b});
}

// ---------------------------------------------------------------- reductions
/// Sums dimension \p d of a contiguous tensor viewed as [outer, n, inner].
template <class T>
Tensor<T> sum_dim_raw(const Tensor<T>& a, int d, bool keepdim) {
  const Shape& s = a.shape();
  std::int64_t outer = 1, inner = 1;
  for (int i = 0; i < d; ++i) outer *= s[i];
  for (int i = d + 1; i < static_cast<int>(s.size()); ++i) inner *= s[i];
  const std::int64_t n = s.empty() ? 1 : s[d];
  Shape out_shape = s;
  if (!s.empty()) {
    if (keepdim) out_shape[d] = 1;
    else out_shape.erase(out_shape.begin() + d);
  }
  if (detail::on_device(a)) {
    Tensor<T> out = empty<T>(out_shape, a.device());
    if (s.empty()) cuda::copy(out.data_ptr(), a.data_ptr(), 1);  // a 0-d tensor sums to itself
    else cuda::sum_dim(a.data_ptr(), s, d, out.data_ptr());
    return out;
  }
  Tensor<T> out = zeros<T>(out_shape, a.device());
  const T* in = a.data();
  T* o = out.data();
  if (inner == 1) {
    // Contiguous rows sum in PyTorch's order (detail/cascade_sum.hpp), as sum() does.
    for (std::int64_t i = 0; i < outer; ++i) o[i] = detail::cascade_sum(in + i * n, n);
    return out;
  }
  // A strided dimension: one running sum per column, in row order.
  for (std::int64_t i = 0; i < outer; ++i)
    for (std::int64_t j = 0; j < n; ++j) {
      const T* row = in + (i * n + j) * inner;
      T* dst = o + i * inner;
      for (std::int64_t k = 0; k < inner; ++k) dst[k] += row[k];
    }
  return out;
}

template <class T>
class SumBackward final : public Node<T> {  // also mean (divisor n)
 public:
  SumBackward(Shape input_shape, int dim, bool keepdim, T divisor, const char* name)
      : input_shape_(std::move(input_shape)), dim_(dim), keepdim_(keepdim), divisor_(divisor), name_(name) {}
  std::string name() const override { return name_; }

 protected:
  std::vector<Tensor<T>> backward(const Tensor<T>& g) override {
    Tensor<T> gg = g;
    if (dim_ >= 0 && !keepdim_ && !input_shape_.empty()) gg = g.unsqueeze(dim_);
    // sum: grad.expand(sizes); mean: grad.expand(sizes) / n, a division as PyTorch's
    // mean_backward does (g * (1/n) rounds differently), in the same pass as the copy.
    Tensor<T> out = empty<T>(input_shape_, g.device());
    if (detail::on_device(g)) {  // v / 1 is v, bit for bit (signed zeros and NaNs too)
      const Tensor<T> n = full<T>({}, divisor_, g.device());
      cuda::binary(ops::Code::Div, detail::device_operand(gg), detail::device_operand(n), out.data_ptr(),
                   input_shape_);
      return {out};
    }
    T* o = out.data();
    if (divisor_ == T(1)) {
      broadcast_binary(o, input_shape_, gg.data(), gg.shape(), o, input_shape_, [](T, T v) { return v; });
    } else {
      const T n = divisor_;
      broadcast_binary(o, input_shape_, gg.data(), gg.shape(), o, input_shape_, [n](T, T v) { return v / n; });
    }
    return {out};
  }

 private:
  Shape input_shape_;
  int dim_;  // -1: all dimensions
  bool keepdim_;
  T divisor_;
  const char* name_;
};

template <class T>
class MatmulBackward final : public Node<T> {
 public:
  MatmulBackward(const Tensor<T>& a, const Tensor<T>& b) {
    this->save(a);
    this->save(b);
  }
  std::string name() const override { return "MmBackward0"; }

 protected:
  std::vector<Tensor<T>> backward(const Tensor<T>& g) override {
    const Tensor<T>& a = this->saved(0);
    const Tensor<T>& b = this->saved(1);
    Tensor<T> ga, gb;
    if (detail::on_device(g)) {
      if (this->needs_input_grad(0)) ga = g.matmul(b.t());
      if (this->needs_input_grad(1)) gb = a.t().matmul(g);
      return {ga, gb};
    }
    if (this->needs_input_grad(0)) {
      ga = empty<T>(a.shape(), a.device());
      ga.matrix().noalias() = g.matrix() * b.matrix().transpose();
    }
    if (this->needs_input_grad(1)) {
      gb = empty<T>(b.shape(), b.device());
      gb.matrix().noalias() = a.matrix().transpose() * g.matrix();
    }
    return {ga, gb};
  }
};

template <class T>
class TransposeBackward final : public Node<T> {
 public:
  std::string name() const override { return "TBackward0"; }

 protected:
  std::vector<Tensor<T>> backward(const Tensor<T>& g) override { return {g.t()}; }
};


/// x.pow(e) elementwise, its kernel chosen once for the whole tensor (on the device as well).
template <class T>
Tensor<T> map_pow(const Tensor<T>& a, double exponent) {
  Tensor<T> out = empty<T>(a.shape(), a.device());
  if (detail::on_device(a)) {
    cuda::unary(cuda::Unary<T>::pow_exponent(exponent), a.data_ptr(), out.data_ptr(), a.numel());
    return out;
  }
  ops::with_pow_kernel<T>(exponent, [&a, &out](auto kernel) { detail::unary(a.data(), out.data(), a.numel(), kernel); });
  return out;
}

/// The sum of all elements of \p a as a 0-d tensor on its device, divided by \p divisor
/// when given (mean: the sum's own rounding, then one division, as on the CPU). On the device
/// the sum stays there (no host synchronisation) and adds in another order.
template <class T>
Tensor<T> sum_all(const Tensor<T>& a, std::optional<T> divisor = std::nullopt) {
  if (!detail::on_device(a)) {
    const T sum = detail::cascade_sum(a.data(), a.numel());
    return scalar_tensor<T>(divisor ? sum / *divisor : sum);
  }
  Tensor<T> out = empty<T>({}, a.device());
  cuda::sum_into(a.data_ptr(), a.numel(), out.data_ptr());
  if (divisor)
    cuda::unary(cuda::Unary<T>::with_scalar(ops::Code::DivScalar, *divisor), out.data_ptr(), out.data_ptr(), 1);
  return out;
}

}  // namespace

// -------------------------------------------------------------------- members
namespace detail {
template <class T, class Op>
Tensor<T> eager_unary(const Tensor<T>& a, const Op& op) {
  return unary_op<true>(a, op);
}

template <class T, class Op>
Tensor<T> eager_binary(const Tensor<T>& a, const Tensor<T>& b) {
  return binary_op<T, Op>(a, b);
}

template <class T>
Tensor<T> eager_pow(const Tensor<T>& a, double exponent) {
  Tensor<T> y = map_pow(a, exponent);
  if (!autograd::any_requires_grad<T>({&a})) return y;
  return autograd::record<T>(y, std::make_shared<PowScalarBackward<T>>(a, exponent), {&a});
}
}  // namespace detail

template <class T>
Tensor<T> Tensor<T>::pow(const Tensor& exponent) const {
  return binary_op<T, ops::Pow>(*this, exponent);
}

template <class T>
Tensor<T> Tensor<T>::sum() const {
  Tensor<T> out = sum_all(*this);
  if (!autograd::any_requires_grad<T>({this})) return out;
  return autograd::record<T>(out, std::make_shared<SumBackward<T>>(shape(), -1, false, T(1), "SumBackward0"), {this});
}

template <class T>
Tensor<T> Tensor<T>::sum(std::int64_t dim, bool keepdim) const {
  const int d = wrap_dim(dim, this->dim());
  Tensor<T> out = sum_dim_raw(*this, d, keepdim);
  if (!autograd::any_requires_grad<T>({this})) return out;
  return autograd::record<T>(out, std::make_shared<SumBackward<T>>(shape(), d, keepdim, T(1), "SumBackward1"), {this});
}

template <class T>
Tensor<T> Tensor<T>::mean() const {
  const std::int64_t n = numel();
  Tensor<T> out =
      n ? sum_all(*this, std::optional<T>(static_cast<T>(n))) : full<T>({}, std::numeric_limits<T>::quiet_NaN(), device());
  if (!autograd::any_requires_grad<T>({this})) return out;
  return autograd::record<T>(
      out, std::make_shared<SumBackward<T>>(shape(), -1, false, static_cast<T>(n), "MeanBackward0"), {this});
}

template <class T>
Tensor<T> Tensor<T>::mean(std::int64_t dim, bool keepdim) const {
  const int d = wrap_dim(dim, this->dim());
  const std::int64_t n = this->dim() == 0 ? 1 : shape()[d];
  Tensor<T> out = sum_dim_raw(*this, d, keepdim);
  out /= static_cast<T>(n);
  if (!autograd::any_requires_grad<T>({this})) return out;
  return autograd::record<T>(
      out, std::make_shared<SumBackward<T>>(shape(), d, keepdim, static_cast<T>(n), "MeanBackward1"), {this});
}

template <class T>
Tensor<T> Tensor<T>::sum_to(const Shape& target) const {
  if (shape() == target) return *this;
  EIGRAD_CHECK(broadcast_shapes(target, shape()) == shape(), ShapeError, "sum_to: shape ", to_string(shape()),
               " is not a broadcast of ", to_string(target));
  Tensor<T> out = *this;
  const int lead = dim() - static_cast<int>(target.size());
  for (int i = 0; i < lead; ++i) out = out.sum(0, false);
  for (int i = 0; i < static_cast<int>(target.size()); ++i)
    if (target[i] == 1 && out.shape()[i] != 1) out = out.sum(i, true);
  return out;
}

template <class T>
Tensor<T> Tensor<T>::matmul(const Tensor& other) const {
  EIGRAD_CHECK(dim() == 2 && other.dim() == 2 && shape()[1] == other.shape()[0], ShapeError, "matmul: shapes ",
               to_string(shape()), " and ", to_string(other.shape()), " cannot be multiplied (need [m, k] and [k, n])");
  detail::check_same_device("matmul", *this, other);
  Tensor<T> out = empty<T>({shape()[0], other.shape()[1]}, device());
  if (detail::on_device(out))
    cuda::matmul(data_ptr(), other.data_ptr(), out.data_ptr(), shape()[0], shape()[1], other.shape()[1]);
  else
    out.matrix().noalias() = matrix() * other.matrix();
  if (!autograd::any_requires_grad<T>({this, &other})) return out;
  return autograd::record<T>(out, std::make_shared<MatmulBackward<T>>(*this, other), {this, &other});
}

template <class T>
Tensor<T> Tensor<T>::t() const {
  if (dim() < 2) return *this;
  EIGRAD_CHECK(dim() == 2, ShapeError, "t() needs a tensor of rank <= 2, got shape ", to_string(shape()));
  Tensor<T> out = empty<T>({shape()[1], shape()[0]}, device());
  if (detail::on_device(out)) cuda::transpose(data_ptr(), out.data_ptr(), shape()[0], shape()[1]);
  else out.matrix() = matrix().transpose();
  return autograd::record<T>(out, std::make_shared<TransposeBackward<T>>(), {this});
}

// -------------------------------------------------------------------- free functions
template <class T>
Tensor<T> maximum(const Tensor<T>& a, const Tensor<T>& b) {
  return binary_op<T, ops::Maximum>(a, b);
}
template <class T>
Tensor<T> minimum(const Tensor<T>& a, const Tensor<T>& b) {
  return binary_op<T, ops::Minimum>(a, b);
}
template <class T>
Tensor<T> add_scalar(const Tensor<T>& a, T s) { return unary_op(a, ops::AddScalar<T>{{}, s}); }
template <class T>
Tensor<T> sub_scalar(const Tensor<T>& a, T s) { return unary_op(a, ops::SubScalar<T>{{}, s}); }
template <class T>
Tensor<T> mul_scalar(const Tensor<T>& a, T s) { return unary_op(a, ops::MulScalar<T>{{}, s}); }
template <class T>
Tensor<T> div_scalar(const Tensor<T>& a, T s) { return unary_op(a, ops::DivScalar<T>{{}, s}); }
template <class T>
Tensor<T> rsub_scalar(const Tensor<T>& a, T s) { return unary_op(a, ops::RSubScalar<T>{{}, s}); }
template <class T>
Tensor<T> rdiv_scalar(const Tensor<T>& a, T s) { return unary_op(a, ops::RDivScalar<T>{{}, s}); }
template <class T>
Tensor<T> pow(T s, const Tensor<T>& exponent) { return unary_op(exponent, ops::PowScalarBase<T>(s)); }
template <class T>
Tensor<T> clamp(const Tensor<T>& a, T lo, T hi) {
  EIGRAD_CHECK(!(lo > hi), ValueError, "clamp: lower bound ", std::to_string(lo), " above upper bound ",
               std::to_string(hi));
  return unary_op(a, ops::Clamp<T>{{}, lo, hi});
}

#define EIGRAD_INSTANTIATE_OPS(T)                                              \
  template Tensor<T> detail::eager_binary<T, ops::Add>(const Tensor<T>&, const Tensor<T>&); \
  template Tensor<T> detail::eager_binary<T, ops::Sub>(const Tensor<T>&, const Tensor<T>&); \
  template Tensor<T> detail::eager_binary<T, ops::Mul>(const Tensor<T>&, const Tensor<T>&); \
  template Tensor<T> detail::eager_binary<T, ops::Div>(const Tensor<T>&, const Tensor<T>&); \
  template Tensor<T> detail::eager_pow<T>(const Tensor<T>&, double);           \
  template Tensor<T> maximum<T>(const Tensor<T>&, const Tensor<T>&);           \
  template Tensor<T> minimum<T>(const Tensor<T>&, const Tensor<T>&);           \
  template Tensor<T> add_scalar<T>(const Tensor<T>&, T);                       \
  template Tensor<T> mul_scalar<T>(const Tensor<T>&, T);                       \
  template Tensor<T> div_scalar<T>(const Tensor<T>&, T);                       \
  template Tensor<T> sub_scalar<T>(const Tensor<T>&, T);                       \
  template Tensor<T> rsub_scalar<T>(const Tensor<T>&, T);                      \
  template Tensor<T> rdiv_scalar<T>(const Tensor<T>&, T);                      \
  template Tensor<T> pow<T>(T, const Tensor<T>&);                              \
  template Tensor<T> clamp<T>(const Tensor<T>&, T, T);                         \
  template Tensor<T> detail::eager_unary<T, ops::Neg>(const Tensor<T>&, const ops::Neg&); \
  template Tensor<T> detail::eager_unary<T, ops::Sin>(const Tensor<T>&, const ops::Sin&); \
  template Tensor<T> detail::eager_unary<T, ops::Cos>(const Tensor<T>&, const ops::Cos&); \
  template Tensor<T> detail::eager_unary<T, ops::Exp>(const Tensor<T>&, const ops::Exp&); \
  template Tensor<T> detail::eager_unary<T, ops::Log>(const Tensor<T>&, const ops::Log&); \
  template Tensor<T> detail::eager_unary<T, ops::Sqrt>(const Tensor<T>&, const ops::Sqrt&); \
  template Tensor<T> detail::eager_unary<T, ops::Abs>(const Tensor<T>&, const ops::Abs&); \
  template Tensor<T> detail::eager_unary<T, ops::Tanh>(const Tensor<T>&, const ops::Tanh&); \
  template Tensor<T> detail::eager_unary<T, ops::Sigmoid>(const Tensor<T>&, const ops::Sigmoid&); \
  template Tensor<T> detail::eager_unary<T, ops::Relu>(const Tensor<T>&, const ops::Relu&); \
  template Tensor<T> Tensor<T>::pow(const Tensor<T>&) const;                   \
  template Tensor<T> Tensor<T>::sum() const;                                   \
  template Tensor<T> Tensor<T>::sum(std::int64_t, bool) const;                 \
  template Tensor<T> Tensor<T>::mean() const;                                  \
  template Tensor<T> Tensor<T>::mean(std::int64_t, bool) const;                \
  template Tensor<T> Tensor<T>::sum_to(const Shape&) const;                    \
  template Tensor<T> Tensor<T>::matmul(const Tensor<T>&) const;                \
  template Tensor<T> Tensor<T>::t() const;

EIGRAD_INSTANTIATE_OPS(float)
EIGRAD_INSTANTIATE_OPS(double)

}  // namespace eigrad
