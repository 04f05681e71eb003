#define BOOST_TEST_MODULE device_expr
#include <boost/test/unit_test.hpp>

#include <array>
#include <cstring>
#include <string>
#include <vector>

#include "device_support.hpp"
#include "eigrad/cuda/kernels.hpp"
#include "eigrad/expr/lower.hpp"
#include "eigrad/nn/modules/loss.hpp"
#include "eigrad/tensor.hpp"

// Fused statements on "cuda": lowered to interpreter programs (expr/lower.hpp), run on
// device copies of their operands, and as tensor statements over "cuda" tensors (one launch
// forward, one backward), each against the CPU fused path's values and gradients.

using namespace eigrad;
using expr::Reduction;
using test::DeviceBuffer;
using test::Dtypes;

namespace {

/// \p e lowered as a fused statement is: its program, operands and their numbering (subtrees
/// over the program's limits are evaluated first).
template <class E>
expr::detail::Statement<typename E::Scalar> lowered(const E& e) {
  expr::detail::Tape<typename E::Scalar> tape;
  e.append_to(tape);
  return expr::detail::lower_tape(tape, e.expr_shape());
}

/// The program leaves of \p s.
template <class T>
int distinct_leaves(const expr::detail::Statement<T>& s) {
  int count = 0;
  for (int k = 0; k < s.count; ++k) count = std::max(count, s.leaf[static_cast<std::size_t>(k)] + 1);
  return count;
}

/// Runs statement \p make() on the CPU fused path (output adjoint \p g for Reduction::None,
/// 1 otherwise), then lowers a second copy of it and runs its program forward and backward on
/// device copies of its operands; values must agree bit for bit, sums within the tolerance,
/// adjoints of full operands bit for bit and of one-element operands (summed) within it.
/// Adjoints are compared only when the statement is the \p whole_graph (no operand also reaches
/// the loss through a subexpression evaluated before; a statement over the program's limits
/// is cut here, so it is not).
template <class T, class Make>
void check_lowered(const std::string& name, Make make, Reduction reduction, const Tensor<T>& g = Tensor<T>(),
                   bool whole_graph = true) {
  const auto statement = make();
  using E = std::decay_t<decltype(statement)>;
  const expr::detail::Statement<T> lowered_statement = lowered(statement);
  // cut to fit (fewer operands than the tree has): they then reach the loss through other nodes too
  if (lowered_statement.count != E::leaves) whole_graph = false;
  std::vector<Tensor<T>> operands;
  for (int k = 0; k < lowered_statement.count; ++k) operands.push_back(*lowered_statement.operands[k]);
  for (const auto& t : operands) {
    if (!t.requires_grad()) continue;
    t.grad() = Tensor<T>();
    t.retain_grad();  // a subexpression evaluated before is an operand with a producer
  }
  const Tensor<T> cpu = expr::detail::evaluate(make(), reduction);
  const bool any_grad = cpu.requires_grad();
  if (any_grad) {
    if (reduction == Reduction::None) cpu.backward(g);
    else cpu.backward();
  }

  const std::int64_t n = statement.numel();
  const ops::Program<T>& program = lowered_statement.program;
  const int distinct = distinct_leaves(lowered_statement);
  const auto& first = lowered_statement.first;
  BOOST_TEST(program.leaf_count == distinct);

  std::vector<DeviceBuffer<T>> data, adjoints;
  std::vector<cuda::ProgramLeaf<T>> leaves;
  for (int j = 0; j < distinct; ++j) {
    const Tensor<T>& t = operands[first[j]];
    data.emplace_back(t.detach());
    adjoints.emplace_back(t.numel());
  }
  for (int j = 0; j < distinct; ++j) {
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
  for (int j = 0; j < distinct; ++j) {
    const Tensor<T>& t = operands[first[j]];
    if (!program.leaf_wants_adjoint[j]) continue;
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
  /// Copies of \p cpu's operands on \p device, leaves wanting a gradient where \p cpu's do.
  Operands(const Operands& cpu, const Device& device)
      : a(on(cpu.a, device)), b(on(cpu.b, device)), c(on(cpu.c, device)), d(on(cpu.d, device)),
        x(on(cpu.x, device)), y(on(cpu.y, device)), w(on(cpu.w, device)) {}
  /// Every operand.
  std::array<const Tensor<T>*, 7> all() const { return {&a, &b, &c, &d, &x, &y, &w}; }

 private:
  static Tensor<T> on(const Tensor<T>& t, const Device& device) {
    return t.detach().to(device).requires_grad_(t.requires_grad());
  }
};

const Device kCuda = Device::cuda(0);

/// Runs \p make(operands) as a tensor statement on the CPU and on "cuda" (reduced by \p r,
/// output adjoint \p g for Reduction::None): the device result lives on "cuda" and has the
/// CPU's values; every operand's gradient lives on its device and has the CPU's values (bit
/// for bit for full operands when \p exact, else and for one-element operands within the sum
/// tolerance). The lowered program is checked too (check_lowered).
template <class T, class Make>
void check_statement(const std::string& name, Make make, const Operands<T>& cpu, Reduction r, const Tensor<T>& g,
                     bool exact = true) {
  check_lowered<T>(name + " lowered", [&] { return make(cpu); }, r, g);
  const Operands<T> dev(cpu, kCuda);
  for (const Tensor<T>* t : cpu.all())
    if (t->requires_grad()) t->grad() = Tensor<T>();
  const Tensor<T> expected = expr::detail::evaluate(make(cpu), r);
  const Tensor<T> actual = expr::detail::evaluate(make(dev), r);
  BOOST_TEST(actual.device() == kCuda, name << ": result on " << actual.device());
  if (r == Reduction::None) test::check_same(actual.to_vector(), expected.to_vector(), name + ": device values");
  else test::check_close(actual.to_vector(), expected.to_vector(), name + ": device reduced value");
  if (!expected.requires_grad()) return;
  BOOST_TEST(actual.grad_fn()->name() == expected.grad_fn()->name());
  if (r == Reduction::None) {
    expected.backward(g);
    actual.backward(g.to(kCuda));
  } else {
    expected.backward();
    actual.backward();
  }
  const auto cpu_operands = cpu.all(), dev_operands = dev.all();
  for (std::size_t k = 0; k < cpu_operands.size(); ++k) {
    const Tensor<T>& want = cpu_operands[k]->grad();
    const Tensor<T>& got = dev_operands[k]->grad();
    const std::string what = name + ": device gradient of operand " + std::to_string(k);
    BOOST_TEST_REQUIRE(got.defined() == want.defined(), what << (want.defined() ? " missing" : " unexpected"));
    if (!want.defined()) continue;
    BOOST_TEST(got.device() == kCuda, what << " on " << got.device());
    if (exact && want.numel() > 1) test::check_same(got.to_vector(), want.to_vector(), what);
    else test::check_close(got.to_vector(), want.to_vector(), what);
  }
}

const std::int64_t kSizes[] = {1, 7, 1000};
const Reduction kReductions[] = {Reduction::None, Reduction::Sum, Reduction::Mean};

std::string label(const std::string& what, std::int64_t n, Reduction r) {
  const char* names[] = {"none", "sum", "mean"};
  return what + " (n = " + std::to_string(n) + ", " + names[static_cast<int>(r)] + ")";
}

/// Every case of the tables: \p f(name, make) for each statement.
template <class T, class F>
void for_each_statement(F&& f) {
  using O = Operands<T>;
  f("stage 03", [](const O& o) { return (o.a + o.b * o.x + o.c * o.x.pow(2) + o.d * o.x.pow(3) - o.y).pow(2); });
  f("-w", [](const O& o) { return -o.w; });
  f("sin", [](const O& o) { return o.w.sin(); });
  f("cos", [](const O& o) { return o.w.cos(); });
  f("exp", [](const O& o) { return o.w.exp(); });
  f("log", [](const O& o) { return o.w.log(); });
  f("sqrt", [](const O& o) { return o.w.sqrt(); });
  f("abs", [](const O& o) { return (o.w - 2.5).abs(); });
  f("tanh", [](const O& o) { return o.w.tanh(); });
  f("sigmoid", [](const O& o) { return o.w.sigmoid(); });
  f("relu", [](const O& o) { return (o.w - 2.5).relu(); });
  f("w + s", [](const O& o) { return o.w + 1.25; });
  f("w - s", [](const O& o) { return o.w - 1.25; });
  f("s - w", [](const O& o) { return 1.25 - o.w; });
  f("w * s", [](const O& o) { return o.w * 1.25; });
  f("w / s", [](const O& o) { return o.w / 1.25; });
  f("s / w", [](const O& o) { return 1.25 / o.w; });
  f("a * w / b", [](const O& o) { return o.a * o.w / o.b; });
  f("w * w (a repeated operand)", [](const O& o) { return o.w * o.w; });
  f("a * x + a (a repeated 0-d operand)", [](const O& o) { return o.a * o.x + o.a; });
  f("w ^ 0", [](const O& o) { return (o.w * o.a).pow(0); });
  f("w ^ 1", [](const O& o) { return (o.w * o.a).pow(1); });
  f("w ^ 2", [](const O& o) { return (o.w * o.a).pow(2); });
  f("w ^ 3", [](const O& o) { return (o.w * o.a).pow(3); });
  f("w ^ 0.5", [](const O& o) { return (o.w * o.a).pow(0.5); });
  f("w ^ -1", [](const O& o) { return (o.w * o.a).pow(-1); });
  f("w ^ 2.5", [](const O& o) { return (o.w * o.a).pow(2.5); });
  // the losses fused with their input (nn::functional::huber_loss of an expression); w is the
  // target here, so that both operands want adjoints
  namespace loss = nn::functional::detail;
  f("huber(a + b * x, w)",
    [](const O& o) { return loss::loss_statement(o.a + o.b * o.x, o.w, ops::HuberLoss<T>{T(2.5)}); });
  f("smooth_l1(a + b * x, w)",
    [](const O& o) { return loss::loss_statement(o.a + o.b * o.x, o.w, ops::SmoothL1Loss<T>{T(2.0)}); });
  f("smooth_l1(a + b * x, w), beta 0",
    [](const O& o) { return loss::loss_statement(o.a + o.b * o.x, o.w, ops::SmoothL1Loss<T>{T(0)}); });
}

/// 17 powers of \p x summed: 50 instructions and 34 parameters (limits: 48, 32).
template <class T>
auto sum_of_powers(const Tensor<T>& x) {
  return x.pow(1.5) + x.pow(2) + x.pow(2.5) + x.pow(3) + x.pow(3.5) + x.pow(4) + x.pow(4.5) + x.pow(5) +
         x.pow(0.5) + x.pow(-1) + x.pow(-0.5) + x.pow(-1.5) + x.pow(-2) + x.pow(-2.5) + x.pow(1.25) +
         x.pow(1.75) + x.pow(0.25);
}

/// Nine operands (one more than a program takes): \p v[0] .. v[8].
template <class T>
auto nine_operands(const std::vector<Tensor<T>>& v) {
  return v[0] * v[1] + v[2] * v[3] + v[4] * v[5] + v[6] * v[7] + v[8];
}

std::uint64_t interpreter_launches = 0;
void count_interpreter_launches(const char* kernel) {
  if (std::strncmp(kernel, "fused_", 6) == 0) ++interpreter_launches;
}

}  // namespace

BOOST_AUTO_TEST_CASE_TEMPLATE(every_statement_of_the_table_on_cuda, T, Dtypes) {
  for (const std::int64_t n : kSizes) {
    const Operands<T> cpu(n);
    const Tensor<T> g = test::sample<T>({n}, 0, 14);
    for (const Reduction r : kReductions)
      for_each_statement<T>(
          [&](const std::string& name, auto make) { check_statement<T>(label(name, n, r), make, cpu, r, g); });
  }
}

BOOST_AUTO_TEST_CASE_TEMPLATE(a_repeated_operand_is_one_program_leaf, T, Dtypes) {
  const Operands<T> o(7);
  const auto statement = o.w * o.x + o.w.sin();
  const auto s = lowered(statement);
  BOOST_TEST(distinct_leaves(s) == 2);
  BOOST_TEST(s.leaf[2] == s.leaf[0]);
}

// An exponent given as a double that its cast to float would change: the instruction keeps the
// entry's kernels (General), not those of the float (Sqrt).
BOOST_AUTO_TEST_CASE(pow_keeps_the_kernels_of_the_double_given) {
  const Tensor<float> w = test::sample<float>({33}, 2.5, 17);
  const double e = 0.5000000001;
  const auto statement = w.pow(e);
  const ops::Program<float> p = lowered(statement).program;
  BOOST_TEST(p.size == 2);
  BOOST_TEST(static_cast<int>(p.code[1].pow) == static_cast<int>(ops::PowKind::General));
  check_lowered<float>("w ^ 0.5000000001", [&] { return w.pow(e); }, Reduction::None, w);
}

BOOST_AUTO_TEST_CASE_TEMPLATE(statements_over_the_limits_are_cut_to_fit, T, Dtypes) {
  const std::int64_t n = 7;
  const Operands<T> o(n);
  const auto powers = sum_of_powers(o.w);
  BOOST_TEST(decltype(powers)::leaves == 17);  // 17 reads, 17 powers, 16 sums: 50 instructions, over 48
  BOOST_TEST(lowered(powers).program.size <= ops::Program<T>::kMaxInstructions);
  BOOST_TEST(powers.left().evaluated());  // the bigger operand, evaluated first
  check_lowered<T>("17 powers", [&] { return powers; }, Reduction::Sum, Tensor<T>(), false);

  std::vector<Tensor<T>> v;
  for (int k = 0; k < 9; ++k) v.push_back(test::sample<T>({n}, 0, 20 + k).requires_grad_(true));
  const auto nine = nine_operands(v);
  const auto nine_lowered = lowered(nine);
  BOOST_TEST(nine_lowered.program.leaf_count <= ops::Program<T>::kMaxLeaves);
  BOOST_TEST(nine_lowered.count < 9);  // a subtree evaluated first reads as one operand
  check_lowered<T>("nine operands", [&] { return nine; }, Reduction::None, test::sample<T>({n}, 0, 30), false);
}

BOOST_AUTO_TEST_CASE_TEMPLATE(statements_over_the_limits_run_on_cuda, T, Dtypes) {
  for (const std::int64_t n : kSizes) {
    const Operands<T> cpu(n);
    const Tensor<T> g = test::sample<T>({n}, 0, 31);
    for (const Reduction r : kReductions) {
      // w read 17 times: its adjoints are added in another order than the CPU node's
      check_statement<T>(label("17 powers", n, r), [](const Operands<T>& o) { return sum_of_powers(o.w); }, cpu, r,
                         g, false);
      check_statement<T>(
          label("nine operands", n, r),
          [](const Operands<T>& o) {
            return nine_operands(std::vector<Tensor<T>>{o.a, o.x, o.b, o.w, o.c, o.y, o.d, o.w.detach(), o.x.exp()});
          },
          cpu, r, g);
    }
  }
}

BOOST_AUTO_TEST_CASE_TEMPLATE(stage03_is_two_interpreter_launches, T, Dtypes) {
  const Operands<T> cpu(2001);
  const Operands<T> o(cpu, kCuda);
  interpreter_launches = 0;
  const cuda::LaunchHook previous = cuda::set_launch_hook(&count_interpreter_launches);
  const cuda::LaunchCounter forward;
  const Tensor<T> loss = (o.a + o.b * o.x + o.c * o.x.pow(2) + o.d * o.x.pow(3) - o.y).pow(2).sum();
  const std::uint64_t forward_launches = forward.count();
  loss.backward();
  cuda::set_launch_hook(previous);
  BOOST_TEST_MESSAGE("stage 03 on cuda: " << forward_launches << " launch forward, " << interpreter_launches
                                          << " interpreter launches forward and backward");
  BOOST_TEST(forward_launches == 1u);
  BOOST_TEST(interpreter_launches == 2u);
  for (const Tensor<T>* p : {&o.a, &o.b, &o.c, &o.d}) BOOST_TEST(p->grad().device() == kCuda);
}

BOOST_AUTO_TEST_CASE_TEMPLATE(mse_loss_of_a_statement_on_cuda, T, Dtypes) {
  const Operands<T> cpu(1000);
  const Operands<T> o(cpu, kCuda);
  nn::MSELoss<T> loss(nn::Reduction::Sum);
  const Tensor<T> expected = loss(cpu.a + cpu.b * cpu.x, cpu.y);
  const Tensor<T> actual = loss(o.a + o.b * o.x, o.y);
  BOOST_TEST(actual.grad_fn()->name() == "MseLossBackward0");
  BOOST_TEST(actual.device() == kCuda);
  test::check_close(actual.to_vector(), expected.to_vector(), "MSELoss(sum)");
  expected.backward();
  actual.backward();
  test::check_close(o.a.grad().to_vector(), cpu.a.grad().to_vector(), "MSELoss(sum): gradient of a");
  test::check_close(o.b.grad().to_vector(), cpu.b.grad().to_vector(), "MSELoss(sum): gradient of b");
}

BOOST_AUTO_TEST_CASE_TEMPLATE(huber_and_smooth_l1_of_a_statement_on_cuda, T, Dtypes) {
  const Operands<T> cpu(1000);
  for (const nn::Reduction r : {nn::Reduction::None, nn::Reduction::Sum, nn::Reduction::Mean}) {
    for (const bool huber : {true, false}) {
      for (const Tensor<T>* p : cpu.all())
        if (p->requires_grad()) p->grad() = Tensor<T>();
      const Operands<T> o(cpu, kCuda);
      const Tensor<T> w = cpu.w - T(2.5);  // the target: differences on both branches
      const Tensor<T> target = w.detach().requires_grad_(true);
      const Tensor<T> device_target = w.detach().to(kCuda).requires_grad_(true);
      const std::string what = std::string(huber ? "HuberLoss" : "SmoothL1Loss(beta 0.5)");
      const Tensor<T> expected = huber ? nn::HuberLoss<T>(r, 0.5)(cpu.a + cpu.b * cpu.x, target)
                                       : nn::SmoothL1Loss<T>(r, 0.5)(cpu.a + cpu.b * cpu.x, target);
      const Tensor<T> actual = huber ? nn::HuberLoss<T>(r, 0.5)(o.a + o.b * o.x, device_target)
                                     : nn::SmoothL1Loss<T>(r, 0.5)(o.a + o.b * o.x, device_target);
      BOOST_TEST(actual.grad_fn()->name() == (huber ? "HuberLossBackward0" : "SmoothL1LossBackward0"));
      BOOST_TEST(actual.device() == kCuda);
      test::check_close(actual.to_vector(), expected.to_vector(), what);
      expected.sum().backward();
      actual.sum().backward();
      test::check_close(o.a.grad().to_vector(), cpu.a.grad().to_vector(), what + ": gradient of a");
      test::check_close(o.b.grad().to_vector(), cpu.b.grad().to_vector(), what + ": gradient of b");
      test::check_close(device_target.grad().to_vector(), target.grad().to_vector(), what + ": gradient of the target");
    }
  }
}

BOOST_AUTO_TEST_CASE_TEMPLATE(mixed_devices, T, Dtypes) {
  const Operands<T> cpu(7);
  const Operands<T> o(cpu, kCuda);
  // a full CPU operand among cuda operands is refused, naming both devices
  BOOST_CHECK_EXCEPTION((o.x + cpu.y).eval(), DeviceError, test::mentions({"cuda:0", "cpu"}));
  BOOST_CHECK_EXCEPTION((o.x * 2 + cpu.y.sin()).sum(), DeviceError, test::mentions({"cuda:0", "cpu"}));
  Tensor<T> target = cpu.y.to(kCuda);
  BOOST_CHECK_EXCEPTION(target += cpu.x * 2, DeviceError, test::mentions({"cuda:0", "cpu"}));
  // a 0-d CPU operand joins them (as PyTorch allows); its gradient comes back to the CPU
  const Tensor<T> a = scalar_tensor<T>(T(0.1)).requires_grad_(true);
  const Tensor<T> loss = (a * o.x - o.y).pow(2).sum();
  BOOST_TEST(loss.device() == kCuda);
  loss.backward();
  const Tensor<T> a_cpu = scalar_tensor<T>(T(0.1)).requires_grad_(true);
  const Tensor<T> expected = (a_cpu * cpu.x - cpu.y).pow(2).sum();
  expected.backward();
  test::check_close(loss.to_vector(), expected.to_vector(), "0-d CPU operand: loss");
  BOOST_TEST(a.grad().device() == Device::cpu());
  test::check_close(a.grad().to_vector(), a_cpu.grad().to_vector(), "0-d CPU operand: gradient");
}

BOOST_AUTO_TEST_CASE_TEMPLATE(in_place_update_from_a_statement_on_cuda, T, Dtypes) {
  const Operands<T> cpu(1000);
  Tensor<T> expected = cpu.y.clone();
  expected += cpu.x * 2 + cpu.w.detach().sin();
  Tensor<T> actual = cpu.y.to(kCuda);
  const Tensor<T> x = cpu.x.to(kCuda), w = cpu.w.detach().to(kCuda);
  const cuda::LaunchCounter launches;
  actual += x * 2 + w.sin();
  BOOST_TEST(launches.count() == 1u);
  test::check_same(actual.to_vector(), expected.to_vector(), "y += x * 2 + sin(w)");
}

BOOST_AUTO_TEST_CASE(saved_operand_changed_in_place_is_refused_on_cuda) {
  const Operands<float> cpu(7);
  const Operands<float> o(cpu, kCuda);
  Tensor<float> x = cpu.x.to(kCuda);
  const Tensor<float> loss = (o.a * x.sin()).sum();
  x += 1.0f;
  BOOST_CHECK_THROW(loss.backward(), AutogradError);
}
