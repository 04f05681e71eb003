#define BOOST_TEST_MODULE ad_modes
#include <boost/test/unit_test.hpp>

#include <cmath>
#include <string>
#include <vector>

#include "eigrad/random.hpp"
#include "eigrad/tensor.hpp"
#include "support/ad_check.hpp"

// Compositions of tensor ops, three ways: forward mode (duals) = reverse mode (backward)
// = central finite differences, in float64; and second derivatives of sum(op^2) from nested
// duals against finite differences of reverse-mode gradients. Each op alone is checked the
// same way by the test table (test_ops_table.cpp).

using namespace eigrad;
using eigrad::test::check_ad_modes;
using T = Tensor<double>;

namespace {

/// Seeded standard-normal values of \p shape, plus \p shift.
T input(const Shape& shape, std::uint64_t seed, double shift = 0) { return test::seeded_normal(shape, seed, shift); }

}  // namespace

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
