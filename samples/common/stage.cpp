#include "common/stage.hpp"

#include <boost/program_options.hpp>
#include <nlohmann/json.hpp>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstring>
#include <fstream>
#include <iostream>
#include <random>
#include <sstream>
#include <system_error>

#include "eigrad/errors.hpp"
#include "eigrad/random.hpp"
#include "eigrad/tensor.hpp"

namespace eigrad::samples {

namespace po = boost::program_options;

namespace {

// A value is parsed by hand rather than by Boost's lexical_cast so that "1e-6x", "nan" or
// "1.5" for an integer are rejected with a message naming the flag, and negative numbers
// given as "--lr=-1" reach us as text.
double parse_double(const std::string& flag, const std::string& text) {
  double value = 0;
  const char* first = text.data();
  const char* last = first + text.size();
  if (!text.empty() && *first == '+') ++first;  // strtod accepts "+1"; so do we
  const auto [ptr, ec] = std::from_chars(first, last, value);
  EIGRAD_CHECK(!text.empty() && ec == std::errc() && ptr == last, UsageError, "--", flag, ": '", text,
               "' is not a number");
  EIGRAD_CHECK(std::isfinite(value), UsageError, "--", flag, ": '", text, "' is not a finite number");
  return value;
}

std::int64_t parse_int(const std::string& flag, const std::string& text, std::int64_t min_value) {
  std::int64_t value = 0;
  const char* first = text.data();
  const char* last = first + text.size();
  if (!text.empty() && *first == '+') ++first;
  const auto [ptr, ec] = std::from_chars(first, last, value);
  EIGRAD_CHECK(!text.empty() && ec != std::errc::invalid_argument && ptr == last, UsageError, "--", flag, ": '",
               text, "' is not an integer");
  EIGRAD_CHECK(ec != std::errc::result_out_of_range, UsageError, "--", flag, ": '", text, "' is out of range");
  EIGRAD_CHECK(value >= min_value, UsageError, "--", flag, ": ", text, " must be at least ", min_value);
  return value;
}

std::uint64_t parse_seed(const std::string& text) {
  std::uint64_t value = 0;
  const char* first = text.data();
  const char* last = first + text.size();
  const auto [ptr, ec] = std::from_chars(first, last, value);
  EIGRAD_CHECK(!text.empty() && ec == std::errc() && ptr == last, UsageError, "--seed: '", text,
               "' is not an integer in [0, 2^64)");
  return value;
}

// The message of a nlohmann exception without its "[json.exception.parse_error.101] " tag.
std::string json_message(const std::exception& e) {
  std::string what = e.what();
  if (!what.empty() && what.front() == '[') {
    const auto close = what.find("] ");
    if (close != std::string::npos) what.erase(0, close + 2);
  }
  return what;
}

// The flags --help lists: only those the stage uses.
po::options_description listed_description(const StageDefaults& d) {
  po::options_description desc("Options");
  // Every value is taken as text and converted by parse_*: see parse_double.
  desc.add_options()
      ("help", "print this help and exit")
      ("init", po::value<std::string>()->value_name("FILE"),
       ("start from the \"init\" weights of a golden-format JSON file"
       + std::string(d.has_exponent_bounds ? " (and its \"exponent_upper_bounds\")" : "")).c_str());
  if (d.uses_lr)
    desc.add_options()("lr", po::value<std::string>()->value_name("X"),
                       ("learning rate (default " + py_float(d.lr) + ")").c_str());
  desc.add_options()
      ("iters", po::value<std::string>()->value_name("N"),
       ("training steps (default " + std::to_string(d.iters) + ")").c_str())
      ("n", po::value<std::string>()->value_name("N"),
       ("points of linspace(-pi, pi, N) (default " + std::to_string(d.n) + ")").c_str())
      ("dtype", po::value<std::string>()->value_name("float32|float64"),
       ("element type (default " + d.dtype + ")").c_str())
      ("device", po::value<std::string>()->value_name("cpu|cuda[:K]"), "device (default cpu)");
  if (d.uses_seed)
    desc.add_options()("seed", po::value<std::string>()->value_name("S"),
                       "seed of the random starting weights (default: a fresh random seed)");
  desc.add_options()("csv", po::value<std::string>()->value_name("FILE"),
                     "also write every step's loss and the fitted curve beside sin(x) to FILE "
                     "(scripts/plot draws it)");
  if (d.has_optimizer_flags) {
    po::options_description opt("Optimizer (PyTorch's defaults when absent)");
    opt.add_options()
        ("optimizer", po::value<std::string>()->value_name("NAME"),
         ("sgd|rmsprop|adam|adamw|adagrad (default " + d.optimizer + ")").c_str())
        ("momentum", po::value<std::string>()->value_name("X"), "SGD, RMSprop momentum")
        ("dampening", po::value<std::string>()->value_name("X"), "SGD dampening")
        ("nesterov", po::bool_switch(), "SGD: Nesterov momentum")
        ("weight-decay", po::value<std::string>()->value_name("X"), "weight decay (L2 penalty)")
        ("alpha", po::value<std::string>()->value_name("X"), "RMSprop smoothing constant")
        ("eps", po::value<std::string>()->value_name("X"), "term added to denominators")
        ("centered", po::bool_switch(), "RMSprop: centered (normalise by the gradient's variance)")
        ("beta1", po::value<std::string>()->value_name("X"), "Adam/AdamW first-moment decay")
        ("beta2", po::value<std::string>()->value_name("X"), "Adam/AdamW second-moment decay")
        ("amsgrad", po::bool_switch(), "Adam/AdamW: AMSGrad variant")
        ("lr-decay", po::value<std::string>()->value_name("X"), "Adagrad learning-rate decay")
        ("initial-accumulator-value", po::value<std::string>()->value_name("X"),
         "Adagrad initial accumulator");
    desc.add(opt);
  }
  return desc;
}

// The flags the parser accepts: the listed ones, and --seed where the stage ignores it (a
// command line that passes it to every stage keeps working).
po::options_description make_description(const StageDefaults& d) {
  po::options_description desc = listed_description(d);
  if (!d.uses_seed) desc.add_options()("seed", po::value<std::string>()->value_name("S"), "");
  return desc;
}

void check_init_keys(const std::string& path, const std::map<std::string, std::vector<double>>& init,
                     const StageDefaults& d) {
  for (const InitKey& key : d.init_keys) {
    const auto it = init.find(key.name);
    EIGRAD_CHECK(it != init.end(), UsageError, "--init ", path, ": \"init\" has no \"", key.name, "\"");
    EIGRAD_CHECK(it->second.size() == key.size, UsageError, "--init ", path, ": \"init\".\"", key.name, "\" holds ",
                 it->second.size(), it->second.size() == 1 ? " value" : " values", ", expected ", key.size);
  }
}

}  // namespace

StageOptions default_options(const StageDefaults& d) {
  StageOptions o;
  o.lr = d.lr;
  o.iters = d.iters;
  o.n = d.n;
  o.dtype = d.dtype;
  o.print_every = d.print_every;
  o.optimizer = d.optimizer;
  return o;
}

std::string stage_usage(const std::string& name, const StageDefaults& defaults) {
  std::ostringstream os;
  os << "Usage: " << name << " [options]\n";
  if (!defaults.title.empty()) os << defaults.title << "\n";
  os << "Fits a polynomial in x to sin(x) on [-pi, pi] as the PyTorch tutorial does, printing `t loss` ";
  if (defaults.print_every == 1) {
    os << "every step";
  } else {
    os << "every " << defaults.print_every << " steps";
  }
  os << " and the final polynomial.\n" << listed_description(defaults);
  return os.str();
}

// Boost takes the word after a flag as its value even when that word is the next flag
// ("--lr --iters 5" sets lr to "--iters" and then finds a stray "5"): a flag that takes a
// value must be followed by one that is not a flag.
void check_flags_have_values(const std::vector<std::string>& args, const po::options_description& desc) {
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& word = args[i];
    // "--" alone (the end of the options) would match every option in find_nothrow, which
    // then throws boost's ambiguous_option past the catch below: an abort (found by fuzz_cli).
    if (word.size() <= 2 || word.rfind("--", 0) != 0 || word.find('=') != std::string::npos) continue;
    const po::option_description* option = desc.find_nothrow(word.substr(2), false);
    if (option == nullptr || option->semantic()->max_tokens() == 0) continue;
    EIGRAD_CHECK(i + 1 < args.size() && args[i + 1].rfind("--", 0) != 0, UsageError, word,
                 " needs a value", i + 1 < args.size() ? " (got the flag " + args[i + 1] + ")" : std::string());
  }
}

