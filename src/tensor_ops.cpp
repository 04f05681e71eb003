// Differentiable operations of the tensor layer: each forward is one loop from
// detail/kernels.hpp, each backward a few lines of tensor algebra (run with recording off).
#include <algorithm>
#include <cmath>
#include <type_traits>

#include "detail/kernels.hpp"
#include "eigrad/autograd/node.hpp"
#include "eigrad/errors.hpp"

namespace eigrad {

namespace {

using detail::broadcast_binary;

template <class T, class F>
Tensor<T> map_unary(const Tensor<T>& a, F f) {
  Tensor<T> out = empty<T>(a.shape(), a.device());
  detail::unary(a.data(), out.data(), a.numel(), f);
  return out;
}

template <class T, class F>
Tensor<T> map_binary(const Tensor<T>& a, const Tensor<T>& b, F f) {
  EIGRAD_CHECK(a.device() == b.device(), DeviceError, "operands on different devices: ", a.device().str(), " and ",
               b.device().str());
  const Shape out_shape = broadcast_shapes(a.shape(), b.shape());
  Tensor<T> out = empty<T>(out_shape, a.device());
  broadcast_binary(a.data(), a.shape(), b.data(), b.shape(), out.data(), out_shape, f);
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

/// x^e exactly as PyTorch's CPU pow with a scalar exponent: the exponent is compared as the
/// double it was given (as PyTorch compares its Scalar), small exponents are products, 0.5
/// and -0.5 go through sqrt, the rest through std::pow with the exponent cast to T.
template <class T>
struct PowScalarKernel {
  double e;
  T operator()(T x) const {
    if (e == 2.0) return x * x;
    if (e == 3.0) return x * x * x;
    if (e == 1.0) return x;
    if (e == 0.0) return T(1);
    if (e == 0.5) return std::sqrt(x);
    if (e == -0.5) return T(1) / std::sqrt(x);
    if (e == -1.0) return T(1) / x;
    if (e == -2.0) return T(1) / (x * x);
    return std::pow(x, static_cast<T>(e));
  }
};

// ---------------------------------------------------------------- elementwise unary nodes
// 1 - y*y rounded once: PyTorch's tanh_backward is grad * (1 - y*y), which its GCC build
// contracts into an FMA. A float's square is exact in double, and 1 - y*y rounded to double
// then to float equals the fused result for every float in [-1, 1] (checked exhaustively), so
// float needs no FMA instruction; double calls std::fma.
inline float one_minus_square(float y) {
  return static_cast<float>(1.0 - static_cast<double>(y) * static_cast<double>(y));
}
inline double one_minus_square(double y) { return std::fma(-y, y, 1.0); }

// Each unary op is a name, the forward formula and the gradient of its input from the
// incoming gradient g, the input x and the output y, written as PyTorch 1.13 writes it
// (derivatives.yaml and its CPU kernels): the same operations in the same order, so the
// rounding and the special values (0, inf, NaN) come out the same. doc/design.md lists them.
#define EIGRAD_UNARY_OP(Name, Str, Forward, Backward)                           \
  struct Name {                                                                 \
    static constexpr const char* name = Str;                                    \
    template <class T>                                                          \
    static T forward(T x) { using std::exp; return Forward; }                   \
    template <class T>                                                          \
    static T backward(T g, T x, T y) { (void)x; (void)y; return Backward; }     \
  };

EIGRAD_UNARY_OP(SinOp, "SinBackward0", std::sin(x), g * std::cos(x))
EIGRAD_UNARY_OP(CosOp, "CosBackward0", std::cos(x), g * -std::sin(x))
EIGRAD_UNARY_OP(ExpOp, "ExpBackward0", std::exp(x), g * y)
EIGRAD_UNARY_OP(LogOp, "LogBackward0", std::log(x), g / x)
EIGRAD_UNARY_OP(SqrtOp, "SqrtBackward0", std::sqrt(x), g / (T(2) * y))
EIGRAD_UNARY_OP(AbsOp, "AbsBackward0", std::abs(x), g * T((T(0) < x) - (x < T(0))))  // sgn(NaN) = 0
EIGRAD_UNARY_OP(TanhOp, "TanhBackward0", std::tanh(x), g * one_minus_square(y))
EIGRAD_UNARY_OP(SigmoidOp, "SigmoidBackward0", T(1) / (T(1) + exp(-x)), g * (T(1) - y) * y)
// clamp_min(x, 0) keeps NaN and -0.0; threshold_backward(g, y, 0) passes g unless y <= 0,
// so a NaN input gets the whole gradient.
EIGRAD_UNARY_OP(ReluOp, "ReluBackward0", x < T(0) ? T(0) : x, y <= T(0) ? T(0) : g)
#undef EIGRAD_UNARY_OP

template <class T, class Op>
void unary_backward_loop(const T* g, const T* x, const T* y, T* out, std::int64_t n) {
  for (std::int64_t i = 0; i < n; ++i) out[i] = Op::template backward<T>(g[i], x[i], y[i]);
}

// Where the compiler targets plain x86-64, std::fma is a library call per element; a clone
// of the double tanh loop for FMA hardware (picked at load time) keeps it one instruction.
#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && !defined(__FMA__) && defined(__ELF__)
__attribute__((target_clones("fma", "default")))
#endif
void tanh_backward_loop(const double* g, const double* x, const double* y, double* out, std::int64_t n) {
  unary_backward_loop<double, TanhOp>(g, x, y, out, n);
}

template <class T, class Op>
class UnaryBackward final : public Node<T> {
 public:
  UnaryBackward(const Tensor<T>& x, const Tensor<T>& y) {
    this->save(x);
    this->save(y);
  }
  std::string name() const override { return Op::name; }

 protected:
  std::vector<Tensor<T>> backward(const Tensor<T>& g) override {
    const Tensor<T>& x = this->saved(0);
    const Tensor<T>& y = this->saved(1);
    Tensor<T> gx = empty<T>(x.shape(), x.device());
    const T *pg = g.data(), *px = x.data(), *py = y.data();
    T* out = gx.data();
    const std::int64_t n = x.numel();
    if constexpr (std::is_same_v<T, double> && std::is_same_v<Op, TanhOp>) tanh_backward_loop(pg, px, py, out, n);
    else unary_backward_loop<T, Op>(pg, px, py, out, n);
    return {gx};
  }
};

template <class T, class Op>
Tensor<T> unary_op(const Tensor<T>& a) {
  Tensor<T> y = map_unary(a, [](T x) { return Op::template forward<T>(x); });
  if (!autograd::any_requires_grad<T>({&a})) return y;
  return autograd::record<T>(y, std::make_shared<UnaryBackward<T, Op>>(a, y), {&a});
}

// ---------------------------------------------------------------- scalar-operand nodes
template <class T>
class PowScalarBackward final : public Node<T> {
 public:
  PowScalarBackward(const Tensor<T>& x, double e) : e_(e) { this->save(x); }
  std::string name() const override { return "PowBackward0"; }

 protected:
  std::vector<Tensor<T>> backward(const Tensor<T>& g) override {
    // PyTorch's pow_backward: zeros for exponent 0 (even at x = 0 or with a NaN gradient),
    // else grad * (exponent * self.pow(exponent - 1)), exponent - 1 taken in double.
    if (e_ == 0.0) return {zeros_like(g)};
    const PowScalarKernel<T> pow_m1{e_ - 1.0};
    const T e = static_cast<T>(e_);
    return {map_binary(g, this->saved(0), [pow_m1, e](T gi, T x) { return gi * (e * pow_m1(x)); })};
  }

 private:
  double e_;
};

/// Gradient of torch.pow(s, exponent) (PowBackward2): grad * (result * log(s)), 0 where
/// s == 0 and exponent >= 0; log(s) is taken in double, as PyTorch's Scalar::log, then cast.
template <class T>
class PowScalarBaseBackward final : public Node<T> {
 public:
  PowScalarBaseBackward(const Tensor<T>& exponent, const Tensor<T>& y, T base) : base_(base) {
    this->save(exponent);
    this->save(y);
  }
  std::string name() const override { return "PowBackward2"; }

 protected:
  std::vector<Tensor<T>> backward(const Tensor<T>& g) override {
    const T log_base = static_cast<T>(std::log(static_cast<double>(base_)));
    const bool zero_base = base_ == T(0);
    auto grad = [log_base, zero_base](T gi, T p, T y) { return gi * ((zero_base && p >= T(0)) ? T(0) : y * log_base); };
    return {map_broadcast(grad, g, this->saved(0), this->saved(1))};
  }

 private:
  T base_;
};

template <class T>
class ScaleBackward final : public Node<T> {  // y = a * s, y = -a, y = s - a (scale -1)
 public:
  ScaleBackward(T scale, const char* name) : scale_(scale), name_(name) {}
  std::string name() const override { return name_; }

 protected:
  std::vector<Tensor<T>> backward(const Tensor<T>& g) override {
    if (scale_ == T(1)) return {g};
    if (scale_ == T(-1)) return {map_unary(g, [](T v) { return -v; })};  // grad.neg(), as PyTorch
    const T s = scale_;
    return {map_unary(g, [s](T v) { return v * s; })};
  }

 private:
  T scale_;
  const char* name_;
};

template <class T>
class DivScalarBackward final : public Node<T> {
 public:
  explicit DivScalarBackward(T s) : s_(s) {}
  std::string name() const override { return "DivBackward0"; }

 protected:
  std::vector<Tensor<T>> backward(const Tensor<T>& g) override {
    const T s = s_;
    return {map_unary(g, [s](T v) { return v / s; })};
  }

 private:
  T s_;
};

template <class T>
class RDivScalarBackward final : public Node<T> {  // y = s / x
 public:
  RDivScalarBackward(const Tensor<T>& x, T s) : s_(s) { this->save(x); }
  std::string name() const override { return "MulBackward0"; }  // PyTorch: x.reciprocal() * s

 protected:
  std::vector<Tensor<T>> backward(const Tensor<T>& g) override {
    // MulBackward0 gives grad * s, then ReciprocalBackward0 -grad * (result * result) with
    // result = 1 / x (recomputed here: the same value the forward's reciprocal made).
    const T s = s_;
    return {map_binary(g, this->saved(0), [s](T gi, T x) {
      const T r = T(1) / x;
      return -(gi * s) * (r * r);
    })};
  }

 private:
  T s_;
};

// ---------------------------------------------------------------- broadcasting binary nodes
enum class BinaryKind { Add, Sub, Mul, Div, Pow, Max, Min };

template <class T>
class BinaryBackward final : public Node<T> {
 public:
  BinaryBackward(BinaryKind kind, const Tensor<T>& a, const Tensor<T>& b, const Tensor<T>& y)
      : kind_(kind), a_shape_(a.shape()), b_shape_(b.shape()) {
    if (kind == BinaryKind::Mul || kind == BinaryKind::Div || kind == BinaryKind::Pow ||
        kind == BinaryKind::Max || kind == BinaryKind::Min) {
      this->save(a);
      this->save(b);
    }
    if (kind == BinaryKind::Pow) this->save(y);
  }
  std::string name() const override {
    switch (kind_) {
      case BinaryKind::Add: return "AddBackward0";
      case BinaryKind::Sub: return "SubBackward0";
      case BinaryKind::Mul: return "MulBackward0";
      case BinaryKind::Div: return "DivBackward0";
      case BinaryKind::Pow: return "PowBackward1";
      case BinaryKind::Max: return "MaximumBackward0";
      case BinaryKind::Min: return "MinimumBackward0";
    }
    return "BinaryBackward";
  }

 protected:
  std::vector<Tensor<T>> backward(const Tensor<T>& g) override {
    Tensor<T> ga, gb;
    const bool need_a = this->needs_input_grad(0), need_b = this->needs_input_grad(1);
    switch (kind_) {
      case BinaryKind::Add:
        if (need_a) ga = g;
        if (need_b) gb = g;
        break;
      case BinaryKind::Sub:
        if (need_a) ga = g;
        if (need_b) gb = -g;
        break;
      case BinaryKind::Mul:
        if (need_a) ga = g * this->saved(1);
        if (need_b) gb = g * this->saved(0);
        break;
      case BinaryKind::Div: {
        const Tensor<T>& a = this->saved(0);
        const Tensor<T>& b = this->saved(1);
        if (need_a) ga = g / b;
        // div_tensor_other_backward: -grad * ((self / other) / other); b * b would
        // overflow or underflow where a / b / b does not.
        if (need_b) gb = map_broadcast([](T gi, T x, T d) { return -gi * ((x / d) / d); }, g, a, b);
        break;
      }
      case BinaryKind::Pow: {
        const Tensor<T>& a = this->saved(0);
        const Tensor<T>& e = this->saved(1);
        // pow_backward_self: where(exponent == 0, 0, grad * (exponent * self.pow(exponent - 1))).
        if (need_a) {
          auto grad = [](T gi, T x, T p) { return p == T(0) ? T(0) : gi * (p * std::pow(x, p - T(1))); };
          ga = map_broadcast(grad, g, a, e);
        }
        // pow_backward_exponent: grad * where(self == 0 & exponent >= 0, 0, result * self.log()).
        if (need_b) {
          auto grad = [](T gi, T x, T p, T y) { return gi * ((x == T(0) && p >= T(0)) ? T(0) : y * std::log(x)); };
          gb = map_broadcast(grad, g, a, e, this->saved(2));
        }
        break;
      }
      case BinaryKind::Max:
      case BinaryKind::Min: {
        // where(self == other, grad / 2, grad).masked_fill_(self < other, 0) for maximum's
        // self (> for minimum's): a NaN on either side compares false both ways, so both
        // operands get the whole gradient there; the loser gets an exact 0.
        const bool is_max = kind_ == BinaryKind::Max;
        auto share = [is_max](T gi, T mine, T other) {
          if (mine == other) return gi / T(2);
          return (is_max ? mine < other : mine > other) ? T(0) : gi;
        };
        const Tensor<T>& a = this->saved(0);
        const Tensor<T>& b = this->saved(1);
        if (need_a) ga = map_broadcast(share, g, a, b);
        if (need_b) gb = map_broadcast(share, g, b, a);
        break;
      }
    }
    if (ga.defined() && ga.shape() != a_shape_) ga = ga.sum_to(a_shape_);
    if (gb.defined() && gb.shape() != b_shape_) gb = gb.sum_to(b_shape_);
    return {ga, gb};
  }

 private:
  BinaryKind kind_;
  Shape a_shape_, b_shape_;
};

template <class T, class F>
Tensor<T> binary_op(BinaryKind kind, const Tensor<T>& a, const Tensor<T>& b, F f) {
  Tensor<T> y = map_binary(a, b, f);
  if (!autograd::any_requires_grad<T>({&a, &b})) return y;
  return autograd::record<T>(y, std::make_shared<BinaryBackward<T>>(kind, a, b, y), {&a, &b});
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
  Tensor<T> out = zeros<T>(out_shape, a.device());
  const T* in = a.data();
  T* o = out.data();
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

template <class T>
class ClampBackward final : public Node<T> {
 public:
  ClampBackward(const Tensor<T>& x, T lo, T hi) : lo_(lo), hi_(hi) { this->save(x); }
  std::string name() const override { return "ClampBackward1"; }

 protected:
  std::vector<Tensor<T>> backward(const Tensor<T>& g) override {
    const T lo = lo_, hi = hi_;
    return {map_binary(g, this->saved(0), [lo, hi](T gi, T x) { return (x >= lo && x <= hi) ? gi : T(0); })};
  }

 private:
  T lo_, hi_;
};

}  // namespace

// -------------------------------------------------------------------- members
template <class T> Tensor<T> Tensor<T>::sin() const { return unary_op<T, SinOp>(*this); }
template <class T> Tensor<T> Tensor<T>::cos() const { return unary_op<T, CosOp>(*this); }
template <class T> Tensor<T> Tensor<T>::exp() const { return unary_op<T, ExpOp>(*this); }
template <class T> Tensor<T> Tensor<T>::log() const { return unary_op<T, LogOp>(*this); }
template <class T> Tensor<T> Tensor<T>::sqrt() const { return unary_op<T, SqrtOp>(*this); }
template <class T> Tensor<T> Tensor<T>::abs() const { return unary_op<T, AbsOp>(*this); }
template <class T> Tensor<T> Tensor<T>::tanh() const { return unary_op<T, TanhOp>(*this); }
template <class T> Tensor<T> Tensor<T>::sigmoid() const { return unary_op<T, SigmoidOp>(*this); }
template <class T> Tensor<T> Tensor<T>::relu() const { return unary_op<T, ReluOp>(*this); }

template <class T>
Tensor<T> Tensor<T>::pow(double exponent) const {
  Tensor<T> y = map_unary(*this, PowScalarKernel<T>{exponent});
  if (!autograd::any_requires_grad<T>({this})) return y;
  return autograd::record<T>(y, std::make_shared<PowScalarBackward<T>>(*this, exponent), {this});
}

template <class T>
Tensor<T> Tensor<T>::pow(const Tensor& exponent) const {
  return binary_op(BinaryKind::Pow, *this, exponent, [](T x, T e) { return std::pow(x, e); });
}

template <class T>
Tensor<T> Tensor<T>::sum() const {
  Tensor<T> out = scalar_tensor<T>(numel() ? array().sum() : T(0), device());
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
  Tensor<T> out = scalar_tensor<T>(n ? array().sum() / static_cast<T>(n) : std::numeric_limits<T>::quiet_NaN(), device());
  if (!autograd::any_requires_grad<T>({this})) return out;
  return autograd::record<T>(
      out, std::make_shared<SumBackward<T>>(shape(), -1, false, static_cast<T>(n), "MeanBackward0"), {this});
}

template <class T>
Tensor<T> Tensor<T>::mean(std::int64_t dim, bool keepdim) const {
  const int d = wrap_dim(dim, this->dim());
  const std::int64_t n = this->dim() == 0 ? 1 : shape()[d];
  Tensor<T> out = sum_dim_raw(*this, d, keepdim);
  out.array() /= static_cast<T>(n);
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
  EIGRAD_CHECK(device() == other.device(), DeviceError, "matmul: operands on ", device().str(), " and ",
               other.device().str());
  Tensor<T> out = empty<T>({shape()[0], other.shape()[1]}, device());
  out.matrix().noalias() = matrix() * other.matrix();
  if (!autograd::any_requires_grad<T>({this, &other})) return out;
  return autograd::record<T>(out, std::make_shared<MatmulBackward<T>>(*this, other), {this, &other});
}

template <class T>
Tensor<T> Tensor<T>::t() const {
  if (dim() < 2) return *this;
  EIGRAD_CHECK(dim() == 2, ShapeError, "t() needs a tensor of rank <= 2, got shape ", to_string(shape()));
  Tensor<T> out = empty<T>({shape()[1], shape()[0]}, device());
  out.matrix() = matrix().transpose();
  return autograd::record<T>(out, std::make_shared<TransposeBackward<T>>(), {this});
}

// -------------------------------------------------------------------- free functions
template <class T>
Tensor<T> operator+(const Tensor<T>& a, const Tensor<T>& b) {
  return binary_op(BinaryKind::Add, a, b, [](T x, T y) { return x + y; });
}
template <class T>
Tensor<T> operator-(const Tensor<T>& a, const Tensor<T>& b) {
  return binary_op(BinaryKind::Sub, a, b, [](T x, T y) { return x - y; });
}
template <class T>
Tensor<T> operator*(const Tensor<T>& a, const Tensor<T>& b) {
  return binary_op(BinaryKind::Mul, a, b, [](T x, T y) { return x * y; });
}
template <class T>
Tensor<T> operator/(const Tensor<T>& a, const Tensor<T>& b) {
  return binary_op(BinaryKind::Div, a, b, [](T x, T y) { return x / y; });
}
template <class T>
Tensor<T> maximum(const Tensor<T>& a, const Tensor<T>& b) {
  // A NaN operand gives NaN, as PyTorch's maximum does (std::max would drop it).
  return binary_op(BinaryKind::Max, a, b, [](T x, T y) { return (x != x || y != y) ? x + y : std::max(x, y); });
}
template <class T>
Tensor<T> minimum(const Tensor<T>& a, const Tensor<T>& b) {
  return binary_op(BinaryKind::Min, a, b, [](T x, T y) { return (x != x || y != y) ? x + y : std::min(x, y); });
}
template <class T>
Tensor<T> operator-(const Tensor<T>& a) {
  Tensor<T> y = map_unary(a, [](T x) { return -x; });
  if (!autograd::any_requires_grad<T>({&a})) return y;
  return autograd::record<T>(y, std::make_shared<ScaleBackward<T>>(T(-1), "NegBackward0"), {&a});
}

template <class T>
Tensor<T> add_scalar(const Tensor<T>& a, T s) {
  Tensor<T> y = map_unary(a, [s](T x) { return x + s; });
  return autograd::record<T>(y, std::make_shared<ScaleBackward<T>>(T(1), "AddBackward0"), {&a});
}
template <class T>
Tensor<T> sub_scalar(const Tensor<T>& a, T s) {
  Tensor<T> y = map_unary(a, [s](T x) { return x - s; });
  return autograd::record<T>(y, std::make_shared<ScaleBackward<T>>(T(1), "SubBackward0"), {&a});
}
template <class T>
Tensor<T> mul_scalar(const Tensor<T>& a, T s) {
  Tensor<T> y = map_unary(a, [s](T x) { return x * s; });
  return autograd::record<T>(y, std::make_shared<ScaleBackward<T>>(s, "MulBackward0"), {&a});
}
template <class T>
Tensor<T> div_scalar(const Tensor<T>& a, T s) {
  Tensor<T> y = map_unary(a, [s](T x) { return x / s; });
  return autograd::record<T>(y, std::make_shared<DivScalarBackward<T>>(s), {&a});
}
template <class T>
Tensor<T> rsub_scalar(const Tensor<T>& a, T s) {
  Tensor<T> y = map_unary(a, [s](T x) { return s - x; });
  return autograd::record<T>(y, std::make_shared<ScaleBackward<T>>(T(-1), "RsubBackward1"), {&a});
}
template <class T>
Tensor<T> rdiv_scalar(const Tensor<T>& a, T s) {
  Tensor<T> y = map_unary(a, [s](T x) { return (T(1) / x) * s; });  // as PyTorch's rdiv rounds
  if (!autograd::any_requires_grad<T>({&a})) return y;
  return autograd::record<T>(y, std::make_shared<RDivScalarBackward<T>>(a, s), {&a});
}
template <class T>
Tensor<T> pow(T s, const Tensor<T>& exponent) {
  // PyTorch's pow.Scalar: 1 for a base of 1, else the tensor-tensor kernel with the base.
  Tensor<T> y = map_unary(exponent, [s](T p) { return s == T(1) ? T(1) : std::pow(s, p); });
  if (!autograd::any_requires_grad<T>({&exponent})) return y;
  return autograd::record<T>(y, std::make_shared<PowScalarBaseBackward<T>>(exponent, y, s), {&exponent});
}
template <class T>
Tensor<T> clamp(const Tensor<T>& a, T lo, T hi) {
  EIGRAD_CHECK(!(lo > hi), ValueError, "clamp: lower bound ", std::to_string(lo), " above upper bound ",
               std::to_string(hi));
  Tensor<T> y = map_unary(a, [lo, hi](T x) { return std::min(std::max(x, lo), hi); });
  if (!autograd::any_requires_grad<T>({&a})) return y;
  return autograd::record<T>(y, std::make_shared<ClampBackward<T>>(a, lo, hi), {&a});
}

#define EIGRAD_INSTANTIATE_OPS(T)                                              \
  template Tensor<T> operator+ <T>(const Tensor<T>&, const Tensor<T>&);        \
  template Tensor<T> operator- <T>(const Tensor<T>&, const Tensor<T>&);        \
  template Tensor<T> operator* <T>(const Tensor<T>&, const Tensor<T>&);        \
  template Tensor<T> operator/ <T>(const Tensor<T>&, const Tensor<T>&);        \
  template Tensor<T> operator- <T>(const Tensor<T>&);                          \
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
  template Tensor<T> Tensor<T>::sin() const;                                   \
  template Tensor<T> Tensor<T>::cos() const;                                   \
  template Tensor<T> Tensor<T>::exp() const;                                   \
  template Tensor<T> Tensor<T>::log() const;                                   \
  template Tensor<T> Tensor<T>::sqrt() const;                                  \
  template Tensor<T> Tensor<T>::abs() const;                                   \
  template Tensor<T> Tensor<T>::tanh() const;                                  \
  template Tensor<T> Tensor<T>::sigmoid() const;                               \
  template Tensor<T> Tensor<T>::relu() const;                                  \
  template Tensor<T> Tensor<T>::pow(double) const;                             \
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
