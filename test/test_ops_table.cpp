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

/// An operand: standard-normal draws of \p shape plus \p shift (shift > 0 keeps log, sqrt,
/// divisors and real powers on their domain).
struct Operand {
  Shape shape;
  double shift = 0;
};

/// One row of the table: the op as a generic lambda over a vector of operands (it runs on
/// Tensor<double>, Tensor<float> and the dual reference tensors).
template <class F, bool Fusible>
struct OpCase {
  static constexpr bool fusible = Fusible;  ///< also runs on lazy expressions
  std::string name;
  F f;
  std::vector<Operand> operands;
};

/// A row for the eager ops only.
template <class F>
OpCase<F, false> op(std::string name, F f, std::vector<Operand> operands) {
  return {std::move(name), std::move(f), std::move(operands)};
}

/// A row that lazy expressions fuse too (its operands have one shape or one element).
template <class F>
OpCase<F, true> fused(std::string name, F f, std::vector<Operand> operands) {
  return {std::move(name), std::move(f), std::move(operands)};
}

/// clamp and pow with a scalar base take a T; the table writes the scalars as doubles.
Tensor<float> clamp(const Tensor<float>& a, double lo, double hi) {
  return eigrad::clamp(a, static_cast<float>(lo), static_cast<float>(hi));
}
Tensor<double> clamp(const Tensor<double>& a, double lo, double hi) { return eigrad::clamp(a, lo, hi); }
Tensor<float> pow(double s, const Tensor<float>& e) { return eigrad::pow(static_cast<float>(s), e); }
Tensor<double> pow(double s, const Tensor<double>& e) { return eigrad::pow(s, e); }
using eigrad::pow;
using eigrad::test::clamp;
using eigrad::test::pow;

