#define BOOST_TEST_MODULE device_ops
// Tensors on "cuda" (issue 12): every row of the op test table (test/support/op_table.hpp) run
// with its operands on the device against the same row on the CPU, values and the gradients of
// the sum, float and double; the factories, copies, in-place updates and errors of device
// tensors. Fusible rows run both through the eager ops (the Eager operand type) and as fused
// statements (test_device_expr.cpp has the statements' own suite).
#include <sstream>

#include "../support/op_table.hpp"
#include "device_support.hpp"
#include "eigrad/autograd/grad_mode.hpp"
#include "eigrad/tensor/compare.hpp"

using namespace eigrad;
using test::check_close;
using test::check_same;

namespace {

const Device gpu = Device::cuda(0);

/// Whether a row is elementwise: no reduction or product in it and every operand of the
/// result's shape. Then every value and gradient is one op table functor per element, the same
/// on both sides; otherwise sums (broadcast gradients, reductions, matmul) add in another order.
bool elementwise(const std::string& name, const std::vector<test::Operand>& operands, const Shape& result) {
  for (const char* reduces : {"sum", "mean", "matmul"})
    if (name.find(reduces) != std::string::npos) return false;
  if (name == "t") return false;
  for (const auto& o : operands)
    if (o.shape != result) return false;
  return true;
}

template <class T>
void compare(const std::vector<T>& device, const std::vector<T>& cpu, bool exact, const std::string& what) {
  if (exact) check_same(device, cpu, what);
  else check_close(device, cpu, what);
}

/// How a row's arithmetic runs: the eager ops (one kernel each) or fused statements.
enum class Mode { Eager, Fused };

/// Row \p c with its operands on the CPU and on the device, in dtype T.
template <class T, Mode M, class Case>
void check_row(const Case& c, std::uint64_t row) {
  std::vector<Tensor<T>> on_cpu, on_gpu;
  for (std::size_t k = 0; k < c.operands.size(); ++k) {
    const Tensor<T> values = test::sample<T>(c.operands[k].shape, c.operands[k].shift, 100 * row + k);
    on_cpu.push_back(values.detach().requires_grad_(true));
    on_gpu.push_back(values.detach().to(gpu).requires_grad_(true));
    BOOST_TEST_REQUIRE(on_gpu.back().is_cuda());
    BOOST_TEST_REQUIRE(on_gpu.back().is_leaf());
  }
  auto run = [&c](const std::vector<Tensor<T>>& in) -> Tensor<T> {
    if constexpr (Case::fusible && M == Mode::Eager) {
      std::vector<test::Eager<T>> operands;
      for (const auto& t : in) operands.push_back({t});
      return c.f(operands).t;
    } else if constexpr (Case::fusible) {  // one statement: one interpreter launch each way
      std::vector<expr::Leaf<T>> leaves;
      for (const auto& t : in) leaves.push_back(expr::lazy(t));
      return c.f(leaves);
    } else {
      return c.f(in);
    }
  };
  const std::string what = c.name + " (" + dtype_name<T>() + (M == Mode::Fused ? ", fused)" : ")");
  const Tensor<T> want = run(on_cpu);
  const Tensor<T> got = run(on_gpu);
  BOOST_TEST_REQUIRE(got.is_cuda(), what << ": the result left the device");
  BOOST_TEST_REQUIRE((got.shape() == want.shape()), what << ": shape " << to_string(got.shape()));
  const bool exact = elementwise(c.name, c.operands, want.shape());
  compare(got.to_vector(), want.to_vector(), exact, what + " value");
  want.sum().backward();
  got.sum().backward();
  for (std::size_t k = 0; k < on_cpu.size(); ++k) {
    const Tensor<T>& g = on_gpu[k].grad();
    BOOST_TEST_REQUIRE(g.defined(), what << ": no gradient for operand " << k);
    BOOST_TEST_REQUIRE(g.is_cuda(), what << ": the gradient of operand " << k << " is on " << g.device());
    // A fused statement adds the adjoints of a leaf read several times in its own order.
    compare(g.to_vector(), on_cpu[k].grad().to_vector(), exact && M == Mode::Eager,
            what + " gradient of operand " + std::to_string(k));
  }
}

}  // namespace

