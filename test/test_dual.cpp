#define BOOST_TEST_MODULE dual
#include <boost/test/unit_test.hpp>

#include <Eigen/Core>
#include <Eigen/QR>
#include <algorithm>
#include <cmath>
#include <limits>
#include <sstream>
#include <string>
#include <type_traits>
#include <vector>

#include "eigrad/dual.hpp"
#include "eigrad/dual_eigen.hpp"
#include "eigrad/errors.hpp"
#include "eigrad/forward.hpp"

// Forward mode against exact derivative formulas and central finite differences, in float64.

using eigrad::Dual;
using D1 = Dual<double, 1>;
using D2 = Dual<double, 2>;
using D4 = Dual<double, 4>;
using DD1 = Dual<D1, 1>;
namespace fwd = eigrad::forward;

namespace {

// Plain-double versions of the dual functions that have no std:: counterpart, so the same
// generic lambda runs on double and on duals.
double sigmoid(double x) { return 1 / (1 + std::exp(-x)); }
double relu(double x) { return x > 0 ? x : 0.0; }

constexpr double kLn2 = 0.69314718055994530942;
constexpr double kLn10 = 2.30258509299404568402;

/// |a - b| <= atol + rtol |b|, treating equal infinities and two NaNs as equal.
bool close(double a, double b, double rtol, double atol) {
  if (std::isnan(a) || std::isnan(b)) return std::isnan(a) && std::isnan(b);
  if (a == b) return true;
  return std::abs(a - b) <= atol + rtol * std::abs(b);
}

/// Central difference of a scalar function.
template <class F>
double central_difference(const F& f, double x, double h) {
  return (f(x + h) - f(x - h)) / (2 * h);
}

/// Checks a unary function: value, first derivative against \p exact and a central
/// difference, and the second derivative from nested duals against a central difference of
/// the first derivative.
template <class F, class DF>
void check_unary(const std::string& name, const F& f, const DF& exact, const std::vector<double>& points) {
  const auto first = [&](double x) { return f(D1::variable(x, 0)).tangent(0); };
  for (double x : points) {
    BOOST_TEST_CONTEXT(name << " at x = " << x) {
      const D1 y = f(D1::variable(x, 0));
      const double fx = f(x);
      // Equal up to rounding: duals compute x^3 as x*x*x, std::pow(x, 3.0) does not.
      BOOST_TEST(close(y.value(), fx, 1e-15, 0));
      BOOST_TEST(close(y.tangent(0), exact(x), 1e-13, 1e-15), "dual " << y.tangent(0) << " exact " << exact(x));

      const double h = 1e-5 * std::max(1.0, std::abs(x));
      const double fd = central_difference(f, x, h);
      BOOST_TEST(close(y.tangent(0), fd, 1e-7, 1e-8 * (1 + std::abs(fx))),
                 "dual " << y.tangent(0) << " finite difference " << fd);

      DD1 xx(D1::variable(x, 0));
      xx.tangent(0) = D1(1.0);
      const DD1 yy = f(xx);
      BOOST_TEST(yy.value().value() == y.value());
      BOOST_TEST(close(yy.value().tangent(0), y.tangent(0), 1e-15, 0));
      BOOST_TEST(close(yy.tangent(0).value(), y.tangent(0), 1e-15, 0));
      const double fd2 = central_difference(first, x, h);
      BOOST_TEST(close(yy.tangent(0).tangent(0), fd2, 1e-6, 1e-7 * (1 + std::abs(y.tangent(0)))),
                 "nested " << yy.tangent(0).tangent(0) << " finite difference " << fd2);
    }
  }
}

/// Checks a function of two variables: both partials against exact ones and central
/// differences, and its Hessian (nested duals) against central differences of its gradient.
template <class F, class DA, class DB>
void check_binary(const std::string& name, const F& f, const DA& da, const DB& db,
                  const std::vector<std::pair<double, double>>& points) {
  const auto on_vector = [&](const auto& v) { return f(v(0), v(1)); };
  for (const auto& point : points) {
    const double a = point.first, b = point.second;  // not a structured binding: C++17 lambdas cannot capture one (clang)
    BOOST_TEST_CONTEXT(name << " at (" << a << ", " << b << ")") {
      const D2 y = f(D2::variable(a, 0), D2::variable(b, 1));
      const double fab = f(a, b);
      BOOST_TEST(y.value() == fab);
      BOOST_TEST(close(y.tangent(0), da(a, b), 1e-13, 1e-15), "d/da " << y.tangent(0) << " exact " << da(a, b));
      BOOST_TEST(close(y.tangent(1), db(a, b), 1e-13, 1e-15), "d/db " << y.tangent(1) << " exact " << db(a, b));
      const double ha = 1e-5 * std::max(1.0, std::abs(a));
      const double hb = 1e-5 * std::max(1.0, std::abs(b));
      const double fda = central_difference([&](double t) { return f(t, b); }, a, ha);
      const double fdb = central_difference([&](double t) { return f(a, t); }, b, hb);
      BOOST_TEST(close(y.tangent(0), fda, 1e-7, 1e-8 * (1 + std::abs(fab))), "d/da vs finite difference " << fda);
      BOOST_TEST(close(y.tangent(1), fdb, 1e-7, 1e-8 * (1 + std::abs(fab))), "d/db vs finite difference " << fdb);

      const Eigen::Vector2d p(a, b);
      const Eigen::Matrix2d H = fwd::hessian(on_vector, p);
      const double hs[2] = {ha, hb};
      for (int j = 0; j < 2; ++j) {
        Eigen::Vector2d plus = p, minus = p;
        plus(j) += hs[j];
        minus(j) -= hs[j];
        const Eigen::Vector2d fd = (fwd::gradient(on_vector, plus) - fwd::gradient(on_vector, minus)) / (2 * hs[j]);
        for (int i = 0; i < 2; ++i) {
          BOOST_TEST(close(H(i, j), fd(i), 1e-6, 1e-7 * (1 + y.tangent(0) * y.tangent(0) + y.tangent(1) * y.tangent(1))),
                     "H(" << i << "," << j << ") = " << H(i, j) << " finite difference " << fd(i));
        }
      }
      BOOST_TEST(H(0, 1) == H(1, 0));
    }
  }
}

const std::vector<double> kReal = {-2.3, -0.7, -0.1, 0.3, 0.9, 1.7, 3.1};
const std::vector<double> kPositive = {0.1, 0.5, 1.7, 3.9};
const std::vector<double> kUnit = {-0.9, -0.4, 0.2, 0.75};

}  // namespace

// ---------------------------------------------------------------- unary math

