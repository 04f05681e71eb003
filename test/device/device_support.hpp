#pragma once
// Shared by the device suite: device buffers filled from and read back to host vectors, test
// data, and the comparisons (bit for bit where the device runs the CPU's functors, within a
// tolerance where it sums in another order).
#include <boost/mpl/list.hpp>
#include <boost/test/unit_test.hpp>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <cstdlib>
#include <functional>
#include <iomanip>
#include <iostream>
#include <string>
#include <vector>

#include "eigrad/cuda/kernels.hpp"
#include "eigrad/random.hpp"
#include "eigrad/storage.hpp"
#include "eigrad/tensor.hpp"

namespace eigrad::test {

/// A CUDA build on a machine without a GPU (or driver) has no device: each device test
/// program then says so and ends successfully before its first test.
struct SkipWithoutDevice {
  SkipWithoutDevice() {
    if (cuda::is_available()) return;
    std::cout << "no device on this machine (device backend " << device_backend_name()
              << "): the device suite is skipped\n";
    std::exit(0);
  }
};
BOOST_TEST_GLOBAL_FIXTURE(SkipWithoutDevice);

/// The element types every device test runs in.
using Dtypes = boost::mpl::list<float, double>;

/// A predicate for BOOST_CHECK_EXCEPTION: the error's message names every one of \p parts.
inline auto mentions(std::vector<std::string> parts) {
  return [parts](const Error& e) {
    const std::string what = e.what();
    for (const auto& p : parts)
      if (what.find(p) == std::string::npos) {
        BOOST_TEST_MESSAGE("message '" << what << "' lacks '" << p << "'");
        return false;
      }
    return true;
  };
}

/// A device buffer (Storage on cuda:0) with host copies in and out.
template <class T>
struct DeviceBuffer {
  Storage<T> storage;
  /// \p n uninitialised elements.
  explicit DeviceBuffer(std::int64_t n) : storage(Storage<T>::allocate(n, Device::cuda(0))) {}
  /// A copy of \p host.
  explicit DeviceBuffer(const std::vector<T>& host) : DeviceBuffer(static_cast<std::int64_t>(host.size())) {
    cuda::copy_from_host(data(), host.data(), size());
  }
  /// A copy of a CPU tensor's elements.
  explicit DeviceBuffer(const Tensor<T>& t) : DeviceBuffer(t.to_vector()) {}
  T* data() const { return storage.data(); }
  std::int64_t size() const { return storage.size(); }
  std::vector<T> host() const {
    std::vector<T> out(static_cast<std::size_t>(size()));
    cuda::copy_to_host(out.data(), data(), size());
    return out;
  }
};

/// Standard-normal draws of \p shape plus \p shift, from a fixed seed.
template <class T>
Tensor<T> sample(const Shape& shape, double shift = 0, std::uint64_t seed = 7) {
  manual_seed(seed);
  return randn<T>(shape) + static_cast<T>(shift);
}

/// Same bits, or both NaN.
template <class T>
bool same_value(T a, T b) {
  return (std::isnan(a) && std::isnan(b)) || std::memcmp(&a, &b, sizeof(T)) == 0 || (a == 0 && b == 0);
}

/// Every element of \p device has the same value as \p cpu (±0 equal, NaN equal to NaN).
template <class T>
void check_same(const std::vector<T>& device, const std::vector<T>& cpu, const std::string& what) {
  BOOST_TEST_REQUIRE(device.size() == cpu.size(), what << ": " << device.size() << " elements, CPU " << cpu.size());
  int shown = 0;
  for (std::size_t i = 0; i < cpu.size(); ++i)
    if (!same_value(device[i], cpu[i]) && shown++ < 5)
      BOOST_ERROR(what << " [" << i << "]: device " << std::setprecision(17) << device[i] << ", CPU " << cpu[i]);
}

/// Relative tolerance of a sum taken in another order.
template <class T>
constexpr double sum_tolerance() {
  return sizeof(T) == sizeof(float) ? 2e-5 : 1e-12;
}

/// Every element of \p device within \p rel (relative to max(1, |cpu|)) of \p cpu.
template <class T>
void check_close(const std::vector<T>& device, const std::vector<T>& cpu, const std::string& what,
                 double rel = sum_tolerance<T>()) {
  BOOST_TEST_REQUIRE(device.size() == cpu.size(), what << ": " << device.size() << " elements, CPU " << cpu.size());
  int shown = 0;
  for (std::size_t i = 0; i < cpu.size(); ++i) {
    const double d = device[i], c = cpu[i];
    const bool ok = (std::isnan(d) && std::isnan(c)) || d == c || std::abs(d - c) <= rel * std::max(1.0, std::abs(c));
    if (!ok && shown++ < 5)
      BOOST_ERROR(what << " [" << i << "]: device " << std::setprecision(17) << d << ", CPU " << c);
  }
}

// ---------------------------------------------------------------- the op tables of the suite

/// A one-operand entry, the eager CPU op it must match, and where its operand lives.
template <class T>
struct UnaryCase {
  std::string name;
  cuda::Unary<T> op;
  std::function<Tensor<T>(const Tensor<T>&)> cpu;
  double shift = 0;
};

template <class T>
std::vector<UnaryCase<T>> unary_cases() {
  using U = cuda::Unary<T>;
  using ops::Code;
  const T s = static_cast<T>(1.75);
  std::vector<UnaryCase<T>> cases = {
      {"neg", U::plain(Code::Neg), [](const Tensor<T>& x) { return -x; }},
      {"sin", U::plain(Code::Sin), [](const Tensor<T>& x) { return x.sin(); }},
      {"cos", U::plain(Code::Cos), [](const Tensor<T>& x) { return x.cos(); }},
      {"exp", U::plain(Code::Exp), [](const Tensor<T>& x) { return x.exp(); }},
      {"log", U::plain(Code::Log), [](const Tensor<T>& x) { return x.log(); }, 3.0},
      {"sqrt", U::plain(Code::Sqrt), [](const Tensor<T>& x) { return x.sqrt(); }, 3.0},
      {"abs", U::plain(Code::Abs), [](const Tensor<T>& x) { return x.abs(); }},
      {"tanh", U::plain(Code::Tanh), [](const Tensor<T>& x) { return x.tanh(); }},
      {"sigmoid", U::plain(Code::Sigmoid), [](const Tensor<T>& x) { return x.sigmoid(); }},
      {"relu", U::plain(Code::Relu), [](const Tensor<T>& x) { return x.relu(); }},
      {"x + s", U::with_scalar(Code::AddScalar, s), [s](const Tensor<T>& x) { return add_scalar(x, s); }},
      {"x - s", U::with_scalar(Code::SubScalar, s), [s](const Tensor<T>& x) { return sub_scalar(x, s); }},
      {"s - x", U::with_scalar(Code::RSubScalar, s), [s](const Tensor<T>& x) { return rsub_scalar(x, s); }},
      {"x * s", U::with_scalar(Code::MulScalar, s), [s](const Tensor<T>& x) { return mul_scalar(x, s); }},
      {"x / s", U::with_scalar(Code::DivScalar, s), [s](const Tensor<T>& x) { return div_scalar(x, s); }},
      {"s / x", U::with_scalar(Code::RDivScalar, s), [s](const Tensor<T>& x) { return rdiv_scalar(x, s); }},
      {"s ^ x", U::pow_base(s), [s](const Tensor<T>& x) { return pow(s, x); }},
      {"clamp", U::clamp(T(-0.5), T(0.75)), [](const Tensor<T>& x) { return clamp(x, T(-0.5), T(0.75)); }},
  };
  for (const double e : {2.0, 3.0, 1.0, 0.0, 0.5, -0.5, -1.0, -2.0, 2.5, -1.5})
    cases.push_back({"x ^ " + std::to_string(e), U::pow_exponent(e), [e](const Tensor<T>& x) { return x.pow(e); },
                     e == std::floor(e) ? 0.0 : 3.0});
  return cases;
}

/// A two-operand entry and the eager op.
template <class T>
struct BinaryCase {
  std::string name;
  ops::Code code;
  std::function<Tensor<T>(const Tensor<T>&, const Tensor<T>&)> cpu;
  double shift_a = 0, shift_b = 0;
};

template <class T>
std::vector<BinaryCase<T>> binary_cases() {
  using ops::Code;
  return {
      {"add", Code::Add, [](const Tensor<T>& a, const Tensor<T>& b) { return a + b; }},
      {"sub", Code::Sub, [](const Tensor<T>& a, const Tensor<T>& b) { return a - b; }},
      {"mul", Code::Mul, [](const Tensor<T>& a, const Tensor<T>& b) { return a * b; }},
      {"div", Code::Div, [](const Tensor<T>& a, const Tensor<T>& b) { return a / b; }, 0, 4},
      {"pow", Code::Pow, [](const Tensor<T>& a, const Tensor<T>& b) { return a.pow(b); }, 3, 0},
      {"maximum", Code::Maximum, [](const Tensor<T>& a, const Tensor<T>& b) { return maximum(a, b); }},
      {"minimum", Code::Minimum, [](const Tensor<T>& a, const Tensor<T>& b) { return minimum(a, b); }},
  };
}

}  // namespace eigrad::test
