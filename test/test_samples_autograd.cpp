#define BOOST_TEST_MODULE samples_autograd
#include <boost/test/unit_test.hpp>

#include <cmath>
#include <algorithm>
#include <cstdio>
#include <sstream>

#include "common/stages.hpp"
#include "support/golden.hpp"

using namespace eigrad::samples;
using namespace eigrad::test;

namespace {

using Weights = std::map<std::string, std::vector<double>>;

StageOptions options_from(const StageDefaults& defaults, const Weights& init, const std::string& dtype,
                          std::int64_t iters = 2000) {
  StageOptions o = default_options(defaults);
  o.init = init;
  o.dtype = dtype;
  o.iters = iters;
  return o;
}

const std::vector<Weights>& other_starts() {
  static const std::vector<Weights> starts = {
      {{"a", {0.1}}, {"b", {-0.7}}, {"c", {0.25}}, {"d", {0.05}}},
      {{"a", {-1.2}}, {"b", {1.9}}, {"c", {-0.4}}, {"d", {-0.6}}},
      {{"a", {0.0}}, {"b", {0.0}}, {"c", {0.0}}, {"d", {0.0}}},
  };
  return starts;
}

/// Losses and weights of two runs agree within \p rtol (losses) and \p atol (weights).
void expect_same_run(const StageRun& x, const StageRun& y, double rtol, double atol, const std::string& what) {
  BOOST_TEST_REQUIRE(x.trace.size() == y.trace.size(), what);
  for (std::size_t i = 0; i < x.trace.size(); ++i) {
    BOOST_TEST(x.trace[i].t == y.trace[i].t, what);
    BOOST_TEST(std::abs(x.trace[i].loss - y.trace[i].loss) <= rtol * std::abs(y.trace[i].loss),
               what << ": t=" << x.trace[i].t << " " << x.trace[i].loss << " vs " << y.trace[i].loss);
  }
  for (const auto& [key, values] : y.result)
    for (std::size_t i = 0; i < values.size(); ++i)
      BOOST_TEST(std::abs(x.result.at(key).at(i) - values[i]) <= atol,
                 what << ": " << key << " " << x.result.at(key).at(i) << " vs " << values[i]);
}

/// The tutorial's stage 4 written out by hand in float64: y = a + b P3(c + d x) with the
/// chain rule spelled out, as an independent reference for the custom Function's run.
StageRun legendre_reference(const Weights& init, double lr, std::int64_t iters, std::int64_t n) {
  double a = init.at("a")[0], b = init.at("b")[0], c = init.at("c")[0], d = init.at("d")[0];
  std::vector<double> x(n), y(n);
  for (std::int64_t i = 0; i < n; ++i) {
    x[i] = -M_PI + 2 * M_PI * static_cast<double>(i) / static_cast<double>(n - 1);
    y[i] = std::sin(x[i]);
  }
  StageRun run;
  for (std::int64_t t = 0; t < iters; ++t) {
    double loss = 0, ga = 0, gb = 0, gc = 0, gd = 0;
    for (std::int64_t i = 0; i < n; ++i) {
      const double z = c + d * x[i];
      const double p3 = 0.5 * (5 * z * z * z - 3 * z);
      const double r = a + b * p3 - y[i];
      loss += r * r;
      const double g = 2 * r;
      const double gz = g * b * 1.5 * (5 * z * z - 1);
      ga += g;
      gb += g * p3;
      gc += gz;
      gd += gz * x[i];
    }
    if (t % 100 == 99) run.trace.push_back({t, loss});
    a -= lr * ga;
    b -= lr * gb;
    c -= lr * gc;
    d -= lr * gd;
  }
  run.result = {{"a", {a}}, {"b", {b}}, {"c", {c}}, {"d", {d}}};
  return run;
}

}  // namespace

BOOST_AUTO_TEST_CASE(golden_03_autograd) {
  check_stage_against_golden(&run_autograd, defaults_autograd(), "03_autograd.json");
}

BOOST_AUTO_TEST_CASE(golden_04_custom_function) {
  check_stage_against_golden(&run_custom_function, defaults_custom_function(), "04_custom_function.json");
}

