#define BOOST_TEST_MODULE ad_modes
#include <boost/test/unit_test.hpp>

#include <cmath>
#include <string>
#include <vector>

#include "eigrad/random.hpp"
#include "eigrad/tensor.hpp"
#include "support/ad_check.hpp"

// Every differentiable tensor op, three ways: forward mode (duals) = reverse mode (backward)
// = central finite differences, in float64; and second derivatives of sum(op^2) from nested
// duals against finite differences of reverse-mode gradients.

using namespace eigrad;
using eigrad::test::check_ad_modes;
using T = Tensor<double>;

namespace {

/// Seeded standard-normal values of \p shape, plus \p shift.
T input(const Shape& shape, std::uint64_t seed, double shift = 0) {
  manual_seed(seed);
  T t = randn<double>(shape);
  if (shift != 0) t += shift;
  return t;
}

}  // namespace

BOOST_AUTO_TEST_CASE(elementwise_binary_with_broadcasting) {
  check_ad_modes("add", [](const auto& in) { return in[0] + in[1]; }, {input({2, 3}, 1), input({3}, 2)});
  check_ad_modes("sub", [](const auto& in) { return in[0] - in[1]; }, {input({2, 1}, 3), input({1, 3}, 4)});
  check_ad_modes("mul", [](const auto& in) { return in[0] * in[1]; }, {input({2, 3}, 5), input({2, 1}, 6)});
  check_ad_modes("div", [](const auto& in) { return in[0] / in[1]; }, {input({3}, 7), input({2, 3}, 8, 4.0)});
  check_ad_modes("mul rank 0 by rank 1", [](const auto& in) { return in[0] * in[1]; }, {input({}, 9), input({4}, 10)});
  check_ad_modes("add rank 3 broadcast", [](const auto& in) { return in[0] + in[1] * in[0]; },
                 {input({2, 1, 3}, 11), input({4, 1}, 12)});
  check_ad_modes("maximum", [](const auto& in) { return maximum(in[0], in[1]); }, {input({5}, 13), input({5}, 14)});
  check_ad_modes("minimum", [](const auto& in) { return minimum(in[0], in[1]); }, {input({2, 3}, 15), input({3}, 16)});
  check_ad_modes("neg", [](const auto& in) { return -in[0]; }, {input({3}, 17)});
}

BOOST_AUTO_TEST_CASE(scalar_operands) {
  check_ad_modes("a + s", [](const auto& in) { return in[0] + 2.5; }, {input({3}, 20)});
  check_ad_modes("s + a", [](const auto& in) { return 2.5 + in[0]; }, {input({3}, 21)});
  check_ad_modes("s - a", [](const auto& in) { return 2.5 - in[0]; }, {input({3}, 22)});
  check_ad_modes("a - s", [](const auto& in) { return in[0] - 2.5; }, {input({3}, 23)});
  check_ad_modes("a * s", [](const auto& in) { return in[0] * -1.5; }, {input({3}, 24)});
  check_ad_modes("s * a", [](const auto& in) { return 3 * in[0]; }, {input({3}, 25)});
  check_ad_modes("a / s", [](const auto& in) { return in[0] / 4.0; }, {input({3}, 26)});
  check_ad_modes("s / a", [](const auto& in) { return 2.0 / in[0]; }, {input({3}, 27, 5.0)});
}

BOOST_AUTO_TEST_CASE(powers) {
  for (double e : {0.0, 1.0, 2.0, 3.0, -1.0, -2.0, 0.5, -0.5, 2.7})
    check_ad_modes("pow " + std::to_string(e), [e](const auto& in) { return in[0].pow(e); }, {input({4}, 30, 4.0)});
  check_ad_modes("pow with a negative base, integer exponents",
                 [](const auto& in) { return in[0].pow(2.0) + in[0].pow(3.0); }, {input({5}, 31)});
  check_ad_modes("pow tensor exponent (broadcast, x.unsqueeze(-1).pow(p))",
                 [](const auto& in) { return in[0].unsqueeze(-1).pow(in[1]); }, {input({5}, 32, 4.0), input({3}, 33)});
  check_ad_modes("scalar base pow tensor", [](const auto& in) { return pow(2.0, in[0]); }, {input({3}, 34)});
  check_ad_modes("free pow", [](const auto& in) { return pow(in[0], 1.5) + pow(in[0], in[1]); },
                 {input({3}, 35, 3.0), input({1}, 36)});
}

BOOST_AUTO_TEST_CASE(unary_math) {
  check_ad_modes("sin", [](const auto& in) { return in[0].sin(); }, {input({2, 3}, 40)});
  check_ad_modes("cos", [](const auto& in) { return in[0].cos(); }, {input({2, 3}, 41)});
  check_ad_modes("exp", [](const auto& in) { return in[0].exp(); }, {input({2, 3}, 42)});
  check_ad_modes("log", [](const auto& in) { return in[0].log(); }, {input({4}, 43, 5.0)});
  check_ad_modes("sqrt", [](const auto& in) { return in[0].sqrt(); }, {input({4}, 44, 5.0)});
  check_ad_modes("abs", [](const auto& in) { return in[0].abs(); }, {input({6}, 45)});
  check_ad_modes("tanh", [](const auto& in) { return in[0].tanh(); }, {input({6}, 46)});
  check_ad_modes("sigmoid", [](const auto& in) { return in[0].sigmoid(); }, {input({6}, 47)});
  check_ad_modes("relu", [](const auto& in) { return in[0].relu(); }, {input({6}, 48)});
  check_ad_modes("clamp", [](const auto& in) { return clamp(in[0], -0.5, 0.5); }, {input({6}, 49)});
  check_ad_modes("free functions", [](const auto& in) { return sin(in[0]) * cos(in[0]) + exp(in[0]) * tanh(in[0]); },
                 {input({2, 2}, 50)});
  check_ad_modes("free log sqrt abs", [](const auto& in) { return log(in[0]) + sqrt(in[0]) + abs(in[0] - 5.0); },
                 {input({3}, 51, 5.0)});
}

