#define BOOST_TEST_MODULE samples_foundation
#include <boost/test/unit_test.hpp>

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "common/stage.hpp"
#include "common/stages.hpp"
#include "eigrad/errors.hpp"
#include "support/golden.hpp"

using namespace eigrad::samples;
using eigrad::test::check_run_against_golden;
using eigrad::test::check_stage_against_golden;
using eigrad::test::compare_run_to_golden;
using eigrad::test::load_golden;
using eigrad::test::parse_stage_output;
using eigrad::test::run_sample;
using eigrad::test::write_init_file;

namespace {

using Weights = std::map<std::string, std::vector<double>>;

std::string golden_path(const std::string& name) { return std::string(EIGRAD_GOLDEN_DIR) + "/" + name; }

// Deletes a temporary file when the test case ends, pass or fail.
struct TempFile {
  std::string path;
  explicit TempFile(std::string p) : path(std::move(p)) {}
  TempFile(const TempFile&) = delete;
  TempFile& operator=(const TempFile&) = delete;
  ~TempFile() { std::remove(path.c_str()); }
};

TempFile temp_text_file(const std::string& text) {
  std::string path = write_init_file({});  // a fresh unique path
  std::ofstream(path, std::ios::trunc) << text;
  return TempFile(std::move(path));
}

Weights scalars(double a, double b, double c, double d) { return {{"a", {a}}, {"b", {b}}, {"c", {c}}, {"d", {d}}}; }

// The tutorial's fit written as plainly as possible in float64 with long double sums:
// an independent reference for the stages' arithmetic.
struct Reference {
  std::vector<TraceLine> trace;
  double a, b, c, d;
};

Reference reference_fit(const Weights& init, double lr, std::int64_t iters, std::int64_t n) {
  const double pi = 3.141592653589793;
  std::vector<double> x(static_cast<std::size_t>(n)), y(x.size());
  for (std::int64_t i = 0; i < n; ++i) {
    x[i] = n > 1 ? -pi + 2 * pi * static_cast<double>(i) / static_cast<double>(n - 1) : -pi;
    y[i] = std::sin(x[i]);
  }
  Reference r{{}, init.at("a")[0], init.at("b")[0], init.at("c")[0], init.at("d")[0]};
  for (std::int64_t t = 0; t < iters; ++t) {
    long double loss = 0, ga = 0, gb = 0, gc = 0, gd = 0;
    for (std::size_t i = 0; i < x.size(); ++i) {
      const double xi = x[i];
      const double residual = r.a + r.b * xi + r.c * xi * xi + r.d * xi * xi * xi - y[i];
      loss += static_cast<long double>(residual) * residual;
      const double g = 2 * residual;
      ga += g;
      gb += static_cast<long double>(g) * xi;
      gc += static_cast<long double>(g) * xi * xi;
      gd += static_cast<long double>(g) * xi * xi * xi;
    }
    if (t % 100 == 99) r.trace.push_back({t, static_cast<double>(loss)});
    r.a -= lr * static_cast<double>(ga);
    r.b -= lr * static_cast<double>(gb);
    r.c -= lr * static_cast<double>(gc);
    r.d -= lr * static_cast<double>(gd);
  }
  return r;
}

// Checks a run against the reference: losses within \p loss_rtol relative, weights within
// \p weight_atol absolute.
void check_against_reference(const StageRun& run, const Reference& ref, double loss_rtol, double weight_atol,
                             const std::string& what) {
  BOOST_TEST_CONTEXT(what) {
    BOOST_TEST_REQUIRE(run.trace.size() == ref.trace.size());
    double worst = 0;
    for (std::size_t i = 0; i < ref.trace.size(); ++i) {
      BOOST_TEST(run.trace[i].t == ref.trace[i].t);
      const double rel = std::abs(run.trace[i].loss - ref.trace[i].loss) / std::abs(ref.trace[i].loss);
      worst = std::max(worst, rel);
      BOOST_TEST(rel <= loss_rtol, "t=" << ref.trace[i].t << ": loss " << py_float(run.trace[i].loss)
                                        << " vs reference " << py_float(ref.trace[i].loss) << " (rel " << rel << ")");
    }
    const std::pair<const char*, double> weights[] = {{"a", ref.a}, {"b", ref.b}, {"c", ref.c}, {"d", ref.d}};
    double worst_weight = 0;
    for (const auto& [key, want] : weights) {
      const double got = run.result.at(key).at(0);
      worst_weight = std::max(worst_weight, std::abs(got - want));
      BOOST_TEST(std::abs(got - want) <= weight_atol,
                 key << " = " << py_float(got) << " vs reference " << py_float(want));
    }
    BOOST_TEST_MESSAGE(what << ": worst loss relative error " << worst << ", worst weight error " << worst_weight
                            << " vs the float64 reference");
  }
}

StageOptions options(const StageDefaults& defaults, const Weights& init, const std::string& dtype,
                     std::int64_t iters = 2000, std::int64_t n = 2000, double lr = 1e-6) {
  StageOptions o = default_options(defaults);
  o.init = init;
  o.dtype = dtype;
  o.iters = iters;
  o.n = n;
  o.lr = lr;
  return o;
}

// A scalar stage's printout, its Result line's numbers as the weights a, b, c, d.
StageRun run_from_printout(const std::string& text) {
  return eigrad::test::run_from_printout(text, eigrad::test::cubic_result_order());
}

// Starting points besides the golden ones: zeros, the tutorial's usual scale, large
// weights (a high first loss), and one of each sign pattern.
const std::vector<Weights>& other_starts() {
  static const std::vector<Weights> starts = {
      scalars(0, 0, 0, 0),
      scalars(1.0, -1.0, 0.5, -0.25),
      scalars(-2.0, 1.5, 0.3, 0.7),
      scalars(0.18905338644981384, -0.5227484703063965, -0.41306355595588684, -2.44146728515625),
      scalars(3.0, 2.0, -1.0, 1.0),
  };
  return starts;
}

}  // namespace

