#define BOOST_TEST_MODULE checkpoint
#include <boost/test/unit_test.hpp>

#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "eigrad/errors.hpp"
#include "eigrad/io/safetensors.hpp"
#include "eigrad/nn/nn.hpp"
#include "eigrad/random.hpp"

namespace fs = std::filesystem;
using eigrad::IoError;
using eigrad::Tensor;
using eigrad::io::TensorDict;
using eigrad::io::TensorEntry;

namespace {

/// A fresh directory under the system temp dir, removed when the fixture ends.
struct TempDir {
  fs::path dir;
  TempDir() {
    std::random_device rd;
    dir = fs::temp_directory_path() / ("eigrad_ckpt_" + std::to_string(::getpid()) + "_" + std::to_string(rd()));
    fs::create_directories(dir);
  }
  ~TempDir() {
    std::error_code ec;
    fs::permissions(dir, fs::perms::owner_all, fs::perm_options::add, ec);
    fs::remove_all(dir, ec);
  }
  std::string path(const std::string& name) const { return (dir / name).string(); }
};

std::vector<std::uint8_t> read_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

void write_bytes(const std::string& path, const std::vector<std::uint8_t>& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
}

/// A file with header length \p n (as written in the first 8 bytes), header text and data.
std::vector<std::uint8_t> make_file(std::uint64_t n, const std::string& header, const std::vector<std::uint8_t>& data) {
  std::vector<std::uint8_t> out;
  for (int i = 0; i < 8; ++i) out.push_back(static_cast<std::uint8_t>(n >> (8 * i)));
  out.insert(out.end(), header.begin(), header.end());
  out.insert(out.end(), data.begin(), data.end());
  return out;
}
std::vector<std::uint8_t> make_file(const std::string& header, const std::vector<std::uint8_t>& data) {
  return make_file(header.size(), header, data);
}

template <class T>
std::vector<std::uint8_t> le_bytes(const std::vector<T>& values) {
  std::vector<std::uint8_t> out(values.size() * sizeof(T));
  std::memcpy(out.data(), values.data(), out.size());
  return out;
}

/// Checks that loading \p path throws IoError whose message contains every one of \p parts.
void check_load_fails(const std::string& path, const std::vector<std::string>& parts) {
  try {
    eigrad::io::load_safetensors(path);
    BOOST_ERROR("load_safetensors accepted a corrupt file; expected an error mentioning '" + parts.front() + "'");
  } catch (const IoError& e) {
    const std::string msg = e.what();
    BOOST_TEST_MESSAGE("IoError: " << msg);
    for (const auto& p : parts) BOOST_TEST(msg.find(p) != std::string::npos, "message '" << msg << "' lacks '" << p << "'");
  }
}

TensorDict sample_dict() {
  TensorDict d;
  d.push_back({"w", TensorEntry{"F32", {2, 3}, le_bytes<float>({1, 2, 3, 4, 5, 6.5f})}});
  d.push_back({"b", TensorEntry{"F64", {}, le_bytes<double>({-0.25})}});
  d.push_back({"empty", TensorEntry{"F32", {0, 4}, {}}});
  d.push_back({"steps", TensorEntry{"I64", {2}, le_bytes<std::int64_t>({7, -9})}});
  return d;
}

}  // namespace

// ============================================================================ raw format

BOOST_AUTO_TEST_SUITE(raw_format)

BOOST_AUTO_TEST_CASE(round_trip_keeps_names_order_dtypes_shapes_bytes_and_metadata) {
  TempDir tmp;
  const auto path = tmp.path("a.safetensors");
  const TensorDict d = sample_dict();
  eigrad::io::save_safetensors(path, d, {{"format", "pt"}, {"note", "eigrad"}});
  std::map<std::string, std::string> meta;
  const TensorDict back = eigrad::io::load_safetensors(path, &meta);
  BOOST_REQUIRE_EQUAL(back.size(), d.size());
  for (std::size_t i = 0; i < d.size(); ++i) {
    BOOST_TEST(back[i].first == d[i].first);
    BOOST_TEST(back[i].second.dtype == d[i].second.dtype);
    BOOST_TEST(back[i].second.shape == d[i].second.shape, boost::test_tools::per_element());
    BOOST_TEST(back[i].second.data == d[i].second.data, boost::test_tools::per_element());
  }
  BOOST_TEST(meta.size() == 2u);
  BOOST_TEST(meta["format"] == "pt");
  BOOST_TEST(meta["note"] == "eigrad");
  BOOST_TEST(eigrad::io::find_entry(back, "b") != nullptr);
  BOOST_TEST(eigrad::io::find_entry(back, "nope") == nullptr);
}

