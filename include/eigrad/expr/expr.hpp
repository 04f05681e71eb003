#pragma once
/// \file expr/expr.hpp
/// \brief Lazy elementwise expressions over tensors, evaluated in one pass and recorded as
///        one fused autograd node per statement: what tensor arithmetic returns.
///
/// Arithmetic between tensors, expressions and numbers, `pow` with a real exponent and the
/// elementwise math functions build a tree whose operands are held by value (tensors by
/// handle), so `auto e = a + b * x;` stays valid after the statement. Every expression IS a
/// Tensor (its class derives from Tensor<T>, through the CRTP base Expr): handed to anything
/// that takes a `const Tensor<T>&` (including templates deducing T) or converted to a Tensor, it
/// is evaluated once and keeps the result. Evaluating lowers the statement to an
/// ops::Program (expr/lower.hpp) and runs it with the evaluators compiled once in src/
/// (expr/statement.hpp): one loop over the elements; with grad on it records ONE node that
/// saves only the leaves and whose backward computes the adjoint of every leaf in one more
/// loop, summing the adjoints of one-element leaves in that same loop; `sum()`, `mean()` and
/// the `nn` losses reduce in the same pass. Operands must have one shape, or one element (a
/// scalar tensor broadcast against the rest); a binary op over other shapes runs the eager op
/// at once (full broadcasting, its own node) and becomes a leaf of the expression above it.
/// Every op is an entry of the op table (include/eigrad/ops/), so fused and eager results
/// agree to rounding (doc/design.md). On the CPU the program runs as a block interpreter; a
/// statement over "cuda" tensors runs as one interpreter launch forward and one backward (a
/// 0-d CPU tensor among them is copied over).
#include <algorithm>
#include <array>
#include <cstdint>
#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "eigrad/autograd/grad_mode.hpp"
#include "eigrad/errors.hpp"
#include "eigrad/expr/lower.hpp"
#include "eigrad/expr/statement.hpp"
#include "eigrad/ops/elementwise.hpp"
#include "eigrad/ops/pow.hpp"
#include "eigrad/tensor/factories.hpp"
#include "eigrad/tensor/operators.hpp"
#include "eigrad/tensor/tensor.hpp"

namespace eigrad {

/// True for Tensor<float>, Tensor<double> and the classes derived from them (the expressions).
template <class X>
inline constexpr bool is_tensor_like_v =
    std::is_base_of_v<Tensor<float>, std::decay_t<X>> || std::is_base_of_v<Tensor<double>, std::decay_t<X>>;

namespace expr {

/// CRTP base of every expression type: a Tensor<T> that evaluates itself when first used as
/// one, and the methods that build bigger expressions from it.
template <class Derived, class T>
class Expr;

namespace detail {
template <class E, class = void>
struct is_expr : std::false_type {};
template <class E>
struct is_expr<E, std::void_t<typename E::ExprTag>> : std::true_type {};
}  // namespace detail

/// True for the expression types of this header.
template <class E>
inline constexpr bool is_expr_v = detail::is_expr<std::decay_t<E>>::value;

namespace detail {
template <class E>
Tensor<typename E::Scalar> evaluate(const E& e, Reduction reduction, const char* node_name = nullptr);
}  // namespace detail

template <class Derived, class T>
class Expr : public Tensor<T> {
 public:
  /// Element type.
  using Scalar = T;
  /// Marks the expression types.
  using ExprTag = void;

  /// A copy of the tree (and of the result, if \p other was evaluated); evaluates nothing.
  Expr(const Expr& other) : Tensor<T>(other, &Expr::evaluate_base) {}
  /// Same as the copy.
  Expr(Expr&& other) noexcept : Tensor<T>(other, &Expr::evaluate_base) {}
  /// Not assignable: an expression stands for one computation.
  Expr& operator=(const Expr&) = delete;
  /// Not assignable.
  Expr& operator=(Expr&&) = delete;
  /// Releases the operands.
  ~Expr() = default;

