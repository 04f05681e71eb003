/// \file 07_custom_module.cpp
/// \brief Tutorial stage 7, "PyTorch: Custom nn Modules": a Polynomial3 module of our own
///        with four parameters, an MSE (sum) loss and optim::SGD.
#include <ostream>
#include <string>

#include "common/stage.hpp"
#include "common/stages.hpp"
#include "common/training.hpp"
#include "eigrad/nn/nn.hpp"
#include "eigrad/optim/sgd.hpp"
#include "eigrad/tensor.hpp"

namespace eigrad::samples {

namespace {

// [module]
/// The tutorial's custom module: a + b x + c x^2 + d x^3 with four scalar parameters.
template <class T>
class Polynomial3 : public nn::Module<T> {
 public:
  /// Registers a, b, c, d with the given starting values.
  Polynomial3(double a0, double b0, double c0, double d0, const Device& device) {
    auto scalar = [&](double v) { return scalar_tensor<T>(static_cast<T>(v), TensorOptions(device)); };
    a = this->register_parameter("a", scalar(a0));
    b = this->register_parameter("b", scalar(b0));
    c = this->register_parameter("c", scalar(c0));
    d = this->register_parameter("d", scalar(d0));
  }

  /// The polynomial at every element of \p x.
  Tensor<T> forward(const Tensor<T>& x) override { return a + b * x + c * x.pow(2) + d * x.pow(3); }

  /// "y = a + b x + c x^2 + d x^3" with the current values, as the tutorial's string().
  std::string string() const {
    return cubic_string(a.template item<double>(), b.template item<double>(), c.template item<double>(),
                        d.template item<double>());
  }

  Tensor<T> a, b, c, d;  ///< the parameters
};
// [module]

template <class T>
StageRun train(const StageOptions& opts, std::ostream& out) {
  // [training]
  const auto [x, y] = sine_data<T>(opts);  // x = linspace(-pi, pi, n), y = sin(x)

  seed_run(opts);
  // Drawn one after another, in the order of the tutorial's torch.randn(()) calls.
  const double a0 = initial_scalar(opts, "a");
  const double b0 = initial_scalar(opts, "b");
  const double c0 = initial_scalar(opts, "c");
  const double d0 = initial_scalar(opts, "d");
  Polynomial3<T> model(a0, b0, c0, d0, opts.device);

  nn::MSELoss<T> criterion(nn::Reduction::Sum);
  optim::SGD<T> optimizer(model.parameters(), optim::SGDOptions(opts.lr));

  StageRun run;
  for (std::int64_t t = 0; t < opts.iters; ++t) {
    const Tensor<T> y_pred = model(x);
    const Tensor<T> loss = criterion(y_pred, y);
    trace_loss(out, run, opts, t, loss.template item<double>());

    // PyTorch 1.13, whose runs made the golden traces, zeroes gradients here rather than
    // resetting them to None (see 08_dynamic_net).
    optimizer.zero_grad(/*set_to_none=*/false);
    loss.backward();
    optimizer.step();
  }
  // [training]

  print_result(out, model.string());
  record_scalars(run, {model.a.template item<double>(), model.b.template item<double>(),
                       model.c.template item<double>(), model.d.template item<double>()});
  run.model = cubic_model(run.result["a"][0], run.result["b"][0], run.result["c"][0], run.result["d"][0]);
  return run;
}

}  // namespace

StageDefaults defaults_custom_module() {
  StageDefaults d;  // lr 1e-6, 2000 steps, 2000 points, float32
  d.title = "Tutorial stage 7, \"PyTorch: Custom nn Modules\": a Polynomial3 Module trained by SGD.";
  return d;
}

StageRun run_custom_module(const StageOptions& opts, std::ostream& out) {
  return run_in_dtype("07_custom_module", opts, out, &train<float>, &train<double>);
}

}  // namespace eigrad::samples

EIGRAD_STAGE_MAIN("07_custom_module", defaults_custom_module, run_custom_module)
