// The regression losses. MSE, Huber and smooth L1 are one recorded node each, computed as
// PyTorch's kernels compute them; L1 is abs(input − target) recorded op by op, as PyTorch
// 1.13's l1_loss is.
#include "eigrad/nn/functional/loss.hpp"

#include <cmath>
#include <memory>
#include <string>

#include "../../detail/device.hpp"
#include "eigrad/autograd/node.hpp"
#include "eigrad/errors.hpp"

namespace eigrad::nn::functional {
namespace {

template <class T>
void check_operands(const char* loss, const Tensor<T>& input, const Tensor<T>& target) {
  EIGRAD_CHECK(input.defined() && target.defined(), ValueError, loss, ": ", input.defined() ? "target" : "input",
               " is undefined");
  EIGRAD_CHECK(input.shape() == target.shape(), ShapeError, loss, ": input shape ", eigrad::to_string(input.shape()),
               " and target shape ", eigrad::to_string(target.shape()),
               " differ; broadcasting them would silently compute a different loss, so reshape one "
               "(flatten, unsqueeze) to match");
  eigrad::detail::check_same_device(loss, input, target);
}

// The kernel table has no entry for the kernels below, so on a device their elementwise pass
// runs on host copies of the operands (the same functors, hence the CPU's bits) and the
// result goes back to the device; the reduction runs where the operands live.
template <class T>
Tensor<T> host_values(const Tensor<T>& t) {
  return t.is_cuda() ? t.detach().cpu() : t;
}

template <class T>
Tensor<T> on_device_of(const Tensor<T>& host, const Tensor<T>& like) {
  return like.is_cuda() ? host.to(like.device()) : host;
}

template <class T>
Tensor<T> reduce(const Tensor<T>& elementwise, Reduction reduction) {
  switch (reduction) {
    case Reduction::None: return elementwise;
    case Reduction::Mean: return elementwise.mean();
    case Reduction::Sum: return elementwise.sum();
  }
  EIGRAD_FAIL(ValueError, "unknown loss reduction");
}

// The elementwise loss of a difference d = input − target, and its derivative, as PyTorch's
// CPU kernels (BinaryOpsKernel.cpp, PointwiseOpsKernel.cpp) compute them.
template <class T>
struct MseKernel {
  static constexpr const char* backward_name = "MseLossBackward0";
  T value(T d) const { return d * d; }
  T derivative(T d) const { return T(2) * d; }
};

template <class T>
struct HuberKernel {
  static constexpr const char* backward_name = "HuberLossBackward0";
  T delta;
  T value(T d) const {
    const T z = std::abs(d);
    return z < delta ? T(0.5) * z * z : delta * (z - T(0.5) * delta);
  }
  T derivative(T d) const { return std::abs(d) >= delta ? (d > 0 ? delta : -delta) : d; }
};

template <class T>
struct SmoothL1Kernel {
  static constexpr const char* backward_name = "SmoothL1LossBackward0";
  T beta;
  // beta = 0 takes the second branch everywhere: the L1 loss.
  T value(T d) const {
    const T z = std::abs(d);
    return z < beta ? T(0.5) * z * z / beta : z - T(0.5) * beta;
  }
  // With beta = 0 a zero difference is on the linear branch with the sign of d > 0: −1.
  T derivative(T d) const { return std::abs(d) >= beta ? (d > 0 ? T(1) : T(-1)) : d / beta; }
};

// PyTorch differentiates these losses per operand: the input's gradient is the kernel's
// derivative at input − target, the target's at target − input (derivatives.yaml calls the
// backward kernel with the operands swapped). The two are opposite except at a zero
// difference, which is +0 both ways, so both operands get the derivative at +0: +0 for MSE,
// Huber and smooth L1, but −1 for smooth L1 with beta = 0. A composition of recorded
// subtraction and abs would give opposite gradients there, so the loss and its reduction are
// one node, as in PyTorch.
template <class T, class Kernel>
class PointwiseLossBackward final : public Node<T> {
 public:
  PointwiseLossBackward(const Tensor<T>& input, const Tensor<T>& target, Reduction reduction, Kernel kernel)
      : reduction_(reduction), kernel_(kernel) {
    this->save(input);
    this->save(target);
  }
  std::string name() const override { return Kernel::backward_name; }

