#define BOOST_TEST_MODULE samples_optim
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <filesystem>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include <unistd.h>

#include "common/stages.hpp"
#include "common/training.hpp"
#include "eigrad/nn/checkpoint.hpp"
#include "eigrad/nn/modules/loss.hpp"
#include "eigrad/optim/factory.hpp"
#include "eigrad/random.hpp"
#include "support/golden.hpp"

using namespace eigrad;
using namespace eigrad::samples;
using namespace eigrad::test;

namespace {

// Every golden file of the optim stage: the default run and ten optimizer variants in
// float32, the ten variants again in float64.
const std::vector<std::string> kVariants = {
    "06_optim_adagrad.json",          "06_optim_adam.json",  "06_optim_adam_amsgrad_wd.json",
    "06_optim_adamw.json",            "06_optim_rmsprop.json", "06_optim_rmsprop_centered_momentum.json",
    "06_optim_sgd.json",              "06_optim_sgd_dampening.json", "06_optim_sgd_momentum.json",
    "06_optim_sgd_nesterov_wd.json"};

// The chaotic runs. Once an RMSprop run reaches its loss floor each step moves every weight
// by about lr whatever the gradient's size (the centered variant divides by the difference
// of two nearly equal averages), so a one-ulp change anywhere grows to a percent-level change
// in the loss within a few hundred steps. Their files carry the envelope of PyTorch's own
// reruns from starting values moved by one ulp (doc/design.md).
const std::vector<std::string> kEnveloped = {
    "06_optim.json", "06_optim_rmsprop.json", "06_optim_rmsprop_centered_momentum.json",
    "float64/06_optim_rmsprop.json", "float64/06_optim_rmsprop_centered_momentum.json"};

std::vector<std::string> all_golden_files() {
  std::vector<std::string> files = {"06_optim.json"};
  for (const auto& v : kVariants) files.push_back(v);
  for (const auto& v : kVariants) files.push_back("float64/" + v);
  return files;
}

// The command-line flags that reproduce golden `g` (the file's "optimizer" object spelled
// as 06_optim's options).
std::vector<std::string> golden_flags(const Golden& g) {
  std::vector<std::string> args = {"--init", std::string(EIGRAD_GOLDEN_DIR) + "/" + g.file, "--dtype", g.dtype};
  const StageOptions o = options_from_golden(g, defaults_optim());
  args.insert(args.end(), {"--optimizer", o.optimizer, "--lr", py_float(o.lr)});
  auto put = [&](const char* flag, const std::optional<double>& v) {
    if (v) args.insert(args.end(), {flag, py_float(*v)});
  };
  put("--momentum", o.momentum);
  put("--dampening", o.dampening);
  put("--weight-decay", o.weight_decay);
  put("--alpha", o.alpha);
  put("--eps", o.eps);
  put("--beta1", o.beta1);
  put("--beta2", o.beta2);
  put("--lr-decay", o.lr_decay);
  put("--initial-accumulator-value", o.initial_accumulator_value);
  if (o.nesterov) args.push_back("--nesterov");
  if (o.centered) args.push_back("--centered");
  if (o.amsgrad) args.push_back("--amsgrad");
  return args;
}

// ------------------------------------------------------------------ the stage written out
// The tutorial's optim stage built here from the public API, in two halves with a
// checkpoint between them: what a user resuming training does.

template <class T>
struct Tutorial {
  Tensor<T> xx, y;
  nn::Sequential<T> model;
  nn::MSELoss<T> loss_fn{nn::Reduction::Sum};
  std::unique_ptr<optim::Optimizer<T>> optimizer;

  // A model started from o.init (or from Linear's random initialisation when empty).
  explicit Tutorial(const StageOptions& o) : model(nn::Linear<T>(3, 1), nn::Flatten<T>(0, 1)) {
    start_cubic_model(model, o);
    const auto [x, sin_x] = sine_data<T>(o);
    xx = cubic_features(x);
    y = sin_x;
    optimizer = optim::make_optimizer<T>(o.optimizer, model.parameters(), optimizer_options(o));
  }

  void train(std::int64_t from, std::int64_t to, const StageOptions& o, std::ostream& out, StageRun& run) {
    for (std::int64_t t = from; t < to; ++t) {
      const Tensor<T> loss = loss_fn(model(xx), y);
      trace_loss(out, run, o, t, loss.template item<double>());
      optimizer->zero_grad();
      loss.backward();
      optimizer->step();
    }
  }

