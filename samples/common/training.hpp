#pragma once
/// \file training.hpp
/// \brief What the tensor stages share beyond the command line and the tutorial's code: the
///        data, the nn stages' features, their model's start from --init, and the printed and
///        recorded result.
#include <ostream>
#include <utility>
#include <vector>

#include "common/stage.hpp"
#include "eigrad/autograd/grad_mode.hpp"
#include "eigrad/nn/modules/container.hpp"
#include "eigrad/nn/modules/flatten.hpp"
#include "eigrad/nn/modules/linear.hpp"
#include "eigrad/tensor.hpp"

namespace eigrad::samples {

/// The tutorial's data on opts.device: x = linspace(-pi, pi, n) and y = sin(x).
template <class T>
std::pair<Tensor<T>, Tensor<T>> sine_data(const StageOptions& opts) {
  const Tensor<T> x = linspace<T>(-kPi, kPi, opts.n, TensorOptions(opts.device));
  return {x, sin(x)};
}

/// The nn stages' input: x.unsqueeze(-1).pow(p) with p = (1, 2, 3), so that y is a linear
/// function of its columns x, x^2, x^3 (shape [n, 3]).
template <class T>
Tensor<T> cubic_features(const Tensor<T>& x) {
  const Tensor<T> p = Tensor<T>{1, 2, 3}.to(x.device());
  return x.unsqueeze(-1).pow(p);
}

/// Starts the Linear layer (index 0) of the nn stages' model, Sequential(Linear(3, 1),
/// Flatten(0, 1)), from --init's "weight" and "bias" when opts.init is given (else it keeps its
/// default random initialisation, drawn from eigrad's generator: call seed_run() before
/// building the model), then moves the model to opts.device.
template <class T>
void start_cubic_model(nn::Sequential<T>& model, const StageOptions& opts) {
  if (opts.init) {
    NoGradGuard no_grad;
    nn::Linear<T>& linear = model.template at<nn::Linear<T>>(0);
    const std::vector<double>& w = opts.init->at("weight");
    linear.weight.copy_(
        from_vector<T>({static_cast<T>(w.at(0)), static_cast<T>(w.at(1)), static_cast<T>(w.at(2))}, {1, 3}));
    linear.bias.copy_(from_vector<T>({static_cast<T>(opts.init->at("bias").at(0))}, {1}));
  }
  model.to(opts.device);
}

/// The nn stages' ending: prints "Result: y = bias + w0 x + w1 x^2 + w2 x^3" from the Linear
/// layer of the nn stages' model, records "weight" and "bias" as \p run's result and the
/// cubic they make as its model, and returns the run.
template <class T>
StageRun finish_linear_run(std::ostream& out, StageRun run, const nn::Sequential<T>& model) {
  const nn::Linear<T>& linear = model.template at<nn::Linear<T>>(0);
  const std::vector<T> w = linear.weight.to(Device::cpu()).to_vector();
  const double bias = linear.bias.template item<double>();
  print_result(out, cubic_string(bias, w[0], w[1], w[2]));
  run.result = {{"weight", {w[0], w[1], w[2]}}, {"bias", {bias}}};
  run.model = cubic_model(bias, w[0], w[1], w[2]);
  return run;
}

/// The scalar-tensor stages' ending: finish_cubic_run with the values of \p a .. \p d.
template <class T>
StageRun finish_cubic_run(std::ostream& out, StageRun run, const Tensor<T>& a, const Tensor<T>& b,
                          const Tensor<T>& c, const Tensor<T>& d) {
  return finish_cubic_run(out, std::move(run), a.template item<double>(), b.template item<double>(),
                          c.template item<double>(), d.template item<double>());
}

}  // namespace eigrad::samples
