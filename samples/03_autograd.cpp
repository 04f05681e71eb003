/// \file 03_autograd.cpp
/// \brief Tutorial stage 3, "PyTorch: Tensors and autograd": a, b, c, d require grad, the
///        loss's backward() fills their gradients, the update runs under NoGradGuard and
///        the gradients are reset as `a.grad = None` does.
#include <ostream>

#include "common/stage.hpp"
#include "common/stages.hpp"
#include "eigrad/autograd/grad_mode.hpp"
#include "eigrad/errors.hpp"
#include "eigrad/tensor.hpp"

namespace eigrad::samples {

namespace {

constexpr double kPi = 3.141592653589793;  // Python's math.pi

template <class T>
StageRun train(const StageOptions& opts, std::ostream& out) {
  const TensorOptions on_device(opts.device);
  const Tensor<T> x = linspace<T>(-kPi, kPi, opts.n, on_device);
  const Tensor<T> y = sin(x);

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
    if (is_trace_step(opts, t)) print_trace_line(out, run, t, loss.template item<double>());

    loss.backward();

    {
      NoGradGuard no_grad;  // the update itself must not be recorded
      a -= learning_rate * a.grad();
      b -= learning_rate * b.grad();
      c -= learning_rate * c.grad();
      d -= learning_rate * d.grad();
      a.grad() = {};
      b.grad() = {};
      c.grad() = {};
      d.grad() = {};
    }
  }

  const double ra = a.template item<double>(), rb = b.template item<double>();
  const double rc = c.template item<double>(), rd = d.template item<double>();
  print_result(out, cubic_string(ra, rb, rc, rd));
  run.result = {{"a", {ra}}, {"b", {rb}}, {"c", {rc}}, {"d", {rd}}};
  return run;
}

}  // namespace

StageDefaults defaults_autograd() { return StageDefaults{}; }  // lr 1e-6, 2000 steps, float32

StageRun run_autograd(const StageOptions& opts, std::ostream& out) {
  check_device_available(opts.device);
  if (opts.dtype == "float32") return train<float>(opts, out);
  if (opts.dtype == "float64") return train<double>(opts, out);
  throw ValueError("03_autograd: unknown dtype '" + opts.dtype + "' (expected float32 or float64)");
}

}  // namespace eigrad::samples

#ifndef EIGRAD_SAMPLE_NO_MAIN
int main(int argc, char** argv) {
  return eigrad::samples::stage_main(argc, argv, "03_autograd", eigrad::samples::defaults_autograd(),
                                     &eigrad::samples::run_autograd);
}
#endif
