#pragma once
/// \file ops/program.hpp
/// \brief A fused statement as a small op-code program, the form in which g++-compiled code
///        hands an expression to the device backend's one precompiled interpreter kernel.
///
/// A program is a list of instructions in evaluation order; instruction k computes value k
/// from earlier values (its operands `a`, `b` are instruction numbers), from a leaf tensor
/// or from its scalar parameters. Every op code is an entry of the op table
/// (ops/elementwise.hpp, ops/pow.hpp), so the interpreter computes each value and each
/// gradient with the same functor as the eager CPU op. The program describes a tree: every
/// value except the leaves' is the operand of exactly one later instruction, and the last
/// instruction is the statement's value. A leaf holds either one element per output element
/// or one element in all (a 0-d weight broadcast against a vector).
#include <cstdint>

#include "eigrad/errors.hpp"
#include "eigrad/ops/elementwise.hpp"
#include "eigrad/ops/loss.hpp"
#include "eigrad/ops/pow.hpp"

namespace eigrad::ops {

/// Op codes: one per op table entry, plus reading a leaf and a constant.
enum class Code : std::uint8_t {
  Leaf,      ///< value of leaf `leaf` at the element (or its one element)
  Constant,  ///< params[param]
  // one operand (a)
  Neg, Sin, Cos, Exp, Log, Sqrt, Abs, Tanh, Sigmoid, Relu,
  // a and a scalar params[param]
  AddScalar, SubScalar, RSubScalar, MulScalar, DivScalar, RDivScalar,
  PowScalarBase,  ///< params[param] ^ a; params[param + 1] is log(base) as PowScalarBase keeps it
  Clamp,          ///< clamp(a, params[param], params[param + 1])
  PowScalar,      ///< a ^ e: params[param] = e, params[param + 1] = e - 1; kernels in `pow`
  // two operands (a, b)
  Add, Sub, Mul, Div, Pow, Maximum, Minimum,
  // a pointwise loss of a (input) and b (target) with threshold params[param] (LossOfOperands)
  HuberLoss, SmoothL1Loss,
};

/// The op code of op table entry \p Op (every one- and two-operand entry; x.pow(e) is
/// PowScalarRuntime's, which carries its exponent). Undefined for other types.
template <class Op>
struct code_of;
/// code_of<Op>::value.
template <class Op>
inline constexpr Code code_of_v = code_of<Op>::value;

/// \cond
#define EIGRAD_OP_CODE(Entry, CodeName) \
  template <>                          \
  struct code_of<Entry> {              \
    static constexpr Code value = Code::CodeName; \
  };
#define EIGRAD_OP_CODE_T(Entry, CodeName) \
  template <class T>                     \
  struct code_of<Entry<T>> {             \
    static constexpr Code value = Code::CodeName; \
  };
EIGRAD_OP_CODE(Neg, Neg)
EIGRAD_OP_CODE(Sin, Sin)
EIGRAD_OP_CODE(Cos, Cos)
EIGRAD_OP_CODE(Exp, Exp)
EIGRAD_OP_CODE(Log, Log)
EIGRAD_OP_CODE(Sqrt, Sqrt)
EIGRAD_OP_CODE(Abs, Abs)
EIGRAD_OP_CODE(Tanh, Tanh)
EIGRAD_OP_CODE(Sigmoid, Sigmoid)
EIGRAD_OP_CODE(Relu, Relu)
EIGRAD_OP_CODE_T(AddScalar, AddScalar)
EIGRAD_OP_CODE_T(SubScalar, SubScalar)
EIGRAD_OP_CODE_T(RSubScalar, RSubScalar)
EIGRAD_OP_CODE_T(MulScalar, MulScalar)
EIGRAD_OP_CODE_T(DivScalar, DivScalar)
EIGRAD_OP_CODE_T(RDivScalar, RDivScalar)
EIGRAD_OP_CODE_T(PowScalarBase, PowScalarBase)
EIGRAD_OP_CODE_T(Clamp, Clamp)
EIGRAD_OP_CODE_T(PowScalarRuntime, PowScalar)
EIGRAD_OP_CODE(Add, Add)
EIGRAD_OP_CODE(Sub, Sub)
EIGRAD_OP_CODE(Mul, Mul)
EIGRAD_OP_CODE(Div, Div)
EIGRAD_OP_CODE(Pow, Pow)
EIGRAD_OP_CODE(Maximum, Maximum)
EIGRAD_OP_CODE(Minimum, Minimum)
template <class T>
struct code_of<LossOfOperands<HuberLoss<T>>> {
  static constexpr Code value = Code::HuberLoss;
};
template <class T>
struct code_of<LossOfOperands<SmoothL1Loss<T>>> {
  static constexpr Code value = Code::SmoothL1Loss;
};
#undef EIGRAD_OP_CODE
#undef EIGRAD_OP_CODE_T
/// \endcond

/// True for the codes whose value reads two earlier values.
EIGRAD_HOST_DEVICE constexpr bool is_binary(Code c) { return c >= Code::Add; }
/// True for the pointwise losses of two values (binary codes with a parameter).
EIGRAD_HOST_DEVICE constexpr bool is_loss(Code c) { return c >= Code::HuberLoss; }
/// True for the codes that read no earlier value.
EIGRAD_HOST_DEVICE constexpr bool is_source(Code c) { return c == Code::Leaf || c == Code::Constant; }

/// One instruction of a Program.
struct Instruction {
  Code code = Code::Constant;  ///< what it computes
  std::uint8_t a = 0;          ///< first operand (instruction number)
  std::uint8_t b = 0;          ///< second operand (instruction number), binary codes only
  std::uint8_t leaf = 0;       ///< leaf number (Code::Leaf)
  std::uint8_t param = 0;      ///< first scalar parameter (index into Program::params)
  PowKind pow = PowKind::One;     ///< kernel of a ^ e (Code::PowScalar)
  PowKind pow_m1 = PowKind::One;  ///< kernel of a ^ (e - 1) (Code::PowScalar)
  bool wants_adjoint = false;  ///< a leaf that wants an adjoint is in this instruction's subtree
};

/// A fused statement of element type \p T: instructions, scalar parameters and leaf slots.
/// Built by appending instructions in evaluation order; each append returns the new value's
/// number, which later instructions name as an operand.
template <class T>
struct Program {
  static constexpr int kMaxInstructions = 48;  ///< instructions per program
  static constexpr int kMaxParams = 32;        ///< scalar parameters per program
  static constexpr int kMaxLeaves = 8;         ///< distinct leaf tensors per program