// ------------------------------------------------------------------ golden traces

BOOST_AUTO_TEST_CASE(golden_01_numpy) { check_stage_against_golden(&run_numpy, defaults_numpy(), "01_numpy.json"); }

BOOST_AUTO_TEST_CASE(golden_02_tensor) { check_stage_against_golden(&run_tensor, defaults_tensor(), "02_tensor.json"); }

BOOST_AUTO_TEST_CASE(golden_01_numpy_binary) {
  const auto r = run_sample("01_numpy", {"--init", golden_path("01_numpy.json")});
  BOOST_TEST(r.exit_code == 0);
  BOOST_TEST(r.err.empty(), r.err);
  check_run_against_golden(run_from_printout(r.out), load_golden("01_numpy.json"));
}

BOOST_AUTO_TEST_CASE(golden_02_tensor_binary) {
  const auto r = run_sample("02_tensor", {"--init", golden_path("02_tensor.json")});
  BOOST_TEST(r.exit_code == 0);
  BOOST_TEST(r.err.empty(), r.err);
  check_run_against_golden(run_from_printout(r.out), load_golden("02_tensor.json"));
}

// The golden files' other keys (lr, iterations, dtype) are not applied by --init: 01's
// float64 file given to 02_tensor still runs 02's float32 with the flags' 300 steps.
BOOST_AUTO_TEST_CASE(init_file_sets_only_the_weights) {
  const auto r = run_sample("02_tensor", {"--init", golden_path("01_numpy.json"), "--iters", "300"});
  BOOST_TEST(r.exit_code == 0);
  const StageRun printed = run_from_printout(r.out);
  BOOST_TEST(printed.trace.size() == 3u);
  const auto g = load_golden("01_numpy.json");
  const Reference ref = reference_fit(g.init, 1e-6, 300, 2000);
  check_against_reference(printed, ref, 1e-4, 1e-4, "02_tensor float32 from 01's init, 300 steps");
}

// ------------------------------------------------------------------ other starting weights

BOOST_AUTO_TEST_CASE(other_starts_agree_with_reference) {
  for (std::size_t k = 0; k < other_starts().size(); ++k) {
    const Weights& init = other_starts()[k];
    const Reference ref = reference_fit(init, 1e-6, 2000, 2000);
    std::ostringstream sink;
    const std::string tag = "start " + std::to_string(k);
    // float64: the same arithmetic up to summation order (observed: ~1e-15).
    check_against_reference(run_numpy(options(defaults_numpy(), init, "float64"), sink), ref, 1e-11, 1e-10,
                            tag + " 01_numpy float64");
    check_against_reference(run_tensor(options(defaults_tensor(), init, "float64"), sink), ref, 1e-11, 1e-10,
                            tag + " 02_tensor float64");
    // float32: rounding of 2000-term float32 sums drifts the run slightly (observed: losses
    // within ~5e-6 relative); held to the golden tolerance.
    check_against_reference(run_tensor(options(defaults_tensor(), init, "float32"), sink), ref, 5e-5, 1e-5,
                            tag + " 02_tensor float32");
    check_against_reference(run_numpy(options(defaults_numpy(), init, "float32"), sink), ref, 5e-5, 1e-5,
                            tag + " 01_numpy float32");
  }
}

BOOST_AUTO_TEST_CASE(stage_01_and_02_agree_in_float64) {
  for (const Weights& init : other_starts()) {
    std::ostringstream sink;
    const StageRun r1 = run_numpy(options(defaults_numpy(), init, "float64"), sink);
    const StageRun r2 = run_tensor(options(defaults_tensor(), init, "float64"), sink);
    BOOST_TEST_REQUIRE(r1.trace.size() == r2.trace.size());
    for (std::size_t i = 0; i < r1.trace.size(); ++i)
      BOOST_TEST(r1.trace[i].loss == r2.trace[i].loss, boost::test_tools::tolerance(1e-12));
    for (const char* key : {"a", "b", "c", "d"})
      BOOST_TEST(std::abs(r1.result.at(key)[0] - r2.result.at(key)[0]) <= 1e-12);
  }
}

