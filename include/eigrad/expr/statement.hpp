#pragma once
/// \file expr/statement.hpp
/// \brief Internal to expr/expr.hpp: a fused statement as the evaluators compiled once in
///        src/ run it: its program, its tensor operands, and what it is reduced to.
///
/// Each expression type only lowers itself to an ops::Program (expr/lower.hpp) and lists its
/// operands; evaluating the program, forward and backward, on the CPU (a block interpreter)
/// or on "cuda" (the device backend's interpreter kernel), and the one node recorded for it,
/// are compiled once per element type in src/expr/statement.cpp. So a statement's cost to
/// the compiler is a few small walks of its tree, whatever its size or use
/// (doc/design.md, "Fused statements").
#include <array>
#include <cstdint>

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

/// Evaluates \p s in one pass on \p device (the CPU, or the "cuda" device of its operands): its
/// elements, or their sum or mean; records one fused node (named \p node_name when given, else
/// after the reduction or the root op) when grad mode is on and an operand requires grad.
template <class T>
Tensor<T> evaluate_statement(const Statement<T>& s, Reduction reduction, const char* node_name, const Device& device);

/// Evaluates \p s into \p target (of its shape, on \p device) in one pass; records nothing.
/// Each element is read before it is written, so \p target may be an operand.
template <class T>
void evaluate_statement_into(const Statement<T>& s, const Tensor<T>& target, const Device& device);

}  // namespace detail
}  // namespace expr
}  // namespace eigrad
