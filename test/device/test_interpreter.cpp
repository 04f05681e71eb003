#define BOOST_TEST_MODULE device_interpreter
#include <boost/mpl/list.hpp>
#include <boost/test/unit_test.hpp>

#include <cmath>
#include <string>
#include <vector>

#include "device_support.hpp"
#include "eigrad/cuda/kernels.hpp"
#include "eigrad/ops/program.hpp"
#include "eigrad/tensor.hpp"

// The fused-statement interpreter: op-code programs run forward and backward by the one
// precompiled kernel, against the eager CPU ops and autograd.

using namespace eigrad;
using test::DeviceBuffer;
using Dtypes = boost::mpl::list<float, double>;
using ops::Code;
using ops::Program;

namespace {

/// Appends the one-operand entry \p op of value \p a to \p p.
template <class T>
int append_unary(Program<T>& p, const cuda::Unary<T>& op, int a) {
  if (op.code <= Code::Relu) return p.unary(op.code, a);
  if (op.code <= Code::RDivScalar) return p.scalar(op.code, a, op.s);
  if (op.code == Code::PowScalarBase) return p.pow_scalar_base(op.s, a);
  if (op.code == Code::Clamp) return p.clamp(a, op.s, op.s2);
  return p.pow(a, static_cast<double>(op.s));
}

/// A device leaf of a program: its elements and a buffer for its adjoint.
template <class T>
struct DeviceLeaf {
  DeviceBuffer<T> data, adjoint;
  explicit DeviceLeaf(const Tensor<T>& t) : data(t), adjoint(t.numel()) {
    cuda::fill(adjoint.data(), adjoint.size(), T(-7));  // so a missing write shows
  }
  cuda::ProgramLeaf<T> leaf() const { return {data.data(), data.size() == 1, adjoint.data()}; }
};

/// Tutorial stage 03's statement (a + b x + c x^2 + d x^3 - y)^2 summed, with a, b, c, d
/// (leaves 0 to 3, one element each) wanting adjoints and x, y (leaves 4, 5) not.
template <class T>
Program<T> stage03_program() {
  Program<T> p;
  const int a = p.leaf(0, true);
  const int bx = p.binary(Code::Mul, p.leaf(1, true), p.leaf(4));
  const int cx2 = p.binary(Code::Mul, p.leaf(2, true), p.pow(p.leaf(4), 2.0));
  const int dx3 = p.binary(Code::Mul, p.leaf(3, true), p.pow(p.leaf(4), 3.0));
  const int poly = p.binary(Code::Add, p.binary(Code::Add, p.binary(Code::Add, a, bx), cx2), dx3);
  p.pow(p.binary(Code::Sub, poly, p.leaf(5)), 2.0);
  return p;
}

}  // namespace

