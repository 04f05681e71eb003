/// \file 06_optim.cpp
/// \brief Tutorial stage 6, "PyTorch: optim": the nn stage's model
///        (Sequential(Linear(3, 1), Flatten(0, 1)), MSELoss(sum)) trained by an optimizer
///        from eigrad::optim instead of a hand-written update: zero_grad(), backward(), step().
///        RMSprop with lr 1e-3 by default, as the tutorial; `--optimizer` and its option flags
///        pick another one (PyTorch's defaults for the options not given).
#include <memory>
#include <ostream>
#include <utility>

#include "common/stage.hpp"
#include "common/stages.hpp"
#include "common/training.hpp"
#include "eigrad/nn/modules/container.hpp"
#include "eigrad/nn/modules/flatten.hpp"
#include "eigrad/nn/modules/linear.hpp"
#include "eigrad/nn/modules/loss.hpp"
#include "eigrad/optim/factory.hpp"
#include "eigrad/tensor.hpp"

namespace eigrad::samples {

namespace {

template <class T>
StageRun train(const StageOptions& opts, std::ostream& out) {
  // [training]
  // The nn stage's data, features x, x^2, x^3, model and loss.
  const auto [x, y] = sine_data<T>(opts);
  const Tensor<T> xx = cubic_features(x);
  seed_run(opts);  // Linear's default initialisation draws from eigrad's generator
  nn::Sequential<T> model(nn::Linear<T>(3, 1), nn::Flatten<T>(0, 1));
  start_cubic_model(model, opts);  // --init's weights, opts.device
  nn::MSELoss<T> loss_fn(nn::Reduction::Sum);

  // The optimizer updates the model's parameters in place of the manual update.
  const std::unique_ptr<optim::Optimizer<T>> optimizer =
      optim::make_optimizer<T>(opts.optimizer, model.parameters(), optimizer_options(opts));

  StageRun run;
  for (std::int64_t t = 0; t < opts.iters; ++t) {
    const Tensor<T> y_pred = model(xx);
    const Tensor<T> loss = loss_fn(y_pred, y);
    trace_loss(out, run, opts, t, loss.template item<double>());

    // PyTorch 1.13, whose runs made the golden traces, zeroes gradients here rather than
    // resetting them to None (see 08_dynamic_net).
    optimizer->zero_grad(/*set_to_none=*/false);
    loss.backward();
    optimizer->step();
  }
  // [training]
  return finish_linear_run(out, std::move(run), model);
}

}  // namespace

StageDefaults defaults_optim() {
  StageDefaults d;
  d.title = "Tutorial stage 6, \"PyTorch: optim\": the nn stage trained by an optimizer (RMSprop by default).";
  d.lr = 1e-3;
  d.has_optimizer_flags = true;
  d.optimizer = "rmsprop";
  d.init_keys = {{"weight", 3}, {"bias", 1}};
  return d;
}

StageRun run_optim(const StageOptions& opts, std::ostream& out) {
  return run_in_dtype("06_optim", opts, out, &train<float>, &train<double>);
}

}  // namespace eigrad::samples

EIGRAD_STAGE_MAIN("06_optim", defaults_optim, run_optim)
