#pragma once
/// \file golden.hpp
/// \brief Golden traces made by PyTorch (test/golden/*.json): loading them, running a stage
///        from one, and checking a run against it by doc/design.md's rule (the chaos envelope
///        where a file has one). Also running a sample binary as a process and reading its
///        printout back.
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

/// A closed range [lo, hi] of values that PyTorch's perturbed reruns reached.
struct GoldenRange {
  double lo = 0;  ///< lowest value
  double hi = 0;  ///< highest value
};

/// The "envelope" of a chaotic golden file: PyTorch rerun from every combination of -1, 0, +1
/// ulp on the starting values (doc/design.md).
struct GoldenEnvelope {
  std::int64_t from = 0;                                   ///< first step whose reruns spread by > 1e-4
  std::vector<GoldenRange> trace;                          ///< the losses' range at each traced step
  std::map<std::string, std::vector<GoldenRange>> result;  ///< each final weight's range, by name
};

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
  std::optional<GoldenEnvelope> envelope;            ///< chaotic runs only
};

/// Loads EIGRAD_GOLDEN_DIR/\p relative (e.g. "01_numpy.json", "float64/06_optim_sgd.json").
/// Throws eigrad::IoError when the file is missing or not in the golden format (an envelope
/// whose steps are not the trace's, whose weights are not the result's, or whose lo > hi).
Golden load_golden(const std::string& relative);

/// The same from a parsed document; \p file names it in Golden::file and in messages.
Golden golden_from_json(const nlohmann::json& doc, const std::string& file);

/// Options that reproduce the golden run: the stage's defaults, overridden by the file's
/// init (and exponent bounds), lr, iterations, n, dtype, and (06) optimizer options mapped
/// to their command-line meaning ("RMSprop" -> "rmsprop", "betas" -> beta1/beta2, ...).
/// A top-level "momentum" (08) goes to StageOptions::momentum. The seed is fixed (0) so a
/// stage that draws anything still runs reproducibly.
StageOptions options_from_golden(const Golden& golden, const StageDefaults& defaults);

/// The golden tolerance: relative on losses, absolute on final weights.
constexpr double kGoldenTolerance = 1e-4;

/// The values an envelope range admits: [lo, hi] widened on each side by half its width and
/// by kGoldenTolerance, relative to the bound (\p relative, losses) or absolute (weights).
GoldenRange admitted_range(const GoldenRange& range, bool relative);

/// How a run compares with a golden file.
struct GoldenComparison {
  std::vector<std::string> mismatches;  ///< one message per value out of tolerance; empty: a match
  double worst_loss_rel = 0;            ///< largest relative error of a loss checked against the trace
  double worst_weight_abs = 0;          ///< largest absolute error of a final weight (files without envelope)
  std::size_t enveloped_values = 0;     ///< losses and weights checked against the envelope
  /// Whether the run matches the file.
  bool matches() const { return mismatches.empty(); }
};

/// Compares \p run with \p golden by doc/design.md's rule: the same number of trace lines at
/// the same t and the same result keys and sizes; then, for a file without an envelope, every
/// loss within 1e-4 relative and every final weight within 1e-4 absolute; for a file with
/// one, every loss before envelope.from within 1e-4 relative of the trace, every later loss
/// and every final weight within admitted_range of its envelope range. NaN never matches.
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

/// Where one printed number of a `Result:` line belongs: result[key][index].
struct ResultSlot {
  std::string key;        ///< result name ("a", "weight", ...)
  std::size_t index = 0;  ///< position in that result
};

/// The Result line's order of the cubic stages: a, b, c, d.
const std::vector<ResultSlot>& cubic_result_order();
/// The Result line's order of the nn stages (05, 06): bias, weight[0], weight[1], weight[2].
const std::vector<ResultSlot>& linear_result_order();

/// A stage's printout read back as a run comparable with its golden file: the trace, and the
/// Result line's numbers placed by \p order. Throws eigrad::IoError when the line holds
/// another count of numbers, or two different numbers for one slot (08 prints e twice).
StageRun run_from_printout(const std::string& stdout_text, const std::vector<ResultSlot>& order);

/// Writes a golden-format --init file holding \p init (1-vectors written as numbers) to a
/// fresh temporary path and returns the path; the caller removes it.
std::string write_init_file(const std::map<std::string, std::vector<double>>& init,
                            const std::vector<int>& exponent_upper_bounds = {});

}  // namespace eigrad::test
