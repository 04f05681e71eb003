#include "support/golden.hpp"

#include <boost/test/unit_test.hpp>

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>

#include "eigrad/errors.hpp"

extern char** environ;

namespace eigrad::test {

namespace {

std::map<std::string, std::vector<double>> weights_from_json(const nlohmann::json& object, const std::string& file,
                                                             const char* what) {
  EIGRAD_CHECK(object.is_object(), IoError, file, ": \"", what, "\" is not an object");
  std::map<std::string, std::vector<double>> out;
  for (const auto& [key, value] : object.items()) {
    if (value.is_number()) {
      out[key] = {value.get<double>()};
    } else if (value.is_array()) {
      out[key] = value.get<std::vector<double>>();
    } else {
      EIGRAD_FAIL(IoError, file, ": \"", what, "\".\"", key, "\" is not a number or an array");
    }
  }
  return out;
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream os;
  os << in.rdbuf();
  return os.str();
}

// A temporary file name that no other test process uses.
std::string temp_path(const char* stem) {
  const char* dir = std::getenv("TMPDIR");
  std::string pattern = std::string(dir && *dir ? dir : "/tmp") + "/eigrad_" + stem + "_XXXXXX";
  std::vector<char> buf(pattern.begin(), pattern.end());
  buf.push_back('\0');
  const int fd = ::mkstemp(buf.data());
  EIGRAD_CHECK(fd >= 0, IoError, "cannot create a temporary file like ", pattern, ": ", std::strerror(errno));
  ::close(fd);
  return std::string(buf.data());
}

bool parse_full_double(const std::string& token, double& value) {
  const char* first = token.data();
  const char* last = first + token.size();
  const auto [ptr, ec] = std::from_chars(first, last, value);
  return !token.empty() && ec == std::errc() && ptr == last;
}

bool parse_full_int(const std::string& token, std::int64_t& value) {
  const char* first = token.data();
  const char* last = first + token.size();
  const auto [ptr, ec] = std::from_chars(first, last, value);
  return !token.empty() && ec == std::errc() && ptr == last;
}

GoldenRange range_from_json(const nlohmann::json& pair, const std::string& file, const std::string& what) {
  EIGRAD_CHECK(pair.is_array() && pair.size() == 2 && pair[0].is_number() && pair[1].is_number(), IoError, file,
               ": envelope ", what, " is not a [lo, hi] pair: ", pair.dump());
  const GoldenRange r{pair[0].get<double>(), pair[1].get<double>()};
  EIGRAD_CHECK(r.lo <= r.hi, IoError, file, ": envelope ", what, " has lo > hi: ", pair.dump());
  return r;
}

// The "envelope" object, checked against the file's trace and result: the same steps in the
// same order, and a range for every final weight.
GoldenEnvelope envelope_from_json(const nlohmann::json& object, const Golden& g) {
  EIGRAD_CHECK(object.is_object(), IoError, g.file, ": \"envelope\" is not an object");
  GoldenEnvelope e;
  e.from = object.at("from").get<std::int64_t>();
  const nlohmann::json& trace = object.at("trace");
  EIGRAD_CHECK(trace.is_array() && trace.size() == g.trace.size(), IoError, g.file, ": envelope trace has ",
               trace.size(), " lines, the trace ", g.trace.size());
  for (std::size_t i = 0; i < trace.size(); ++i) {
    const nlohmann::json& line = trace[i];
    EIGRAD_CHECK(line.is_array() && line.size() == 3 && line[0].get<std::int64_t>() == g.trace[i].t, IoError, g.file,
                 ": envelope trace line ", i, " is not [", g.trace[i].t, ", lo, hi]: ", line.dump());
    e.trace.push_back(range_from_json({line[1], line[2]}, g.file, "trace line " + std::to_string(i)));
  }
  for (const auto& [key, want] : g.result) {
    EIGRAD_CHECK(object.contains(key), IoError, g.file, ": envelope has no \"", key, "\"");
    const nlohmann::json& ranges = object[key];
    std::vector<GoldenRange>& out = e.result[key];
    if (want.size() == 1 && !ranges.empty() && ranges[0].is_number()) {
      out.push_back(range_from_json(ranges, g.file, key));
    } else {
      EIGRAD_CHECK(ranges.is_array() && ranges.size() == want.size(), IoError, g.file, ": envelope \"", key,
                   "\" holds ", ranges.size(), " ranges, the result ", want.size(), " values");
      for (std::size_t i = 0; i < ranges.size(); ++i)
        out.push_back(range_from_json(ranges[i], g.file, key + "[" + std::to_string(i) + "]"));
    }
  }
  return e;
}

}  // namespace

Golden load_golden(const std::string& relative) {
  const std::string path = std::string(EIGRAD_GOLDEN_DIR) + "/" + relative;
  std::ifstream in(path, std::ios::binary);
  EIGRAD_CHECK(in, IoError, "cannot read golden file ", path);
  nlohmann::json doc;
  try {
    doc = nlohmann::json::parse(in);
  } catch (const nlohmann::json::exception& e) {
    EIGRAD_FAIL(IoError, "golden file ", path, ": ", e.what());
  }
  return golden_from_json(doc, relative);
}

Golden golden_from_json(const nlohmann::json& doc, const std::string& file) {
  Golden g;
  g.file = file;
  try {
    g.stage = doc.at("stage").get<std::string>();
    g.dtype = doc.at("dtype").get<std::string>();
    g.n = doc.at("n").get<std::int64_t>();
    g.iterations = doc.at("iterations").get<std::int64_t>();
    g.lr = doc.at("lr").get<double>();
    if (doc.contains("optimizer")) g.optimizer = doc["optimizer"];
    if (doc.contains("momentum")) g.momentum = doc["momentum"].get<double>();
    g.init = weights_from_json(doc.at("init"), file, "init");
    g.result = weights_from_json(doc.at("result"), file, "result");
    for (const auto& line : doc.at("trace")) g.trace.push_back({line.at(0).get<std::int64_t>(), line.at(1).get<double>()});
    if (doc.contains("exponent_upper_bounds")) g.exponent_upper_bounds = doc["exponent_upper_bounds"].get<std::vector<int>>();
    if (doc.contains("envelope")) g.envelope = envelope_from_json(doc["envelope"], g);
  } catch (const nlohmann::json::exception& e) {
    EIGRAD_FAIL(IoError, "golden file ", file, " is not in the golden format: ", e.what());
  }
  return g;
}

StageOptions options_from_golden(const Golden& g, const StageDefaults& defaults) {
  StageOptions o = samples::default_options(defaults);
  o.init = g.init;
  if (!g.exponent_upper_bounds.empty()) o.exponent_upper_bounds = g.exponent_upper_bounds;
  o.lr = g.lr;
  o.iters = g.iterations;
  o.n = g.n;
  o.dtype = g.dtype;
  o.seed = 0;
  if (g.momentum) o.momentum = *g.momentum;
  // PyTorch's option names and the StageOptions each one sets.
  static const std::map<std::string, std::optional<double> StageOptions::*> numbers = {
      {"momentum", &StageOptions::momentum}, {"dampening", &StageOptions::dampening},
      {"weight_decay", &StageOptions::weight_decay}, {"alpha", &StageOptions::alpha}, {"eps", &StageOptions::eps},
      {"lr_decay", &StageOptions::lr_decay}, {"initial_accumulator_value", &StageOptions::initial_accumulator_value}};
  static const std::map<std::string, bool StageOptions::*> switches = {
      {"nesterov", &StageOptions::nesterov}, {"centered", &StageOptions::centered}, {"amsgrad", &StageOptions::amsgrad}};
  if (!g.optimizer.is_null()) {
    for (const auto& [key, value] : g.optimizer.items()) {
      if (key == "name") {
        std::string name = value.get<std::string>();
        std::transform(name.begin(), name.end(), name.begin(), [](unsigned char ch) { return std::tolower(ch); });
        o.optimizer = name;
      } else if (key == "lr") {
        o.lr = value.get<double>();
      } else if (key == "betas") {
        o.beta1 = value.at(0).get<double>();
        o.beta2 = value.at(1).get<double>();
      } else if (numbers.count(key)) {
        o.*numbers.at(key) = value.get<double>();
      } else if (switches.count(key)) {
        o.*switches.at(key) = value.get<bool>();
      } else {
        EIGRAD_FAIL(IoError, g.file, ": unknown optimizer option \"", key, "\"");
      }
    }
  }
  return o;
}

GoldenRange admitted_range(const GoldenRange& r, bool relative) {
  const double half_width = (r.hi - r.lo) / 2;
  const double below = relative ? kGoldenTolerance * std::abs(r.lo) : kGoldenTolerance;
  const double above = relative ? kGoldenTolerance * std::abs(r.hi) : kGoldenTolerance;
  return {r.lo - half_width - below, r.hi + half_width + above};
}

GoldenComparison compare_run_to_golden(const StageRun& run, const Golden& g) {
  GoldenComparison c;
  const auto fail = [&c, &g](const auto&... parts) { c.mismatches.push_back(eigrad::detail::str_cat(g.file, ": ", parts...)); };
  // Whether v lies in the envelope range r widened as the rule says (NaN does not).
  const auto check_enveloped = [&](double v, const GoldenRange& r, bool relative, const auto&... what) {
    ++c.enveloped_values;
    const GoldenRange ok = admitted_range(r, relative);
    if (!(v >= ok.lo && v <= ok.hi))
      fail(what..., " = ", samples::py_float(v), " outside the envelope [", samples::py_float(r.lo), ", ",
           samples::py_float(r.hi), "] widened to [", samples::py_float(ok.lo), ", ", samples::py_float(ok.hi), "]");
  };

  if (run.trace.size() != g.trace.size()) fail(run.trace.size(), " trace lines, golden has ", g.trace.size());
  const std::size_t lines = std::min(run.trace.size(), g.trace.size());
  for (std::size_t i = 0; i < lines; ++i) {
    const TraceLine& got = run.trace[i];
    const TraceLine& want = g.trace[i];
    if (got.t != want.t) fail("trace line ", i, " is at t=", got.t, ", golden t=", want.t);
    if (g.envelope && want.t >= g.envelope->from) {
      check_enveloped(got.loss, g.envelope->trace[i], /*relative=*/true, "t=", want.t, " loss");
      continue;
    }
    const double rel = std::abs(got.loss - want.loss) / std::abs(want.loss);
    c.worst_loss_rel = std::max(c.worst_loss_rel, rel);
    if (!(rel <= kGoldenTolerance))  // NaN fails too
      fail("t=", want.t, " loss ", samples::py_float(got.loss), " vs golden ", samples::py_float(want.loss),
           " (relative error ", rel, " > ", kGoldenTolerance, ")");
  }

  for (const auto& [key, want] : g.result) {
    const auto it = run.result.find(key);
    if (it == run.result.end()) {
      fail("the run has no result \"", key, "\"");
      continue;
    }
    const std::vector<double>& got = it->second;
    if (got.size() != want.size()) fail("result \"", key, "\" has ", got.size(), " values, golden ", want.size());
    for (std::size_t i = 0; i < std::min(got.size(), want.size()); ++i) {
      if (g.envelope) {
        check_enveloped(got[i], g.envelope->result.at(key).at(i), /*relative=*/false, "result ", key, "[", i, "]");
        continue;
      }
      const double err = std::abs(got[i] - want[i]);
      c.worst_weight_abs = std::max(c.worst_weight_abs, err);
      if (!(err <= kGoldenTolerance))
        fail("result ", key, "[", i, "] = ", samples::py_float(got[i]), " vs golden ", samples::py_float(want[i]),
             " (|error| ", err, " > ", kGoldenTolerance, ")");
    }
  }
  for (const auto& entry : run.result)
    if (g.result.count(entry.first) == 0) fail("the run has an extra result \"", entry.first, "\"");
  return c;
}

void check_run_against_golden(const StageRun& run, const Golden& g) {
  const GoldenComparison c = compare_run_to_golden(run, g);
  for (const std::string& mismatch : c.mismatches) BOOST_ERROR(mismatch);
  BOOST_TEST(c.mismatches.empty(), g.file << ": " << c.mismatches.size() << " mismatches");
  BOOST_TEST_MESSAGE(g.file << ": worst loss relative error " << c.worst_loss_rel << ", worst final weight error "
                            << c.worst_weight_abs << " vs PyTorch; " << c.enveloped_values
                            << " values checked against the chaos envelope");
}

StageRun check_stage_against_golden(StageFunction fn, const StageDefaults& defaults, const std::string& golden_file) {
  const Golden g = load_golden(golden_file);
  std::ostringstream out;
  const StageRun run = fn(options_from_golden(g, defaults), out);
  check_run_against_golden(run, g);

  // What was printed must be what was returned: the trace exactly (py_float round-trips),
  // and the Result line's numbers exactly the final weights.
  const StageRun printed = parse_stage_output(out.str());
  BOOST_TEST(printed.trace.size() == run.trace.size(), golden_file << ": printed " << printed.trace.size()
                                                                   << " trace lines, returned " << run.trace.size());
  for (std::size_t i = 0; i < std::min(printed.trace.size(), run.trace.size()); ++i) {
    BOOST_TEST(printed.trace[i].t == run.trace[i].t);
    BOOST_TEST(printed.trace[i].loss == run.trace[i].loss);
  }
  const auto it = printed.result.find("printed");
  BOOST_TEST((it != printed.result.end()), golden_file << ": no `Result:` line was printed");
  if (it != printed.result.end()) {
    std::vector<double> returned;
    for (const auto& entry : run.result) returned.insert(returned.end(), entry.second.begin(), entry.second.end());
    for (double v : it->second)
      BOOST_TEST((std::find(returned.begin(), returned.end(), v) != returned.end()),
                 golden_file << ": printed result " << samples::py_float(v) << " is none of the returned weights");
    for (double v : returned)
      BOOST_TEST((std::find(it->second.begin(), it->second.end(), v) != it->second.end()),
                 golden_file << ": returned weight " << samples::py_float(v) << " was not printed");
  }
  return run;
}

ProcessResult run_sample(const std::string& binary_name, const std::vector<std::string>& args) {
  ProcessResult result;
  const std::string binary = std::string(EIGRAD_SAMPLE_DIR) + "/" + binary_name;
  const std::string out_path = temp_path("out");
  const std::string err_path = temp_path("err");

  std::vector<std::string> storage{binary};
  storage.insert(storage.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& s : storage) argv.push_back(s.data());
  argv.push_back(nullptr);

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, out_path.c_str(), O_WRONLY | O_TRUNC, 0600);
  posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, err_path.c_str(), O_WRONLY | O_TRUNC, 0600);
  pid_t pid = 0;
  const int rc = posix_spawn(&pid, binary.c_str(), &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) {
    result.err = "cannot run " + binary + ": " + std::strerror(rc);
  } else {
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    result.out = read_file(out_path);
    result.err = read_file(err_path);
  }
  std::remove(out_path.c_str());
  std::remove(err_path.c_str());
  return result;
}

