/// \file 05_nn.cpp
/// \brief Tutorial stage 5, "PyTorch: nn": the polynomial as `Sequential(Linear(3, 1),
///        Flatten(0, 1))` on the features x, x², x³, an MSE (sum) loss, and a manual update of
///        `model.parameters()` under NoGradGuard.
#include <ostream>

#include "common/stage.hpp"
#include "common/stages.hpp"
#include "eigrad/autograd/grad_mode.hpp"
#include "eigrad/errors.hpp"
#include "eigrad/nn/nn.hpp"
#include "eigrad/tensor.hpp"

namespace eigrad::samples {

namespace {

constexpr double kPi = 3.141592653589793;  // Python's math.pi

template <class T>
StageRun train(const StageOptions& opts, std::ostream& out) {
  const TensorOptions on_device(opts.device);
  const Tensor<T> x = linspace<T>(-kPi, kPi, opts.n, on_device);
  const Tensor<T> y = sin(x);

  // The output y is a linear function of (x, x^2, x^3): xx has shape [n, 3].
  const Tensor<T> p = Tensor<T>{1, 2, 3}.to(opts.device);
  const Tensor<T> xx = x.unsqueeze(-1).pow(p);

  // Linear(3, 1) holds the weights and bias; Flatten(0, 1) turns its [n, 1] output into [n]
  // to match y.
  seed_run(opts);
  nn::Sequential<T> model(nn::Linear<T>(3, 1), nn::Flatten<T>(0, 1));
  nn::Linear<T>& linear_layer = model.template at<nn::Linear<T>>(0);
  if (opts.init) {
    NoGradGuard no_grad;
    linear_layer.weight.copy_(from_vector<T>(
        std::vector<T>(opts.init->at("weight").begin(), opts.init->at("weight").end()), {1, 3}));
    linear_layer.bias.fill_(static_cast<T>(opts.init->at("bias").at(0)));
  }
  model.to(opts.device);

  nn::MSELoss<T> loss_fn(nn::Reduction::Sum);

  const double learning_rate = opts.lr;
  StageRun run;
  for (std::int64_t t = 0; t < opts.iters; ++t) {
    const Tensor<T> y_pred = model(xx);
    const Tensor<T> loss = loss_fn(y_pred, y);
    if (is_trace_step(opts, t)) print_trace_line(out, run, t, loss.template item<double>());

    model.zero_grad(/*set_to_none=*/false);  // PyTorch 1.13's default (the golden run's)
    loss.backward();

    {
      NoGradGuard no_grad;  // the update itself must not be recorded
      for (Tensor<T> param : model.parameters()) param -= learning_rate * param.grad();
    }
  }

  const std::vector<T> w = linear_layer.weight.to_vector();
  const double bias = linear_layer.bias.template item<double>();
  print_result(out, "y = " + py_float(bias) + " + " + py_float(w[0]) + " x + " + py_float(w[1]) + " x^2 + " +
                        py_float(w[2]) + " x^3");
  run.result = {{"weight", {double(w[0]), double(w[1]), double(w[2])}}, {"bias", {bias}}};
  return run;
}

}  // namespace

StageDefaults defaults_nn() {
  StageDefaults d;  // lr 1e-6, 2000 steps, 2000 points, float32
  d.init_keys = {{"weight", 3}, {"bias", 1}};
  return d;
}

StageRun run_nn(const StageOptions& opts, std::ostream& out) {
  check_device_available(opts.device);
  if (opts.dtype == "float32") return train<float>(opts, out);
  if (opts.dtype == "float64") return train<double>(opts, out);
  throw ValueError("05_nn: unknown dtype '" + opts.dtype + "' (expected float32 or float64)");
}

}  // namespace eigrad::samples

#ifndef EIGRAD_SAMPLE_NO_MAIN
int main(int argc, char** argv) {
  return eigrad::samples::stage_main(argc, argv, "05_nn", eigrad::samples::defaults_nn(), &eigrad::samples::run_nn);
}
#endif