BOOST_AUTO_TEST_CASE(layout_is_the_documented_one) {
  TempDir tmp;
  const auto path = tmp.path("layout.safetensors");
  eigrad::io::save_safetensors(path, sample_dict());
  const auto bytes = read_bytes(path);
  BOOST_REQUIRE_GE(bytes.size(), 8u);
  std::uint64_t n = 0;
  for (int i = 7; i >= 0; --i) n = (n << 8) | bytes[static_cast<std::size_t>(i)];
  BOOST_TEST(n % 8 == 0u);  // data section aligned to 8 bytes, as the reference writer does
  const auto header = nlohmann::json::parse(bytes.begin() + 8, bytes.begin() + 8 + static_cast<long>(n));
  BOOST_TEST(header["w"]["dtype"] == "F32");
  BOOST_TEST((header["w"]["shape"] == nlohmann::json::array({2, 3})));
  BOOST_TEST((header["w"]["data_offsets"] == nlohmann::json::array({0, 24})));
  BOOST_TEST((header["b"]["data_offsets"] == nlohmann::json::array({24, 32})));
  BOOST_TEST((header["empty"]["data_offsets"] == nlohmann::json::array({32, 32})));
  BOOST_TEST((header["steps"]["data_offsets"] == nlohmann::json::array({32, 48})));
  BOOST_TEST(!header.contains("__metadata__"));
  BOOST_TEST(bytes.size() == 8 + n + 48);
  float w5 = 0;
  std::memcpy(&w5, bytes.data() + 8 + n + 20, 4);
  BOOST_TEST(w5 == 6.5f);
}

BOOST_AUTO_TEST_CASE(accepts_a_hand_written_file_in_any_key_order) {
  TempDir tmp;
  const auto path = tmp.path("hand.safetensors");
  auto data = le_bytes<double>({3.0});
  const auto more = le_bytes<float>({1.f, 2.f});
  data.insert(data.end(), more.begin(), more.end());
  write_bytes(path, make_file(R"({"z":{"dtype":"F32","shape":[2],"data_offsets":[8,16]},)"
                              R"("__metadata__":{"k":"v"},"a":{"dtype":"F64","shape":[1],"data_offsets":[0,8]}}  )",
                              data));
  const auto d = eigrad::io::load_safetensors(path);
  BOOST_REQUIRE_EQUAL(d.size(), 2u);
  BOOST_TEST(d[0].first == "a");  // file order = data order
  BOOST_TEST(d[1].first == "z");
}

