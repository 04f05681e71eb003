#define BOOST_TEST_MODULE autograd
#include <boost/test/unit_test.hpp>

#include <boost/mpl/list.hpp>
#include <cmath>
#include <iomanip>
#include <limits>
#include <string>
#include <thread>
#include <type_traits>
#include <vector>

#include "eigrad/eigrad.hpp"
#include "support/ad_check.hpp"

using namespace eigrad;
using autograd::gradcheck;
using T = Tensor<double>;

namespace {

/// A leaf of \p shape with seeded normal values that requires grad.
T leaf(const Shape& shape, std::uint64_t seed, double shift = 0) {
  return test::seeded_normal(shape, seed, shift).requires_grad_(true);
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

BOOST_AUTO_TEST_CASE(leaf_gradients_never_share_storage) {
  // AddBackward hands one gradient to both leaves; the first gets a copy, the last may take
  // it over (nothing else holds it then). Either way changing one grad leaves the other.
  T a = leaf({3}, 5), b = leaf({3}, 6);
  const T g = from_vector<double>({1, 2, 3}, {3});
  (a + b).backward(g);
  BOOST_TEST(!a.grad().storage().same_buffer(b.grad().storage()));
  BOOST_TEST(!b.grad().storage().same_buffer(g.storage()));
  a.grad() += 10.0;
  BOOST_TEST(b.grad().to_vector() == (std::vector<double>{1, 2, 3}), boost::test_tools::per_element());
  BOOST_TEST(g.to_vector() == (std::vector<double>{1, 2, 3}), boost::test_tools::per_element());
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

// ------------------------------------------------------------------ gradcheck (every op alone: test_ops_table.cpp)
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
BOOST_AUTO_TEST_CASE(gradcheck_whole_tutorial_statement) {
  const T x = linspace<double>(-M_PI, M_PI, 50);
  const T y = sin(x);
  expect_grad("(a + b x + c x^2 + d x^3 - y)^2 sum",
              [x, y](const F& p) { return (p[0] + p[1] * x + p[2] * x.pow(2) + p[3] * x.pow(3) - y).pow(2).sum(); },
              {leaf({}, 90), leaf({}, 91), leaf({}, 92), leaf({}, 93)},
              autograd::GradcheckOptions().with_rtol(1e-5));
}

// ------------------------------------------------------------------ PyTorch 1.13's formulas
// Each backward formula is PyTorch's operation for operation (doc/design.md, "Backward
// formulas, checked against PyTorch 1.13"). Every expected value below is what PyTorch 1.13.1
// (CPU) gives for the same inputs and output gradient, printed with repr() from .tolist();
// each case is one where the form eigrad had before differs (or, marked "already", one
// that pins a behaviour the issue asked about). Comparison is bit for bit: the same value,
// the same sign of zero, NaN for NaN.
namespace {

using Dtypes = boost::mpl::list<float, double>;
constexpr double kNan = std::numeric_limits<double>::quiet_NaN();
constexpr double kInf = std::numeric_limits<double>::infinity();

/// A leaf requiring grad holding \p values converted to U (as torch.tensor(values, dtype=U)).
template <class U>
Tensor<U> leaf_of(const std::vector<double>& values, Shape shape = {}) {
  std::vector<U> v;
  for (double x : values) v.push_back(static_cast<U>(x));
  if (shape.empty()) shape = {static_cast<std::int64_t>(v.size())};
  return from_vector<U>(v, shape).requires_grad_(true);
}

/// Back-propagates \p gradient (row-major values in y's shape) from \p y.
template <class U>
void backward_with(const Tensor<U>& y, const std::vector<double>& gradient) {
  std::vector<U> g;
  for (double x : gradient) g.push_back(static_cast<U>(x));
  y.backward(from_vector<U>(g, y.shape()));
}

/// Bit-for-bit check against PyTorch's values (given as the doubles PyTorch printed).
template <class U>
void expect_torch(const Tensor<U>& t, const std::vector<double>& want, const std::string& what) {
  BOOST_TEST_REQUIRE(t.defined(), what << ": no gradient");
  BOOST_TEST_REQUIRE(t.numel() == static_cast<std::int64_t>(want.size()), what << ": size");
  const std::vector<U> got = t.to_vector();
  for (std::size_t i = 0; i < want.size(); ++i) {
    const U w = static_cast<U>(want[i]);
    const bool same = std::isnan(w) ? std::isnan(got[i]) : (got[i] == w && std::signbit(got[i]) == std::signbit(w));
    BOOST_TEST(same, what << " [" << i << "] (" << dtype_name<U>() << "): got "
                          << std::setprecision(std::numeric_limits<U>::max_digits10) << got[i] << ", PyTorch " << w);
  }
}

/// \p if_float for float, \p if_double for double: PyTorch's value in each dtype.
template <class U>
double per_dtype(double if_float, double if_double) {
  return std::is_same_v<U, float> ? if_float : if_double;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(pytorch_1_13_formulas)

BOOST_AUTO_TEST_CASE_TEMPLATE(relu_passes_the_gradient_at_nan, U, Dtypes) {
  // clamp_min(x, 0) forward keeps NaN and -0.0; threshold_backward(grad, result, 0) gives
  // grad wherever result <= 0 is false, NaN included, and an exact 0 elsewhere.
  Tensor<U> x = leaf_of<U>({kNan, -0.0, -1, 0, 2});
  Tensor<U> y = x.relu();
  expect_torch(y.detach(), {kNan, -0.0, 0, 0, 2}, "relu(x)");
  backward_with(y, {1, 1, 1, 1, 1});
  expect_torch(x.grad(), {1, 0, 0, 0, 1}, "relu'(x)");
  Tensor<U> z = leaf_of<U>({-1, -0.0, 3});
  backward_with(z.relu(), {kNan, kInf, 5});
  expect_torch(z.grad(), {0, 0, 5}, "relu' with NaN and inf gradients");
}

BOOST_AUTO_TEST_CASE_TEMPLATE(maximum_minimum_give_a_nan_side_the_gradient, U, Dtypes) {
  // where(self == other, grad / 2, grad).masked_fill_(self < other, 0): a NaN compares
  // false both ways, so each operand gets the whole gradient; ties split it (already).
  for (const bool is_max : {true, false}) {
    Tensor<U> a = leaf_of<U>({kNan, 1, kNan, 2, 3});
    Tensor<U> b = leaf_of<U>({1, kNan, kNan, 2, 1});
    backward_with(is_max ? maximum(a, b) : minimum(a, b), {1, 1, 1, 1, 1});
    expect_torch(a.grad(), {1, 1, 1, 0.5, is_max ? 1.0 : 0.0}, is_max ? "dmaximum/da" : "dminimum/da");
    expect_torch(b.grad(), {1, 1, 1, 0.5, is_max ? 0.0 : 1.0}, is_max ? "dmaximum/db" : "dminimum/db");
  }
  Tensor<U> col = leaf_of<U>({kNan, 1}, {2, 1});
  Tensor<U> row = leaf_of<U>({0, 2});
  maximum(col, row).sum().backward();
  expect_torch(col.grad(), {2, 1}, "dmaximum/da broadcast");
  expect_torch(row.grad(), {1, 2}, "dmaximum/db broadcast");
}

BOOST_AUTO_TEST_CASE_TEMPLATE(maximum_minimum_clamp_give_the_loser_an_exact_zero, U, Dtypes) {
  for (const bool is_max : {true, false}) {
    Tensor<U> a = leaf_of<U>({1, 3, 3});
    Tensor<U> b = leaf_of<U>({2, 3, 3});
    backward_with(is_max ? maximum(a, b) : minimum(a, b), {kNan, kInf, 3});
    expect_torch(a.grad(), {is_max ? 0.0 : kNan, kInf, 1.5}, is_max ? "dmaximum/da" : "dminimum/da");
    expect_torch(b.grad(), {is_max ? kNan : 0.0, kInf, 1.5}, is_max ? "dmaximum/db" : "dminimum/db");
  }
  // clamp_backward: where(self >= min & self <= max, grad, 0) (already): NaN is outside.
  Tensor<U> x = leaf_of<U>({kNan, -1, 2, 0.5, 0, 1});
  backward_with(clamp(x, U(0), U(1)), {1, kNan, kNan, 1, 1, 1});
  expect_torch(x.grad(), {0, 0, 0, 1, 1, 1}, "dclamp/dx");
}

BOOST_AUTO_TEST_CASE_TEMPLATE(divisor_gradient_divides_twice, U, Dtypes) {
  // -grad * ((self / other) / other): no other * other to overflow or underflow.
  const double big = per_dtype<U>(1e30, 1e-200);
  Tensor<U> a = leaf_of<U>({big});
  Tensor<U> b = leaf_of<U>({big});
  (a / b).sum().backward();
  expect_torch(a.grad(), {per_dtype<U>(1.0000000031710769e-30, 1e200)}, "d(a/b)/da");
  expect_torch(b.grad(), {per_dtype<U>(-1.0000000031710769e-30, -1e200)}, "d(a/b)/db");
  Tensor<U> x = leaf_of<U>({0.1});
  (x / x).sum().backward();
  expect_torch(x.grad(), {0}, "d(x/x)/dx");
  Tensor<U> n = leaf_of<U>({0.75});
  Tensor<U> d = leaf_of<U>({per_dtype<U>(1.25, 2.75)});
  (n / d).sum().backward();
  expect_torch(d.grad(), {per_dtype<U>(-0.48000001907348633, -0.09917355371900825)}, "d(a/b)/db rounding");
}

BOOST_AUTO_TEST_CASE_TEMPLATE(scalar_division_forms, U, Dtypes) {
  // s / x is x.reciprocal() * s: -(grad * s) * (r * r) with r = 1 / x.
  Tensor<U> x = leaf_of<U>({1.25, 0, -0.0, kInf});
  (2.5 / x).sum().backward();
  expect_torch(x.grad(), {per_dtype<U>(-1.6000001430511475, -1.6000000000000003), -kInf, -kInf, -0.0}, "d(s/x)/dx");
  // x / s: grad / s (already), which grad * (1 / s) would round differently.
  Tensor<U> z = leaf_of<U>({1});
  backward_with(z / 3.0, {5});
  expect_torch(z.grad(), {per_dtype<U>(1.6666666269302368, 1.6666666666666667)}, "d(x/s)/dx");
}

BOOST_AUTO_TEST_CASE_TEMPLATE(log_gradient_divides, U, Dtypes) {
  // grad / self: 1 / x overflows for a subnormal x where grad / x does not.
  Tensor<U> x = leaf_of<U>({per_dtype<U>(1e-40, 1e-310)});
  backward_with(x.log(), {per_dtype<U>(1e-5, 1e-10)});
  expect_torch(x.grad(), {per_dtype<U>(1.0000053888194485e+35, 1.000000000000003e+300)}, "dlog/dx subnormal");
  Tensor<U> z = leaf_of<U>({per_dtype<U>(1.75, 1.25)});
  backward_with(z.log(), {3});
  expect_torch(z.grad(), {per_dtype<U>(1.7142857313156128, 2.4)}, "dlog/dx rounding");
}

BOOST_AUTO_TEST_CASE_TEMPLATE(sqrt_sigmoid_tanh_mean_round_as_pytorch, U, Dtypes) {
  // sqrt: grad / (2 * result); at 0 that is inf, and NaN for a zero gradient.
  Tensor<U> s = leaf_of<U>({0.75, 0, 0});
  backward_with(s.sqrt(), {3, 1, 0});
  expect_torch(s.grad(), {per_dtype<U>(1.732050895690918, 1.7320508075688774), kInf, kNan}, "dsqrt/dx");
  // sigmoid_backward: grad * (1 - y) * y, left to right.
  Tensor<U> g = leaf_of<U>({per_dtype<U>(-2.5, -4)});
  backward_with(g.sigmoid(), {3});
  expect_torch(g.grad(), {per_dtype<U>(0.2103111296892166, 0.052988118639873356)}, "dsigmoid/dx");
  // tanh_backward: grad * (1 - y * y) with 1 - y * y fused (PyTorch's build contracts it).
  Tensor<U> t = leaf_of<U>({-4.25});
  backward_with(t.tanh(), {1});
  expect_torch(t.grad(), {per_dtype<U>(0.0008135570678859949, 0.000813542382079193)}, "dtanh/dx");
  // mean: grad / n, not grad * (1 / n).
  const double third_of_5 = per_dtype<U>(1.6666666269302368, 1.6666666666666667);
  Tensor<U> m = leaf_of<U>({1, 2, 3});
  backward_with(m.mean(), {5});
  expect_torch(m.grad(), {third_of_5, third_of_5, third_of_5}, "dmean/dx");
  Tensor<U> md = leaf_of<U>({1, 2, 3}, {1, 3});
  backward_with(md.mean(1), {5});
  expect_torch(md.grad(), {third_of_5, third_of_5, third_of_5}, "dmean(1)/dx");
  Tensor<U> mk = leaf_of<U>({1, 2, 3}, {3, 1});
  backward_with(mk.mean(0, true), {5});
  expect_torch(mk.grad(), {third_of_5, third_of_5, third_of_5}, "dmean(0, keepdim)/dx");
}

BOOST_AUTO_TEST_CASE_TEMPLATE(pow_gradients_mask_as_pytorch, U, Dtypes) {
  // pow_backward: exponent compared as the double given; exponent - 1 taken in double.
  // 1e-50 is 0 as a float but not as a double: 0 * x.pow(-1) is NaN at x = 0 in float32.
  Tensor<U> x = leaf_of<U>({0, 2, kInf});
  backward_with(x.pow(1e-50), {1, 1, 1});
  expect_torch(x.grad(), {per_dtype<U>(kNan, kInf), per_dtype<U>(0, 5e-51), 0}, "dx^1e-50/dx");
  Tensor<U> z = leaf_of<U>({0, 2});
  backward_with(z.pow(0.0), {kNan, 1});
  expect_torch(z.grad(), {0, 0}, "dx^0/dx (already)");
  // Tensor exponent: where(exponent == 0, 0, grad * ...) masks a NaN gradient too, and
  // grad * where(self == 0 & exponent >= 0, 0, result * log(self)) does not.
  Tensor<U> base = leaf_of<U>({0, 2});
  Tensor<U> p = leaf_of<U>({0, -1, 2});
  backward_with(base.unsqueeze(-1).pow(p), {kNan, 1, 1, 1, 1, 1});
  expect_torch(base.grad(), {-kInf, 3.75}, "dx^p/dx");
  expect_torch(p.grad(), {kNan, -kInf, per_dtype<U>(2.7725887298583984, 2.772588722239781)}, "dx^p/dp");
  // Scalar base (PowBackward2): grad * (result * log(s)) with log(s) taken in double.
  Tensor<U> e = leaf_of<U>({1});
  Tensor<U> y = pow(U(0.9), e);
  BOOST_TEST(y.grad_fn()->name() == "PowBackward2");
  y.sum().backward();
  expect_torch(e.grad(), {per_dtype<U>(-0.09482448548078537, -0.09482446409204366)}, "d0.9^p/dp");
  Tensor<U> e0 = leaf_of<U>({0, 2, -1});
  pow(U(0), e0).sum().backward();
  expect_torch(e0.grad(), {0, 0, -kInf}, "d0^p/dp");
}

BOOST_AUTO_TEST_CASE_TEMPLATE(abs_gradient_is_sgn, U, Dtypes) {
  // grad * self.sgn() (already): 0 at +-0 and at NaN.
  Tensor<U> x = leaf_of<U>({0, -0.0, kNan, -2});
  x.abs().sum().backward();
  expect_torch(x.grad(), {0, 0, 0, -1}, "dabs/dx");
}

BOOST_AUTO_TEST_SUITE_END()
