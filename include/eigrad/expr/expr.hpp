#pragma once
/// \file expr/expr.hpp
/// \brief Lazy elementwise expressions over tensors, evaluated in one pass and recorded as
///        one fused autograd node per statement.
///
/// `expr::lazy(t)` starts an expression; arithmetic with tensors, scalars and other
/// expressions, pow() and the unary math functions build a tree whose operands are held by
/// value (tensors by handle), so `auto e = lazy(a) + b * x;` stays valid after the statement.
/// Nothing is computed until the expression is materialised: converted to a Tensor, or
/// reduced by sum(), mean() or item(). Materialising runs one loop over the elements; with
/// grad on it records ONE node (FusedBackward) that saves only the leaves and whose backward
/// computes the adjoint of every leaf in one more loop, summing the adjoints of one-element
/// leaves in that same loop. Operands must have one shape, or one element (a scalar tensor
/// broadcast against the rest); other broadcasts throw ShapeError when the expression is
/// built (use the eager ops for them). Every op is an entry of the op table
/// (include/eigrad/ops/), so fused and eager results agree to rounding (doc/design.md).
#include <algorithm>
#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "eigrad/autograd/grad_mode.hpp"
#include "eigrad/autograd/node.hpp"
#include "eigrad/errors.hpp"
#include "eigrad/ops/elementwise.hpp"
#include "eigrad/ops/pow.hpp"
#include "eigrad/tensor.hpp"

namespace eigrad::expr {

/// CRTP base of every expression type: the methods that build bigger expressions from it.
template <class Derived>
class Expr;

namespace detail {
template <class E>
struct is_expr : std::is_base_of<Expr<E>, E> {};
/// The shape every rank-0 constant reports.
inline const Shape& scalar_shape() {
  static const Shape empty;
  return empty;
}
}  // namespace detail

/// True for the expression types of this header.
template <class E>
inline constexpr bool is_expr_v = detail::is_expr<std::decay_t<E>>::value;

/// A tensor operand, held by handle.
template <class T>
class Leaf : public Expr<Leaf<T>> {
 public:
  /// Element type.
  using Scalar = T;
  /// Number of tensor operands in the tree.
  static constexpr int leaves = 1;
  /// A leaf holding a handle of \p t.
  explicit Leaf(Tensor<T> t) : t_(std::move(t)) {}
  /// The tensor's shape.
  const Shape& shape() const { return t_.shape(); }
  /// Calls \p f with each tensor operand, left to right.
  template <class F>
  void for_each_leaf(F&& f) const { f(t_); }

 private:
  Tensor<T> t_;
};

/// A number operand (rank 0, no gradient).
template <class T>
class Constant : public Expr<Constant<T>> {
 public:
  /// Element type.
  using Scalar = T;
  /// Number of tensor operands in the tree.
  static constexpr int leaves = 0;
  /// The constant \p v.
  explicit Constant(T v) : v_(v) {}
  /// Rank 0.
  const Shape& shape() const { return detail::scalar_shape(); }
  /// No tensor operands.
  template <class F>
  void for_each_leaf(F&&) const {}
  /// The value.
  T value() const { return v_; }

 private:
  T v_;
};

/// A one-operand op-table entry \p Op applied to expression \p A.
template <class Op, class A>
class Unary : public Expr<Unary<Op, A>> {
 public:
  /// Element type.
  using Scalar = typename A::Scalar;
  /// Number of tensor operands in the tree.
  static constexpr int leaves = A::leaves;
  /// op(a).
  Unary(const Op& op, A a) : op_(op), a_(std::move(a)) {}
  /// The operand's shape.
  const Shape& shape() const { return a_.shape(); }
  /// Calls \p f with each tensor operand, left to right.
  template <class F>
  void for_each_leaf(F&& f) const { a_.for_each_leaf(f); }
  /// The entry.
  const Op& op() const { return op_; }
  /// The operand.
  const A& operand() const { return a_; }

