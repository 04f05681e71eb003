#define BOOST_TEST_MODULE device_expr
#include <boost/mpl/list.hpp>
#include <boost/test/unit_test.hpp>

#include <array>
#include <string>
#include <vector>

#include "device_support.hpp"
#include "eigrad/cuda/kernels.hpp"
#include "eigrad/expr/lower.hpp"
#include "eigrad/tensor.hpp"

// Fused statements lowered to interpreter programs (expr/lower.hpp): each statement's program,
// run on device copies of its operands, gives the CPU fused path's values and gradients.

using namespace eigrad;
using expr::Reduction;
using test::DeviceBuffer;
using Dtypes = boost::mpl::list<float, double>;

namespace {

/// Runs statement \p make() on the CPU fused path (output adjoint \p g for Reduction::None,
/// 1 otherwise), then lowers a second copy of it and runs its program forward and backward on
/// device copies of its operands; values must agree bit for bit, sums within the tolerance,
/// adjoints of full operands bit for bit and of one-element operands (summed) within it.
/// Adjoints are compared only when the statement is the \p whole_graph (no operand also reaches
/// the loss through a subexpression evaluated before).
template <class T, class Make>
void check_lowered(const std::string& name, Make make, Reduction reduction, const Tensor<T>& g = Tensor<T>(),
                   bool whole_graph = true) {
  const auto cpu_statement = make();
  using E = std::decay_t<decltype(cpu_statement)>;
  constexpr int N = E::leaves;
  const auto operands = expr::detail::leaves_of(cpu_statement);
  for (const auto& t : operands) {
    if (!t.requires_grad()) continue;
    t.grad() = Tensor<T>();
    t.retain_grad();  // a subexpression evaluated before is an operand with a producer
  }
  const Tensor<T> cpu = expr::detail::evaluate(cpu_statement, reduction);
  const bool any_grad = cpu.requires_grad();
  if (any_grad) {
    if (reduction == Reduction::None) cpu.backward(g);
    else cpu.backward();
  }

  const auto statement = make();
  const std::int64_t n = statement.numel();
  const auto numbers = expr::detail::number_leaves<N>(operands.begin(), operands.count);
  std::array<bool, N> wants{};
  for (int j = 0; j < numbers.count; ++j) wants[j] = operands.tensors[numbers.first[j]].requires_grad();
  const ops::Program<T> program = expr::detail::lower_statement(statement, numbers, wants.data());
  BOOST_TEST(program.leaf_count == numbers.count);

  std::vector<DeviceBuffer<T>> data, adjoints;
  std::vector<cuda::ProgramLeaf<T>> leaves;
  for (int j = 0; j < numbers.count; ++j) {
    const Tensor<T>& t = operands.tensors[numbers.first[j]];
    data.emplace_back(t.detach());
    adjoints.emplace_back(t.numel());
  }
  for (int j = 0; j < numbers.count; ++j) {
    const bool scalar = !(data[j].size() == n && n != 1);
    leaves.push_back({data[j].data(), scalar, adjoints[j].data()});
  }
  const DeviceBuffer<T> out(std::max<std::int64_t>(n, 1));
  const T total =
      cuda::run_forward(program, leaves.data(), n, reduction == Reduction::None ? out.data() : nullptr,
                        reduction != Reduction::None);
  if (reduction == Reduction::None) {
    std::vector<T> values = out.host();
    values.resize(static_cast<std::size_t>(n));
    test::check_same(values, cpu.to_vector(), name + ": values");
  } else {
    const T value = reduction == Reduction::Mean ? total / static_cast<T>(n) : total;
    test::check_close(std::vector<T>{value}, cpu.to_vector(), name + ": reduced value");
  }
  if (!any_grad || !whole_graph) return;

  const DeviceBuffer<T> grad_out = reduction == Reduction::None ? DeviceBuffer<T>(g)
                                   : reduction == Reduction::Sum
                                       ? DeviceBuffer<T>(std::vector<T>{T(1)})
                                       : DeviceBuffer<T>(std::vector<T>{T(1) / static_cast<T>(n)});
  cuda::run_backward(program, leaves.data(), n,
                     cuda::ProgramLeaf<T>{grad_out.data(), reduction != Reduction::None, nullptr});
  for (int j = 0; j < numbers.count; ++j) {
    const Tensor<T>& t = operands.tensors[numbers.first[j]];
    if (!wants[j]) continue;
    const std::string what = name + ": adjoint of operand " + std::to_string(j);
    if (leaves[j].scalar) test::check_close(adjoints[j].host(), t.grad().to_vector(), what);
    else test::check_same(adjoints[j].host(), t.grad().to_vector(), what);
  }
}

/// Operands of the tables: 0-d weights wanting gradients, data without, at \p n elements.
template <class T>
struct Operands {
  Tensor<T> a, b, c, d, x, y, w;
  explicit Operands(std::int64_t n)
      : a(scalar_tensor<T>(T(0.1)).requires_grad_(true)),
        b(scalar_tensor<T>(T(0.2)).requires_grad_(true)),
        c(scalar_tensor<T>(T(-0.1)).requires_grad_(true)),
        d(scalar_tensor<T>(T(0.05)).requires_grad_(true)),
        x(test::sample<T>({n}, 0, 11)),
        y(test::sample<T>({n}, 0, 12)),
        w(test::sample<T>({n}, 2.5, 13).requires_grad_(true)) {}
};

const std::int64_t kSizes[] = {1, 7, 1000};
const Reduction kReductions[] = {Reduction::None, Reduction::Sum, Reduction::Mean};

std::string label(const std::string& what, std::int64_t n, Reduction r) {
  const char* names[] = {"none", "sum", "mean"};
  return what + " (n = " + std::to_string(n) + ", " + names[static_cast<int>(r)] + ")";
}

}  // namespace