  Instruction code[kMaxInstructions] = {};  ///< the instructions, in evaluation order
  T params[kMaxParams] = {};                ///< scalar operands, clamp bounds, exponents
  bool leaf_wants_adjoint[kMaxLeaves] = {}; ///< which leaves' adjoints backward computes
  int size = 0;                             ///< instructions used
  int param_count = 0;                      ///< parameters used
  int leaf_count = 0;                       ///< leaves used (the highest leaf number + 1)

  /// Reads leaf \p leaf (numbered from 0; the same leaf may be read several times, each time
  /// with the same \p wants_adjoint); backward computes its adjoint when \p wants_adjoint.
  int leaf(int leaf, bool wants_adjoint = false) {
    EIGRAD_CHECK(leaf >= 0 && leaf < kMaxLeaves, ValueError, "Program: leaf ", leaf, " out of range [0, ",
                 kMaxLeaves, ")");
    EIGRAD_CHECK(!leaf_read_[leaf] || leaf_wants_adjoint[leaf] == wants_adjoint, ValueError, "Program: leaf ", leaf,
                 " read ", wants_adjoint ? "with" : "without", " an adjoint, but it was read ",
                 wants_adjoint ? "without" : "with", " one before");
    if (leaf >= leaf_count) leaf_count = leaf + 1;
    leaf_wants_adjoint[leaf] = wants_adjoint;
    leaf_read_[leaf] = true;
    Instruction& in = append(Code::Leaf);
    in.leaf = static_cast<std::uint8_t>(leaf);
    in.wants_adjoint = wants_adjoint;
    return size - 1;
  }
  /// The constant \p value.
  int constant(T value) {
    Instruction& in = append(Code::Constant);
    in.param = add_params(value);
    return size - 1;
  }
  /// The one-operand entry \p op without parameters (Neg ... Relu) of value \p a.
  int unary(Code op, int a) {
    EIGRAD_CHECK(op >= Code::Neg && op <= Code::Relu, ValueError, "Program::unary: op code ",
                 static_cast<int>(op), " takes parameters or two operands");
    return link(append(op), a);
  }
  /// The tensor-and-scalar entry \p op (AddScalar ... RDivScalar) of value \p a and scalar \p s.
  int scalar(Code op, int a, T s) {
    EIGRAD_CHECK(op >= Code::AddScalar && op <= Code::RDivScalar, ValueError, "Program::scalar: op code ",
                 static_cast<int>(op), " is not a tensor-and-scalar entry");
    Instruction& in = append(op);
    in.param = add_params(s);
    return link(in, a);
  }
  /// base ^ a for a scalar \p base (PowScalarBase).
  int pow_scalar_base(T base, int a) {
    const PowScalarBase<T> entry(base);
    Instruction& in = append(Code::PowScalarBase);
    in.param = add_params(entry.s, entry.log_base);
    return link(in, a);
  }
  /// clamp(a, lo, hi).
  int clamp(int a, T lo, T hi) {
    Instruction& in = append(Code::Clamp);
    in.param = add_params(lo, hi);
    return link(in, a);
  }
  /// a ^ e for a real exponent, the kernels chosen here as the eager `pow(double)` chooses them.
  int pow(int a, double e) {
    Instruction& in = append(Code::PowScalar);
    in.param = add_params(static_cast<T>(e), static_cast<T>(e - 1.0));
    in.pow = pow_kind(e);
    in.pow_m1 = pow_kind(e - 1.0);
    return link(in, a);
  }
  /// The two-operand entry \p op (Add ... Minimum) of values \p a and \p b.
  int binary(Code op, int a, int b) {
    EIGRAD_CHECK(is_binary(op) && !is_loss(op), ValueError, "Program::binary: op code ", static_cast<int>(op),
                 is_loss(op) ? " takes a parameter" : " takes one operand");
    return link(append(op), a, b);
  }
  /// The pointwise loss \p op (HuberLoss, SmoothL1Loss) of input \p a against target \p b,
  /// with threshold \p param (Huber's delta, smooth L1's beta).
  int loss(Code op, int a, int b, T param) {
    EIGRAD_CHECK(is_loss(op), ValueError, "Program::loss: op code ", static_cast<int>(op), " is not a loss");
    Instruction& in = append(op);
    in.param = add_params(param);
    return link(in, a, b);
  }