  /// The expression itself.
  const Derived& self() const { return static_cast<const Derived&>(*this); }
  /// Whether it was evaluated (its result is then one tensor operand of any larger expression).
  bool evaluated() const { return Tensor<T>::evaluated(); }
  /// The result as a tensor (evaluated now if it was not yet).
  const Tensor<T>& as_tensor() const {
    (void)Tensor<T>::defined();  // evaluates
    return *this;
  }
  /// The result's shape, known without evaluating.
  const Shape& shape() const { return evaluated() ? Tensor<T>::shape() : self().expr_shape(); }
  /// Number of elements, known without evaluating.
  std::int64_t numel() const { return eigrad::numel(shape()); }
  /// Rank, known without evaluating.
  int dim() const { return static_cast<int>(shape().size()); }

  using Tensor<T>::sum;
  using Tensor<T>::mean;
  using Tensor<T>::pow;
  /// Sum of all elements (rank 0), computed in the same pass (one node: SumBackward0).
  Tensor<T> sum() const { return evaluated() ? Tensor<T>::sum() : detail::evaluate(self(), Reduction::Sum); }
  /// Mean of all elements (rank 0), computed in the same pass (one node: MeanBackward0).
  Tensor<T> mean() const { return evaluated() ? Tensor<T>::mean() : detail::evaluate(self(), Reduction::Mean); }
  /// Elementwise power with a real exponent.
  Unary<ops::PowScalarRuntime<T>, Derived> pow(double e) const { return {ops::PowScalarRuntime<T>(e), self()}; }
  /// Elementwise sine.
  Unary<ops::Sin, Derived> sin() const { return {{}, self()}; }
  /// Elementwise cosine.
  Unary<ops::Cos, Derived> cos() const { return {{}, self()}; }
  /// Elementwise exponential.
  Unary<ops::Exp, Derived> exp() const { return {{}, self()}; }
  /// Elementwise natural logarithm.
  Unary<ops::Log, Derived> log() const { return {{}, self()}; }
  /// Elementwise square root.
  Unary<ops::Sqrt, Derived> sqrt() const { return {{}, self()}; }
  /// Elementwise absolute value.
  Unary<ops::Abs, Derived> abs() const { return {{}, self()}; }
  /// Elementwise hyperbolic tangent.
  Unary<ops::Tanh, Derived> tanh() const { return {{}, self()}; }
  /// Elementwise logistic sigmoid.
  Unary<ops::Sigmoid, Derived> sigmoid() const { return {{}, self()}; }
  /// Elementwise max(x, 0).
  Unary<ops::Relu, Derived> relu() const { return {{}, self()}; }
  /// Evaluates now (one pass, one node) and returns the result.
  Tensor<T> eval() const { return as_tensor(); }

 protected:
  Expr() : Tensor<T>(&Expr::evaluate_base) {}
  /// A leaf: the expression that is \p t.
  explicit Expr(const Tensor<T>& t) : Tensor<T>(Tensor<T>(t), &Expr::evaluate_base) {}
  /// Stores \p result as the value (the eager fallback of a binary op).
  void set_result(const Tensor<T>& result) const { this->set_evaluated(result); }