BOOST_AUTO_TEST_CASE(corrupt_files_are_io_errors_naming_the_fault) {
  TempDir tmp;
  const auto path = tmp.path("bad.safetensors");
  const std::string good = R"({"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}})";
  const auto data = le_bytes<float>({1.f, 2.f});
  write_bytes(path, make_file(good, data));
  BOOST_REQUIRE_NO_THROW(eigrad::io::load_safetensors(path));

  check_load_fails(tmp.path("missing.safetensors"), {"cannot open", "missing.safetensors"});
  check_load_fails(tmp.dir.string(), {"not a regular file"});

  write_bytes(path, {1, 0, 0});
  check_load_fails(path, {"truncated", "3 bytes"});

  auto full = make_file(good, data);
  full.resize(full.size() - 3);  // data cut short
  write_bytes(path, full);
  check_load_fails(path, {"'w'", "outside the 5-byte data section"});

  full = make_file(good, data);
  full.resize(20);  // header cut short
  write_bytes(path, full);
  check_load_fails(path, {"header length " + std::to_string(good.size()), "exceeds the 12 bytes"});

  write_bytes(path, make_file(1000, good, data));
  check_load_fails(path, {"header length 1000 exceeds"});
  write_bytes(path, make_file(std::uint64_t{1} << 62, good, data));
  check_load_fails(path, {"exceeds the limit"});
  write_bytes(path, make_file(1, good, data));
  check_load_fails(path, {"header length 1 is too small"});
  write_bytes(path, make_file(good.size() - 1, good, data));  // header length too small by one
  check_load_fails(path, {"not valid JSON"});

  write_bytes(path, make_file(R"({"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]})", data));
  check_load_fails(path, {"not valid JSON"});
  write_bytes(path, make_file(R"([1, 2, 3])", data));
  check_load_fails(path, {"not an object"});
  write_bytes(path, make_file(R"({"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}})", data));
  check_load_fails(path, {"names 'w' twice"});

  write_bytes(path, make_file(R"({"w":{"dtype":"Q7","shape":[2],"data_offsets":[0,8]}})", data));
  check_load_fails(path, {"unknown dtype", "Q7"});
  write_bytes(path, make_file(R"({"w":{"shape":[2],"data_offsets":[0,8]}})", data));
  check_load_fails(path, {"'w' has no \"dtype\""});
  write_bytes(path, make_file(R"({"w":{"dtype":"F32","shape":[-2],"data_offsets":[0,8]}})", data));
  check_load_fails(path, {"shape [-2]", "non-negative"});
  write_bytes(path, make_file(R"({"w":{"dtype":"F32","shape":"2","data_offsets":[0,8]}})", data));
  check_load_fails(path, {"not an array"});
  write_bytes(path, make_file(R"({"w":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}})", data));
  check_load_fails(path, {"shape [3] (12 bytes)", "span 8 bytes"});
  write_bytes(path, make_file(R"({"w":{"dtype":"F64","shape":[2],"data_offsets":[0,8]}})", data));
  check_load_fails(path, {"dtype F64", "(16 bytes)"});
  write_bytes(path, make_file(R"({"w":{"dtype":"F32","shape":[2],"data_offsets":[0,-8]}})", data));
  check_load_fails(path, {"not two non-negative integers"});
  write_bytes(path, make_file(R"({"w":{"dtype":"F32","shape":[2],"data_offsets":[8,0]}})", data));
  check_load_fails(path, {"end before they begin"});
  write_bytes(path, make_file(R"({"w":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}})", data));
  check_load_fails(path, {"data_offsets [4, 12]", "outside the 8-byte data section"});
  write_bytes(path, make_file(R"({"w":{"dtype":"F32","shape":[2],"data_offsets":[18446744073709551607,18446744073709551615]}})", data));
  check_load_fails(path, {"'w'", "outside the 8-byte data section"});
  write_bytes(path, make_file(R"({"w":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"v":{"dtype":"F32","shape":[1],"data_offsets":[2,6]}})", data));
  check_load_fails(path, {"overlap"});
  write_bytes(path, make_file(R"({"w":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}})", data));
  check_load_fails(path, {"gap of 4 bytes"});
  write_bytes(path, make_file(R"({"w":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}})", data));
  check_load_fails(path, {"4 bytes after the last tensor"});
  write_bytes(path, make_file(R"({"__metadata__":{"k":3},"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}})", data));
  check_load_fails(path, {"__metadata__", "not a string"});
}

BOOST_AUTO_TEST_CASE(save_rejects_malformed_dictionaries_before_touching_the_disk) {
  TempDir tmp;
  const auto path = tmp.path("x.safetensors");
  eigrad::io::save_safetensors(path, sample_dict());
  const auto before = read_bytes(path);
  TensorDict bad = sample_dict();
  bad[0].second.data.pop_back();
  BOOST_CHECK_THROW(eigrad::io::save_safetensors(path, bad), IoError);
  bad = sample_dict();
  bad[1].first = "w";
  BOOST_CHECK_THROW(eigrad::io::save_safetensors(path, bad), IoError);
  bad = sample_dict();
  bad[1].first = "__metadata__";
  BOOST_CHECK_THROW(eigrad::io::save_safetensors(path, bad), IoError);
  bad = sample_dict();
  bad[1].second.dtype = "F31";
  BOOST_CHECK_THROW(eigrad::io::save_safetensors(path, bad), IoError);
  BOOST_TEST(read_bytes(path) == before, boost::test_tools::per_element());
  BOOST_TEST(std::distance(fs::directory_iterator(tmp.dir), fs::directory_iterator()) == 1);
}