  std::vector<T> weights() const {
    auto& linear = model.template at<nn::Linear<T>>(0);
    std::vector<T> w = linear.weight.to_vector();
    w.push_back(linear.bias.item());
    return w;
  }
};

std::string temp_path(const std::string& stem) {
  return (std::filesystem::temp_directory_path() / (stem + "_" + std::to_string(::getpid()) + ".safetensors"))
      .string();
}

// Saving model and optimizer after 1000 steps and loading both into a fresh model and
// optimizer gives, over the next 1000 steps, exactly the uninterrupted run's printout;
// and that run is exactly what the 06_optim stage prints.
template <class T>
void check_resumed_run(const std::string& golden_file) {
  BOOST_TEST_CONTEXT(golden_file) {
    const Golden g = load_golden(golden_file);
    StageOptions o = options_from_golden(g, defaults_optim());
    BOOST_REQUIRE(o.iters == 2000);

    std::ostringstream whole_out;
    StageRun whole_run;
    Tutorial<T> whole(o);
    whole.train(0, 2000, o, whole_out, whole_run);

    std::ostringstream stage_out;
    const StageRun stage_run = run_optim(o, stage_out);
    const std::string stage_text = stage_out.str();
    BOOST_TEST(stage_text.substr(0, stage_text.find("Result:")) == whole_out.str());

    std::ostringstream resumed_out;
    StageRun resumed_run;
    const std::string model_path = temp_path("eigrad_06_model"), optim_path = temp_path("eigrad_06_optim");
    {
      Tutorial<T> first(o);
      first.train(0, 1000, o, resumed_out, resumed_run);
      nn::save(first.model, model_path);
      first.optimizer->save(optim_path);
    }
    StageOptions random_start = o;
    random_start.init.reset();
    manual_seed(12345);  // the fresh model starts from other, random weights
    Tutorial<T> second(random_start);
    BOOST_TEST(second.weights() != whole.weights());
    nn::load(second.model, model_path);
    second.optimizer->load(optim_path);
    std::filesystem::remove(model_path);
    std::filesystem::remove(optim_path);
    second.train(1000, 2000, o, resumed_out, resumed_run);

    BOOST_TEST(resumed_out.str() == whole_out.str());
    BOOST_TEST(second.weights() == whole.weights());  // bit for bit
    BOOST_TEST(resumed_run.trace.size() == 20u);
  }
}

}  // namespace

// ==================================================================== golden traces

BOOST_AUTO_TEST_CASE(every_golden_optim_file) {
  // One rule for all: 1e-4, and the chaos envelope where the file has one.
  const auto files = all_golden_files();
  BOOST_TEST(files.size() == 21u);
  for (const auto& file : files) {
    BOOST_TEST_CONTEXT(file) {
      const bool enveloped = std::find(kEnveloped.begin(), kEnveloped.end(), file) != kEnveloped.end();
      BOOST_TEST(load_golden(file).envelope.has_value() == enveloped);
      check_stage_against_golden(&run_optim, defaults_optim(), file);
    }
  }
}

// The envelope admits PyTorch's own spread, and no more: RMSprop with alpha 0.01 lower (0.98
// instead of the default 0.99; 0.89 instead of the centered files' 0.9), a run one step short,
// or one final weight moved just past the widened range fails.
BOOST_AUTO_TEST_CASE(envelope_refuses_near_misses) {
  for (const auto& file : kEnveloped) {
    BOOST_TEST_CONTEXT(file) {
      const Golden g = load_golden(file);
      BOOST_TEST_REQUIRE(g.envelope.has_value());
      const StageOptions o = options_from_golden(g, defaults_optim());
      std::ostringstream sink;
      const StageRun good = run_optim(o, sink);
      BOOST_TEST_REQUIRE(compare_run_to_golden(good, g).matches());

      StageOptions other_alpha = o;
      other_alpha.alpha = o.alpha.value_or(0.99) - 0.01;  // absent: RMSprop's default 0.99
      const GoldenComparison alpha = compare_run_to_golden(run_optim(other_alpha, sink), g);
      BOOST_TEST(!alpha.matches());
      BOOST_TEST(alpha.worst_loss_rel > 1e-3);  // already before the chaos sets in

      StageOptions one_short = o;
      one_short.iters = o.iters - 1;
      const GoldenComparison short_run = compare_run_to_golden(run_optim(one_short, sink), g);
      BOOST_TEST(!short_run.matches());
      BOOST_TEST(short_run.mismatches.front() == g.file + ": 19 trace lines, golden has 20");

      for (const auto& [key, ranges] : g.envelope->result) {
        for (std::size_t i = 0; i < ranges.size(); ++i) {
          BOOST_TEST_CONTEXT(key << "[" << i << "]") {
            const double edge = ranges[i].hi + (ranges[i].hi - ranges[i].lo) / 2 + 1e-4;
            StageRun moved = good;
            moved.result[key][i] = edge + 1e-6;
            const GoldenComparison c = compare_run_to_golden(moved, g);
            BOOST_TEST(c.mismatches.size() == 1u);
            moved.result[key][i] = edge - 1e-6;
            BOOST_TEST(compare_run_to_golden(moved, g).matches());
          }
        }
      }
    }
  }

  // The same through the binary's flags: --alpha 0.98.
  const Golden g = load_golden("06_optim.json");
  std::vector<std::string> args = golden_flags(g);
  const auto alpha = std::find(args.begin(), args.end(), "--alpha");
  BOOST_TEST_REQUIRE((alpha != args.end()));
  *(alpha + 1) = "0.98";
  const ProcessResult r = run_sample("06_optim", args);
  BOOST_TEST_REQUIRE(r.exit_code == 0, r.err);
  BOOST_TEST(!compare_run_to_golden(run_from_printout(r.out, linear_result_order()), g).matches());
  const ProcessResult as_golden = run_sample("06_optim", golden_flags(g));
  BOOST_TEST(compare_run_to_golden(run_from_printout(as_golden.out, linear_result_order()), g).matches());
}