BOOST_AUTO_TEST_CASE(every_row_of_the_op_table_matches_the_cpu) {
  std::uint64_t row = 0;
  int rows = 0;
  test::for_each_op([&](const auto& c) {
    BOOST_TEST_CONTEXT(c.name) {
      check_row<float, Mode::Eager>(c, row);
      check_row<double, Mode::Eager>(c, row);
      if constexpr (std::decay_t<decltype(c)>::fusible) {
        check_row<float, Mode::Fused>(c, row);
        check_row<double, Mode::Fused>(c, row);
      }
    }
    ++row;
    ++rows;
  });
  BOOST_TEST(rows >= 60);
}

BOOST_AUTO_TEST_CASE_TEMPLATE(factories_make_the_cpu_numbers_on_the_device, T, test::Dtypes) {
  const auto same = [](const Tensor<T>& d, const Tensor<T>& c, const std::string& what) {
    BOOST_TEST_REQUIRE(d.is_cuda(), what);
    BOOST_TEST_REQUIRE((d.shape() == c.shape()), what);
    check_same(d.to_vector(), c.to_vector(), what);
  };
  same(zeros<T>({3, 5}, gpu), zeros<T>({3, 5}), "zeros");
  same(ones<T>({7}, gpu), ones<T>({7}), "ones");
  same(full<T>({2, 2}, T(-2.5), gpu), full<T>({2, 2}, T(-2.5)), "full");
  same(scalar_tensor<T>(T(4), gpu), scalar_tensor<T>(T(4)), "scalar_tensor");
  same(from_vector<T>({1, 2, 3, 4, 5, 6}, {2, 3}, gpu), from_vector<T>({1, 2, 3, 4, 5, 6}, {2, 3}), "from_vector");
  same(linspace<T>(-3.14159, 3.14159, 2000, gpu), linspace<T>(-3.14159, 3.14159, 2000), "linspace");
  same(arange<T>(0, 5, 0.5, gpu), arange<T>(0, 5, 0.5), "arange");
  manual_seed(3);
  const Tensor<T> rn_gpu = randn<T>({11}, gpu), ru_gpu = rand<T>({11}, gpu);
  manual_seed(3);
  const Tensor<T> rn_cpu = randn<T>({11}), ru_cpu = rand<T>({11});
  same(rn_gpu, rn_cpu, "randn: the same seed, the same numbers");
  same(ru_gpu, ru_cpu, "rand");
  same(zeros_like(rn_gpu), zeros<T>({11}), "zeros_like keeps the device");
  const Tensor<T> leaf = ones<T>({2}, TensorOptions(gpu).requires_grad(true));
  BOOST_TEST(leaf.requires_grad());
  BOOST_TEST(leaf.is_leaf());
  BOOST_TEST(leaf.is_cuda());
}

BOOST_AUTO_TEST_CASE_TEMPLATE(copies_between_devices_carry_the_gradient_back, T, test::Dtypes) {
  const Tensor<T> x = test::sample<T>({4, 3}).requires_grad_(true);
  const Tensor<T> on_gpu = x.to(gpu);
  BOOST_TEST(on_gpu.is_cuda());
  BOOST_TEST(on_gpu.grad_fn()->name() == "ToCopyBackward0");
  BOOST_TEST(x.to(Device::cpu()).is_same(x));
  const Tensor<T> back = (detail::eager_binary<T, ops::Mul>(on_gpu, on_gpu)).cpu();
  BOOST_TEST(!back.is_cuda());
  back.sum().backward();
  BOOST_TEST_REQUIRE(x.grad().defined());
  BOOST_TEST(!x.grad().is_cuda());
  check_same(x.grad().to_vector(), (x.detach() * T(2)).to_vector(), "d/dx sum(x^2) through two copies");
  // clone, item, to_vector, printing
  const Tensor<T> c = on_gpu.detach().clone();
  BOOST_TEST(c.is_cuda());
  BOOST_TEST(!c.storage().same_buffer(on_gpu.storage()));
  check_same(c.to_vector(), x.detach().to_vector(), "clone");
  BOOST_TEST(scalar_tensor<T>(T(1.5), gpu).item() == T(1.5));
  std::ostringstream printed, expected;
  printed << full<T>({2}, T(3), gpu);
  expected << full<T>({2}, T(3));
  std::string want = expected.str();
  want.insert(want.find(']') + 1, ", device='cuda:0'");  // PyTorch's order: device before dtype
  BOOST_TEST(printed.str() == want);
}

