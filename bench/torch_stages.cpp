// Each tutorial stage's training step on LibTorch (one thread), written as the PyTorch
// tutorial writes it in Python; the reference the tutorial's users would compare against.
// Built only when find_package(Torch) finds LibTorch (Debian's libtorch-dev).
#include <ATen/Parallel.h>
#include <torch/autograd.h>
#include <torch/nn/module.h>
#include <torch/nn/modules/container/sequential.h>
#include <torch/nn/modules/linear.h>
#include <torch/nn/modules/loss.h>
#include <torch/optim/rmsprop.h>
#include <torch/optim/sgd.h>

#include <memory>
#include <utility>

#include "stages.hpp"

namespace eigrad_bench {

namespace {

using torch::Tensor;

Tensor scalar(float v, bool requires_grad = false) {
  return torch::full({}, v, torch::TensorOptions().dtype(torch::kFloat32).requires_grad(requires_grad));
}

Tensor from_floats(const std::vector<float>& values) {
  return torch::from_blob(const_cast<float*>(values.data()), {static_cast<std::int64_t>(values.size())},
                          torch::kFloat32)
      .clone();
}

class TorchData {
 protected:
  explicit TorchData(const StageSetup& setup) : x_(from_floats(setup.x)), y_(from_floats(setup.y)), lr_(setup.lr) {
    at::set_num_threads(1);
  }

  const Tensor x_, y_;
  const double lr_;
  Tensor loss_;
};

// ------------------------------------------------------------------ 02: gradients by hand
class TensorStage : public Trainer, TorchData {
 public:
  explicit TensorStage(const StageSetup& setup) : TorchData(setup) {}

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

/// `with torch.no_grad(): w -= learning_rate * w.grad; w.grad = None` for each weight.
void descend_and_reset(std::initializer_list<Tensor*> weights, double lr) {
  torch::NoGradGuard no_grad;
  for (Tensor* w : weights) {
    *w -= lr * w->grad();
    w->mutable_grad() = Tensor();
  }
}

// ------------------------------------------------------------------ 03: autograd
class AutogradStage : public Trainer, TorchData {
 public:
  explicit AutogradStage(const StageSetup& setup) : TorchData(setup) {}

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
struct LegendrePolynomial3 : torch::autograd::Function<LegendrePolynomial3> {
  static Tensor forward(torch::autograd::AutogradContext* ctx, const Tensor& input) {
    ctx->save_for_backward({input});
    return 0.5 * (5 * input.pow(3) - 3 * input);
  }
  static torch::autograd::tensor_list backward(torch::autograd::AutogradContext* ctx,
                                               torch::autograd::tensor_list grad_outputs) {
    const Tensor input = ctx->get_saved_variables()[0];
    return {grad_outputs[0] * 1.5 * (5 * input.pow(2) - 1)};
  }
};

class CustomFunctionStage : public Trainer, TorchData {
 public:
  explicit CustomFunctionStage(const StageSetup& setup) : TorchData(setup) {}

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
class NnData : protected TorchData {
 protected:
  explicit NnData(const StageSetup& setup) : TorchData(setup) {
    torch::NoGradGuard no_grad;
    auto linear = model_->ptr<torch::nn::LinearImpl>(0);
    linear->weight.copy_(torch::tensor({kCubicStart[1], kCubicStart[2], kCubicStart[3]}).reshape({1, 3}));
    linear->bias.copy_(torch::tensor({kCubicStart[0]}));
  }

  const Tensor xx_ = x_.unsqueeze(-1).pow(torch::tensor({1, 2, 3}));
  torch::nn::Sequential model_{torch::nn::Linear(3, 1),
                               torch::nn::Flatten(torch::nn::FlattenOptions().start_dim(0).end_dim(1))};
  torch::nn::MSELoss loss_fn_{torch::nn::MSELossOptions().reduction(torch::kSum)};
};

class NnStage : public Trainer, NnData {
 public:
  explicit NnStage(const StageSetup& setup) : NnData(setup) {}

