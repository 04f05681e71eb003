/// \file 11_regression.cpp
/// \brief pytorch/examples' C++ regression (cpp/regression/regression.cpp) in eigrad: fit a
///        random degree-4 polynomial from random batches with a Linear layer, SGD and the
///        smooth L1 loss until the loss is below 1e-3. It reads line for line like the LibTorch
///        original except for the type spellings (Tensor<float>, nn::Linear<float>, explicit
///        SGDOptions). `11_regression [SEED] [--csv FILE]` (SEED default 0: the original does
///        not seed); --csv FILE writes every batch's loss and both polynomials for scripts/plot.
#include <cerrno>
#include <charconv>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <fstream>
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

// What the command line asks for beyond the original: the seed and the --csv file.
struct Arguments {
  std::uint64_t seed = 0;
  std::optional<std::string> csv_path;
};

// `[SEED] [--csv FILE]` in any order (also `--csv=FILE`). --help alone prints the usage;
// anything else wrong is a usage error (exit code 2, as the other samples), never an uncaught
// exception.
std::optional<Arguments> arguments_from(int argc, char** argv, int& exit_code) {
  const char* usage =
      "usage: 11_regression [SEED] [--csv FILE]\n"
      "Beyond the tutorial: pytorch/examples' C++ regression. Fits a random degree-4 polynomial\n"
      "from random batches with Linear, SGD and smooth_l1_loss until the loss is below 1e-3.\n"
      "SEED: a non-negative integer for eigrad::manual_seed (default 0).\n"
      "--csv FILE: write `series,x,y` rows: `loss` (batch, its loss), then `target` and `fit`\n"
      "(the actual and the learned polynomial on x in [-2, 2]) for scripts/plot.\n";
  exit_code = 2;
  if (argc == 2 && (std::strcmp(argv[1], "--help") == 0 || std::strcmp(argv[1], "-h") == 0)) {
    std::cout << usage;
    exit_code = 0;
    return std::nullopt;
  }
  Arguments arguments;
  std::vector<std::string> seeds;
  for (int i = 1; i < argc; ++i) {
    const std::string text = argv[i];
    if (text == "--csv" || text.rfind("--csv=", 0) == 0) {
      const bool has_value = text != "--csv" || i + 1 < argc;
      const std::string path = text == "--csv" ? (has_value ? argv[++i] : "") : text.substr(6);
      if (path.empty()) {
        std::cerr << "11_regression: error: --csv needs a FILE name\n";
        return std::nullopt;
      }
      arguments.csv_path = path;
    } else {
      seeds.push_back(text);
    }
  }
  if (seeds.empty()) return arguments;
  const std::string& text = seeds.front();
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), arguments.seed);
  if (seeds.size() == 1 && error == std::errc() && end == text.data() + text.size()) return arguments;
  std::cerr << "11_regression: expected one SEED (a non-negative integer), got '" << text
            << (seeds.size() > 1 ? "' and more" : "'") << "\n" << usage;
  return std::nullopt;
}

// A float in the fewest digits that read back as the same float (0.02, not 0.0199999996).
std::string shortest(float value) {
  char text[32];
  const auto result = std::to_chars(text, text + sizeof text, value);
  return std::string(text, result.ptr);
}

// The --csv file, in the `series,x,y` rows of the other samples (scripts/plot draws them):
// `loss` for every batch, then the actual polynomial (`target`) and the learned one (`fit`)
// on a grid of x in [-2, 2]. The batches draw x from a standard normal, so the grid spans the
// two standard deviations around 0 where about 95% of the training points fall.
void write_csv(std::ostream& out, const std::vector<float>& batch_losses, nn::Linear<float>& fc,
               Tensor<float> W_target, Tensor<float> b_target) {
  eigrad::NoGradGuard no_grad;
  const auto grid = eigrad::linspace<float>(-2, 2, 201);
  const auto features = make_features(grid);
  const std::vector<float> xs = grid.to_vector();
  const std::vector<float> target = f(features, W_target, b_target).view({-1}).to_vector();
  const std::vector<float> fit = fc(features).view({-1}).to_vector();
  out << "series,x,y\n";
  for (std::size_t i = 0; i < batch_losses.size(); ++i)
    out << "loss," << i + 1 << ',' << shortest(batch_losses[i]) << '\n';
  for (std::size_t i = 0; i < xs.size(); ++i) out << "target," << shortest(xs[i]) << ',' << shortest(target[i]) << '\n';
  for (std::size_t i = 0; i < xs.size(); ++i) out << "fit," << shortest(xs[i]) << ',' << shortest(fit[i]) << '\n';
}

int main(int argc, char** argv) {
  int exit_code = 0;
  const std::optional<Arguments> arguments = arguments_from(argc, argv, exit_code);
  if (!arguments) return exit_code;
  std::ofstream csv;
  if (arguments->csv_path) {  // opened before the run so that a bad path costs no training
    csv.open(*arguments->csv_path);
    if (!csv.is_open()) {
      std::cerr << "11_regression: error: --csv: cannot write '" << *arguments->csv_path
                << "': " << std::strerror(errno) << std::endl;
      return 2;
    }
  }
  // [main]
  eigrad::manual_seed(arguments->seed);
  auto W_target = eigrad::randn<float>({POLY_DEGREE, 1}) * 5;
  auto b_target = eigrad::randn<float>({1}) * 5;

  // Define the model and optimizer
  nn::Linear<float> fc(W_target.size(0), 1);
  optim::SGD<float> optim(fc.parameters(), optim::SGDOptions(0.1));

  float loss = 0;
  int64_t batch_idx = 0;
  std::vector<float> batch_losses;  // for --csv (not in the original)

  while (++batch_idx) {
    // Get data
    Tensor<float> batch_x, batch_y;
    std::tie(batch_x, batch_y) = get_batch(W_target, b_target);

    // Reset gradients
    optim.zero_grad();

    // Forward pass
    auto output = nn::functional::smooth_l1_loss(fc(batch_x), batch_y);
    loss = output.item<float>();
    batch_losses.push_back(loss);

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
  // [main]

  if (arguments->csv_path) {
    write_csv(csv, batch_losses, fc, W_target, b_target);
    csv.close();
    if (csv.fail()) {
      std::cerr << "11_regression: error: --csv: writing '" << *arguments->csv_path << "' failed" << std::endl;
      return 2;
    }
  }
  return 0;
}
