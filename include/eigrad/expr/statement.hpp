#pragma once
/// \file expr/statement.hpp
/// \brief Internal to expr/expr.hpp: a fused statement as the evaluators compiled once in
///        src/ run it: its program, its tensor operands, and what it is reduced to.
///
/// Each expression type only appends itself to a Tape (its op code and scalars, or a tensor
/// operand); cutting the tree to fit a program, building the ops::Program and the operand list,
/// evaluating the program forward and backward on the CPU (a block interpreter) or on "cuda"
/// (the device backend's interpreter kernel), and the one node recorded for it are compiled
/// once per element type in src/expr/statement.cpp. So a statement costs the compiler one
/// small walk of its tree, whatever its size or use (doc/design.md, "Evaluation").
#include <array>
#include <cstdint>
#include <vector>

#include "eigrad/device.hpp"
#include "eigrad/ops/program.hpp"
#include "eigrad/shape.hpp"

namespace eigrad {
template <class T>
class Tensor;

namespace expr {

/// How a fused evaluation reduces its elements: none (the result has the expression's shape),
/// sum, or mean.
enum class Reduction { None, Sum, Mean };

namespace detail {

/// Most tensor operands (occurrences) one program reads: a tree of at most kMaxInstructions
/// values whose ops take one or two operands has at most this many leaves.
inline constexpr int kMaxOperands = (ops::Program<float>::kMaxInstructions + 1) / 2;
static_assert(ops::Program<float>::kMaxInstructions == ops::Program<double>::kMaxInstructions);

/// A statement lowered for evaluation: the program, and its tensor operands in the order of
/// the program's Leaf instructions (one entry per occurrence: a tensor read twice appears
/// twice, and both read one program leaf).
template <class T>
struct Statement {
  ops::Program<T> program;                           ///< leaves numbered by tensor identity
  std::array<const Tensor<T>*, kMaxOperands> operands{};  ///< each occurrence's tensor
  std::array<int, kMaxOperands> leaf{};              ///< each occurrence's program leaf
  std::array<int, ops::Program<T>::kMaxLeaves> first{};  ///< each program leaf's first occurrence
  std::array<const char*, kMaxOperands> readers{};   ///< the op reading each occurrence
  std::array<bool, kMaxOperands> needed{};           ///< whether its values enter the gradients
  int count = 0;                                     ///< occurrences
  const Shape* shape = nullptr;                      ///< the statement's shape (an operand's)
  const char* root_name = "CloneBackward0";          ///< PyTorch's name of the root op's node
};

/// One node of a statement's tree as its expression type describes itself: a tensor operand
/// (code Leaf: a tensor, or a subexpression evaluated before), or an op-table entry with the
/// scalars it holds.
template <class T>
struct TapeNode {
  const Tensor<T>* self = nullptr;    ///< the tensor, or the expression (its Tensor base)
  ops::Code code = ops::Code::Leaf;   ///< the entry's op code
  T s = T(0);                         ///< its first scalar (a scalar operand, base, bound, exponent, threshold)
  T s2 = T(0);                        ///< its second (clamp's upper bound, exponent - 1)
  ops::PowKind pow = ops::PowKind::One;     ///< kernel of x ^ e (PowScalar)
  ops::PowKind pow_m1 = ops::PowKind::One;  ///< kernel of x ^ (e - 1) (PowScalar)
  const char* name = "CloneBackward0";  ///< PyTorch's node name of the op
  bool reads_values = false;  ///< whether its gradient reads its operands' or its output's values
  int size = 1;               ///< nodes in its subtree, itself included
};

/// A statement's tree in post-order, as its expression types append themselves (operands
/// first): the one walk an expression type compiles. Appending an op cuts the tree to fit one
/// program (ops::Program's limits) as it goes: when the op's subtree would not fit, its bigger
/// operand is evaluated on its own first (a statement of its own, then one tensor operand of
/// this one), then if need be the other. Every subtree evaluated so fits itself, and an op over
/// evaluated operands always fits.
template <class T>
class Tape {
 public:
  Tape() = default;
  Tape(const Tape&) = delete;
  Tape& operator=(const Tape&) = delete;

  /// Appends the tensor operand \p t (it must outlive the tape).
  void tensor(const Tensor<T>& t) {
    TapeNode<T> node;
    node.self = &t;
    push(node);
  }
  /// Appends \p node, an op over the last \p operands subtrees, for the expression \p self
  /// (which must outlive the tape); evaluates operands first where the subtree would not fit.
  void op(const Tensor<T>& self, TapeNode<T> node, int operands);
  /// Nodes.
  int size() const { return count_; }
  /// Node \p i.
  const TapeNode<T>& operator[](int i) const { return nodes_[i]; }

 private:
  static constexpr int kInline = 2 * ops::Program<T>::kMaxInstructions + 2;
  void push(const TapeNode<T>& node) {
    if (count_ == capacity_) grow();
    nodes_[count_++] = node;
  }
  void grow();  // moves the nodes to the heap: a tree whose pending operands exceed kInline
  bool fits(int begin, const TapeNode<T>& root) const;
  void evaluate_subtree(int begin, int end);

  union InlineNodes {  // left uninitialised: each node is written before it is read
    InlineNodes() {}
    TapeNode<T> nodes[kInline];
  } inline_;
  std::vector<TapeNode<T>> heap_;
  TapeNode<T>* nodes_ = inline_.nodes;
  int count_ = 0;
  int capacity_ = kInline;
};

/// The statement of \p tape (a whole tree, cut to fit) of shape \p shape: its program (a
/// program leaf wants an adjoint when grad mode is on and its tensor requires grad), its
/// operands and who reads them.
template <class T>
Statement<T> lower_tape(const Tape<T>& tape, const Shape& shape);

/// Evaluates the statement of \p tape (of shape \p shape) in one pass on the device of its
/// operands (the CPU, or the "cuda" device of its cuda operands): its elements, or their sum or
/// mean; records one fused node (named \p node_name when given, else after the reduction or
/// the root op) when grad mode is on and an operand requires grad. Operands on two devices are
/// a DeviceError naming both.
template <class T>
Tensor<T> evaluate_tape(const Tape<T>& tape, const Shape& shape, Reduction reduction, const char* node_name);

/// Evaluates the statement of \p tape into \p target (of shape \p shape, on its device) in one
/// pass; records nothing. Each element is read before it is written, so \p target may be an
/// operand.
template <class T>
void evaluate_tape_into(const Tape<T>& tape, const Shape& shape, const Tensor<T>& target);

}  // namespace detail
}  // namespace expr
}  // namespace eigrad