namespace {

// Boost formats an error message by replacing each %token% of its template until none is left,
// so a word that itself holds "%canonical_option%" (as `--x%canonical_option%` does) makes
// what() loop forever (found by fuzz_cli). The parser sees every '%' as this stand-in, which
// no word may hold, and the values and the message get their '%' back.
constexpr char kPercentStandIn = '\x1a';

std::string replace_all(std::string text, char from, char to) {
  std::replace(text.begin(), text.end(), from, to);
  return text;
}

}  // namespace

StageOptions parse_stage_options(const std::vector<std::string>& args, const StageDefaults& d, bool* help) {
  const po::options_description desc = make_description(d);
  check_flags_have_values(args, desc);
  std::vector<std::string> words;
  for (const std::string& word : args) {
    EIGRAD_CHECK(word.find(kPercentStandIn) == std::string::npos, UsageError,
                 "the command line holds the control character 0x1a");
    words.push_back(replace_all(word, '%', kPercentStandIn));
  }
  po::variables_map vm;
  const po::positional_options_description no_positional;  // a stray word is an error
  try {
    // No abbreviations: "--it" must not silently mean "--iters".
    const int style = po::command_line_style::unix_style ^ po::command_line_style::allow_guessing;
    po::store(po::command_line_parser(words)
                         .options(desc)
                         .positional(no_positional)
                         .style(style)
                         .run(), vm);
    po::notify(vm);
  } catch (const po::error& e) {
    EIGRAD_FAIL(UsageError, replace_all(e.what(), kPercentStandIn, '%'));
  }
  for (auto& [name, value] : vm)
    if (auto* text = boost::any_cast<std::string>(&value.value())) *text = replace_all(*text, kPercentStandIn, '%');

  if (vm.count("help")) {
    EIGRAD_CHECK(help != nullptr, UsageError, "--help is not accepted here");
    *help = true;
    return default_options(d);
  }

  StageOptions o = default_options(d);
  const auto text = [&](const char* flag) -> const std::string* {
    return vm.count(flag) ? &vm[flag].as<std::string>() : nullptr;
  };
  if (const auto* s = text("lr")) {
    o.lr = parse_double("lr", *s);
    EIGRAD_CHECK(o.lr >= 0, UsageError, "--lr: ", *s, " must not be negative");
  }
  if (const auto* s = text("iters")) o.iters = parse_int("iters", *s, 0);
  if (const auto* s = text("n")) o.n = parse_int("n", *s, 1);
  if (const auto* s = text("dtype")) {
    EIGRAD_CHECK(*s == "float32" || *s == "float64", UsageError, "--dtype: unknown dtype '", *s,
                 "' (expected float32 or float64)");
    o.dtype = *s;
  }
  std::string device_text = "cpu";
  if (const auto* s = text("device")) {
    device_text = *s;
    try {
      o.device = eigrad::Device::parse(*s);
    } catch (const eigrad::Error& e) {
      EIGRAD_FAIL(UsageError, "--device: ", e.what());
    }
  }
  try {
    eigrad::check_device_available(o.device);
  } catch (const eigrad::Error& e) {
    EIGRAD_FAIL(UsageError, "--device ", device_text, ": ", e.what());
  }
  if (const auto* s = text("seed")) o.seed = parse_seed(*s);
  if (const auto* s = text("csv")) {
    EIGRAD_CHECK(!s->empty(), UsageError, "--csv: the file name is empty");
    o.csv = *s;
  }

  if (d.has_optimizer_flags) {
    if (const auto* s = text("optimizer")) {
      EIGRAD_CHECK(*s == "sgd" || *s == "rmsprop" || *s == "adam" || *s == "adamw" || *s == "adagrad", UsageError,
                   "--optimizer: unknown optimizer '", *s, "' (expected sgd, rmsprop, adam, adamw or adagrad)");
      o.optimizer = *s;
    }
    const std::pair<const char*, std::optional<double>*> numbers[] = {
        {"momentum", &o.momentum}, {"dampening", &o.dampening}, {"weight-decay", &o.weight_decay},
        {"alpha", &o.alpha},       {"eps", &o.eps},             {"beta1", &o.beta1},
        {"beta2", &o.beta2},       {"lr-decay", &o.lr_decay},
        {"initial-accumulator-value", &o.initial_accumulator_value}};
    for (const auto& [flag, target] : numbers)
      if (const auto* s = text(flag)) *target = parse_double(flag, *s);
    o.nesterov = vm["nesterov"].as<bool>();
    o.centered = vm["centered"].as<bool>();
    o.amsgrad = vm["amsgrad"].as<bool>();
  }

  if (const auto* s = text("init")) {
    o.init = read_init_file(*s, d.has_exponent_bounds ? &o.exponent_upper_bounds : nullptr);
    check_init_keys(*s, *o.init, d);
    EIGRAD_CHECK(!o.exponent_upper_bounds || static_cast<std::int64_t>(o.exponent_upper_bounds->size()) >= o.iters,
                 UsageError, *s, ": \"exponent_upper_bounds\" has ", o.exponent_upper_bounds->size(),
                 " entries, fewer than the ", o.iters, " steps to run");
  }
  return o;
}