BOOST_AUTO_TEST_CASE(flags_change_the_run) {
  // --lr, --iters and --n through the binaries, from a written --init file.
  const Weights init = scalars(0.5, -0.3, 0.2, -0.1);
  const TempFile file(write_init_file(init));
  const Reference ref = reference_fit(init, 3e-6, 700, 500);
  for (const char* binary : {"01_numpy", "02_tensor"}) {
    const auto r64 = run_sample(binary, {"--init", file.path, "--lr", "3e-6", "--iters", "700", "--n", "500",
                                         "--dtype", "float64", "--seed", "5"});
    BOOST_TEST_REQUIRE(r64.exit_code == 0, binary << ": " << r64.err);
    check_against_reference(run_from_printout(r64.out), ref, 1e-11, 1e-10, std::string(binary) + " float64 flags");
    const auto r32 = run_sample(binary, {"--init", file.path, "--lr=3e-6", "--iters=700", "--n=500",
                                         "--dtype=float32", "--device", "cpu"});
    BOOST_TEST_REQUIRE(r32.exit_code == 0, binary << ": " << r32.err);
    check_against_reference(run_from_printout(r32.out), ref, 5e-5, 1e-5, std::string(binary) + " float32 flags");
  }
}

BOOST_AUTO_TEST_CASE(binary_prints_what_the_function_returns) {
  const Weights init = scalars(-1.0, 0.25, 0.75, -0.5);
  const TempFile file(write_init_file(init));
  for (const auto& [binary, fn, defaults] :
       {std::make_tuple("01_numpy", &run_numpy, defaults_numpy()),
        std::make_tuple("02_tensor", &run_tensor, defaults_tensor())}) {
    std::ostringstream direct;
    fn(options(defaults, init, defaults.dtype), direct);
    const auto r = run_sample(binary, {"--init", file.path});
    BOOST_TEST(r.exit_code == 0);
    BOOST_TEST(r.out == direct.str(), binary << " printed differently from its training function");
    BOOST_TEST(std::count(r.out.begin(), r.out.end(), '\n') == 21);
  }
}

BOOST_AUTO_TEST_CASE(random_starts_are_seeded_and_converge) {
  for (const auto& [fn, defaults] : {std::make_pair(&run_numpy, defaults_numpy()),
                                     std::make_pair(&run_tensor, defaults_tensor())}) {
    StageOptions o = default_options(defaults);
    std::ostringstream s1, s2, s3;
    o.seed = 7;
    const StageRun r1 = fn(o, s1);
    const StageRun r2 = fn(o, s2);
    o.seed = 8;
    const StageRun r3 = fn(o, s3);
    BOOST_TEST(s1.str() == s2.str());  // the same seed gives the same run
    BOOST_TEST(r1.result.at("a")[0] != r3.result.at("a")[0]);
    for (const StageRun* r : {&r1, &r3}) {
      BOOST_TEST_REQUIRE(r->trace.size() == 20u);
      // A convex quadratic under a small enough step: the loss never rises.
      for (std::size_t i = 1; i < r->trace.size(); ++i) BOOST_TEST(r->trace[i].loss <= r->trace[i - 1].loss);
      // And it ends near the tutorial's answer (its runs end at a loss of about 9).
      BOOST_TEST(r->trace.back().loss < 60.0);
    }
  }
}

BOOST_AUTO_TEST_CASE(zero_iterations_print_the_start) {
  std::ostringstream out;
  StageOptions o = options(defaults_tensor(), scalars(1, 2, 3, 4), "float32", 0);
  const StageRun r = run_tensor(o, out);
  BOOST_TEST(r.trace.empty());
  BOOST_TEST(out.str() == "Result: y = 1.0 + 2.0 x + 3.0 x^2 + 4.0 x^3\n");
}

BOOST_AUTO_TEST_CASE(direct_callers_get_typed_errors) {
  std::ostringstream out;
  StageOptions o = options(defaults_tensor(), scalars(1, 2, 3, 4), "float32", 10);
  o.device = eigrad::Device::cuda();
  if (!eigrad::cuda_backend_built()) BOOST_CHECK_THROW(run_tensor(o, out), eigrad::DeviceError);
  BOOST_CHECK_THROW(run_numpy(o, out), eigrad::DeviceError);  // NumPy's stage is Eigen arrays: CPU only
  o.device = eigrad::Device::cuda(eigrad::cuda::device_count());  // one past the devices this build has
  BOOST_CHECK_THROW(run_tensor(o, out), eigrad::DeviceError);
  o.device = eigrad::Device::cpu();
  o.dtype = "int8";
  BOOST_CHECK_THROW(run_tensor(o, out), eigrad::ValueError);
  BOOST_CHECK_THROW(run_numpy(o, out), eigrad::ValueError);
}

// ------------------------------------------------------------------ command line

namespace {

// Runs \p binary with \p args and checks the contract for bad input: exit 2, nothing on
// stdout, exactly one line on stderr, naming the program. Returns that line.
std::string expect_usage_error(const std::string& binary, const std::vector<std::string>& args) {
  const auto r = run_sample(binary, args);
  std::string joined;
  for (const auto& a : args) joined += " " + a;
  BOOST_TEST_CONTEXT(binary << joined) {
    BOOST_TEST(r.exit_code == 2);
    BOOST_TEST(r.out.empty(), r.out);
    BOOST_TEST(std::count(r.err.begin(), r.err.end(), '\n') == 1, r.err);
    BOOST_TEST((!r.err.empty() && r.err.back() == '\n'));
    BOOST_TEST(r.err.rfind(binary + ": error: ", 0) == 0u, r.err);
  }
  BOOST_TEST_MESSAGE(binary << joined << " -> " << r.err.substr(0, r.err.empty() ? 0 : r.err.size() - 1));
  return r.err;
}

}  // namespace

