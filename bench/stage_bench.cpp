// Microseconds per training step of the tutorial stages 02 .. 08 on eigrad, against the floor
// (one hand-written vectorised loop of the same math, bench/floor.cpp) and, when built with it,
// LibTorch on one thread. For each stage and N the implementations run interleaved, round after
// round, and each one's median per-step time is reported with the ratios; then the heap
// allocations of a steady-state step are counted. Every implementation's loss at the end of
// the warm-up (step 10, after the loss has fallen to about a third) is checked against the
// floor's, so that a broken baseline cannot go unnoticed: same math, same steps, so the same loss
// to 1e-3 relative; up to 1e-2 is marked as drift (float32 sums over millions of points carry
// that much rounding; the floor sums blocks in double), beyond it or a final loss that is not
// finite fails the run. (The final losses are not compared: stage 06's RMSprop turns chaotic past its loss
// floor, where rounding alone moves the loss by more than 1e-3.) bench/README.md has the table
// and the command.
//
// Usage: stage_bench [--points 2000,2000000,20000000] [--stages 2,3,4,5,6,7,8] [--rounds 7]
//                    [--round-ms 25 | --steps K] [--no-torch]
// Each implementation runs 10 warm-up steps, then K steps per round (K sized so that the slowest
// takes about --round-ms), then 3K more counting allocations (a multiple of stage 08's cycle
// of three graphs): 10 + (rounds + 3) K steps in all.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "alloc_counter.hpp"
#include "eigrad/tensor.hpp"
#include "stages.hpp"

#ifndef EIGRAD_BENCH_CXX_FLAGS
#define EIGRAD_BENCH_CXX_FLAGS "(unknown)"
#endif