StageRun parse_stage_output(const std::string& text) {
  StageRun run;
  std::istringstream lines(text);
  std::string line;
  while (std::getline(lines, line)) {
    std::istringstream tokens(line);
    std::vector<std::string> words;
    for (std::string w; tokens >> w;) words.push_back(w);
    if (words.empty()) continue;
    if (words.front() == "Result:") {
      std::vector<double>& printed = run.result["printed"];
      for (std::size_t i = 1; i < words.size(); ++i) {
        double v = 0;
        // "x^2" does not parse as a whole, so powers are skipped; "y", "=", "+", "?" too.
        // A number may open a call, as in 04's "P3(0.3": the part after '(' is read.
        const std::string& w = words[i];
        const std::string number = w.find('(') == std::string::npos ? w : w.substr(w.rfind('(') + 1);
        if (parse_full_double(number, v)) printed.push_back(v);
      }
      continue;
    }
    std::int64_t t = 0;
    double loss = 0;
    if (words.size() == 2 && parse_full_int(words[0], t) && parse_full_double(words[1], loss))
      run.trace.push_back({t, loss});
  }
  return run;
}

const std::vector<ResultSlot>& cubic_result_order() {
  static const std::vector<ResultSlot> order = {{"a", 0}, {"b", 0}, {"c", 0}, {"d", 0}};
  return order;
}