BOOST_AUTO_TEST_CASE_TEMPLATE(stage03_statement, T, Dtypes) {
  for (const std::int64_t n : kSizes) {
    const Operands<T> o(n);
    const Tensor<T> g = test::sample<T>({n}, 0, 14);
    for (const Reduction r : kReductions)
      check_lowered<T>(label("stage 03", n, r),
                       [&] { return (o.a + o.b * o.x + o.c * o.x.pow(2) + o.d * o.x.pow(3) - o.y).pow(2); }, r, g);
  }
}

BOOST_AUTO_TEST_CASE_TEMPLATE(every_unary_op_and_scalar_form, T, Dtypes) {
  for (const std::int64_t n : kSizes) {
    const Operands<T> o(n);
    const Tensor<T> g = test::sample<T>({n}, 0, 15);
    const Tensor<T>& w = o.w;  // positive: log, sqrt, pow with any exponent
    for (const Reduction r : kReductions) {
      check_lowered<T>(label("-w", n, r), [&] { return -w; }, r, g);
      check_lowered<T>(label("sin", n, r), [&] { return w.sin(); }, r, g);
      check_lowered<T>(label("cos", n, r), [&] { return w.cos(); }, r, g);
      check_lowered<T>(label("exp", n, r), [&] { return w.exp(); }, r, g);
      check_lowered<T>(label("log", n, r), [&] { return w.log(); }, r, g);
      check_lowered<T>(label("sqrt", n, r), [&] { return w.sqrt(); }, r, g);
      check_lowered<T>(label("abs", n, r), [&] { return (w - 2.5).abs(); }, r, g);
      check_lowered<T>(label("tanh", n, r), [&] { return w.tanh(); }, r, g);
      check_lowered<T>(label("sigmoid", n, r), [&] { return w.sigmoid(); }, r, g);
      check_lowered<T>(label("relu", n, r), [&] { return (w - 2.5).relu(); }, r, g);
      check_lowered<T>(label("w + s", n, r), [&] { return w + 1.25; }, r, g);
      check_lowered<T>(label("w - s", n, r), [&] { return w - 1.25; }, r, g);
      check_lowered<T>(label("s - w", n, r), [&] { return 1.25 - w; }, r, g);
      check_lowered<T>(label("w * s", n, r), [&] { return w * 1.25; }, r, g);
      check_lowered<T>(label("w / s", n, r), [&] { return w / 1.25; }, r, g);
      check_lowered<T>(label("s / w", n, r), [&] { return 1.25 / w; }, r, g);
      check_lowered<T>(label("a * w / b", n, r), [&] { return o.a * w / o.b; }, r, g);
      for (const double e : {0.0, 1.0, 2.0, 3.0, 0.5, -1.0, 2.5, 0.1})
        check_lowered<T>(label("w ^ " + std::to_string(e), n, r), [&] { return (w * o.a).pow(e); }, r, g);
    }
  }
}