  void run(std::int64_t steps) override {
    for (std::int64_t t = 0; t < steps; ++t) {
      const Tensor y_pred = model_->forward(xx_);
      loss_ = loss_fn_(y_pred, y_);
      model_->zero_grad();
      loss_.backward();
      torch::NoGradGuard no_grad;
      for (Tensor& param : model_->parameters()) param -= lr_ * param.grad();
    }
  }

  double last_loss() override { return loss_.item<double>(); }
};

class OptimStage : public Trainer, NnData {
 public:
  explicit OptimStage(const StageSetup& setup)
      : NnData(setup),
        optimizer_(model_->parameters(),
                   torch::optim::RMSpropOptions(setup.lr).alpha(kRmspropAlpha).eps(kRmspropEps)) {}

  void run(std::int64_t steps) override {
    for (std::int64_t t = 0; t < steps; ++t) {
      const Tensor y_pred = model_->forward(xx_);
      loss_ = loss_fn_(y_pred, y_);
      optimizer_.zero_grad();
      loss_.backward();
      optimizer_.step();
    }
  }

  double last_loss() override { return loss_.item<double>(); }

 private:
  torch::optim::RMSprop optimizer_;
};

// ------------------------------------------------------------------ 07, 08: custom modules
class Polynomial3 : public torch::nn::Module {
 public:
  Polynomial3() {
    a = register_parameter("a", scalar(kCubicStart[0]));
    b = register_parameter("b", scalar(kCubicStart[1]));
    c = register_parameter("c", scalar(kCubicStart[2]));
    d = register_parameter("d", scalar(kCubicStart[3]));
  }
  Tensor forward(const Tensor& x) { return a + b * x + c * x.pow(2) + d * x.pow(3); }

  Tensor a, b, c, d;
};

class DynamicNet : public torch::nn::Module {
 public:
  DynamicNet() {
    a = register_parameter("a", scalar(kDynamicStart[0]));
    b = register_parameter("b", scalar(kDynamicStart[1]));
    c = register_parameter("c", scalar(kDynamicStart[2]));
    d = register_parameter("d", scalar(kDynamicStart[3]));
    e = register_parameter("e", scalar(kDynamicStart[4]));
  }
  Tensor forward(const Tensor& x) {
    Tensor y = a + b * x + c * x.pow(2) + d * x.pow(3);
    const int upper = dynamic_upper_bound(calls_++);
    for (int exp = 4; exp < upper; ++exp) y = y + e * x.pow(exp);
    return y;
  }

  Tensor a, b, c, d, e;

 private:
  std::int64_t calls_ = 0;
};

template <class Model>
class ModuleStage : public Trainer, TorchData {
 public:
  ModuleStage(const StageSetup& setup, const torch::optim::SGDOptions& options)
      : TorchData(setup), optimizer_(model_.parameters(), options) {}

  void run(std::int64_t steps) override {
    for (std::int64_t t = 0; t < steps; ++t) {
      const Tensor y_pred = model_.forward(x_);
      loss_ = criterion_(y_pred, y_);
      optimizer_.zero_grad();
      loss_.backward();
      optimizer_.step();
    }
  }

  double last_loss() override { return loss_.item<double>(); }

 private:
  Model model_;
  torch::nn::MSELoss criterion_{torch::nn::MSELossOptions().reduction(torch::kSum)};
  torch::optim::SGD optimizer_;
};

}  // namespace

std::unique_ptr<Trainer> make_torch_trainer(const StageSetup& setup) {
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
      return std::make_unique<ModuleStage<Polynomial3>>(setup, torch::optim::SGDOptions(setup.lr));
    default:
      return std::make_unique<ModuleStage<DynamicNet>>(setup,
                                                       torch::optim::SGDOptions(setup.lr).momentum(kDynamicMomentum));
  }
}

}  // namespace eigrad_bench
