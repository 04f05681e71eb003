#define BOOST_TEST_MODULE expr
#include <boost/test/unit_test.hpp>

#include <boost/mpl/list.hpp>
#include <cmath>
#include <string>

#include "eigrad/autograd/grad_mode.hpp"
#include "eigrad/expr/expr.hpp"
#include "eigrad/random.hpp"
#include "support/golden.hpp"

// Lazy expressions: one pass, one fused node per statement, and agreement with the eager ops.
// (Every fusible op of the test table is also checked fused against eager in test_ops_table.)

using namespace eigrad;
using expr::lazy;
using Dtypes = boost::mpl::list<float, double>;

namespace {

template <class U>
Tensor<U> weight(double v) {
  return scalar_tensor<U>(static_cast<U>(v), TensorOptions().requires_grad(true));
}

/// |got - want| within a few ulps of the magnitudes involved.
template <class U>
bool close(U got, U want, double scale) {
  const double eps = std::is_same_v<U, float> ? 1e-5 : 1e-12;
  return std::abs(static_cast<double>(got) - static_cast<double>(want)) <= eps * (std::abs(want) + scale);
}

bool message_has(const std::exception& e, const std::string& part) {
  const bool found = std::string(e.what()).find(part) != std::string::npos;
  if (!found) BOOST_TEST_MESSAGE("message was: " << e.what());
  return found;
}

}  // namespace

BOOST_AUTO_TEST_CASE_TEMPLATE(tutorial_statement_is_one_node_and_matches_eager, U, Dtypes) {
  const Tensor<U> x = linspace<U>(-M_PI, M_PI, 2000);
  const Tensor<U> y = sin(x);
  Tensor<U> a = weight<U>(0.3), b = weight<U>(-0.2), c = weight<U>(0.1), d = weight<U>(0.05);
  const Tensor<U> eager = (a + b * x + c * x.pow(2) + d * x.pow(3) - y).pow(2).sum();
  eager.backward();
  const U eager_grads[] = {a.grad().item(), b.grad().item(), c.grad().item(), d.grad().item()};
  for (Tensor<U>* w : {&a, &b, &c, &d}) w->grad() = {};

  const Tensor<U> fused =
      (lazy(a) + lazy(b) * x + lazy(c) * lazy(x).pow(2) + lazy(d) * lazy(x).pow(3) - y).pow(2).sum();
  BOOST_TEST_REQUIRE(fused.grad_fn() != nullptr);
  BOOST_TEST(fused.grad_fn()->name() == "FusedSumBackward");
  // One node whose edges lead straight to the leaves' accumulators: a, b, x, c, x, d, x, y.
  BOOST_TEST(fused.grad_fn()->next().size() == 8u);
  for (const auto& edge : fused.grad_fn()->next())
    if (edge) BOOST_TEST(edge->name() == "AccumulateGrad");
  BOOST_TEST(close(fused.item(), eager.item(), 0.0), fused.item() << " fused, " << eager.item() << " eager");
  fused.backward();
  int k = 0;
  for (Tensor<U>* w : {&a, &b, &c, &d}) {
    BOOST_TEST_REQUIRE(w->grad().defined());
    BOOST_TEST(w->grad().shape() == Shape{});
    // The adjoints of the 0-d leaves are summed in the backward loop in element order, as
    // the eager sum_to does: the same value.
    BOOST_TEST(close(w->grad().item(), eager_grads[k], 0.0), "weight " << k << ": " << w->grad().item() << " fused, "
                                                                          << eager_grads[k] << " eager");
    ++k;
  }
}

BOOST_AUTO_TEST_CASE(expression_outlives_its_statement) {
  // Operands are held by handle: the temporaries of the statement may go.
  auto e = lazy(from_vector<double>({1, 2, 3}, {3})) * 2.0 + lazy(full<double>({3}, 0.5));
  const Tensor<double> t = e;
  BOOST_TEST(t.to_vector() == (std::vector<double>{2.5, 4.5, 6.5}), boost::test_tools::per_element());
  BOOST_TEST(e.sum().item() == 13.5);
}

BOOST_AUTO_TEST_CASE(shape_errors_are_thrown_when_the_expression_is_built) {
  const Tensor<double> m = zeros<double>({2, 3}), v = zeros<double>({3}), w = zeros<double>({4});
  BOOST_CHECK_EXCEPTION(lazy(m) + v, ShapeError, [](const ShapeError& e) {
    return message_has(e, "[2, 3]") && message_has(e, "[3]") && message_has(e, "one-element operands");
  });
  BOOST_CHECK_EXCEPTION(lazy(v) * w, ShapeError,
                        [](const ShapeError& e) { return message_has(e, "[3]") && message_has(e, "[4]"); });
}

