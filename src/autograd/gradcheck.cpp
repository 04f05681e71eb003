#include "eigrad/autograd/gradcheck.hpp"

#include <cmath>
#include <ostream>
#include <sstream>

#include "eigrad/autograd/grad_mode.hpp"

namespace eigrad::autograd {

namespace {

/// Inputs as the function sees them: fresh leaves sharing nothing with the caller's tensors.
std::vector<Tensor<double>> fresh_leaves(const std::vector<Tensor<double>>& inputs) {
  std::vector<Tensor<double>> leaves;
  for (const auto& t : inputs) {
    Tensor<double> c = t.detach().clone();
    if (t.requires_grad()) c.requires_grad_(true);
    leaves.push_back(c);
  }
  return leaves;
}

}  // namespace

Tensor<double> jacobian_reverse(const DifferentiableFunction& f, const std::vector<Tensor<double>>& inputs,
                                std::size_t input) {
  auto leaves = fresh_leaves(inputs);
  leaves.at(input).requires_grad_(true);
  Tensor<double> y = f(leaves);
  const std::int64_t m = y.numel(), n = leaves[input].numel();
  Tensor<double> jac = zeros<double>({m, n});
  if (!y.requires_grad()) return jac;  // the output does not depend on any input
  for (std::int64_t j = 0; j < m; ++j) {
    for (auto& l : leaves) l.grad() = {};
    Tensor<double> seed = zeros<double>(y.shape());
    seed.data()[j] = 1;
    y.backward(seed, /*retain_graph=*/true);
    const Tensor<double>& g = leaves[input].grad();
    if (g.defined())
      for (std::int64_t i = 0; i < n; ++i) jac.data()[j * n + i] = g.data()[i];
  }
  return jac;
}

Tensor<double> jacobian_numerical(const DifferentiableFunction& f, const std::vector<Tensor<double>>& inputs,
                                  std::size_t input, double eps) {
  NoGradGuard no_grad;
  auto leaves = fresh_leaves(inputs);
  Tensor<double>& x = leaves.at(input);
  const std::int64_t n = x.numel();
  const std::int64_t m = f(leaves).numel();
  Tensor<double> jac = zeros<double>({m, n});
  for (std::int64_t i = 0; i < n; ++i) {
    const double orig = x.data()[i];
    x.data()[i] = orig + eps;
    const Tensor<double> plus = f(leaves).detach().clone();
    x.data()[i] = orig - eps;
    const Tensor<double> minus = f(leaves);
    x.data()[i] = orig;
    for (std::int64_t j = 0; j < m; ++j) jac.data()[j * n + i] = (plus.data()[j] - minus.data()[j]) / (2 * eps);
  }
  return jac;
}

GradcheckResult gradcheck(const DifferentiableFunction& f, const std::vector<Tensor<double>>& inputs,
                          const GradcheckOptions& options) {
  GradcheckResult result;
  double worst_excess = -1;
  bool any = false;
  for (std::size_t k = 0; k < inputs.size(); ++k) {
    if (!inputs[k].requires_grad()) continue;
    any = true;
    const Tensor<double> a = jacobian_reverse(f, inputs, k);
    const Tensor<double> num = jacobian_numerical(f, inputs, k, options.eps);
    const std::int64_t n = inputs[k].numel();
    for (std::int64_t e = 0; e < a.numel(); ++e) {
      const double av = a.data()[e], nv = num.data()[e];
      const double err = std::abs(av - nv);
      const double excess = err - (options.atol + options.rtol * std::abs(nv));
      if (excess > worst_excess || std::isnan(err)) {
        worst_excess = std::isnan(err) ? HUGE_VAL : excess;
        result.input = k;
        result.output_index = e / n;
        result.input_index = e % n;
        result.analytical = av;
        result.numerical = nv;
        result.max_abs_error = err;
      }
      if (!(excess <= 0)) result.ok = false;
    }
  }
  std::ostringstream msg;
  if (!any) {
    result.ok = false;
    msg << "gradcheck: no input requires grad";
  } else {
    msg << "gradcheck " << (result.ok ? "passed" : "FAILED") << ": worst entry d output[" << result.output_index
        << "] / d input" << result.input << "[" << result.input_index << "]: analytical " << result.analytical
        << ", numerical " << result.numerical << ", |difference| " << result.max_abs_error
        << " (atol " << options.atol << ", rtol " << options.rtol << ")";
  }
  result.message = msg.str();
  return result;
}

std::ostream& operator<<(std::ostream& os, const GradcheckResult& r) { return os << r.message; }

}  // namespace eigrad::autograd