StageOptions parse_stage_options(int argc, char** argv, const StageDefaults& defaults, bool* help) {
  std::vector<std::string> args;
  for (int i = 1; i < argc; ++i) args.emplace_back(argv[i]);
  return parse_stage_options(args, defaults, help);
}

int stage_main(int argc, char** argv, const char* name, const StageDefaults& defaults, StageFunction fn) {
  // Every message is flattened to one line: the contract is "one clear error line".
  const auto fail = [name](int code, std::string message) {
    for (char& ch : message)
      if (ch == '\n' || ch == '\r') ch = ' ';
    std::cerr << name << ": error: " << message << std::endl;
    return code;
  };
  StageOptions opts;
  std::ofstream csv;
  try {
    bool help = false;
    opts = parse_stage_options(argc, argv, defaults, &help);
    if (help) {
      std::cout << stage_usage(name, defaults);
      return 0;
    }
    if (opts.csv) {  // opened before the run so that a bad path costs no training
      csv.open(*opts.csv);
      EIGRAD_CHECK(csv.is_open(), UsageError, "--csv: cannot write '", *opts.csv, "': ", std::strerror(errno));
    }
  } catch (const UsageError& e) {
    return fail(2, e.what());
  }
  try {
    const StageRun run = fn(opts, std::cout);
    std::cout.flush();
    if (opts.csv) {
      write_csv(csv, run, opts);
      csv.close();
      EIGRAD_CHECK(!csv.fail(), UsageError, "--csv: writing '", *opts.csv, "' failed");
    }
    return 0;
  } catch (const Diverged& e) {
    std::cout.flush();  // the trace lines printed before it stay
    return fail(3, e.what());
  } catch (const eigrad::ValueError& e) {  // e.g. an optimizer option out of range
    return fail(2, e.what());
  } catch (const eigrad::DeviceError& e) {
    return fail(2, e.what());
  } catch (const UsageError& e) {
    return fail(2, e.what());
  } catch (const std::exception& e) {
    return fail(1, e.what());
  }
}

