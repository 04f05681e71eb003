/// \file 08_dynamic_net.cpp
/// \brief Tutorial stage 8, "PyTorch: Control Flow + Weight Sharing": each forward adds
///        e·x^4 and e·x^5 or not, at random, reusing the one parameter e; SGD with momentum.
#include <cmath>
#include <functional>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "common/stage.hpp"
#include "common/stages.hpp"
#include "common/training.hpp"
#include "eigrad/errors.hpp"
#include "eigrad/nn/nn.hpp"
#include "eigrad/optim/sgd.hpp"
#include "eigrad/random.hpp"
#include "eigrad/tensor.hpp"

namespace eigrad::samples {

namespace {

// [module]
/// The tutorial's DynamicNet: a cubic plus 0, 1 or 2 higher terms sharing the weight e.
template <class T>
class DynamicNet : public nn::Module<T> {
 public:
  /// Registers a..e with \p start's values. \p bounds, when given, replays the upper bound
  /// of every forward's exponent loop (one per call) instead of drawing it.
  DynamicNet(const std::vector<double>& start, std::optional<std::vector<int>> bounds, const Device& device)
      : bounds_(std::move(bounds)) {
    auto scalar = [&](double v) { return scalar_tensor<T>(static_cast<T>(v), TensorOptions(device)); };
    a = this->register_parameter("a", scalar(start.at(0)));
    b = this->register_parameter("b", scalar(start.at(1)));
    c = this->register_parameter("c", scalar(start.at(2)));
    d = this->register_parameter("d", scalar(start.at(3)));
    e = this->register_parameter("e", scalar(start.at(4)));
  }

  /// a + b x + c x^2 + d x^3, then + e x^exp for exp = 4 .. k-1 with k uniform in {4, 5, 6}
  /// (Python's random.randint(4, 6)): ordinary C++ control flow, rebuilt every call, and
  /// autograd follows whichever graph this call built.
  Tensor<T> forward(const Tensor<T>& x) override {
    Tensor<T> y = a + b * x + c * x.pow(2) + d * x.pow(3);
    const std::int64_t upper = next_bound();
    for (std::int64_t exp = 4; exp < upper; ++exp) y = y + e * x.pow(static_cast<double>(exp));
    return y;
  }

  /// The tutorial's string(): the x^4 and x^5 terms each carry a '?' since they may be absent.
  std::string string() const {
    const std::string ev = py_float(e.template item<double>());
    return "y = " + py_float(a.template item<double>()) + " + " + py_float(b.template item<double>()) + " x + " +
           py_float(c.template item<double>()) + " x^2 + " + py_float(d.template item<double>()) + " x^3 + " + ev +
           " x^4 ? + " + ev + " x^5 ?";
  }

  Tensor<T> a, b, c, d, e;  ///< the parameters

 private:
  std::int64_t next_bound() {
    if (!bounds_) return default_generator().randint(4, 6);
    EIGRAD_CHECK(calls_ < bounds_->size(), ValueError, "DynamicNet: forward call ", calls_ + 1,
                 " has no exponent upper bound (", bounds_->size(), " given)");
    return (*bounds_)[calls_++];
  }

  std::optional<std::vector<int>> bounds_;
  std::size_t calls_ = 0;
};
// [module]

template <class T>
StageRun train(const StageOptions& opts, std::ostream& out) {
  // [training]
  const auto [x, y] = sine_data<T>(opts);  // x = linspace(-pi, pi, n), y = sin(x)

  seed_run(opts);
  std::vector<double> start;
  for (const char* key : {"a", "b", "c", "d", "e"}) start.push_back(initial_scalar(opts, key));
  DynamicNet<T> model(start, opts.exponent_upper_bounds, opts.device);

  // Plain SGD would take too long here; the tutorial uses momentum.
  nn::MSELoss<T> criterion(nn::Reduction::Sum);
  optim::SGD<T> optimizer(model.parameters(), optim::SGDOptions(opts.lr).momentum(opts.momentum.value_or(0.9)));

  StageRun run;
  for (std::int64_t t = 0; t < opts.iters; ++t) {
    const Tensor<T> y_pred = model(x);
    const Tensor<T> loss = criterion(y_pred, y);
    trace_loss(out, run, opts, t, loss.template item<double>());

    // PyTorch 1.13, whose runs made the golden traces, zeroes gradients here rather than
    // resetting them to None: on a step whose forward skips e, e's gradient is then 0 (not
    // absent), so SGD still moves it by its momentum.
    optimizer.zero_grad(/*set_to_none=*/false);
    loss.backward();
    optimizer.step();
  }
  // [training]

  print_result(out, model.string());
  record_scalars(run, {model.a.template item<double>(), model.b.template item<double>(),
                       model.c.template item<double>(), model.d.template item<double>(),
                       model.e.template item<double>()});
  // The forward adds e x^4 on two of the three draws of its bound and e x^5 on one: the
  // curve drawn is the mean prediction.
  const std::function<double(double)> cubic =
      cubic_model(run.result["a"][0], run.result["b"][0], run.result["c"][0], run.result["d"][0]);
  const double e = run.result["e"][0];
  run.model = [cubic, e](double v) { return cubic(v) + e * (2.0 / 3.0 * std::pow(v, 4) + 1.0 / 3.0 * std::pow(v, 5)); };
  return run;
}

}  // namespace

StageDefaults defaults_dynamic_net() {
  StageDefaults d;
  d.title = "Tutorial stage 8, \"PyTorch: Control Flow + Weight Sharing\": a random number of terms sharing e, "
            "SGD with momentum.";
  d.lr = 1e-8;
  d.iters = 30000;
  d.print_every = 2000;
  d.has_exponent_bounds = true;
  d.init_keys = {{"a", 1}, {"b", 1}, {"c", 1}, {"d", 1}, {"e", 1}};
  return d;
}

StageRun run_dynamic_net(const StageOptions& opts, std::ostream& out) {
  return run_in_dtype("08_dynamic_net", opts, out, &train<float>, &train<double>);
}

}  // namespace eigrad::samples

EIGRAD_STAGE_MAIN("08_dynamic_net", defaults_dynamic_net, run_dynamic_net)