namespace eigrad_bench {

const std::vector<StageSpec>& all_stages() {
  static const std::vector<StageSpec> stages = {
      {2, "02_tensor", 1e-6, true},          {3, "03_autograd", 1e-6, true},
      {4, "04_custom_function", 5e-6, true}, {5, "05_nn", 1e-6, true},
      {6, "06_optim", 1e-3, false},          {7, "07_custom_module", 1e-6, true},
      {8, "08_dynamic_net", 1e-8, true},
  };
  return stages;
}

#ifdef EIGRAD_BENCH_WITH_TORCH
constexpr bool kBuiltWithTorch = true;
#else
constexpr bool kBuiltWithTorch = false;
std::unique_ptr<Trainer> make_torch_trainer(const StageSetup&) { return nullptr; }
#endif

namespace {

using Clock = std::chrono::steady_clock;

constexpr double kPi = 3.141592653589793;
constexpr double kLossAgree = 1e-3;  // relative, against the floor's loss
constexpr double kLossDrift = 1e-2;  // more is a broken implementation
constexpr int kWarmupSteps = 10;  // the loss check's step

struct Options {
  std::vector<std::int64_t> points = {2000, 2000000, 20000000};
  std::vector<int> stages = {2, 3, 4, 5, 6, 7, 8};
  int rounds = 7;
  double round_ms = 25;  // each implementation's share of one round, at least one step
  std::int64_t steps = 0;  // steps per round; 0: from round_ms
  bool torch = true;
};

template <class T>
std::vector<T> parse_list(const char* text) {
  std::vector<T> values;
  std::stringstream in(text);
  std::string item;
  while (std::getline(in, item, ',')) values.push_back(static_cast<T>(std::atof(item.c_str())));
  return values;
}

bool parse(int argc, char** argv, Options& opts) {
  for (int i = 1; i < argc; ++i) {
    const bool has_value = i + 1 < argc;
    if (!std::strcmp(argv[i], "--points") && has_value) {
      opts.points = parse_list<std::int64_t>(argv[++i]);
    } else if (!std::strcmp(argv[i], "--stages") && has_value) {
      opts.stages = parse_list<int>(argv[++i]);
    } else if (!std::strcmp(argv[i], "--rounds") && has_value) {
      opts.rounds = std::atoi(argv[++i]);
    } else if (!std::strcmp(argv[i], "--round-ms") && has_value) {
      opts.round_ms = std::atof(argv[++i]);
    } else if (!std::strcmp(argv[i], "--steps") && has_value) {
      opts.steps = std::atoll(argv[++i]);
    } else if (!std::strcmp(argv[i], "--no-torch")) {
      opts.torch = false;
    } else {
      return false;
    }
  }
  const auto bad_stage = [](int s) { return s < 2 || s > 8; };
  const auto bad_points = [](std::int64_t n) { return n < 2; };
  return opts.rounds >= 1 && opts.round_ms > 0 && opts.steps >= 0 && !opts.points.empty() && !opts.stages.empty() &&
         std::none_of(opts.stages.begin(), opts.stages.end(), bad_stage) &&
         std::none_of(opts.points.begin(), opts.points.end(), bad_points);
}

StageSetup make_setup(const StageSpec& spec, std::int64_t n) {
  StageSetup setup;
  setup.spec = spec;
  setup.n = n;
  setup.lr = spec.sum_scaled_lr ? spec.lr_at_2000 * 2000.0 / static_cast<double>(n) : spec.lr_at_2000;
  const eigrad::Tensor<float> x = eigrad::linspace<float>(-kPi, kPi, n);
  setup.x = x.to_vector();
  setup.y = eigrad::sin(x).to_vector();
  return setup;
}

/// One implementation of the stage under measurement and what was measured of it.
struct Contender {
  const char* name;
  std::unique_ptr<Trainer> trainer;
  std::vector<double> step_us;  // one per round
  double allocs_per_step = 0, news_per_step = 0;
  double median_us() const {
    std::vector<double> v = step_us;
    std::sort(v.begin(), v.end());
    return v[v.size() / 2];
  }
};

double time_steps(Trainer& trainer, std::int64_t steps) {
  const auto start = Clock::now();
  trainer.run(steps);
  return std::chrono::duration<double, std::micro>(Clock::now() - start).count() / static_cast<double>(steps);
}

/// Microseconds with three significant digits at most, as the table shows them.
std::string format_us(double us) {
  char buf[32];
  if (us < 10) {
    std::snprintf(buf, sizeof buf, "%.2f", us);
  } else if (us < 100) {
    std::snprintf(buf, sizeof buf, "%.1f", us);
  } else {
    std::snprintf(buf, sizeof buf, "%.0f", us);
  }
  return buf;
}

/// "2000", "2M", "20M".
std::string format_points(std::int64_t n) {
  if (n >= 1000000 && n % 1000000 == 0) return std::to_string(n / 1000000) + "M";
  return std::to_string(n);
}

struct Row {
  std::string text;
  bool losses_agree = true;
};

Row measure(const StageSpec& spec, std::int64_t n, const Options& opts) {
  const StageSetup setup = make_setup(spec, n);
  std::vector<Contender> contenders;
  contenders.push_back({"floor", make_floor_trainer(setup), {}});
  contenders.push_back({"eigrad", make_eigrad_trainer(setup), {}});
  if (opts.torch) {
    if (auto torch = make_torch_trainer(setup)) contenders.push_back({"LibTorch", std::move(torch), {}});
  }

  // Warm-up: the first steps create gradients and optimizer state; the last one sizes a round.
  double slowest_us = 0;
  std::vector<double> first_loss, checked_loss;
  for (Contender& c : contenders) {
    c.trainer->run(1);
    first_loss.push_back(c.trainer->last_loss());
    c.trainer->run(kWarmupSteps - 2);
    slowest_us = std::max(slowest_us, time_steps(*c.trainer, 1));
    checked_loss.push_back(c.trainer->last_loss());
  }
  const std::int64_t steps =
      opts.steps > 0 ? opts.steps : std::max<std::int64_t>(1, std::llround(opts.round_ms * 1000 / slowest_us));

  for (int r = 0; r < opts.rounds; ++r) {
    for (Contender& c : contenders) c.step_us.push_back(time_steps(*c.trainer, steps));
  }

  const std::int64_t counted_steps = 3 * steps;
  for (Contender& c : contenders) {
    const AllocCount before = alloc_count();
    c.trainer->run(counted_steps);
    const AllocCount after = alloc_count();
    const auto per_step = [&](std::uint64_t calls) { return static_cast<double>(calls) / counted_steps; };
    c.allocs_per_step = per_step(after.heap - before.heap);
    c.news_per_step = per_step(after.operator_new - before.operator_new);
  }

  Row row;
  double worst = 0;
  bool drift = false;
  for (std::size_t i = 0; i < contenders.size(); ++i) {
    const double rel = std::abs(checked_loss[i] - checked_loss[0]) / std::abs(checked_loss[0]);
    const double final_loss = contenders[i].trainer->last_loss();
    std::fprintf(stderr, "%s N=%lld %s: loss %.9g at step 1, %.9g at step %d, %.9g at the end\n", spec.name,
                 static_cast<long long>(n), contenders[i].name, first_loss[i], checked_loss[i], kWarmupSteps,
                 final_loss);
    if (!(rel <= kLossDrift) || !std::isfinite(final_loss)) {
      row.losses_agree = false;
      std::fprintf(stderr, "LOSS MISMATCH: %s's loss at step %d is %.1e off the floor's, or its final loss is not finite\n",
                   contenders[i].name, kWarmupSteps, rel);
    } else if (rel > kLossAgree) {
      drift = true;
      std::fprintf(stderr, "loss drift: %s's loss at step %d is %.1e off the floor's\n", contenders[i].name,
                   kWarmupSteps, rel);
    }
    worst = std::max(worst, std::isfinite(rel) ? rel : INFINITY);
  }

  const Contender& floor = contenders[0];
  const Contender& eig = contenders[1];
  const Contender* torch = contenders.size() > 2 ? &contenders[2] : nullptr;
  char buf[512];
  std::snprintf(buf, sizeof buf, "| %s | %s | %lld×%d | %s | %s | %s | %.1f | %s | %.0f (%.0f new) | %s | %.6g → %.6g, %.0e%s |",
                spec.name, format_points(n).c_str(), static_cast<long long>(steps), opts.rounds,
                format_us(floor.median_us()).c_str(), format_us(eig.median_us()).c_str(),
                torch ? format_us(torch->median_us()).c_str() : "–", eig.median_us() / floor.median_us(),
                torch ? format_us(torch->median_us() / eig.median_us()).c_str() : "–", eig.allocs_per_step,
                eig.news_per_step, torch ? std::to_string(std::lround(torch->allocs_per_step)).c_str() : "–",
                first_loss[0], checked_loss[0], worst, !row.losses_agree ? " MISMATCH" : drift ? " drift" : "");
  row.text = buf;
  return row;
}

}  // namespace

}  // namespace eigrad_bench

