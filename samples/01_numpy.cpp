/// \file 01_numpy.cpp
/// \brief Tutorial stage 1, "Warm-up: numpy": fit y = a + b x + c x^2 + d x^3 to sin(x) on
///        [-pi, pi] with gradients derived by hand, written directly on Eigen arrays as the
///        tutorial writes it on NumPy arrays (float64 by default, float32 with --dtype).
#include <Eigen/Core>
#include <cmath>
#include <ostream>
#include <utility>

#include "common/stage.hpp"
#include "common/stages.hpp"

namespace eigrad::samples {

namespace {

/// np.linspace(start, stop, num) as NumPy computes it: i * step + start in float64 with
/// step = (stop - start) / (num - 1), the last point set to stop exactly, then cast to T.
/// (PyTorch's linspace, used from stage 2 on, fills from both ends instead.)
template <class T>
Eigen::Array<T, Eigen::Dynamic, 1> numpy_linspace(double start, double stop, std::int64_t num) {
  Eigen::Array<T, Eigen::Dynamic, 1> out(num);
  const double step = num > 1 ? (stop - start) / static_cast<double>(num - 1) : 0.0;
  for (std::int64_t i = 0; i < num; ++i) out[i] = static_cast<T>(static_cast<double>(i) * step + start);
  if (num > 1) out[num - 1] = static_cast<T>(stop);
  return out;
}

template <class T>
StageRun train(const StageOptions& opts, std::ostream& out) {
  using Array = Eigen::Array<T, Eigen::Dynamic, 1>;

  // [training]
  // Create random input and output data
  const Array x = numpy_linspace<T>(-kPi, kPi, opts.n);
  const Array y = x.unaryExpr([](T v) { return std::sin(v); });

  // Randomly initialize weights
  seed_run(opts);
  T a = static_cast<T>(initial_scalar(opts, "a"));
  T b = static_cast<T>(initial_scalar(opts, "b"));
  T c = static_cast<T>(initial_scalar(opts, "c"));
  T d = static_cast<T>(initial_scalar(opts, "d"));

  // NumPy evaluates x ** 2 as np.square (x * x) and x ** 3 through the C library's pow.
  // Both depend on x only, so they are computed once rather than in every step: the
  // values are the same as the tutorial's.
  const Array x2 = x * x;
  const Array x3 = x.unaryExpr([](T v) { return std::pow(v, T(3)); });

  const T learning_rate = static_cast<T>(opts.lr);
  StageRun run;
  for (std::int64_t t = 0; t < opts.iters; ++t) {
    // Forward pass: compute predicted y
    // y = a + b x + c x^2 + d x^3
    const Array y_pred = a + b * x + c * x2 + d * x3;

    // Compute and print loss
    const T loss = (y_pred - y).square().sum();
    trace_loss(out, run, opts, t, static_cast<double>(loss));

    // Backprop to compute gradients of a, b, c, d with respect to loss
    const Array grad_y_pred = T(2) * (y_pred - y);
    const T grad_a = grad_y_pred.sum();
    const T grad_b = (grad_y_pred * x).sum();
    const T grad_c = (grad_y_pred * x2).sum();
    const T grad_d = (grad_y_pred * x3).sum();

    // Update weights
    a -= learning_rate * grad_a;
    b -= learning_rate * grad_b;
    c -= learning_rate * grad_c;
    d -= learning_rate * grad_d;
  }
  // [training]

  return finish_cubic_run(out, std::move(run), a, b, c, d);
}

}  // namespace

StageDefaults defaults_numpy() {
  StageDefaults d;  // lr 1e-6, 2000 steps, 2000 points
  d.title = "Tutorial stage 1, \"Warm-up: numpy\": manual gradients on Eigen arrays.";
  d.dtype = "float64";
  return d;
}

StageRun run_numpy(const StageOptions& opts, std::ostream& out) {
  require_cpu("01_numpy", opts);
  return run_in_dtype("01_numpy", opts, out, &train<float>, &train<double>);
}

}  // namespace eigrad::samples

EIGRAD_STAGE_MAIN("01_numpy", defaults_numpy, run_numpy)
