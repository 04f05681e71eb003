// A user's program: fit y = 3x - 2 with nn::Linear and optim::SGD, save the model as
// safetensors and load it back into a fresh layer. Prints the fit; exits 1 when anything is off.
#include <cmath>
#include <cstdio>
#include <string>

#include "eigrad/autograd/grad_mode.hpp"
#include "eigrad/nn/nn.hpp"
#include "eigrad/optim/sgd.hpp"
#include "eigrad/random.hpp"
#include "eigrad/tensor.hpp"
#include "eigrad/version.hpp"

int main(int argc, char** argv) {
  using namespace eigrad;
  const std::string checkpoint = argc > 1 ? argv[1] : "fit_line.safetensors";

  const std::string version_from_parts = std::to_string(EIGRAD_VERSION_MAJOR) + "." +
                                         std::to_string(EIGRAD_VERSION_MINOR) + "." +
                                         std::to_string(EIGRAD_VERSION_PATCH);
  if (version_from_parts != EIGRAD_VERSION_STRING) {
    std::printf("FAIL: EIGRAD_VERSION_STRING %s but the parts say %s\n", EIGRAD_VERSION_STRING,
                version_from_parts.c_str());
    return 1;
  }

  manual_seed(0);
  const Tensor<float> x = linspace<float>(-1, 1, 64).unsqueeze(1);  // [64, 1]
  const Tensor<float> y = 3 * x - 2;
  nn::Linear<float> model(1, 1);
  nn::MSELoss<float> criterion;
  optim::SGD<float> optimizer(model.parameters(), optim::SGDOptions(0.5));
  const int steps = 200;
  for (int step = 0; step < steps; ++step) {
    optimizer.zero_grad();
    criterion(model(x), y).backward();
    optimizer.step();
  }
  const double slope = model.weight.item<double>();
  const double intercept = model.bias.item<double>();
  std::printf("eigrad %s: y = %.4f x %+.4f after %d SGD steps\n", EIGRAD_VERSION_STRING, slope, intercept,
              steps);
  if (std::abs(slope - 3) > 1e-4 || std::abs(intercept + 2) > 1e-4) {
    std::printf("FAIL: expected y = 3 x - 2\n");
    return 1;
  }

  nn::save(model, checkpoint);
  nn::Linear<float> reloaded(1, 1);
  nn::load(reloaded, checkpoint);
  NoGradGuard no_grad;
  if (!allclose(reloaded(x), model(x), 0, 0)) {
    std::printf("FAIL: the model loaded from %s predicts other values\n", checkpoint.c_str());
    return 1;
  }
  std::printf("checkpoint round trip through %s: ok\n", checkpoint.c_str());
  return 0;
}
