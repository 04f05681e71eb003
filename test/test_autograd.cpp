#define BOOST_TEST_MODULE autograd
#include <boost/test/unit_test.hpp>

#include <cmath>
#include <string>
#include <thread>

#include "eigrad/eigrad.hpp"

using namespace eigrad;
using autograd::gradcheck;
using T = Tensor<double>;

namespace {

/// A leaf of \p shape with seeded normal values that requires grad.
T leaf(const Shape& shape, std::uint64_t seed, double shift = 0) {
  manual_seed(seed);
  T t = randn<double>(shape);
  if (shift != 0) t += shift;
  return t.requires_grad_(true);
}

/// One-line gradient check of an op (Stan's expect_ad style): reverse mode against central
/// differences in float64, reporting the worst entry on failure.
void expect_grad(const std::string& name, const autograd::DifferentiableFunction& f, const std::vector<T>& inputs,
                 autograd::GradcheckOptions options = {}) {
  const auto r = gradcheck(f, inputs, options);
  BOOST_TEST(r.ok, name << ": " << r.message);
}

bool message_has(const std::exception& e, const std::string& part) {
  const bool found = std::string(e.what()).find(part) != std::string::npos;
  if (!found) BOOST_TEST_MESSAGE("message was: " << e.what());
  return found;
}

}  // namespace

// ------------------------------------------------------------------ graph semantics
BOOST_AUTO_TEST_CASE(backward_fills_leaf_gradients) {
  T a = scalar_tensor<double>(2.0, TensorOptions().requires_grad(true));
  T b = scalar_tensor<double>(3.0, TensorOptions().requires_grad(true));
  T y = a * b + a.pow(2);  // dy/da = b + 2a = 7, dy/db = a = 2
  BOOST_TEST(!y.is_leaf());
  BOOST_TEST(a.is_leaf());
  BOOST_TEST(y.grad_fn()->name() == "AddBackward0");
  y.backward();
  BOOST_TEST(a.grad().item() == 7.0);
  BOOST_TEST(b.grad().item() == 2.0);
}

BOOST_AUTO_TEST_CASE(backward_from_a_leaf_gives_it_gradient_one) {
  T a = scalar_tensor<double>(4.0, TensorOptions().requires_grad(true));
  a.backward();
  a.backward();
  BOOST_TEST(a.grad().item() == 2.0);
}

BOOST_AUTO_TEST_CASE(gradients_accumulate_until_reset) {
  T a = scalar_tensor<double>(1.5, TensorOptions().requires_grad(true));
  (a * 2.0).backward();
  (a * 3.0).backward();
  BOOST_TEST(a.grad().item() == 5.0);
  a.grad().zero_();
  BOOST_TEST(a.grad().item() == 0.0);
  (a * 4.0).backward();
  BOOST_TEST(a.grad().item() == 4.0);
  a.grad() = {};  // as p.grad = None
  BOOST_TEST(!a.grad().defined());
  (a * 5.0).backward();
  BOOST_TEST(a.grad().item() == 5.0);
  a.set_grad({});
  BOOST_TEST(!a.grad().defined());
}

BOOST_AUTO_TEST_CASE(weight_sharing_and_control_flow) {
  T e = scalar_tensor<double>(0.5, TensorOptions().requires_grad(true));
  T x = Tensor<double>{1.0, 2.0, 3.0};
  T y = zeros<double>({3});
  // The same weight used a data-dependent number of times: gradients add up.
  for (int exp = 4; exp < 6; ++exp) y = y + e * x.pow(exp);
  y.sum().backward();
  double expected = 0;
  for (double v : {1.0, 2.0, 3.0}) expected += std::pow(v, 4) + std::pow(v, 5);
  BOOST_TEST(e.grad().item() == expected, boost::test_tools::tolerance(1e-12));
}

BOOST_AUTO_TEST_CASE(broadcast_gradients_sum_back_to_operand_shape) {
  T a = leaf({3}, 1);
  T b = leaf({2, 1}, 2);
  T s = leaf({}, 3);
  T y = (a * b + s).sum();
  y.backward();
  BOOST_TEST(a.grad().shape() == Shape({3}));
  BOOST_TEST(b.grad().shape() == Shape({2, 1}));
  BOOST_TEST(s.grad().shape() == Shape{});
  BOOST_TEST(s.grad().item() == 6.0);
  const double sum_b = b.data()[0] + b.data()[1];
  for (int i = 0; i < 3; ++i) BOOST_TEST(a.grad().data()[i] == sum_b, boost::test_tools::tolerance(1e-12));
}