 private:
  Op op_;
  A a_;
};

/// A two-operand op-table entry \p Op applied to \p A and \p B (equal shapes, or one of them
/// with one element).
template <class Op, class A, class B>
class Binary : public Expr<Binary<Op, A, B>> {
 public:
  /// Element type.
  using Scalar = typename A::Scalar;
  static_assert(std::is_same_v<Scalar, typename B::Scalar>, "operands of one element type");
  /// Number of tensor operands in the tree.
  static constexpr int leaves = A::leaves + B::leaves;
  /// op(a, b); ShapeError naming both shapes unless they are equal or one has one element.
  Binary(A a, B b) : a_(std::move(a)), b_(std::move(b)) {
    const Shape& sa = a_.shape();
    const Shape& sb = b_.shape();
    if (sa == sb || (numel(sb) == 1 && sb.size() <= sa.size())) {
      shape_ = &sa;
    } else if (numel(sa) == 1 && sa.size() <= sb.size()) {
      shape_ = &sb;
    } else {
      const Shape out = broadcast_shapes(sa, sb);  // ShapeError naming both when they do not fit
      EIGRAD_FAIL(ShapeError, "fused expression: operands of shapes ", to_string(sa), " and ", to_string(sb),
                  " broadcast to ", to_string(out),
                  "; an expression takes operands of one shape and one-element operands (use the eager ops)");
    }
  }
  /// The result's shape.
  const Shape& shape() const { return *shape_; }
  /// Calls \p f with each tensor operand, left to right.
  template <class F>
  void for_each_leaf(F&& f) const {
    a_.for_each_leaf(f);
    b_.for_each_leaf(f);
  }
  /// The left operand.
  const A& left() const { return a_; }
  /// The right operand.
  const B& right() const { return b_; }