 protected:
  std::vector<Tensor<T>> backward(const Tensor<T>& grad) override {
    const Tensor<T>& input = this->saved(0);
    const Tensor<T>& target = this->saved(1);
    return {this->needs_input_grad(0) ? gradient(grad, input, target) : Tensor<T>(),
            this->needs_input_grad(1) ? gradient(grad, target, input) : Tensor<T>()};
  }

 private:
  // The gradient of operand a, whose difference to the other operand is a − b.
  Tensor<T> gradient(const Tensor<T>& grad, const Tensor<T>& a, const Tensor<T>& b) const {
    const std::int64_t n = a.numel();
    const T norm = reduction_ == Reduction::Mean ? T(1) / static_cast<T>(n) : T(1);
    const bool reduced = reduction_ != Reduction::None;
    Tensor<T> out = empty<T>(a.shape());
    const Tensor<T> ha = host_values(a), hb = host_values(b), hg = host_values(grad);
    const T *pa = ha.data(), *pb = hb.data(), *pg = hg.data();
    T* po = out.data();
    for (std::int64_t i = 0; i < n; ++i) po[i] = norm * kernel_.derivative(pa[i] - pb[i]) * pg[reduced ? 0 : i];
    return on_device_of(out, a);
  }

  Reduction reduction_;
  Kernel kernel_;
};

template <class T, class Kernel>
Tensor<T> pointwise_loss(const Tensor<T>& input, const Tensor<T>& target, Reduction reduction, Kernel kernel) {
  Tensor<T> values = empty<T>(input.shape());
  const Tensor<T> host_input = host_values(input), host_target = host_values(target);
  const T *pi = host_input.data(), *pt = host_target.data();
  T* pv = values.data();
  for (std::int64_t i = 0, n = input.numel(); i < n; ++i) pv[i] = kernel.value(pi[i] - pt[i]);
  const Tensor<T> loss = reduce(on_device_of(values, input), reduction);
  if (!autograd::any_requires_grad<T>({&input, &target})) return loss;
  return autograd::record<T>(loss, std::make_shared<PointwiseLossBackward<T, Kernel>>(input, target, reduction, kernel),
                             {&input, &target});
}

}  // namespace

void detail::check_huber_delta(const char* loss, double delta) {
  EIGRAD_CHECK(delta > 0, ValueError, loss, ": delta must be positive, got ", std::to_string(delta));
}

void detail::check_smooth_l1_beta(const char* loss, double beta) {
  EIGRAD_CHECK(beta >= 0, ValueError, loss, ": beta must be non-negative, got ", std::to_string(beta));
}

template <class T>
Tensor<T> mse_loss(const Tensor<T>& input, const Tensor<T>& target, Reduction reduction) {
  check_operands("mse_loss", input, target);
  return pointwise_loss(input, target, reduction, MseKernel<T>{});
}

template <class T>
Tensor<T> l1_loss(const Tensor<T>& input, const Tensor<T>& target, Reduction reduction) {
  check_operands("l1_loss", input, target);
  return reduce((input - target).abs(), reduction);
}

template <class T>
Tensor<T> huber_loss(const Tensor<T>& input, const Tensor<T>& target, Reduction reduction, double delta) {
  check_operands("huber_loss", input, target);
  detail::check_huber_delta("huber_loss", delta);
  return pointwise_loss(input, target, reduction, HuberKernel<T>{static_cast<T>(delta)});
}

template <class T>
Tensor<T> smooth_l1_loss(const Tensor<T>& input, const Tensor<T>& target, Reduction reduction, double beta) {
  check_operands("smooth_l1_loss", input, target);
  detail::check_smooth_l1_beta("smooth_l1_loss", beta);
  return pointwise_loss(input, target, reduction, SmoothL1Kernel<T>{static_cast<T>(beta)});
}

#define EIGRAD_INSTANTIATE_LOSSES(T)                                                          \
  template Tensor<T> mse_loss<T>(const Tensor<T>&, const Tensor<T>&, Reduction);              \
  template Tensor<T> l1_loss<T>(const Tensor<T>&, const Tensor<T>&, Reduction);               \
  template Tensor<T> huber_loss<T>(const Tensor<T>&, const Tensor<T>&, Reduction, double);    \
  template Tensor<T> smooth_l1_loss<T>(const Tensor<T>&, const Tensor<T>&, Reduction, double);
EIGRAD_INSTANTIATE_LOSSES(float)
EIGRAD_INSTANTIATE_LOSSES(double)
#undef EIGRAD_INSTANTIATE_LOSSES

}  // namespace eigrad::nn::functional