BOOST_AUTO_TEST_CASE(a_save_that_fails_mid_write_leaves_the_previous_file_intact) {
  TempDir tmp;
  const auto path = tmp.path("keep.safetensors");
  TensorDict small;
  small.push_back({"x", TensorEntry{"F32", {1}, le_bytes<float>({42.f})}});
  eigrad::io::save_safetensors(path, small);
  const auto before = read_bytes(path);

  // A file size limit makes the write itself fail (EFBIG) part-way, even for root, for whom
  // directory permissions would not.
  std::vector<float> big_values(1 << 16, 1.f);
  TensorDict big;
  big.push_back({"x", TensorEntry{"F32", {1 << 16}, le_bytes(big_values)}});
  rlimit old{};
  BOOST_REQUIRE_EQUAL(::getrlimit(RLIMIT_FSIZE, &old), 0);
  auto* old_handler = ::signal(SIGXFSZ, SIG_IGN);
  rlimit limited = old;
  limited.rlim_cur = 4096;
  BOOST_REQUIRE_EQUAL(::setrlimit(RLIMIT_FSIZE, &limited), 0);
  bool threw = false;
  std::string msg;
  try {
    eigrad::io::save_safetensors(path, big);
  } catch (const IoError& e) {
    threw = true;
    msg = e.what();
  }
  ::setrlimit(RLIMIT_FSIZE, &old);
  ::signal(SIGXFSZ, old_handler);
  BOOST_TEST(threw);
  BOOST_TEST_MESSAGE("IoError: " << msg);
  BOOST_TEST(msg.find("cannot write") != std::string::npos);
  BOOST_TEST(read_bytes(path) == before, boost::test_tools::per_element());
  BOOST_TEST(std::distance(fs::directory_iterator(tmp.dir), fs::directory_iterator()) == 1);  // temp removed

  // A path in a directory that does not exist.
  BOOST_CHECK_THROW(eigrad::io::save_safetensors(tmp.path("no/such/dir/x.safetensors"), small), IoError);
  // A path that is a directory: the rename fails, nothing is left behind.
  fs::create_directories(tmp.dir / "sub" / "inner");
  BOOST_CHECK_THROW(eigrad::io::save_safetensors((tmp.dir / "sub").string(), small), IoError);
  BOOST_TEST(std::distance(fs::directory_iterator(tmp.dir / "sub"), fs::directory_iterator()) == 1);
  // A read-only directory (permissions do not bind root, so only checked for other users).
  if (::geteuid() != 0) {
    fs::permissions(tmp.dir, fs::perms::owner_write | fs::perms::group_write | fs::perms::others_write,
                    fs::perm_options::remove);
    BOOST_CHECK_THROW(eigrad::io::save_safetensors(path, big), IoError);
    fs::permissions(tmp.dir, fs::perms::owner_write, fs::perm_options::add);
    BOOST_TEST(read_bytes(path) == before, boost::test_tools::per_element());
  }
}

BOOST_AUTO_TEST_CASE(typed_entries) {
  const Tensor<float> t{{1.f, 2.f, 3.f}, {4.f, 5.f, 6.f}};
  const TensorEntry e = eigrad::io::to_entry(t);
  BOOST_TEST(e.dtype == "F32");
  BOOST_TEST(e.shape == eigrad::Shape({2, 3}), boost::test_tools::per_element());
  BOOST_TEST(e.data == le_bytes<float>({1, 2, 3, 4, 5, 6}), boost::test_tools::per_element());
  const Tensor<float> back = eigrad::io::from_entry<float>(e);
  BOOST_TEST(back.to_vector() == t.to_vector(), boost::test_tools::per_element());
  BOOST_TEST(back.shape() == t.shape(), boost::test_tools::per_element());
  BOOST_CHECK_THROW(eigrad::io::from_entry<double>(e), IoError);
  TensorEntry short_entry = e;
  short_entry.data.resize(20);
  BOOST_CHECK_THROW(eigrad::io::from_entry<float>(short_entry), IoError);
  TensorEntry deep = eigrad::io::to_entry(Tensor<double>{1.0});
  deep.shape = {1, 1, 1, 1, 1};
  BOOST_CHECK_THROW(eigrad::io::from_entry<double>(deep), IoError);

  Tensor<float> dst = eigrad::zeros<float>({2, 3}, eigrad::TensorOptions().requires_grad(true));
  eigrad::io::copy_entry_into(e, dst);
  BOOST_TEST(dst.to_vector() == t.to_vector(), boost::test_tools::per_element());
  BOOST_TEST(dst.requires_grad());
  Tensor<float> wrong = eigrad::zeros<float>({3, 2});
  BOOST_CHECK_THROW(eigrad::io::copy_entry_into(e, wrong), IoError);
  BOOST_TEST(wrong.to_vector() == std::vector<float>(6, 0.f), boost::test_tools::per_element());

  const Tensor<double> s = eigrad::scalar_tensor<double>(2.5);
  const Tensor<double> s2 = eigrad::io::from_entry<double>(eigrad::io::to_entry(s));
  BOOST_TEST(s2.dim() == 0);
  BOOST_TEST(s2.item() == 2.5);
}

