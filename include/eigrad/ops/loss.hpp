#pragma once
/// \file ops/loss.hpp
/// \brief The pointwise losses of `nn` as op table entries: the loss of one difference
///        d = input − target and its derivative, shared by the CPU loop and the device kernel
///        table so both give the same bits.
///
/// Each is PyTorch 1.13's CPU kernel (BinaryOpsKernel.cpp, PointwiseOpsKernel.cpp) written
/// operation for operation.
#include <cmath>

#include "eigrad/host_device.hpp"

namespace eigrad::ops {

/// Which pointwise loss a LossEntry computes.
enum class LossCode : unsigned char { Mse, Huber, SmoothL1 };

/// Squared error.
template <class T>
struct MseLoss {
  /// Backward node name.
  static constexpr const char* backward_name = "MseLossBackward0";
  /// d².
  EIGRAD_HOST_DEVICE T value(T d) const { return d * d; }
  /// 2 d.
  EIGRAD_HOST_DEVICE T derivative(T d) const { return T(2) * d; }
};

/// Huber loss with threshold delta.
template <class T>
struct HuberLoss {
  /// Backward node name.
  static constexpr const char* backward_name = "HuberLossBackward0";
  T delta;  ///< where the quadratic branch becomes linear (> 0)
  /// ½ d² inside delta, delta (|d| − ½ delta) outside.
  EIGRAD_HOST_DEVICE T value(T d) const {
    const T z = std::abs(d);
    return z < delta ? T(0.5) * z * z : delta * (z - T(0.5) * delta);
  }
  /// d inside delta, ±delta outside.
  EIGRAD_HOST_DEVICE T derivative(T d) const { return std::abs(d) >= delta ? (d > 0 ? delta : -delta) : d; }
};

/// Smooth L1 loss with threshold beta.
template <class T>
struct SmoothL1Loss {
  /// Backward node name.
  static constexpr const char* backward_name = "SmoothL1LossBackward0";
  T beta;  ///< where the quadratic branch becomes linear (>= 0; 0 is the L1 loss)
  /// ½ d² / beta inside beta, |d| − ½ beta outside (beta = 0 takes the second branch).
  EIGRAD_HOST_DEVICE T value(T d) const {
    const T z = std::abs(d);
    return z < beta ? T(0.5) * z * z / beta : z - T(0.5) * beta;
  }
  /// d / beta inside beta, ±1 outside; with beta = 0 a zero difference is on the linear branch
  /// with the sign of d > 0: −1.
  EIGRAD_HOST_DEVICE T derivative(T d) const { return std::abs(d) >= beta ? (d > 0 ? T(1) : T(-1)) : d / beta; }
};

/// Pointwise loss \p Kernel as a two-operand entry of (input, target), the form a fused
/// statement applies to an expression (nn::functional::huber_loss of `a + b * x`). Each operand's
/// gradient is the derivative at its own difference, input − target for the input and
/// target − input for the target, as the tensor form's node computes them: PyTorch's
/// derivatives.yaml calls the backward kernel with the operands swapped, so at a zero difference
/// both operands get the derivative at +0 (−1 each for smooth L1 with beta = 0), which a
/// subtraction followed by a one-operand loss could not give.
template <class Kernel>
struct LossOfOperands {
  /// Backward node name.
  static constexpr const char* name = Kernel::backward_name;
  Kernel kernel;  ///< the loss of one difference
  /// The loss of input \p a against target \p b.
  template <class T> EIGRAD_HOST_DEVICE T value(T a, T b) const { return kernel.value(a - b); }
  /// The input's gradient: grad * derivative(input − target).
  template <class T> EIGRAD_HOST_DEVICE T grad_a(T g, T a, T b, T) const { return g * kernel.derivative(a - b); }
  /// The target's gradient: grad * derivative(target − input).
  template <class T> EIGRAD_HOST_DEVICE T grad_b(T g, T a, T b, T) const { return g * kernel.derivative(b - a); }
};

/// A pointwise loss chosen at run time (the device kernel table's form): calls f with the
/// entry, so the element loop inlines it.
template <class T>
struct LossEntry {
  LossCode code = LossCode::Mse;  ///< which loss
  T param = T(0);                 ///< Huber's delta or smooth L1's beta
  /// f(entry) for the chosen loss.
  template <class F>
  decltype(auto) visit(F&& f) const {
    switch (code) {
      case LossCode::Huber: return f(HuberLoss<T>{param});
      case LossCode::SmoothL1: return f(SmoothL1Loss<T>{param});
      default: return f(MseLoss<T>{});
    }
  }
};

/// The run-time entry of the MSE kernel.
template <class T>
EIGRAD_HOST_DEVICE LossEntry<T> loss_entry(const MseLoss<T>&) { return {LossCode::Mse, T(0)}; }
/// The run-time entry of Huber with its delta.
template <class T>
EIGRAD_HOST_DEVICE LossEntry<T> loss_entry(const HuberLoss<T>& k) { return {LossCode::Huber, k.delta}; }
/// The run-time entry of smooth L1 with its beta.
template <class T>
EIGRAD_HOST_DEVICE LossEntry<T> loss_entry(const SmoothL1Loss<T>& k) { return {LossCode::SmoothL1, k.beta}; }

}  // namespace eigrad::ops