StageRun run_in_dtype(const char* stage, const StageOptions& opts, std::ostream& out, StageFunction as_float32,
                      StageFunction as_float64) {
  eigrad::check_device_available(opts.device);
  if (opts.dtype == "float32" && as_float32 != nullptr) return as_float32(opts, out);
  if (opts.dtype == "float64") return as_float64(opts, out);
  EIGRAD_CHECK(as_float32 == nullptr, eigrad::ValueError, stage, ": unknown dtype '", opts.dtype,
               "' (expected float32 or float64)");
  EIGRAD_FAIL(eigrad::ValueError, stage, " runs in float64 only (got --dtype ", opts.dtype, ")");
}

void require_cpu(const char* stage, const StageOptions& opts) {
  EIGRAD_CHECK(opts.device.is_cpu(), eigrad::DeviceError, stage, " computes with Eigen arrays on the CPU only, not on ",
               opts.device.str());
}

namespace {

// An --init file is a small JSON document: only a regular file is read (a directory would
// fail mid-read, a FIFO or a device might never end), opened without blocking and read up
// to kMaxInitBytes.
std::string read_init_text(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  EIGRAD_CHECK(fd >= 0, UsageError, "--init: cannot read '", path, "': ", std::strerror(errno));
  struct Closer {
    int fd;
    ~Closer() { ::close(fd); }
  } closer{fd};
  struct stat info {};
  EIGRAD_CHECK(::fstat(fd, &info) == 0, UsageError, "--init: cannot read '", path, "': ", std::strerror(errno));
  EIGRAD_CHECK(S_ISREG(info.st_mode), UsageError, "--init: '", path, "' is not a regular file");
  EIGRAD_CHECK(info.st_size <= static_cast<off_t>(kMaxInitBytes), UsageError, "--init: '", path, "' holds ",
               info.st_size, " bytes, more than the ", kMaxInitBytes, " an init file may have");
  std::string text;
  char buffer[65536];
  for (;;) {
    const ssize_t got = ::read(fd, buffer, sizeof buffer);
    if (got < 0 && errno == EINTR) continue;
    EIGRAD_CHECK(got >= 0, UsageError, "--init: cannot read '", path, "': ", std::strerror(errno));
    if (got == 0) break;
    text.append(buffer, static_cast<std::size_t>(got));
    EIGRAD_CHECK(text.size() <= kMaxInitBytes, UsageError, "--init: '", path, "' grew past the ", kMaxInitBytes,
                 " bytes an init file may have");
  }
  return text;
}

}  // namespace

