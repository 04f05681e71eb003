#pragma once
/// \file cuda/kernels.hpp
/// \brief The device kernel table: every loop a tensor op, a backward formula or an optimizer
///        step runs on "cuda", over raw device pointers.
///
/// Compiled into eigrad only when a device backend is built (see cuda/memory.hpp). Each entry
/// runs the op table's functors (include/eigrad/ops/) through Thrust, so a value or gradient
/// computed here rounds as the eager CPU op does; reductions and matmul sum in another order
/// than Eigen does. Shapes are eigrad's (rank 0 to 4, contiguous, row-major); element
/// counts are std::int64_t. Every pointer is a device pointer unless its name says host.
#include <cstdint>

#include "eigrad/cuda/memory.hpp"
#include "eigrad/ops/program.hpp"
#include "eigrad/shape.hpp"

namespace eigrad::cuda {

// ---------------------------------------------------------------- fill, copy

/// out[i] = value for i < n.
template <class T>
void fill(T* out, std::int64_t n, T value);
/// dst[i] = src[i] for i < n (device to device).
template <class T>
void copy(T* dst, const T* src, std::int64_t n);
/// out (cols × rows) = the transpose of in (rows × cols), both row-major.
template <class T>
void transpose(const T* in, T* out, std::int64_t rows, std::int64_t cols);

// ---------------------------------------------------------------- elementwise

/// A one-operand op table entry with its parameters: an op code from Neg to PowScalar
/// (ops::Code) and the scalars it takes.
template <class T>
struct Unary {
  ops::Code code = ops::Code::Neg;   ///< the entry
  T s = T(0);                        ///< scalar operand, clamp's lower bound, base, exponent
  T s2 = T(0);                       ///< clamp's upper bound, log(base), exponent - 1
  ops::PowKind pow = ops::PowKind::One;     ///< kernel of x ^ e (PowScalar)
  ops::PowKind pow_m1 = ops::PowKind::One;  ///< kernel of x ^ (e - 1) (PowScalar)

