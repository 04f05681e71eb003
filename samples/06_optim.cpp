/// \file 06_optim.cpp
/// \brief Tutorial stage 6, "PyTorch: optim": the nn stage's model
///        (Sequential(Linear(3, 1), Flatten(0, 1)), MSELoss(sum)) trained by an optimizer
///        from eigrad::optim instead of a hand-written update: zero_grad(), backward(), step().
///        RMSprop with lr 1e-3 by default, as the tutorial; `--optimizer` and its option flags
///        pick another one (PyTorch's defaults for the options not given).
#include <map>
#include <memory>
#include <optional>
#include <ostream>
#include <string>

#include "common/stage.hpp"
#include "common/stages.hpp"
#include "eigrad/autograd/grad_mode.hpp"
#include "eigrad/errors.hpp"
#include "eigrad/nn/modules/container.hpp"
#include "eigrad/nn/modules/flatten.hpp"
#include "eigrad/nn/modules/linear.hpp"
#include "eigrad/nn/modules/loss.hpp"
#include "eigrad/optim/factory.hpp"
#include "eigrad/tensor.hpp"

namespace eigrad::samples {

namespace {

constexpr double kPi = 3.141592653589793;  // Python's math.pi

template <class T>
StageRun train(const StageOptions& opts, std::ostream& out) {
  const TensorOptions on_device(opts.device);
  const Tensor<T> x = linspace<T>(-kPi, kPi, opts.n, on_device);
  const Tensor<T> y = sin(x);

  // xx = x.unsqueeze(-1).pow(p) with p = (1, 2, 3): the columns x, x^2, x^3.
  const Tensor<T> p = Tensor<T>{1, 2, 3}.to(opts.device);
  const Tensor<T> xx = x.unsqueeze(-1).pow(p);

  seed_run(opts);  // Linear's default initialisation draws from eigrad's generator
  nn::Sequential<T> model(nn::Linear<T>(3, 1), nn::Flatten<T>(0, 1));
  nn::Linear<T>& linear = model.template at<nn::Linear<T>>(0);
  if (opts.init) {
    NoGradGuard no_grad;
    const auto& w = opts.init->at("weight");
    linear.weight.copy_(from_vector<T>({static_cast<T>(w[0]), static_cast<T>(w[1]), static_cast<T>(w[2])}, {1, 3}));
    linear.bias.copy_(from_vector<T>({static_cast<T>(opts.init->at("bias")[0])}, {1}));
  }
  model.to(opts.device);

  nn::MSELoss<T> loss_fn(nn::Reduction::Sum);
  const std::unique_ptr<optim::Optimizer<T>> optimizer =
      optim::make_optimizer<T>(opts.optimizer, model.parameters(), optimizer_options(opts));

  StageRun run;
  for (std::int64_t t = 0; t < opts.iters; ++t) {
    const Tensor<T> y_pred = model(xx);
    const Tensor<T> loss = loss_fn(y_pred, y);
    if (is_trace_step(opts, t)) print_trace_line(out, run, t, loss.template item<double>());

    optimizer->zero_grad();
    loss.backward();
    optimizer->step();
  }

  const std::vector<T> w = linear.weight.to(Device::cpu()).to_vector();
  const double bias = linear.bias.template item<double>();
  print_result(out, cubic_string(bias, w[0], w[1], w[2]));
  run.result = {{"weight", {w[0], w[1], w[2]}}, {"bias", {bias}}};
  return run;
}

}  // namespace

StageDefaults defaults_optim() {
  StageDefaults d;
  d.lr = 1e-3;
  d.has_optimizer_flags = true;
  d.optimizer = "rmsprop";
  d.init_keys = {{"weight", 3}, {"bias", 1}};
  return d;
}

StageRun run_optim(const StageOptions& opts, std::ostream& out) {
  check_device_available(opts.device);
  if (opts.dtype == "float32") return train<float>(opts, out);
  if (opts.dtype == "float64") return train<double>(opts, out);
  throw ValueError("06_optim: unknown dtype '" + opts.dtype + "' (expected float32 or float64)");
}

}  // namespace eigrad::samples

#ifndef EIGRAD_SAMPLE_NO_MAIN
int main(int argc, char** argv) {
  return eigrad::samples::stage_main(argc, argv, "06_optim", eigrad::samples::defaults_optim(),
                                     &eigrad::samples::run_optim);
}
#endif
