/// \file 03_autograd.cpp
/// \brief Tutorial stage 3, "PyTorch: Tensors and autograd": a, b, c, d require grad, the
///        loss's backward() fills their gradients, the update runs under NoGradGuard and
///        the gradients are reset as `a.grad = None` does.
#include <ostream>
#include <utility>

#include "common/stage.hpp"
#include "common/stages.hpp"
#include "common/training.hpp"
#include "eigrad/tensor.hpp"

namespace eigrad::samples {

namespace {

template <class T>
StageRun train(const StageOptions& opts, std::ostream& out) {
  // [training]
  const auto [x, y] = sine_data<T>(opts);  // x = linspace(-pi, pi, n), y = sin(x)

  // Tensors that require grad: backward() computes the loss's gradient with respect to them.
  seed_run(opts);
  auto weight = [&](const char* key) {
    return scalar_tensor<T>(static_cast<T>(initial_scalar(opts, key)),
                            TensorOptions(opts.device).requires_grad(true));
  };
  Tensor<T> a = weight("a"), b = weight("b"), c = weight("c"), d = weight("d");

  const double learning_rate = opts.lr;
  StageRun run;
  for (std::int64_t t = 0; t < opts.iters; ++t) {
    const Tensor<T> y_pred = a + b * x + c * x.pow(2) + d * x.pow(3);
    const Tensor<T> loss = (y_pred - y).pow(2).sum();
    trace_loss(out, run, opts, t, loss.template item<double>());

    // backward() fills a.grad() .. d.grad() with the loss's gradient.
    loss.backward();

    // Update the weights by gradient descent, unrecorded, then reset their gradients
    // (as the tutorial's `with torch.no_grad(): a -= learning_rate * a.grad; a.grad = None`).
    {
      NoGradGuard no_grad;
      for (Tensor<T>* w : {&a, &b, &c, &d}) {
        *w -= learning_rate * w->grad();
        w->grad() = {};
      }
    }
  }
  // [training]

  return finish_cubic_run(out, std::move(run), a, b, c, d);
}

}  // namespace

StageDefaults defaults_autograd() {
  StageDefaults d;  // lr 1e-6, 2000 steps, 2000 points, float32
  d.title = "Tutorial stage 3, \"PyTorch: Tensors and autograd\": backward() computes the gradients.";
  return d;
}

StageRun run_autograd(const StageOptions& opts, std::ostream& out) {
  return run_in_dtype("03_autograd", opts, out, &train<float>, &train<double>);
}

}  // namespace eigrad::samples

EIGRAD_STAGE_MAIN("03_autograd", defaults_autograd, run_autograd)