BOOST_AUTO_TEST_CASE(trigonometric_functions) {
  check_unary("sin", [](auto x) { using std::sin; return sin(x); }, [](double x) { return std::cos(x); }, kReal);
  check_unary("cos", [](auto x) { using std::cos; return cos(x); }, [](double x) { return -std::sin(x); }, kReal);
  check_unary("tan", [](auto x) { using std::tan; return tan(x); },
              [](double x) { return 1 / (std::cos(x) * std::cos(x)); }, {-1.2, -0.1, 0.3, 0.9, 1.3});
  check_unary("asin", [](auto x) { using std::asin; return asin(x); },
              [](double x) { return 1 / std::sqrt(1 - x * x); }, kUnit);
  check_unary("acos", [](auto x) { using std::acos; return acos(x); },
              [](double x) { return -1 / std::sqrt(1 - x * x); }, kUnit);
  check_unary("atan", [](auto x) { using std::atan; return atan(x); },
              [](double x) { return 1 / (1 + x * x); }, kReal);
}

BOOST_AUTO_TEST_CASE(hyperbolic_and_logistic_functions) {
  check_unary("sinh", [](auto x) { using std::sinh; return sinh(x); }, [](double x) { return std::cosh(x); }, kReal);
  check_unary("cosh", [](auto x) { using std::cosh; return cosh(x); }, [](double x) { return std::sinh(x); }, kReal);
  check_unary("tanh", [](auto x) { using std::tanh; return tanh(x); },
              [](double x) { return 1 / (std::cosh(x) * std::cosh(x)); }, kReal);
  check_unary("sigmoid", [](auto x) { return sigmoid(x); },
              [](double x) { return std::exp(-x) / ((1 + std::exp(-x)) * (1 + std::exp(-x))); }, kReal);
  // Far in the tails the logistic saturates without NaN.
  const D1 lo = eigrad::sigmoid(D1::variable(-800, 0));
  const D1 hi = eigrad::sigmoid(D1::variable(800, 0));
  BOOST_TEST(lo.value() == 0.0);
  BOOST_TEST(lo.tangent(0) == 0.0);
  BOOST_TEST(hi.value() == 1.0);
  BOOST_TEST(hi.tangent(0) == 0.0);
}

BOOST_AUTO_TEST_CASE(exponential_and_logarithmic_functions) {
  check_unary("exp", [](auto x) { using std::exp; return exp(x); }, [](double x) { return std::exp(x); }, kReal);
  check_unary("expm1", [](auto x) { using std::expm1; return expm1(x); }, [](double x) { return std::exp(x); }, kReal);
  check_unary("log", [](auto x) { using std::log; return log(x); }, [](double x) { return 1 / x; }, kPositive);
  check_unary("log1p", [](auto x) { using std::log1p; return log1p(x); },
              [](double x) { return 1 / (1 + x); }, {-0.5, -0.05, 0.2, 3.0});
  check_unary("log2", [](auto x) { using std::log2; return log2(x); },
              [](double x) { return 1 / (x * kLn2); }, kPositive);
  check_unary("log10", [](auto x) { using std::log10; return log10(x); },
              [](double x) { return 1 / (x * kLn10); }, kPositive);
}

BOOST_AUTO_TEST_CASE(powers_and_roots) {
  check_unary("sqrt", [](auto x) { using std::sqrt; return sqrt(x); },
              [](double x) { return 0.5 / std::sqrt(x); }, kPositive);
  check_unary("cbrt", [](auto x) { using std::cbrt; return cbrt(x); },
              [](double x) { return 1 / (3 * std::cbrt(x) * std::cbrt(x)); }, {-2.3, -0.7, 0.3, 1.7});
  check_unary("pow(x, 2.5)", [](auto x) { using std::pow; return pow(x, 2.5); },
              [](double x) { return 2.5 * std::pow(x, 1.5); }, kPositive);
  check_unary("pow(x, -1.5)", [](auto x) { using std::pow; return pow(x, -1.5); },
              [](double x) { return -1.5 * std::pow(x, -2.5); }, kPositive);
  check_unary("pow(x, 2)", [](auto x) { using std::pow; return pow(x, 2); },
              [](double x) { return 2 * x; }, kReal);
  check_unary("pow(x, 3.0)", [](auto x) { using std::pow; return pow(x, 3.0); },
              [](double x) { return 3 * x * x; }, kReal);
  check_unary("pow(x, 7)", [](auto x) { using std::pow; return pow(x, 7); },
              [](double x) { return 7 * std::pow(x, 6); }, kReal);
  check_unary("pow(x, 1)", [](auto x) { using std::pow; return pow(x, 1.0); }, [](double) { return 1.0; }, kReal);
  check_unary("pow(2.5, x)", [](auto x) { using std::pow; return pow(2.5, x); },
              [](double x) { return std::pow(2.5, x) * std::log(2.5); }, kReal);
  check_unary("pow(0.4, x)", [](auto x) { using std::pow; return pow(0.4, x); },
              [](double x) { return std::pow(0.4, x) * std::log(0.4); }, kReal);

  // x^2 and x^3 are exact repeated products, as in the tensor layer.
  const D1 x = D1::variable(1.1, 0);
  BOOST_TEST(eigrad::pow(x, 2).value() == 1.1 * 1.1);
  BOOST_TEST(eigrad::pow(x, 3.0).value() == 1.1 * 1.1 * 1.1);
}

BOOST_AUTO_TEST_CASE(piecewise_functions) {
  check_unary("abs", [](auto x) { using std::abs; return abs(x); },
              [](double x) { return x > 0 ? 1.0 : -1.0; }, kReal);
  check_unary("fabs", [](auto x) { using std::fabs; return fabs(x); },
              [](double x) { return x > 0 ? 1.0 : -1.0; }, kReal);
  check_unary("relu", [](auto x) { return relu(x); }, [](double x) { return x > 0 ? 1.0 : 0.0; }, kReal);
  check_unary("clamp", [](auto x) { return x < -0.5 ? decltype(x)(-0.5) : (x > 0.8 ? decltype(x)(0.8) : x); },
              [](double x) { return x < -0.5 || x > 0.8 ? 0.0 : 1.0; }, kReal);
  for (double v : kReal) {
    const D1 c = eigrad::clamp(D1::variable(v, 0), -0.5, 0.8);
    BOOST_TEST(c.value() == std::clamp(v, -0.5, 0.8));
    BOOST_TEST(c.tangent(0) == (v >= -0.5 && v <= 0.8 ? 1.0 : 0.0));
  }
}