std::map<std::string, std::vector<double>> read_init_file(const std::string& path,
                                                          std::optional<std::vector<int>>* bounds) {
  nlohmann::json doc;
  try {
    doc = nlohmann::json::parse(read_init_text(path));
  } catch (const nlohmann::json::exception& e) {
    EIGRAD_FAIL(UsageError, "--init ", path, ": malformed JSON: ", json_message(e));
  }
  EIGRAD_CHECK(doc.is_object() && doc.contains("init") && doc["init"].is_object(), UsageError, "--init ", path,
               ": no \"init\" object");

  std::map<std::string, std::vector<double>> init;
  for (const auto& [key, value] : doc["init"].items()) {
    std::vector<double> values;
    if (value.is_number()) {
      values.push_back(value.get<double>());
    } else if (value.is_array() && !value.empty()) {
      for (const auto& element : value) {
        EIGRAD_CHECK(element.is_number(), UsageError, "--init ", path, ": \"init\".\"", key,
                     "\" holds a non-number: ", element.dump());
        values.push_back(element.get<double>());
      }
    } else {
      EIGRAD_FAIL(UsageError, "--init ", path, ": \"init\".\"", key, "\" is not a number or an array of numbers: ",
                  value.dump());
    }
    init.emplace(key, std::move(values));
  }

  if (bounds != nullptr && doc.contains("exponent_upper_bounds")) {
    const auto& array = doc["exponent_upper_bounds"];
    EIGRAD_CHECK(array.is_array(), UsageError, "--init ", path, ": \"exponent_upper_bounds\" is not an array");
    std::vector<int> out;
    out.reserve(array.size());
    for (const auto& element : array) {
      // The bound is random.randint(4, 6): the terms x^4 .. x^(bound-1) are used.
      EIGRAD_CHECK(element.is_number_integer() && element.get<std::int64_t>() >= 4 && element.get<std::int64_t>() <= 64,
                   UsageError, "--init ", path, ": \"exponent_upper_bounds\" holds ", element.dump(),
                   ", not an integer in [4, 64]");
      out.push_back(element.get<int>());
    }
    *bounds = std::move(out);
  }
  return init;
}

std::string py_float(double v) {
  if (std::isnan(v)) return "nan";
  if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
  if (v == 0) return std::signbit(v) ? "-0.0" : "0.0";

  // Shortest round-trip digits, as Python's repr picks them (David Gay's mode 0).
  char buf[64];
  const auto res = std::to_chars(buf, buf + sizeof buf, v, std::chars_format::scientific);
  const std::string sci(buf, res.ptr);  // "-d.ddde-05"
  const auto e_pos = sci.find('e');
  std::string mantissa = sci.substr(0, e_pos);
  const int exponent = std::stoi(sci.substr(e_pos + 1));
  std::string sign;
  if (mantissa.front() == '-') {
    sign = "-";
    mantissa.erase(0, 1);
  }
  std::string digits;
  for (char ch : mantissa)
    if (ch != '.') digits += ch;

  std::string out = sign;
  if (exponent < -4 || exponent >= 16) {
    out += digits.substr(0, 1);
    if (digits.size() > 1) out += "." + digits.substr(1);
    const int magnitude = exponent < 0 ? -exponent : exponent;
    out += exponent < 0 ? "e-" : "e+";
    if (magnitude < 10) out += '0';
    out += std::to_string(magnitude);
  } else if (exponent < 0) {
    out += "0." + std::string(static_cast<std::size_t>(-exponent - 1), '0') + digits;
  } else {
    const auto int_len = static_cast<std::size_t>(exponent) + 1;
    if (digits.size() <= int_len) {
      out += digits + std::string(int_len - digits.size(), '0') + ".0";
    } else {
      out += digits.substr(0, int_len) + "." + digits.substr(int_len);
    }
  }
  return out;
}

