#pragma once
/// \file expr/lower.hpp
/// \brief Internal to expr/expr.hpp: a fused statement lowered to an ops::Program, the form in
///        which the device backend's one interpreter kernel runs it (doc/design.md, "Device
///        backend").
///
/// Each expression type appends itself to the program: a tensor operand (a Leaf, or a
/// subexpression evaluated before) reads a program leaf, numbered by tensor identity as the
/// fused node keeps its leaves; an op-table entry appends its op code (ops::code_of) with the
/// scalars it holds. A statement larger than the program's fixed limits is first cut: the
/// biggest subtrees are evaluated on their own (fit_program) until the rest fits.
#include <array>
#include <cstddef>
#include <utility>

#include "eigrad/ops/elementwise.hpp"
#include "eigrad/ops/pow.hpp"
#include "eigrad/ops/program.hpp"

namespace eigrad {
template <class T>
class Tensor;

namespace expr {
template <class T>
class Leaf;
template <class Op, class A>
class Unary;
template <class Op, class A, class B>
class Binary;

namespace detail {

/// Scalar parameters op code \p c takes in a program.
constexpr int program_params(ops::Code c) {
  if (c >= ops::Code::AddScalar && c <= ops::Code::RDivScalar) return 1;
  if (c == ops::Code::PowScalarBase || c == ops::Code::Clamp || c == ops::Code::PowScalar) return 2;
  return ops::is_loss(c) ? 1 : 0;
}

/// Appends the one-operand entry \p op of value \p a to \p p with the scalars it holds.
template <class T, class Op>
int append_entry(ops::Program<T>& p, const Op& op, int a) {
  constexpr ops::Code c = ops::code_of_v<Op>;
  if constexpr (c <= ops::Code::Relu) {
    return p.unary(c, a);
  } else if constexpr (c <= ops::Code::RDivScalar) {
    return p.scalar(c, a, op.s);
  } else if constexpr (c == ops::Code::PowScalarBase) {
    return p.pow_scalar_base(op.s, a);
  } else if constexpr (c == ops::Code::Clamp) {
    return p.clamp(a, op.lo, op.hi);
  } else {
    // The entry chose its kernels from the exponent as the double given; that double is gone
    // (only its cast to T is kept, which may choose others: 0.5000000001 is 0.5f), so the
    // instruction takes the entry's kernels and exponents as they are.
    const int k = p.pow(a, static_cast<double>(op.e));
    ops::Instruction& in = p.code[k];
    in.pow = op.kind;
    in.pow_m1 = op.kind_m1;
    p.params[in.param] = op.e;
    p.params[in.param + 1] = op.e_m1;
    return k;
  }
}

/// Appends the two-operand entry \p op of values \p a and \p b to \p p (a loss with its threshold).
template <class T, class Op>
int append_entry(ops::Program<T>& p, const Op& op, int a, int b) {
  constexpr ops::Code c = ops::code_of_v<Op>;
  if constexpr (ops::is_loss(c)) {
    return p.loss(c, a, b, ops::loss_entry(op.kernel).param);
  } else {
    return p.binary(c, a, b);
  }
}

/// What a statement needs of a program: instructions, parameters, distinct leaves.
template <class T>
struct ProgramSize {
  int instructions = 0;  ///< one per op and per leaf read
  int params = 0;        ///< scalar parameters
  int leaves = 0;        ///< distinct tensor operands (counted up to one past the limit)
  std::array<const void*, ops::Program<T>::kMaxLeaves + 1> ids{};  ///< their identities

