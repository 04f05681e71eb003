#define BOOST_TEST_MODULE linspace
#include <boost/test/unit_test.hpp>

#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <limits>
#include <nlohmann/json.hpp>
#include <string>
#include <type_traits>
#include <vector>

#include "eigrad/tensor.hpp"

// test/golden/linspace.json holds PyTorch's torch.linspace(-pi, pi, 2000) in float32 and
// float64 and torch.sin of the float32 one, each value as float.hex(). DESIGN.md accepts
// 1 ulp; the tests report how many values are bit-identical.

namespace {

constexpr double kPi = 3.141592653589793;

const nlohmann::json& golden() {
  static const nlohmann::json doc = [] {
    std::ifstream in(std::string(EIGRAD_GOLDEN_DIR) + "/linspace.json");
    BOOST_TEST_REQUIRE(static_cast<bool>(in));
    return nlohmann::json::parse(in);
  }();
  return doc;
}

// Python's float.hex() text read back exactly (strtod reads C99 hex floats); float32
// values must come back as exact floats.
template <class T>
std::vector<T> golden_values(const char* key) {
  std::vector<T> out;
  for (const auto& item : golden().at(key)) {
    const std::string text = item.get<std::string>();
    char* end = nullptr;
    const double v = std::strtod(text.c_str(), &end);
    BOOST_TEST_REQUIRE(*end == '\0', "not a hex float: " << text);
    BOOST_TEST_REQUIRE(static_cast<double>(static_cast<T>(v)) == v, text << " is not exact in this dtype");
    out.push_back(static_cast<T>(v));
  }
  return out;
}

// Distance in units in the last place: the number of representable values between a and b.
template <class T>
std::int64_t ulp_distance(T a, T b) {
  using Int = std::conditional_t<sizeof(T) == 4, std::int32_t, std::int64_t>;
  Int ia = 0, ib = 0;
  std::memcpy(&ia, &a, sizeof(T));
  std::memcpy(&ib, &b, sizeof(T));
  // Sign-magnitude to an ordered integer line (-0.0 and +0.0 both map to 0).
  if (ia < 0) ia = std::numeric_limits<Int>::min() - ia;
  if (ib < 0) ib = std::numeric_limits<Int>::min() - ib;
  const std::int64_t d = static_cast<std::int64_t>(ia) - static_cast<std::int64_t>(ib);
  return d < 0 ? -d : d;
}

template <class T>
void check_within_one_ulp(const std::vector<T>& got, const std::vector<T>& want, const char* what) {
  BOOST_TEST_REQUIRE(got.size() == want.size());
  std::size_t exact = 0;
  std::int64_t worst = 0;
  for (std::size_t i = 0; i < want.size(); ++i) {
    const std::int64_t d = ulp_distance(got[i], want[i]);
    worst = std::max(worst, d);
    exact += d == 0;
    BOOST_TEST(d <= 1, what << "[" << i << "] = " << std::hexfloat << got[i] << ", PyTorch " << want[i] << " ("
                            << std::dec << d << " ulp)");
  }
  BOOST_TEST_MESSAGE(what << ": " << exact << " of " << want.size() << " values identical to PyTorch's, worst "
                          << worst << " ulp");
}

}  // namespace

BOOST_AUTO_TEST_CASE(linspace_float32_matches_pytorch) {
  check_within_one_ulp(eigrad::linspace<float>(-kPi, kPi, 2000).to_vector(), golden_values<float>("float32"),
                       "linspace float32");
}

BOOST_AUTO_TEST_CASE(linspace_float64_matches_pytorch) {
  check_within_one_ulp(eigrad::linspace<double>(-kPi, kPi, 2000).to_vector(), golden_values<double>("float64"),
                       "linspace float64");
}

BOOST_AUTO_TEST_CASE(sin_float32_matches_pytorch) {
  // From PyTorch's own x, so that this checks sin alone.
  const std::vector<float> x = golden_values<float>("float32");
  const auto t = eigrad::from_vector<float>(x, {static_cast<std::int64_t>(x.size())});
  check_within_one_ulp(t.sin().to_vector(), golden_values<float>("sin_float32"), "sin float32");
  // And through the stage's own path: sin(linspace(...)).
  check_within_one_ulp(eigrad::sin(eigrad::linspace<float>(-kPi, kPi, 2000)).to_vector(),
                       golden_values<float>("sin_float32"), "sin(linspace) float32");
}

BOOST_AUTO_TEST_CASE(linspace_ends_are_exact_for_any_count) {
  // PyTorch fills the first half from start and the second from end, so both ends are the
  // endpoints rounded to the dtype, whatever the count.
  for (std::int64_t n : {2, 3, 4, 7, 100, 2001}) {
    const auto f = eigrad::linspace<float>(-kPi, kPi, n).to_vector();
    const auto d = eigrad::linspace<double>(-kPi, kPi, n).to_vector();
    BOOST_TEST_REQUIRE(f.size() == static_cast<std::size_t>(n));
    BOOST_TEST(f.front() == static_cast<float>(-kPi));
    BOOST_TEST(f.back() == static_cast<float>(kPi));
    BOOST_TEST(d.front() == -kPi);
    BOOST_TEST(d.back() == kPi);
    for (std::size_t i = 1; i < d.size(); ++i) BOOST_TEST(d[i] > d[i - 1]);
  }
  const auto one = eigrad::linspace<double>(-kPi, kPi, 1).to_vector();
  BOOST_TEST_REQUIRE(one.size() == 1u);
  BOOST_TEST(one[0] == -kPi);
}