BOOST_AUTO_TEST_CASE(scalar_arithmetic) {
  // Every mixed form of + - * / with a constant operand, as unary functions of x.
  check_unary("x + 2.5", [](auto x) { return x + 2.5; }, [](double) { return 1.0; }, kReal);
  check_unary("2.5 + x", [](auto x) { return 2.5 + x; }, [](double) { return 1.0; }, kReal);
  check_unary("x - 3", [](auto x) { return x - 3; }, [](double) { return 1.0; }, kReal);
  check_unary("3 - x", [](auto x) { return 3 - x; }, [](double) { return -1.0; }, kReal);
  check_unary("x * 1.5", [](auto x) { return x * 1.5; }, [](double) { return 1.5; }, kReal);
  check_unary("2 * x", [](auto x) { return 2 * x; }, [](double) { return 2.0; }, kReal);
  check_unary("x / 4.0", [](auto x) { return x / 4.0; }, [](double) { return 0.25; }, kReal);
  check_unary("3.0 / x", [](auto x) { return 3.0 / x; }, [](double x) { return -3.0 / (x * x); }, kReal);
  check_unary("1 / x", [](auto x) { return 1 / x; }, [](double x) { return -1.0 / (x * x); }, kReal);
  check_unary("-x", [](auto x) { return -x; }, [](double) { return -1.0; }, kReal);
  check_unary("+x", [](auto x) { return +x; }, [](double) { return 1.0; }, kReal);
  check_unary("x * x", [](auto x) { return x * x; }, [](double x) { return 2 * x; }, kReal);
  check_unary("x / (1 + x * x)", [](auto x) { return x / (1 + x * x); },
              [](double x) { return (1 - x * x) / ((1 + x * x) * (1 + x * x)); }, kReal);
  check_unary("compound", [](auto x) {
    auto y = x;
    y *= x;    // x^2
    y += 1;    // x^2 + 1
    y -= 0.5;  // x^2 + 0.5
    y /= x;    // x + 0.5 / x
    y *= 2.0;  // 2x + 1/x
    y /= 4;    // x/2 + 1/(4x)
    y += x;    // 3x/2 + 1/(4x)
    y -= 2;
    return y;
  }, [](double x) { return 1.5 - 0.25 / (x * x); }, kReal);
  check_unary("self compound", [](auto x) {
    auto y = x * x;
    y *= y;  // x^4, reading y before it is overwritten
    auto z = x + 1.0;
    z /= z;  // 1 everywhere
    return y + z;
  }, [](double x) { return 4 * x * x * x; }, kReal);
}

// ---------------------------------------------------------------- two variables

BOOST_AUTO_TEST_CASE(binary_operations) {
  const std::vector<std::pair<double, double>> pts = {{0.7, -1.3}, {-2.1, 0.4}, {1.9, 2.6}};
  const std::vector<std::pair<double, double>> pos = {{0.7, 1.3}, {2.1, 0.4}, {1.9, -2.6}};
  check_binary("a + b", [](auto a, auto b) { return a + b; },
               [](double, double) { return 1.0; }, [](double, double) { return 1.0; }, pts);
  check_binary("a - b", [](auto a, auto b) { return a - b; },
               [](double, double) { return 1.0; }, [](double, double) { return -1.0; }, pts);
  check_binary("a * b", [](auto a, auto b) { return a * b; },
               [](double, double b) { return b; }, [](double a, double) { return a; }, pts);
  check_binary("a / b", [](auto a, auto b) { return a / b; },
               [](double, double b) { return 1 / b; }, [](double a, double b) { return -a / (b * b); }, pts);
  check_binary("pow(a, b)", [](auto a, auto b) { using std::pow; return pow(a, b); },
               [](double a, double b) { return b * std::pow(a, b - 1); },
               [](double a, double b) { return std::pow(a, b) * std::log(a); }, pos);
  check_binary("atan2(a, b)", [](auto a, auto b) { using std::atan2; return atan2(a, b); },
               [](double a, double b) { return b / (a * a + b * b); },
               [](double a, double b) { return -a / (a * a + b * b); }, pts);
  check_binary("max(a, b)", [](auto a, auto b) { using std::max; return max(a, b); },
               [](double a, double b) { return a > b ? 1.0 : 0.0; },
               [](double a, double b) { return a > b ? 0.0 : 1.0; }, pts);
  check_binary("min(a, b)", [](auto a, auto b) { using std::min; return min(a, b); },
               [](double a, double b) { return a < b ? 1.0 : 0.0; },
               [](double a, double b) { return a < b ? 0.0 : 1.0; }, pts);
  check_binary("a * sin(b) + exp(a * b) / (1 + b * b)",
               [](auto a, auto b) { using std::exp; using std::sin; return a * sin(b) + exp(a * b) / (1 + b * b); },
               [](double a, double b) { return std::sin(b) + b * std::exp(a * b) / (1 + b * b); },
               [](double a, double b) {
                 return a * std::cos(b) + a * std::exp(a * b) / (1 + b * b) -
                        2 * b * std::exp(a * b) / ((1 + b * b) * (1 + b * b));
               },
               pts);
}

BOOST_AUTO_TEST_CASE(mixed_operand_forms_agree) {
  // Dual op constant equals Dual op Dual-constant, for every operand type.
  const D2 x = D2::variable(1.75, 0);
  const D2 c(2.0);
  const auto same = [](const D2& a, const D2& b) {
    return a.value() == b.value() && a.tangent(0) == b.tangent(0) && a.tangent(1) == b.tangent(1);
  };
  BOOST_TEST(same(x + 2, x + c));
  BOOST_TEST(same(x + 2.0f, x + c));
  BOOST_TEST(same(2 + x, c + x));
  BOOST_TEST(same(x - 2.0, x - c));
  BOOST_TEST(same(2.0 - x, c - x));
  BOOST_TEST(same(x * 2, x * c));
  BOOST_TEST(same(2.0 * x, c * x));
  BOOST_TEST(same(x / 2u, x / c));
  BOOST_TEST(same(2 / x, c / x));
  BOOST_TEST(same(eigrad::pow(x, 2.5), eigrad::pow(x, D2(2.5))));
  BOOST_TEST(same(eigrad::pow(2.5, x), eigrad::pow(D2(2.5), x)));

  // Comparisons look at the value only.
  D2 y = D2::variable(1.75, 1);
  BOOST_TEST((x == y));
  BOOST_TEST(!(x != y));
  BOOST_TEST((x < 2));
  BOOST_TEST((x <= 1.75));
  BOOST_TEST((2.0 > x));
  BOOST_TEST((1 < x));
  BOOST_TEST((x >= y));
  BOOST_TEST(!(x > y));
}