BOOST_AUTO_TEST_CASE(bad_command_lines_exit_2_with_one_line) {
  const TempFile malformed = temp_text_file("{ \"init\": { \"a\": 1.0, ");
  const TempFile not_object = temp_text_file("[1, 2, 3]");
  const TempFile missing_key = TempFile(write_init_file({{"a", {1}}, {"b", {2}}, {"c", {3}}}));
  const TempFile non_numeric = temp_text_file(R"({"init": {"a": "x", "b": 1, "c": 2, "d": 3}})");
  const TempFile array_key = temp_text_file(R"({"init": {"a": [1, 2], "b": 1, "c": 2, "d": 3}})");
  const TempFile null_key = temp_text_file(R"({"init": {"a": null, "b": 1, "c": 2, "d": 3}})");
  const TempFile empty = temp_text_file("");

  for (const std::string binary : {"01_numpy", "02_tensor"}) {
    BOOST_TEST(expect_usage_error(binary, {"--frobnicate"}).find("--frobnicate") != std::string::npos);
    BOOST_TEST(expect_usage_error(binary, {"--lr", "fast"}).find("fast") != std::string::npos);
    expect_usage_error(binary, {"--lr", "1e-6x"});
    expect_usage_error(binary, {"--lr", "nan"});
    expect_usage_error(binary, {"--lr=-1e-6"});
    expect_usage_error(binary, {"--iters", "1.5"});
    expect_usage_error(binary, {"--iters", "-3"});
    expect_usage_error(binary, {"--iters", "99999999999999999999999"});
    expect_usage_error(binary, {"--n", "0"});
    expect_usage_error(binary, {"--n", ""});
    expect_usage_error(binary, {"--seed", "-1"});
    expect_usage_error(binary, {"--lr"});
    expect_usage_error(binary, {"--lr", "1e-6", "--lr", "2e-6"});
    expect_usage_error(binary, {"stray"});
    expect_usage_error(binary, {"--it", "5"});  // no abbreviations
    expect_usage_error(binary, {"--momentum", "0.9"});  // 06_optim's flags only there
    expect_usage_error(binary, {"--nesterov"});
    BOOST_TEST(expect_usage_error(binary, {"--init", "/nonexistent/init.json"}).find("/nonexistent/init.json") !=
               std::string::npos);
    BOOST_TEST(expect_usage_error(binary, {"--init", malformed.path}).find("malformed JSON") != std::string::npos);
    expect_usage_error(binary, {"--init", empty.path});
    expect_usage_error(binary, {"--init", not_object.path});
    BOOST_TEST(expect_usage_error(binary, {"--init", missing_key.path}).find("\"d\"") != std::string::npos);
    BOOST_TEST(expect_usage_error(binary, {"--init", non_numeric.path}).find("\"a\"") != std::string::npos);
    expect_usage_error(binary, {"--init", array_key.path});
    expect_usage_error(binary, {"--init", null_key.path});
    BOOST_TEST(expect_usage_error(binary, {"--dtype", "float16"}).find("float16") != std::string::npos);
    BOOST_TEST(expect_usage_error(binary, {"--device", "tpu"}).find("tpu") != std::string::npos);
    expect_usage_error(binary, {"--device", "cuda:x"});
    if (!eigrad::cuda_backend_built()) {
      BOOST_TEST(expect_usage_error(binary, {"--device", "cuda"}).find("CUDA backend not built") !=
                 std::string::npos);
      expect_usage_error(binary, {"--device", "cuda:1", "--init", golden_path("02_tensor.json")});
    }
  }
}

BOOST_AUTO_TEST_CASE(init_reads_only_regular_files_of_bounded_size) {
  // A directory used to end in an uncaught std::ios_failure (abort), a FIFO in a hang.
  const std::string directory = std::filesystem::temp_directory_path().string();
  const TempFile fifo(write_init_file({}));
  std::remove(fifo.path.c_str());
  BOOST_TEST_REQUIRE(::mkfifo(fifo.path.c_str(), 0600) == 0);
  const TempFile huge = temp_text_file("");
  BOOST_TEST_REQUIRE(::truncate(huge.path.c_str(), static_cast<off_t>(kMaxInitBytes) + 1) == 0);
  for (const std::string binary : {"01_numpy", "03_autograd", "06_optim", "09_dual_numbers"}) {
    BOOST_TEST(expect_usage_error(binary, {"--init", directory}).find("not a regular file") != std::string::npos);
    BOOST_TEST(expect_usage_error(binary, {"--init", fifo.path}).find("not a regular file") != std::string::npos);
    BOOST_TEST(expect_usage_error(binary, {"--init", huge.path}).find("more than the") != std::string::npos);
  }
}

