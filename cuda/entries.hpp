#pragma once
// Internal to the device backend: from an op code to its op table entry. with_unary_entry and
// with_binary_entry call f with the entry's functor, so the kernel table chooses a functor
// once per launch and the interpreter once per instruction, both running the same entries.
#include "eigrad/cuda/kernels.hpp"
#include "eigrad/host_device.hpp"
#include "eigrad/ops/elementwise.hpp"
#include "eigrad/ops/loss.hpp"
#include "eigrad/ops/pow.hpp"
#include "eigrad/ops/program.hpp"

namespace eigrad::cuda::detail {

/// PowScalarBase with its log(base) given (computed once on the host).
template <class T>
EIGRAD_HOST_DEVICE ops::PowScalarBase<T> pow_scalar_base(T base, T log_base) {
  ops::PowScalarBase<T> entry(T(1));
  entry.s = base;
  entry.log_base = log_base;
  return entry;
}

#if defined(__CUDACC__)
#pragma nv_exec_check_disable
#endif
/// f(entry) for the one-operand entry \p op describes.
template <class T, class F>
EIGRAD_HOST_DEVICE auto with_unary_entry(const Unary<T>& op, F&& f) {
  using ops::Code;
  switch (op.code) {
    case Code::Sin: return f(ops::Sin{});
    case Code::Cos: return f(ops::Cos{});
    case Code::Exp: return f(ops::Exp{});
    case Code::Log: return f(ops::Log{});
    case Code::Sqrt: return f(ops::Sqrt{});
    case Code::Abs: return f(ops::Abs{});
    case Code::Tanh: return f(ops::Tanh{});
    case Code::Sigmoid: return f(ops::Sigmoid{});
    case Code::Relu: return f(ops::Relu{});
    case Code::AddScalar: return f(ops::AddScalar<T>{{}, op.s});
    case Code::SubScalar: return f(ops::SubScalar<T>{{}, op.s});
    case Code::RSubScalar: return f(ops::RSubScalar<T>{{}, op.s});
    case Code::MulScalar: return f(ops::MulScalar<T>{{}, op.s});
    case Code::DivScalar: return f(ops::DivScalar<T>{{}, op.s});
    case Code::RDivScalar: return f(ops::RDivScalar<T>{{}, op.s});
    case Code::PowScalarBase: return f(pow_scalar_base(op.s, op.s2));
    case Code::Clamp: return f(ops::Clamp<T>{{}, op.s, op.s2});
    case Code::PowScalar: return f(ops::PowScalarKinds<T>{op.pow, op.pow_m1, op.s, op.s2});
    default: return f(ops::Neg{});  // Code::Neg; the builders admit no other code here
  }
}

#if defined(__CUDACC__)
#pragma nv_exec_check_disable
#endif
/// f(entry) for the two-operand entry \p code.
template <class F>
EIGRAD_HOST_DEVICE auto with_binary_entry(ops::Code code, F&& f) {
  using ops::Code;
  switch (code) {
    case Code::Sub: return f(ops::Sub{});
    case Code::Mul: return f(ops::Mul{});
    case Code::Div: return f(ops::Div{});
    case Code::Pow: return f(ops::Pow{});
    case Code::Maximum: return f(ops::Maximum{});
    case Code::Minimum: return f(ops::Minimum{});
    default: return f(ops::Add{});  // Code::Add; checked by the callers
  }
}

#if defined(__CUDACC__)
#pragma nv_exec_check_disable
#endif
/// f(entry) for the two-operand entry of program instruction \p in with the program's
/// \p params (a loss takes its threshold from them).
template <class T, class F>
EIGRAD_HOST_DEVICE auto with_binary_entry(const ops::Instruction& in, const T* params, F&& f) {
  switch (in.code) {
    case ops::Code::HuberLoss: return f(ops::LossOfOperands<ops::HuberLoss<T>>{{params[in.param]}});
    case ops::Code::SmoothL1Loss: return f(ops::LossOfOperands<ops::SmoothL1Loss<T>>{{params[in.param]}});
    default: return with_binary_entry(in.code, f);
  }
}

/// The one-operand entry of program instruction \p in with the program's \p params.
template <class T>
EIGRAD_HOST_DEVICE Unary<T> unary_of(const ops::Instruction& in, const T* params) {
  Unary<T> op;
  op.code = in.code;
  op.s = params[in.param];
  op.s2 = in.param + 1 < ops::Program<T>::kMaxParams ? params[in.param + 1] : T(0);
  op.pow = in.pow;
  op.pow_m1 = in.pow_m1;
  return op;
}

}  // namespace eigrad::cuda::detail