BOOST_AUTO_TEST_CASE_TEMPLATE(in_place_updates_run_on_the_device, T, test::Dtypes) {
  const Tensor<T> a_cpu = test::sample<T>({3, 4}), b_cpu = test::sample<T>({4}, 0.5, 9);
  Tensor<T> a = a_cpu.to(gpu), b = b_cpu.to(gpu);
  Tensor<T> ref = a_cpu.clone();
  a += b;
  ref += b_cpu;
  a *= T(1.5);
  ref *= T(1.5);
  a.add_(b, T(-0.25));
  ref.add_(b_cpu, T(-0.25));
  a /= b;
  ref /= b_cpu;
  a -= T(2);
  ref -= T(2);
  check_same(a.to_vector(), ref.to_vector(), "+= *= add_ /= -= on the device");
  a.copy_(b_cpu);  // across devices, broadcast
  check_same(a.to_vector(), b_cpu.expand({3, 4}).to_vector(), "copy_ from the CPU, broadcast");
  a.fill_(T(7));
  check_same(a.to_vector(), full<T>({3, 4}, T(7)).to_vector(), "fill_");
  a.zero_();
  check_same(a.to_vector(), zeros<T>({3, 4}).to_vector(), "zero_");
  Tensor<T> host = zeros<T>({4});
  host.copy_(b);
  check_same(host.to_vector(), b_cpu.to_vector(), "copy_ from the device");
  manual_seed(5);
  a.normal_();
  manual_seed(5);
  Tensor<T> n = empty<T>({3, 4});
  n.normal_();
  check_same(a.to_vector(), n.to_vector(), "normal_ draws on the host");
}

BOOST_AUTO_TEST_CASE(the_host_cannot_read_device_memory_and_devices_do_not_mix) {
  const Tensor<float> d = ones<float>({2, 3}, gpu);
  const Tensor<float> c = ones<float>({2, 3});
  const auto says = [](std::vector<std::string> parts) { return test::mentions(std::move(parts)); };
  BOOST_CHECK_EXCEPTION(d.data(), DeviceError, says({"data()", "[2, 3]", "cuda:0", "cpu()"}));
  BOOST_CHECK_EXCEPTION(d.array(), DeviceError, says({"cuda:0"}));
  BOOST_TEST(d.data_ptr() != nullptr);
  BOOST_CHECK_EXCEPTION((detail::eager_binary<float, ops::Add>(d, c)), DeviceError, says({"cuda:0", "cpu"}));
  BOOST_CHECK_EXCEPTION(d.matmul(ones<float>({3, 2})), DeviceError, says({"matmul", "cuda:0", "cpu"}));
  Tensor<float> target = zeros<float>({2, 3}, gpu);
  BOOST_CHECK_EXCEPTION(target += c, DeviceError, says({"+=", "cuda:0", "cpu"}));
  BOOST_CHECK_EXCEPTION(d.eq(c), DeviceError, says({"cuda:0", "cpu"}));
}

BOOST_AUTO_TEST_CASE(ops_without_a_kernel_run_on_host_copies_and_stay_recorded) {
  const Tensor<double> x_cpu = test::sample<double>({3, 4}).requires_grad_(true);
  const Tensor<double> x = x_cpu.detach().to(gpu).requires_grad_(true);
  const auto max_gpu = x.max(1);
  const auto max_cpu = x_cpu.max(1);
  BOOST_TEST(max_gpu.first.is_cuda());
  check_same(max_gpu.first.to_vector(), max_cpu.first.to_vector(), "max(1) values");
  check_same(max_gpu.second.to_vector(), max_cpu.second.to_vector(), "max(1) indices");
  const Tensor<double> y_gpu = cat<double>({x, x.transpose(0, 1).reshape({3, 4})}, 1).prod();
  const Tensor<double> y_cpu = cat<double>({x_cpu, x_cpu.transpose(0, 1).reshape({3, 4})}, 1).prod();
  BOOST_TEST(y_gpu.is_cuda());
  check_close(std::vector<double>{y_gpu.item()}, std::vector<double>{y_cpu.item()}, "cat, transpose, prod");
  y_gpu.backward();
  y_cpu.backward();
  BOOST_TEST(x.grad().is_cuda());
  check_close(x.grad().to_vector(), x_cpu.grad().to_vector(), "their gradients");
  const Tensor<double> w = where(x.gt(0.0), x, -x);
  check_same(w.to_vector(), x_cpu.detach().abs().to_vector(), "where and gt");
}