BOOST_AUTO_TEST_CASE(derivatives_at_kinks_and_special_points) {
  const D2 zero = D2::variable(0.0, 0);
  // abs and relu have derivative 0 at 0, as in PyTorch.
  BOOST_TEST(eigrad::abs(zero).value() == 0.0);
  BOOST_TEST(eigrad::abs(zero).tangent(0) == 0.0);
  BOOST_TEST(eigrad::relu(zero).tangent(0) == 0.0);
  BOOST_TEST(eigrad::abs(D2::variable(-2.0, 0)).tangent(0) == -1.0);
  // Ties in max/min split the derivative evenly, as PyTorch's maximum/minimum.
  const D2 a = D2::variable(1.5, 0), b = D2::variable(1.5, 1);
  BOOST_TEST(eigrad::max(a, b).tangent(0) == 0.5);
  BOOST_TEST(eigrad::max(a, b).tangent(1) == 0.5);
  BOOST_TEST(eigrad::minimum(a, b).tangent(0) == 0.5);
  BOOST_TEST(eigrad::maximum(a, D2::variable(0.5, 1)).tangent(0) == 1.0);
  // NaN propagates through max, min and relu.
  const D2 nan(std::numeric_limits<double>::quiet_NaN());
  BOOST_TEST(std::isnan(eigrad::max(a, nan).value()));
  BOOST_TEST(std::isnan(eigrad::max(nan, a).value()));
  BOOST_TEST(std::isnan(eigrad::min(a, nan).value()));
  BOOST_TEST(std::isnan(eigrad::relu(nan).value()));
  BOOST_TEST(eigrad::isnan(nan));
  BOOST_TEST(!eigrad::isfinite(nan));
  BOOST_TEST(eigrad::isinf(D2(std::numeric_limits<double>::infinity())));
  BOOST_TEST(eigrad::isfinite(a));
  // x^0 is 1 with derivative 0 even at 0; x^1 at 0 has derivative 1.
  BOOST_TEST(eigrad::pow(zero, 0).value() == 1.0);
  BOOST_TEST(eigrad::pow(zero, 0.0).tangent(0) == 0.0);
  BOOST_TEST(eigrad::pow(zero, 1.0).tangent(0) == 1.0);
  // 0^y: the log term is masked instead of giving 0 * -inf = NaN.
  const D2 p = eigrad::pow(zero, D2::variable(2.0, 1));
  BOOST_TEST(p.value() == 0.0);
  BOOST_TEST(p.tangent(0) == 0.0);
  BOOST_TEST(p.tangent(1) == 0.0);
  const D2 q = eigrad::pow(0.0, D2::variable(2.0, 1));
  BOOST_TEST(q.tangent(1) == 0.0);
  // sqrt is infinitely steep at 0, as PyTorch says.
  BOOST_TEST(std::isinf(eigrad::sqrt(zero).tangent(0)));
  // clamp passes the derivative at its bounds, blocks it outside.
  BOOST_TEST(eigrad::clamp(D2::variable(-0.5, 0), -0.5, 0.8).tangent(0) == 1.0);
  BOOST_TEST(eigrad::clamp(D2::variable(0.8, 0), -0.5, 0.8).tangent(0) == 1.0);
  BOOST_TEST(eigrad::clamp(D2::variable(0.9, 0), -0.5, 0.8).tangent(0) == 0.0);
  BOOST_TEST(eigrad::clamp(D2::variable(0.9, 0), -0.5, 0.8).value() == 0.8);
}

// ---------------------------------------------------------------- construction and nesting

BOOST_AUTO_TEST_CASE(construction_accessors_and_traits) {
  const D4 zero;
  BOOST_TEST(zero.value() == 0.0);
  for (int i = 0; i < 4; ++i) BOOST_TEST(zero.tangent(i) == 0.0);
  const D4 v = D4::variable(3.0, 2);
  BOOST_TEST(v.value() == 3.0);
  BOOST_TEST(v.tangent(2) == 1.0);
  BOOST_TEST(v.tangent(1) == 0.0);
  const D4 c = D4::constant(-1.0);
  BOOST_TEST(c.tangent(0) == 0.0);
  const D4 from_int = 7;
  BOOST_TEST(from_int.value() == 7.0);
  const double t[4] = {1, 2, 3, 4};
  D4 explicit_tangents(0.5, t);
  BOOST_TEST(explicit_tangents.tangent(3) == 4.0);
  explicit_tangents.value() = 2;
  explicit_tangents.tangent(0) = -1;
  BOOST_TEST(explicit_tangents.value() == 2.0);
  BOOST_TEST(explicit_tangents.tangent(0) == -1.0);

  using DD4 = Dual<D4, 4>;
  const DD4 nested = 2.5;  // from a double through both levels
  BOOST_TEST(nested.value().value() == 2.5);
  BOOST_TEST(eigrad::base_value(nested) == 2.5);
  BOOST_TEST(eigrad::base_value(1.25) == 1.25);
  static_assert(eigrad::is_dual_v<D4> && eigrad::is_dual_v<DD4> && !eigrad::is_dual_v<double>);
  static_assert(std::is_same_v<eigrad::dual_base_t<DD4>, double>);
  static_assert(std::is_same_v<eigrad::dual_base_t<Dual<float, 2>>, float>);
  static_assert(D4::num_tangents == 4);

  std::ostringstream os;
  os << D2::variable(1.5, 1);
  BOOST_TEST(os.str() == "1.5 [0, 1]");
}

BOOST_AUTO_TEST_CASE(nested_duals_mix_with_their_value_type_and_doubles) {
  // f(x, y) = x^2 y + 3 x - y / 2: every second partial from one nested evaluation.
  using DD2 = Dual<D2, 2>;
  const double x0 = 1.3, y0 = -0.6;
  DD2 x(D2::variable(x0, 0)), y(D2::variable(y0, 1));
  x.tangent(0) = D2(1.0);
  y.tangent(1) = D2(1.0);
  const DD2 f = x * x * y + 3 * x - y / 2.0 + D2(0.25) - 0.25;
  BOOST_TEST(close(f.value().value(), x0 * x0 * y0 + 3 * x0 - y0 / 2, 1e-15, 0));
  BOOST_TEST(close(f.tangent(0).value(), 2 * x0 * y0 + 3, 1e-15, 0));
  BOOST_TEST(close(f.tangent(1).value(), x0 * x0 - 0.5, 1e-15, 0));
  BOOST_TEST(close(f.tangent(0).tangent(0), 2 * y0, 1e-15, 0));
  BOOST_TEST(close(f.tangent(0).tangent(1), 2 * x0, 1e-15, 0));
  BOOST_TEST(close(f.tangent(1).tangent(0), 2 * x0, 1e-15, 0));
  BOOST_TEST(f.tangent(1).tangent(1) == 0.0);
  BOOST_TEST((f > 0.0) == (f.value().value() > 0.0));
  BOOST_TEST((f < D2(100.0)));
}

BOOST_AUTO_TEST_CASE(single_precision_duals) {
  using F2 = Dual<float, 2>;
  const F2 x = F2::variable(0.8f, 0), y = F2::variable(1.6f, 1);
  const F2 f = eigrad::sin(x) * eigrad::exp(y) + eigrad::pow(x, 2.5) + x / y + 2.0 * x;
  BOOST_TEST(close(f.tangent(0), std::cos(0.8) * std::exp(1.6) + 2.5 * std::pow(0.8, 1.5) + 1 / 1.6 + 2, 1e-5, 0));
  BOOST_TEST(close(f.tangent(1), std::sin(0.8) * std::exp(1.6) - 0.8 / (1.6 * 1.6), 1e-5, 0));
  Eigen::Array<F2, Eigen::Dynamic, 1> a(3);
  a << x, y, x * y;
  const Eigen::ArrayXf w = Eigen::ArrayXf::LinSpaced(3, 1.0f, 2.0f);
  const F2 s = (a * w).sum();
  BOOST_TEST(close(s.tangent(0), 1.0 + 2.0 * 1.6, 1e-6, 0));
  BOOST_TEST(close(s.tangent(1), 1.5 + 2.0 * 0.8, 1e-6, 0));
}