 private:
  A a_;
  B b_;
  const Shape* shape_ = nullptr;  // the shape of a tensor operand (kept alive by its handle)
};

namespace detail {

/// The expression for an operand: itself, a Leaf for a tensor, a Constant for a number.
template <class T, class E>
decltype(auto) as_expr(const E& e) {
  if constexpr (is_expr_v<E>) {
    return (e);
  } else if constexpr (std::is_arithmetic_v<E>) {
    return Constant<T>(static_cast<T>(e));
  } else {
    return Leaf<T>(e);
  }
}

template <class E>
struct scalar_of {
  using type = typename E::Scalar;
};
template <class T>
struct scalar_of<Tensor<T>> {
  using type = T;
};

// ------------------------------------------------------------------ evaluators
// An evaluator mirrors its expression for one materialisation and works a block of up to
// kBlock elements at a time: fwd(i0, m) leaves the block's values at vp[0 .. m), bwd(i0, m,
// adj) sends their adjoints down to the leaves. Each step is a loop of kBlock lanes (a
// constant trip count: the compiler vectorises it without remainder code), the last, short
// block padded; only the leaves store or sum the first m. A branch (a pow kernel, a subtree
// without adjoints) is taken once per block, never per element.

/// Elements per block.
constexpr int kBlock = 32;

template <class E>
struct Eval;

/// Where the evaluators read the leaves and add their adjoints: one slot per leaf.
template <class T, int N>
struct LeafSlots {
  std::array<const T*, (N > 0 ? N : 1)> data{};          ///< elements
  std::array<std::int64_t, (N > 0 ? N : 1)> stride{};    ///< 1, or 0 for a one-element leaf
  std::array<T*, (N > 0 ? N : 1)> grad{};                ///< adjoint destination
  std::array<std::int64_t, (N > 0 ? N : 1)> grad_stride{};  ///< 1 (a buffer) or 0 (a sum)
};

template <class T>
struct Eval<Leaf<T>> {
  const T* data;
  bool full_read;  // one value per element (else one value broadcast)
  T* grad;         // the adjoint buffer of a full-size leaf
  bool full;       // full-size leaf wanting an adjoint; otherwise the adjoints are summed in acc
  bool active;     // an adjoint is wanted here
  int slot;
  T acc = 0;       // a one-element leaf's adjoint, summed in element order
  const T* vp;
  T v[kBlock];
  template <int N>
  Eval(const Leaf<T>&, const LeafSlots<T, N>& s, int& k)
      : data(s.data[k]), full_read(s.stride[k] == 1), grad(s.grad[k]), full(s.grad_stride[k] == 1),
        active(s.grad[k] != nullptr), slot(k), vp(v) {
    if (!full_read)
      for (int j = 0; j < kBlock; ++j) v[j] = data[0];
    ++k;
  }
  void fwd(std::int64_t i0, int m) {
    if (!full_read) return;  // vp stays at the broadcast value
    if (m == kBlock) {
      vp = data + i0;
      return;
    }
    // The last, short block: the ops above always run kBlock lanes, so pad with a value of
    // the operand (what the extra lanes compute is never stored or summed).
    for (int j = 0; j < kBlock; ++j) v[j] = data[i0 + (j < m ? j : 0)];
    vp = v;
  }
  void bwd(std::int64_t i0, int m, const T* adj) {
    if (full) {
      T* g = grad + i0;
      for (int j = 0; j < m; ++j) g[j] += adj[j];
    } else {
      for (int j = 0; j < m; ++j) acc += adj[j];
    }
  }
  template <class F>
  void for_each_sum(F&& f) const {
    if (active && !full) f(slot, acc);
  }
};

template <class T>
struct Eval<Constant<T>> {
  static constexpr bool active = false;
  const T* vp;
  T v[kBlock];
  template <int N>
  Eval(const Constant<T>& c, const LeafSlots<T, N>&, int&) : vp(v) {
    for (int j = 0; j < kBlock; ++j) v[j] = c.value();
  }
  void fwd(std::int64_t, int) {}
  void bwd(std::int64_t, int, const T*) {}
  template <class F>
  void for_each_sum(F&&) const {}
};

/// Whether entry \p Op has block forms (value_block, grad_block) that pick a kernel per block.
template <class Op, class = void>
struct has_block_form : std::false_type {};
template <class Op>
struct has_block_form<Op, std::void_t<decltype(&Op::value_block)>> : std::true_type {};

template <class Op, class A>
struct Eval<Unary<Op, A>> {
  using T = typename A::Scalar;
  Op op;
  Eval<A> a;
  bool active;
  const T* vp;
  T v[kBlock];
  template <int N>
  Eval(const Unary<Op, A>& e, const LeafSlots<T, N>& s, int& k)
      : op(e.op()), a(e.operand(), s, k), active(a.active), vp(v) {}
  void fwd(std::int64_t i0, int m) {
    a.fwd(i0, m);
    const T* x = a.vp;
    if constexpr (has_block_form<Op>::value) {
      op.value_block(x, v, kBlock);
    } else {
      for (int j = 0; j < kBlock; ++j) v[j] = op.value(x[j]);
    }
  }
  void bwd(std::int64_t i0, int m, const T* adj) {
    if constexpr (A::leaves > 0) {
      T ga[kBlock];
      const T* x = a.vp;
      if constexpr (has_block_form<Op>::value) {
        op.grad_block(adj, x, ga, kBlock);
      } else {
        for (int j = 0; j < kBlock; ++j) ga[j] = op.grad(adj[j], x[j], v[j]);
      }
      a.bwd(i0, m, ga);
    }
  }
  template <class F>
  void for_each_sum(F&& f) const { a.for_each_sum(f); }
};

template <class Op, class A, class B>
struct Eval<Binary<Op, A, B>> {
  using T = typename A::Scalar;
  Eval<A> a;
  Eval<B> b;
  bool active;
  const T* vp;
  T v[kBlock];
  template <int N>
  Eval(const Binary<Op, A, B>& e, const LeafSlots<T, N>& s, int& k)
      : a(e.left(), s, k), b(e.right(), s, k), active(a.active || b.active), vp(v) {}
  void fwd(std::int64_t i0, int m) {
    a.fwd(i0, m);
    b.fwd(i0, m);
    const T* x = a.vp;
    const T* y = b.vp;
    for (int j = 0; j < kBlock; ++j) v[j] = Op{}.value(x[j], y[j]);
  }
  // Subtrees without a leaf that wants an adjoint (data such as x and its powers) are skipped.
  void bwd(std::int64_t i0, int m, const T* adj) {
    const T* x = a.vp;
    const T* y = b.vp;
    T g[kBlock];
    if constexpr (A::leaves > 0)
      if (a.active) {
        for (int j = 0; j < kBlock; ++j) g[j] = Op{}.grad_a(adj[j], x[j], y[j], v[j]);
        a.bwd(i0, m, g);
      }
    if constexpr (B::leaves > 0)
      if (b.active) {
        for (int j = 0; j < kBlock; ++j) g[j] = Op{}.grad_b(adj[j], x[j], y[j], v[j]);
        b.bwd(i0, m, g);
      }
  }
  template <class F>
  void for_each_sum(F&& f) const {
    a.for_each_sum(f);
    b.for_each_sum(f);
  }
};

/// The leaves of \p e, left to right.
template <class E>
std::vector<Tensor<typename E::Scalar>> leaves_of(const E& e) {
  std::vector<Tensor<typename E::Scalar>> out;
  out.reserve(E::leaves);
  e.for_each_leaf([&out](const auto& t) { out.push_back(t); });
  return out;
}

/// Read slots for \p leaves over \p n elements (no adjoints).
template <class T, int N>
LeafSlots<T, N> read_slots(const std::vector<Tensor<T>>& leaves, std::int64_t n) {
  LeafSlots<T, N> s;
  for (int k = 0; k < N; ++k) {
    s.data[k] = leaves[k].data();
    s.stride[k] = (leaves[k].numel() == n && n != 1) ? 1 : 0;
  }
  return s;
}

/// How a fused node reduces its elements: none (the result has the expression's shape),
/// sum, or mean.
enum class Reduction { None, Sum, Mean };

/// The one node of a materialised expression: saves its leaves, and computes every leaf's
/// adjoint in one pass over the elements (the forward values recomputed on the way).
template <class E>
class FusedBackward final : public Node<typename E::Scalar> {
  using T = typename E::Scalar;