BOOST_AUTO_TEST_CASE_TEMPLATE(stage03_statement_in_two_launches, T, Dtypes) {
  const std::int64_t n = 2001;
  const Tensor<T> x = linspace<T>(-M_PI, M_PI, n);
  const Tensor<T> y = sin(x);
  std::vector<Tensor<T>> weights;
  for (const double v : {0.1, 0.2, -0.1, 0.05})
    weights.push_back(scalar_tensor<T>(static_cast<T>(v)).requires_grad_(true));
  const Tensor<T> loss = (weights[0] + weights[1] * x + weights[2] * x.pow(2) + weights[3] * x.pow(3) - y).pow(2).sum();
  loss.backward();

  std::vector<DeviceLeaf<T>> device;
  for (const auto& w : weights) device.emplace_back(w.detach());
  device.emplace_back(x);
  device.emplace_back(y);
  std::vector<cuda::ProgramLeaf<T>> leaves;
  for (const auto& d : device) leaves.push_back(d.leaf());
  const DeviceBuffer<T> one(std::vector<T>{T(1)});
  const Program<T> program = stage03_program<T>();

  const cuda::LaunchCounter launches;
  const T device_loss = cuda::run_forward(program, leaves.data(), n, static_cast<T*>(nullptr), true);
  cuda::run_backward(program, leaves.data(), n, cuda::ProgramLeaf<T>{one.data(), true, nullptr});
  BOOST_TEST_MESSAGE("stage 03 statement: " << launches.count() << " launches forward and backward");
  BOOST_TEST(launches.count() <= 3u);
  BOOST_TEST(launches.count() == 2u);  // one transform_reduce each way

  test::check_close(std::vector<T>{device_loss}, loss.to_vector(), "stage 03 loss");
  // the same sum left on the device (the host does not wait for it), in one launch
  const DeviceBuffer<T> device_sum(1);
  const cuda::LaunchCounter forward_into;
  cuda::run_forward_into(program, leaves.data(), n, static_cast<T*>(nullptr), device_sum.data());
  BOOST_TEST(forward_into.count() == 1u);
  test::check_same(device_sum.host(), std::vector<T>{device_loss}, "run_forward_into: the same sum");
  for (int k = 0; k < 4; ++k)
    test::check_close(device[k].adjoint.host(), weights[k].grad().to_vector(),
                      "stage 03 gradient " + std::to_string(k));
  // x and y want no adjoint: their buffers are untouched
  test::check_same(device[4].adjoint.host(), std::vector<T>(n, T(-7)), "x has no adjoint");
}

BOOST_AUTO_TEST_CASE_TEMPLATE(every_unary_entry_fused, T, Dtypes) {
  const Shape shape{257};
  for (const auto& c : test::unary_cases<T>()) {
    const Tensor<T> x = test::sample<T>(shape, c.shift, 51), g = test::sample<T>(shape, 0, 52);
    Program<T> p;
    append_unary(p, c.op, p.leaf(0, true));
    const DeviceLeaf<T> dx(x);
    const DeviceBuffer<T> out(x.numel()), dg(g);
    const auto leaf = dx.leaf();
    cuda::run_forward(p, &leaf, x.numel(), out.data(), false);
    cuda::run_backward(p, &leaf, x.numel(), cuda::ProgramLeaf<T>{dg.data(), false, nullptr});
    const Tensor<T> lx = x.detach().requires_grad_(true);
    const Tensor<T> y = c.cpu(lx);
    y.backward(g);
    test::check_same(out.host(), y.to_vector(), "fused " + c.name + " value");
    test::check_same(dx.adjoint.host(), lx.grad().to_vector(), "fused " + c.name + " adjoint");
  }
}

BOOST_AUTO_TEST_CASE_TEMPLATE(every_binary_entry_fused_with_a_broadcast_leaf, T, Dtypes) {
  const std::int64_t n = 513;
  for (const auto& c : test::binary_cases<T>()) {
    for (const bool scalar_first : {true, false}) {
      const Shape sa = scalar_first ? Shape{} : Shape{n}, sb = scalar_first ? Shape{n} : Shape{};
      const Tensor<T> a = test::sample<T>(sa, c.shift_a, 61), b = test::sample<T>(sb, c.shift_b, 62);
      Program<T> p;
      p.binary(c.code, p.leaf(0, true), p.leaf(1, true));
      const DeviceLeaf<T> da(a), db(b);
      const std::vector<cuda::ProgramLeaf<T>> leaves{da.leaf(), db.leaf()};
      const DeviceBuffer<T> out(n);
      const T total = cuda::run_forward(p, leaves.data(), n, out.data(), true);
      const DeviceBuffer<T> one(std::vector<T>{T(1)});
      cuda::run_backward(p, leaves.data(), n, cuda::ProgramLeaf<T>{one.data(), true, nullptr});

      const Tensor<T> la = a.detach().requires_grad_(true), lb = b.detach().requires_grad_(true);
      const Tensor<T> y = c.cpu(la, lb);
      y.sum().backward();
      const std::string what = "fused " + c.name + (scalar_first ? " (scalar, vector)" : " (vector, scalar)");
      test::check_same(out.host(), y.to_vector(), what + " value");
      test::check_close(std::vector<T>{total}, y.sum().to_vector(), what + " sum");
      const auto exact_or_close = [&](const DeviceLeaf<T>& d, const Tensor<T>& l, const std::string& name) {
        if (l.numel() == 1)
          test::check_close(d.adjoint.host(), l.grad().to_vector(), what + " adjoint of " + name);
        else
          test::check_same(d.adjoint.host(), l.grad().to_vector(), what + " adjoint of " + name);
      };
      exact_or_close(da, la, "a");
      exact_or_close(db, lb, "b");
    }
  }
}

