#define BOOST_TEST_MODULE ops_table
#include <boost/test/unit_test.hpp>

#include <cmath>
#include <string>
#include <type_traits>
#include <vector>

#include "eigrad/autograd/gradcheck.hpp"
#include "eigrad/expr/expr.hpp"
#include "eigrad/random.hpp"
#include "eigrad/tensor.hpp"
#include "support/ad_check.hpp"
#include "support/op_table.hpp"

// The test table (as PyTorch's OpInfo, Stan's expect_ad): every differentiable tensor op once,
// with its operands' shapes and domains. Each check below runs over the whole table:
//   - values and first derivatives three ways in float64: forward mode (duals, through an
//     independent reference implementation of the tensor API, which also checks the values)
//     = reverse mode = central differences, and second derivatives (check_ad_modes);
//   - autograd::gradcheck in float64;
//   - float32 values and gradients against float64;
//   - for the rows lazy expressions fuse, the fused value and gradients against the eager ops
//     (each op its own node and result, through the Eager operand type) in both dtypes.
// Adding an op is one op-table entry (include/eigrad/ops/) and one line in for_each_op().

using namespace eigrad;

namespace {

using eigrad::pow;
using eigrad::test::clamp;
using eigrad::test::pow;
using test::Eager;
using test::for_each_op;

/// The operands of a row as float64 leaves requiring grad, seeded by the row's position.
template <class Case>
std::vector<Tensor<double>> inputs_of(const Case& c, std::uint64_t row) {
  std::vector<Tensor<double>> in;
  for (std::size_t k = 0; k < c.operands.size(); ++k) {
    in.push_back(test::seeded_normal(c.operands[k].shape, 1000 * row + k, c.operands[k].shift).requires_grad_(true));
  }
  return in;
}

/// The same values as float32 leaves requiring grad.
std::vector<Tensor<float>> to_float(const std::vector<Tensor<double>>& in) {
  std::vector<Tensor<float>> out;
  for (const auto& t : in) {
    std::vector<float> v;
    for (double x : t.to_vector()) v.push_back(static_cast<float>(x));
    out.push_back(from_vector<float>(v, t.shape()).requires_grad_(true));
  }
  return out;
}

/// Whether float32 \p got agrees with float64 \p want to float32 rounding (a few ulps of the
/// larger magnitudes involved).
bool close_in_float(const std::vector<float>& got, const std::vector<double>& want, double scale) {
  if (got.size() != want.size()) return false;
  for (std::size_t i = 0; i < got.size(); ++i) {
    if (std::isnan(want[i]) != std::isnan(got[i])) return false;
    if (!std::isnan(want[i]) && std::abs(got[i] - want[i]) > 1e-5 * (scale + std::abs(want[i]))) return false;
  }
  return true;
}

double max_abs(const std::vector<double>& v) {
  double m = 0;
  for (double x : v) m = std::max(m, std::abs(x));
  return m;
}

}  // namespace

BOOST_AUTO_TEST_CASE(forward_mode_equals_reverse_mode_and_central_differences) {
  std::uint64_t row = 0;
  for_each_op([&](const auto& c) { test::check_ad_modes(c.name, c.f, inputs_of(c, row++)); });
}

BOOST_AUTO_TEST_CASE(gradcheck_in_float64) {
  std::uint64_t row = 0;
  for_each_op([&](const auto& c) {
    const auto r = autograd::gradcheck([&c](const std::vector<Tensor<double>>& in) { return Tensor<double>(c.f(in)); },
                                       inputs_of(c, row++));
    BOOST_TEST(r.ok, c.name << ": " << r.message);
  });
}