 private:
  static void evaluate_base(const Tensor<T>& base) {
    if constexpr (std::is_same_v<Derived, Leaf<T>>) return;  // an undefined tensor stays undefined
    const Derived& e = static_cast<const Derived&>(base);
    e.set_evaluated(detail::evaluate(e, Reduction::None));
  }
};

/// A tensor operand, held by handle.
template <class T>
class Leaf : public Expr<Leaf<T>, T> {
 public:
  /// Most tensor operands in the tree.
  static constexpr int leaves = 1;
  /// A leaf holding a handle of \p t.
  explicit Leaf(const Tensor<T>& t) : Expr<Leaf<T>, T>(t) {}
  /// The tensor's shape.
  const Shape& expr_shape() const { return Tensor<T>::shape(); }
  /// Appends itself to \p tape (a statement's tree in post-order).
  void append_to(detail::Tape<T>& tape) const { tape.tensor(this->as_tensor()); }
};

/// A one-operand op-table entry \p Op applied to expression \p A.
template <class Op, class A>
class Unary : public Expr<Unary<Op, A>, typename A::Scalar> {
 public:
  /// Element type.
  using Scalar = typename A::Scalar;
  /// Most tensor operands in the tree.
  static constexpr int leaves = A::leaves;
  /// op(a).
  Unary(const Op& op, A a) : op_(op), a_(std::move(a)) {}
  /// The operand's shape.
  const Shape& expr_shape() const { return a_.shape(); }
  /// Appends itself to \p tape (a statement's tree in post-order; the result, once evaluated).
  void append_to(detail::Tape<Scalar>& tape) const {
    if (this->evaluated()) return tape.tensor(this->as_tensor());
    a_.append_to(tape);
    tape.op(*this, detail::describe<Scalar>(op_), 1);
  }
  /// The entry.
  const Op& op() const { return op_; }
  /// The operand.
  const A& operand() const { return a_; }

 private:
  Op op_;
  A a_;
};

/// A two-operand op-table entry \p Op applied to \p A and \p B (equal shapes, or one of them
/// with one element; other shapes run the eager op when the node is built). An entry with
/// parameters (a loss of input and target) is held by value and takes operands of one shape.
template <class Op, class A, class B>
class Binary : public Expr<Binary<Op, A, B>, typename A::Scalar> {
 public:
  /// Element type.
  using Scalar = typename A::Scalar;
  static_assert(std::is_same_v<Scalar, typename B::Scalar>, "operands of one element type");
  /// Most tensor operands in the tree.
  static constexpr int leaves = A::leaves + B::leaves;
  /// op(a, b). ShapeError naming both shapes when they do not broadcast.
  Binary(A a, B b) : Binary(Op{}, std::move(a), std::move(b)) {}
  /// op(a, b) for the entry \p op with its parameters.
  Binary(const Op& op, A a, B b) : op_(op), a_(std::move(a)), b_(std::move(b)) {
    const Shape& sa = a_.shape();
    const Shape& sb = b_.shape();
    if (sa == sb || (eigrad::numel(sb) == 1 && sb.size() <= sa.size())) {
      shape_ = &sa;
    } else if (eigrad::numel(sa) == 1 && sa.size() <= sb.size()) {
      shape_ = &sb;
    } else if constexpr (std::is_empty_v<Op>) {
      // Shapes one loop cannot take: the eager op broadcasts them (ShapeError if it cannot).
      this->set_result(eigrad::detail::eager_binary<Scalar, Op>(a_.as_tensor(), b_.as_tensor()));
    } else {
      EIGRAD_FAIL(ShapeError, Op::name, ": operand shapes ", to_string(sa), " and ", to_string(sb), " differ");
    }
  }
  /// The result's shape.
  const Shape& expr_shape() const { return *shape_; }
  /// Appends itself to \p tape (a statement's tree in post-order; the result, once evaluated).
  void append_to(detail::Tape<Scalar>& tape) const {
    if (this->evaluated()) return tape.tensor(this->as_tensor());
    a_.append_to(tape);
    b_.append_to(tape);
    tape.op(*this, detail::describe<Scalar>(op_), 2);
  }
  /// The entry.
  const Op& op() const { return op_; }
  /// The left operand.
  const A& left() const { return a_; }
  /// The right operand.
  const B& right() const { return b_; }

