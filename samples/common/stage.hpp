#pragma once
/// \file stage.hpp
/// \brief What every tutorial sample shares: its command line, its --init file, and the
///        tutorial's printout (`t loss` lines in Python's float repr, then `Result: ...`).
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <iosfwd>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "eigrad/device.hpp"

namespace eigrad::samples {

/// Bad command-line input or --init file: stage_main prints the message as one line and
/// exits with 2.
class UsageError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// A training run whose loss stopped being finite: stage_main prints the message as one
/// line and exits with 3.
class Diverged : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// One printed `t loss` line.
struct TraceLine {
  std::int64_t t;  ///< the step index as printed
  double loss;     ///< the loss as printed (a float32 loss widened exactly to double)
};

/// What a training run printed, as numbers: its trace lines and its final weights by name
/// ("a".."e" for scalar stages; "weight" (3 values) and "bias" for Linear stages).
struct StageRun {
  std::vector<TraceLine> trace;                          ///< every `t loss` line, in order
  std::map<std::string, std::vector<double>> result;     ///< final weights by name
  /// Every step's loss, kept only when --csv asks for it (record_loss()).
  std::vector<TraceLine> losses;
  /// The trained model as a function of x, evaluated in double from the final weights: what
  /// --csv draws beside sin(x). Empty when the stage set none.
  std::function<double(double)> model;
};

/// A weight the --init file must give: its name and how many numbers it holds (1: a JSON
/// number; more: a JSON array of exactly that many numbers).
struct InitKey {
  std::string name;      ///< key in the file's "init" object
  std::size_t size = 1;  ///< number of values
};

/// A stage's defaults: the tutorial's hyper-parameters and what its --init file holds.
struct StageDefaults {
  /// The --help line naming the stage, e.g. `Tutorial stage 3, "PyTorch: Tensors and autograd"`.
  std::string title;
  bool uses_lr = true;               ///< --lr means something (09 takes Newton steps instead)
  /// --seed is listed: the start is random (04 starts from the tutorial's fixed values, and
  /// accepts --seed without listing it).
  bool uses_seed = true;
  double lr = 1e-6;                  ///< learning rate
  std::int64_t iters = 2000;         ///< training steps
  std::int64_t n = 2000;             ///< points of linspace(-pi, pi, n)
  std::string dtype = "float32";     ///< "float32" or "float64"
  std::int64_t print_every = 100;    ///< a `t loss` line when t % print_every == print_every - 1
  bool has_optimizer_flags = false;  ///< 06_optim: accept --optimizer and its options
  std::string optimizer = "rmsprop"; ///< default --optimizer (06_optim only)
  bool has_exponent_bounds = false;  ///< 08_dynamic_net: --init may hold "exponent_upper_bounds"
  /// The weights an --init file must give (the scalar stages' a, b, c, d by default).
  std::vector<InitKey> init_keys = {{"a", 1}, {"b", 1}, {"c", 1}, {"d", 1}};
};

/// Everything a stage's command line can say; unset values take the stage's StageDefaults.
struct StageOptions {
  /// The "init" object of --init FILE (scalars as 1-element vectors); empty: random weights.
  std::optional<std::map<std::string, std::vector<double>>> init;
  /// The "exponent_upper_bounds" of --init FILE (08 only); empty: drawn at random.
  std::optional<std::vector<int>> exponent_upper_bounds;
  double lr = 1e-6;                  ///< learning rate
  std::int64_t iters = 2000;         ///< training steps (0: just print the starting weights)
  std::int64_t n = 2000;             ///< points (>= 1)
  std::string dtype = "float32";     ///< "float32" or "float64"
  eigrad::Device device;             ///< where tensors live (available in this build)
  std::optional<std::uint64_t> seed; ///< seed of eigrad's generator; empty: std::random_device
  std::int64_t print_every = 100;    ///< trace cadence
  /// --csv FILE: where stage_main writes every step's loss and the fitted curve; empty: nowhere.
  std::optional<std::string> csv;