BOOST_AUTO_TEST_CASE(no_grad_guard_is_nestable_and_thread_local) {
  T a = scalar_tensor<double>(1.0, TensorOptions().requires_grad(true));
  {
    NoGradGuard outer;
    {
      NoGradGuard inner;
      BOOST_TEST(!GradMode::is_enabled());
    }
    BOOST_TEST(!GradMode::is_enabled());
    T y = a * 2.0;
    BOOST_TEST(!y.requires_grad());
    {
      EnableGradGuard enable;
      BOOST_TEST((a * 2.0).requires_grad());
    }
    a -= 0.5;  // allowed: not recorded
  }
  BOOST_TEST(GradMode::is_enabled());
  BOOST_TEST(a.item() == 0.5);
  bool other_thread_enabled = false;
  {
    NoGradGuard off;
    std::thread th([&] { other_thread_enabled = GradMode::is_enabled(); });
    th.join();
  }
  BOOST_TEST(other_thread_enabled);
}

BOOST_AUTO_TEST_CASE(in_place_on_leaf_requiring_grad_throws_outside_no_grad) {
  T a = scalar_tensor<double>(1.0, TensorOptions().requires_grad(true));
  BOOST_CHECK_EXCEPTION(a -= 1.0, AutogradError, [](const AutogradError& e) { return message_has(e, "leaf"); });
  BOOST_CHECK_EXCEPTION(a.zero_(), AutogradError, [](const AutogradError& e) { return message_has(e, "NoGradGuard"); });
  BOOST_TEST(a.item() == 1.0);  // state untouched
  T y = a * 2.0;
  BOOST_CHECK_THROW(y += 1.0, AutogradError);
}

BOOST_AUTO_TEST_CASE(detach_and_retain_grad) {
  T a = scalar_tensor<double>(3.0, TensorOptions().requires_grad(true));
  T h = a * a;
  h.retain_grad();
  BOOST_TEST(h.retains_grad());
  T d = h.detach();
  BOOST_TEST(!d.requires_grad());
  BOOST_TEST(d.data() == h.data());
  T y = h * 2.0 + d;  // d contributes nothing to the gradient
  y.backward();
  BOOST_TEST(h.grad().item() == 2.0);
  BOOST_TEST(a.grad().item() == 12.0);
  T plain = scalar_tensor<double>(1.0);
  BOOST_CHECK_EXCEPTION(plain.retain_grad(), AutogradError,
                        [](const AutogradError& e) { return message_has(e, "does not require grad"); });
}

BOOST_AUTO_TEST_CASE(requires_grad_flags) {
  T a = zeros<double>({2});
  BOOST_TEST(!a.requires_grad());
  a.requires_grad_();
  BOOST_TEST(a.requires_grad());
  T y = a * 2.0;
  BOOST_TEST(y.requires_grad());
  BOOST_CHECK_THROW(y.requires_grad_(false), AutogradError);
  T z = zeros<double>({2}) * 2.0;
  BOOST_TEST(!z.requires_grad());
  BOOST_TEST(!z.grad_fn());
}

// ------------------------------------------------------------------ errors
BOOST_AUTO_TEST_CASE(second_backward_without_retain_graph_throws) {
  T a = leaf({3}, 4);
  T loss = (a * a).sum();
  loss.backward();
  BOOST_CHECK_EXCEPTION(loss.backward(), AutogradError, [](const AutogradError& e) {
    return message_has(e, "second time") && message_has(e, "retain_graph");
  });
}

BOOST_AUTO_TEST_CASE(retain_graph_allows_second_backward) {
  T a = leaf({3}, 5);
  T loss = (a * a).sum();
  loss.backward({}, /*retain_graph=*/true);
  const auto first = a.grad().to_vector();
  loss.backward();
  for (int i = 0; i < 3; ++i) BOOST_TEST(a.grad().data()[i] == 2 * first[i]);
}

BOOST_AUTO_TEST_CASE(backward_on_non_scalar_needs_gradient) {
  T a = leaf({2, 3}, 6);
  T y = a * 2.0;
  BOOST_CHECK_EXCEPTION(y.backward(), AutogradError, [](const AutogradError& e) {
    return message_has(e, "scalar") && message_has(e, "[2, 3]");
  });
  y.backward(ones<double>({2, 3}));
  BOOST_TEST(a.grad().sum().item() == 12.0);
  T wrong = ones<double>({3});
  BOOST_CHECK_EXCEPTION(y.backward(wrong), ShapeError, [](const ShapeError& e) {
    return message_has(e, "[3]") && message_has(e, "[2, 3]");
  });
}