const std::vector<ResultSlot>& linear_result_order() {
  static const std::vector<ResultSlot> order = {{"bias", 0}, {"weight", 0}, {"weight", 1}, {"weight", 2}};
  return order;
}

StageRun run_from_printout(const std::string& text, const std::vector<ResultSlot>& order) {
  StageRun run = parse_stage_output(text);
  const std::vector<double> printed = run.result["printed"];
  run.result.clear();
  EIGRAD_CHECK(printed.size() == order.size(), IoError, "the Result line holds ", printed.size(), " numbers, expected ",
               order.size());
  for (std::size_t i = 0; i < order.size(); ++i) {
    std::vector<double>& values = run.result[order[i].key];
    if (values.size() <= order[i].index) values.resize(order[i].index + 1, std::nan(""));
    double& slot = values[order[i].index];
    EIGRAD_CHECK(std::isnan(slot) || slot == printed[i], IoError, "the Result line prints ", order[i].key, "[",
                 order[i].index, "] as both ", samples::py_float(slot), " and ", samples::py_float(printed[i]));
    slot = printed[i];
  }
  return run;
}

std::string write_init_file(const std::map<std::string, std::vector<double>>& init,
                            const std::vector<int>& exponent_upper_bounds) {
  nlohmann::json doc;
  doc["init"] = nlohmann::json::object();
  for (const auto& [key, values] : init) {
    if (values.size() == 1 && key != "weight")
      doc["init"][key] = values.front();
    else
      doc["init"][key] = values;
  }
  if (!exponent_upper_bounds.empty()) doc["exponent_upper_bounds"] = exponent_upper_bounds;
  const std::string path = temp_path("init");
  std::ofstream(path) << doc.dump(1) << '\n';
  return path;
}

}  // namespace eigrad::test
