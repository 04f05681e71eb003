// Each tutorial stage's training step on eigrad, written as samples/0N_*.cpp writes it and
// through eigrad's public API only, so the benchmark measures what a user of the tutorial
// runs (and keeps measuring it whatever the library does inside).
#include <memory>
#include <string>
#include <utility>

#include "eigrad/autograd/function.hpp"
#include "eigrad/autograd/grad_mode.hpp"
#include "eigrad/nn/nn.hpp"
#include "eigrad/optim/factory.hpp"
#include "eigrad/optim/sgd.hpp"
#include "eigrad/tensor.hpp"
#include "stages.hpp"

namespace eigrad_bench {

namespace {

using eigrad::NoGradGuard;
using eigrad::TensorOptions;
using Tensor = eigrad::Tensor<float>;
namespace nn = eigrad::nn;
namespace optim = eigrad::optim;

Tensor scalar(float v, bool requires_grad = false) {
  return eigrad::scalar_tensor<float>(v, TensorOptions().requires_grad(requires_grad));
}

/// x and y of \p setup as eigrad tensors.
class EigradData {
 protected:
  explicit EigradData(const StageSetup& setup)
      : x_(eigrad::from_vector<float>(setup.x, {setup.n})),
        y_(eigrad::from_vector<float>(setup.y, {setup.n})),
        lr_(setup.lr) {}

  const Tensor x_, y_;
  const double lr_;
  Tensor loss_;
};

// ------------------------------------------------------------------ 02: gradients by hand
class TensorStage : public Trainer, EigradData {
 public:
  explicit TensorStage(const StageSetup& setup) : EigradData(setup) {}

  void run(std::int64_t steps) override {
    for (std::int64_t t = 0; t < steps; ++t) {
      const Tensor y_pred = a + b * x_ + c * x_.pow(2) + d * x_.pow(3);
      loss_value_ = (y_pred - y_).pow(2).sum().item<double>();

      const Tensor grad_y_pred = 2.0 * (y_pred - y_);
      const Tensor grad_a = grad_y_pred.sum();
      const Tensor grad_b = (grad_y_pred * x_).sum();
      const Tensor grad_c = (grad_y_pred * x_.pow(2)).sum();
      const Tensor grad_d = (grad_y_pred * x_.pow(3)).sum();

      a -= lr_ * grad_a;
      b -= lr_ * grad_b;
      c -= lr_ * grad_c;
      d -= lr_ * grad_d;
    }
  }

  double last_loss() override { return loss_value_; }

 private:
  Tensor a = scalar(kCubicStart[0]), b = scalar(kCubicStart[1]), c = scalar(kCubicStart[2]),
         d = scalar(kCubicStart[3]);
  double loss_value_ = 0;
};

/// The update of stages 03 and 04: unrecorded gradient descent, then `w.grad = None`.
void descend_and_reset(std::initializer_list<Tensor*> weights, double lr) {
  NoGradGuard no_grad;
  for (Tensor* w : weights) {
    *w -= lr * w->grad();
    w->grad() = {};
  }
}

// ------------------------------------------------------------------ 03: autograd
class AutogradStage : public Trainer, EigradData {
 public:
  explicit AutogradStage(const StageSetup& setup) : EigradData(setup) {}

  void run(std::int64_t steps) override {
    for (std::int64_t t = 0; t < steps; ++t) {
      const Tensor y_pred = a + b * x_ + c * x_.pow(2) + d * x_.pow(3);
      loss_ = (y_pred - y_).pow(2).sum();
      loss_.backward();
      descend_and_reset({&a, &b, &c, &d}, lr_);
    }
  }

  double last_loss() override { return loss_.item<double>(); }

 private:
  Tensor a = scalar(kCubicStart[0], true), b = scalar(kCubicStart[1], true), c = scalar(kCubicStart[2], true),
         d = scalar(kCubicStart[3], true);
};

// ------------------------------------------------------------------ 04: custom Function
/// P3(x) = ½(5x³ − 3x), with P3'(x) = 1.5(5x² − 1), as samples/04_custom_function.cpp.
struct LegendrePolynomial3 : eigrad::autograd::Function<LegendrePolynomial3> {
  template <class T>
  static eigrad::Tensor<T> forward(eigrad::autograd::AutogradContext<T>& ctx, const eigrad::Tensor<T>& input) {
    ctx.save_for_backward({input});
    return 0.5 * (5 * input.pow(3) - 3 * input);
  }
  template <class T>
  static std::vector<eigrad::Tensor<T>> backward(eigrad::autograd::AutogradContext<T>& ctx,
                                                 const std::vector<eigrad::Tensor<T>>& grad_outputs) {
    const eigrad::Tensor<T>& input = ctx.get_saved_variables()[0];
    return {grad_outputs[0] * 1.5 * (5 * input.pow(2) - 1)};
  }
};

class CustomFunctionStage : public Trainer, EigradData {
 public:
  explicit CustomFunctionStage(const StageSetup& setup) : EigradData(setup) {}

  void run(std::int64_t steps) override {
    for (std::int64_t t = 0; t < steps; ++t) {
      const Tensor y_pred = a + b * LegendrePolynomial3::apply(c + d * x_);
      loss_ = (y_pred - y_).pow(2).sum();
      loss_.backward();
      descend_and_reset({&a, &b, &c, &d}, lr_);
    }
  }

  double last_loss() override { return loss_.item<double>(); }