BOOST_AUTO_TEST_CASE(backward_on_tensor_without_grad_throws) {
  T a = ones<double>({2});
  BOOST_CHECK_EXCEPTION(a.sum().backward(), AutogradError,
                        [](const AutogradError& e) { return message_has(e, "does not require grad"); });
}

BOOST_AUTO_TEST_CASE(saved_tensor_modified_in_place_is_refused) {
  T a = leaf({3}, 15);
  T y = (a * a).sum();  // MulBackward0 saves a
  {
    NoGradGuard no_grad;
    a += 1.0;  // changes what backward would read
  }
  BOOST_CHECK_EXCEPTION(y.backward(), AutogradError, [](const AutogradError& e) {
    return message_has(e, "modified in place") && message_has(e, "MulBackward0") && message_has(e, "[3]");
  });
  // Views share the counter: changing the data through a view counts too.
  T b = leaf({2, 2}, 16);
  T z = b.exp().sum();  // ExpBackward0 saves b and its output
  T view = b.detach().reshape({4});
  BOOST_TEST(view.version() == b.version());
  view.mark_modified();
  BOOST_TEST(b.version() == view.version());
  BOOST_CHECK_THROW(z.backward(), AutogradError);
  // Unchanged saved tensors pass, and in-place changes after backward are fine.
  T c = leaf({2}, 17);
  T w = (c * c).sum();
  w.backward();
  NoGradGuard no_grad;
  c -= 0.1 * c.grad();
  BOOST_TEST(c.grad().defined());
}

// ------------------------------------------------------------------ custom functions
namespace {

struct Cube : autograd::Function<Cube> {
  template <class U>
  static Tensor<U> forward(autograd::AutogradContext<U>& ctx, const Tensor<U>& x, double scale) {
    ctx.save_for_backward({x});
    ctx.saved_data["scale"] = scale;
    return scale * x.pow(3);
  }
  template <class U>
  static std::vector<Tensor<U>> backward(autograd::AutogradContext<U>& ctx, const std::vector<Tensor<U>>& g) {
    const double scale = std::any_cast<double>(ctx.saved_data.at("scale"));
    return {g[0] * (3 * scale) * ctx.get_saved_variables()[0].pow(2)};
  }
};

struct MulAdd : autograd::Function<MulAdd> {  // x * y + y, two tensor inputs, broadcasting
  template <class U>
  static Tensor<U> forward(autograd::AutogradContext<U>& ctx, const Tensor<U>& x, const Tensor<U>& y) {
    ctx.save_for_backward({x, y});
    return x * y + y;
  }
  template <class U>
  static std::vector<Tensor<U>> backward(autograd::AutogradContext<U>& ctx, const std::vector<Tensor<U>>& g) {
    const auto& s = ctx.get_saved_variables();
    Tensor<U> gx, gy;
    if (ctx.needs_input_grad(0)) gx = (g[0] * s[1]).sum_to(s[0].shape());
    if (ctx.needs_input_grad(1)) gy = (g[0] * (s[0] + 1.0)).sum_to(s[1].shape());
    return {gx, gy};
  }
};

struct WrongCount : autograd::Function<WrongCount> {
  template <class U>
  static Tensor<U> forward(autograd::AutogradContext<U>&, const Tensor<U>& x) { return x * 2.0; }
  template <class U>
  static std::vector<Tensor<U>> backward(autograd::AutogradContext<U>&, const std::vector<Tensor<U>>& g) {
    return {g[0], g[0]};
  }
};

struct Identity : autograd::Function<Identity> {  // returns its input as it is
  template <class U>
  static Tensor<U> forward(autograd::AutogradContext<U>&, const Tensor<U>& x) { return x; }
  template <class U>
  static std::vector<Tensor<U>> backward(autograd::AutogradContext<U>&, const std::vector<Tensor<U>>& g) {
    return {g[0]};
  }
};

}  // namespace

BOOST_AUTO_TEST_CASE(custom_function_records_one_node) {
  T x = leaf({4}, 7);
  T y = Cube::apply(x, 0.5);
  BOOST_TEST(y.grad_fn() != nullptr);
  BOOST_TEST(y.grad_fn()->name().find("Cube") != std::string::npos);
  BOOST_TEST(y.grad_fn()->next().size() == 1u);
  y.sum().backward();
  for (int i = 0; i < 4; ++i)
    BOOST_TEST(x.grad().data()[i] == 1.5 * x.data()[i] * x.data()[i], boost::test_tools::tolerance(1e-12));
  BOOST_CHECK_THROW(y.sum().backward(), AutogradError);  // saved input freed
}