  /// Throws ValueError unless the program is a tree whose root is its last instruction
  /// (every value but the last is used once) with at least one instruction.
  void check_tree() const {
    EIGRAD_CHECK(size > 0, ValueError, "Program: no instructions");
    for (int k = 0; k + 1 < size; ++k)
      EIGRAD_CHECK(uses_[k] == 1, ValueError, "Program: value ", k, " is used ", static_cast<int>(uses_[k]),
                   " times (a program is a tree: each value but the last is used once)");
  }

 private:
  std::uint8_t uses_[kMaxInstructions] = {};
  bool leaf_read_[kMaxLeaves] = {};

  Instruction& append(Code c) {
    EIGRAD_CHECK(size < kMaxInstructions, ValueError, "Program: more than ", kMaxInstructions, " instructions");
    Instruction& in = code[size++];
    in = Instruction{};
    in.code = c;
    return in;
  }
  void check_operand(int a) const {
    EIGRAD_CHECK(a >= 0 && a < size - 1, ValueError, "Program: operand ", a, " is not an earlier value (",
                 size - 1, " values before this one)");
  }
  int link(Instruction& in, int a) {
    check_operand(a);
    in.a = static_cast<std::uint8_t>(a);
    in.wants_adjoint = code[a].wants_adjoint;
    uses_[a] += 1;
    return size - 1;
  }
  int link(Instruction& in, int a, int b) {
    link(in, a);
    check_operand(b);
    in.b = static_cast<std::uint8_t>(b);
    in.wants_adjoint = in.wants_adjoint || code[b].wants_adjoint;
    uses_[b] += 1;
    return size - 1;
  }
  template <class... V>
  std::uint8_t add_params(V... values) {
    EIGRAD_CHECK(param_count + static_cast<int>(sizeof...(V)) <= kMaxParams, ValueError, "Program: more than ",
                 kMaxParams, " scalar parameters");
    const int first = param_count;
    ((params[param_count++] = values), ...);
    return static_cast<std::uint8_t>(first);
  }
};

}  // namespace eigrad::ops
