/// \file 11_regression.cpp
/// \brief pytorch/examples' C++ regression (cpp/regression/regression.cpp) in eigrad: fit a
///        random degree-4 polynomial from random batches with a Linear layer, SGD and the
///        smooth L1 loss until the loss is below 1e-3. It reads line for line like the LibTorch
///        original except for the type spellings (Tensor<float>, nn::Linear<float>, explicit
///        SGDOptions). `11_regression [seed]` (default 0: the original does not seed).
#ifndef EIGRAD_SAMPLE_NO_MAIN
#include <charconv>
#include <cstdint>
#include <cstdio>
#include <optional>
#include <iostream>
#include <sstream>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "eigrad/eigrad.hpp"

using eigrad::Tensor;
namespace nn = eigrad::nn;
namespace optim = eigrad::optim;

#define POLY_DEGREE 4

// [helpers]
// Builds features i.e. a matrix with columns [x, x^2, x^3, x^4].
Tensor<float> make_features(Tensor<float> x) {
  x = x.unsqueeze(1);
  std::vector<Tensor<float>> xs;
  for (int64_t i = 0; i < POLY_DEGREE; ++i)
    xs.push_back(x.pow(i + 1));
  return eigrad::cat(xs, 1);
}

// Approximated function.
Tensor<float> f(Tensor<float> x, Tensor<float> W_target, Tensor<float> b_target) {
  return x.mm(W_target) + b_target.item();
}

// Creates a string description of a polynomial.
std::string poly_desc(Tensor<float> W, Tensor<float> b) {
  auto size = W.size(0);
  std::ostringstream stream;

  stream << "y = ";
  for (int64_t i = 0; i < size; ++i)
    stream << W[i].item<float>() << " x^" << size - i << " ";
  stream << "+ " << b[0].item<float>();
  return stream.str();
}

// Builds a batch i.e. (x, f(x)) pair.
std::pair<Tensor<float>, Tensor<float>> get_batch(Tensor<float> W_target, Tensor<float> b_target,
                                                  int64_t batch_size = 32) {
  auto random = eigrad::randn<float>({batch_size});
  auto x = make_features(random);
  auto y = f(x, W_target, b_target);
  return std::make_pair(x, y);
}
// [helpers]

// The seed, the one optional argument (default 0). --help prints the usage; anything else is
// a usage error (exit code 2, as the other samples), never an uncaught exception.
std::optional<std::uint64_t> seed_from_arguments(int argc, char** argv, int& exit_code) {
  const char* usage =
      "usage: 11_regression [SEED]\n"
      "Beyond the tutorial: pytorch/examples' C++ regression. Fits a random degree-4 polynomial\n"
      "from random batches with Linear, SGD and smooth_l1_loss until the loss is below 1e-3.\n"
      "SEED: a non-negative integer for eigrad::manual_seed (default 0).\n";
  if (argc == 1) return 0;
  const std::string text = argv[1];
  if (argc == 2 && (text == "--help" || text == "-h")) {
    std::cout << usage;
    exit_code = 0;
    return std::nullopt;
  }
  std::uint64_t seed = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), seed);
  if (argc == 2 && error == std::errc() && end == text.data() + text.size()) return seed;
  std::cerr << "11_regression: expected one SEED (a non-negative integer), got '" << text
            << (argc > 2 ? "' and more" : "'") << "\n" << usage;
  exit_code = 2;
  return std::nullopt;
}

int main(int argc, char** argv) {
  int exit_code = 0;
  const std::optional<std::uint64_t> seed = seed_from_arguments(argc, argv, exit_code);
  if (!seed) return exit_code;
  // [main]
  eigrad::manual_seed(*seed);
  auto W_target = eigrad::randn<float>({POLY_DEGREE, 1}) * 5;
  auto b_target = eigrad::randn<float>({1}) * 5;

  // Define the model and optimizer
  nn::Linear<float> fc(W_target.size(0), 1);
  optim::SGD<float> optim(fc.parameters(), optim::SGDOptions(0.1));

  float loss = 0;
  int64_t batch_idx = 0;

  while (++batch_idx) {
    // Get data
    Tensor<float> batch_x, batch_y;
    std::tie(batch_x, batch_y) = get_batch(W_target, b_target);

    // Reset gradients
    optim.zero_grad();

    // Forward pass
    auto output = nn::functional::smooth_l1_loss(fc(batch_x), batch_y);
    loss = output.item<float>();

    // Backward pass
    output.backward();

    // Apply gradients
    optim.step();

    // Stop criterion
    if (loss < 1e-3f)
      break;
  }

  std::cout << "Loss: " << loss << " after " << batch_idx << " batches" << std::endl;
  std::cout << "==> Learned function:\t" << poly_desc(fc.weight.view({-1}), fc.bias) << std::endl;
  std::cout << "==> Actual function:\t" << poly_desc(W_target.view({-1}), b_target) << std::endl;

  return 0;
  // [main]
}
#endif  // EIGRAD_SAMPLE_NO_MAIN