BOOST_AUTO_TEST_CASE(default_options_are_the_tutorials) {
  // The tutorial's RMSprop(lr=1e-3) with PyTorch's defaults is what runs without flags.
  const StageDefaults d = defaults_optim();
  BOOST_TEST(d.lr == 1e-3);
  BOOST_TEST(d.optimizer == "rmsprop");
  BOOST_TEST(d.has_optimizer_flags);
  const Golden g = load_golden("06_optim.json");
  StageOptions o = default_options(d);
  o.init = g.init;
  std::ostringstream a, b;
  const StageRun plain = run_optim(o, a);
  o.alpha = 0.99;
  o.eps = 1e-8;
  o.momentum = 0;
  o.weight_decay = 0;
  const StageRun explicit_defaults = run_optim(o, b);
  BOOST_TEST(a.str() == b.str());
  BOOST_TEST(plain.trace.size() == 20u);
}

// ==================================================================== the binary

BOOST_AUTO_TEST_CASE(binary_reproduces_golden_with_flags) {
  for (const std::string file : {"06_optim_sgd_nesterov_wd.json", "float64/06_optim_adam_amsgrad_wd.json",
                                 "06_optim_adagrad.json"}) {
    BOOST_TEST_CONTEXT(file) {
      const Golden g = load_golden(file);
      const ProcessResult r = run_sample("06_optim", golden_flags(g));
      BOOST_TEST_REQUIRE(r.exit_code == 0, r.err);
      BOOST_TEST(r.err.empty());
      check_run_against_golden(run_from_printout(r.out, linear_result_order()), g);
      // And the binary prints exactly what the stage function prints.
      std::ostringstream out;
      run_optim(options_from_golden(g, defaults_optim()), out);
      BOOST_TEST(r.out == out.str());
    }
  }
}

BOOST_AUTO_TEST_CASE(binary_rejects_bad_optimizer_options) {
  struct Bad {
    std::vector<std::string> args;
    std::string mentions;
  };
  const std::vector<Bad> cases = {
      {{"--optimizer", "adam", "--beta1", "1.5"}, "beta1"},
      {{"--optimizer", "adamw", "--beta2=-0.1"}, "beta2"},
      {{"--optimizer", "sgd", "--lr", "1e-6", "--nesterov"}, "nesterov"},
      {{"--optimizer", "sgd", "--lr", "1e-6", "--momentum", "0.9", "--nesterov", "--dampening", "0.5"}, "dampening"},
      {{"--optimizer", "sgd", "--momentum=-0.9"}, "momentum"},
      {{"--optimizer", "rmsprop", "--alpha=-1"}, "alpha"},
      {{"--optimizer", "rmsprop", "--eps=-1e-8"}, "eps"},
      {{"--optimizer", "adagrad", "--lr-decay=-0.1"}, "lr_decay"},
      {{"--optimizer", "adagrad", "--initial-accumulator-value=-1"}, "initial_accumulator_value"},
      {{"--optimizer", "adam", "--weight-decay=-1"}, "weight_decay"},
      {{"--lr=-0.001"}, "lr"},
      {{"--optimizer", "sgd", "--beta1", "0.5"}, "beta1"},       // an option SGD does not have
      {{"--optimizer", "adagrad", "--amsgrad"}, "amsgrad"},      // nor Adagrad
      {{"--optimizer", "lbfgs"}, "lbfgs"},
  };
  for (const auto& c : cases) {
    std::vector<std::string> args = {"--iters", "3"};
    args.insert(args.end(), c.args.begin(), c.args.end());
    const ProcessResult r = run_sample("06_optim", args);
    std::string joined;
    for (const auto& a : c.args) joined += a + " ";
    BOOST_TEST_CONTEXT(joined) {
      BOOST_TEST(r.exit_code == 2);
      BOOST_TEST(r.out.empty());
      BOOST_TEST(r.err.find("06_optim: error:") == 0u, r.err);
      BOOST_TEST(r.err.find(c.mentions) != std::string::npos, r.err);
      BOOST_TEST(std::count(r.err.begin(), r.err.end(), '\n') == 1);
    }
  }
}

// ==================================================================== checkpoints

BOOST_AUTO_TEST_CASE(resumed_run_prints_the_uninterrupted_trace) {
  // The chaotic RMSprop runs are the sharpest test: any difference in the restored state
  // would change the second half of the trace.
  check_resumed_run<float>("06_optim.json");
  check_resumed_run<float>("06_optim_rmsprop_centered_momentum.json");
  check_resumed_run<float>("06_optim_sgd_nesterov_wd.json");
  check_resumed_run<float>("06_optim_adam_amsgrad_wd.json");
  check_resumed_run<float>("06_optim_adamw.json");
  check_resumed_run<float>("06_optim_adagrad.json");
  check_resumed_run<double>("float64/06_optim_rmsprop_centered_momentum.json");
  check_resumed_run<double>("float64/06_optim_sgd_dampening.json");
}
