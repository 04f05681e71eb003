#pragma once
/// \file training.hpp
/// \brief What the tensor stages share beyond the command line: the data, the nn stages'
///        features and model (started from --init), the manual gradient-descent update, the
///        optimizer's training loop, and the printed and recorded result.
#include <initializer_list>
#include <ostream>
#include <utility>
#include <vector>

#include "common/stage.hpp"
#include "eigrad/autograd/grad_mode.hpp"
#include "eigrad/nn/modules/container.hpp"
#include "eigrad/nn/modules/flatten.hpp"
#include "eigrad/nn/modules/linear.hpp"
#include "eigrad/optim/optimizer.hpp"
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

/// The nn stages' model, Sequential(Linear(3, 1), Flatten(0, 1)): Linear holds the weights and
/// bias, Flatten turns its [n, 1] output into [n] to match y. The Linear layer starts from
/// --init's "weight" and "bias" when opts.init is given, else from its default random
/// initialisation (drawn from eigrad's generator: call seed_run() first). On opts.device.
template <class T>
nn::Sequential<T> cubic_linear_model(const StageOptions& opts) {
  nn::Sequential<T> model(nn::Linear<T>(3, 1), nn::Flatten<T>(0, 1));
  if (opts.init) {
    NoGradGuard no_grad;
    nn::Linear<T>& linear = model.template at<nn::Linear<T>>(0);
    const std::vector<double>& w = opts.init->at("weight");
    linear.weight.copy_(
        from_vector<T>({static_cast<T>(w.at(0)), static_cast<T>(w.at(1)), static_cast<T>(w.at(2))}, {1, 3}));
    linear.bias.copy_(from_vector<T>({static_cast<T>(opts.init->at("bias").at(0))}, {1}));
  }
  model.to(opts.device);
  return model;
}

/// The nn stages' ending: prints "Result: y = bias + w0 x + w1 x^2 + w2 x^3" from the Linear
/// layer of a cubic_linear_model, records "weight" and "bias" as \p run's result, and
/// returns the run.
template <class T>
StageRun finish_linear_run(std::ostream& out, StageRun run, const nn::Sequential<T>& model) {
  const nn::Linear<T>& linear = model.template at<nn::Linear<T>>(0);
  const std::vector<T> w = linear.weight.to(Device::cpu()).to_vector();
  const double bias = linear.bias.template item<double>();
  print_result(out, cubic_string(bias, w[0], w[1], w[2]));
  run.result = {{"weight", {w[0], w[1], w[2]}}, {"bias", {bias}}};
  return run;
}

/// The scalar-tensor stages' ending: finish_cubic_run with the values of \p a .. \p d.
template <class T>
StageRun finish_cubic_run(std::ostream& out, StageRun run, const Tensor<T>& a, const Tensor<T>& b,
                          const Tensor<T>& c, const Tensor<T>& d) {
  return finish_cubic_run(out, std::move(run), a.template item<double>(), b.template item<double>(),
                          c.template item<double>(), d.template item<double>());
}

/// The tutorial's manual update after backward(), under torch.no_grad(): `w -= lr * w.grad`,
/// then `w.grad = None`, for each of \p weights (handles sharing the weights' storage).
template <class T>
void gradient_descent_step(double learning_rate, std::initializer_list<Tensor<T>> weights) {
  NoGradGuard no_grad;  // the update itself must not be recorded
  for (Tensor<T> w : weights) {
    w -= learning_rate * w.grad();
    w.grad() = {};
  }
}

/// The optimizer stages' loop, opts.iters times: the forward pass of \p model on \p input, the
/// loss against \p target (a `t loss` line at the trace cadence), zero_grad(), backward(),
/// step(). Returns the trace; the caller adds the result.
template <class T, class Model, class Loss>
StageRun train_with_optimizer(Model& model, const Tensor<T>& input, const Tensor<T>& target, Loss& loss_fn,
                              optim::Optimizer<T>& optimizer, const StageOptions& opts, std::ostream& out) {
  StageRun run;
  for (std::int64_t t = 0; t < opts.iters; ++t) {
    const Tensor<T> y_pred = model(input);
    const Tensor<T> loss = loss_fn(y_pred, target);
    if (is_trace_step(opts, t)) print_trace_line(out, run, t, loss.template item<double>());

    // PyTorch 1.13, whose runs made the golden traces, zeroes gradients here rather than
    // resetting them to None: on a step whose forward skips a parameter (08's e), its
    // gradient is then 0 (not absent), so SGD still moves it by its momentum.
    optimizer.zero_grad(/*set_to_none=*/false);
    loss.backward();
    optimizer.step();
  }
  return run;
}

}  // namespace eigrad::samples