  /// An entry without parameters (Neg ... Relu).
  static Unary plain(ops::Code code);
  /// A tensor-and-scalar entry (AddScalar ... RDivScalar).
  static Unary with_scalar(ops::Code code, T s);
  /// clamp(x, lo, hi).
  static Unary clamp(T lo, T hi);
  /// x ^ e, the kernels chosen as the eager pow(double) chooses them.
  static Unary pow_exponent(double e);
  /// base ^ x.
  static Unary pow_base(T base);
};

/// out[i] = op.value(x[i]) for i < n.
template <class T>
void unary(const Unary<T>& op, const T* x, T* out, std::int64_t n);
/// out[i] = op.grad(g[i], x[i], y[i]) for i < n; \p x (the operand) or \p y (the output) may
/// be null when the entry does not read it (ops saves_input / saves_output).
template <class T>
void unary_grad(const Unary<T>& op, const T* g, const T* x, const T* y, T* out, std::int64_t n);

/// A contiguous operand and its shape.
template <class T>
struct Operand {
  const T* data;  ///< first element (device)
  Shape shape;    ///< its shape
};

/// out = a OP b over \p out_shape (the broadcast of both shapes), OP a two-operand entry
/// (Add ... Minimum); each operand is read through broadcast strides.
template <class T>
void binary(ops::Code op, const Operand<T>& a, const Operand<T>& b, T* out, const Shape& out_shape);
/// The gradient of operand \p which (0: a, 1: b) of a OP b at every element of \p out_shape:
/// op.grad_a / grad_b (g, a, b, y) with \p g and \p y (y may be null when the entry does not
/// read it) of \p out_shape. A broadcast operand's gradient is then reduced by sum_to().
template <class T>
void binary_grad(ops::Code op, int which, const T* g, const Operand<T>& a, const Operand<T>& b, const T* y, T* out,
                 const Shape& out_shape);

// ---------------------------------------------------------------- reductions

/// The sum of \p n elements, returned to the host.
template <class T>
T sum(const T* x, std::int64_t n);
/// \p x of \p shape summed down to \p out_shape (a shape \p shape broadcasts from, as a
/// broadcast operand's gradient is): out[j] is the sum of the elements of x that broadcast
/// from j.
template <class T>
void sum_to(const T* x, const Shape& shape, T* out, const Shape& out_shape);
/// \p x of \p shape summed over dimension \p dim (wrapped as eigrad's dims are): out has
/// \p shape without that dimension, in the same element order.
template <class T>
void sum_dim(const T* x, const Shape& shape, std::int64_t dim, T* out);

// ---------------------------------------------------------------- matmul

/// out (m × n) = a (m × k) · b (k × n), all row-major: cuBLAS under CUDA, a Thrust loop of
/// dot products on the CPU systems.
template <class T>
void matmul(const T* a, const T* b, T* out, std::int64_t m, std::int64_t k, std::int64_t n);

// ---------------------------------------------------------------- optimizer updates
// One pass per parameter, each element's operations those of src/optim/ in the same order
// and type, so the device step gives the CPU step's bits. The gradient's preparation
// (maximize, then weight decay) is part of the pass. Scalars are given as src/optim/ computes
// them (a Python float cast to T).

/// The gradient's preparation common to every optimizer: d = maximize ? -grad : grad, then
/// d = d + weight_decay * param when the weight decay (a double) is not 0.
template <class T>
struct GradientPrep {
  bool maximize = false;          ///< negate the gradient first
  bool use_weight_decay = false;  ///< the weight decay given was not 0
  T weight_decay = T(0);          ///< L2 penalty factor, cast to T
  /// The preparation for \p maximize and \p weight_decay.
  static GradientPrep make(bool maximize, double weight_decay) {
    return {maximize, weight_decay != 0, static_cast<T>(weight_decay)};
  }
};

/// SGD's scalars (src/optim/sgd.cpp).
template <class T>
struct SgdStep {
  GradientPrep<T> prep;            ///< maximize, weight decay
  bool use_momentum = false;       ///< momentum given was not 0: the step goes through the buffer
  T momentum = T(0);               ///< momentum factor
  T one_minus_dampening = T(1);    ///< 1 - dampening taken in double
  T neg_lr = T(0);                 ///< -lr
  bool nesterov = false;           ///< Nesterov's variant
  bool first_step = false;         ///< the momentum buffer is set to the gradient, not updated
  /// The scalars as src/optim/sgd.cpp computes them; \p first_step when the parameter has no
  /// momentum buffer yet.
  static SgdStep make(double lr, double momentum, double dampening, double weight_decay, bool nesterov,
                      bool maximize, bool first_step) {
    SgdStep s;
    s.prep = GradientPrep<T>::make(maximize, weight_decay);
    s.use_momentum = momentum != 0;
    s.momentum = static_cast<T>(momentum);
    s.one_minus_dampening = static_cast<T>(1 - dampening);
    s.neg_lr = static_cast<T>(-lr);
    s.nesterov = nesterov;
    s.first_step = first_step;
    return s;
  }
};
/// One SGD step: param and (with momentum) momentum_buffer of \p n elements updated in place.
template <class T>
void sgd_step(const SgdStep<T>& s, T* param, const T* grad, T* momentum_buffer, std::int64_t n);

/// Adam's and AdamW's scalars (src/optim/adam.cpp) for one step.
template <class T>
struct AdamStep {
  GradientPrep<T> prep;               ///< maximize, Adam's weight decay (0 for AdamW)
  T decay = T(1);                     ///< AdamW's param factor 1 - lr * weight_decay (1: none)
  bool decoupled = false;             ///< AdamW: multiply the parameter by decay first
  T beta1 = T(0);                     ///< first moment decay
  T beta2 = T(0);                     ///< second moment decay
  T one_minus_beta1 = T(1);           ///< 1 - beta1 taken in double
  T one_minus_beta2 = T(1);           ///< 1 - beta2 taken in double
  T bias_correction2_sqrt = T(1);     ///< sqrt(1 - beta2^step) taken in double
  T eps = T(0);                       ///< added to the denominator
  T neg_step_size = T(0);             ///< -lr / (1 - beta1^step) taken in double
  bool amsgrad = false;               ///< keep and use the running maximum of exp_avg_sq
  /// The scalars of step number \p step (counted from 1) as src/optim/adam.cpp computes them.
  static AdamStep make(double lr, double beta1, double beta2, double eps, double weight_decay, bool amsgrad,
                       bool maximize, bool decoupled, std::int64_t step);
};
/// One Adam/AdamW step over \p n elements; \p max_exp_avg_sq is read only with amsgrad.
template <class T>
void adam_step(const AdamStep<T>& s, T* param, const T* grad, T* exp_avg, T* exp_avg_sq, T* max_exp_avg_sq,
               std::int64_t n);

/// RMSprop's scalars (src/optim/rmsprop.cpp).
template <class T>
struct RmspropStep {
  GradientPrep<T> prep;          ///< maximize, weight decay
  T alpha = T(0);                ///< smoothing constant
  T one_minus_alpha = T(1);      ///< 1 - alpha taken in double
  T eps = T(0);                  ///< added to the denominator
  T momentum = T(0);             ///< momentum factor
  bool use_momentum = false;     ///< momentum > 0: the step goes through momentum_buffer
  bool centered = false;         ///< subtract the running mean of the gradient
  T neg_lr = T(0);               ///< -lr
  /// The scalars as src/optim/rmsprop.cpp computes them.
  static RmspropStep make(double lr, double alpha, double eps, double weight_decay, double momentum, bool centered,
                          bool maximize) {
    RmspropStep s;
    s.prep = GradientPrep<T>::make(maximize, weight_decay);
    s.alpha = static_cast<T>(alpha);
    s.one_minus_alpha = static_cast<T>(1 - alpha);
    s.eps = static_cast<T>(eps);
    s.momentum = static_cast<T>(momentum);
    s.use_momentum = momentum > 0;
    s.centered = centered;
    s.neg_lr = static_cast<T>(-lr);
    return s;
  }
};
/// One RMSprop step over \p n elements; \p grad_avg is read only when centered,
/// \p momentum_buffer only with momentum.
template <class T>
void rmsprop_step(const RmspropStep<T>& s, T* param, const T* grad, T* square_avg, T* grad_avg, T* momentum_buffer,
                  std::int64_t n);

/// Adagrad's scalars (src/optim/adagrad.cpp) for one step.
template <class T>
struct AdagradStep {
  GradientPrep<T> prep;  ///< maximize, weight decay
  T eps = T(0);          ///< added to the denominator
  T neg_clr = T(0);      ///< -lr / (1 + (step - 1) * lr_decay) taken in double
  /// The scalars of step number \p step (counted from 1) as src/optim/adagrad.cpp computes them.
  static AdagradStep make(double lr, double lr_decay, double eps, double weight_decay, bool maximize,
                          std::int64_t step) {
    AdagradStep s;
    s.prep = GradientPrep<T>::make(maximize, weight_decay);
    s.eps = static_cast<T>(eps);
    s.neg_clr = static_cast<T>(-(lr / (1 + (static_cast<double>(step) - 1) * lr_decay)));
    return s;
  }
};
/// One Adagrad step over \p n elements.
template <class T>
void adagrad_step(const AdagradStep<T>& s, T* param, const T* grad, T* sum, std::int64_t n);

// ---------------------------------------------------------------- fused statements

/// A program leaf, or the output adjoint of run_backward(): \p n elements, or one element
/// standing for all of them when \p scalar.
template <class T>
struct ProgramLeaf {
  const T* data = nullptr;  ///< first element (device)
  bool scalar = false;      ///< one element broadcast to every element
  T* adjoint = nullptr;     ///< run_backward() writes the leaf's adjoint here (same size as data)
};

/// Runs \p program forward over \p n elements with \p leaves (program.leaf_count of them) in
/// one launch: writes each element's value to \p out when not null, and returns the sum of
/// the values when \p sum (else 0).
template <class T>
T run_forward(const ops::Program<T>& program, const ProgramLeaf<T>* leaves, std::int64_t n, T* out, bool sum);

/// Runs \p program backward over \p n elements in one launch: recomputes each element's
/// values, then applies the entries' gradient formulas in reverse from the output adjoint
/// \p grad_out, and writes into each leaf's `adjoint` (for the leaves program marks) its
/// adjoint: per element for a full leaf, summed over the elements for a scalar leaf.
template <class T>
void run_backward(const ops::Program<T>& program, const ProgramLeaf<T>* leaves, std::int64_t n,
                  const ProgramLeaf<T>& grad_out);

}  // namespace eigrad::cuda
