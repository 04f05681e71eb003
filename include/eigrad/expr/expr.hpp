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
/// is evaluated once and keeps the result. Evaluating runs one loop over the elements; with
/// grad on it records ONE node (FusedBackward) that saves only the leaves and whose backward
/// computes the adjoint of every leaf in one more loop, summing the adjoints of one-element
/// leaves in that same loop; `sum()`, `mean()` and the `nn` losses reduce in the same pass.
/// Operands must have one shape, or one element (a scalar tensor broadcast against the rest);
/// a binary op over other shapes runs the eager op at once (full broadcasting, its own node)
/// and becomes a leaf of the expression above it. Every op is an entry of the op table
/// (include/eigrad/ops/), so fused and eager results agree to rounding (doc/design.md).
/// A statement over "cuda" tensors runs as one interpreter launch forward and one backward
/// (expr/lower.hpp lowers it to an ops::Program; a 0-d CPU tensor among them is copied over).
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
#include "eigrad/cuda/kernels.hpp"
#include "eigrad/detail/cascade_sum.hpp"
#include "eigrad/errors.hpp"
#include "eigrad/expr/lower.hpp"
#include "eigrad/ops/elementwise.hpp"
#include "eigrad/ops/pow.hpp"
#include "eigrad/tensor/factories.hpp"
#include "eigrad/tensor/operators.hpp"
#include "eigrad/tensor/tensor.hpp"