 private:
  Op op_;
  A a_;
  B b_;
  const Shape* shape_ = nullptr;  // an operand's shape, in a TensorImpl its handle keeps alive
};

namespace detail {

/// The expression for a tensor operand: itself if it is one, else a Leaf holding it.
template <class X>
auto as_operand(const X& x) {
  if constexpr (is_expr_v<X>) {
    return x;
  } else {
    return Leaf<typename X::Scalar>(x);
  }
}
template <class X>
using operand_t = decltype(as_operand(std::declval<const X&>()));

/// Evaluates \p e into \p target (of its shape) in one pass; records nothing. Each element is
/// read before it is written, so \p target may be an operand (an in-place update).
template <class E>
void evaluate_into(const E& e, const Tensor<typename E::Scalar>& target) {
  Tape<typename E::Scalar> tape;
  e.append_to(tape);
  evaluate_tape_into(tape, e.expr_shape(), target);
}

/// Evaluates \p e in one pass: its elements, or their sum or mean; records one fused node
/// (named \p node_name when given) when grad mode is on and an operand requires grad (no node
/// is built otherwise).
template <class E>
Tensor<typename E::Scalar> evaluate(const E& e, Reduction reduction, const char* node_name) {
  Tape<typename E::Scalar> tape;
  e.append_to(tape);
  return evaluate_tape(tape, e.expr_shape(), reduction, node_name);
}

/// Enabled for operand pairs of tensors, expressions and numbers with at least one tensor.
template <class L, class R>
using enable_tensor_op =
    std::enable_if_t<(is_tensor_like_v<L> && (is_tensor_like_v<R> || std::is_arithmetic_v<R>)) ||
                         (std::is_arithmetic_v<L> && is_tensor_like_v<R>),
                     int>;
template <class L, class R>
using scalar_t = typename std::conditional_t<is_tensor_like_v<L>, L, R>::Scalar;

}  // namespace detail

/// Starts an expression at tensor \p t (tensor arithmetic builds expressions by itself; this
/// names a tensor operand explicitly).
template <class T>
Leaf<T> lazy(const Tensor<T>& t) { return Leaf<T>(t); }

}  // namespace expr

// ------------------------------------------------------------------ Tensor's lazy members
/// \cond OPERATOR_OVERLOADS
template <class T>
expr::Unary<ops::PowScalarRuntime<T>, expr::Leaf<T>> Tensor<T>::pow(double exponent) const {
  return {ops::PowScalarRuntime<T>(exponent), expr::Leaf<T>(*this)};
}
#define EIGRAD_LAZY_MEMBER(name, Entry) \
  template <class T>                    \
  expr::Unary<ops::Entry, expr::Leaf<T>> Tensor<T>::name() const { return {{}, expr::Leaf<T>(*this)}; }
EIGRAD_LAZY_MEMBER(sin, Sin)
EIGRAD_LAZY_MEMBER(cos, Cos)
EIGRAD_LAZY_MEMBER(exp, Exp)
EIGRAD_LAZY_MEMBER(log, Log)
EIGRAD_LAZY_MEMBER(sqrt, Sqrt)
EIGRAD_LAZY_MEMBER(abs, Abs)
EIGRAD_LAZY_MEMBER(tanh, Tanh)
EIGRAD_LAZY_MEMBER(sigmoid, Sigmoid)
EIGRAD_LAZY_MEMBER(relu, Relu)
#undef EIGRAD_LAZY_MEMBER

// ------------------------------------------------------------------ in-place updates
#define EIGRAD_INPLACE_FROM_EXPR(OP, Entry, what)                                                   \
  template <class T>                                                                               \
  template <class E>                                                                               \
  Tensor<T>& Tensor<T>::operator OP##=(const expr::Expr<E, T>& e) {                                 \
    const E& rhs = e.self();                                                                       \
    if (rhs.evaluated() || !defined() || rhs.shape() != shape()) return *this OP## = rhs.as_tensor(); \
    check_inplace(what);                                                                           \
    const expr::Binary<ops::Entry, expr::Leaf<T>, E> update(expr::Leaf<T>(*this), rhs);            \
    expr::detail::evaluate_into(update, *this);                                                   \
    return *this;                                                                                  \
  }