 public:
  FusedBackward(const E& e, const std::vector<Tensor<T>>& leaves, Reduction reduction)
      : expr_(e), n_(numel(e.shape())), reduction_(reduction) {
    this->reserve_saved(leaves.size());
    for (const auto& t : leaves) this->save_input(t);  // the leaves are the node's inputs
  }
  std::string name() const override {
    switch (reduction_) {
      case Reduction::Sum: return "FusedSumBackward";
      case Reduction::Mean: return "FusedMeanBackward";
      case Reduction::None: break;
    }
    return "FusedBackward";
  }

 protected:
  std::vector<Tensor<T>> backward(const Tensor<T>& g) override {
    constexpr int N = E::leaves;
    const std::int64_t n = n_;
    std::vector<Tensor<T>> leaves;
    leaves.reserve(N);
    for (int k = 0; k < N; ++k) leaves.push_back(this->saved(static_cast<std::size_t>(k)));
    LeafSlots<T, N> slots = read_slots<T, N>(leaves, n);
    std::vector<Tensor<T>> grads(N);
    T unused = 0;  // marks a one-element leaf that wants its adjoint summed
    for (int k = 0; k < N; ++k) {
      if (!this->needs_input_grad(static_cast<std::size_t>(k))) continue;
      if (slots.stride[k] == 1) {
        grads[k] = zeros<T>(leaves[k].shape(), leaves[k].device());
        slots.grad[k] = grads[k].data();
        slots.grad_stride[k] = 1;
      } else {
        slots.grad[k] = &unused;
      }
    }
    int k = 0;
    Eval<E> eval(*expr_, slots, k);  // a block of kBlock values per node: a few KB of stack
    Eval<E>* ev = &eval;
    const T* pg = g.data();
    T same[kBlock];  // sum: grad.expand(sizes); mean: grad.expand(sizes) / numel, as the eager nodes
    if (reduction_ != Reduction::None)
      for (T& a : same) a = reduction_ == Reduction::Mean ? pg[0] / static_cast<T>(n) : pg[0];
    T tail[kBlock];  // the last block's incoming gradients, padded with zeros
    for (std::int64_t i0 = 0; i0 < n; i0 += kBlock) {
      const int m = static_cast<int>(std::min<std::int64_t>(kBlock, n - i0));
      ev->fwd(i0, m);
      const T* adj = same;
      if (reduction_ == Reduction::None) {
        adj = pg + i0;
        if (m < kBlock) {
          for (int j = 0; j < kBlock; ++j) tail[j] = j < m ? pg[i0 + j] : T(0);
          adj = tail;
        }
      }
      ev->bwd(i0, m, adj);
    }
    ev->for_each_sum([&](int j, T sum) { grads[j] = full<T>(leaves[j].shape(), sum, leaves[j].device()); });
    return grads;
  }
  void release_extra() override { expr_.reset(); }