 private:
  Tensor a = scalar(kLegendreStart[0], true), b = scalar(kLegendreStart[1], true),
         c = scalar(kLegendreStart[2], true), d = scalar(kLegendreStart[3], true);
};

// ------------------------------------------------------------------ 05, 06: nn (and optim)
/// Sequential(Linear(3, 1), Flatten(0, 1)) on the features x, x², x³ with an MSE (sum) loss,
/// starting from kCubicStart (bias, then the weights).
class NnData : protected EigradData {
 protected:
  explicit NnData(const StageSetup& setup) : EigradData(setup) {
    NoGradGuard no_grad;
    nn::Linear<float>& linear = model_.at<nn::Linear<float>>(0);
    linear.weight.copy_(eigrad::from_vector<float>({kCubicStart[1], kCubicStart[2], kCubicStart[3]}, {1, 3}));
    linear.bias.copy_(eigrad::from_vector<float>({kCubicStart[0]}, {1}));
  }

  const Tensor xx_ = x_.unsqueeze(-1).pow(Tensor{1, 2, 3});
  nn::Sequential<float> model_{nn::Linear<float>(3, 1), nn::Flatten<float>(0, 1)};
  nn::MSELoss<float> loss_fn_{nn::Reduction::Sum};
};

class NnStage : public Trainer, NnData {
 public:
  explicit NnStage(const StageSetup& setup) : NnData(setup) {}

  void run(std::int64_t steps) override {
    for (std::int64_t t = 0; t < steps; ++t) {
      const Tensor y_pred = model_(xx_);
      loss_ = loss_fn_(y_pred, y_);
      model_.zero_grad(/*set_to_none=*/false);
      loss_.backward();
      NoGradGuard no_grad;
      for (Tensor param : model_.parameters()) param -= lr_ * param.grad();
    }
  }

  double last_loss() override { return loss_.item<double>(); }
};

class OptimStage : public Trainer, NnData {
 public:
  explicit OptimStage(const StageSetup& setup)
      : NnData(setup), optimizer_(optim::make_optimizer<float>("rmsprop", model_.parameters(), {{"lr", setup.lr}})) {}

  void run(std::int64_t steps) override {
    for (std::int64_t t = 0; t < steps; ++t) {
      const Tensor y_pred = model_(xx_);
      loss_ = loss_fn_(y_pred, y_);
      optimizer_->zero_grad(/*set_to_none=*/false);
      loss_.backward();
      optimizer_->step();
    }
  }

  double last_loss() override { return loss_.item<double>(); }

 private:
  std::unique_ptr<optim::Optimizer<float>> optimizer_;
};

// ------------------------------------------------------------------ 07, 08: custom modules
/// The tutorial's Polynomial3 module, as samples/07_custom_module.cpp.
class Polynomial3 : public nn::Module<float> {
 public:
  Polynomial3() {
    a = register_parameter("a", scalar(kCubicStart[0]));
    b = register_parameter("b", scalar(kCubicStart[1]));
    c = register_parameter("c", scalar(kCubicStart[2]));
    d = register_parameter("d", scalar(kCubicStart[3]));
  }
  Tensor forward(const Tensor& x) override { return a + b * x + c * x.pow(2) + d * x.pow(3); }

  Tensor a, b, c, d;
};

/// The tutorial's DynamicNet, as samples/08_dynamic_net.cpp, with the exponent loop's bound
/// taken from dynamic_upper_bound() instead of drawn.
class DynamicNet : public nn::Module<float> {
 public:
  DynamicNet() {
    a = register_parameter("a", scalar(kDynamicStart[0]));
    b = register_parameter("b", scalar(kDynamicStart[1]));
    c = register_parameter("c", scalar(kDynamicStart[2]));
    d = register_parameter("d", scalar(kDynamicStart[3]));
    e = register_parameter("e", scalar(kDynamicStart[4]));
  }
  Tensor forward(const Tensor& x) override {
    Tensor y = a + b * x + c * x.pow(2) + d * x.pow(3);
    const int upper = dynamic_upper_bound(calls_++);
    for (int exp = 4; exp < upper; ++exp) y = y + e * x.pow(static_cast<double>(exp));
    return y;
  }

  Tensor a, b, c, d, e;

 private:
  std::int64_t calls_ = 0;
};

/// Stages 07 and 08: model, MSE (sum) loss and SGD, zero_grad() / backward() / step().
template <class Model>
class ModuleStage : public Trainer, EigradData {
 public:
  ModuleStage(const StageSetup& setup, const optim::SGDOptions& options)
      : EigradData(setup), optimizer_(model_.parameters(), options) {}

  void run(std::int64_t steps) override {
    for (std::int64_t t = 0; t < steps; ++t) {
      const Tensor y_pred = model_(x_);
      loss_ = criterion_(y_pred, y_);
      optimizer_.zero_grad(/*set_to_none=*/false);
      loss_.backward();
      optimizer_.step();
    }
  }

  double last_loss() override { return loss_.item<double>(); }

 private:
  Model model_;
  nn::MSELoss<float> criterion_{nn::Reduction::Sum};
  optim::SGD<float> optimizer_;
};

}  // namespace

std::unique_ptr<Trainer> make_eigrad_trainer(const StageSetup& setup) {
  switch (setup.spec.number) {
    case 2:
      return std::make_unique<TensorStage>(setup);
    case 3:
      return std::make_unique<AutogradStage>(setup);
    case 4:
      return std::make_unique<CustomFunctionStage>(setup);
    case 5:
      return std::make_unique<NnStage>(setup);
    case 6:
      return std::make_unique<OptimStage>(setup);
    case 7:
      return std::make_unique<ModuleStage<Polynomial3>>(setup, optim::SGDOptions(setup.lr));
    default:
      return std::make_unique<ModuleStage<DynamicNet>>(setup,
                                                       optim::SGDOptions(setup.lr).momentum(kDynamicMomentum));
  }
}

}  // namespace eigrad_bench