BOOST_AUTO_TEST_CASE(no_node_without_grad) {
  Tensor<double> a = weight<double>(2.0);
  const Tensor<double> x = from_vector<double>({1, 2}, {2});
  {
    NoGradGuard no_grad;
    const Tensor<double> y = lazy(a) * x;
    BOOST_TEST(y.grad_fn() == nullptr);
    BOOST_TEST(!y.requires_grad());
  }
  const Tensor<double> z = (lazy(x) + 1.0).exp();
  BOOST_TEST(z.grad_fn() == nullptr);
}

BOOST_AUTO_TEST_CASE(elementwise_result_back_propagates_per_element) {
  Tensor<double> x = from_vector<double>({0.5, 1.5, -2.0}, {3}).requires_grad_(true);
  Tensor<double> s = weight<double>(3.0);
  const Tensor<double> y = lazy(x).sin() * s - 1.0 / lazy(x);  // d/dx: s cos x + 1/x², d/ds: sum sin x
  BOOST_TEST(y.grad_fn()->name() == "FusedBackward");
  y.backward(from_vector<double>({1, 2, 3}, {3}));
  const std::vector<double> gx = x.grad().to_vector();
  const double xs[] = {0.5, 1.5, -2.0}, g[] = {1, 2, 3};
  double gs = 0;
  for (int i = 0; i < 3; ++i) {
    BOOST_TEST(gx[i] == g[i] * (3.0 * std::cos(xs[i]) + 1 / (xs[i] * xs[i])), boost::test_tools::tolerance(1e-14));
    gs += g[i] * std::sin(xs[i]);
  }
  BOOST_TEST(s.grad().item() == gs, boost::test_tools::tolerance(1e-14));
}

BOOST_AUTO_TEST_CASE(saved_leaf_modified_in_place_is_refused) {
  Tensor<double> x = from_vector<double>({1, 2}, {2}).requires_grad_(true);
  Tensor<double> data = from_vector<double>({3, 4}, {2});
  const Tensor<double> y = (lazy(x) * data).sum();
  data += 1.0;
  BOOST_CHECK_THROW(y.backward(), AutogradError);
}

BOOST_AUTO_TEST_CASE(tutorial_stage03_trained_fused_matches_pytorch) {
  // The stage-03 loop of samples/03_autograd.cpp with its statement fused, from the golden
  // file's starting weights: every traced loss within 1e-4 relative and the final weights
  // within 1e-4 of PyTorch 1.13's (the golden rule of doc/design.md).
  const test::Golden golden = test::load_golden("03_autograd.json");
  BOOST_TEST_REQUIRE(golden.dtype == "float32");
  const Tensor<float> x = linspace<float>(-M_PI, M_PI, golden.n);
  const Tensor<float> y = sin(x);
  auto start = [&](const char* key) {
    return scalar_tensor<float>(static_cast<float>(golden.init.at(key).at(0)), TensorOptions().requires_grad(true));
  };
  Tensor<float> a = start("a"), b = start("b"), c = start("c"), d = start("d");
  std::size_t traced = 0;
  for (std::int64_t t = 0; t < golden.iterations; ++t) {
    const Tensor<float> loss =
        (lazy(a) + lazy(b) * x + lazy(c) * lazy(x).pow(2) + lazy(d) * lazy(x).pow(3) - y).pow(2).sum();
    for (const auto& line : golden.trace)
      if (line.t == t) {
        BOOST_TEST(std::abs(loss.item() - line.loss) <= 1e-4 * std::abs(line.loss), "step " << t << ": loss "
                                                                                       << loss.item() << ", PyTorch "
                                                                                       << line.loss);
        ++traced;
      }
    loss.backward();
    NoGradGuard no_grad;
    for (Tensor<float>* w : {&a, &b, &c, &d}) {
      *w -= golden.lr * w->grad();
      w->grad() = {};
    }
  }
  BOOST_TEST(traced == golden.trace.size());
  const std::pair<const char*, const Tensor<float>*> weights[] = {{"a", &a}, {"b", &b}, {"c", &c}, {"d", &d}};
  for (const auto& [key, w] : weights)
    BOOST_TEST(std::abs(w->item() - golden.result.at(key).at(0)) <= 1e-4, key << ": " << w->item() << ", PyTorch "
                                                                                << golden.result.at(key).at(0));
}