BOOST_AUTO_TEST_CASE_TEMPLATE(a_repeated_operand_is_one_program_leaf, T, Dtypes) {
  for (const std::int64_t n : kSizes) {
    const Operands<T> o(n);
    const Tensor<T> g = test::sample<T>({n}, 0, 16);
    for (const Reduction r : kReductions) {
      check_lowered<T>(label("w * w", n, r), [&] { return o.w * o.w; }, r, g);
      check_lowered<T>(label("a * x + a", n, r), [&] { return o.a * o.x + o.a; }, r, g);
    }
    const auto statement = o.w * o.x + o.w.sin();
    const auto operands = expr::detail::leaves_of(statement);
    const auto numbers = expr::detail::number_leaves<3>(operands.begin(), operands.count);
    BOOST_TEST(numbers.count == 2);
    BOOST_TEST(numbers.of[2] == numbers.of[0]);
  }
}

// An exponent given as a double that its cast to float would change: the instruction keeps the
// entry's kernels (General), not those of the float (Sqrt).
BOOST_AUTO_TEST_CASE(pow_keeps_the_kernels_of_the_double_given) {
  const Tensor<float> w = test::sample<float>({33}, 2.5, 17);
  const double e = 0.5000000001;
  const auto statement = w.pow(e);
  const auto operands = expr::detail::leaves_of(statement);
  const auto numbers = expr::detail::number_leaves<1>(operands.begin(), operands.count);
  const ops::Program<float> p = expr::detail::lower_statement(statement, numbers, std::array<bool, 1>{}.data());
  BOOST_TEST(p.size == 2);
  BOOST_TEST(static_cast<int>(p.code[1].pow) == static_cast<int>(ops::PowKind::General));
  check_lowered<float>("w ^ 0.5000000001", [&] { return w.pow(e); }, Reduction::None, w);
}

namespace {
/// 17 powers of \p x summed: 50 instructions and 34 parameters (limits: 48, 32).
template <class T>
auto sum_of_powers(const Tensor<T>& x) {
  return x.pow(1.5) + x.pow(2) + x.pow(2.5) + x.pow(3) + x.pow(3.5) + x.pow(4) + x.pow(4.5) + x.pow(5) +
         x.pow(0.5) + x.pow(-1) + x.pow(-0.5) + x.pow(-1.5) + x.pow(-2) + x.pow(-2.5) + x.pow(1.25) +
         x.pow(1.75) + x.pow(0.25);
}
}  // namespace

BOOST_AUTO_TEST_CASE_TEMPLATE(statements_over_the_limits_are_cut_to_fit, T, Dtypes) {
  const std::int64_t n = 7;
  const Operands<T> o(n);
  const Tensor<T> w = o.w;
  const auto powers = sum_of_powers(w);
  BOOST_TEST(!expr::detail::program_size(powers).fits());
  expr::detail::fit_program(powers);
  BOOST_TEST(expr::detail::program_size(powers).fits());
  check_lowered<T>("17 powers", [&] { return powers; }, Reduction::Sum, Tensor<T>(), false);
  BOOST_TEST(powers.left().evaluated());  // the bigger operand, evaluated first

  std::vector<Tensor<T>> v;
  for (int k = 0; k < 9; ++k) v.push_back(test::sample<T>({n}, 0, 20 + k).requires_grad_(true));
  const auto nine = v[0] * v[1] + v[2] * v[3] + v[4] * v[5] + v[6] * v[7] + v[8];
  BOOST_TEST(expr::detail::program_size(nine).leaves == 9);
  expr::detail::fit_program(nine);
  BOOST_TEST(expr::detail::program_size(nine).fits());
  check_lowered<T>("nine operands", [&] { return nine; }, Reduction::None, test::sample<T>({n}, 0, 30), false);
}