BOOST_AUTO_TEST_CASE(custom_function_without_grad_records_nothing) {
  T x = Tensor<double>{1.0, 2.0};
  T y = Cube::apply(x, 1.0);
  BOOST_TEST(!y.requires_grad());
  BOOST_TEST(y.data()[1] == 8.0);
}

BOOST_AUTO_TEST_CASE(custom_function_gradchecks) {
  expect_grad("Cube", [](const std::vector<T>& in) { return Cube::apply(in[0], 0.7); }, {leaf({5}, 8)});
  expect_grad("MulAdd broadcast", [](const std::vector<T>& in) { return MulAdd::apply(in[0], in[1]); },
              {leaf({2, 3}, 9), leaf({3}, 10)});
  expect_grad("Identity", [](const std::vector<T>& in) { return Identity::apply(in[0]) * 3.0; }, {leaf({3}, 11)});
}

BOOST_AUTO_TEST_CASE(custom_function_backward_arity_is_checked) {
  T x = leaf({2}, 12);
  BOOST_CHECK_EXCEPTION(WrongCount::apply(x).sum().backward(), AutogradError,
                        [](const AutogradError& e) { return message_has(e, "returned 2 gradients, expected 1"); });
}

BOOST_AUTO_TEST_CASE(custom_function_returning_its_input_keeps_the_leaf_a_leaf) {
  T x = leaf({2}, 13);
  T y = Identity::apply(x);
  BOOST_TEST(x.is_leaf());
  BOOST_TEST(!y.is_leaf());
  (y * 2.0).sum().backward();
  BOOST_TEST(x.grad().data()[0] == 2.0);
}

// ------------------------------------------------------------------ gradcheck of every op
BOOST_AUTO_TEST_CASE(gradcheck_reports_the_worst_entry_on_a_wrong_gradient) {
  struct BadSquare : autograd::Function<BadSquare> {
    static T forward(autograd::AutogradContext<double>& ctx, const T& x) {
      ctx.save_for_backward({x});
      return x * x;
    }
    static std::vector<T> backward(autograd::AutogradContext<double>& ctx, const std::vector<T>& g) {
      return {g[0] * 3.0 * ctx.get_saved_variables()[0]};  // should be 2x
    }
  };
  const auto r = gradcheck([](const std::vector<T>& in) { return BadSquare::apply(in[0]); }, {leaf({3}, 14, 2.0)});
  BOOST_TEST(!r.ok);
  BOOST_TEST(r.message.find("FAILED") != std::string::npos);
  BOOST_TEST(std::abs(r.analytical - 1.5 * r.numerical) < 1e-4);
}

using F = std::vector<T>;
BOOST_AUTO_TEST_CASE(gradcheck_elementwise_binary_with_broadcasting) {
  expect_grad("add", [](const F& in) { return in[0] + in[1]; }, {leaf({2, 3}, 20), leaf({3}, 21)});
  expect_grad("sub", [](const F& in) { return in[0] - in[1]; }, {leaf({2, 1}, 22), leaf({1, 3}, 23)});
  expect_grad("mul", [](const F& in) { return in[0] * in[1]; }, {leaf({2, 3}, 24), leaf({2, 1}, 25)});
  expect_grad("div", [](const F& in) { return in[0] / in[1]; }, {leaf({3}, 26), leaf({2, 3}, 27, 4.0)});
  expect_grad("mul scalar-tensor", [](const F& in) { return in[0] * in[1]; }, {leaf({}, 28), leaf({4}, 29)});
  expect_grad("maximum", [](const F& in) { return maximum(in[0], in[1]); }, {leaf({5}, 30), leaf({5}, 31)});
  expect_grad("minimum", [](const F& in) { return minimum(in[0], in[1]); }, {leaf({2, 3}, 32), leaf({3}, 33)});
  expect_grad("neg", [](const F& in) { return -in[0]; }, {leaf({3}, 34)});
}

BOOST_AUTO_TEST_CASE(gradcheck_scalar_operands) {
  expect_grad("a + s", [](const F& in) { return in[0] + 2.5; }, {leaf({3}, 40)});
  expect_grad("s - a", [](const F& in) { return 2.5 - in[0]; }, {leaf({3}, 41)});
  expect_grad("a - s", [](const F& in) { return in[0] - 2.5; }, {leaf({3}, 42)});
  expect_grad("a * s", [](const F& in) { return in[0] * -1.5; }, {leaf({3}, 43)});
  expect_grad("a / s", [](const F& in) { return in[0] / 4.0; }, {leaf({3}, 44)});
  expect_grad("s / a", [](const F& in) { return 2.0 / in[0]; }, {leaf({3}, 45, 5.0)});
}

