/// \file 02_tensor.cpp
/// \brief Tutorial stage 2, "PyTorch: Tensors": the same fit as stage 1 on eigrad tensors
///        (float32 by default), gradients still derived by hand. Every computation goes
///        through Tensor operations, so the stage runs wherever the tensors live.
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
  const TensorOptions on_device(opts.device);

  // Create input and output data: x = linspace(-pi, pi, n), y = sin(x)
  const auto [x, y] = sine_data<T>(opts);

  // Randomly initialize weights
  seed_run(opts);
  Tensor<T> a = scalar_tensor<T>(static_cast<T>(initial_scalar(opts, "a")), on_device);
  Tensor<T> b = scalar_tensor<T>(static_cast<T>(initial_scalar(opts, "b")), on_device);
  Tensor<T> c = scalar_tensor<T>(static_cast<T>(initial_scalar(opts, "c")), on_device);
  Tensor<T> d = scalar_tensor<T>(static_cast<T>(initial_scalar(opts, "d")), on_device);

  const double learning_rate = opts.lr;
  StageRun run;
  for (std::int64_t t = 0; t < opts.iters; ++t) {
    // Forward pass: compute predicted y
    const Tensor<T> y_pred = a + b * x + c * x.pow(2) + d * x.pow(3);

    // Compute and print loss
    const double loss = (y_pred - y).pow(2).sum().template item<double>();
    trace_loss(out, run, opts, t, loss);

    // Backprop to compute gradients of a, b, c, d with respect to loss
    const Tensor<T> grad_y_pred = 2.0 * (y_pred - y);
    const Tensor<T> grad_a = grad_y_pred.sum();
    const Tensor<T> grad_b = (grad_y_pred * x).sum();
    const Tensor<T> grad_c = (grad_y_pred * x.pow(2)).sum();
    const Tensor<T> grad_d = (grad_y_pred * x.pow(3)).sum();

    // Update weights using gradient descent
    a -= learning_rate * grad_a;
    b -= learning_rate * grad_b;
    c -= learning_rate * grad_c;
    d -= learning_rate * grad_d;
  }
  // [training]

  return finish_cubic_run(out, std::move(run), a, b, c, d);
}

}  // namespace

StageDefaults defaults_tensor() {
  StageDefaults d;  // lr 1e-6, 2000 steps, 2000 points, float32
  d.title = "Tutorial stage 2, \"PyTorch: Tensors\": eigrad tensors, manual gradients.";
  return d;
}

StageRun run_tensor(const StageOptions& opts, std::ostream& out) {
  return run_in_dtype("02_tensor", opts, out, &train<float>, &train<double>);
}

}  // namespace eigrad::samples

EIGRAD_STAGE_MAIN("02_tensor", defaults_tensor, run_tensor)