  /// Counts a read of the tensor with identity \p id.
  void read(const void* id) {
    ++instructions;
    for (int k = 0; k < leaves; ++k)
      if (ids[static_cast<std::size_t>(k)] == id) return;
    if (leaves < static_cast<int>(ids.size())) ids[static_cast<std::size_t>(leaves++)] = id;
  }
  /// Whether it fits in one program.
  bool fits() const {
    return instructions <= ops::Program<T>::kMaxInstructions && params <= ops::Program<T>::kMaxParams &&
           leaves <= ops::Program<T>::kMaxLeaves;
  }
};

// Each walk below recurses through every expression type, so all are declared first.
template <class T>
void measure(const Leaf<T>& e, ProgramSize<T>& s);
template <class Op, class A>
void measure(const Unary<Op, A>& e, ProgramSize<typename A::Scalar>& s);
template <class Op, class A, class B>
void measure(const Binary<Op, A, B>& e, ProgramSize<typename A::Scalar>& s);
template <class Op, class A>
void fit_program(const Unary<Op, A>& e);
template <class Op, class A, class B>
void fit_program(const Binary<Op, A, B>& e);
template <class Op, class A, class F>
int lower(const Unary<Op, A>& e, ops::Program<typename A::Scalar>& p, F& leaf);
template <class Op, class A, class B, class F>
int lower(const Binary<Op, A, B>& e, ops::Program<typename A::Scalar>& p, F& leaf);

/// Adds what \p e needs to \p s.
template <class T>
void measure(const Leaf<T>& e, ProgramSize<T>& s) {
  s.read(e.as_tensor().id());
}
/// Adds what \p e needs to \p s.
template <class Op, class A>
void measure(const Unary<Op, A>& e, ProgramSize<typename A::Scalar>& s) {
  if (e.evaluated()) return s.read(e.as_tensor().id());
  measure(e.operand(), s);
  s.instructions += 1;
  s.params += program_params(ops::code_of_v<Op>);
}
/// Adds what \p e needs to \p s.
template <class Op, class A, class B>
void measure(const Binary<Op, A, B>& e, ProgramSize<typename A::Scalar>& s) {
  if (e.evaluated()) return s.read(e.as_tensor().id());
  measure(e.left(), s);
  measure(e.right(), s);
  s.instructions += 1;
  s.params += program_params(ops::code_of_v<Op>);
}
/// What \p e needs of a program.
template <class E>
ProgramSize<typename E::Scalar> program_size(const E& e) {
  ProgramSize<typename E::Scalar> s;
  measure(e, s);
  return s;
}

/// Makes \p e fit in one program by evaluating subtrees first (each then reads as one leaf):
/// bottom up, a node that does not fit evaluates its bigger operand, then if need be the other.
/// Every subtree evaluated fits itself, and a node over evaluated operands always fits.
template <class T>
void fit_program(const Leaf<T>&) {}
/// \copydoc fit_program(const Leaf<T>&)
template <class Op, class A>
void fit_program(const Unary<Op, A>& e) {
  if (e.evaluated()) return;
  fit_program(e.operand());
  if (!program_size(e).fits()) (void)e.operand().as_tensor();
}
/// \copydoc fit_program(const Leaf<T>&)
template <class Op, class A, class B>
void fit_program(const Binary<Op, A, B>& e) {
  if (e.evaluated()) return;
  fit_program(e.left());
  fit_program(e.right());
  if (program_size(e).fits()) return;
  const bool left_first = program_size(e.left()).instructions >= program_size(e.right()).instructions;
  if (left_first) (void)e.left().as_tensor();
  else (void)e.right().as_tensor();
  if (program_size(e).fits()) return;
  if (left_first) (void)e.right().as_tensor();
  else (void)e.left().as_tensor();
}

/// The program leaves of a statement's tensor operands: operands listed left to right (one
/// entry per occurrence, as leaves_of lists them), numbered by identity in order of first
/// occurrence, so a tensor read twice is one program leaf.
template <int N>
struct LeafNumbers {
  std::array<int, N> of{};     ///< program leaf of each occurrence
  std::array<int, N> first{};  ///< first occurrence of each program leaf
  int count = 0;               ///< distinct program leaves
};

/// The numbering of \p count operands \p operands (at most \p N).
template <int N, class T>
LeafNumbers<N> number_leaves(const Tensor<T>* const* operands, std::size_t count) {
  LeafNumbers<N> numbers;
  for (std::size_t k = 0; k < count; ++k) {
    int j = 0;
    while (j < numbers.count && operands[numbers.first[static_cast<std::size_t>(j)]]->id() != operands[k]->id()) ++j;
    if (j == numbers.count) numbers.first[static_cast<std::size_t>(numbers.count++)] = static_cast<int>(k);
    numbers.of[k] = j;
  }
  return numbers;
}

/// Appends \p e to \p p and returns its value's number. \p leaf() is called once per tensor
/// operand, left to right, and returns its program leaf and whether it wants an adjoint.
template <class T, class F>
int lower(const Leaf<T>&, ops::Program<T>& p, F& leaf) {
  const std::pair<int, bool> l = leaf();
  return p.leaf(l.first, l.second);
}
/// \copydoc lower(const Leaf<T>&, ops::Program<T>&, F&)
template <class Op, class A, class F>
int lower(const Unary<Op, A>& e, ops::Program<typename A::Scalar>& p, F& leaf) {
  if (e.evaluated()) {
    const std::pair<int, bool> l = leaf();
    return p.leaf(l.first, l.second);
  }
  return append_entry(p, e.op(), lower(e.operand(), p, leaf));
}
/// \copydoc lower(const Leaf<T>&, ops::Program<T>&, F&)
template <class Op, class A, class B, class F>
int lower(const Binary<Op, A, B>& e, ops::Program<typename A::Scalar>& p, F& leaf) {
  if (e.evaluated()) {
    const std::pair<int, bool> l = leaf();
    return p.leaf(l.first, l.second);
  }
  const int a = lower(e.left(), p, leaf);
  const int b = lower(e.right(), p, leaf);
  return append_entry(p, e.op(), a, b);
}

/// The program of \p e whose operands are numbered by \p numbers; program leaf j wants an
/// adjoint when \p wants[j] (one flag per program leaf).
template <class E, int N>
ops::Program<typename E::Scalar> lower_statement(const E& e, const LeafNumbers<N>& numbers, const bool* wants) {
  ops::Program<typename E::Scalar> p;
  std::size_t occurrence = 0;
  auto leaf = [&]() {
    const int j = numbers.of[occurrence++];
    return std::pair<int, bool>(j, wants[j]);
  };
  lower(e, p, leaf);
  return p;
}

}  // namespace detail
}  // namespace expr
}  // namespace eigrad
