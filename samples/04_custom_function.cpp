/// \file 04_custom_function.cpp
/// \brief Tutorial stage 4, "PyTorch: Defining new autograd functions": the model
///        y = a + b * P3(c + d x) with the Legendre polynomial P3 as a custom autograd
///        Function that saves its input and supplies its own backward.
#include <ostream>

#include "common/stage.hpp"
#include "common/stages.hpp"
#include "common/training.hpp"
#include "eigrad/autograd/function.hpp"
#include "eigrad/tensor.hpp"

namespace eigrad::samples {

// [function]
/// P3(x) = ½(5x³ − 3x), with P3'(x) = 1.5(5x² − 1): the tutorial's custom Function.
struct LegendrePolynomial3 : autograd::Function<LegendrePolynomial3> {
  /// Computes P3(input) and saves input for backward.
  template <class T>
  static Tensor<T> forward(autograd::AutogradContext<T>& ctx, const Tensor<T>& input) {
    ctx.save_for_backward({input});
    return 0.5 * (5 * input.pow(3) - 3 * input);
  }
  /// grad_output · P3'(input).
  template <class T>
  static std::vector<Tensor<T>> backward(autograd::AutogradContext<T>& ctx,
                                         const std::vector<Tensor<T>>& grad_outputs) {
    const Tensor<T>& input = ctx.get_saved_variables()[0];
    return {grad_outputs[0] * 1.5 * (5 * input.pow(2) - 1)};
  }
};
// [function]

namespace {

template <class T>
StageRun train(const StageOptions& opts, std::ostream& out) {
  // [training]
  const auto [x, y] = sine_data<T>(opts);  // x = linspace(-pi, pi, n), y = sin(x)

  // The tutorial starts near the answer: a = 0, b = -1, c = 0, d = 0.3 (or --init's values).
  auto weight = [&](const char* key, double tutorial_value) {
    const double v = opts.init ? opts.init->at(key).at(0) : tutorial_value;
    return full<T>({}, static_cast<T>(v), TensorOptions(opts.device).requires_grad(true));
  };
  Tensor<T> a = weight("a", 0.0), b = weight("b", -1.0), c = weight("c", 0.0), d = weight("d", 0.3);

  const double learning_rate = opts.lr;
  StageRun run;
  for (std::int64_t t = 0; t < opts.iters; ++t) {
    const Tensor<T> y_pred = a + b * LegendrePolynomial3::apply(c + d * x);
    const Tensor<T> loss = (y_pred - y).pow(2).sum();
    trace_loss(out, run, opts, t, loss.template item<double>());

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

  const double ra = a.template item<double>(), rb = b.template item<double>();
  const double rc = c.template item<double>(), rd = d.template item<double>();
  print_result(out, "y = " + py_float(ra) + " + " + py_float(rb) + " * P3(" + py_float(rc) + " + " +
                        py_float(rd) + " x)");
  record_scalars(run, {ra, rb, rc, rd});
  run.model = [ra, rb, rc, rd](double v) {
    const double z = rc + rd * v;
    return ra + rb * 0.5 * (5 * z * z * z - 3 * z);
  };
  return run;
}

}  // namespace

StageDefaults defaults_custom_function() {
  StageDefaults d;
  d.title = "Tutorial stage 4, \"PyTorch: Defining new autograd functions\": y = a + b P3(c + d x), P3 a custom "
            "Function.";
  d.uses_seed = false;  // the tutorial's fixed start, or --init's
  d.lr = 5e-6;
  return d;
}

StageRun run_custom_function(const StageOptions& opts, std::ostream& out) {
  return run_in_dtype("04_custom_function", opts, out, &train<float>, &train<double>);
}

}  // namespace eigrad::samples

EIGRAD_STAGE_MAIN("04_custom_function", defaults_custom_function, run_custom_function)
