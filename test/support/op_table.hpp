#pragma once
// The test table (as PyTorch's OpInfo, Stan's expect_ad): every differentiable tensor op once,
// with its operands' shapes and domains, shared by the CPU suite (test_ops_table.cpp) and the
// device suite (test/device/test_device_ops.cpp). Adding an op is one op-table entry
// (include/eigrad/ops/) and one line in for_each_op().
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "eigrad/expr/expr.hpp"
#include "eigrad/tensor.hpp"

namespace eigrad::test {

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
inline Tensor<float> clamp(const Tensor<float>& a, double lo, double hi) {
  return eigrad::clamp(a, static_cast<float>(lo), static_cast<float>(hi));
}
inline Tensor<double> clamp(const Tensor<double>& a, double lo, double hi) { return eigrad::clamp(a, lo, hi); }
inline Tensor<float> pow(double s, const Tensor<float>& e) { return eigrad::pow(static_cast<float>(s), e); }
inline Tensor<double> pow(double s, const Tensor<double>& e) { return eigrad::pow(s, e); }

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

}  // namespace eigrad::test