void write_csv(std::ostream& out, const StageRun& run, const StageOptions& opts) {
  out << "series,x,y\n";
  for (const TraceLine& line : run.losses) out << "loss," << line.t << ',' << py_float(line.loss) << '\n';
  const std::vector<double> grid = eigrad::linspace<double>(-kPi, kPi, opts.n).to_vector();
  for (double x : grid) out << "sin," << py_float(x) << ',' << py_float(std::sin(x)) << '\n';
  if (run.model)
    for (double x : grid) out << "fit," << py_float(x) << ',' << py_float(run.model(x)) << '\n';
}

void print_trace_line(std::ostream& out, StageRun& run, std::int64_t t, double loss) {
  out << t << ' ' << py_float(loss) << '\n';
  run.trace.push_back({t, loss});
}

void trace_loss(std::ostream& out, StageRun& run, const StageOptions& opts, std::int64_t t, double loss) {
  EIGRAD_CHECK(std::isfinite(loss), Diverged, "the loss is ", py_float(loss), " at step ", t,
               ": the run diverged (lr ", py_float(opts.lr), "); try a smaller --lr");
  record_loss(run, opts, t, loss);
  if (is_trace_step(opts, t)) print_trace_line(out, run, t, loss);
}

std::string cubic_string(double a, double b, double c, double d) {
  return "y = " + py_float(a) + " + " + py_float(b) + " x + " + py_float(c) + " x^2 + " + py_float(d) + " x^3";
}

void print_result(std::ostream& out, const std::string& text) { out << "Result: " << text << '\n'; }

void record_scalars(StageRun& run, std::initializer_list<double> values) {
  run.result.clear();
  char name = 'a';
  for (double v : values) run.result[std::string(1, name++)] = {v};
}

std::function<double(double)> cubic_model(double a, double b, double c, double d) {
  return [a, b, c, d](double x) { return a + b * x + c * x * x + d * x * x * x; };
}

StageRun finish_cubic_run(std::ostream& out, StageRun run, double a, double b, double c, double d) {
  print_result(out, cubic_string(a, b, c, d));
  record_scalars(run, {a, b, c, d});
  run.model = cubic_model(a, b, c, d);
  return run;
}

void seed_run(const StageOptions& opts) {
  std::uint64_t seed = 0;
  if (opts.seed) {
    seed = *opts.seed;
  } else {
    std::random_device device;
    seed = (static_cast<std::uint64_t>(device()) << 32) ^ device();
  }
  eigrad::manual_seed(seed);
}

double initial_scalar(const StageOptions& opts, const std::string& key) {
  if (opts.init) {
    const auto it = opts.init->find(key);
    EIGRAD_CHECK(it != opts.init->end() && it->second.size() == 1, eigrad::ValueError,
                 "initial weights have no scalar \"", key, "\"");
    return it->second.front();
  }
  return eigrad::default_generator().normal();
}

std::map<std::string, double> optimizer_options(const StageOptions& opts) {
  std::map<std::string, double> o{{"lr", opts.lr}};
  auto put = [&](const char* key, const std::optional<double>& v) {
    if (v) o[key] = *v;
  };
  put("momentum", opts.momentum);
  put("dampening", opts.dampening);
  put("weight_decay", opts.weight_decay);
  put("alpha", opts.alpha);
  put("eps", opts.eps);
  put("beta1", opts.beta1);
  put("beta2", opts.beta2);
  put("lr_decay", opts.lr_decay);
  put("initial_accumulator_value", opts.initial_accumulator_value);
  if (opts.nesterov) o["nesterov"] = 1;
  if (opts.centered) o["centered"] = 1;
  if (opts.amsgrad) o["amsgrad"] = 1;
  return o;
}

}  // namespace eigrad::samples