BOOST_AUTO_TEST_CASE(golden_binaries) {
  for (const auto& [binary, file] : {std::pair<std::string, std::string>{"03_autograd", "03_autograd.json"},
                                     {"04_custom_function", "04_custom_function.json"}}) {
    const auto r = run_sample(binary, {"--init", std::string(EIGRAD_GOLDEN_DIR) + "/" + file});
    BOOST_TEST(r.exit_code == 0, binary << ": " << r.err);
    BOOST_TEST(r.err.empty(), r.err);
    check_run_against_golden(run_from_printout(r.out, cubic_result_order()), load_golden(file));
  }
}

// Autograd must compute exactly the gradients stage 2 derives by hand: from any start, the
// float64 runs of stages 1 (Eigen, manual), 2 (tensors, manual) and 3 (autograd) agree up
// to summation order.
BOOST_AUTO_TEST_CASE(autograd_matches_manual_gradients_from_other_starts) {
  for (std::size_t k = 0; k < other_starts().size(); ++k) {
    std::ostringstream sink;
    const auto& init = other_starts()[k];
    const StageRun manual = run_numpy(options_from(defaults_numpy(), init, "float64"), sink);
    const StageRun tensor_manual = run_tensor(options_from(defaults_tensor(), init, "float64"), sink);
    const StageRun autograd = run_autograd(options_from(defaults_autograd(), init, "float64"), sink);
    expect_same_run(autograd, manual, 1e-10, 1e-10, "03 vs 01 float64, start " + std::to_string(k));
    expect_same_run(autograd, tensor_manual, 1e-10, 1e-10, "03 vs 02 float64, start " + std::to_string(k));
    const StageRun f32 = run_autograd(options_from(defaults_autograd(), init, "float32"), sink);
    expect_same_run(f32, manual, 1e-4, 1e-4, "03 float32 vs 01 float64, start " + std::to_string(k));
  }
}

BOOST_AUTO_TEST_CASE(custom_function_matches_hand_derived_chain_rule_from_other_starts) {
  const std::vector<Weights> starts = {
      {{"a", {0.0}}, {"b", {-1.0}}, {"c", {0.0}}, {"d", {0.3}}},
      {{"a", {0.2}}, {"b", {-0.5}}, {"c", {0.1}}, {"d", {0.35}}},
      {{"a", {-0.1}}, {"b", {-1.5}}, {"c", {-0.05}}, {"d", {0.25}}},
  };
  for (std::size_t k = 0; k < starts.size(); ++k) {
    std::ostringstream sink;
    const StageRun ref = legendre_reference(starts[k], 5e-6, 2000, 2000);
    const StageRun f64 = run_custom_function(options_from(defaults_custom_function(), starts[k], "float64"), sink);
    // The reference's linspace formula differs from PyTorch's in the last bits.
    expect_same_run(f64, ref, 1e-9, 1e-9, "04 float64 vs hand-derived, start " + std::to_string(k));
    const StageRun f32 = run_custom_function(options_from(defaults_custom_function(), starts[k], "float32"), sink);
    expect_same_run(f32, ref, 1e-4, 1e-4, "04 float32 vs hand-derived, start " + std::to_string(k));
  }
}

BOOST_AUTO_TEST_CASE(custom_function_defaults_are_the_tutorials) {
  const StageDefaults d = defaults_custom_function();
  BOOST_TEST(d.lr == 5e-6);
  std::ostringstream out;
  StageOptions o = default_options(d);
  o.iters = 0;
  const StageRun run = run_custom_function(o, out);
  BOOST_TEST(run.result.at("b")[0] == -1.0);
  BOOST_TEST(std::abs(run.result.at("d")[0] - 0.3) < 1e-7);
  BOOST_TEST(out.str() == "Result: y = 0.0 + -1.0 * P3(0.0 + 0.30000001192092896 x)\n");
}

BOOST_AUTO_TEST_CASE(bad_command_lines_exit_2) {
  // A device this build cannot reach: any "cuda" without a backend, else one past the count.
  const std::string missing_device =
      eigrad::cuda_backend_built() ? "cuda:" + std::to_string(eigrad::cuda::device_count()) : "cuda";
  for (const std::string binary : {"03_autograd", "04_custom_function"}) {
    for (const std::vector<std::string>& args : {std::vector<std::string>{"--bogus"},
                                                 {"--lr", "fast"},
                                                 {"--device", missing_device},
                                                 {"--init", "/nonexistent.json"}}) {
      const auto r = run_sample(binary, args);
      BOOST_TEST(r.exit_code == 2, binary << " " << args[0]);
      BOOST_TEST(std::count(r.err.begin(), r.err.end(), '\n') == 1, r.err);
    }
  }
}