EIGRAD_INPLACE_FROM_EXPR(+, Add, "+=")
EIGRAD_INPLACE_FROM_EXPR(-, Sub, "-=")
EIGRAD_INPLACE_FROM_EXPR(*, Mul, "*=")
EIGRAD_INPLACE_FROM_EXPR(/, Div, "/=")
#undef EIGRAD_INPLACE_FROM_EXPR
/// \endcond

// ------------------------------------------------------------------ operators
/// \cond OPERATOR_OVERLOADS
// A tensor or expression with a number uses the op table's scalar entries, so it rounds as
// the eager op does (s / x is (1 / x) * s, as PyTorch's rdiv). Numbers are cast to T first.
#define EIGRAD_EXPR_OPERATOR(OP, Entry, ScalarRight, ScalarLeft)                                \
  template <class L, class R, expr::detail::enable_tensor_op<L, R> = 0>                         \
  auto operator OP(const L& l, const R& r) {                                                    \
    using T = expr::detail::scalar_t<L, R>;                                                     \
    if constexpr (std::is_arithmetic_v<R>) {                                                    \
      using A = expr::detail::operand_t<L>;                                                     \
      return expr::Unary<ops::ScalarRight<T>, A>({{}, static_cast<T>(r)}, expr::detail::as_operand(l)); \
    } else if constexpr (std::is_arithmetic_v<L>) {                                             \
      using B = expr::detail::operand_t<R>;                                                     \
      return expr::Unary<ops::ScalarLeft<T>, B>({{}, static_cast<T>(l)}, expr::detail::as_operand(r)); \
    } else {                                                                                    \
      using A = expr::detail::operand_t<L>;                                                     \
      using B = expr::detail::operand_t<R>;                                                     \
      return expr::Binary<ops::Entry, A, B>(expr::detail::as_operand(l), expr::detail::as_operand(r)); \
    }                                                                                           \
  }
EIGRAD_EXPR_OPERATOR(+, Add, AddScalar, AddScalar)
EIGRAD_EXPR_OPERATOR(-, Sub, SubScalar, RSubScalar)
EIGRAD_EXPR_OPERATOR(*, Mul, MulScalar, MulScalar)
EIGRAD_EXPR_OPERATOR(/, Div, DivScalar, RDivScalar)
#undef EIGRAD_EXPR_OPERATOR

template <class E, std::enable_if_t<is_tensor_like_v<E>, int> = 0>
auto operator-(const E& e) {
  using A = expr::detail::operand_t<E>;
  return expr::Unary<ops::Neg, A>({}, expr::detail::as_operand(e));
}
/// \endcond

/// Elementwise sine.
template <class E, std::enable_if_t<is_tensor_like_v<E>, int> = 0> auto sin(const E& e) { return e.sin(); }
/// Elementwise cosine.
template <class E, std::enable_if_t<is_tensor_like_v<E>, int> = 0> auto cos(const E& e) { return e.cos(); }
/// Elementwise exponential.
template <class E, std::enable_if_t<is_tensor_like_v<E>, int> = 0> auto exp(const E& e) { return e.exp(); }
/// Elementwise natural logarithm.
template <class E, std::enable_if_t<is_tensor_like_v<E>, int> = 0> auto log(const E& e) { return e.log(); }
/// Elementwise square root.
template <class E, std::enable_if_t<is_tensor_like_v<E>, int> = 0> auto sqrt(const E& e) { return e.sqrt(); }
/// Elementwise absolute value.
template <class E, std::enable_if_t<is_tensor_like_v<E>, int> = 0> auto abs(const E& e) { return e.abs(); }
/// Elementwise hyperbolic tangent.
template <class E, std::enable_if_t<is_tensor_like_v<E>, int> = 0> auto tanh(const E& e) { return e.tanh(); }
/// Elementwise power with a real exponent.
template <class E, std::enable_if_t<is_tensor_like_v<E>, int> = 0>
auto pow(const E& e, double exponent) { return e.pow(exponent); }

}  // namespace eigrad

// Node, which the fused node derives from; it includes this header through tensor.hpp.
#include "eigrad/autograd/node.hpp"  // IWYU pragma: keep
