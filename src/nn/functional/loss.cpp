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

template <class T>
Tensor<T> reduce(const Tensor<T>& elementwise, Reduction reduction) {
  switch (reduction) {
    case Reduction::None: return elementwise;
    case Reduction::Mean: return elementwise.mean();
    case Reduction::Sum: return elementwise.sum();
  }
  EIGRAD_FAIL(ValueError, "unknown loss reduction");
}

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
    Tensor<T> out = empty<T>(a.shape(), a.device());
    if (a.is_cuda()) {
      cuda::loss_grad(ops::loss_entry(kernel_), a.data_ptr(), b.data_ptr(), grad.data_ptr(), reduced, norm,
                      out.data_ptr(), n);
      return out;
    }
    const T *pa = a.data(), *pb = b.data(), *pg = grad.data();
    T* po = out.data();
    for (std::int64_t i = 0; i < n; ++i) po[i] = norm * kernel_.derivative(pa[i] - pb[i]) * pg[reduced ? 0 : i];
    return out;
  }

  Reduction reduction_;
  Kernel kernel_;
};

template <class T, class Kernel>
Tensor<T> pointwise_loss(const Tensor<T>& input, const Tensor<T>& target, Reduction reduction, Kernel kernel) {
  Tensor<T> values = empty<T>(input.shape(), input.device());
  if (input.is_cuda()) {
    cuda::loss_values(ops::loss_entry(kernel), input.data_ptr(), target.data_ptr(), values.data_ptr(), input.numel());
  } else {
    const T *pi = input.data(), *pt = target.data();
    T* pv = values.data();
    for (std::int64_t i = 0, n = input.numel(); i < n; ++i) pv[i] = kernel.value(pi[i] - pt[i]);
  }
  const Tensor<T> loss = reduce(values, reduction);
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
  return pointwise_loss(input, target, reduction, ops::MseLoss<T>{});
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
  return pointwise_loss(input, target, reduction, ops::HuberLoss<T>{static_cast<T>(delta)});
}

template <class T>
Tensor<T> smooth_l1_loss(const Tensor<T>& input, const Tensor<T>& target, Reduction reduction, double beta) {
  check_operands("smooth_l1_loss", input, target);
  detail::check_smooth_l1_beta("smooth_l1_loss", beta);
  return pointwise_loss(input, target, reduction, ops::SmoothL1Loss<T>{static_cast<T>(beta)});
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
