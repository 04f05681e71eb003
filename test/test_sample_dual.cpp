#define BOOST_TEST_MODULE sample_dual
#include <boost/test/unit_test.hpp>

#include <Eigen/Core>
#include <Eigen/QR>
#include <cmath>
#include <cstdio>
#include <sstream>
#include <string>
#include <vector>

#include "common/stage.hpp"
#include "common/stages.hpp"
#include "eigrad/errors.hpp"
#include "eigrad/tensor.hpp"
#include "support/golden.hpp"

// 09_dual_numbers: Newton's method with forward-mode gradient and Hessian must land on the
// least-squares cubic, from any start.

using namespace eigrad::samples;
using eigrad::test::parse_stage_output;
using eigrad::test::run_sample;
using eigrad::test::write_init_file;

namespace {

constexpr double kPi = 3.141592653589793;

/// The least-squares cubic on PyTorch's linspace(-pi, pi, n), by plain Householder QR of
/// the Vandermonde matrix (the sample uses column pivoting: a different factorisation).
Eigen::Vector4d least_squares(std::int64_t n) {
  const Eigen::ArrayXd x = eigrad::linspace<double>(-kPi, kPi, n).array();
  Eigen::MatrixXd v(x.size(), 4);
  v << Eigen::VectorXd::Ones(x.size()), x.matrix(), (x * x).matrix(), (x * x * x).matrix();
  return v.householderQr().solve(x.sin().matrix());
}

/// The loss at coefficients \p p, summed in long double.
double loss_at(const Eigen::Vector4d& p, std::int64_t n) {
  const Eigen::ArrayXd x = eigrad::linspace<double>(-kPi, kPi, n).array();
  long double sum = 0;
  for (Eigen::Index i = 0; i < x.size(); ++i) {
    const double r = p(0) + p(1) * x(i) + p(2) * x(i) * x(i) + p(3) * x(i) * x(i) * x(i) - std::sin(x(i));
    sum += static_cast<long double>(r) * r;
  }
  return static_cast<double>(sum);
}

Eigen::Vector4d coefficients(const StageRun& run) {
  return {run.result.at("a").at(0), run.result.at("b").at(0), run.result.at("c").at(0), run.result.at("d").at(0)};
}

/// The number printed on the "Largest difference" line, or NaN when there is none.
double printed_difference(const std::string& out) {
  std::istringstream lines(out);
  for (std::string line; std::getline(lines, line);) {
    const std::string tag = "Largest difference from Newton's: ";
    if (line.rfind(tag, 0) == 0) return std::stod(line.substr(tag.size()));
  }
  return std::nan("");
}

/// Runs the stage and checks everything that must hold after convergence.
StageRun check_converges(const StageOptions& opts, const std::string& what) {
  std::ostringstream out;
  const StageRun run = run_dual_numbers(opts, out);
  BOOST_TEST_CONTEXT(what) {
    const Eigen::Vector4d p = coefficients(run);
    const Eigen::Vector4d reference = least_squares(opts.n);
    BOOST_TEST((p - reference).lpNorm<Eigen::Infinity>() < 1e-9, "Newton " << p.transpose() << " QR " << reference.transpose());
    BOOST_TEST(printed_difference(out.str()) < 1e-9);

    // Newton on a quadratic: the first step lands on the optimum up to rounding, later ones
    // refine it, so it stops early with the losses falling to the least-squares minimum.
    BOOST_TEST(!run.trace.empty());
    BOOST_TEST(run.trace.size() < static_cast<std::size_t>(opts.iters));
    const double best = loss_at(reference, opts.n);
    const double slack = 1e-10 * best + 1e-20;  // n = 4 interpolates: best is rounding noise
    for (std::size_t i = 0; i < run.trace.size(); ++i) {
      BOOST_TEST(run.trace[i].t == static_cast<std::int64_t>(i));
      BOOST_TEST(run.trace[i].loss >= best - slack);
      if (i > 0) BOOST_TEST(run.trace[i].loss <= run.trace[i - 1].loss + slack);
    }
    BOOST_TEST(std::abs(run.trace.back().loss - best) <= slack, "last loss " << run.trace.back().loss << " best " << best);
    BOOST_TEST(std::abs(loss_at(p, opts.n) - best) <= slack);

    // What it printed is what it returned.
    const StageRun printed = parse_stage_output(out.str());
    BOOST_TEST(printed.trace.size() == run.trace.size());
    for (std::size_t i = 0; i < std::min(printed.trace.size(), run.trace.size()); ++i)
      BOOST_TEST(printed.trace[i].loss == run.trace[i].loss);
    const std::vector<double> result = printed.result.at("printed");
    BOOST_TEST(result == std::vector<double>({p(0), p(1), p(2), p(3)}), boost::test_tools::per_element());
  }
  return run;
}

}  // namespace

BOOST_AUTO_TEST_CASE(defaults_are_float64_newton) {
  const StageDefaults d = defaults_dual_numbers();
  BOOST_TEST(d.dtype == "float64");
  BOOST_TEST(d.iters == 10);
  BOOST_TEST(d.n == 2000);
}