// ---------------------------------------------------------------- Eigen integration

BOOST_AUTO_TEST_CASE(eigen_arrays_of_duals_elementwise) {
  using Array = Eigen::Array<D4, Eigen::Dynamic, 1>;
  const int n = 9;
  Array a(n);
  for (int i = 0; i < n; ++i) a(i) = D4::variable(0.2 + 0.3 * i, i % 4);
  const Eigen::ArrayXd w = Eigen::ArrayXd::LinSpaced(n, 0.5, 1.5);

  // The whole expression through Eigen's coefficient-wise functions...
  const D4 s = (a.sin() + a.cos() * w + a.exp() / w + a.log() + a.sqrt() + a.abs() + a.tanh() +
                a.pow(2.5) + a.pow(w) + a.square() + a.cube() + a.inverse() + a.logistic() - a.max(D4(1.0)))
                   .sum();
  // ...equals the same sum written coefficient by coefficient.
  D4 expect(0.0);
  for (int i = 0; i < n; ++i) {
    const D4& x = a(i);
    expect += eigrad::sin(x) + eigrad::cos(x) * w(i) + eigrad::exp(x) / w(i) + eigrad::log(x) + eigrad::sqrt(x) +
              eigrad::abs(x) + eigrad::tanh(x) + eigrad::pow(x, 2.5) + eigrad::pow(x, w(i)) + x * x + x * x * x +
              1.0 / x + eigrad::sigmoid(x) - eigrad::max(x, D4(1.0));
  }
  BOOST_TEST(close(s.value(), expect.value(), 1e-14, 0));
  for (int k = 0; k < 4; ++k) BOOST_TEST(close(s.tangent(k), expect.tangent(k), 1e-14, 1e-15));

  // Reductions: sum, mean, prod, max.
  const D4 mean = a.mean();
  BOOST_TEST(close(mean.value(), a.sum().value() / n, 1e-15, 0));
  BOOST_TEST(close(mean.tangent(0), 3.0 / n, 1e-15, 0));  // variables 0, 4, 8 hold tangent 0
  const D4 top = a.maxCoeff();
  BOOST_TEST(top.value() == a(n - 1).value());
  BOOST_TEST(top.tangent(0) == 1.0);
  const D4 prod = a.head(2).prod();
  BOOST_TEST(close(prod.tangent(0), a(1).value(), 1e-15, 0));
  BOOST_TEST(close(prod.tangent(1), a(0).value(), 1e-15, 0));
  BOOST_TEST((a > 1.0).count() == 6);

  // values() and tangents() read the parts back as plain arrays.
  const Eigen::ArrayXd vals = eigrad::values(a);
  const Eigen::ArrayXd t1 = eigrad::tangents(a, 1);
  for (int i = 0; i < n; ++i) {
    BOOST_TEST(vals(i) == a(i).value());
    BOOST_TEST(t1(i) == (i % 4 == 1 ? 1.0 : 0.0));
  }
}

BOOST_AUTO_TEST_CASE(eigen_mixes_duals_with_plain_doubles) {
  using Array = Eigen::Array<D4, Eigen::Dynamic, 1>;
  const int n = 6;
  Array a(n);
  for (int i = 0; i < n; ++i) a(i) = D4::variable(1.0 + i, i % 4);
  const Eigen::ArrayXd w = Eigen::ArrayXd::LinSpaced(n, -1.0, 2.0);
  const D4 s = D4::variable(0.5, 3);

  const Array direct = a * w + w * a - a / w + w - s * w + w / s + s + 2.0 * a;
  const Array cast = a * w.cast<D4>() + w.cast<D4>() * a - a / w.cast<D4>() + w.cast<D4>() -
                     s * w.cast<D4>() + w.cast<D4>() / s + s + 2.0 * a;
  for (int i = 0; i < n; ++i) {
    BOOST_TEST(direct(i).value() == cast(i).value());
    for (int k = 0; k < 4; ++k) BOOST_TEST(direct(i).tangent(k) == cast(i).tangent(k));
    // d/da_i of a_i (2 w_i - 1/w_i + 2) and d/ds of (-s w_i + w_i / s + s).
    const double da = 2 * w(i) - 1 / w(i) + 2;
    BOOST_TEST(close(direct(i).tangent(i % 4), da + (i % 4 == 3 ? -w(i) - w(i) / 0.25 + 1 : 0.0), 1e-15, 1e-15));
  }
  // pow with a plain array of exponents and a plain scalar exponent.
  const Array p = a.pow(w) + a.pow(2.0);
  for (int i = 0; i < n; ++i) {
    const double x = a(i).value();
    BOOST_TEST(close(p(i).tangent(i % 4), w(i) * std::pow(x, w(i) - 1) + 2 * x, 1e-14, 0));
  }
}