/// Calls \p visit with every row of the table.
template <class Visit>
void for_each_op(Visit&& visit) {
  // elementwise, two tensors, broadcasting
  visit(op("add", [](const auto& in) { return in[0] + in[1]; }, {{{2, 3}}, {{3}}}));
  visit(op("sub", [](const auto& in) { return in[0] - in[1]; }, {{{2, 1}}, {{1, 3}}}));
  visit(op("mul", [](const auto& in) { return in[0] * in[1]; }, {{{2, 3}}, {{2, 1}}}));
  visit(op("div", [](const auto& in) { return in[0] / in[1]; }, {{{3}}, {{2, 3}, 4.0}}));
  visit(fused("mul rank 0 by rank 1", [](const auto& in) { return in[0] * in[1]; }, {{{}}, {{4}}}));
  visit(op("add rank 3 broadcast", [](const auto& in) { return in[0] + in[1] * in[0]; }, {{{2, 1, 3}}, {{4, 1}}}));
  visit(op("maximum", [](const auto& in) { return maximum(in[0], in[1]); }, {{{5}}, {{5}}}));
  visit(op("minimum", [](const auto& in) { return minimum(in[0], in[1]); }, {{{2, 3}}, {{3}}}));
  visit(op("pow tensor exponent (x.unsqueeze(-1).pow(p))", [](const auto& in) { return in[0].unsqueeze(-1).pow(in[1]); },
           {{{5}, 4.0}, {{3}}}));
  // one tensor
  visit(fused("neg", [](const auto& in) { return -in[0]; }, {{{3}}}));
  visit(fused("sin", [](const auto& in) { return in[0].sin(); }, {{{2, 3}}}));
  visit(fused("cos", [](const auto& in) { return in[0].cos(); }, {{{2, 3}}}));
  visit(fused("exp", [](const auto& in) { return in[0].exp(); }, {{{2, 3}}}));
  visit(fused("log", [](const auto& in) { return in[0].log(); }, {{{4}, 5.0}}));
  visit(fused("sqrt", [](const auto& in) { return in[0].sqrt(); }, {{{4}, 5.0}}));
  visit(fused("abs", [](const auto& in) { return in[0].abs(); }, {{{6}}}));
  visit(fused("tanh", [](const auto& in) { return in[0].tanh(); }, {{{6}}}));
  visit(fused("sigmoid", [](const auto& in) { return in[0].sigmoid(); }, {{{6}}}));
  visit(fused("relu", [](const auto& in) { return in[0].relu(); }, {{{6}}}));
  visit(op("clamp", [](const auto& in) { return clamp(in[0], -0.5, 0.5); }, {{{6}}}));
  visit(fused("free sin cos exp tanh", [](const auto& in) { return sin(in[0]) * cos(in[0]) + exp(in[0]) * tanh(in[0]); },
           {{{2, 2}}}));
  visit(fused("free log sqrt abs", [](const auto& in) { return log(in[0]) + sqrt(in[0]) + abs(in[0] - 5.0); },
           {{{3}, 5.0}}));
  // a tensor and a scalar
  visit(fused("a + s", [](const auto& in) { return in[0] + 2.5; }, {{{3}}}));
  visit(fused("s + a", [](const auto& in) { return 2.5 + in[0]; }, {{{3}}}));
  visit(fused("a - s", [](const auto& in) { return in[0] - 2.5; }, {{{3}}}));
  visit(fused("s - a", [](const auto& in) { return 2.5 - in[0]; }, {{{3}}}));
  visit(fused("a * s", [](const auto& in) { return in[0] * -1.5; }, {{{3}}}));
  visit(fused("s * a", [](const auto& in) { return 3 * in[0]; }, {{{3}}}));
  visit(fused("a / s", [](const auto& in) { return in[0] / 4.0; }, {{{3}}}));
  visit(fused("s / a", [](const auto& in) { return 2.0 / in[0]; }, {{{3}, 5.0}}));
  for (double e : {0.0, 1.0, 2.0, 3.0, -1.0, -2.0, 0.5, -0.5, 2.7})
    visit(fused("pow " + std::to_string(e), [e](const auto& in) { return in[0].pow(e); }, {{{4}, 4.0}}));
  visit(fused("pow, negative base, integer exponents", [](const auto& in) { return in[0].pow(2.0) + in[0].pow(3.0); },
           {{{5}}}));
  visit(op("scalar base pow tensor", [](const auto& in) { return pow(2.0, in[0]); }, {{{3}}}));
  visit(op("free pow", [](const auto& in) { return pow(in[0], 1.5) + pow(in[0], in[1]); }, {{{3}, 3.0}, {{1}}}));
  // reductions
  visit(op("sum", [](const auto& in) { return in[0].sum(); }, {{{2, 3}}}));
  visit(op("sum dim 0", [](const auto& in) { return in[0].sum(0); }, {{{2, 3}}}));
  visit(op("sum dim -1 keepdim", [](const auto& in) { return in[0].sum(-1, true); }, {{{2, 3, 2}}}));
  visit(op("sum dim 1 of rank 3", [](const auto& in) { return in[0].sum(1) * in[0].sum(0).sum(0); }, {{{2, 3, 2}}}));
  visit(op("mean", [](const auto& in) { return in[0].mean(); }, {{{2, 3}}}));
  visit(op("mean dim 1", [](const auto& in) { return in[0].mean(1); }, {{{2, 3, 2}}}));
  visit(op("mean dim -2 keepdim", [](const auto& in) { return in[0].mean(-2, true) * in[0]; }, {{{3, 2}}}));
  visit(op("sum_to", [](const auto& in) { return in[0].sum_to({3}); }, {{{2, 3}}}));
  visit(op("sum_to keeps ones", [](const auto& in) { return in[0].sum_to({2, 1}); }, {{{4, 2, 3}}}));
  // views and matrix products
  visit(op("unsqueeze", [](const auto& in) { return in[0].unsqueeze(0) * 2.0; }, {{{3}}}));
  visit(op("unsqueeze -1 broadcast", [](const auto& in) { return in[0].unsqueeze(-1) * in[1]; }, {{{3}}, {{2}}}));
  visit(op("squeeze", [](const auto& in) { return in[0].squeeze(1) * 2.0; }, {{{3, 1}}}));
  visit(op("flatten", [](const auto& in) { return in[0].flatten(0, 1) * in[0].flatten(); }, {{{2, 3}}}));
  visit(op("flatten middle", [](const auto& in) { return in[0].flatten(1, 2).sin(); }, {{{2, 2, 3}}}));
  visit(op("reshape", [](const auto& in) { return in[0].reshape({3, -1}) * 3.0; }, {{{2, 3}}}));
  visit(op("view", [](const auto& in) { return in[0].view({6}) * in[0].reshape({-1}); }, {{{3, 2}}}));
  visit(op("clone", [](const auto& in) { return in[0].clone() * in[0]; }, {{{3}}}));
  visit(op("matmul", [](const auto& in) { return in[0].matmul(in[1]); }, {{{2, 3}}, {{3, 4}}}));
  visit(op("free matmul", [](const auto& in) { return matmul(in[0], in[0].t()); }, {{{2, 3}}}));
  visit(op("t", [](const auto& in) { return in[0].t().matmul(in[0]); }, {{{3, 2}}}));
}

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

