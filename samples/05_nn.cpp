/// \file 05_nn.cpp
/// \brief Tutorial stage 5, "PyTorch: nn": the polynomial as `Sequential(Linear(3, 1),
///        Flatten(0, 1))` on the features x, x², x³, an MSE (sum) loss, and a manual update of
///        `model.parameters()` under NoGradGuard.
#include <ostream>
#include <utility>

#include "common/stage.hpp"
#include "common/stages.hpp"
#include "common/training.hpp"
#include "eigrad/autograd/grad_mode.hpp"
#include "eigrad/nn/nn.hpp"
#include "eigrad/tensor.hpp"

namespace eigrad::samples {

namespace {

template <class T>
StageRun train(const StageOptions& opts, std::ostream& out) {
  // [training]
  const auto [x, y] = sine_data<T>(opts);  // x = linspace(-pi, pi, n), y = sin(x)

  // The output y is a linear function of (x, x^2, x^3): xx = x.unsqueeze(-1).pow((1, 2, 3)).
  const Tensor<T> xx = cubic_features(x);

  // Sequential(Linear(3, 1), Flatten(0, 1)): Linear holds the weights and bias, Flatten turns
  // its [n, 1] output into [n] to match y.
  seed_run(opts);
  nn::Sequential<T> model(nn::Linear<T>(3, 1), nn::Flatten<T>(0, 1));
  start_cubic_model(model, opts);  // --init's weights, opts.device
  nn::MSELoss<T> loss_fn(nn::Reduction::Sum);

  const double learning_rate = opts.lr;
  StageRun run;
  for (std::int64_t t = 0; t < opts.iters; ++t) {
    const Tensor<T> y_pred = model(xx);
    const Tensor<T> loss = loss_fn(y_pred, y);
    trace_loss(out, run, opts, t, loss.template item<double>());

    model.zero_grad(/*set_to_none=*/false);  // PyTorch 1.13's default (the golden run's)
    loss.backward();

    {
      NoGradGuard no_grad;  // the update itself must not be recorded
      for (Tensor<T> param : model.parameters()) param -= learning_rate * param.grad();
    }
  }
  // [training]

  return finish_linear_run(out, std::move(run), model);
}

}  // namespace

StageDefaults defaults_nn() {
  StageDefaults d;  // lr 1e-6, 2000 steps, 2000 points, float32
  d.title = "Tutorial stage 5, \"PyTorch: nn\": Sequential(Linear(3, 1), Flatten(0, 1)) and MSELoss.";
  d.init_keys = {{"weight", 3}, {"bias", 1}};
  return d;
}

StageRun run_nn(const StageOptions& opts, std::ostream& out) {
  return run_in_dtype("05_nn", opts, out, &train<float>, &train<double>);
}

}  // namespace eigrad::samples

EIGRAD_STAGE_MAIN("05_nn", defaults_nn, run_nn)