int main(int argc, char** argv) {
  using namespace eigrad_bench;
  Options opts;
  if (!parse(argc, argv, opts)) {
    std::fprintf(stderr,
                 "usage: stage_bench [--points 2000,2000000,20000000] [--stages 2,3,4,5,6,7,8] [--rounds 7]\n"
                 "                   [--round-ms 25 | --steps K] [--no-torch]\n");
    return 2;
  }
  const bool with_torch = opts.torch && kBuiltWithTorch;
  std::printf("eigrad stage benchmark: float32, one thread; median of %d interleaved rounds\n", opts.rounds);
  std::printf("flags: %s; floor adds -fopenmp-simd; LibTorch: %s\n\n", EIGRAD_BENCH_CXX_FLAGS,
              with_torch ? "yes (at::set_num_threads(1))" : "not measured");
  std::printf(
      "| stage | N | steps × rounds | floor µs | eigrad µs | LibTorch µs | eigrad / floor | LibTorch / eigrad "
      "| eigrad allocs / step | LibTorch allocs / step | floor's loss, step 1 → 10; max rel. diff at 10 |\n"
      "|---|---|---|---|---|---|---|---|---|---|---|\n");
  std::fflush(stdout);
  bool agree = true;
  for (const std::int64_t n : opts.points) {
    for (const StageSpec& spec : all_stages()) {
      if (std::find(opts.stages.begin(), opts.stages.end(), spec.number) == opts.stages.end()) continue;
      const Row row = measure(spec, n, opts);
      agree = agree && row.losses_agree;
      std::printf("%s\n", row.text.c_str());
      std::fflush(stdout);
    }
  }
  if (!agree) std::fprintf(stderr, "some losses disagree with the floor's (see above)\n");
  return agree ? 0 : 1;
}