BOOST_AUTO_TEST_CASE_TEMPLATE(a_leaf_read_twice_gets_both_contributions, T, Dtypes) {
  // x * x + 3 / x, with a constant and a vector adjoint, against the eager ops
  const Tensor<T> x = test::sample<T>({99}, 2.0, 71), g = test::sample<T>({99}, 0, 72);
  Program<T> p;
  const int xx = p.binary(Code::Mul, p.leaf(0, true), p.leaf(0, true));
  p.binary(Code::Add, xx, p.binary(Code::Div, p.constant(T(3)), p.leaf(0, true)));
  const DeviceLeaf<T> dx(x);
  const DeviceBuffer<T> dg(g), out(99);
  const auto leaf = dx.leaf();
  cuda::run_forward(p, &leaf, 99, out.data(), false);
  cuda::run_backward(p, &leaf, 99, cuda::ProgramLeaf<T>{dg.data(), false, nullptr});
  const Tensor<T> lx = x.detach().requires_grad_(true);
  const Tensor<T> y = lx * lx + full<T>({99}, T(3)) / lx;
  y.backward(g);
  test::check_same(out.host(), y.to_vector(), "x*x + 3/x value");
  test::check_close(dx.adjoint.host(), lx.grad().to_vector(), "x*x + 3/x adjoint", 1e-6);
}

BOOST_AUTO_TEST_CASE(malformed_programs_are_refused) {
  Program<float> p;
  BOOST_CHECK_THROW(p.unary(Code::Sin, 0), ValueError);  // no earlier value
  const int x = p.leaf(0, true);
  BOOST_CHECK_THROW(p.leaf(0, false), ValueError);  // read with and without an adjoint
  BOOST_CHECK_THROW(p.unary(Code::AddScalar, x), ValueError);
  BOOST_CHECK_THROW(p.scalar(Code::Sin, x, 1.0f), ValueError);
  BOOST_CHECK_THROW(p.binary(Code::Sin, x, x), ValueError);
  BOOST_CHECK_THROW(p.binary(Code::HuberLoss, x, x), ValueError);  // a loss takes its threshold
  BOOST_CHECK_THROW(p.loss(Code::Add, x, x, 1.0f), ValueError);
  BOOST_CHECK_THROW(p.leaf(Program<float>::kMaxLeaves), ValueError);
  p.unary(Code::Sin, x);
  p.unary(Code::Cos, x);  // x used twice: not a tree
  const DeviceBuffer<float> data(std::vector<float>{1, 2});
  const cuda::ProgramLeaf<float> leaf{data.data(), false, data.data()};
  BOOST_CHECK_THROW(cuda::run_forward(p, &leaf, 2, static_cast<float*>(nullptr), true), ValueError);
  Program<float> q;
  q.unary(Code::Exp, q.leaf(0, true));
  const cuda::ProgramLeaf<float> no_adjoint{data.data(), false, nullptr};
  BOOST_CHECK_THROW(cuda::run_backward(q, &no_adjoint, 2, leaf), ValueError);
  Program<float> long_program;
  int v = long_program.leaf(0);
  for (int k = 1; k < Program<float>::kMaxInstructions; ++k) v = long_program.unary(Code::Neg, v);
  BOOST_CHECK_THROW(long_program.unary(Code::Neg, v), ValueError);
}