BOOST_AUTO_TEST_CASE(a_flag_without_its_value_is_named) {
  // Boost would take the next flag as the value and then report "too many positional options".
  BOOST_TEST(expect_usage_error("03_autograd", {"--lr", "--iters", "5"}).find("--lr needs a value (got the flag --iters)") !=
             std::string::npos);
  BOOST_TEST(expect_usage_error("06_optim", {"--optimizer", "--lr", "1"}).find("--optimizer needs a value") !=
             std::string::npos);
  BOOST_TEST(expect_usage_error("06_optim", {"--iters"}).find("--iters needs a value") != std::string::npos);
  // A negative number is still a value, and a switch needs none.
  BOOST_TEST(run_sample("06_optim", {"--optimizer", "adam", "--amsgrad", "--iters", "1"}).exit_code == 0);
  expect_usage_error("06_optim", {"--lr", "-1"});  // a value, refused for being negative
}

BOOST_AUTO_TEST_CASE(a_diverging_run_stops_at_its_first_non_finite_loss_with_exit_3) {
  // --lr 1e30 used to print nan losses and weights and exit 0.
  for (const std::string binary :
       {"01_numpy", "02_tensor", "03_autograd", "04_custom_function", "05_nn", "06_optim", "07_custom_module",
        "08_dynamic_net"}) {
    const auto r = run_sample(binary, {"--lr", "1e30", "--iters", "300", "--seed", "1"});
    BOOST_TEST_CONTEXT(binary << ": " << r.err) {
      BOOST_TEST(r.exit_code == 3);
      BOOST_TEST(std::count(r.err.begin(), r.err.end(), '\n') == 1);
      BOOST_TEST(r.err.rfind(binary + ": error: the loss is ", 0) == 0u);
      BOOST_TEST(r.err.find("try a smaller --lr") != std::string::npos);
      BOOST_TEST(r.out.find("nan") == std::string::npos);  // nothing non-finite was printed
      BOOST_TEST(r.out.find("Result") == std::string::npos);
    }
  }
  // The step named is the first whose loss is not finite: a direct run finds the same one.
  StageOptions opts = default_options(defaults_autograd());
  opts.lr = 1e30;
  opts.iters = 300;
  std::ostringstream out;
  try {
    run_autograd(opts, out);
    BOOST_FAIL("no Diverged");
  } catch (const Diverged& e) {
    const std::string message = e.what();
    const auto at = message.find(" at step ");
    BOOST_TEST_REQUIRE(at != std::string::npos);
    const std::int64_t step = std::stoll(message.substr(at + 9));
    opts.iters = step;  // every step before it has a finite loss
    std::ostringstream quiet;
    BOOST_CHECK_NO_THROW(run_autograd(opts, quiet));
  }
}

BOOST_AUTO_TEST_CASE(help_exits_0) {
  for (const std::string binary : {"01_numpy", "02_tensor"}) {
    const auto r = run_sample(binary, {"--help"});
    BOOST_TEST(r.exit_code == 0);
    BOOST_TEST(r.err.empty());
    for (const char* flag : {"Usage: ", "--init", "--lr", "--iters", "--n", "--dtype", "--device", "--seed"})
      BOOST_TEST(r.out.find(flag) != std::string::npos, binary << " --help lacks " << flag);
    BOOST_TEST(r.out.find("--optimizer") == std::string::npos);
  }
}

// ------------------------------------------------------------------ the parser itself

BOOST_AUTO_TEST_CASE(parse_values_and_defaults) {
  const StageOptions d = parse_stage_options(std::vector<std::string>{}, defaults_numpy());
  BOOST_TEST(d.lr == 1e-6);
  BOOST_TEST(d.iters == 2000);
  BOOST_TEST(d.n == 2000);
  BOOST_TEST(d.dtype == "float64");
  BOOST_TEST(d.device.is_cpu());
  BOOST_TEST(!d.seed.has_value());
  BOOST_TEST(!d.init.has_value());
  BOOST_TEST(d.print_every == 100);
  BOOST_TEST(parse_stage_options(std::vector<std::string>{}, defaults_tensor()).dtype == "float32");

  const StageOptions o = parse_stage_options(
      std::vector<std::string>{"--lr", "2.5e-3", "--iters=10", "--n", "+7", "--dtype", "float32", "--seed",
                               "18446744073709551615", "--device", "cpu", "--init", golden_path("01_numpy.json")},
      defaults_numpy());
  BOOST_TEST(o.lr == 2.5e-3);
  BOOST_TEST(o.iters == 10);
  BOOST_TEST(o.n == 7);
  BOOST_TEST(o.dtype == "float32");
  BOOST_TEST(*o.seed == 18446744073709551615ull);
  BOOST_TEST_REQUIRE(o.init.has_value());
  BOOST_TEST(o.init->at("a").at(0) == 0.3455841839313507);
  BOOST_TEST(o.init->at("d").at(0) == -1.3031572103500366);

  bool help = false;
  parse_stage_options(std::vector<std::string>{"--help"}, defaults_numpy(), &help);
  BOOST_TEST(help);
  BOOST_CHECK_THROW(parse_stage_options(std::vector<std::string>{"--help"}, defaults_numpy()), UsageError);
}

