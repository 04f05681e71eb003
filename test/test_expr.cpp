#define BOOST_TEST_MODULE expr
#include <boost/test/unit_test.hpp>

#include <boost/mpl/list.hpp>
#include <cmath>
#include <string>
#include <vector>

#include "eigrad/autograd/grad_mode.hpp"
#include "eigrad/expr/expr.hpp"
#include "eigrad/random.hpp"
#include "support/golden.hpp"
#include "support/pytorch_sums.hpp"

// Lazy expressions: tensor arithmetic builds them by default; one pass, one fused node per
// statement, and agreement with the eager ops (eigrad::detail::eager_*, one node per op).
// (Every fusible op of the test table is also checked fused against eager in test_ops_table.)

using namespace eigrad;
using expr::lazy;
using Dtypes = boost::mpl::list<float, double>;

namespace {

/// The tutorial's loss with one eager node per op (the library's form before fusion).
template <class U>
Tensor<U> eager_tutorial_loss(const Tensor<U>& a, const Tensor<U>& b, const Tensor<U>& c, const Tensor<U>& d,
                              const Tensor<U>& x, const Tensor<U>& y) {
  using eigrad::detail::eager_binary;
  using eigrad::detail::eager_pow;
  const auto add = [](const Tensor<U>& l, const Tensor<U>& r) { return eager_binary<U, ops::Add>(l, r); };
  const auto mul = [](const Tensor<U>& l, const Tensor<U>& r) { return eager_binary<U, ops::Mul>(l, r); };
  const Tensor<U> y_pred = add(add(add(a, mul(b, x)), mul(c, eager_pow(x, 2))), mul(d, eager_pow(x, 3)));
  return eager_pow(eager_binary<U, ops::Sub>(y_pred, y), 2).sum();
}

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
  const Tensor<U> eager = eager_tutorial_loss(a, b, c, d, x, y);
  BOOST_TEST(eager.grad_fn()->next().size() == 1u);  // SumBackward0 over the chain of nodes
  eager.backward();
  const U eager_grads[] = {a.grad().item(), b.grad().item(), c.grad().item(), d.grad().item()};
  for (Tensor<U>* w : {&a, &b, &c, &d}) w->grad() = {};