BOOST_AUTO_TEST_CASE(float32_values_and_gradients_match_float64) {
  std::uint64_t row = 0;
  for_each_op([&](const auto& c) {
    const std::vector<Tensor<double>> in64 = inputs_of(c, row++);
    const std::vector<Tensor<float>> in32 = to_float(in64);
    const Tensor<double> y64 = c.f(in64);
    const Tensor<float> y32 = c.f(in32);
    BOOST_TEST_REQUIRE((y32.shape() == y64.shape()), c.name << ": shapes differ between dtypes");
    const std::vector<double> want = y64.to_vector();
    BOOST_TEST(close_in_float(y32.to_vector(), want, max_abs(want)), c.name << ": float32 values");
    y64.sum().backward();
    y32.sum().backward();
    for (std::size_t k = 0; k < in64.size(); ++k) {
      const std::vector<double> g = in64[k].grad().to_vector();
      BOOST_TEST(close_in_float(in32[k].grad().to_vector(), g, max_abs(g) + max_abs(want)),
                 c.name << ": float32 gradient of input " << k);
    }
  });
}

namespace {


/// Fused (lazy) against eager evaluation of row \p c in dtype U: values and the gradients of
/// the sum to rounding.
template <class U, class Case>
void check_fused_against_eager(const Case& c, const std::vector<Tensor<double>>& in64) {
  std::vector<Tensor<U>> eager_in, fused_in;
  for (const auto& t : in64) {
    std::vector<U> v;
    for (double x : t.to_vector()) v.push_back(static_cast<U>(x));
    eager_in.push_back(from_vector<U>(v, t.shape()).requires_grad_(true));
    fused_in.push_back(from_vector<U>(v, t.shape()).requires_grad_(true));
  }
  std::vector<Eager<U>> eager_operands;
  for (const auto& t : eager_in) eager_operands.push_back({t});
  std::vector<expr::Leaf<U>> leaves;
  for (const auto& t : fused_in) leaves.push_back(expr::lazy(t));
  const Tensor<U> eager = c.f(eager_operands).t;
  const Tensor<U> fused = c.f(leaves);
  BOOST_TEST_REQUIRE((fused.shape() == eager.shape()), c.name << ": fused shape " << to_string(fused.shape()));
  const double tol = std::is_same_v<U, float> ? 1e-6 : 1e-14;
  const std::vector<U> want = eager.to_vector(), got = fused.to_vector();
  for (std::size_t i = 0; i < want.size(); ++i)
    BOOST_TEST((std::abs(got[i] - want[i]) <= tol * (1 + std::abs(want[i])) || (std::isnan(got[i]) && std::isnan(want[i]))),
               c.name << " (" << dtype_name<U>() << "): fused value [" << i << "] " << got[i] << ", eager " << want[i]);
  eager.sum().backward();
  c.f(leaves).sum().backward();
  for (std::size_t k = 0; k < eager_in.size(); ++k) {
    const std::vector<U> ge = eager_in[k].grad().to_vector(), gf = fused_in[k].grad().to_vector();
    BOOST_TEST_REQUIRE(gf.size() == ge.size(), c.name << ": fused gradient size of input " << k);
    for (std::size_t i = 0; i < ge.size(); ++i)
      BOOST_TEST((std::abs(gf[i] - ge[i]) <= tol * (1 + std::abs(ge[i])) || (std::isnan(gf[i]) && std::isnan(ge[i]))),
                 c.name << " (" << dtype_name<U>() << "): fused gradient of input " << k << " [" << i << "] " << gf[i]
                        << ", eager " << ge[i]);
  }
}

}  // namespace

BOOST_AUTO_TEST_CASE(fused_expressions_match_the_eager_ops) {
  std::uint64_t row = 0;
  int rows_fused = 0;
  for_each_op([&](const auto& c) {
    const std::vector<Tensor<double>> in = inputs_of(c, row++);
    if constexpr (std::decay_t<decltype(c)>::fusible) {
      check_fused_against_eager<float>(c, in);
      check_fused_against_eager<double>(c, in);
      ++rows_fused;
    }
  });
  BOOST_TEST(rows_fused >= 30);
}