BOOST_AUTO_TEST_CASE(parse_optimizer_flags_when_the_stage_has_them) {
  StageDefaults d;
  d.lr = 1e-3;
  d.has_optimizer_flags = true;
  d.optimizer = "rmsprop";
  d.init_keys = {{"weight", 3}, {"bias", 1}};
  const StageOptions plain = parse_stage_options(std::vector<std::string>{}, d);
  BOOST_TEST(plain.optimizer == "rmsprop");
  BOOST_TEST(!plain.momentum.has_value());
  BOOST_TEST(!plain.nesterov);

  const StageOptions o = parse_stage_options(
      std::vector<std::string>{"--optimizer", "adam", "--beta1", "0.8", "--beta2=0.95", "--amsgrad", "--weight-decay",
                               "0.1", "--eps", "1e-6", "--momentum", "0.5", "--dampening", "0.3", "--nesterov",
                               "--centered", "--alpha", "0.9", "--lr-decay", "0.01", "--initial-accumulator-value",
                               "0.2", "--init", golden_path("06_optim_sgd.json")},
      d);
  BOOST_TEST(o.optimizer == "adam");
  BOOST_TEST(*o.beta1 == 0.8);
  BOOST_TEST(*o.beta2 == 0.95);
  BOOST_TEST(*o.weight_decay == 0.1);
  BOOST_TEST(*o.eps == 1e-6);
  BOOST_TEST(*o.momentum == 0.5);
  BOOST_TEST(*o.dampening == 0.3);
  BOOST_TEST(*o.alpha == 0.9);
  BOOST_TEST(*o.lr_decay == 0.01);
  BOOST_TEST(*o.initial_accumulator_value == 0.2);
  BOOST_TEST(o.amsgrad);
  BOOST_TEST(o.nesterov);
  BOOST_TEST(o.centered);
  BOOST_TEST(o.init->at("weight").size() == 3u);
  BOOST_TEST(o.init->at("bias").size() == 1u);

  BOOST_CHECK_THROW(parse_stage_options(std::vector<std::string>{"--optimizer", "lbfgs"}, d), UsageError);
  BOOST_CHECK_THROW(parse_stage_options(std::vector<std::string>{"--nesterov=1"}, d), UsageError);
  BOOST_CHECK_THROW(parse_stage_options(std::vector<std::string>{"--momentum", "x"}, d), UsageError);
  // A Linear stage needs "weight" and "bias": the scalar stages' files do not fit.
  BOOST_CHECK_THROW(parse_stage_options(std::vector<std::string>{"--init", golden_path("01_numpy.json")}, d),
                    UsageError);
}

BOOST_AUTO_TEST_CASE(parse_exponent_bounds_for_the_dynamic_stage) {
  StageDefaults d;
  d.lr = 1e-8;
  d.iters = 30000;
  d.print_every = 2000;
  d.has_exponent_bounds = true;
  d.init_keys = {{"a", 1}, {"b", 1}, {"c", 1}, {"d", 1}, {"e", 1}};
  const StageOptions o =
      parse_stage_options(std::vector<std::string>{"--init", golden_path("08_dynamic.json")}, d);
  BOOST_TEST_REQUIRE(o.exponent_upper_bounds.has_value());
  BOOST_TEST(o.exponent_upper_bounds->size() == 30000u);
  BOOST_TEST(o.exponent_upper_bounds->at(0) == 4);
  BOOST_TEST(o.exponent_upper_bounds->at(5) == 6);
  BOOST_TEST(o.init->at("e").at(0) == -2.3125815391540527);
  BOOST_TEST(o.print_every == 2000);
  // Fewer bounds than steps cannot reproduce the file's run.
  BOOST_CHECK_THROW(
      parse_stage_options(std::vector<std::string>{"--init", golden_path("08_dynamic.json"), "--iters", "30001"}, d),
      UsageError);
  const TempFile bad(write_init_file(scalars(1, 2, 3, 4), {4, 3}));
  BOOST_CHECK_THROW(parse_stage_options(std::vector<std::string>{"--init", bad.path}, d), UsageError);
  // Other stages ignore the key.
  const StageOptions plain =
      parse_stage_options(std::vector<std::string>{"--init", golden_path("08_dynamic.json")}, defaults_numpy());
  BOOST_TEST(!plain.exponent_upper_bounds.has_value());
}

// ------------------------------------------------------------------ the golden helper itself

BOOST_AUTO_TEST_CASE(golden_comparison_catches_mismatches) {
  const auto g = load_golden("02_tensor.json");
  StageRun exact{g.trace, g.result};
  BOOST_TEST(compare_run_to_golden(exact, g).mismatches.empty());

  // Just inside and just outside the tolerances.
  StageRun near = exact;
  near.trace[3].loss *= 1 + 0.9e-4;
  near.result["b"][0] += 0.9e-4;
  BOOST_TEST(compare_run_to_golden(near, g).mismatches.empty());

  StageRun off = exact;
  off.trace[3].loss *= 1 + 1.1e-4;
  off.trace[5].t += 1;
  off.result["b"][0] -= 1.1e-4;
  off.trace[7].loss = std::nan("");
  BOOST_TEST(compare_run_to_golden(off, g).mismatches.size() == 4u);

  StageRun short_run = exact;
  short_run.trace.pop_back();
  short_run.result.erase("d");
  short_run.result["e"] = {0.0};
  BOOST_TEST(compare_run_to_golden(short_run, g).mismatches.size() == 3u);

  // The optimizer-variant files without an envelope are held to the same 1e-4 absolute.
  const auto adam = load_golden("06_optim_adam.json");
  BOOST_TEST(!adam.envelope.has_value());
  StageRun adam_run{adam.trace, adam.result};
  adam_run.result["weight"][0] += 0.9e-4;
  BOOST_TEST(compare_run_to_golden(adam_run, adam).matches());
  adam_run.result["weight"][0] = adam.result.at("weight")[0] * (1 + 0.9e-3);  // 5.8e-4 off
  BOOST_TEST(compare_run_to_golden(adam_run, adam).mismatches.size() == 1u);
}