BOOST_AUTO_TEST_CASE(converges_from_random_starts) {
  for (std::uint64_t seed : {0ull, 1ull, 2ull, 7ull, 42ull, 12345ull}) {
    StageOptions opts = default_options(defaults_dual_numbers());
    opts.seed = seed;
    const StageRun run = check_converges(opts, "seed " + std::to_string(seed));
    // The first printed loss is the loss at the random start.
    seed_run(opts);
    Eigen::Vector4d start;
    start(0) = initial_scalar(opts, "a");  // one statement per draw: the order matters
    start(1) = initial_scalar(opts, "b");
    start(2) = initial_scalar(opts, "c");
    start(3) = initial_scalar(opts, "d");
    BOOST_TEST(std::abs(run.trace.front().loss - loss_at(start, opts.n)) <= 1e-12 * run.trace.front().loss);
  }
}

BOOST_AUTO_TEST_CASE(converges_from_given_and_far_starts) {
  const std::vector<Eigen::Vector4d> starts = {
      {0.0, 0.0, 0.0, 0.0}, {1e3, -2e3, 5e2, 1e2}, {-0.3, 0.9, 0.01, -0.1}, {1e-8, 1e8, -1e8, 1e-8}};
  for (const Eigen::Vector4d& s : starts) {
    StageOptions opts = default_options(defaults_dual_numbers());
    opts.init = std::map<std::string, std::vector<double>>{{"a", {s(0)}}, {"b", {s(1)}}, {"c", {s(2)}}, {"d", {s(3)}}};
    std::ostringstream label;
    label << "start " << s.transpose();
    const StageRun run = check_converges(opts, label.str());
    BOOST_TEST(std::abs(run.trace.front().loss - loss_at(s, opts.n)) <= 1e-12 * (1 + run.trace.front().loss));
  }
  // Other numbers of points.
  for (std::int64_t n : {4, 5, 100, 20001}) {
    StageOptions opts = default_options(defaults_dual_numbers());
    opts.seed = 3;
    opts.n = n;
    check_converges(opts, "n = " + std::to_string(n));
  }
}

BOOST_AUTO_TEST_CASE(iteration_cap_and_single_precision) {
  StageOptions opts = default_options(defaults_dual_numbers());
  opts.seed = 5;
  opts.iters = 1;
  std::ostringstream out;
  StageRun run = run_dual_numbers(opts, out);
  BOOST_TEST(run.trace.size() == 1u);
  // One exact Newton step already reaches the optimum up to rounding.
  BOOST_TEST((coefficients(run) - least_squares(opts.n)).lpNorm<Eigen::Infinity>() < 1e-9);

  opts.iters = 0;  // no step: the result is the start
  std::ostringstream out0;
  run = run_dual_numbers(opts, out0);
  BOOST_TEST(run.trace.empty());
  seed_run(opts);
  BOOST_TEST(run.result.at("a").at(0) == initial_scalar(opts, "a"));

  opts.iters = 10;
  opts.dtype = "float32";  // the sample is float64 only
  std::ostringstream out32;
  BOOST_CHECK_THROW(run_dual_numbers(opts, out32), eigrad::ValueError);
}

BOOST_AUTO_TEST_CASE(rejects_what_it_cannot_fit) {
  StageOptions opts = default_options(defaults_dual_numbers());
  opts.seed = 1;
  opts.n = 3;
  std::ostringstream out;
  BOOST_CHECK_THROW(run_dual_numbers(opts, out), eigrad::ValueError);
  opts.n = 2000;
  opts.dtype = "float16";
  BOOST_CHECK_THROW(run_dual_numbers(opts, out), eigrad::ValueError);
  opts.dtype = "float64";
  opts.device = eigrad::Device::cuda(0);
  BOOST_CHECK_THROW(run_dual_numbers(opts, out), eigrad::DeviceError);
}

BOOST_AUTO_TEST_CASE(binary_exit_codes_and_output) {
  const auto ok = run_sample("09_dual_numbers", {"--seed", "11"});
  BOOST_TEST(ok.exit_code == 0);
  BOOST_TEST(ok.err.empty());
  const StageRun printed = parse_stage_output(ok.out);
  BOOST_TEST(!printed.trace.empty());
  BOOST_TEST(printed.result.at("printed").size() == 4u);
  BOOST_TEST(ok.out.find("QR least squares: y = ") != std::string::npos);
  BOOST_TEST(printed_difference(ok.out) < 1e-9);

  const std::string init = write_init_file({{"a", {0.5}}, {"b", {-1.0}}, {"c", {2.0}}, {"d", {0.25}}});
  const auto from_file = run_sample("09_dual_numbers", {"--init", init, "--iters", "4", "--n", "500"});
  std::remove(init.c_str());
  BOOST_TEST(from_file.exit_code == 0);
  const StageRun file_run = parse_stage_output(from_file.out);
  BOOST_TEST(!file_run.trace.empty());
  BOOST_TEST(std::abs(file_run.trace.front().loss - loss_at({0.5, -1.0, 2.0, 0.25}, 500)) <=
             1e-12 * file_run.trace.front().loss);
  BOOST_TEST(printed_difference(from_file.out) < 1e-9);

  BOOST_TEST(run_sample("09_dual_numbers", {"--help"}).exit_code == 0);
  for (const std::vector<std::string>& bad :
       {std::vector<std::string>{"--n", "3"}, {"--bogus"}, {"--dtype", "float16"}, {"--iters", "ten"},
        {"--init", "/nonexistent/init.json"}, {"--device", "tpu"}}) {
    const auto r = run_sample("09_dual_numbers", bad);
    BOOST_TEST(r.exit_code == 2, bad.front() << " exited with " << r.exit_code);
    BOOST_TEST(r.err.find("09_dual_numbers: error: ") == 0u, bad.front() << ": " << r.err);
  }
}
