#define BOOST_TEST_MODULE misuse
#include <boost/test/unit_test.hpp>

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <limits>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include <sys/stat.h>
#include <unistd.h>

#include "common/stages.hpp"
#include "eigrad/autograd/grad_mode.hpp"
#include "eigrad/dual.hpp"
#include "eigrad/io/safetensors.hpp"
#include "eigrad/nn/checkpoint.hpp"
#include "eigrad/nn/functional/loss.hpp"
#include "eigrad/nn/modules/container.hpp"
#include "eigrad/nn/modules/linear.hpp"
#include "eigrad/optim/factory.hpp"
#include "eigrad/optim/optim.hpp"
#include "eigrad/tensor.hpp"

// The table of misuse (issue 13, item 4): one line per case, the error type it must throw and
// a culprit its message must name. doc/errors.md is this table as a page of the docs: the
// last test fails when the two differ, and `EIGRAD_WRITE_ERRORS_DOC=1 ./build/test/test_misuse`
// (from the repository root) rewrites the page from the table.

using namespace eigrad;
namespace fs = std::filesystem;
using samples::UsageError;

namespace {

struct MisuseCase {
  const char* area;
  const char* misuse;
  const char* error;    // the expected type, as written in the table
  const char* culprit;  // what the message must name
  std::function<void()> run;
  std::function<bool(const std::exception&)> is_expected;
};

template <class E>
bool is_a(const std::exception& e) {
  return dynamic_cast<const E*>(&e) != nullptr;
}

#define MISUSE(AREA, WHAT, ErrorType, CULPRIT, ...) \
  MisuseCase { AREA, WHAT, #ErrorType, CULPRIT, [] { __VA_ARGS__; }, &is_a<ErrorType> }

/// A directory of files the cases read, removed when the tests end.
const fs::path& scratch() {
  static const struct Dir {
    fs::path path = fs::temp_directory_path() / ("eigrad_misuse_" + std::to_string(::getpid()));
    Dir() { fs::create_directories(path); }
    ~Dir() {
      std::error_code ignored;
      fs::remove_all(path, ignored);
    }
  } dir;
  return dir.path;
}

/// Writes \p bytes to the scratch file \p name and returns its path.
std::string scratch_file(const std::string& name, const std::string& bytes) {
  const std::string path = (scratch() / name).string();
  std::ofstream(path, std::ios::binary | std::ios::trunc) << bytes;
  return path;
}

/// A safetensors file: header length (8 bytes, little-endian), \p header, then \p data.
std::string checkpoint(const std::string& name, const std::string& header, const std::string& data = "") {
  std::string bytes;
  for (int i = 0; i < 8; ++i) bytes.push_back(static_cast<char>((header.size() >> (8 * i)) & 0xff));
  return scratch_file(name, bytes + header + data);
}

void load_file(const std::string& path) { io::load_safetensors(path); }

const std::string kEightBytes(8, '\0');

/// A Linear(3, 1) checkpoint, for loading into a module of another shape.
std::string linear_checkpoint() {
  nn::Linear<float> saved(3, 1);
  const std::string path = (scratch() / "linear3.safetensors").string();
  nn::save(saved, path);
  return path;
}

/// An Adam state file whose "amsgrad" switch reads \p value.
std::string adam_state_with_amsgrad(const std::string& value) {
  Tensor<float> w = ones<float>({2}, TensorOptions().requires_grad(true));
  optim::Adam<float> adam({w});
  const std::string path = (scratch() / "adam.safetensors").string();
  adam.save(path);
  std::map<std::string, std::string> metadata;
  const io::TensorDict dict = io::load_safetensors(path, &metadata);
  bool found = false;
  for (auto& [key, text] : metadata)
    if (key.find("amsgrad") != std::string::npos) text = value, found = true;
  BOOST_TEST_REQUIRE(found, "no amsgrad in the Adam state's metadata");
  io::save_safetensors(path, dict, metadata);
  return path;
}

void load_adam_state(const std::string& path) {
  Tensor<float> w = ones<float>({2}, TensorOptions().requires_grad(true));
  optim::Adam<float> adam({w});
  adam.load(path);
}

/// Parses a 03_autograd command line.
void parse(std::vector<std::string> args) { samples::parse_stage_options(args, samples::defaults_autograd()); }

Tensor<float> leaf(const Shape& shape) { return ones<float>(shape, TensorOptions().requires_grad(true)); }

std::vector<Tensor<float>> one_param() { return {leaf({2})}; }

void scheduler_after_its_optimizer() {
  auto sgd = std::make_unique<optim::SGD<float>>(one_param(), optim::SGDOptions(0.1));
  optim::StepLR<float> scheduler(*sgd, 1);
  sgd.reset();
  scheduler.step();
}

void plateau(const optim::ReduceLROnPlateau<float>::Options& options) {
  optim::SGD<float> sgd(one_param(), optim::SGDOptions(0.1));
  optim::ReduceLROnPlateau<float> scheduler(sgd, options);
}

using Plateau = optim::ReduceLROnPlateau<float>::Options;
constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr std::int64_t kHuge = std::int64_t{1} << 32;

// clang-format off
const std::vector<MisuseCase> kCases = {
  MISUSE("tensor", "add of shapes that do not broadcast", ShapeError, "[2, 3] and [4]", ones<float>({2, 3}) + ones<float>({4})),
  MISUSE("tensor", "mul of shapes that do not broadcast", ShapeError, "[3] and [2]", ones<float>({3}) * ones<float>({2})),
  MISUSE("tensor", "matmul of mismatched inner extents", ShapeError, "[2, 3]", ones<float>({2, 3}).matmul(ones<float>({2, 3}))),
  MISUSE("tensor", "reshape to another element count", ShapeError, "[5]", ones<float>({2, 3}).reshape({5})),
  MISUSE("tensor", "sum over a dimension out of range", ValueError, "dimension 2", ones<float>({2, 3}).sum(2)),
  MISUSE("tensor", "item() of a non-scalar", ValueError, "[2, 3]", ones<float>({2, 3}).item()),
  MISUSE("tensor", "negative extent", ShapeError, "[2, -1]", zeros<float>({2, -1})),
  MISUSE("tensor", "rank above 8", ShapeError, "rank 9", zeros<float>({1, 1, 1, 1, 1, 1, 1, 1, 1})),
  MISUSE("tensor", "element count past int64 (zeros({2^32, 2^32}))", ShapeError, "[4294967296, 4294967296]", zeros<float>({kHuge, kHuge})),
  MISUSE("tensor", "arange(0, 1e30): extent past int64", ValueError, "extent of 1e+30", arange<float>(0, 1e30)),
  MISUSE("tensor", "arange with a step of the wrong sign", ValueError, "step=-1", arange<float>(0, 5, -1)),
  MISUSE("losses", "mse_loss of mismatched shapes", ShapeError, "[3]", nn::functional::mse_loss(ones<float>({3}), ones<float>({2}))),
  MISUSE("losses", "huber_loss of mismatched shapes", ShapeError, "[3]", nn::functional::huber_loss(ones<float>({3}), ones<float>({2, 2}))),
  MISUSE("autograd", "backward twice through the same graph", AutogradError, "second time", auto x = leaf({2}); auto y = (x * x).sum(); y.backward(); y.backward()),
  MISUSE("autograd", "backward of a non-scalar", AutogradError, "shape [2]", (leaf({2}) * 2.0f).backward()),
  MISUSE("autograd", "backward of a tensor that does not require grad", AutogradError, "does not require grad", ones<float>({1}).backward()),
  MISUSE("autograd", "in-place change of a leaf that requires grad", AutogradError, "leaf", leaf({2}) += 1.0f),
  MISUSE("autograd", "backward after a saved tensor changed in place", AutogradError, "modified in place", auto x = leaf({2}); Tensor<float> h = x * 2.0f; auto y = (h * h).sum(); NoGradGuard g; h += 1.0f; EnableGradGuard e; y.backward()),
  MISUSE("devices", "a CUDA device this build does not have", DeviceError, "cuda:64", ones<float>({2}, Device::parse("cuda:64"))),
  MISUSE("devices", "moving a tensor to a CUDA device this build does not have", DeviceError, "cuda:64", ones<float>({2}).to(Device{DeviceType::CUDA, 64})),
  MISUSE("devices", "an unknown device string", DeviceError, "'gpu'", Device::parse("gpu")),
  MISUSE("devices", "a device string with a bad ordinal", DeviceError, "'cuda:x'", Device::parse("cuda:x")),
  MISUSE("nn", "Linear(2^32, 2^32): element count past int64", ShapeError, "[4294967296, 4294967296]", nn::Linear<float>(kHuge, kHuge)),
  MISUSE("nn", "Linear(2^20, 2^20): 4 TiB of weights, more than memory", DeviceError, "4398046511104 bytes", nn::Linear<float>(std::int64_t{1} << 20, std::int64_t{1} << 20)),
  MISUSE("nn", "Linear with a negative extent", ValueError, "in_features -1", nn::Linear<float>(-1, 2)),
  MISUSE("nn", "Linear input without in_features features", ShapeError, "[2, 4]", nn::Linear<float>(3, 1).forward(ones<float>({2, 4}))),
  MISUSE("dual", "Dual variable index out of range", ValueError, "index 3", (Dual<double, 3>::variable(1.0, 3))),
  MISUSE("dual", "Dual variable index negative", ValueError, "index -1", (Dual<double, 2>::variable(1.0, -1))),
  MISUSE("optim", "an optimizer with no parameters", ValueError, "empty parameter list", optim::SGD<float>(std::vector<Tensor<float>>{}, optim::SGDOptions(0.1))),
  MISUSE("optim", "a negative learning rate", ValueError, "lr = -1", optim::SGD<float>(one_param(), optim::SGDOptions(-1))),
  MISUSE("optim", "Adam with beta1 >= 1", ValueError, "beta", optim::Adam<float>(one_param(), optim::AdamOptions().betas({1.5, 0.9}))),
  MISUSE("optim", "Nesterov SGD without momentum", ValueError, "nesterov", optim::SGD<float>(one_param(), optim::SGDOptions(0.1).nesterov(true))),
  MISUSE("optim", "a switch option that is neither 0 nor 1", ValueError, "amsgrad", optim::make_optimizer<float>("adam", one_param(), {{"amsgrad", 2}})),
  MISUSE("optim", "a NaN switch option", ValueError, "nesterov", optim::make_optimizer<float>("sgd", one_param(), {{"lr", 0.1}, {"nesterov", kNaN}})),
  MISUSE("optim", "an option the optimizer lacks", ValueError, "'betas'", optim::make_optimizer<float>("sgd", one_param(), {{"lr", 0.1}, {"betas", 0.9}})),
  MISUSE("optim", "an unknown optimizer name", ValueError, "'adamax'", optim::make_optimizer<float>("adamax", one_param(), {})),
  MISUSE("optim", "a state file whose switch reads nan", IoError, "amsgrad", load_adam_state(adam_state_with_amsgrad("nan"))),
  MISUSE("optim", "a state file whose switch reads 2", IoError, "amsgrad", load_adam_state(adam_state_with_amsgrad("2"))),
  MISUSE("schedulers", "StepLR with a NaN gamma", ValueError, "gamma", optim::SGD<float> o(one_param(), optim::SGDOptions(0.1)); optim::StepLR<float>(o, 1, kNaN)),
  MISUSE("schedulers", "ExponentialLR with an infinite gamma", ValueError, "gamma", optim::SGD<float> o(one_param(), optim::SGDOptions(0.1)); optim::ExponentialLR<float>(o, kInf)),
  MISUSE("schedulers", "CosineAnnealingLR with T_max 0", ValueError, "T_max", optim::SGD<float> o(one_param(), optim::SGDOptions(0.1)); optim::CosineAnnealingLR<float>(o, 0)),
  MISUSE("schedulers", "a scheduler used after its optimizer was destroyed", ValueError, "destroyed", scheduler_after_its_optimizer()),
  MISUSE("schedulers", "ReduceLROnPlateau with factor >= 1", ValueError, "factor", plateau(Plateau().factor(1))),
  MISUSE("schedulers", "ReduceLROnPlateau with an infinite threshold", ValueError, "threshold = inf", plateau(Plateau().threshold(kInf))),
  MISUSE("schedulers", "ReduceLROnPlateau with a NaN threshold", ValueError, "threshold = nan", plateau(Plateau().threshold(kNaN))),
  MISUSE("schedulers", "ReduceLROnPlateau with an infinite eps", ValueError, "eps = inf", plateau(Plateau().eps(kInf))),
  MISUSE("schedulers", "ReduceLROnPlateau with a NaN eps", ValueError, "eps = nan", plateau(Plateau().eps(kNaN))),
  MISUSE("schedulers", "ReduceLROnPlateau with an infinite min_lr", ValueError, "min_lr = inf", plateau(Plateau().min_lr(kInf))),
  MISUSE("schedulers", "ReduceLROnPlateau with a NaN min_lr", ValueError, "min_lr = nan", plateau(Plateau().min_lr(kNaN))),
  MISUSE("checkpoints", "a missing file", IoError, "missing.safetensors", load_file((scratch() / "missing.safetensors").string())),
  MISUSE("checkpoints", "a directory", IoError, "not a regular file", load_file(scratch().string())),
  MISUSE("checkpoints", "a file shorter than its length field", IoError, "truncated", load_file(scratch_file("short.safetensors", std::string("\1\0\0", 3)))),
  MISUSE("checkpoints", "a header length past the file", IoError, "header length 1000", load_file(scratch_file("long.safetensors", std::string("\xe8\x03\0\0\0\0\0\0{}", 10)))),
  MISUSE("checkpoints", "a header that is not JSON", IoError, "not valid JSON", load_file(checkpoint("json.safetensors", "{\"w\":"))),
  MISUSE("checkpoints", "a header that is not an object", IoError, "not an object", load_file(checkpoint("array.safetensors", "[1, 2]"))),
  MISUSE("checkpoints", "a name given twice", IoError, "names 'w' twice", load_file(checkpoint("twice.safetensors", R"({"w":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"w":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}})", kEightBytes))),
  MISUSE("checkpoints", "an unknown dtype", IoError, "Q7", load_file(checkpoint("dtype.safetensors", R"({"w":{"dtype":"Q7","shape":[2],"data_offsets":[0,8]}})", kEightBytes))),
  MISUSE("checkpoints", "a negative extent", IoError, "shape [-2]", load_file(checkpoint("neg.safetensors", R"({"w":{"dtype":"F32","shape":[-2],"data_offsets":[0,8]}})", kEightBytes))),
  MISUSE("checkpoints", "a shape that disagrees with its byte span", IoError, "shape [3] (12 bytes)", load_file(checkpoint("span.safetensors", R"({"w":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}})", kEightBytes))),
  MISUSE("checkpoints", "data offsets past the data section", IoError, "data_offsets [4, 12]", load_file(checkpoint("past.safetensors", R"({"w":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}})", kEightBytes))),
  MISUSE("checkpoints", "overlapping tensors", IoError, "overlap", load_file(checkpoint("overlap.safetensors", R"({"w":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"v":{"dtype":"F32","shape":[1],"data_offsets":[2,6]}})", kEightBytes))),
  MISUSE("checkpoints", "metadata that is not a string", IoError, "__metadata__", load_file(checkpoint("meta.safetensors", R"({"__metadata__":{"k":3},"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}})", kEightBytes))),
  MISUSE("checkpoints", "loading into a module of another shape", IoError, "weight", nn::Linear<float> m(4, 2); nn::load(m, linear_checkpoint())),
  MISUSE("checkpoints", "saving a name that is not UTF-8", IoError, "UTF-8", io::save_safetensors((scratch() / "utf8.safetensors").string(), {{"w\xff", io::TensorEntry{"F32", {1}, std::vector<std::uint8_t>(4)}}})),
  MISUSE("samples", "--init naming a missing file", UsageError, "nope.json", parse({"--init", (scratch() / "nope.json").string()})),
  MISUSE("samples", "--init naming a directory", UsageError, "not a regular file", parse({"--init", scratch().string()})),
  MISUSE("samples", "--init naming a FIFO", UsageError, "not a regular file", const auto p = (scratch() / "fifo").string(); ::mkfifo(p.c_str(), 0600); parse({"--init", p})),
  MISUSE("samples", "--init that is not JSON", UsageError, "bad.json", parse({"--init", scratch_file("bad.json", "{\"init\": ")})),
  MISUSE("samples", "--init without an \"init\" object", UsageError, "\"init\"", parse({"--init", scratch_file("noinit.json", "{\"a\": 1}")})),
  MISUSE("samples", "--init missing a key", UsageError, R"(has no "d")", parse({"--init", scratch_file("nod.json", R"({"init": {"a": 1, "b": 2, "c": 3}})")})),
  MISUSE("samples", "--init with a value of the wrong type", UsageError, R"("init"."b")", parse({"--init", scratch_file("typed.json", R"({"init": {"a": 1, "b": "2", "c": 3, "d": 4}})")})),
  MISUSE("samples", "a flag without its value", UsageError, "--lr", parse({"--lr"})),
  MISUSE("samples", "an unknown flag", UsageError, "--bogus", parse({"--bogus", "1"})),
  MISUSE("samples", "an unknown device", UsageError, "gpu", parse({"--device", "gpu"})),
  MISUSE("samples", "a flag after -- (the end of the options; -- once aborted, found by fuzz_cli)", UsageError, "positional", parse({"--", "--lr", "1"})),
  MISUSE("samples", "a flag holding a placeholder of boost's messages (its message once looped forever, found by fuzz_cli)", UsageError, "--x%canonical_option%", parse({"--x%canonical_option%"})),
};
// clang-format on

#undef MISUSE

/// The message of what \p c throws; test failures when it throws nothing or another type.
std::string run_case(const MisuseCase& c) {
  try {
    c.run();
  } catch (const std::exception& e) {
    BOOST_TEST(c.is_expected(e), c.misuse << ": expected " << c.error << ", got another type: " << e.what());
    return e.what();
  }
  BOOST_ERROR(c.misuse << ": no error (expected " << c.error << ")");
  return "";
}

std::string markdown_escape(const std::string& text) {
  std::string out;
  for (char ch : text) {
    if (ch == '|' || ch == '\\' || ch == '<' || ch == '>' || ch == '#' || ch == '@') out += '\\';
    out += ch;
  }
  return out;
}

/// doc/errors.md as the table makes it.
std::string errors_page() {
  std::ostringstream page;
  page << "# Errors: what each misuse throws {#errors_guide}\n\n"
          "Every failure eigrad detects is a typed exception derived from `eigrad::Error` (a\n"
          "`std::runtime_error`; see errors.hpp), whose message names the culprit: the shapes,\n"
          "the value, the option, the device, the file. The samples' command-line errors are\n"
          "`eigrad::samples::UsageError`, printed as one line with exit code 2.\n\n"
          "This page is generated from the table in `test/test_misuse.cpp`, which checks every\n"
          "line: the type thrown and that the message contains the text in the last column.\n"
          "After changing the table, regenerate it from the repository root with\n"
          "`EIGRAD_WRITE_ERRORS_DOC=1 ./build/test/test_misuse`.\n";
  std::string area;
  for (const auto& c : kCases) {
    if (c.area != area) {
      area = c.area;
      page << "\n## " << area << "\n\n| Misuse | Throws | The message names |\n|---|---|---|\n";
    }
    page << "| " << markdown_escape(c.misuse) << " | `" << c.error << "` | `" << c.culprit << "` |\n";
  }
  return page.str();
}

}  // namespace

BOOST_AUTO_TEST_CASE(every_misuse_throws_its_type_naming_the_culprit) {
  for (const auto& c : kCases) {
    const std::string message = run_case(c);
    BOOST_TEST_MESSAGE(c.error << " | " << message);
    BOOST_TEST(message.find(c.culprit) != std::string::npos,
               c.misuse << ": message '" << message << "' does not name '" << c.culprit << "'");
  }
}

BOOST_AUTO_TEST_CASE(doc_errors_md_is_the_table) {
  const std::string expected = errors_page();
  if (std::getenv("EIGRAD_WRITE_ERRORS_DOC")) std::ofstream("doc/errors.md", std::ios::trunc) << expected;
  std::ifstream in("doc/errors.md");
  BOOST_TEST_REQUIRE(in.good(), "doc/errors.md not found (run from the repository root)");
  std::ostringstream text;
  text << in.rdbuf();
  BOOST_TEST(text.str() == expected,
             "doc/errors.md differs from the table in test/test_misuse.cpp; regenerate it with "
             "EIGRAD_WRITE_ERRORS_DOC=1 ./build/test/test_misuse from the repository root");
}

// fuzz_cli's first finding: "--" alone aborted every sample (boost's ambiguous_option
// escaped the parser). It ends the options, as for any POSIX tool.
BOOST_AUTO_TEST_CASE(a_bare_double_dash_ends_the_options) {
  const samples::StageOptions o = samples::parse_stage_options({"--lr", "0.5", "--"}, samples::defaults_autograd());
  BOOST_TEST(o.lr == 0.5);
  BOOST_CHECK_NO_THROW(parse({"--"}));
}

// fuzz_cli's second finding: boost replaces the %tokens% of a message until none is left, so a
// word holding one never finished. Values keep their '%'.
BOOST_AUTO_TEST_CASE(percent_signs_in_words_reach_the_values_and_messages_unchanged) {
  const samples::StageOptions o =
      samples::parse_stage_options({"--csv", "loss%value%%.csv"}, samples::defaults_autograd());
  BOOST_TEST(o.csv.value_or("") == "loss%value%%.csv");
  try {
    parse({"--iters", "5", "--%value%"});
    BOOST_ERROR("an unknown flag was accepted");
  } catch (const UsageError& e) {
    BOOST_TEST(std::string(e.what()).find("--%value%") != std::string::npos, e.what());
  }
}

// `p.grad() = {}` (PyTorch's `p.grad = None`) resets a gradient; clang once refused it as an
// ambiguous assignment (issue 13), so the sanitizer build compiles this with clang.
BOOST_AUTO_TEST_CASE(empty_braces_reset_a_gradient_with_both_compilers) {
  const Tensor<float> w = leaf({2});
  (w * w).sum().backward();
  BOOST_TEST(w.grad().defined());
  w.grad() = {};
  BOOST_TEST(!w.grad().defined());
  Tensor<float> t{1.0f, 2.0f};
  t = {};
  BOOST_TEST(!t.defined());
  t = {3.0f, 4.0f, 5.0f};
  BOOST_TEST(t.numel() == 3);
}
