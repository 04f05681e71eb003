/// \file 02_tensor.cpp
/// \brief Tutorial stage 2, "PyTorch: Tensors": the same fit as stage 1 on eigrad tensors
///        (float32 by default), gradients still derived by hand. Every computation goes
///        through Tensor operations, so the stage runs wherever the tensors live.
#include <ostream>

#include "common/stage.hpp"
#include "common/stages.hpp"
#include "eigrad/errors.hpp"
#include "eigrad/tensor.hpp"

namespace eigrad::samples {

namespace {

/// Python's math.pi.
constexpr double kPi = 3.141592653589793;

template <class T>
StageRun train(const StageOptions& opts, std::ostream& out) {
  const TensorOptions on_device(opts.device);

  // Create random input and output data
  const Tensor<T> x = linspace<T>(-kPi, kPi, opts.n, on_device);
  const Tensor<T> y = sin(x);

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
    if (is_trace_step(opts, t)) print_trace_line(out, run, t, loss);

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

  const double ra = a.template item<double>(), rb = b.template item<double>();
  const double rc = c.template item<double>(), rd = d.template item<double>();
  print_result(out, cubic_string(ra, rb, rc, rd));
  run.result = {{"a", {ra}}, {"b", {rb}}, {"c", {rc}}, {"d", {rd}}};
  return run;
}

}  // namespace

StageDefaults defaults_tensor() {
  StageDefaults d;
  d.lr = 1e-6;
  d.iters = 2000;
  d.n = 2000;
  d.dtype = "float32";
  return d;
}

StageRun run_tensor(const StageOptions& opts, std::ostream& out) {
  // A device this build lacks is refused before any work (stage_main has checked already;
  // this guards direct callers).
  check_device_available(opts.device);
  if (opts.dtype == "float32") return train<float>(opts, out);
  if (opts.dtype == "float64") return train<double>(opts, out);
  throw ValueError("02_tensor: unknown dtype '" + opts.dtype + "' (expected float32 or float64)");
}

}  // namespace eigrad::samples

#ifndef EIGRAD_SAMPLE_NO_MAIN
int main(int argc, char** argv) {
  return eigrad::samples::stage_main(argc, argv, "02_tensor", eigrad::samples::defaults_tensor(),
                                     &eigrad::samples::run_tensor);
}
#endif