 private:
  std::optional<E> expr_;
  std::int64_t n_;
  Reduction reduction_;
};

/// Evaluates \p e in one pass: its elements, or their sum or mean; records one FusedBackward
/// node when grad mode is on and a leaf requires grad (no node is built otherwise).
template <class E>
Tensor<typename E::Scalar> evaluate(const E& e, Reduction reduction) {
  using T = typename E::Scalar;
  constexpr int N = E::leaves;
  static_assert(N > 0, "an expression needs a tensor operand");
  const std::vector<Tensor<T>> leaves = leaves_of(e);
  const Shape& shape = e.shape();
  const std::int64_t n = numel(shape);
  int k = 0;
  Eval<E> eval(e, read_slots<T, N>(leaves, n), k);
  Eval<E>* ev = &eval;
  Tensor<T> out;
  if (reduction == Reduction::None) {
    out = empty<T>(shape, leaves[0].device());
    T* o = out.data();
    for (std::int64_t i0 = 0; i0 < n; i0 += kBlock) {
      const int m = static_cast<int>(std::min<std::int64_t>(kBlock, n - i0));
      ev->fwd(i0, m);
      for (int j = 0; j < m; ++j) o[i0 + j] = ev->vp[j];
    }
  } else {
    T partial[8] = {};  // eight running sums, as a vectorised sum keeps
    for (std::int64_t i0 = 0; i0 < n; i0 += kBlock) {
      const int m = static_cast<int>(std::min<std::int64_t>(kBlock, n - i0));
      ev->fwd(i0, m);
      for (int j = 0; j < m; ++j) partial[j & 7] += ev->vp[j];  // kBlock is a multiple of 8
    }
    const T s = ((partial[0] + partial[4]) + (partial[2] + partial[6])) + ((partial[1] + partial[5]) + (partial[3] + partial[7]));
    out = scalar_tensor<T>(reduction == Reduction::Mean ? (n ? s / static_cast<T>(n) : std::numeric_limits<T>::quiet_NaN()) : s,
                           leaves[0].device());
  }
  bool any = false;
  for (const auto& t : leaves) any = any || t.requires_grad();
  if (!any || !GradMode::is_enabled()) return out;
  return autograd::record<T>(out, std::make_shared<FusedBackward<E>>(e, leaves, reduction), leaves);
}

}  // namespace detail

/// Starts an expression at tensor \p t.
template <class T>
Leaf<T> lazy(const Tensor<T>& t) { return Leaf<T>(t); }

template <class Derived>
class Expr {
 public:
  /// The expression itself.
  const Derived& self() const { return static_cast<const Derived&>(*this); }
  /// Materialises: one pass, one node.
  template <class D = Derived>
  Tensor<typename D::Scalar> eval() const { return detail::evaluate(self(), detail::Reduction::None); }
  /// Sum of all elements (rank 0), in the same pass.
  auto sum() const { return detail::evaluate(self(), detail::Reduction::Sum); }
  /// Mean of all elements (rank 0), in the same pass.
  auto mean() const { return detail::evaluate(self(), detail::Reduction::Mean); }
  /// The value of a one-element expression.
  auto item() const { return eval().item(); }
  /// Elementwise power with a real exponent.
  template <class D = Derived>
  auto pow(double e) const {
    using Entry = ops::PowScalarRuntime<typename D::Scalar>;
    return Unary<Entry, Derived>(Entry(e), self());
  }
  /// Elementwise sine.
  auto sin() const { return Unary<ops::Sin, Derived>({}, self()); }
  /// Elementwise cosine.
  auto cos() const { return Unary<ops::Cos, Derived>({}, self()); }
  /// Elementwise exponential.
  auto exp() const { return Unary<ops::Exp, Derived>({}, self()); }
  /// Elementwise natural logarithm.
  auto log() const { return Unary<ops::Log, Derived>({}, self()); }
  /// Elementwise square root.
  auto sqrt() const { return Unary<ops::Sqrt, Derived>({}, self()); }
  /// Elementwise absolute value.
  auto abs() const { return Unary<ops::Abs, Derived>({}, self()); }
  /// Elementwise hyperbolic tangent.
  auto tanh() const { return Unary<ops::Tanh, Derived>({}, self()); }
  /// Elementwise logistic sigmoid.
  auto sigmoid() const { return Unary<ops::Sigmoid, Derived>({}, self()); }
  /// Elementwise max(x, 0).
  auto relu() const { return Unary<ops::Relu, Derived>({}, self()); }
  /// Converts to a tensor by materialising.
  template <class T>
  operator Tensor<T>() const {  // NOLINT: implicit, as a Tensor result
    static_assert(std::is_same_v<T, typename Derived::Scalar>, "an expression converts to its own element type");
    return eval();
  }