BOOST_AUTO_TEST_SUITE_END()

// ============================================================================ module checkpoints

namespace {

namespace nn = eigrad::nn;

/// The tutorial's model.
template <class T>
std::shared_ptr<nn::Sequential<T>> tutorial_model() {
  return std::make_shared<nn::Sequential<T>>(nn::Linear<T>(3, 1), nn::Flatten<T>(0, 1));
}

/// Every value of the module's state, by name, to compare before and after a failed load.
template <class T>
std::vector<std::pair<std::string, std::vector<T>>> snapshot(const nn::Module<T>& m) {
  std::vector<std::pair<std::string, std::vector<T>>> out;
  for (const auto& [name, t] : m.state_dict()) out.emplace_back(name, t.to_vector());
  return out;
}

/// A model with a buffer and a nested child, double precision.
class Scaled : public nn::Module<double> {
 public:
  Scaled() {
    body = register_module("body", std::make_shared<nn::Sequential<double>>(nn::Linear<double>(2, 2), nn::Tanh<double>()));
    gain = register_parameter("gain", eigrad::randn<double>({2}));
    count = register_buffer("count", eigrad::zeros<double>({}));
    scratch = register_buffer("scratch", eigrad::zeros<double>({3}), /*persistent=*/false);
  }
  Tensor<double> forward(const Tensor<double>& x) override { return body->forward(x) * gain; }
  std::shared_ptr<nn::Sequential<double>> body;
  Tensor<double> gain, count, scratch;
};

/// Checks that nn::load of \p path into \p m throws IoError mentioning every part and leaves
/// every value of \p m as it was.
template <class T>
void check_module_load_fails(nn::Module<T>& m, const std::string& path, const std::vector<std::string>& parts,
                             bool strict = true) {
  const auto before = snapshot(m);
  try {
    nn::load(m, path, strict);
    BOOST_ERROR("nn::load accepted a file it should refuse; expected an error mentioning '" + parts.front() + "'");
  } catch (const IoError& e) {
    const std::string msg = e.what();
    BOOST_TEST_MESSAGE("IoError: " << msg);
    for (const auto& p : parts) BOOST_TEST(msg.find(p) != std::string::npos, "message '" << msg << "' lacks '" << p << "'");
  }
  const auto after = snapshot(m);
  BOOST_REQUIRE_EQUAL(after.size(), before.size());
  for (std::size_t i = 0; i < before.size(); ++i) {
    BOOST_TEST(after[i].first == before[i].first);
    BOOST_TEST(after[i].second == before[i].second, boost::test_tools::per_element());
  }
}

bool has_numpy() { return std::string(EIGRAD_PYTHON_NUMPY).size() > 0; }

/// Runs EIGRAD_PYTHON_NUMPY on \p script with \p args; returns its exit status.
int run_python(const TempDir& tmp, const std::string& script, const std::vector<std::string>& args) {
  const auto script_path = tmp.path("script.py");
  std::ofstream(script_path) << script;
  std::string cmd = std::string("'") + EIGRAD_PYTHON_NUMPY + "' '" + script_path + "'";
  for (const auto& a : args) cmd += " '" + a + "'";
  const int status = std::system(cmd.c_str());
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(module_checkpoints)

BOOST_AUTO_TEST_CASE(round_trip_float_and_double) {
  TempDir tmp;
  const auto path = tmp.path("model.safetensors");
  eigrad::manual_seed(1);
  auto a = tutorial_model<float>();
  nn::save(*a, path);
  auto b = tutorial_model<float>();
  BOOST_TEST(b->at<nn::Linear<float>>(0).weight.to_vector() != a->at<nn::Linear<float>>(0).weight.to_vector());
  const Tensor<float> b_weight = b->at<nn::Linear<float>>(0).weight;  // a handle an optimizer would hold
  const auto result = nn::load(*b, path);
  BOOST_TEST(result.missing_keys.empty());
  BOOST_TEST(result.unexpected_keys.empty());
  BOOST_TEST((snapshot(*b) == snapshot(*a)));
  BOOST_TEST(b_weight.to_vector() == a->at<nn::Linear<float>>(0).weight.to_vector(), boost::test_tools::per_element());
  BOOST_TEST(b_weight.requires_grad());
  BOOST_TEST(b_weight.is_leaf());

  std::map<std::string, std::string> meta;
  const auto dict = eigrad::io::load_safetensors(path, &meta);
  BOOST_REQUIRE_EQUAL(dict.size(), 2u);
  BOOST_TEST(dict[0].first == "0.weight");
  BOOST_TEST(dict[1].first == "0.bias");
  BOOST_TEST(dict[0].second.dtype == "F32");
  BOOST_TEST(meta["format"] == "pt");

  const auto path2 = tmp.path("scaled.safetensors");
  Scaled s1;
  {
    eigrad::NoGradGuard g;
    s1.count.fill_(41.0);
    s1.scratch.fill_(9.0);
  }
  nn::save(s1, path2, {{"epoch", "3"}});
  Scaled s2;
  nn::load(s2, path2);
  BOOST_TEST((snapshot(s2) == snapshot(s1)));
  BOOST_TEST(s2.count.item() == 41.0);
  BOOST_TEST(s2.scratch.to_vector() == std::vector<double>(3, 0.0), boost::test_tools::per_element());  // not persistent
  eigrad::io::load_safetensors(path2, &meta);
  BOOST_TEST(meta["epoch"] == "3");
  BOOST_TEST(meta["format"] == "pt");
}

BOOST_AUTO_TEST_CASE(wrong_dtype_wrong_shape_missing_and_unexpected_names) {
  TempDir tmp;
  const auto f64 = tmp.path("f64.safetensors");
  nn::save(*tutorial_model<double>(), f64);
  auto model = tutorial_model<float>();
  check_module_load_fails(*model, f64, {"'0.weight' has dtype F64", "float32 (F32)", "'0.bias'"});

  const auto wide = tmp.path("wide.safetensors");
  nn::save(nn::Sequential<float>(nn::Linear<float>(4, 1)), wide);
  check_module_load_fails(*model, wide, {"'0.weight' has shape [1, 4] in the file but [1, 3] in the module"});
  check_module_load_fails(*model, wide, {"[1, 4]"}, /*strict=*/false);  // shapes matter even when not strict

  const auto no_bias = tmp.path("nobias.safetensors");
  nn::Sequential<float> biasless(nn::Linear<float>(3, 1, false));
  nn::init::constant_(biasless.at<nn::Linear<float>>(0).weight, 0.5);
  nn::save(biasless, no_bias);
  check_module_load_fails(*model, no_bias, {"missing '0.bias'"});
  const float bias_before = model->at<nn::Linear<float>>(0).bias.item();
  auto r = nn::load(*model, no_bias, /*strict=*/false);
  BOOST_TEST(r.missing_keys == std::vector<std::string>({"0.bias"}), boost::test_tools::per_element());
  BOOST_TEST(r.unexpected_keys.empty());
  BOOST_TEST(model->at<nn::Linear<float>>(0).weight.to_vector() == std::vector<float>(3, 0.5f),
             boost::test_tools::per_element());
  BOOST_TEST(model->at<nn::Linear<float>>(0).bias.item() == bias_before);

  const auto extra = tmp.path("extra.safetensors");
  auto source = tutorial_model<float>();
  source->register_parameter("temperature", eigrad::full<float>({1}, 2.f));
  nn::save(*source, extra);
  auto model2 = tutorial_model<float>();
  check_module_load_fails(*model2, extra, {"unexpected 'temperature'"});
  r = nn::load(*model2, extra, /*strict=*/false);
  BOOST_TEST(r.unexpected_keys == std::vector<std::string>({"temperature"}), boost::test_tools::per_element());
  BOOST_TEST(r.missing_keys.empty());
  BOOST_TEST(model2->at<nn::Linear<float>>(0).weight.to_vector() == source->at<nn::Linear<float>>(0).weight.to_vector(),
             boost::test_tools::per_element());

  // Every fault is listed in one message.
  nn::Sequential<float> other(nn::Linear<float>(3, 1), nn::Linear<float>(1, 2));
  check_module_load_fails(other, extra, {"missing '1.weight'", "missing '1.bias'", "unexpected 'temperature'"});
}

BOOST_AUTO_TEST_CASE(corrupt_files_leave_the_module_unchanged) {
  TempDir tmp;
  const auto good = tmp.path("good.safetensors");
  nn::save(*tutorial_model<float>(), good);
  const auto bytes = read_bytes(good);
  std::uint64_t n = 0;
  for (int i = 7; i >= 0; --i) n = (n << 8) | bytes[static_cast<std::size_t>(i)];
  const std::string header(bytes.begin() + 8, bytes.begin() + 8 + static_cast<long>(n));
  const std::vector<std::uint8_t> data(bytes.begin() + 8 + static_cast<long>(n), bytes.end());
  auto model = tutorial_model<float>();
  const auto bad = tmp.path("bad.safetensors");

  auto truncated = bytes;
  truncated.resize(bytes.size() - 2);
  write_bytes(bad, truncated);
  check_module_load_fails(*model, bad, {"'0.bias'", "outside the 14-byte data section"});
  truncated.resize(5);
  write_bytes(bad, truncated);
  check_module_load_fails(*model, bad, {"truncated"});

  write_bytes(bad, make_file(n + 1000, header, data));
  check_module_load_fails(*model, bad, {"header length " + std::to_string(n + 1000), "exceeds"});
  write_bytes(bad, make_file(0, header, data));
  check_module_load_fails(*model, bad, {"header length 0 is too small"});
  write_bytes(bad, make_file(n - 8, header, data));
  check_module_load_fails(*model, bad, {"not valid JSON"});

  std::string broken = header;
  broken[broken.find(':')] = ';';
  write_bytes(bad, make_file(broken, data));
  check_module_load_fails(*model, bad, {"not valid JSON"});

  std::string f16 = header;
  f16.replace(f16.find("F32"), 3, "F16");
  write_bytes(bad, make_file(f16, data));
  check_module_load_fails(*model, bad, {"F16", "span"});

  // Offsets out of range: the bias claims bytes past the end.
  auto j = nlohmann::json::parse(header);
  j["0.bias"]["data_offsets"] = {16, 20};
  write_bytes(bad, make_file(j.dump(), data));
  check_module_load_fails(*model, bad, {"data_offsets [16, 20]", "outside the 16-byte data section"});
  // A wrong shape in the header that is self-consistent in size but not for the module.
  j = nlohmann::json::parse(header);
  j["0.weight"]["shape"] = {3, 1};
  write_bytes(bad, make_file(j.dump(), data));
  check_module_load_fails(*model, bad, {"'0.weight' has shape [3, 1] in the file but [1, 3]"});
  // A name missing from the header (its bytes then become an unaccounted gap).
  j = nlohmann::json::parse(header);
  j.erase("0.weight");
  write_bytes(bad, make_file(j.dump(), data));
  check_module_load_fails(*model, bad, {"gap of 12 bytes"});

  check_module_load_fails(*model, tmp.path("absent.safetensors"), {"cannot open"});
}

BOOST_AUTO_TEST_CASE(a_failed_module_save_keeps_the_previous_checkpoint) {
  TempDir tmp;
  const auto path = tmp.path("ckpt.safetensors");
  auto model = tutorial_model<float>();
  nn::save(*model, path);
  const auto before = read_bytes(path);
  BOOST_CHECK_THROW(nn::save(*model, tmp.path("missing_dir/ckpt.safetensors")), IoError);
  // The destination is a directory: the rename fails after the data was written.
  fs::create_directories(tmp.dir / "occupied" / "x");
  BOOST_CHECK_THROW(nn::save(*model, (tmp.dir / "occupied").string()), IoError);
  BOOST_TEST(read_bytes(path) == before, boost::test_tools::per_element());
  std::size_t files = 0;
  for (const auto& e : fs::directory_iterator(tmp.dir)) files += e.is_regular_file() ? 1 : 0;
  BOOST_TEST(files == 1u);  // no temporary left behind
}

const char* const k_numpy_reader = R"PY(
import json, struct, sys
import numpy as np
path, expected_path = sys.argv[1], sys.argv[2]
with open(path, 'rb') as f:
    blob = f.read()
(n,) = struct.unpack('<Q', blob[:8])
header = json.loads(blob[8:8 + n])
meta = header.pop('__metadata__', {})
base = 8 + n
with open(expected_path) as f:
    expected = json.load(f)
if sorted(header) != sorted(expected):
    sys.exit('names differ: %s vs %s' % (sorted(header), sorted(expected)))
for name, info in header.items():
    dt = {'F32': '<f4', 'F64': '<f8'}[info['dtype']]
    b, e = info['data_offsets']
    arr = np.frombuffer(blob[base + b:base + e], dtype=dt).reshape(info['shape'])
    exp = expected[name]
    want = np.array(exp['values'], dtype=dt).reshape(exp['shape'])
    if info['dtype'] != exp['dtype'] or arr.shape != want.shape or not np.array_equal(arr, want):
        sys.exit('%s: got %s %s %r, want %s %r' % (name, info['dtype'], arr.shape, arr, exp['dtype'], want))
if meta.get('format') != 'pt':
    sys.exit('metadata %r' % meta)
print('numpy read', ', '.join(sorted(header)))
)PY";

const char* const k_numpy_writer = R"PY(
import json, struct, sys
import numpy as np
path = sys.argv[1]
tensors = {'0.bias': np.array([0.1], dtype='<f4'),
           '0.weight': np.array([[0.5, -1.25, 1.0 / 3.0]], dtype='<f4')}
header = {'__metadata__': {'writer': 'numpy'}}
blobs, offset = [], 0
for name, a in tensors.items():   # bias first: file order differs from the module's
    raw = a.tobytes()
    header[name] = {'dtype': 'F32', 'shape': list(a.shape), 'data_offsets': [offset, offset + len(raw)]}
    offset += len(raw)
    blobs.append(raw)
text = json.dumps(header).encode()
text += b' ' * (-len(text) % 8)
with open(path, 'wb') as f:
    f.write(struct.pack('<Q', len(text)) + text + b''.join(blobs))
)PY";