BOOST_AUTO_TEST_CASE(gradcheck_pow) {
  for (double e : {0.0, 1.0, 2.0, 3.0, -1.0, -2.0, 0.5, -0.5, 2.7})
    expect_grad("pow " + std::to_string(e), [e](const F& in) { return in[0].pow(e); }, {leaf({4}, 50, 4.0)});
  expect_grad("pow tensor exponent (broadcast, as x.unsqueeze(-1).pow(p))",
              [](const F& in) { return in[0].unsqueeze(-1).pow(in[1]); }, {leaf({5}, 51, 4.0), leaf({3}, 52)});
  expect_grad("scalar base pow tensor", [](const F& in) { return pow(2.0, in[0]); }, {leaf({3}, 53)});
}

BOOST_AUTO_TEST_CASE(gradcheck_unary_math) {
  expect_grad("sin", [](const F& in) { return in[0].sin(); }, {leaf({2, 3}, 60)});
  expect_grad("cos", [](const F& in) { return in[0].cos(); }, {leaf({2, 3}, 61)});
  expect_grad("exp", [](const F& in) { return in[0].exp(); }, {leaf({2, 3}, 62)});
  expect_grad("log", [](const F& in) { return in[0].log(); }, {leaf({4}, 63, 5.0)});
  expect_grad("sqrt", [](const F& in) { return in[0].sqrt(); }, {leaf({4}, 64, 5.0)});
  expect_grad("abs", [](const F& in) { return in[0].abs(); }, {leaf({6}, 65)});
  expect_grad("tanh", [](const F& in) { return in[0].tanh(); }, {leaf({6}, 66)});
  expect_grad("sigmoid", [](const F& in) { return in[0].sigmoid(); }, {leaf({6}, 67)});
  expect_grad("relu", [](const F& in) { return in[0].relu(); }, {leaf({6}, 68)});
  expect_grad("clamp", [](const F& in) { return clamp(in[0], -0.5, 0.5); }, {leaf({6}, 69)});
}

BOOST_AUTO_TEST_CASE(gradcheck_reductions) {
  expect_grad("sum", [](const F& in) { return in[0].sum(); }, {leaf({2, 3}, 70)});
  expect_grad("sum dim 0", [](const F& in) { return in[0].sum(0); }, {leaf({2, 3}, 71)});
  expect_grad("sum dim -1 keepdim", [](const F& in) { return in[0].sum(-1, true); }, {leaf({2, 3, 2}, 72)});
  expect_grad("mean", [](const F& in) { return in[0].mean(); }, {leaf({2, 3}, 73)});
  expect_grad("mean dim 1", [](const F& in) { return in[0].mean(1); }, {leaf({2, 3, 2}, 74)});
  expect_grad("sum_to", [](const F& in) { return in[0].sum_to({3}); }, {leaf({2, 3}, 75)});
}

BOOST_AUTO_TEST_CASE(gradcheck_views_and_matmul) {
  expect_grad("unsqueeze", [](const F& in) { return in[0].unsqueeze(0) * 2.0; }, {leaf({3}, 80)});
  expect_grad("squeeze", [](const F& in) { return in[0].squeeze(1) * 2.0; }, {leaf({3, 1}, 81)});
  expect_grad("flatten", [](const F& in) { return in[0].flatten(0, 1) * in[0].flatten(); }, {leaf({2, 3}, 82)});
  expect_grad("reshape", [](const F& in) { return in[0].reshape({3, -1}) * 3.0; }, {leaf({2, 3}, 83)});
  expect_grad("clone", [](const F& in) { return in[0].clone() * in[0]; }, {leaf({3}, 84)});
  expect_grad("matmul", [](const F& in) { return in[0].matmul(in[1]); }, {leaf({2, 3}, 85), leaf({3, 4}, 86)});
  expect_grad("t", [](const F& in) { return in[0].t().matmul(in[0]); }, {leaf({3, 2}, 87)});
}

BOOST_AUTO_TEST_CASE(gradcheck_whole_tutorial_statement) {
  const T x = linspace<double>(-M_PI, M_PI, 50);
  const T y = sin(x);
  expect_grad("(a + b x + c x^2 + d x^3 - y)^2 sum",
              [x, y](const F& p) { return (p[0] + p[1] * x + p[2] * x.pow(2) + p[3] * x.pow(3) - y).pow(2).sum(); },
              {leaf({}, 90), leaf({}, 91), leaf({}, 92), leaf({}, 93)},
              autograd::GradcheckOptions().with_rtol(1e-5));
}
