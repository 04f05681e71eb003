#pragma once
/// \file expr/lower.hpp
/// \brief Internal to expr/expr.hpp: an op-table entry as a node of a statement's tape, the
///        form from which src/expr/statement.cpp builds the ops::Program that the CPU
///        interpreter and the device backend's interpreter kernel run (doc/design.md, "Device
///        backend").
#include "eigrad/expr/statement.hpp"
#include "eigrad/ops/elementwise.hpp"
#include "eigrad/ops/loss.hpp"
#include "eigrad/ops/pow.hpp"
#include "eigrad/ops/program.hpp"

namespace eigrad::expr::detail {

/// Whether entry \p Op's gradient reads its operands' or its output's values (then every value
/// below it enters the gradients, and changing a leaf there in place must be refused).
template <class Op>
constexpr bool reads_values() {
  if constexpr (std::is_base_of_v<ops::Saves<false, false>, Op>) return false;
  return true;
}

/// The tape node of entry \p op: its op code (ops::code_of), the scalars it holds, its name.
template <class T, class Op>
TapeNode<T> describe(const Op& op) {
  constexpr ops::Code c = ops::code_of_v<Op>;
  TapeNode<T> node;
  node.code = c;
  node.name = Op::name;
  node.reads_values = reads_values<Op>();
  if constexpr (ops::is_loss(c)) {
    node.s = ops::loss_entry(op.kernel).param;  // Huber's delta, smooth L1's beta
  } else if constexpr (c >= ops::Code::AddScalar && c <= ops::Code::PowScalarBase) {
    node.s = op.s;  // the scalar operand; PowScalarBase's base
  } else if constexpr (c == ops::Code::Clamp) {
    node.s = op.lo;
    node.s2 = op.hi;
  } else if constexpr (c == ops::Code::PowScalar) {
    // The entry chose its kernels from the exponent as the double given; that double is gone
    // (only its cast to T is kept, which may choose others: 0.5000000001 is 0.5f), so the
    // node keeps the entry's kernels and exponents as they are.
    node.s = op.e;
    node.s2 = op.e_m1;
    node.pow = op.kind;
    node.pow_m1 = op.kind_m1;
  }
  return node;
}

}  // namespace eigrad::expr::detail