BOOST_AUTO_TEST_CASE(reductions) {
  check_ad_modes("sum", [](const auto& in) { return in[0].sum(); }, {input({2, 3}, 60)});
  check_ad_modes("sum dim 0", [](const auto& in) { return in[0].sum(0); }, {input({2, 3}, 61)});
  check_ad_modes("sum dim -1 keepdim", [](const auto& in) { return in[0].sum(-1, true); }, {input({2, 3, 2}, 62)});
  check_ad_modes("sum dim 1 of rank 3", [](const auto& in) { return in[0].sum(1) * in[0].sum(0).sum(0); },
                 {input({2, 3, 2}, 63)});
  check_ad_modes("mean", [](const auto& in) { return in[0].mean(); }, {input({2, 3}, 64)});
  check_ad_modes("mean dim 1", [](const auto& in) { return in[0].mean(1); }, {input({2, 3, 2}, 65)});
  check_ad_modes("mean dim -2 keepdim", [](const auto& in) { return in[0].mean(-2, true) * in[0]; },
                 {input({3, 2}, 66)});
  check_ad_modes("sum_to", [](const auto& in) { return in[0].sum_to({3}); }, {input({2, 3}, 67)});
  check_ad_modes("sum_to keeps ones", [](const auto& in) { return in[0].sum_to({2, 1}); }, {input({4, 2, 3}, 68)});
}

BOOST_AUTO_TEST_CASE(views_and_matmul) {
  check_ad_modes("unsqueeze", [](const auto& in) { return in[0].unsqueeze(0) * 2.0; }, {input({3}, 70)});
  check_ad_modes("unsqueeze -1 broadcast", [](const auto& in) { return in[0].unsqueeze(-1) * in[1]; },
                 {input({3}, 71), input({2}, 72)});
  check_ad_modes("squeeze", [](const auto& in) { return in[0].squeeze(1) * 2.0; }, {input({3, 1}, 73)});
  check_ad_modes("flatten", [](const auto& in) { return in[0].flatten(0, 1) * in[0].flatten(); }, {input({2, 3}, 74)});
  check_ad_modes("flatten middle", [](const auto& in) { return in[0].flatten(1, 2).sin(); }, {input({2, 2, 3}, 75)});
  check_ad_modes("reshape", [](const auto& in) { return in[0].reshape({3, -1}) * 3.0; }, {input({2, 3}, 76)});
  check_ad_modes("view", [](const auto& in) { return in[0].view({6}) * in[0].reshape({-1}); }, {input({3, 2}, 77)});
  check_ad_modes("clone", [](const auto& in) { return in[0].clone() * in[0]; }, {input({3}, 78)});
  check_ad_modes("matmul", [](const auto& in) { return in[0].matmul(in[1]); }, {input({2, 3}, 79), input({3, 4}, 80)});
  check_ad_modes("free matmul", [](const auto& in) { return matmul(in[0], in[0].t()); }, {input({2, 3}, 81)});
  check_ad_modes("t", [](const auto& in) { return in[0].t().matmul(in[0]); }, {input({3, 2}, 82)});
}

BOOST_AUTO_TEST_CASE(compositions) {
  // The tutorial's statement, with data tensors captured as constants.
  const T x = linspace<double>(-M_PI, M_PI, 40);
  const T y = sin(x);
  check_ad_modes("(a + b x + c x^2 + d x^3 - y)^2 sum",
                 [x, y](const auto& p) { return (p[0] + p[1] * x + p[2] * x.pow(2) + p[3] * x.pow(3) - y).pow(2).sum(); },
                 {input({}, 90), input({}, 91), input({}, 92), input({}, 93)});
  // A small two-layer network: linear, tanh, linear, mean squared error.
  const T target = input({4, 1}, 94);
  check_ad_modes("mlp mse",
                 [target](const auto& p) {
                   const auto h = (p[0].matmul(p[1]) + p[2]).tanh();
                   const auto out = h.matmul(p[3]);
                   return ((out - target) * (out - target)).mean();
                 },
                 {input({4, 3}, 95), input({3, 5}, 96), input({5}, 97), input({5, 1}, 98)});
  // Softmax-like normalisation over a dimension and a log-sum-exp.
  check_ad_modes("softmax dim 1", [](const auto& in) { const auto e = in[0].exp(); return e / e.sum(1, true); },
                 {input({2, 3}, 99)});
  check_ad_modes("logsumexp", [](const auto& in) { return in[0].exp().sum(-1).log(); }, {input({3, 4}, 100)});
}