// doc/design.md's rule for a file with an envelope, value by value at its edges.
BOOST_AUTO_TEST_CASE(golden_envelope_rule) {
  const auto g = load_golden("06_optim.json");
  BOOST_TEST_REQUIRE(g.envelope.has_value());
  const eigrad::test::GoldenEnvelope& e = *g.envelope;
  BOOST_TEST(e.from == 1099);
  BOOST_TEST_REQUIRE(g.trace[9].t == 999);  // the last step before `from`
  BOOST_TEST_REQUIRE(g.trace[10].t == 1099);
  const StageRun exact{g.trace, g.result};
  const auto c = compare_run_to_golden(exact, g);
  BOOST_TEST(c.matches());
  BOOST_TEST(c.enveloped_values == 10u + 4u);  // t = 1099 .. 1999 and the 4 weights

  const auto verdict = [&](std::size_t line, double loss) {
    StageRun run = exact;
    run.trace[line].loss = loss;
    return compare_run_to_golden(run, g).matches();
  };
  // Before `from`: 1e-4 relative of the trace, even where the envelope is wider.
  BOOST_TEST(verdict(9, g.trace[9].loss * (1 + 0.9e-4)));
  BOOST_TEST(!verdict(9, g.trace[9].loss * (1 + 1.1e-4)));
  // From `from` on: [lo, hi] widened by half its width and 1e-4 relative on each side.
  for (std::size_t line : {10u, 11u, 19u}) {
    const double lo = e.trace[line].lo, hi = e.trace[line].hi, half = (hi - lo) / 2;
    BOOST_TEST_CONTEXT("t=" << g.trace[line].t) {
      BOOST_TEST(hi > lo);
      BOOST_TEST(verdict(line, lo));
      BOOST_TEST(verdict(line, hi + half + 0.9e-4 * hi));
      BOOST_TEST(!verdict(line, hi + half + 1.1e-4 * hi));
      BOOST_TEST(verdict(line, lo - half - 0.9e-4 * lo));
      BOOST_TEST(!verdict(line, lo - half - 1.1e-4 * lo));
      BOOST_TEST(!verdict(line, std::nan("")));
    }
  }
  // t = 1199: the envelope's low end is 2.5 % below PyTorch's own trace, and still a match.
  BOOST_TEST(std::abs(e.trace[11].lo - g.trace[11].loss) / g.trace[11].loss > 0.02);

  // Final weights: [lo, hi] widened by half its width and 1e-4 absolute on each side.
  const auto weight_verdict = [&](const std::string& key, std::size_t i, double v) {
    StageRun run = exact;
    run.result[key][i] = v;
    return compare_run_to_golden(run, g).matches();
  };
  for (const auto& [key, ranges] : e.result) {
    for (std::size_t i = 0; i < ranges.size(); ++i) {
      const double lo = ranges[i].lo, hi = ranges[i].hi, half = (hi - lo) / 2;
      BOOST_TEST_CONTEXT(key << "[" << i << "]") {
        BOOST_TEST(weight_verdict(key, i, hi + half + 0.9e-4));
        BOOST_TEST(!weight_verdict(key, i, hi + half + 1.1e-4));
        BOOST_TEST(weight_verdict(key, i, lo - half - 0.9e-4));
        BOOST_TEST(!weight_verdict(key, i, lo - half - 1.1e-4));
      }
    }
  }
  BOOST_TEST(e.result.at("weight").size() == 3u);
  BOOST_TEST(e.result.at("bias").size() == 1u);
}

BOOST_AUTO_TEST_CASE(golden_envelopes_are_checked_on_loading) {
  // Only the chaotic RMSprop files carry one.
  for (const std::string file : {"06_optim.json", "06_optim_rmsprop.json", "06_optim_rmsprop_centered_momentum.json",
                                 "float64/06_optim_rmsprop.json", "float64/06_optim_rmsprop_centered_momentum.json"})
    BOOST_TEST(load_golden(file).envelope.has_value(), file);
  for (const std::string file : {"05_nn.json", "06_optim_adam.json", "float64/06_optim_sgd.json", "08_dynamic.json"})
    BOOST_TEST(!load_golden(file).envelope.has_value(), file);

  // An envelope that does not fit its file is refused.
  std::ifstream in(golden_path("06_optim.json"));
  const nlohmann::json doc = nlohmann::json::parse(in);
  BOOST_TEST(eigrad::test::golden_from_json(doc, "06_optim.json").envelope->trace.size() == 20u);
  const auto refused = [](const nlohmann::json& broken) {
    BOOST_CHECK_THROW(eigrad::test::golden_from_json(broken, "broken.json"), eigrad::IoError);
  };
  nlohmann::json shifted = doc;
  shifted["envelope"]["trace"][3][0] = 300;
  refused(shifted);
  nlohmann::json short_trace = doc;
  short_trace["envelope"]["trace"].erase(19);
  refused(short_trace);
  nlohmann::json inverted = doc;
  inverted["envelope"]["bias"] = {1.0, 0.0};
  refused(inverted);
  nlohmann::json no_weight = doc;
  no_weight["envelope"].erase("weight");
  refused(no_weight);
}