  // 06_optim only (PyTorch's defaults apply to the options left empty).
  std::string optimizer = "rmsprop";          ///< "sgd", "rmsprop", "adam", "adamw" or "adagrad"
  std::optional<double> momentum;             ///< SGD, RMSprop
  std::optional<double> dampening;            ///< SGD
  std::optional<double> weight_decay;         ///< all
  std::optional<double> alpha;                ///< RMSprop smoothing constant
  std::optional<double> eps;                  ///< RMSprop, Adam, AdamW, Adagrad
  std::optional<double> beta1;                ///< Adam, AdamW
  std::optional<double> beta2;                ///< Adam, AdamW
  std::optional<double> lr_decay;             ///< Adagrad
  std::optional<double> initial_accumulator_value;  ///< Adagrad
  bool nesterov = false;                      ///< SGD
  bool centered = false;                      ///< RMSprop
  bool amsgrad = false;                       ///< Adam, AdamW
};

/// Python's math.pi: the tutorial fits sin(x) on [-pi, pi].
constexpr double kPi = 3.141592653589793;

/// The largest --init file read (the golden files are 1 to 150 kB).
constexpr std::size_t kMaxInitBytes = 16u << 20;

/// Options holding a stage's defaults and nothing from a command line.
StageOptions default_options(const StageDefaults& defaults);

/// A stage's training function: prints the tutorial's output to \p out as it goes (`t loss`
/// lines, then the `Result: ...` line) and returns what it printed as numbers.
using StageFunction = StageRun (*)(const StageOptions&, std::ostream& out);

/// Parses the arguments after the program name (Boost.Program_options) on top of the
/// stage's defaults. Throws UsageError with a one-line message on any bad input: unknown
/// flag, malformed or out-of-range value, unreadable or malformed --init file, missing init
/// key, unknown dtype, unknown device or one this build lacks ("CUDA backend not built").
/// When \p help is given, `--help` sets it and parsing stops; otherwise --help is an error.
StageOptions parse_stage_options(const std::vector<std::string>& args, const StageDefaults& defaults,
                                 bool* help = nullptr);
/// The same from main()'s argc/argv (argv[0] is skipped).
StageOptions parse_stage_options(int argc, char** argv, const StageDefaults& defaults,
                                 bool* help = nullptr);
/// The --help text of stage \p name.
std::string stage_usage(const std::string& name, const StageDefaults& defaults);

/// Runs \p as_float32 or \p as_float64 as opts.dtype says, after checking that opts.device is
/// available in this build (eigrad::DeviceError). Any other dtype is a ValueError: "STAGE:
/// unknown dtype 'X' (expected float32 or float64)"; for a stage that runs in float64 only
/// (\p as_float32 null), "STAGE runs in float64 only (got --dtype X)" for anything else.
StageRun run_in_dtype(const char* stage, const StageOptions& opts, std::ostream& out, StageFunction as_float32,
                      StageFunction as_float64);

/// For a stage computing with Eigen arrays on the CPU: throws eigrad::DeviceError "STAGE
/// computes with Eigen arrays on the CPU only, not on DEVICE" unless opts.device is the CPU.
void require_cpu(const char* stage, const StageOptions& opts);

/// Parses argv with the stage's defaults, then runs \p fn printing to std::cout, and writes
/// the run to the --csv file when one is given (write_csv()). Bad input (UsageError, an
/// unwritable --csv file included, or an eigrad::ValueError or eigrad::DeviceError thrown
/// by \p fn, e.g. an optimizer option out of range) prints one line "NAME: error: ..." to
/// stderr and returns 2; any other failure prints one such line and returns 1. `--help`
/// prints the usage to stdout and returns 0.
int stage_main(int argc, char** argv, const char* name, const StageDefaults& defaults,
               StageFunction fn);

/// Reads the "init" object of a golden-format JSON file: a number becomes a 1-element
/// vector, an array of numbers a vector. When \p bounds is given and the file holds
/// "exponent_upper_bounds" (integers), they are stored there. Throws UsageError naming the
/// file and the key at fault (unreadable file, malformed JSON, no "init" object, a value
/// that is not a number or array of numbers).
std::map<std::string, std::vector<double>> read_init_file(const std::string& path,
                                                          std::optional<std::vector<int>>* bounds);

/// Python's repr() of a float: shortest round-trip digits; scientific (`1e-05`, `1.5e+16`)
/// when the decimal exponent is below -4 or at least 16, else positional with at least one
/// fractional digit (`1.0`); `inf`, `-inf`, `nan`. The tutorial prints losses and weights so.
std::string py_float(double v);

/// Records step \p t's loss in \p run's losses when opts.csv asks for them.
inline void record_loss(StageRun& run, const StageOptions& opts, std::int64_t t, double loss) {
  if (opts.csv) run.losses.push_back({t, loss});
}

/// Writes \p run as CSV to \p out, one `series,x,y` row per point: `loss,t,loss` for every
/// recorded step, then `sin,x,sin(x)` and, when \p run has a model, `fit,x,model(x)` on the
/// grid linspace(-pi, pi, opts.n) (numbers as py_float). scripts/plot draws these files.
void write_csv(std::ostream& out, const StageRun& run, const StageOptions& opts);

/// Prints `t loss` (loss as py_float) and records it in \p run's trace.
void print_trace_line(std::ostream& out, StageRun& run, std::int64_t t, double loss);

/// Whether step \p t prints a trace line (`t % print_every == print_every - 1`).
inline bool is_trace_step(const StageOptions& opts, std::int64_t t) {
  return t % opts.print_every == opts.print_every - 1;
}

/// The loss of step \p t: Diverged at the first one that is not finite (naming the step and
/// the learning rate); otherwise record_loss() and a trace line on the steps is_trace_step()
/// picks.
void trace_loss(std::ostream& out, StageRun& run, const StageOptions& opts, std::int64_t t, double loss);

/// "y = a + b x + c x^2 + d x^3" with every number as py_float (the tutorial's f-string).
std::string cubic_string(double a, double b, double c, double d);

/// Prints "Result: " + \p text and a newline.
void print_result(std::ostream& out, const std::string& text);

/// Records scalar final weights in \p run under the names "a", "b", "c", ... in order.
void record_scalars(StageRun& run, std::initializer_list<double> values);

/// a + b x + c x^2 + d x^3 as a function of x, for StageRun::model.
std::function<double(double)> cubic_model(double a, double b, double c, double d);

/// The cubic stages' ending: prints "Result: " + cubic_string(a, b, c, d), records a..d as
/// \p run's result and cubic_model(a, b, c, d) as its model, and returns the run.
StageRun finish_cubic_run(std::ostream& out, StageRun run, double a, double b, double c, double d);

/// Seeds eigrad's default generator for one run: from opts.seed, or from
/// std::random_device when absent (every run then starts elsewhere, as the tutorial does).
void seed_run(const StageOptions& opts);

/// The starting value of scalar weight \p key: opts.init's value when given, else one
/// standard normal draw of eigrad's default generator (call seed_run() first).
double initial_scalar(const StageOptions& opts, const std::string& key);

/// 06_optim's optimizer options under PyTorch's keyword names ("lr", "momentum", "beta1", ...,
/// switches as 1), for optim::make_optimizer. Options absent from the command line are left out
/// so the optimizer's own defaults apply; one the chosen optimizer lacks is an error there.
std::map<std::string, double> optimizer_options(const StageOptions& opts);

}  // namespace eigrad::samples

/// A sample's main(): weak, because the same object is also a member of the library
/// eigrad_stages, and a test or fuzz target that links it brings its own (strong) main.
#define EIGRAD_SAMPLE_MAIN __attribute__((weak)) int main

/// Defines a sample binary's main(): stage_main(argc, argv, NAME, DEFAULTS(), &RUN), with
/// DEFAULTS and RUN named in eigrad::samples.
#define EIGRAD_STAGE_MAIN(NAME, DEFAULTS, RUN)                                                  \
  EIGRAD_SAMPLE_MAIN(int argc, char** argv) {                                                  \
    return ::eigrad::samples::stage_main(argc, argv, NAME, ::eigrad::samples::DEFAULTS(),      \
                                         &::eigrad::samples::RUN);                             \
  }