BOOST_AUTO_TEST_CASE(numpy_reads_what_eigrad_writes_and_eigrad_reads_what_numpy_writes) {
  if (!has_numpy()) {
    BOOST_TEST_MESSAGE("skipped: no python3 with numpy found at configure time (EIGRAD_PYTHON_NUMPY is empty)");
    return;
  }
  TempDir tmp;
  const auto path = tmp.path("to_numpy.safetensors");
  eigrad::manual_seed(11);
  auto model = tutorial_model<float>();
  Scaled scaled;
  nn::save(*model, path);
  nlohmann::json expected;
  for (const auto& [name, t] : model->state_dict())
    expected[name] = {{"dtype", "F32"}, {"shape", t.shape()}, {"values", t.to_vector()}};
  std::ofstream(tmp.path("expected.json")) << expected.dump();
  BOOST_TEST(run_python(tmp, k_numpy_reader, {path, tmp.path("expected.json")}) == 0);

  const auto path64 = tmp.path("to_numpy64.safetensors");
  nn::save(scaled, path64);
  nlohmann::json expected64;
  for (const auto& [name, t] : scaled.state_dict())
    expected64[name] = {{"dtype", "F64"}, {"shape", t.shape()}, {"values", t.to_vector()}};
  std::ofstream(tmp.path("expected64.json")) << expected64.dump();
  BOOST_TEST(run_python(tmp, k_numpy_reader, {path64, tmp.path("expected64.json")}) == 0);

  const auto from_numpy = tmp.path("from_numpy.safetensors");
  BOOST_REQUIRE(run_python(tmp, k_numpy_writer, {from_numpy}) == 0);
  auto loaded = tutorial_model<float>();
  nn::load(*loaded, from_numpy);
  BOOST_TEST(loaded->at<nn::Linear<float>>(0).weight.to_vector() == std::vector<float>({0.5f, -1.25f, 1.0f / 3.0f}),
             boost::test_tools::per_element());
  BOOST_TEST(loaded->at<nn::Linear<float>>(0).bias.item() == 0.1f);
  std::map<std::string, std::string> meta;
  eigrad::io::load_safetensors(from_numpy, &meta);
  BOOST_TEST(meta["writer"] == "numpy");
}

BOOST_AUTO_TEST_SUITE_END()
