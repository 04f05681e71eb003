#define BOOST_TEST_MODULE checkpoint
#include <boost/test/unit_test.hpp>

#include <fcntl.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
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
  deep.shape = {1, 1, 1, 1, 1, 1, 1, 1, 1};  // rank 9, above kMaxRank
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

// ============================================================================ hostile inputs, safe saves

namespace {

/// One float named "x".
TensorDict one_float() { return {{"x", TensorEntry{"F32", {1}, le_bytes<float>({42.f})}}}; }

/// 64k floats named "x": 256 KiB, beyond a 4 KiB file size limit.
TensorDict many_floats() {
  return {{"x", TensorEntry{"F32", {1 << 16}, le_bytes(std::vector<float>(1 << 16, 1.f))}}};
}

/// Every entry of \p dir by name, sorted.
std::vector<std::string> entries_of(const fs::path& dir) {
  std::vector<std::string> names;
  for (const auto& e : fs::directory_iterator(dir)) names.push_back(e.path().filename().string());
  std::sort(names.begin(), names.end());
  return names;
}

/// True when \p s is valid UTF-8 (nlohmann refuses to write anything else).
bool is_utf8(const std::string& s) {
  try {
    (void)nlohmann::json(s).dump();
    return true;
  } catch (const nlohmann::json::type_error&) {
    return false;
  }
}

/// The message of the IoError \p save throws, or "" (with a test failure) when it throws none.
template <class Action>
std::string io_error_of(Action&& action) {
  try {
    action();
  } catch (const IoError& e) {
    BOOST_TEST_MESSAGE("IoError: " << e.what());
    return e.what();
  }
  BOOST_ERROR("expected an IoError");
  return "";
}

/// Checks that \p msg contains every one of \p parts and is itself valid UTF-8.
void check_message(const std::string& msg, const std::vector<std::string>& parts) {
  for (const auto& p : parts) BOOST_TEST(msg.find(p) != std::string::npos, "message '" << msg << "' lacks '" << p << "'");
  BOOST_TEST(is_utf8(msg), "message is not valid UTF-8");
}

fs::perms mode_of(const std::string& path) { return fs::status(path).permissions() & fs::perms::mask; }

/// A header of \p count one-float entries t0, t1, ... (and the file holding it), whose last
/// name is \p last_name: "t<count-1>" for a valid file, an earlier name for a duplicate.
std::vector<std::uint8_t> many_entries_file(std::size_t count, const std::string& last_name) {
  std::string header = "{";
  for (std::size_t i = 0; i < count; ++i) {
    const std::string name = i + 1 == count ? last_name : "t" + std::to_string(i);
    header += (i ? ",\"" : "\"") + name + R"(":{"dtype":"F32","shape":[1],"data_offsets":[)" + std::to_string(4 * i) +
              "," + std::to_string(4 * i + 4) + "]}";
  }
  header += "}";
  return make_file(header, std::vector<std::uint8_t>(4 * count, 0));
}

/// A stale temporary of a save of \p path, as a save interrupted by death leaves it: a child
/// process saves \p dict there with a file size limit and the default SIGXFSZ action, so it
/// dies by that signal in the middle of writing. Returns the temporary's name.
std::string temporary_of_a_save_killed_midway(const TempDir& tmp, const std::string& path, const TensorDict& dict) {
  const auto before = entries_of(tmp.dir);
  const pid_t child = ::fork();
  BOOST_REQUIRE(child >= 0);
  if (child == 0) {
    rlimit no_core{0, 0}, small{4096, 4096};
    ::setrlimit(RLIMIT_CORE, &no_core);
    ::signal(SIGXFSZ, SIG_DFL);
    ::setrlimit(RLIMIT_FSIZE, &small);
    try {
      eigrad::io::save_safetensors(path, dict);
    } catch (...) {
    }
    ::_exit(0);  // not reached: the signal ends the process inside the save
  }
  int status = 0;
  BOOST_REQUIRE_EQUAL(::waitpid(child, &status, 0), child);
  BOOST_REQUIRE(WIFSIGNALED(status));
  BOOST_REQUIRE_EQUAL(WTERMSIG(status), SIGXFSZ);
  std::vector<std::string> added;
  for (const auto& name : entries_of(tmp.dir))
    if (std::find(before.begin(), before.end(), name) == before.end()) added.push_back(name);
  BOOST_REQUIRE_EQUAL(added.size(), 1u);
  return added.front();
}

/// Runs \p attempt as an unprivileged user (nobody, in a child process, when we are root,
/// whom file permissions do not bind) and returns its result.
template <class Attempt>
int as_unprivileged_user(Attempt&& attempt) {
  if (::geteuid() != 0) return attempt();
  const pid_t child = ::fork();
  BOOST_REQUIRE(child >= 0);
  if (child == 0) {
    if (::setgid(65534) != 0 || ::setuid(65534) != 0) ::_exit(100);
    ::_exit(attempt());
  }
  int status = 0;
  BOOST_REQUIRE_EQUAL(::waitpid(child, &status, 0), child);
  BOOST_REQUIRE(WIFEXITED(status));
  return WEXITSTATUS(status);
}

/// A module holding parameters and a buffer with no elements next to ordinary ones.
class Hollow : public nn::Module<float> {
 public:
  Hollow() {
    nothing = register_parameter("nothing", eigrad::zeros<float>({0}));
    no_columns = register_parameter("no_columns", eigrad::zeros<float>({3, 0}));
    weight = register_parameter("weight", eigrad::randn<float>({2}));
    no_steps = register_buffer("no_steps", eigrad::zeros<float>({0, 2}));
  }
  Tensor<float> forward(const Tensor<float>& x) override { return x * weight; }
  Tensor<float> nothing, no_columns, weight, no_steps;
};

}  // namespace

BOOST_AUTO_TEST_SUITE(hostile_inputs_and_safe_saves)

// A quadratic header parser (the old one: 40k entries took 17 s, 80k 249 s) would take hours
// here and make the suite obviously stall; n log n takes about a second.
BOOST_AUTO_TEST_CASE(a_header_of_200k_entries_loads_or_is_refused_without_quadratic_time) {
  TempDir tmp;
  constexpr std::size_t count = 200'000;
  const auto path = tmp.path("many.safetensors");
  write_bytes(path, many_entries_file(count, "t" + std::to_string(count - 1)));
  auto start = std::chrono::steady_clock::now();
  const TensorDict dict = eigrad::io::load_safetensors(path);
  const std::chrono::duration<double> load_time = std::chrono::steady_clock::now() - start;
  BOOST_TEST_MESSAGE("200k-entry header (" << fs::file_size(path) << " bytes) loaded in " << load_time.count() << " s");
  BOOST_REQUIRE_EQUAL(dict.size(), count);
  BOOST_TEST(dict.front().first == "t0");
  BOOST_TEST(dict.back().first == "t" + std::to_string(count - 1));

  // The module loader, too: every entry is unexpected for a small model.
  auto model = tutorial_model<float>();
  start = std::chrono::steady_clock::now();
  const auto result = nn::load(*model, path, /*strict=*/false);
  const std::chrono::duration<double> module_time = std::chrono::steady_clock::now() - start;
  BOOST_TEST_MESSAGE("nn::load of it (strict = false) took " << module_time.count() << " s");
  BOOST_TEST(result.unexpected_keys.size() == count);
  BOOST_TEST(result.missing_keys.size() == 2u);

  const auto duplicated = tmp.path("duplicated.safetensors");
  write_bytes(duplicated, many_entries_file(count, "t17"));
  start = std::chrono::steady_clock::now();
  check_load_fails(duplicated, {"duplicated.safetensors", "names 't17' twice"});
  const std::chrono::duration<double> refuse_time = std::chrono::steady_clock::now() - start;
  BOOST_TEST_MESSAGE("200k-entry header with a duplicate at the end refused in " << refuse_time.count() << " s");
}

BOOST_AUTO_TEST_CASE(names_and_metadata_that_are_not_utf8_are_io_errors_before_anything_is_written) {
  TempDir tmp;
  const auto path = tmp.path("text.safetensors");
  // Well-formed UTF-8 of every length is kept as it is.
  TensorDict text = sample_dict();
  text[0].first = "poids_\xc3\xa9";             // é: two bytes
  text[1].first = "\xe9\x87\x8d\xe3\x81\xbf";    // 重み: three bytes each
  text[3].first = "steps_\xf0\x9f\x9a\x80";      // U+1F680: four bytes
  eigrad::io::save_safetensors(path, text, {{"\xc3\xa9t\xc3\xa9", "\xe2\x82\xac"}});
  std::map<std::string, std::string> meta;
  const auto back = eigrad::io::load_safetensors(path, &meta);
  BOOST_REQUIRE_EQUAL(back.size(), text.size());
  for (std::size_t i = 0; i < text.size(); ++i) BOOST_TEST(back[i].first == text[i].first);
  BOOST_TEST(meta["\xc3\xa9t\xc3\xa9"] == "\xe2\x82\xac");

  // Anything else is refused, naming the key, and the file stays as it was.
  const auto before = read_bytes(path);
  TensorDict bad = sample_dict();
  bad[1].first = "bias\xff";
  check_message(io_error_of([&] { eigrad::io::save_safetensors(path, bad); }),
                {"text.safetensors", "tensor 'bias\\xFF'", "not valid UTF-8"});
  bad[1].first = "over\xc0\xaflong";  // an overlong '/'
  check_message(io_error_of([&] { eigrad::io::save_safetensors(path, bad); }), {"'over\\xC0\\xAFlong'", "UTF-8"});
  check_message(io_error_of([&] { eigrad::io::save_safetensors(path, sample_dict(), {{"cut\xc3", "v"}}); }),
                {"text.safetensors", "metadata key 'cut\\xC3'", "not valid UTF-8"});
  check_message(io_error_of([&] { eigrad::io::save_safetensors(path, sample_dict(), {{"note", "\xed\xa0\x80"}}); }),
                {"text.safetensors", "value of metadata key 'note'", "not valid UTF-8"});
  check_message(io_error_of([&] { nn::save(*tutorial_model<float>(), path, {{"epoch\xfe", "1"}}); }),
                {"text.safetensors", "'epoch\\xFE'"});
  BOOST_TEST(read_bytes(path) == before, boost::test_tools::per_element());
  BOOST_TEST(entries_of(tmp.dir).size() == 1u);

  // A header with invalid UTF-8 is a clean IoError whose message escapes the bad bytes.
  const auto data = le_bytes<float>({1.f, 2.f});
  write_bytes(path, make_file("{\"w\xff\xfe\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}", data));
  try {
    eigrad::io::load_safetensors(path);
    BOOST_ERROR("a header with invalid UTF-8 was accepted");
  } catch (const IoError& e) {
    BOOST_TEST_MESSAGE("IoError: " << e.what());
    check_message(e.what(), {"text.safetensors", "not valid JSON", "UTF-8", "\\xFF"});
  }
}

BOOST_AUTO_TEST_CASE(zero_element_parameters_round_trip) {
  TempDir tmp;
  const auto path = tmp.path("hollow.safetensors");
  eigrad::manual_seed(3);
  Hollow saved;
  nn::save(saved, path);
  const auto dict = eigrad::io::load_safetensors(path);
  BOOST_REQUIRE_EQUAL(dict.size(), 4u);
  BOOST_TEST(eigrad::io::find_entry(dict, "no_columns")->shape == eigrad::Shape({3, 0}), boost::test_tools::per_element());
  BOOST_TEST(eigrad::io::find_entry(dict, "nothing")->data.empty());

  Hollow loaded;
  BOOST_TEST(loaded.weight.to_vector() != saved.weight.to_vector());
  const auto result = nn::load(loaded, path);
  BOOST_TEST(result.missing_keys.empty());
  BOOST_TEST(result.unexpected_keys.empty());
  BOOST_TEST((snapshot(loaded) == snapshot(saved)));
  BOOST_TEST(loaded.no_columns.shape() == eigrad::Shape({3, 0}), boost::test_tools::per_element());
  BOOST_TEST(loaded.no_steps.shape() == eigrad::Shape({0, 2}), boost::test_tools::per_element());

  Tensor<double> empty_dst = eigrad::zeros<double>({0, 5});
  eigrad::io::copy_entry_into(eigrad::io::to_entry(eigrad::zeros<double>({0, 5})), empty_dst);
  BOOST_TEST(eigrad::io::from_entry<double>(eigrad::io::to_entry(empty_dst)).shape() == eigrad::Shape({0, 5}),
             boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(a_save_keeps_the_permissions_of_the_file_it_replaces_and_refuses_one_it_may_not_write) {
  TempDir tmp;
  const auto path = tmp.path("mode.safetensors");
  const mode_t old_umask = ::umask(022);
  eigrad::io::save_safetensors(path, sample_dict());
  BOOST_TEST((mode_of(path) == (fs::perms::owner_read | fs::perms::owner_write | fs::perms::group_read |
                                fs::perms::others_read)));  // a new file: 0666 less the umask
  fs::permissions(path, fs::perms::owner_read | fs::perms::owner_write);  // 0600: private
  eigrad::io::save_safetensors(path, sample_dict());
  BOOST_TEST((mode_of(path) == (fs::perms::owner_read | fs::perms::owner_write)));
  fs::permissions(path, fs::perms::owner_all | fs::perms::group_read | fs::perms::group_write);  // 0760
  nn::save(*tutorial_model<float>(), path);
  BOOST_TEST((mode_of(path) == (fs::perms::owner_all | fs::perms::group_read | fs::perms::group_write)));
  ::umask(old_umask);

  // Read-only (0444): as with torch.save (PermissionError), a user who may not write the file
  // gets an error and the file keeps its contents and mode; root, who may, overwrites it and
  // it stays read-only.
  const auto readonly = tmp.path("readonly.safetensors");
  const TensorDict small = one_float();
  eigrad::io::save_safetensors(readonly, small);
  const auto before = read_bytes(readonly);
  const auto read_only = fs::perms::owner_read | fs::perms::group_read | fs::perms::others_read;
  fs::permissions(readonly, read_only);
  fs::permissions(tmp.dir, fs::perms::all);  // the directory lets anyone rename over the file
  const int refused = as_unprivileged_user([&] {
    try {
      eigrad::io::save_safetensors(readonly, sample_dict());
    } catch (const IoError& e) {
      const std::string msg = e.what();
      return msg.find("readonly.safetensors") != std::string::npos && msg.find("cannot overwrite") != std::string::npos &&
                     msg.find("Permission denied") != std::string::npos
                 ? 0
                 : 2;
    }
    return 1;
  });
  BOOST_TEST(refused == 0, "an unprivileged save over a read-only file gave " << refused
                                << " (0: refused with a message naming file and cause, 1: accepted, 2: other message)");
  BOOST_TEST(read_bytes(readonly) == before, boost::test_tools::per_element());
  BOOST_TEST((mode_of(readonly) == read_only));
  BOOST_TEST(entries_of(tmp.dir) == std::vector<std::string>({"mode.safetensors", "readonly.safetensors"}),
             boost::test_tools::per_element());
  if (::geteuid() == 0) {
    eigrad::io::save_safetensors(readonly, sample_dict());
    BOOST_TEST(eigrad::io::load_safetensors(readonly).size() == sample_dict().size());
    BOOST_TEST((mode_of(readonly) == read_only));
  }
}

BOOST_AUTO_TEST_CASE(a_save_through_a_symbolic_link_writes_the_file_it_points_to) {
  TempDir tmp;
  fs::create_directories(tmp.dir / "store");
  const auto real = tmp.path("store/real.safetensors");
  const TensorDict small = one_float();
  eigrad::io::save_safetensors(real, small);
  fs::create_symlink("store/real.safetensors", tmp.dir / "relative.safetensors");
  fs::create_symlink(tmp.dir / "relative.safetensors", tmp.dir / "chain.safetensors");  // absolute, to a link

  eigrad::io::save_safetensors(tmp.path("relative.safetensors"), sample_dict());
  BOOST_TEST(fs::is_symlink(tmp.dir / "relative.safetensors"));
  BOOST_TEST(eigrad::io::load_safetensors(real).size() == sample_dict().size());

  auto model = tutorial_model<float>();
  nn::save(*model, tmp.path("chain.safetensors"));
  BOOST_TEST(fs::is_symlink(tmp.dir / "chain.safetensors"));
  BOOST_TEST(fs::is_symlink(tmp.dir / "relative.safetensors"));
  auto loaded = tutorial_model<float>();
  nn::load(*loaded, real);
  BOOST_TEST((snapshot(*loaded) == snapshot(*model)));
  BOOST_TEST(entries_of(tmp.dir) ==
                 std::vector<std::string>({"chain.safetensors", "relative.safetensors", "store"}),
             boost::test_tools::per_element());
  BOOST_TEST(entries_of(tmp.dir / "store") == std::vector<std::string>({"real.safetensors"}),
             boost::test_tools::per_element());

  // A dangling link gets its file created, as writing through it would.
  fs::create_symlink("store/new.safetensors", tmp.dir / "dangling.safetensors");
  eigrad::io::save_safetensors(tmp.path("dangling.safetensors"), small);
  BOOST_TEST(fs::is_symlink(tmp.dir / "dangling.safetensors"));
  BOOST_TEST(eigrad::io::load_safetensors(tmp.path("store/new.safetensors")).size() == 1u);

  // A loop is an error naming the file.
  fs::create_symlink("loop_b", tmp.dir / "loop_a");
  fs::create_symlink("loop_a", tmp.dir / "loop_b");
  check_message(io_error_of([&] { eigrad::io::save_safetensors(tmp.path("loop_a"), small); }),
                {"loop_a", "symbolic links"});
}

BOOST_AUTO_TEST_CASE(a_file_name_of_250_characters_saves) {
  TempDir tmp;
  const std::string name = std::string(250 - std::strlen(".safetensors"), 'n') + ".safetensors";
  BOOST_REQUIRE_EQUAL(name.size(), 250u);
  const auto path = tmp.path(name);
  auto model = tutorial_model<float>();
  nn::save(*model, path);
  nn::save(*model, path);  // over an existing file too
  auto loaded = tutorial_model<float>();
  nn::load(*loaded, path);
  BOOST_TEST((snapshot(*loaded) == snapshot(*model)));
  BOOST_TEST(entries_of(tmp.dir) == std::vector<std::string>({name}), boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(the_next_save_removes_what_an_interrupted_save_left_but_not_a_save_in_progress) {
  TempDir tmp;
  const auto path = tmp.path("interrupted.safetensors");
  const TensorDict small = one_float();
  eigrad::io::save_safetensors(path, small);
  const auto before = read_bytes(path);
  const TensorDict big = many_floats();

  const std::string stale = temporary_of_a_save_killed_midway(tmp, path, big);
  BOOST_TEST_MESSAGE("an interrupted save left '" << stale << "'");
  BOOST_TEST(stale.size() < 64u);  // short whatever the target's name
  const std::string tag = ".eigrad-tmp.";
  const auto tag_at = stale.find(tag);
  BOOST_REQUIRE(tag_at != std::string::npos);
  BOOST_TEST(read_bytes(path) == before, boost::test_tools::per_element());  // the target is intact

  // A save in progress holds a lock on its temporary; another target's leftovers are its own.
  const std::string in_progress = stale.substr(0, tag_at + tag.size()) + "inprogress";
  const int held = ::open(tmp.path(in_progress).c_str(), O_WRONLY | O_CREAT | O_EXCL, 0644);
  BOOST_REQUIRE(held >= 0);
  BOOST_REQUIRE_EQUAL(::flock(held, LOCK_EX), 0);
  const std::string other_target = temporary_of_a_save_killed_midway(tmp, tmp.path("other.safetensors"), big);
  BOOST_TEST(other_target.substr(0, tag_at) != stale.substr(0, tag_at));

  eigrad::io::save_safetensors(path, small);
  BOOST_TEST(entries_of(tmp.dir) == std::vector<std::string>({in_progress, other_target, "interrupted.safetensors"}),
             boost::test_tools::per_element());
  ::close(held);  // its save "ended" without cleaning up: now it is abandoned too
  nn::save(*tutorial_model<float>(), path);
  BOOST_TEST(entries_of(tmp.dir) == std::vector<std::string>({other_target, "interrupted.safetensors"}),
             boost::test_tools::per_element());
  eigrad::io::save_safetensors(tmp.path("other.safetensors"), small);
  BOOST_TEST(entries_of(tmp.dir) == std::vector<std::string>({"interrupted.safetensors", "other.safetensors"}),
             boost::test_tools::per_element());

  // A save that fails part-way removes its own temporary at once: see
  // a_save_that_fails_mid_write_leaves_the_previous_file_intact.
}

BOOST_AUTO_TEST_SUITE_END()