BOOST_AUTO_TEST_CASE(eigen_matrices_of_duals) {
  // M(t) = A + t B, so d(M v)/dt = B v and d(M C)/dt = B C.
  const Eigen::Matrix3d A = (Eigen::Matrix3d() << 4, 1, 0.5, -1, 3, 0.25, 0.5, 0.75, 5).finished();
  const Eigen::Matrix3d B = (Eigen::Matrix3d() << 0.1, -0.2, 0.3, 0.4, 0.5, -0.6, 0.7, 0.8, 0.9).finished();
  const Eigen::Vector3d v(1.0, -2.0, 0.5);
  const Eigen::Matrix3d C = Eigen::Matrix3d::Identity() + B.transpose();
  const D1 t = D1::variable(0.3, 0);
  Eigen::Matrix<D1, 3, 3> M;
  for (int i = 0; i < 3; ++i)
    for (int j = 0; j < 3; ++j) M(i, j) = A(i, j) + t * B(i, j);

  const Eigen::Matrix<D1, 3, 1> Mv = M * v;  // fixed-size product mixing dual and double
  const Eigen::Vector3d expect_v = (A + 0.3 * B) * v, expect_dv = B * v;
  for (int i = 0; i < 3; ++i) {
    BOOST_TEST(close(Mv(i).value(), expect_v(i), 1e-15, 1e-15));
    BOOST_TEST(close(Mv(i).tangent(0), expect_dv(i), 1e-15, 1e-15));
  }

  // Dynamic sizes mix too: dual times plain matrix (both orders), dual matrix times plain
  // vector, plain row vector times dual matrix, and the same with the plain side cast.
  using MatrixD = Eigen::Matrix<D1, Eigen::Dynamic, Eigen::Dynamic>;
  const MatrixD Md = M;
  const Eigen::MatrixXd Cd = C;
  const MatrixD MC = Md * Cd;
  const MatrixD MC_lazy = Md.lazyProduct(Cd);
  const MatrixD MC_cast = Md * Cd.cast<D1>();
  const MatrixD CM = Cd * Md;
  const Eigen::Matrix<D1, Eigen::Dynamic, 1> Mv_plain = Md * Eigen::VectorXd(v);
  const Eigen::Matrix<D1, 1, Eigen::Dynamic> vtM = Eigen::VectorXd(v).transpose() * Md;
  const Eigen::Matrix3d expect_CM = C * (A + 0.3 * B), expect_dCM = C * B;
  const Eigen::RowVector3d expect_dvtM = v.transpose() * B;
  for (int i = 0; i < 3; ++i) {
    BOOST_TEST(close(Mv_plain(i).value(), expect_v(i), 1e-15, 1e-15));
    BOOST_TEST(close(Mv_plain(i).tangent(0), expect_dv(i), 1e-15, 1e-15));
    BOOST_TEST(close(vtM(i).tangent(0), expect_dvtM(i), 1e-15, 1e-15));
    for (int j = 0; j < 3; ++j) {
      BOOST_TEST(close(MC_cast(i, j).tangent(0), MC(i, j).tangent(0), 1e-15, 1e-15));
      BOOST_TEST(close(CM(i, j).value(), expect_CM(i, j), 1e-15, 1e-15));
      BOOST_TEST(close(CM(i, j).tangent(0), expect_dCM(i, j), 1e-15, 1e-15));
    }
  }
  // Large enough for Eigen to pick its GEMM/GEMV paths for plain scalars.
  const MatrixD big = MatrixD::Constant(40, 40, D1::variable(1.5, 0));
  const Eigen::MatrixXd ones = Eigen::MatrixXd::Ones(40, 40);
  const MatrixD big_product = big * ones;
  const Eigen::Matrix<D1, Eigen::Dynamic, 1> big_gemv = big * Eigen::VectorXd::Ones(40);
  BOOST_TEST(close(big_product(3, 7).value(), 60.0, 1e-15, 1e-15));
  BOOST_TEST(close(big_product(3, 7).tangent(0), 40.0, 1e-15, 1e-15));
  BOOST_TEST(close(big_gemv(5).tangent(0), 40.0, 1e-15, 1e-15));
  const Eigen::Matrix<D1, Eigen::Dynamic, 1> Mvd = Md * Eigen::VectorXd(v).cast<D1>();
  const Eigen::Matrix<D1, Eigen::Dynamic, 1> vM = Cd * Mvd;  // plain matrix times dual vector
  const Eigen::Matrix3d expect_C = (A + 0.3 * B) * C, expect_dC = B * C;
  const Eigen::Vector3d expect_dvM = C * B * v;
  for (int i = 0; i < 3; ++i) {
    BOOST_TEST(close(Mvd(i).tangent(0), expect_dv(i), 1e-15, 1e-15));
    BOOST_TEST(close(vM(i).tangent(0), expect_dvM(i), 1e-14, 1e-15));
    for (int j = 0; j < 3; ++j) {
      BOOST_TEST(close(MC(i, j).value(), expect_C(i, j), 1e-15, 1e-15));
      BOOST_TEST(close(MC(i, j).tangent(0), expect_dC(i, j), 1e-15, 1e-15));
      BOOST_TEST(close(MC_lazy(i, j).tangent(0), expect_dC(i, j), 1e-15, 1e-15));
    }
  }
  // A larger product that goes through Eigen's blocked GEMM.
  const int n = 40;
  const Eigen::MatrixXd P = Eigen::MatrixXd::Random(n, n), Q = Eigen::MatrixXd::Random(n, n);
  MatrixD Pd = P.cast<D1>();
  for (int i = 0; i < n; ++i) Pd(i, i).tangent(0) = 1.0;  // dP/dt = I
  const MatrixD PQ = Pd * Q.cast<D1>();
  const Eigen::MatrixXd PQv = eigrad::values(PQ), PQt = eigrad::tangents(PQ, 0);
  BOOST_TEST((PQv - P * Q).cwiseAbs().maxCoeff() < 1e-13);
  BOOST_TEST((PQt - Q).cwiseAbs().maxCoeff() == 0.0);

  // Derivative of a linear solve: x(t) = M(t)^-1 v, so x' = -M^-1 B x.
  const Eigen::Matrix<D1, 3, 1> x = M.colPivHouseholderQr().solve(v.cast<D1>());
  const Eigen::Matrix3d M0 = A + 0.3 * B;
  const Eigen::Vector3d x0 = M0.colPivHouseholderQr().solve(v);
  const Eigen::Vector3d dx = -M0.colPivHouseholderQr().solve(B * x0);
  for (int i = 0; i < 3; ++i) {
    BOOST_TEST(close(x(i).value(), x0(i), 1e-13, 1e-15));
    BOOST_TEST(close(x(i).tangent(0), dx(i), 1e-12, 1e-14));
  }
  BOOST_TEST(M.isApprox(M));
  BOOST_TEST(Eigen::NumTraits<D1>::epsilon().value() == std::numeric_limits<double>::epsilon());
  BOOST_TEST(Eigen::NumTraits<D1>::digits10() == std::numeric_limits<double>::digits10);
  std::ostringstream os;
  os << M.row(0);
  BOOST_TEST(os.str().find("[0.1]") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(eigen_arrays_of_nested_duals) {
  // Hessian of sum(w * x^3) + (sum x)^2 by hand, with Array<Dual<Dual<double, 2>, 2>>.
  using DD2 = Dual<D2, 2>;
  Eigen::Array<DD2, 2, 1> x;
  x(0) = DD2(D2::variable(0.7, 0));
  x(0).tangent(0) = D2(1.0);
  x(1) = DD2(D2::variable(-1.2, 1));
  x(1).tangent(1) = D2(1.0);
  const Eigen::Array2d w(2.0, 3.0);
  const DD2 sum = x.sum();
  const DD2 f = (w * x.cube()).sum() + sum * sum;
  const double h00 = 6 * 2.0 * 0.7 + 2, h11 = 6 * 3.0 * -1.2 + 2, h01 = 2;
  BOOST_TEST(close(f.tangent(0).tangent(0), h00, 1e-15, 0));
  BOOST_TEST(close(f.tangent(1).tangent(1), h11, 1e-15, 0));
  BOOST_TEST(close(f.tangent(0).tangent(1), h01, 1e-15, 0));
  BOOST_TEST(close(f.tangent(1).tangent(0), h01, 1e-15, 0));
  // Mixing a nested array with an array of its value type.
  Eigen::Array<D2, 2, 1> inner;
  inner << D2(2.0), D2(3.0);
  const DD2 g = (x * inner).sum();
  BOOST_TEST(g.tangent(0).value() == 2.0);
  BOOST_TEST(g.tangent(1).value() == 3.0);
}

// ---------------------------------------------------------------- forward-mode helpers

namespace {

// Extended Rosenbrock: sum_i 100 (x_{i+1} - x_i^2)^2 + (1 - x_i)^2, generic in the scalar.
const auto rosenbrock = [](const auto& x) {
  using S = std::decay_t<decltype(x(0))>;
  S f(0.0);
  for (Eigen::Index i = 0; i + 1 < x.size(); ++i) {
    const S u = x(i + 1) - x(i) * x(i);
    const S v = 1 - x(i);
    f += 100 * u * u + v * v;
  }
  return f;
};

Eigen::VectorXd rosenbrock_gradient(const Eigen::VectorXd& x) {
  const Eigen::Index n = x.size();
  Eigen::VectorXd g = Eigen::VectorXd::Zero(n);
  for (Eigen::Index i = 0; i + 1 < n; ++i) {
    g(i) += -400 * x(i) * (x(i + 1) - x(i) * x(i)) - 2 * (1 - x(i));
    g(i + 1) += 200 * (x(i + 1) - x(i) * x(i));
  }
  return g;
}

Eigen::MatrixXd rosenbrock_hessian(const Eigen::VectorXd& x) {
  const Eigen::Index n = x.size();
  Eigen::MatrixXd H = Eigen::MatrixXd::Zero(n, n);
  for (Eigen::Index i = 0; i + 1 < n; ++i) {
    H(i, i) += 1200 * x(i) * x(i) - 400 * x(i + 1) + 2;
    H(i + 1, i + 1) += 200;
    H(i, i + 1) += -400 * x(i);
    H(i + 1, i) += -400 * x(i);
  }
  return H;
}

Eigen::VectorXd sample_point(int n) {
  Eigen::VectorXd x(n);
  for (int i = 0; i < n; ++i) x(i) = 0.9 * std::sin(1.3 * i + 0.4) + 0.2;
  return x;
}

double max_rel_diff(const Eigen::MatrixXd& a, const Eigen::MatrixXd& b) {
  return ((a - b).cwiseAbs().array() / (1.0 + b.cwiseAbs().array())).maxCoeff();
}

}  // namespace

BOOST_AUTO_TEST_CASE(derivative_helper) {
  BOOST_TEST(close(fwd::derivative([](auto t) { using std::sin; return sin(t); }, 0.7), std::cos(0.7), 1e-15, 0));
  BOOST_TEST(fwd::derivative([](auto) { return 3.0; }, 0.7) == 0.0);
  // A vector-valued function of one variable gives the vector of derivatives.
  const Eigen::Vector3d dv = fwd::derivative([](auto t) {
    using std::sin;
    using S = decltype(t);
    return Eigen::Matrix<S, 3, 1>(t, t * t, sin(t));
  }, 1.5);
  BOOST_TEST(dv(0) == 1.0);
  BOOST_TEST(dv(1) == 3.0);
  BOOST_TEST(close(dv(2), std::cos(1.5), 1e-15, 0));
  // Derivatives nest: the derivative of the derivative of t^3 sin t.
  const auto f = [](auto t) { using std::sin; return t * t * t * sin(t); };
  const double second = fwd::derivative([&](auto t) { return fwd::derivative(f, t); }, 0.8);
  const double exact = 6 * 0.8 * std::sin(0.8) + 6 * 0.8 * 0.8 * std::cos(0.8) - 0.8 * 0.8 * 0.8 * std::sin(0.8);
  BOOST_TEST(close(second, exact, 1e-14, 0));
}

BOOST_AUTO_TEST_CASE(gradient_of_rosenbrock) {
  // Fixed size: one pass of Dual<double, 2>.
  const Eigen::Vector2d p(1.5, 2.0);
  const Eigen::Vector2d g = fwd::gradient(rosenbrock, p);
  BOOST_TEST(close(g(0), -2 * (1 - 1.5) - 400 * 1.5 * (2.0 - 1.5 * 1.5), 1e-15, 0));
  BOOST_TEST(close(g(1), 200 * (2.0 - 1.5 * 1.5), 1e-15, 0));
  BOOST_TEST(fwd::gradient(rosenbrock, Eigen::Vector2d(1, 1)).isZero(0.0));  // the minimum

  // Dynamic sizes in chunks: the default (8), and chunk sizes that do not divide n.
  for (int n : {1, 2, 7, 8, 13, 40}) {
    BOOST_TEST_CONTEXT("n = " << n) {
      const Eigen::VectorXd x = sample_point(n);
      const Eigen::VectorXd expect = rosenbrock_gradient(x);
      BOOST_TEST(max_rel_diff(fwd::gradient(rosenbrock, x), expect) < 1e-14);
      BOOST_TEST(max_rel_diff(fwd::gradient<3>(rosenbrock, x), expect) < 1e-14);
      BOOST_TEST(max_rel_diff(fwd::gradient<1>(rosenbrock, x), expect) < 1e-14);
      const auto [value, g] = fwd::value_and_gradient<5>(rosenbrock, x);
      BOOST_TEST(value == rosenbrock(x));
      BOOST_TEST(max_rel_diff(g, expect) < 1e-14);
      // Central differences agree too.
      for (int i = 0; i < n; ++i) {
        const double h = 1e-6;
        Eigen::VectorXd plus = x, minus = x;
        plus(i) += h;
        minus(i) -= h;
        BOOST_TEST(close(g(i), (rosenbrock(plus) - rosenbrock(minus)) / (2 * h), 1e-6, 1e-6));
      }
    }
  }
  // A fixed size above max_fixed_tangents goes in chunks as well.
  const Eigen::Matrix<double, 40, 1> x40 = sample_point(40);
  const Eigen::Matrix<double, 40, 1> g40 = fwd::gradient(rosenbrock, x40);
  BOOST_TEST(max_rel_diff(g40, rosenbrock_gradient(x40)) < 1e-14);
  // Arrays in, arrays out; row vectors are accepted.
  const Eigen::ArrayXd xa = sample_point(5).array();
  const Eigen::ArrayXd ga = fwd::gradient([](const auto& x) { return (x * x).sum(); }, xa);
  BOOST_TEST(max_rel_diff(ga.matrix(), 2 * xa.matrix()) == 0.0);
  const Eigen::RowVectorXd xr = sample_point(4).transpose();
  BOOST_TEST(max_rel_diff(fwd::gradient(rosenbrock, xr), rosenbrock_gradient(xr.transpose())) < 1e-14);
  // Zero inputs: an empty gradient and the value.
  const auto [v0, g0] = fwd::value_and_gradient([](const auto& x) { return x.sum() + 2.0; }, Eigen::VectorXd(0));
  BOOST_TEST(v0 == 2.0);
  BOOST_TEST(g0.size() == 0);
}

BOOST_AUTO_TEST_CASE(hessian_of_rosenbrock) {
  const Eigen::Vector2d p(1.5, 2.0);
  const Eigen::Matrix2d H = fwd::hessian(rosenbrock, p);
  BOOST_TEST(close(H(0, 0), 1200 * 1.5 * 1.5 - 400 * 2.0 + 2, 1e-15, 0));
  BOOST_TEST(close(H(0, 1), -400 * 1.5, 1e-15, 0));
  BOOST_TEST(H(1, 0) == H(0, 1));
  BOOST_TEST(H(1, 1) == 200.0);
  for (int n : {1, 3, 8, 11, 33}) {
    BOOST_TEST_CONTEXT("n = " << n) {
      const Eigen::VectorXd x = sample_point(n);
      const Eigen::MatrixXd expect = rosenbrock_hessian(x);
      const Eigen::MatrixXd Hd = fwd::hessian(rosenbrock, x);
      BOOST_TEST(max_rel_diff(Hd, expect) < 1e-14);
      BOOST_TEST(max_rel_diff(fwd::hessian<3>(rosenbrock, x), expect) < 1e-14);
      BOOST_TEST(max_rel_diff(fwd::hessian<1>(rosenbrock, x), expect) < 1e-14);
      BOOST_TEST((Hd - Hd.transpose()).cwiseAbs().maxCoeff() == 0.0);
    }
  }
}

BOOST_AUTO_TEST_CASE(hessian_matches_finite_differences_of_gradient) {
  // A function using most operations, so every second derivative rule is exercised together.
  const auto f = [](const auto& x) {
    using std::exp;
    using std::log;
    using std::pow;
    using std::sin;
    using std::sqrt;
    using std::tanh;
    return x(0) * sin(x(1)) + exp(x(2) * x(0)) / (1 + x(1) * x(1)) + log(1 + x(0) * x(0)) +
           pow(x(2), 2.5) * x(1) + pow(x(1) * x(1) + 1, x(2)) + sqrt(x(0) * x(0) + x(2)) + tanh(x(0) - x(2)) +
           sigmoid(x(1) * x(2)) + pow(1.7, x(0) * x(2));
  };
  const Eigen::Vector3d p(0.4, -0.8, 1.3);
  const Eigen::Matrix3d H = fwd::hessian(f, p);
  const Eigen::Vector3d g = fwd::gradient(f, p);
  const double h = 1e-5;
  for (int j = 0; j < 3; ++j) {
    Eigen::Vector3d plus = p, minus = p;
    plus(j) += h;
    minus(j) -= h;
    const Eigen::Vector3d fd = (fwd::gradient(f, plus) - fwd::gradient(f, minus)) / (2 * h);
    for (int i = 0; i < 3; ++i) BOOST_TEST(close(H(i, j), fd(i), 1e-6, 1e-7), "H(" << i << "," << j << ")");
  }
  for (int i = 0; i < 3; ++i) {
    Eigen::Vector3d plus = p, minus = p;
    plus(i) += h;
    minus(i) -= h;
    BOOST_TEST(close(g(i), (f(plus) - f(minus)) / (2 * h), 1e-7, 1e-8));
  }
  // Same Hessian from dynamic-size chunks of 2 (blocks off the diagonal included).
  BOOST_TEST(max_rel_diff(fwd::hessian<2>(f, Eigen::VectorXd(p)), H) < 1e-14);
}

BOOST_AUTO_TEST_CASE(jacobian_helper) {
  const auto f = [](const auto& x) {
    using S = std::decay_t<decltype(x(0))>;
    using std::exp;
    using std::sin;
    return Eigen::Matrix<S, 3, 1>(x(0) * x(1) * x(2), sin(x(0)) + x(1) * x(1) * exp(x(2)), x(0) / x(2));
  };
  const Eigen::Vector3d p(0.5, -1.5, 2.0);
  const Eigen::Matrix3d J = fwd::jacobian(f, p);
  Eigen::Matrix3d expect;
  expect << p(1) * p(2), p(0) * p(2), p(0) * p(1),                                //
      std::cos(p(0)), 2 * p(1) * std::exp(p(2)), p(1) * p(1) * std::exp(p(2)),  //
      1 / p(2), 0, -p(0) / (p(2) * p(2));
  BOOST_TEST(max_rel_diff(J, expect) < 1e-15);
  BOOST_TEST(max_rel_diff(fwd::jacobian<2>(f, Eigen::VectorXd(p)), expect) < 1e-15);

  // Dynamic sizes in chunks; f returns an expression over its argument (evaluated at once).
  const Eigen::VectorXd x = sample_point(10);
  const auto g = [](const auto& v) { return (2.0 * v.array().sin()).matrix(); };
  const Eigen::MatrixXd Jg = fwd::jacobian<4>(g, x);
  BOOST_TEST(Jg.rows() == 10);
  BOOST_TEST(Jg.cols() == 10);
  Eigen::MatrixXd expect_g = Eigen::MatrixXd::Zero(10, 10);
  for (int i = 0; i < 10; ++i) expect_g(i, i) = 2 * std::cos(x(i));
  BOOST_TEST(max_rel_diff(Jg, expect_g) == 0.0);

  // A non-square Jacobian: the gradient of Rosenbrock's residual pair for each i.
  const auto residuals = [](const auto& v) {
    using S = std::decay_t<decltype(v(0))>;
    Eigen::Matrix<S, Eigen::Dynamic, 1> r(2 * (v.size() - 1));
    for (Eigen::Index i = 0; i + 1 < v.size(); ++i) {
      r(2 * i) = 10 * (v(i + 1) - v(i) * v(i));
      r(2 * i + 1) = 1 - v(i);
    }
    return r;
  };
  const Eigen::MatrixXd Jr = fwd::jacobian<3>(residuals, x);
  BOOST_TEST(Jr.rows() == 18);
  // J^T r = gradient / 2 for the sum of squares.
  const Eigen::VectorXd r = residuals(x);
  BOOST_TEST(max_rel_diff(2 * Jr.transpose() * r, rosenbrock_gradient(x)) < 1e-13);
}

BOOST_AUTO_TEST_CASE(helpers_reject_non_vectors) {
  const Eigen::MatrixXd m = Eigen::MatrixXd::Ones(2, 3);
  const auto f = [](const auto& x) { return x.sum(); };
  BOOST_CHECK_THROW(fwd::gradient(f, m), eigrad::ShapeError);
  BOOST_CHECK_THROW(fwd::hessian(f, m), eigrad::ShapeError);
  BOOST_CHECK_THROW(fwd::jacobian([](const auto& x) { return x; }, m), eigrad::ShapeError);
  // A function whose output size changes between passes cannot have a Jacobian.
  int calls = 0;
  const auto unstable = [&](const auto& x) {
    using S = std::decay_t<decltype(x(0))>;
    return Eigen::Matrix<S, Eigen::Dynamic, 1>::Constant(++calls, x.sum());
  };
  BOOST_CHECK_THROW(fwd::jacobian<2>(unstable, Eigen::VectorXd::Ones(5)), eigrad::ShapeError);
  try {
    fwd::gradient(f, m);
  } catch (const eigrad::ShapeError& e) {
    BOOST_TEST(std::string(e.what()).find("2x3") != std::string::npos);
  }
}