/// An operand whose arithmetic runs the eager ops (one node and one result per op, full
/// broadcasting), for the table's lambdas: tensor arithmetic itself builds fused expressions.
template <class U>
struct Eager {
  Tensor<U> t;
  Eager sin() const { return {detail::eager_unary(t, ops::Sin{})}; }
  Eager cos() const { return {detail::eager_unary(t, ops::Cos{})}; }
  Eager exp() const { return {detail::eager_unary(t, ops::Exp{})}; }
  Eager log() const { return {detail::eager_unary(t, ops::Log{})}; }
  Eager sqrt() const { return {detail::eager_unary(t, ops::Sqrt{})}; }
  Eager abs() const { return {detail::eager_unary(t, ops::Abs{})}; }
  Eager tanh() const { return {detail::eager_unary(t, ops::Tanh{})}; }
  Eager sigmoid() const { return {detail::eager_unary(t, ops::Sigmoid{})}; }
  Eager relu() const { return {detail::eager_unary(t, ops::Relu{})}; }
  Eager pow(double e) const { return {detail::eager_pow(t, e)}; }
  Eager operator-() const { return {detail::eager_unary(t, ops::Neg{})}; }
};
template <class U>
using if_number = std::enable_if_t<std::is_arithmetic_v<U>, int>;

template <class U>
Eager<U> operator+(const Eager<U>& a, const Eager<U>& b) { return {detail::eager_binary<U, ops::Add>(a.t, b.t)}; }
template <class U>
Eager<U> operator-(const Eager<U>& a, const Eager<U>& b) { return {detail::eager_binary<U, ops::Sub>(a.t, b.t)}; }
template <class U>
Eager<U> operator*(const Eager<U>& a, const Eager<U>& b) { return {detail::eager_binary<U, ops::Mul>(a.t, b.t)}; }
template <class U>
Eager<U> operator/(const Eager<U>& a, const Eager<U>& b) { return {detail::eager_binary<U, ops::Div>(a.t, b.t)}; }
template <class U, class S, if_number<S> = 0>
Eager<U> operator+(const Eager<U>& a, S s) { return {add_scalar(a.t, static_cast<U>(s))}; }
template <class U, class S, if_number<S> = 0>
Eager<U> operator+(S s, const Eager<U>& a) { return {add_scalar(a.t, static_cast<U>(s))}; }
template <class U, class S, if_number<S> = 0>
Eager<U> operator-(const Eager<U>& a, S s) { return {sub_scalar(a.t, static_cast<U>(s))}; }
template <class U, class S, if_number<S> = 0>
Eager<U> operator-(S s, const Eager<U>& a) { return {rsub_scalar(a.t, static_cast<U>(s))}; }
template <class U, class S, if_number<S> = 0>
Eager<U> operator*(const Eager<U>& a, S s) { return {mul_scalar(a.t, static_cast<U>(s))}; }
template <class U, class S, if_number<S> = 0>
Eager<U> operator*(S s, const Eager<U>& a) { return {mul_scalar(a.t, static_cast<U>(s))}; }
template <class U, class S, if_number<S> = 0>
Eager<U> operator/(const Eager<U>& a, S s) { return {div_scalar(a.t, static_cast<U>(s))}; }
template <class U, class S, if_number<S> = 0>
Eager<U> operator/(S s, const Eager<U>& a) { return {rdiv_scalar(a.t, static_cast<U>(s))}; }
template <class U> Eager<U> sin(const Eager<U>& a) { return a.sin(); }
template <class U> Eager<U> cos(const Eager<U>& a) { return a.cos(); }
template <class U> Eager<U> exp(const Eager<U>& a) { return a.exp(); }
template <class U> Eager<U> log(const Eager<U>& a) { return a.log(); }
template <class U> Eager<U> sqrt(const Eager<U>& a) { return a.sqrt(); }
template <class U> Eager<U> abs(const Eager<U>& a) { return a.abs(); }
template <class U> Eager<U> tanh(const Eager<U>& a) { return a.tanh(); }

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