 protected:
  Expr() = default;
};

/// \cond OPERATOR_OVERLOADS
namespace detail {
/// Enabled for operand pairs where one is an expression and the other an expression, a
/// tensor of its element type or a number.
template <class L, class R>
using enable_mixed = std::enable_if_t<(is_expr_v<L> || is_expr_v<R>), int>;
template <class L, class R>
using scalar_t = typename scalar_of<std::conditional_t<is_expr_v<L>, L, R>>::type;

template <class Op, class L, class R>
auto binary(const L& l, const R& r) {
  using T = scalar_t<L, R>;
  using A = std::decay_t<decltype(as_expr<T>(l))>;
  using B = std::decay_t<decltype(as_expr<T>(r))>;
  return Binary<Op, A, B>(as_expr<T>(l), as_expr<T>(r));
}
}  // namespace detail

// A tensor or expression with a number uses the op table's scalar entries, so it rounds as
// the eager op does (s / x is (1 / x) * s, as PyTorch's rdiv).
#define EIGRAD_EXPR_OPERATOR(OP, Entry, ScalarRight, ScalarLeft)                                   \
  template <class L, class R, detail::enable_mixed<L, R> = 0>                                      \
  auto operator OP(const L& l, const R& r) {                                                       \
    using T = detail::scalar_t<L, R>;                                                              \
    if constexpr (std::is_arithmetic_v<R>) {                                                       \
      return Unary<ops::ScalarRight<T>, L>({{}, static_cast<T>(r)}, l);                                \
    } else if constexpr (std::is_arithmetic_v<L>) {                                                \
      return Unary<ops::ScalarLeft<T>, R>({{}, static_cast<T>(l)}, r);                                 \
    } else {                                                                                       \
      return detail::binary<ops::Entry>(l, r);                                                     \
    }                                                                                              \
  }
EIGRAD_EXPR_OPERATOR(+, Add, AddScalar, AddScalar)
EIGRAD_EXPR_OPERATOR(-, Sub, SubScalar, RSubScalar)
EIGRAD_EXPR_OPERATOR(*, Mul, MulScalar, MulScalar)
EIGRAD_EXPR_OPERATOR(/, Div, DivScalar, RDivScalar)
#undef EIGRAD_EXPR_OPERATOR

template <class E, std::enable_if_t<is_expr_v<E>, int> = 0>
auto operator-(const E& e) { return Unary<ops::Neg, E>({}, e); }
/// \endcond

/// Elementwise sine.
template <class E> auto sin(const Expr<E>& e) { return e.sin(); }
/// Elementwise cosine.
template <class E> auto cos(const Expr<E>& e) { return e.cos(); }
/// Elementwise exponential.
template <class E> auto exp(const Expr<E>& e) { return e.exp(); }
/// Elementwise natural logarithm.
template <class E> auto log(const Expr<E>& e) { return e.log(); }
/// Elementwise square root.
template <class E> auto sqrt(const Expr<E>& e) { return e.sqrt(); }
/// Elementwise absolute value.
template <class E> auto abs(const Expr<E>& e) { return e.abs(); }
/// Elementwise hyperbolic tangent.
template <class E> auto tanh(const Expr<E>& e) { return e.tanh(); }
/// Elementwise power.
template <class E> auto pow(const Expr<E>& e, double exponent) { return e.pow(exponent); }

}  // namespace eigrad::expr