BOOST_AUTO_TEST_CASE(golden_options_map_pytorch_names) {
  StageDefaults d;
  d.has_optimizer_flags = true;
  d.init_keys = {{"weight", 3}, {"bias", 1}};
  const auto g = load_golden("06_optim_adam_amsgrad_wd.json");
  const StageOptions o = eigrad::test::options_from_golden(g, d);
  BOOST_TEST(o.optimizer == "adam");
  BOOST_TEST(o.lr == 0.01);
  BOOST_TEST(*o.beta1 == 0.8);
  BOOST_TEST(*o.beta2 == 0.95);
  BOOST_TEST(o.amsgrad);
  BOOST_TEST(*o.weight_decay == 0.1);
  BOOST_TEST(o.init->at("weight").size() == 3u);
  const StageOptions r = eigrad::test::options_from_golden(load_golden("06_optim_rmsprop_centered_momentum.json"), d);
  BOOST_TEST(r.optimizer == "rmsprop");
  BOOST_TEST(r.centered);
  BOOST_TEST(*r.momentum == 0.5);
  BOOST_TEST(*r.alpha == 0.9);
  BOOST_TEST(*r.eps == 1e-6);
  BOOST_TEST(r.dtype == "float32");
  BOOST_TEST(eigrad::test::options_from_golden(load_golden("float64/06_optim_sgd_nesterov_wd.json"), d).dtype ==
             "float64");
  const StageOptions dyn = eigrad::test::options_from_golden(load_golden("08_dynamic.json"), d);
  BOOST_TEST(*dyn.momentum == 0.9);
  BOOST_TEST(dyn.iters == 30000);
  BOOST_TEST(dyn.exponent_upper_bounds->size() == 30000u);
}

// ------------------------------------------------------------------ printing

BOOST_AUTO_TEST_CASE(py_float_is_pythons_repr) {
  // Expected strings are Python 3's repr() of the same doubles.
  const std::pair<double, const char*> cases[] = {
      {1.0, "1.0"},
      {0x1.999999999999ap-4, "0.1"},
      {0x1.4f8b588e368f1p-17, "1e-05"},
      {0x1.a36e2eb1c432dp-14, "0.0001"},
      {0x1.1c37937e08000p+53, "1e+16"},
      {0x1.c6bf526340000p+49, "1000000000000000.0"},
      {123456789.0, "123456789.0"},
      {0x1.421f5f40d8376p-23, "1.5e-07"},
      {-2.5, "-2.5"},
      {0x1.88031c0000000p+9, "784.0242919921875"},
      {0x1.99999a0000000p-4, "0.10000000149011612"},
      {0x1.249ad2594c37dp+332, "1e+100"},
      {0x1.fffffffffffffp+1023, "1.7976931348623157e+308"},
      {0x0.0000000000001p-1022, "5e-324"},
      {0.0, "0.0"},
      {-0.0, "-0.0"},
      {0x1.5ee2a2eb5a5c4p+53, "1.2345678901234568e+16"},
      {0x1.1c37937e07fffp+53, "9999999999999998.0"},
      {0x1.f75104d551d69p-14, "0.00012"},
      {0x1.9e3abe16fc70dp-17, "1.2345e-05"},
      {-0x1.8f20c33cf50d0p-10, "-0.0015225524104965256"},
      {0x1.0000000000000p+60, "1.152921504606847e+18"},
      {0x1.5555555555555p-2, "0.3333333333333333"},
      {0x1.5555560000000p-2, "0.3333333432674408"},
      {100.0, "100.0"},
      {0x1.a36e3171742f0p-14, "0.00010000001"},
      {0x1.a36e2eb1c432dp-16, "2.5e-05"},
      {0x1.6345785d89fffp+56, "9.999999999999998e+16"},
      {0.5, "0.5"},
      {HUGE_VAL, "inf"},
      {-HUGE_VAL, "-inf"},
      {std::nan(""), "nan"},
  };
  for (const auto& [value, text] : cases) BOOST_TEST(py_float(value) == text);
}

BOOST_AUTO_TEST_CASE(printout_reads_back) {
  const std::string text =
      "99 71.03159242559877\n"
      "199 1e-05\n"
      "something else\n"
      "Result: y = 0.5 + -1.5e-07 x + 3.0 x^2 + -2.0 x^3\n";
  const StageRun run = parse_stage_output(text);
  BOOST_TEST_REQUIRE(run.trace.size() == 2u);
  BOOST_TEST(run.trace[0].t == 99);
  BOOST_TEST(run.trace[0].loss == 71.03159242559877);
  BOOST_TEST(run.trace[1].loss == 1e-05);
  const std::vector<double> expected{0.5, -1.5e-07, 3.0, -2.0};
  BOOST_TEST(run.result.at("printed") == expected, boost::test_tools::per_element());
  BOOST_TEST(cubic_string(0.5, -1.5e-07, 3.0, -2.0) == "y = 0.5 + -1.5e-07 x + 3.0 x^2 + -2.0 x^3");
}
