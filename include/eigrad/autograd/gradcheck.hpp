#pragma once
/// \file gradcheck.hpp
/// \brief Checks analytic gradients against central finite differences (float64), as
///        `torch.autograd.gradcheck`.
#include <cstddef>
#include <functional>
#include <iosfwd>
#include <string>
#include <vector>

#include "eigrad/tensor.hpp"

namespace eigrad::autograd {

/// Tolerances and step of a gradient check. Chained setters.
struct GradcheckOptions {
  double eps = 1e-6;   ///< finite-difference step
  double atol = 1e-5;  ///< absolute tolerance
  double rtol = 1e-3;  ///< relative tolerance (to the numerical value)
  /// Sets eps.
  GradcheckOptions& with_eps(double v) { eps = v; return *this; }
  /// Sets atol.
  GradcheckOptions& with_atol(double v) { atol = v; return *this; }
  /// Sets rtol.
  GradcheckOptions& with_rtol(double v) { rtol = v; return *this; }
};

/// The outcome of a gradient check, with the worst Jacobian entry it found.
struct GradcheckResult {
  bool ok = true;                ///< every entry within atol + rtol * |numerical|
  std::size_t input = 0;         ///< input holding the worst entry
  std::int64_t input_index = 0;  ///< flat element of that input
  std::int64_t output_index = 0; ///< flat element of the output
  double analytical = 0;         ///< reverse-mode value of the worst entry
  double numerical = 0;          ///< central-difference value of the worst entry
  double max_abs_error = 0;      ///< |analytical - numerical| at the worst entry
  std::string message;           ///< human-readable summary naming the worst entry
};

/// The function checked: maps the inputs to one output tensor (any shape).
using DifferentiableFunction = std::function<Tensor<double>(const std::vector<Tensor<double>>&)>;

/// Compares, for every output element and every element of every input that requires grad,
/// the reverse-mode derivative with a central finite difference. Inputs are not modified
/// (their grads are restored afterwards).
///
/// \snippet functions.cpp gradcheck
GradcheckResult gradcheck(const DifferentiableFunction& f, const std::vector<Tensor<double>>& inputs,
                          const GradcheckOptions& options = {});

/// The full Jacobian d output / d inputs[input] by reverse mode: [output numel, input numel].
Tensor<double> jacobian_reverse(const DifferentiableFunction& f, const std::vector<Tensor<double>>& inputs,
                                std::size_t input);

/// The same Jacobian by central finite differences.
Tensor<double> jacobian_numerical(const DifferentiableFunction& f, const std::vector<Tensor<double>>& inputs,
                                  std::size_t input, double eps = 1e-6);

/// Prints the result's message.
std::ostream& operator<<(std::ostream& os, const GradcheckResult& r);

}  // namespace eigrad::autograd
