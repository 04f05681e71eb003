#pragma once
/// \file golden.hpp
/// \brief Golden traces made by PyTorch (test/golden/*.json): loading them, running a stage
///        from one, and checking a run against it with DESIGN.md's tolerances. Also running a
///        sample binary as a process and reading its printout back.
#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "common/stage.hpp"

namespace eigrad::test {

using samples::StageDefaults;
using samples::StageFunction;
using samples::StageOptions;
using samples::StageRun;
using samples::TraceLine;

/// One golden file's contents.
struct Golden {
  std::string file;                                  ///< path relative to test/golden
  std::string stage;                                 ///< the "stage" description
  std::string dtype;                                 ///< "float32" or "float64"
  std::int64_t n = 0;                                ///< points
  std::int64_t iterations = 0;                       ///< training steps
  double lr = 0;                                     ///< learning rate
  nlohmann::json optimizer;                          ///< the "optimizer" object (null if absent)
  std::optional<double> momentum;                    ///< top-level "momentum" (08)
  std::map<std::string, std::vector<double>> init;   ///< starting weights (scalars as 1-vectors)
  std::map<std::string, std::vector<double>> result; ///< final weights
  std::vector<TraceLine> trace;                      ///< printed (t, loss) lines
  std::vector<int> exponent_upper_bounds;            ///< 08 only
};

/// Loads EIGRAD_GOLDEN_DIR/\p relative (e.g. "01_numpy.json", "float64/06_optim_sgd.json").
/// Throws eigrad::IoError when the file is missing or not in the golden format.
Golden load_golden(const std::string& relative);

/// Options that reproduce the golden run: the stage's defaults, overridden by the file's
/// init (and exponent bounds), lr, iterations, n, dtype, and (06) optimizer options mapped
/// to their command-line meaning ("RMSprop" -> "rmsprop", "betas" -> beta1/beta2, ...).
/// A top-level "momentum" (08) goes to StageOptions::momentum. The seed is fixed (0) so a
/// stage that draws anything still runs reproducibly.
StageOptions options_from_golden(const Golden& golden, const StageDefaults& defaults);

/// Relative tolerance on final weights: 1e-3 for the optimizer-variant files 06_optim_*,
/// else 0 (only the absolute 1e-4 applies).
double result_rtol(const Golden& golden);

/// How a run compares with a golden file.
struct GoldenComparison {
  std::vector<std::string> mismatches;  ///< one message per value out of tolerance; empty: a match
  double worst_loss_rel = 0;            ///< largest relative error of a traced loss
  double worst_weight_abs = 0;          ///< largest absolute error of a final weight
};

/// Compares \p run with \p golden by DESIGN.md's rule: the same number of trace lines at the
/// same t, every loss within 1e-4 relative (NaN never matches), the same result keys and
/// sizes, every final weight within max(1e-4, result_rtol·|w|).
GoldenComparison compare_run_to_golden(const StageRun& run, const Golden& golden);

/// Boost.Test check that compare_run_to_golden finds no mismatch (each one is reported).
void check_run_against_golden(const StageRun& run, const Golden& golden);

/// Runs \p fn from \p golden_file's options, checks the run against the file, and checks
/// that what it printed (read back with parse_stage_output) is exactly what it returned.
/// Returns the run for further checks.
StageRun check_stage_against_golden(StageFunction fn, const StageDefaults& defaults,
                                    const std::string& golden_file);

/// What a sample process did.
struct ProcessResult {
  int exit_code = -1;  ///< exit status (-1: could not start or killed by a signal)
  std::string out;     ///< everything written to stdout
  std::string err;     ///< everything written to stderr
};

/// Runs EIGRAD_SAMPLE_DIR/\p binary_name with \p args (no shell involved) and collects its
/// exit code and output.
ProcessResult run_sample(const std::string& binary_name, const std::vector<std::string>& args);

/// Reads a stage's printout back: every `t loss` line into trace, and the numbers of the
/// `Result:` line (in order, skipping the powers after '^') into result["printed"]. Other
/// lines are ignored.
StageRun parse_stage_output(const std::string& stdout_text);

/// Writes a golden-format --init file holding \p init (1-vectors written as numbers) to a
/// fresh temporary path and returns the path; the caller removes it.
std::string write_init_file(const std::map<std::string, std::vector<double>>& init,
                            const std::vector<int>& exponent_upper_bounds = {});

}  // namespace eigrad::test
