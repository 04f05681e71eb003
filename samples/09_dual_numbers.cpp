/// \file 09_dual_numbers.cpp
/// \brief Beyond the tutorial: the same cubic fit of sin(x) on [-pi, pi], done with
///        forward-mode differentiation. The loss L(a, b, c, d) = sum((a + b x + c x^2 +
///        d x^3 - y)^2) is written once, generically in its scalar type; evaluated on
///        Dual<double, 4> it gives the gradient, on Dual<Dual<double, 4>, 4> the exact
///        Hessian, and Newton's method then reaches the least-squares optimum in a step or
///        two. The result is compared with Eigen's QR least-squares solve.
#include <Eigen/Core>
#include <cmath>
#include <ostream>
#include <string>

#include "common/stage.hpp"
#include "common/stages.hpp"
#include "eigrad/dual.hpp"
#include "eigrad/dual_eigen.hpp"
#include "eigrad/errors.hpp"
#include "eigrad/forward.hpp"
#include "eigrad/linalg.hpp"
#include "eigrad/tensor.hpp"

namespace eigrad::samples {

namespace {

template <class T>
StageRun train(const StageOptions& opts, std::ostream& out) {
  using Array = Eigen::Array<T, Eigen::Dynamic, 1>;
  using Vector4 = Eigen::Matrix<T, 4, 1>;
  // [training]
  EIGRAD_CHECK(opts.n >= 4, ValueError,
               "09_dual_numbers: a cubic has 4 coefficients, so fitting it needs --n of at least 4 points (got ",
               opts.n, ")");

  // Create input and output data (PyTorch's linspace, as the tensor stages use)
  const Array x = linspace<T>(-kPi, kPi, opts.n).array();
  const Array y = x.sin();
  const Array x2 = x * x;
  const Array x3 = x2 * x;

  // Randomly initialize weights
  seed_run(opts);
  Vector4 p;
  p << static_cast<T>(initial_scalar(opts, "a")), static_cast<T>(initial_scalar(opts, "b")),
      static_cast<T>(initial_scalar(opts, "c")), static_cast<T>(initial_scalar(opts, "d"));

  // The loss, for any scalar type S: T itself, Dual<T, 4> (gradient) or
  // Dual<Dual<T, 4>, 4> (Hessian). The dual coefficients mix with the plain arrays x, y
  // directly; Eigen evaluates the whole sum in one pass without temporaries.
  const auto loss = [&](const auto& w) {
    return (w(0) + w(1) * x + w(2) * x2 + w(3) * x3 - y).square().sum();
  };

  StageRun run;
  for (std::int64_t t = 0; t < opts.iters; ++t) {
    // Loss and gradient in one pass of Dual<T, 4>: one tangent per coefficient.
    const auto [value, gradient] = forward::value_and_gradient(loss, p);
    print_trace_line(out, run, t, static_cast<double>(value));
    record_loss(run, opts, t, static_cast<double>(value));

    // The exact Hessian from one pass of Dual<Dual<T, 4>, 4>. The loss is quadratic in the
    // coefficients, so one Newton step lands on the optimum up to rounding; later steps
    // refine it the way iterative refinement does.
    // torch.linalg.solve(H, g): LU with partial pivoting, compiled once in the library.
    Eigen::Matrix<T, 4, 4, Eigen::RowMajor> hessian = forward::hessian(loss, p);
    Vector4 g = gradient;
    const Tensor<T> solution = linalg::solve(from_eigen(hessian), from_eigen(g));
    const Eigen::Map<const Vector4> step(solution.data());
    p -= step;

    // Stop once the correction is at the level of rounding in the coefficients.
    const T tiny = T(64) * Eigen::NumTraits<T>::epsilon() * (T(1) + p.template lpNorm<Eigen::Infinity>());
    if (!(step.template lpNorm<Eigen::Infinity>() > tiny)) break;
  }
  // [training]
  print_result(out, cubic_string(p(0), p(1), p(2), p(3)));
  record_scalars(run, {p(0), p(1), p(2), p(3)});
  run.model = cubic_model(p(0), p(1), p(2), p(3));

  // The same least-squares problem solved directly: QR of the Vandermonde matrix.
  Tensor<T> vandermonde = empty<T>({static_cast<std::int64_t>(x.size()), 4});
  vandermonde.matrix() << Array::Ones(x.size()), x, x2, x3;
  const Tensor<T> solution = linalg::lstsq(vandermonde, from_eigen(Array(y)));
  const Vector4 qr = Eigen::Map<const Vector4>(solution.data());
  const T difference = (p - qr).template lpNorm<Eigen::Infinity>();
  out << "QR least squares: " << cubic_string(qr(0), qr(1), qr(2), qr(3)) << '\n';
  out << "Largest difference from Newton's: " << py_float(static_cast<double>(difference)) << '\n';
  return run;
}

}  // namespace

StageDefaults defaults_dual_numbers() {
  StageDefaults d;
  d.title = "Beyond the tutorial (stage 9): forward-mode gradients and Hessians with dual numbers, Newton's method.";
  d.uses_lr = false;  // Newton's method takes the step the Hessian gives
  d.iters = 10;
  d.n = 2000;
  d.dtype = "float64";
  d.print_every = 1;
  return d;
}

StageRun run_dual_numbers(const StageOptions& opts, std::ostream& out) {
  // float64 only: the point is agreement with the QR solve to 1e-9, beyond float32's reach;
  // one instantiation also keeps the sample quick to compile.
  require_cpu("09_dual_numbers", opts);
  return run_in_dtype("09_dual_numbers", opts, out, nullptr, &train<double>);
}

}  // namespace eigrad::samples

EIGRAD_STAGE_MAIN("09_dual_numbers", defaults_dual_numbers, run_dual_numbers)
