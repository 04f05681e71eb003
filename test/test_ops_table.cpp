#define BOOST_TEST_MODULE ops_table
#include <boost/test/unit_test.hpp>

#include <cmath>
#include <string>
#include <type_traits>
#include <vector>

#include "eigrad/autograd/grad_mode.hpp"
#include "eigrad/autograd/gradcheck.hpp"
#include "eigrad/dual.hpp"
#include "eigrad/expr/expr.hpp"
#include "eigrad/random.hpp"
#include "eigrad/tensor.hpp"
#include "support/ad_check.hpp"
#include "support/op_table.hpp"

// The test table (as PyTorch's OpInfo, Stan's expect_ad): every differentiable tensor op once,
// with its operands' shapes and domains. Each check below runs over the whole table:
//   - values and first derivatives three ways in float64: forward mode (duals, through an
//     independent reference implementation of the tensor API, which also checks the values;
//     its elementwise math is Dual's, i.e. the op table's entries applied to duals)
//     = reverse mode = central differences, and second derivatives from nested duals
//     (check_ad_modes);
//   - autograd::gradcheck in float64;
//   - float32 values and gradients against float64;
//   - for the rows lazy expressions fuse, the fused value and gradients against the eager ops
//     (each op its own node and result, through the Eager operand type) in both dtypes.
// And the entries themselves on nested duals (op_table_entries_run_on_nested_duals).
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
  {  // with nothing to record, a statement this small runs from its tape: the same bits
    NoGradGuard no_grad;
    const std::vector<U> small = Tensor<U>(c.f(leaves)).to_vector();
    BOOST_TEST_REQUIRE(small.size() == got.size());
    for (std::size_t i = 0; i < got.size(); ++i)
      BOOST_TEST(((small[i] == got[i] && std::signbit(small[i]) == std::signbit(got[i])) ||
                  (std::isnan(small[i]) && std::isnan(got[i]))),
                 c.name << " (" << dtype_name<U>() << "): value [" << i << "] without grad " << small[i] << ", with "
                        << got[i]);
  }
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

namespace {

/// A two-operand entry as a one-operand one in its first operand, the second fixed at c.
template <class Op>
struct InFirstOperand {
  Op op;
  double c;
  template <class T> T value(T x) const { return op.value(x, T(c)); }
  template <class T> T grad(T g, T x, T y) const { return op.grad_a(g, x, T(c), y); }
};

/// The same in the second operand, the first fixed at c.
template <class Op>
struct InSecondOperand {
  Op op;
  double c;
  template <class T> T value(T x) const { return op.value(T(c), x); }
  template <class T> T grad(T g, T x, T y) const { return op.grad_b(g, T(c), x, y); }
};

/// The entry \p make returns (given a value of the element type, for entries whose type
/// depends on it), run by its own functors on nested duals Dual<Dual<double, 1>, 1> at each
/// of \p points: the value is the entry's on doubles, both first derivatives are its gradient
/// formula, and the second derivative equals central differences of that formula on doubles
/// and the formula itself differentiated by duals.
template <class Make>
void check_entry_on_nested_duals(const std::string& name, const Make& make, const std::vector<double>& points) {
  using D = Dual<double, 1>;
  using DD = Dual<D, 1>;
  const auto value = [&make](auto x) { return make(x).value(x); };
  const auto derivative = [&make](auto x) {
    using T = decltype(x);
    const auto entry = make(x);
    return entry.grad(T(1), x, entry.value(x));
  };
  const auto close = [](double a, double b, double rtol) { return std::abs(a - b) <= rtol * (1 + std::abs(b)); };
  for (double x : points) {
    BOOST_TEST_CONTEXT(name << " at " << x) {
      DD xx(D::variable(x, 0));
      xx.tangent(0) = D(1.0);
      const DD y = value(xx);
      const double d1 = derivative(x);
      BOOST_TEST(y.value().value() == value(x));
      BOOST_TEST(close(y.value().tangent(0), d1, 1e-14), "inner tangent " << y.value().tangent(0) << ", grad " << d1);
      BOOST_TEST(close(y.tangent(0).value(), d1, 1e-14), "outer tangent " << y.tangent(0).value() << ", grad " << d1);
      const double h = 1e-5 * std::max(1.0, std::abs(x));
      const double fd2 = (derivative(x + h) - derivative(x - h)) / (2 * h);
      const double d2 = y.tangent(0).tangent(0);
      BOOST_TEST(close(d2, fd2, 1e-6), "second derivative " << d2 << ", central difference of grad " << fd2);
      const D dd = derivative(D::variable(x, 0));
      BOOST_TEST(close(d2, dd.tangent(0), 1e-12), "second derivative " << d2 << ", grad on duals " << dd.tangent(0));
    }
  }
}

}  // namespace

BOOST_AUTO_TEST_CASE(op_table_entries_run_on_nested_duals) {
  const std::vector<double> real = {-2.3, -0.7, 0.3, 1.9};
  const std::vector<double> positive = {0.2, 0.9, 2.6};
  const auto entry = [](auto op) { return [op](auto) { return op; }; };
  check_entry_on_nested_duals("neg", entry(ops::Neg{}), real);
  check_entry_on_nested_duals("sin", entry(ops::Sin{}), real);
  check_entry_on_nested_duals("cos", entry(ops::Cos{}), real);
  check_entry_on_nested_duals("exp", entry(ops::Exp{}), real);
  check_entry_on_nested_duals("log", entry(ops::Log{}), positive);
  check_entry_on_nested_duals("sqrt", entry(ops::Sqrt{}), positive);
  check_entry_on_nested_duals("abs", entry(ops::Abs{}), real);
  check_entry_on_nested_duals("tanh", entry(ops::Tanh{}), real);
  check_entry_on_nested_duals("sigmoid", entry(ops::Sigmoid{}), real);
  check_entry_on_nested_duals("relu", entry(ops::Relu{}), real);
  check_entry_on_nested_duals("clamp", [](auto x) { return ops::Clamp<decltype(x)>{{}, -1.0, 1.0}; }, real);
  check_entry_on_nested_duals("s / x", [](auto x) { return ops::RDivScalar<decltype(x)>{{}, 2.5}; }, real);
  check_entry_on_nested_duals("2 ^ x", entry(ops::PowScalarBase<double>(2.0)), real);
  for (double e : {0.0, 1.0, 2.0, 3.0, -1.0, -2.0, 0.5, -0.5, 2.7}) {
    check_entry_on_nested_duals("x ^ " + std::to_string(e),
                                [e](auto x) { return ops::PowScalarKinds<decltype(x), double>::of(e); }, positive);
  }
  check_entry_on_nested_duals("x ^ 4 at negative x", [](auto x) { return ops::PowScalarKinds<decltype(x), double>::of(4.0); },
                              real);
  check_entry_on_nested_duals("x * 1.5", entry(InFirstOperand<ops::Mul>{{}, 1.5}), real);
  check_entry_on_nested_duals("1.5 / x", entry(InSecondOperand<ops::Div>{{}, 1.5}), real);
  check_entry_on_nested_duals("x / 1.5", entry(InFirstOperand<ops::Div>{{}, 1.5}), real);
  check_entry_on_nested_duals("x ^ 1.5 (tensor exponent)", entry(InFirstOperand<ops::Pow>{{}, 1.5}), positive);
  check_entry_on_nested_duals("1.5 ^ x (tensor base)", entry(InSecondOperand<ops::Pow>{{}, 1.5}), real);
  check_entry_on_nested_duals("maximum(x, 0.5)", entry(InFirstOperand<ops::Maximum>{{}, 0.5}), real);
}