  // The tutorial's code as written: tensor arithmetic fuses by default.
  const Tensor<U> fused = (a + b * x + c * x.pow(2) + d * x.pow(3) - y).pow(2).sum();
  BOOST_TEST_REQUIRE(fused.grad_fn() != nullptr);
  BOOST_TEST(fused.grad_fn()->name() == "SumBackward0");
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

// The fused backward recomputes only the values a gradient reads (exp's, tanh's and
// sigmoid's outputs, products' and pow's operands, and what they are computed from) and
// passes g on where the gradient is g (sums, differences, + scalar): over three blocks and a
// short one, against one eager node per op, with leaves that want adjoints and leaves that do
// not, elementwise and one-element.
BOOST_AUTO_TEST_CASE_TEMPLATE(fused_backward_reads_the_values_its_gradients_need, U, Dtypes) {
  using eigrad::detail::eager_binary;
  using eigrad::detail::eager_pow;
  using eigrad::detail::eager_unary;
  const std::int64_t n = 3 * 128 + 45;
  const Tensor<U> x = linspace<U>(-1.5, 2.0, n);
  const Tensor<U> y = cos(x).detach();
  const auto make = [&](bool grad) {
    std::vector<Tensor<U>> w = {weight<U>(0.7), weight<U>(-0.4), weight<U>(1.3), weight<U>(0.25)};
    w.push_back(linspace<U>(0.5, 1.5, n).requires_grad_(grad));  // elementwise, wants grad when asked
    return w;
  };
  std::vector<Tensor<U>> we = make(true), wf = make(true);
  const auto add = [](const Tensor<U>& l, const Tensor<U>& r) { return eager_binary<U, ops::Add>(l, r); };
  const auto sub = [](const Tensor<U>& l, const Tensor<U>& r) { return eager_binary<U, ops::Sub>(l, r); };
  const auto mul = [](const Tensor<U>& l, const Tensor<U>& r) { return eager_binary<U, ops::Mul>(l, r); };
  const auto div = [](const Tensor<U>& l, const Tensor<U>& r) { return eager_binary<U, ops::Div>(l, r); };
  // a * exp(x) + tanh(b + v) * c - sqrt(x * x + 1) / d + (v * x).pow(3), then sigmoid, times y
  // (which wants no adjoint), plus 2: the last products and sums are read by no gradient.
  const Tensor<U> one = scalar_tensor<U>(1);
  const Tensor<U> inner_e =
      add(sub(add(mul(we[0], eager_unary(x, ops::Exp{})), mul(eager_unary(add(we[1], we[4]), ops::Tanh{}), we[2])),
              div(eager_unary(add(mul(x, x), one), ops::Sqrt{}), we[3])),
          eager_pow(mul(we[4], x), 3));
  const Tensor<U> eager =
      add(add(mul(eager_unary(inner_e, ops::Sigmoid{}), y), scalar_tensor<U>(2)), scalar_tensor<U>(U(0.5)));
  const Tensor<U> fused =
      (wf[0] * exp(x) + tanh(wf[1] + wf[4]) * wf[2] - sqrt(x * x + 1) / wf[3] + (wf[4] * x).pow(3)).sigmoid() * y + 2 +
      0.5;
  BOOST_TEST_REQUIRE(fused.grad_fn() != nullptr);
  BOOST_TEST(fused.grad_fn()->name() != "SigmoidBackward0");  // one node for the whole statement
  const std::vector<U> ev = eager.to_vector(), fv = fused.to_vector();
  for (std::int64_t i = 0; i < n; ++i) BOOST_TEST(close(fv[i], ev[i], 1.0), "value " << i);
  // An incoming gradient that differs per element, so every block's adjoints differ.
  const Tensor<U> g = linspace<U>(-1, 1, n);
  (eager * g).sum().backward();
  (fused * g).sum().backward();
  for (std::size_t k = 0; k < we.size(); ++k) {
    const std::vector<U> ge = we[k].grad().to_vector(), gf = wf[k].grad().to_vector();
    BOOST_TEST_REQUIRE(ge.size() == gf.size());
    for (std::size_t i = 0; i < ge.size(); ++i)
      BOOST_TEST(close(gf[i], ge[i], 1.0), "leaf " << k << " [" << i << "]: " << gf[i] << " fused, " << ge[i] << " eager");
  }
}

// A statement of at most 16 elements with nothing to record runs straight from its tape, not
// through a program: elements, sums (PyTorch's order, -0 kept), means, in-place updates that
// read their target, one-element operands broadcast: the same bits as the program's pass.
BOOST_AUTO_TEST_CASE_TEMPLATE(small_statements_without_grad_match_the_program, U, Dtypes) {
  for (const std::int64_t n : {1, 3, 16, 17}) {
    BOOST_TEST_CONTEXT("n = " << n) {
      Tensor<U> x = linspace<U>(-2, 3, n).requires_grad_(true);
      const Tensor<U> w = scalar_tensor<U>(U(-0.75));
      const auto statement = [&] { return (x * w + 1).pow(3) / (x.exp() + 2) - x.clamp(-1, 1) * 0.5; };
      const Tensor<U> program = statement(), program_sum = statement().sum(), program_mean = statement().mean();
      BOOST_TEST_REQUIRE(program.grad_fn() != nullptr);  // recorded: the program's pass
      NoGradGuard no_grad;
      const Tensor<U> small = statement(), small_sum = statement().sum(), small_mean = statement().mean();
      BOOST_TEST(small.grad_fn() == nullptr);
      BOOST_TEST(small.to_vector() == program.to_vector(), boost::test_tools::per_element());
      BOOST_TEST(small_sum.item() == program_sum.item());
      BOOST_TEST(small_mean.item() == program_mean.item());
      // An in-place update reads every element before it writes: x -= 0.1 * x * w.
      Tensor<U> y = x.detach().clone();
      const std::vector<U> before = y.to_vector();
      y -= 0.1 * y * w;
      for (std::int64_t i = 0; i < n; ++i)
        BOOST_TEST(y.to_vector()[static_cast<std::size_t>(i)] ==
                   before[static_cast<std::size_t>(i)] - U(0.1) * before[static_cast<std::size_t>(i)] * U(-0.75));
    }
  }
  // A sum of one -0 is +0, as PyTorch's sum and the program's give it.
  const Tensor<U> negative_zero = scalar_tensor<U>(-U(0), TensorOptions().requires_grad(true));
  BOOST_TEST(!std::signbit((negative_zero * 1).sum().item()));
  NoGradGuard no_grad;
  BOOST_TEST(!std::signbit((negative_zero * 1).sum().item()));
  BOOST_TEST(std::signbit((negative_zero * 1).item()));
}

BOOST_AUTO_TEST_CASE(expression_outlives_its_statement) {
  // Operands are held by handle: the temporaries of the statement may go.
  auto e = lazy(from_vector<double>({1, 2, 3}, {3})) * 2.0 + lazy(full<double>({3}, 0.5));
  const Tensor<double> t = e;
  BOOST_TEST(t.to_vector() == (std::vector<double>{2.5, 4.5, 6.5}), boost::test_tools::per_element());
  BOOST_TEST(e.sum().item() == 13.5);
}

BOOST_AUTO_TEST_CASE(expression_kept_with_auto_is_valid_after_its_statement) {
  // The sample's `auto e = a + b * x;`: the operands' handles live in e (checked under ASan).
  Tensor<double> a = weight<double>(0.5), b = weight<double>(2.0);
  auto e = a + b * from_vector<double>({1, 2, 3}, {3});
  static_assert(expr::is_expr_v<decltype(e)>, "tensor arithmetic is lazy");
  BOOST_TEST(e.shape() == Shape{3});
  const Tensor<double> loss = (e * e).sum();  // e is not evaluated: one node for the two statements
  BOOST_TEST(loss.grad_fn()->next().size() == 6u);  // a, b, x twice: each occurrence is an input
  BOOST_TEST(loss.item() == 2.5 * 2.5 + 4.5 * 4.5 + 6.5 * 6.5);
  loss.backward();
  BOOST_TEST(a.grad().item() == 2 * (2.5 + 4.5 + 6.5));
  BOOST_TEST(b.grad().item() == 2 * (2.5 * 1 + 4.5 * 2 + 6.5 * 3));
  // Used as a tensor, e is evaluated once and keeps its result and its node.
  BOOST_TEST(e.to_vector() == (std::vector<double>{2.5, 4.5, 6.5}), boost::test_tools::per_element());
  const auto* node = e.grad_fn().get();
  BOOST_TEST(node != nullptr);
  BOOST_TEST(e.grad_fn().get() == node);
  BOOST_TEST(node->name() == "AddBackward0");
}

BOOST_AUTO_TEST_CASE(evaluated_subexpression_is_a_leaf_of_the_next_statement) {
  Tensor<double> x = from_vector<double>({1, 2}, {2}).requires_grad_(true);
  auto h = x * 2.0;
  h.retain_grad();  // evaluates h
  const Tensor<double> y = (h * h + h).sum();
  BOOST_TEST(y.grad_fn()->next().size() == 3u);
  y.backward();
  BOOST_TEST(h.grad().to_vector() == (std::vector<double>{5, 9}), boost::test_tools::per_element());
  BOOST_TEST(x.grad().to_vector() == (std::vector<double>{10, 18}), boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(broadcasts_one_loop_cannot_take_run_the_eager_op) {
  Tensor<double> m = from_vector<double>({1, 2, 3, 4, 5, 6}, {2, 3}).requires_grad_(true);
  Tensor<double> v = from_vector<double>({10, 20, 30}, {3}).requires_grad_(true);
  auto sum = m + v;  // [2, 3] + [3]: the eager AddBackward0, a leaf of what follows
  BOOST_TEST(sum.evaluated());
  const Tensor<double> loss = (sum * 2.0).sum();
  BOOST_TEST(loss.grad_fn()->next().size() == 1u);
  BOOST_TEST(loss.grad_fn()->next()[0]->name() == "AddBackward0");
  BOOST_TEST(loss.item() == 2 * (21 + 2 * 60));
  loss.backward();
  BOOST_TEST(v.grad().to_vector() == (std::vector<double>{4, 4, 4}), boost::test_tools::per_element());
  BOOST_TEST(m.grad().to_vector() == std::vector<double>(6, 2.0), boost::test_tools::per_element());
  const Tensor<double> w = zeros<double>({4});
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
  BOOST_TEST(y.grad_fn()->name() == "SubBackward0");  // the statement's last op
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

BOOST_AUTO_TEST_CASE(saved_leaf_given_other_data_is_refused_and_one_that_reads_none_is_not) {
  // The node keeps a leaf without a producer by handle: new data from set_data must not
  // enter the gradients unseen.
  Tensor<double> x = from_vector<double>({1, 2}, {2}).requires_grad_(true);
  const Tensor<double> y = (x * x).sum();
  x.set_data(from_vector<double>({5, 6}, {2}));
  try {
    y.backward();
    BOOST_ERROR("backward used the replaced data");
  } catch (const AutogradError& e) {
    const std::string message = e.what();
    BOOST_TEST(message.find("set_data") != std::string::npos, message);
    BOOST_TEST(message.find("[2]") != std::string::npos, message);
  }
  // A leaf used three times is kept once; its gradient sums the three uses.
  const Tensor<double> w = from_vector<double>({1, 2}, {2}).requires_grad_(true);
  (w * 2.0 + w * w + w.pow(3)).sum().backward();
  BOOST_TEST(w.grad().to_vector() == (std::vector<double>{2 + 2 + 3, 2 + 4 + 12}));
}

namespace {
/// The CPU sums of a contiguous run give PyTorch's bits: the eager sum(), a row of sum(dim) and
/// a fused statement's sum. (A one-element leaf's adjoint keeps element order: doc/design.md, "Order of the sums".)
template <class U, std::size_t Count>
void check_sums_in_pytorch_order(const test::PytorchSum (&table)[Count]) {
  for (const test::PytorchSum& entry : table) {
    const std::int64_t n = entry.n;
    std::vector<U> values(static_cast<std::size_t>(n));
    for (std::int64_t i = 0; i < n; ++i) values[static_cast<std::size_t>(i)] = test::pytorch_sum_value<U>(i);
    const U want = static_cast<U>(entry.sum);
    const Tensor<U> x = from_vector<U>(values, {n});
    BOOST_TEST(x.sum().item() == want, "eager sum of " << n);
    if (n > 0) BOOST_TEST(x.reshape({1, n}).sum(1).item() == want, "sum(1) of [1, " << n << "]");
    const Tensor<U> a = weight<U>(1.0);
    BOOST_TEST((lazy(a) * x).sum().item() == want, "fused sum of " << n);
  }
}
}  // namespace

BOOST_AUTO_TEST_CASE(sums_add_in_pytorchs_order) {
  check_sums_in_pytorch_order<float>(test::kPytorchFloatSums);
  check_sums_in_pytorch_order<double>(test::kPytorchDoubleSums);
}

BOOST_AUTO_TEST_CASE_TEMPLATE(one_element_leaf_adjoints_add_in_element_order, U, Dtypes) {
  // Five one-element leaves (the adjoint sums run four at a time, then one) over lengths
  // around the chunk (128) and run (4096) sizes: each adjoint is its elements summed in order
  // within runs of 4096 and the runs in double, bit for bit.
  for (const std::int64_t n : {1, 31, 128, 129, 4096, 4097, 10000, 100003}) {
    std::vector<U> values(static_cast<std::size_t>(n));
    U acc = -U(0);
    double runs = -0.0;
    for (std::int64_t i = 0; i < n; ++i) {
      values[static_cast<std::size_t>(i)] = test::pytorch_sum_value<U>(i);
      if (i > 0 && i % 4096 == 0) {
        runs += static_cast<double>(acc);
        acc = -U(0);
      }
      acc += values[static_cast<std::size_t>(i)];
    }
    const U want = static_cast<U>(runs + static_cast<double>(acc));
    const Tensor<U> x = from_vector<U>(values, {n});
    const Tensor<U> a = weight<U>(1), b = weight<U>(2), c = weight<U>(3), d = weight<U>(4), e = weight<U>(5);
    (lazy(a) * x + lazy(b) * x + lazy(c) * x + lazy(d) * x + lazy(e) * x).sum().backward();
    for (const Tensor<U>* w : {&a, &b, &c, &d, &e})
      BOOST_TEST(w->grad().item() == want, "n = " << n << ": " << w->grad().item() << " vs " << want);
  }
}

BOOST_AUTO_TEST_CASE(float_sums_of_millions_of_terms_keep_their_accuracy) {
  // The forward sum, in PyTorch's order, cascades its partial sums over four levels: a float
  // sum of 2^22 terms of 0.1f stays within 1e-6. A one-element leaf's adjoint adds runs of 4096
  // in element order and the runs in double: within 4e-5. One running sum over the whole
  // length is 4e-2 off.
  constexpr std::int64_t n = std::int64_t{1} << 22;
  const Tensor<float> x = full<float>({n}, 0.1f);
  const Tensor<float> a = scalar_tensor<float>(1.0f, TensorOptions().requires_grad(true));
  const double exact = static_cast<double>(n) * static_cast<double>(0.1f);
  const Tensor<float> s = (a * x).sum();
  BOOST_TEST(std::abs(s.item() - exact) / exact < 1e-6);
  s.backward();
  BOOST_TEST(std::abs(a.grad().item() - exact) / exact < 1e-4);
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