namespace eigrad {

namespace autograd {
// Declared in autograd/node.hpp, which includes this header through tensor.hpp.
template <class T>
Tensor<T> record(Tensor<T> result, std::shared_ptr<Node<T>> node, const Tensor<T>* inputs, std::size_t count);
}  // namespace autograd

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

/// How a fused evaluation reduces its elements: none (the result has the expression's shape),
/// sum, or mean.
enum class Reduction { None, Sum, Mean };

namespace detail {
template <class E>
Tensor<typename E::Scalar> evaluate(const E& e, Reduction reduction, const char* node_name = nullptr);
/// Whether entry \p Op's gradient reads its operands' or its output's values (then every value
/// below it enters the gradients, and changing a leaf there in place must be refused).
template <class Op>
constexpr bool reads_values() {
  if constexpr (std::is_base_of_v<ops::Saves<false, false>, Op>) return false;
  return true;
}
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
  /// Calls \p f(tensor, parent, needed) with each tensor operand, left to right: \p parent
  /// names the op reading it, \p needed says whether its values enter the gradients.
  template <class F>
  void visit_leaves(F&& f, const char* parent, bool needed) const { f(this->as_tensor(), parent, needed); }
  /// Drops the handle (a fused node's copy of the tree reads its leaves from elsewhere).
  void strip_handles() const { this->set_result(Tensor<T>()); }
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
  /// Calls \p f(tensor, parent, needed) with each tensor operand, left to right (the result,
  /// once evaluated).
  template <class F>
  void visit_leaves(F&& f, const char* parent, bool needed) const {
    if (this->evaluated()) f(this->as_tensor(), parent, needed);
    else a_.visit_leaves(f, Op::name, needed || detail::reads_values<Op>());
  }
  /// Drops the tensor handles below (an evaluated result is kept as a detached view).
  void strip_handles() const {
    if (this->evaluated()) this->set_result(this->as_tensor().detach());
    else a_.strip_handles();
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
  /// Calls \p f(tensor, parent, needed) with each tensor operand, left to right (the result,
  /// once evaluated).
  template <class F>
  void visit_leaves(F&& f, const char* parent, bool needed) const {
    if (this->evaluated()) {
      f(this->as_tensor(), parent, needed);
    } else {
      a_.visit_leaves(f, Op::name, needed || detail::reads_values<Op>());
      b_.visit_leaves(f, Op::name, needed || detail::reads_values<Op>());
    }
  }
  /// Drops the tensor handles below (an evaluated result is kept as a detached view).
  void strip_handles() const {
    if (this->evaluated()) {
      this->set_result(this->as_tensor().detach());
    } else {
      a_.strip_handles();
      b_.strip_handles();
    }
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

// ------------------------------------------------------------------ evaluators
// An evaluator mirrors its expression for one evaluation and works a block of up to kBlock
// elements at a time: fwd(i0, m) leaves the block's values at vp[0 .. m), bwd(i0, m, adj)
// sends their adjoints down to the leaves. Each step is a loop of kBlock lanes (a constant
// trip count: the compiler vectorises it without remainder code), the last, short block
// padded; only the leaves store or sum the first m. A branch (a pow kernel, a subtree without
// adjoints, a subexpression evaluated before: a leaf) is taken once per block, never per element.

/// Elements per block.
constexpr int kBlock = 32;
/// The alignment of a block buffer: a cache line, so that no vector store to a block is split
/// over two lines (a split store is not forwarded to the next op's load, and every op of the
/// tree reads the block its operand has just stored).
constexpr std::size_t kBlockAlign = 64;
/// Elements a one-element leaf's adjoint adds in T, in element order, before it adds their sum
/// into a double (a multiple of kBlock): a float sum of 20M terms then keeps the accuracy of
/// one of 4096. Not PyTorch's order (a fused statement's forward sum is): in that order the
/// Linear bias gradient takes the chaotic 06_optim golden runs outside their envelope
/// (doc/design.md, "Order of the sums").
constexpr std::int64_t kSumRun = 4096;
/// Elements of a chunk of AdjointSums (a multiple of kBlock that divides kSumRun).
constexpr int kSumChunk = 4 * kBlock;

/// Adds the first \p m elements of each of \p count rows (\p rows, kSumChunk elements apart:
/// the chunk that starts at element \p i0) to the running sums \p acc, in element order, up to
/// four rows at a time; at the start of each run of kSumRun elements each running sum moves
/// into its \p runs. Compiled once, in src/expr/expr.cpp.
template <class T>
void add_adjoint_chunk(const T* rows, T* acc, double* runs, int count, std::int64_t i0, int m);
extern template void add_adjoint_chunk(const float*, float*, double*, int, std::int64_t, int);
extern template void add_adjoint_chunk(const double*, double*, double*, int, std::int64_t, int);

/// The adjoint sums of the one-element leaves of one backward pass, in element order within
/// each run of kSumRun elements and the runs' sums in double. Each such leaf stores its blocks
/// of adjoints in a row; every kSumChunk elements the rows are added up together, up to four
/// at a time: the same bits as one running sum per leaf, but up to four independent chains of
/// dependent adds at once instead of one after another.
template <class T, int N>
class AdjointSums {
 public:
  /// A new row for one leaf; its number.
  int add_row() {
    acc_[count_] = -T(0);  // -0, so that a sum of -0 stays -0
    runs_[count_] = -0.0;
    return count_++;
  }
  /// Where a leaf stores the adjoints of the chunk's elements.
  T* row(int r) { return rows_[r]; }
  /// Adds the first \p m stored elements of every row: the chunk that starts at element \p i0.
  void add_chunk(std::int64_t i0, int m) { add_adjoint_chunk<T>(rows_[0], acc_, runs_, count_, i0, m); }
  /// Row \p r's sum (once every chunk is added).
  T sum(int r) const { return static_cast<T>(runs_[r] + static_cast<double>(acc_[r])); }

 private:
  alignas(kBlockAlign) T rows_[N][kSumChunk];
  T acc_[N];
  double runs_[N];
  int count_ = 0;
};

/// Where the evaluators read the leaves and add their adjoints: one slot per leaf.
template <class T, int N>
struct LeafSlots {
  std::array<const T*, N> data{};               ///< elements
  std::array<std::int64_t, N> stride{};         ///< 1, or 0 for a one-element leaf
  std::array<T*, N> grad{};                     ///< adjoint destination
  std::array<std::int64_t, N> grad_stride{};    ///< 1 (a buffer) or 0 (a sum)
  AdjointSums<T, N>* sums = nullptr;            ///< the one-element leaves' sums (backward only)
};

/// A tensor operand's part of an evaluator: reads its block and takes its adjoint.
template <class T>
struct LeafEval {
  const T* data = nullptr;
  bool full_read = false;  // one value per element (else one value broadcast)
  T* grad = nullptr;       // the adjoint buffer of a full-size leaf
  bool full = false;       // full-size leaf wanting an adjoint; otherwise the adjoints are summed
  bool active = false;     // an adjoint is wanted here
  int slot = -1;
  int sum_row = -1;        // a one-element leaf's row of AdjointSums
  T* pending = nullptr;    // that row: the adjoints of the current chunk
  template <int N>
  void bind(const LeafSlots<T, N>& s, int& k, T* v) {
    data = s.data[k];
    full_read = s.stride[k] == 1;
    grad = s.grad[k];
    full = s.grad_stride[k] == 1;
    active = s.grad[k] != nullptr;
    if (active && !full) {
      sum_row = s.sums->add_row();
      pending = s.sums->row(sum_row);
    }
    slot = k++;
    if (!full_read)
      for (int j = 0; j < kBlock; ++j) v[j] = data[0];
  }
  void fwd(std::int64_t i0, int m, const T*& vp, T* v) const {
    if (!full_read) return;  // v holds the broadcast value
    if (m == kBlock) {
      vp = data + i0;
      return;
    }
    // The last, short block: the ops above always run kBlock lanes, so pad with a value of
    // the operand (what the extra lanes compute is never stored or summed).
    for (int j = 0; j < kBlock; ++j) v[j] = data[i0 + (j < m ? j : 0)];
    vp = v;
  }
  // Each occurrence of a tensor in the tree is a leaf of its own, given one adjoint per
  // element: stored, not added to zeros (0 + -0 would lose the sign). A leaf that wants no
  // adjoint (x and y of the tutorial) skips the pass.
  void bwd(std::int64_t i0, int m, const T* adj) {
    if (!active) return;
    if (full) {
      T* g = grad + i0;
      for (int j = 0; j < m; ++j) g[j] = adj[j];
    } else {  // the whole block (a fixed trip count); AdjointSums adds the first m
      T* p = pending + i0 % kSumChunk;
      for (int j = 0; j < kBlock; ++j) p[j] = adj[j];
    }
  }
  /// Calls f(slot, row of AdjointSums) for a one-element leaf wanting an adjoint.
  template <class F>
  void for_each_sum(F&& f) const {
    if (active && !full) f(slot, sum_row);
  }
};

template <class E>
struct Eval;

/// What every evaluator holds: its block of values, and its leaf part when its expression
/// was evaluated before (a materialised subexpression reads as a tensor operand).
template <class T>
struct EvalBase {
  bool is_leaf;
  LeafEval<T> leaf;
  bool active = false;
  const T* vp;
  alignas(kBlockAlign) T v[kBlock];
  explicit EvalBase(bool as_leaf) : is_leaf(as_leaf), vp(v) {}
};

template <class T>
struct Eval<Leaf<T>> : EvalBase<T> {
  template <int N>
  Eval(const Leaf<T>&, const LeafSlots<T, N>& s, int& k, bool dead) : EvalBase<T>(!dead) {
    if (dead) return;
    this->leaf.bind(s, k, this->v);
    this->active = this->leaf.active;
  }
  void fwd(std::int64_t i0, int m) { this->leaf.fwd(i0, m, this->vp, this->v); }
  void bwd(std::int64_t i0, int m, const T* adj) { this->leaf.bwd(i0, m, adj); }
  template <class F>
  void for_each_sum(F&& f) const { this->leaf.for_each_sum(f); }
};

/// Whether entry \p Op has block forms (value_block, grad_block) that pick a kernel per block.
template <class Op, class = void>
struct has_block_form : std::false_type {};
template <class Op>
struct has_block_form<Op, std::void_t<decltype(&Op::value_block)>> : std::true_type {};

template <class Op, class A>
struct Eval<Unary<Op, A>> : EvalBase<typename A::Scalar> {
  using T = typename A::Scalar;
  Op op;
  Eval<A> a;
  template <int N>
  Eval(const Unary<Op, A>& e, const LeafSlots<T, N>& s, int& k, bool dead)
      : EvalBase<T>(!dead && e.evaluated()), op(e.op()), a(e.operand(), s, k, dead || this->is_leaf) {
    if (dead) return;
    if (this->is_leaf) this->leaf.bind(s, k, this->v);
    this->active = this->is_leaf ? this->leaf.active : a.active;
  }
  void fwd(std::int64_t i0, int m) {
    if (this->is_leaf) return this->leaf.fwd(i0, m, this->vp, this->v);
    a.fwd(i0, m);
    const T* x = a.vp;
    T* v = this->v;
    if constexpr (has_block_form<Op>::value) {
      op.value_block(x, v, kBlock);
    } else {
      for (int j = 0; j < kBlock; ++j) v[j] = op.value(x[j]);
    }
  }
  void bwd(std::int64_t i0, int m, const T* adj) {
    if (this->is_leaf) return this->leaf.bwd(i0, m, adj);
    alignas(kBlockAlign) T ga[kBlock];
    const T* x = a.vp;
    const T* y = this->v;
    if constexpr (has_block_form<Op>::value) {
      op.grad_block(adj, x, ga, kBlock);
    } else {
      for (int j = 0; j < kBlock; ++j) ga[j] = op.grad(adj[j], x[j], y[j]);
    }
    a.bwd(i0, m, ga);
  }
  template <class F>
  void for_each_sum(F&& f) const {
    if (this->is_leaf) this->leaf.for_each_sum(f);
    else a.for_each_sum(f);
  }
};

template <class Op, class A, class B>
struct Eval<Binary<Op, A, B>> : EvalBase<typename A::Scalar> {
  using T = typename A::Scalar;
  Op op;
  Eval<A> a;
  Eval<B> b;
  template <int N>
  Eval(const Binary<Op, A, B>& e, const LeafSlots<T, N>& s, int& k, bool dead)
      : EvalBase<T>(!dead && e.evaluated()), op(e.op()), a(e.left(), s, k, dead || this->is_leaf),
        b(e.right(), s, k, dead || this->is_leaf) {
    if (dead) return;
    if (this->is_leaf) this->leaf.bind(s, k, this->v);
    this->active = this->is_leaf ? this->leaf.active : (a.active || b.active);
  }
  void fwd(std::int64_t i0, int m) {
    if (this->is_leaf) return this->leaf.fwd(i0, m, this->vp, this->v);
    a.fwd(i0, m);
    b.fwd(i0, m);
    const T* x = a.vp;
    const T* y = b.vp;
    T* v = this->v;
    for (int j = 0; j < kBlock; ++j) v[j] = op.value(x[j], y[j]);
  }
  // Subtrees without a leaf that wants an adjoint (data such as x and its powers) are skipped.
  void bwd(std::int64_t i0, int m, const T* adj) {
    if (this->is_leaf) return this->leaf.bwd(i0, m, adj);
    const T* x = a.vp;
    const T* y = b.vp;
    const T* out = this->v;
    alignas(kBlockAlign) T g[kBlock];
    if (a.active) {
      for (int j = 0; j < kBlock; ++j) g[j] = op.grad_a(adj[j], x[j], y[j], out[j]);
      a.bwd(i0, m, g);
    }
    if (b.active) {
      for (int j = 0; j < kBlock; ++j) g[j] = op.grad_b(adj[j], x[j], y[j], out[j]);
      b.bwd(i0, m, g);
    }
  }
  template <class F>
  void for_each_sum(F&& f) const {
    if (this->is_leaf) {
      this->leaf.for_each_sum(f);
    } else {
      a.for_each_sum(f);
      b.for_each_sum(f);
    }
  }
};

/// The tensor operands of an expression, left to right: a fixed array, so that evaluating a
/// statement allocates nothing for them.
template <class T, int N>
struct LeafList {
  std::array<Tensor<T>, N> tensors;  ///< the first count are set
  std::size_t count = 0;
  const Tensor<T>* begin() const { return tensors.data(); }
  const Tensor<T>* end() const { return tensors.data() + count; }
};

/// The tensor operands of \p e, left to right.
template <class E>
LeafList<typename E::Scalar, E::leaves> leaves_of(const E& e) {
  LeafList<typename E::Scalar, E::leaves> out;
  e.visit_leaves([&out](const Tensor<typename E::Scalar>& t, const char*, bool) { out.tensors[out.count++] = t; }, "",
                 false);
  return out;
}

/// Read slots for \p leaves over \p n elements (no adjoints).
template <class T, int N>
LeafSlots<T, N> read_slots(const LeafList<T, N>& leaves, std::int64_t n) {
  LeafSlots<T, N> s;
  for (std::size_t k = 0; k < leaves.count; ++k) {
    s.data[k] = leaves.tensors[k].data();
    s.stride[k] = (leaves.tensors[k].numel() == n && n != 1) ? 1 : 0;
  }
  return s;
}

/// The PyTorch name of the node of \p E's root op.
template <class E>
struct root_name {
  static constexpr const char* value = "CloneBackward0";
};
template <class Op, class A>
struct root_name<Unary<Op, A>> {
  static constexpr const char* value = Op::name;
};
template <class Op, class A, class B>
struct root_name<Binary<Op, A, B>> {
  static constexpr const char* value = Op::name;
};

// ------------------------------------------------------------------ on the device
// A statement whose operands live on "cuda" runs as an ops::Program (expr/lower.hpp): one
// interpreter launch forward, one backward, over the operands' device memory.

/// The "cuda" device of \p e's operands, or none when all are on the CPU. Operands on two
/// devices are a DeviceError naming both (named \p what); a one-element CPU operand goes with
/// "cuda" operands (PyTorch allows a 0-d CPU tensor among them): it is copied to the device.
template <class E>
std::optional<Device> statement_device(const E& e, const char* what) {
  using T = typename E::Scalar;
  std::optional<Device> device;
  const Tensor<T>* full_cpu = nullptr;  // a CPU operand that cannot be copied along
  e.visit_leaves(
      [&](const Tensor<T>& t, const char*, bool) {
        if (!t.device().is_cuda()) {
          if (!full_cpu && t.numel() != 1) full_cpu = &t;
          return;
        }
        EIGRAD_CHECK(!device || *device == t.device(), DeviceError, what,
                     ": expected all tensors to be on the same device, but found at least two devices, ", *device,
                     " and ", t.device());
        device = t.device();
      },
      "", false);
  EIGRAD_CHECK(!device || !full_cpu, DeviceError, what,
               ": expected all tensors to be on the same device, but found at least two devices, ", *device,
               " and cpu (a tensor of shape ", to_string(full_cpu->shape()),
               "; only a one-element CPU tensor may join cuda tensors)");
  return device;
}

/// \p t as the program reads it on \p device: itself, or a copy of a one-element CPU operand.
template <class T>
Tensor<T> device_operand(const Tensor<T>& t, const Device& device) {
  if (t.device() == device) return t;
  NoGradGuard no_grad;
  return t.detach().to(device);
}

/// Zero, for a device sum of no elements.
template <class T>
inline constexpr T kZero = T(0);

/// mean's division of the 0-d device tensor \p sum by \p n (in T, as the CPU path divides),
/// into a new 0-d tensor: one launch, no host wait. NaN for n = 0.
template <class T>
Tensor<T> divided_on_device(const Tensor<T>& sum, std::int64_t n) {
  Tensor<T> out = empty<T>({}, sum.device());
  const auto by_n = cuda::Unary<T>::with_scalar(ops::Code::DivScalar, static_cast<T>(n));
  cuda::unary(by_n, sum.data_ptr(), out.data_ptr(), 1);
  return out;
}

/// Whether an operand of \p numel elements is read as one value broadcast over \p n elements
/// (as the CPU evaluators read it).
inline bool broadcast_operand(std::int64_t numel, std::int64_t n) { return !(numel == n && n != 1); }

/// The program leaves of \p count operands on \p device, numbered by \p numbers, in \p keep
/// (each program leaf's tensor on the device, alive while the program runs).
template <class T, int N>
std::array<cuda::ProgramLeaf<T>, N> program_leaves(const Tensor<T>* operands, const LeafNumbers<N>& numbers,
                                                   std::int64_t n, const Device& device, Tensor<T>* keep) {
  std::array<cuda::ProgramLeaf<T>, N> leaves{};
  for (int j = 0; j < numbers.count; ++j) {
    const std::size_t u = static_cast<std::size_t>(j);
    keep[u] = device_operand(operands[numbers.first[u]], device);
    leaves[u].data = keep[u].data_ptr();
    leaves[u].scalar = broadcast_operand(keep[u].numel(), n);
  }
  return leaves;
}

/// Runs \p e (fitted to one program) forward on \p device: its elements into \p out (a
/// device buffer of its shape) when not null, and their sum into \p sum (one device element)
/// when not null, where the host does not wait for it.
template <class E>
void run_on_device(const E& e, const Device& device, typename E::Scalar* out, typename E::Scalar* sum) {
  using T = typename E::Scalar;
  constexpr int N = E::leaves;
  const auto leaves = leaves_of(e);
  const std::int64_t n = eigrad::numel(e.expr_shape());
  if (n == 0) {  // no launch (and no memory to point the program at)
    if (sum) cuda::copy_from_host(sum, &kZero<T>, 1);
    return;
  }
  const auto numbers = number_leaves<N>(leaves.begin(), leaves.count);
  const std::array<bool, N> no_adjoints{};
  const ops::Program<T> program = lower_statement(e, numbers, no_adjoints.data());
  std::array<Tensor<T>, N> keep;
  const auto program_leaves_ = program_leaves(leaves.begin(), numbers, n, device, keep.data());
  if (sum) cuda::run_forward_into(program, program_leaves_.data(), n, out, sum);
  else cuda::run_forward(program, program_leaves_.data(), n, out, false);
}

/// The one node of an evaluated expression: keeps its leaves, and computes every leaf's
/// adjoint in one pass over the elements (the forward values recomputed on the way). Its name
/// is PyTorch's for the statement's last op (AddBackward0, SumBackward0, MseLossBackward0...).
/// It keeps its leaves (see saved_leaf) and checks and frees them itself, as Node does with saved tensors: a leaf whose values
/// enter the gradients is refused once changed in place (the message names the op reading it),
/// and after a backward without retain_graph the node cannot run again; a statement whose ops
/// read no values (a + b) keeps its leaves and can, as PyTorch's AddBackward0. A statement on
/// "cuda" runs its backward as one interpreter launch and gives each leaf its adjoint there.
template <class E>
class FusedBackward final : public Node<typename E::Scalar> {
  using T = typename E::Scalar;
  static constexpr int N = E::leaves;

 public:
  FusedBackward(const E& e, Reduction reduction, const char* name, const Device& device)
      : expr_(e), n_(eigrad::numel(e.expr_shape())), reduction_(reduction), name_(name), device_(device) {
    e.visit_leaves(
        [this](const Tensor<T>& t, const char* parent, bool needed) {
          leaves_[count_] = saved_leaf(t);
          buffers_[count_] = t.data_ptr();
          versions_[count_] = t.version();
          readers_[count_] = parent;
          needed_[count_] = needed;
          any_needed_ = any_needed_ || needed;
          ++count_;
        },
        name, false);
    expr_->strip_handles();
  }

  std::string name() const override { return name_; }

 protected:
  std::vector<Tensor<T>> backward(const Tensor<T>& g) override {
    std::vector<Tensor<T>> grads;
    backward_into(g, grads);
    return grads;
  }
  void backward_into(const Tensor<T>& g, std::vector<Tensor<T>>& grads) override {
    EIGRAD_CHECK(!released_, AutogradError, "Trying to backward through the graph a second time (node ", name_,
                 "): its saved tensors were freed by the first backward(). Pass retain_graph = true to "
                 "the first backward() call to backward through the graph again");
    for (std::size_t k = 0; k < count_; ++k)
      EIGRAD_CHECK(leaves_[k].data_ptr() == buffers_[k], AutogradError, "a tensor of shape ",
                   to_string(leaves_[k].shape()), " read by ", readers_[k],
                   " was given other data (set_data) after the statement that ", name_,
                   " differentiates was recorded; compute the gradient before replacing its data");
    for (std::size_t k = 0; k < count_; ++k)
      EIGRAD_CHECK(!needed_[k] || leaves_[k].version() == versions_[k], AutogradError, "a tensor of shape ",
                   to_string(leaves_[k].shape()), " saved by ", readers_[k],
                   " for backward was modified in place afterwards (version ", versions_[k], ", now ",
                   leaves_[k].version(), "); compute the gradient before changing it, or change a clone()");
    if (device_.is_cuda()) {
      grads = backward_on_device(g);
      return;
    }
    const std::int64_t n = n_;
    LeafSlots<T, N> slots;
    for (std::size_t k = 0; k < count_; ++k) {
      slots.data[k] = leaves_[k].data();
      slots.stride[k] = (leaves_[k].numel() == n && n != 1) ? 1 : 0;
    }
    grads.clear();
    grads.resize(count_);
    T unused = 0;  // marks a one-element leaf that wants its adjoint summed
    for (std::size_t k = 0; k < count_; ++k) {
      if (!this->needs_input_grad(k)) continue;
      if (slots.stride[k] == 1) {
        grads[k] = empty<T>(leaves_[k].shape(), leaves_[k].device());  // every element is stored once
        slots.grad[k] = grads[k].data();
        slots.grad_stride[k] = 1;
      } else {
        slots.grad[k] = &unused;
      }
    }
    AdjointSums<T, N> sums;  // a few KB of stack, as the evaluator's blocks
    slots.sums = &sums;
    int k = 0;
    Eval<E> eval(*expr_, slots, k, false);  // a block of kBlock values per node: a few KB of stack
    Eval<E>* ev = &eval;
    const T* pg = g.data();
    alignas(kBlockAlign) T same[kBlock];  // sum: grad.expand(sizes); mean: grad.expand(sizes) / numel, as the eager nodes
    if (reduction_ != Reduction::None)
      for (T& a : same) a = reduction_ == Reduction::Mean ? pg[0] / static_cast<T>(n) : pg[0];
    alignas(kBlockAlign) T tail[kBlock];  // the last block's incoming gradients, padded with zeros
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
      if ((i0 + kBlock) % kSumChunk == 0 || i0 + m == n) {
        const std::int64_t chunk = i0 - i0 % kSumChunk;
        sums.add_chunk(chunk, static_cast<int>(i0 + m - chunk));
      }
    }
    ev->for_each_sum([&](int j, int row) { grads[j] = full<T>(leaves_[j].shape(), sums.sum(row), leaves_[j].device()); });
  }
  /// The backward of a statement on "cuda": one run_backward over the leaves' device memory;
  /// a leaf read twice is one program leaf, whose whole adjoint goes to its first occurrence.
  std::vector<Tensor<T>> backward_on_device(const Tensor<T>& g) {
    const std::int64_t n = n_;
    const auto numbers = number_leaves<N>(leaves_.data(), count_);
    std::array<bool, N> wants{};
    std::array<int, N> receiver{};  // the occurrence given each program leaf's adjoint
    for (std::size_t k = count_; k-- > 0;) {
      if (!this->needs_input_grad(k)) continue;
      const std::size_t j = static_cast<std::size_t>(numbers.of[k]);
      wants[j] = true;
      receiver[j] = static_cast<int>(k);
    }
    std::array<Tensor<T>, N> keep, adjoints;
    auto leaves = program_leaves(leaves_.data(), numbers, n, device_, keep.data());
    for (int j = 0; j < numbers.count; ++j) {
      const std::size_t u = static_cast<std::size_t>(j);
      if (!wants[u]) continue;
      const Tensor<T>& leaf = leaves_[static_cast<std::size_t>(numbers.first[u])];
      // an empty statement's one-element adjoint is the CPU path's empty sum, -0
      adjoints[u] =
          n == 0 && leaves[u].scalar ? full<T>(leaf.shape(), -T(0), device_) : empty<T>(leaf.shape(), device_);
      leaves[u].adjoint = adjoints[u].data_ptr();
    }
    if (n > 0) {
      EIGRAD_CHECK(g.device() == device_, DeviceError, name_, ": the gradient of its output is on ", g.device(),
                   ", the statement on ", device_);
      const ops::Program<T> program = lower_statement(*expr_, numbers, wants.data());
      // mean: grad.expand(sizes) / numel, the division in T on the host as the CPU path does it
      const Tensor<T> adjoint_out = reduction_ == Reduction::Mean ? divided_on_device(g, n) : g;
      cuda::run_backward(program, leaves.data(), n,
                         cuda::ProgramLeaf<T>{adjoint_out.data_ptr(), reduction_ != Reduction::None, nullptr});
    }
    std::vector<Tensor<T>> grads(count_);
    for (int j = 0; j < numbers.count; ++j) {
      const std::size_t u = static_cast<std::size_t>(j);
      if (!wants[u]) continue;
      const std::size_t k = static_cast<std::size_t>(receiver[u]);
      const Device& home = leaves_[k].device();
      grads[k] = home == device_ ? adjoints[u] : adjoints[u].to(home);  // a 0-d CPU leaf's adjoint goes back
    }
    return grads;
  }
  void release_extra() override {
    if (!any_needed_) return;  // nothing read: it may run again
    expr_.reset();
    for (auto& t : leaves_) t = Tensor<T>();
    released_ = true;
  }

 private:
  /// How the node keeps leaf \p t. A tensor with a producer is kept as a detached view (its
  /// data and version, not the producer: a chain of a million statements is then freed by
  /// ~Node's loop, not one destructor inside another); one without is kept by handle, which
  /// costs no allocation, and a leaf met again shares the handle kept for it.
  Tensor<T> saved_leaf(const Tensor<T>& t) {
    for (std::size_t k = 0; k < count_; ++k)
      if (ids_[k] == t.id()) return leaves_[k];
    ids_[count_] = t.id();
    return t.grad_fn() ? t.detach() : t;
  }

  std::optional<E> expr_;
  std::int64_t n_;
  Reduction reduction_;
  const char* name_;
  Device device_;  // where the statement ran
  std::array<Tensor<T>, N> leaves_;
  std::array<const T*, N> buffers_{};  // each leaf's data when saved: set_data is refused
  std::array<const void*, N> ids_{};  // each leaf's id() when saved
  std::array<std::uint64_t, N> versions_{};
  std::array<const char*, N> readers_{};
  std::array<bool, N> needed_{};
  std::size_t count_ = 0;
  bool any_needed_ = false;
  bool released_ = false;
};

/// Runs \p ev over \p n elements into \p out. Each block is computed before it is stored, so
/// \p out may be a leaf's buffer (an in-place update).
template <class Ev, class T>
void run_into(Ev& ev, std::int64_t n, T* out) {
  for (std::int64_t i0 = 0; i0 < n; i0 += kBlock) {
    const int m = static_cast<int>(std::min<std::int64_t>(kBlock, n - i0));
    ev.fwd(i0, m);
    const T* vp = ev.vp;
    for (int j = 0; j < m; ++j) out[i0 + j] = vp[j];
  }
}

/// Evaluates \p e into \p target (of its shape) in one pass; records nothing. On "cuda", one
/// interpreter launch (each element is read before it is written, so \p target may be a leaf).
template <class E>
void evaluate_into(const E& e, const Tensor<typename E::Scalar>& target) {
  using T = typename E::Scalar;
  if (const std::optional<Device> device = statement_device(e, "in-place update")) {
    EIGRAD_CHECK(target.device() == *device, DeviceError, "in-place update: expected all tensors to be on the same "
                 "device, but found at least two devices, ", target.device(), " and ", *device);
    fit_program(e);
    run_on_device(e, *device, target.data_ptr(), static_cast<T*>(nullptr));
    return;
  }
  T* out = target.data();
  const auto leaves = leaves_of(e);
  const std::int64_t n = eigrad::numel(e.expr_shape());
  int k = 0;
  Eval<E> eval(e, read_slots<T, E::leaves>(leaves, n), k, false);
  run_into(eval, n, out);
}

/// Records \p out, the value of \p e computed on \p device from its operands \p leaves: one
/// FusedBackward node (named \p node_name when given) when grad mode is on and an operand
/// requires grad; returns \p out.
template <class E>
Tensor<typename E::Scalar> record_statement(const E& e, const LeafList<typename E::Scalar, E::leaves>& leaves,
                                            const Tensor<typename E::Scalar>& out, Reduction reduction,
                                            const char* node_name, const Device& device) {
  bool any = false;
  for (const auto& t : leaves) any = any || t.requires_grad();
  if (!any || !GradMode::is_enabled()) return out;
  const char* name = node_name                      ? node_name
                     : reduction == Reduction::Sum  ? "SumBackward0"
                     : reduction == Reduction::Mean ? "MeanBackward0"
                                                    : root_name<E>::value;
  return autograd::record<typename E::Scalar>(out, std::make_shared<FusedBackward<E>>(e, reduction, name, device),
                                              leaves.begin(), leaves.count);
}

/// Evaluates \p e in one pass: its elements, or their sum or mean; records one FusedBackward
/// node (named \p node_name when given) when grad mode is on and a leaf
/// requires grad (no node is built otherwise).
template <class E>
Tensor<typename E::Scalar> evaluate(const E& e, Reduction reduction, const char* node_name) {
  using T = typename E::Scalar;
  constexpr int N = E::leaves;
  if (const std::optional<Device> device = statement_device(e, node_name ? node_name : root_name<E>::value)) {
    fit_program(e);  // before its operands are listed: a subtree evaluated first is one of them
    const std::int64_t n = eigrad::numel(e.expr_shape());
    Tensor<T> out;
    if (reduction == Reduction::None) {
      out = empty<T>(e.expr_shape(), *device);
      run_on_device(e, *device, out.data_ptr(), static_cast<T*>(nullptr));
    } else {  // the sum stays on the device: item() is the only host wait of a step
      out = empty<T>({}, *device);
      run_on_device(e, *device, static_cast<T*>(nullptr), out.data_ptr());
      if (reduction == Reduction::Mean) out = divided_on_device(out, n);
    }
    return record_statement(e, leaves_of(e), out, reduction, node_name, *device);
  }
  const auto leaves = leaves_of(e);
  const Shape& shape = e.expr_shape();
  const std::int64_t n = eigrad::numel(shape);
  int k = 0;
  Eval<E> eval(e, read_slots<T, N>(leaves, n), k, false);
  Eval<E>* ev = &eval;
  Tensor<T> out;
  if (reduction == Reduction::None) {
    out = empty<T>(shape, leaves.tensors[0].device());
    run_into(*ev, n, out.data());
  } else {
    // PyTorch's order (detail/cascade_sum.hpp), fed 16 blocks at a time: the sum then keeps
    // its partial sums in registers over them.
    eigrad::detail::CascadeSum<T> total(n);
    constexpr int kChunk = 16 * kBlock;
    alignas(kBlockAlign) T chunk[kChunk];
    int filled = 0;
    for (std::int64_t i0 = 0; i0 < n; i0 += kBlock) {
      const int m = static_cast<int>(std::min<std::int64_t>(kBlock, n - i0));
      ev->fwd(i0, m);
      const T* vp = ev->vp;
      for (int j = 0; j < kBlock; ++j) chunk[filled + j] = vp[j];  // the whole block: a fixed trip count
      filled += m;
      if (filled == kChunk || i0 + m == n) {
        total.add(chunk, filled);
        filled = 0;
      }
    }
    const T s = total.result();
    out = scalar_tensor<T>(
        reduction == Reduction::Mean ? (n ? s / static_cast<T>(n) : std::numeric_limits<T>::quiet_NaN()) : s,
        leaves.tensors[0].device());
  }
  return record_statement(e, leaves, out, reduction, node_name, leaves.tensors[0].device());
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
