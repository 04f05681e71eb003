// Time of one training step of the tutorial's autograd stage (forward statement, backward,
// update) against a hand-fused loop that computes the same loss and gradients in one pass,
// measured in the same run and reported as a ratio. This is the baseline the statement-level
// fusion work is judged by (target: within 2x of the hand-fused loop).
//
// Usage: tutorial_step [n=2000] [steps=2000] [repeats=7]
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <vector>

#include "eigrad/eigrad.hpp"

using namespace eigrad;
using Clock = std::chrono::steady_clock;

namespace {

constexpr double kPi = 3.141592653589793;

/// Seconds per step of the eigrad autograd loop; returns the final loss through \p loss_out.
double autograd_step_time(std::int64_t n, std::int64_t steps, float* loss_out) {
  const Tensor<float> x = linspace<float>(-kPi, kPi, n);
  const Tensor<float> y = sin(x);
  auto weight = [](float v) { return scalar_tensor<float>(v, TensorOptions().requires_grad(true)); };
  Tensor<float> a = weight(0.1f), b = weight(0.2f), c = weight(-0.1f), d = weight(0.05f);
  float loss_value = 0;
  const auto start = Clock::now();
  for (std::int64_t t = 0; t < steps; ++t) {
    const Tensor<float> loss = (a + b * x + c * x.pow(2) + d * x.pow(3) - y).pow(2).sum();
    loss_value = loss.item();
    loss.backward();
    NoGradGuard no_grad;
    for (Tensor<float>* p : {&a, &b, &c, &d}) {
      *p -= 1e-6f * p->grad();
      p->grad() = {};
    }
  }
  *loss_out = loss_value;
  return std::chrono::duration<double>(Clock::now() - start).count() / static_cast<double>(steps);
}

/// Seconds per step of the same training written as one fused loop over the points.
double fused_step_time(std::int64_t n, std::int64_t steps, float* loss_out) {
  const Tensor<float> xt = linspace<float>(-kPi, kPi, n);
  const std::vector<float> x = xt.to_vector();
  std::vector<float> y(x.size());
  for (std::size_t i = 0; i < x.size(); ++i) y[i] = std::sin(x[i]);
  float a = 0.1f, b = 0.2f, c = -0.1f, d = 0.05f, loss = 0;
  const auto start = Clock::now();
  for (std::int64_t t = 0; t < steps; ++t) {
    float ga = 0, gb = 0, gc = 0, gd = 0;
    loss = 0;
    for (std::size_t i = 0; i < x.size(); ++i) {
      const float xi = x[i], x2 = xi * xi, x3 = x2 * xi;
      const float r = a + b * xi + c * x2 + d * x3 - y[i];
      loss += r * r;
      const float g = 2 * r;
      ga += g;
      gb += g * xi;
      gc += g * x2;
      gd += g * x3;
    }
    a -= 1e-6f * ga;
    b -= 1e-6f * gb;
    c -= 1e-6f * gc;
    d -= 1e-6f * gd;
  }
  *loss_out = loss;
  return std::chrono::duration<double>(Clock::now() - start).count() / static_cast<double>(steps);
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

}  // namespace

int main(int argc, char** argv) {
  const std::int64_t n = argc > 1 ? std::atoll(argv[1]) : 2000;
  const std::int64_t steps = argc > 2 ? std::atoll(argv[2]) : 2000;
  const int repeats = argc > 3 ? std::atoi(argv[3]) : 7;
  if (n < 2 || steps < 1 || repeats < 1) {
    std::fprintf(stderr, "usage: tutorial_step [n >= 2] [steps >= 1] [repeats >= 1]\n");
    return 2;
  }
  std::vector<double> eig, fused;
  float loss_eig = 0, loss_fused = 0;
  for (int r = 0; r < repeats; ++r) {  // interleaved, so both see the same machine noise
    eig.push_back(autograd_step_time(n, steps, &loss_eig));
    fused.push_back(fused_step_time(n, steps, &loss_fused));
  }
  const double te = median(eig), tf = median(fused);
  std::printf("n=%lld steps=%lld repeats=%d (medians)\n", static_cast<long long>(n),
              static_cast<long long>(steps), repeats);
  std::printf("eigrad autograd step: %9.2f us   final loss %.6g\n", te * 1e6, loss_eig);
  std::printf("hand-fused loop step: %9.2f us   final loss %.6g\n", tf * 1e6, loss_fused);
  std::printf("ratio eigrad / fused: %9.2f\n", te / tf);
  return 0;
}
