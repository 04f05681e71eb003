#define BOOST_TEST_MODULE device_kernels
#include <boost/mpl/list.hpp>
#include <boost/test/unit_test.hpp>

#include <functional>
#include <string>
#include <vector>

#include "device_support.hpp"
#include "eigrad/autograd/grad_mode.hpp"
#include "eigrad/cuda/kernels.hpp"
#include "eigrad/tensor.hpp"

// Every kernel-table entry against the CPU: elementwise values and gradients bit for bit
// (the same op table functors), reductions and matmul within a summation-order tolerance.

using namespace eigrad;
using test::BinaryCase;
using test::DeviceBuffer;
using test::UnaryCase;
using test::binary_cases;
using test::unary_cases;
using Dtypes = boost::mpl::list<float, double>;
using ops::Code;

namespace {

/// The entry's value and gradient on the device against the eager op and its autograd.
template <class T>
void check_unary(const UnaryCase<T>& c, const Shape& shape) {
  const Tensor<T> x = test::sample<T>(shape, c.shift, 11);
  const Tensor<T> g = test::sample<T>(shape, 0, 12);
  const std::int64_t n = numel(shape);
  const DeviceBuffer<T> dx(x), dg(g), dy(n), dgrad(n);
  cuda::unary(c.op, dx.data(), dy.data(), n);
  const Tensor<T> leaf = x.detach().requires_grad_(true);
  const Tensor<T> y = c.cpu(leaf);
  test::check_same(dy.host(), y.to_vector(), c.name + " value");
  cuda::unary_grad(c.op, dg.data(), dx.data(), dy.data(), dgrad.data(), n);
  y.backward(g);
  test::check_same(dgrad.host(), leaf.grad().to_vector(), c.name + " gradient");
}

/// Operand shapes: same shape (odd size), one element, and broadcasts of ranks 2 to 4.
const std::vector<std::pair<Shape, Shape>> kBinaryShapes = {
    {{1001}, {1001}}, {{}, {37}}, {{37}, {}}, {{5, 7}, {7}}, {{3, 1, 5}, {4, 1}}, {{2, 3, 4, 5}, {3, 1, 5}}};

template <class T>
void check_binary(const BinaryCase<T>& c, const Shape& sa, const Shape& sb) {
  const std::string what = c.name + " " + to_string(sa) + " " + to_string(sb);
  const Shape out_shape = broadcast_shapes(sa, sb);
  const std::int64_t n = numel(out_shape);
  const Tensor<T> a = test::sample<T>(sa, c.shift_a, 21), b = test::sample<T>(sb, c.shift_b, 22);
  const Tensor<T> g = test::sample<T>(out_shape, 0, 23);
  const DeviceBuffer<T> da(a), db(b), dg(g), dy(n), dga_full(n), dgb_full(n), dga(numel(sa)), dgb(numel(sb));
  const cuda::Operand<T> oa{da.data(), sa}, ob{db.data(), sb};
  cuda::binary(c.code, oa, ob, dy.data(), out_shape);

  const Tensor<T> la = a.detach().requires_grad_(true), lb = b.detach().requires_grad_(true);
  const Tensor<T> y = c.cpu(la, lb);
  test::check_same(dy.host(), y.to_vector(), what + " value");
  y.backward(g);

  cuda::binary_grad(c.code, 0, dg.data(), oa, ob, dy.data(), dga_full.data(), out_shape);
  cuda::binary_grad(c.code, 1, dg.data(), oa, ob, dy.data(), dgb_full.data(), out_shape);
  cuda::sum_to(dga_full.data(), out_shape, dga.data(), sa);
  cuda::sum_to(dgb_full.data(), out_shape, dgb.data(), sb);
  // Not broadcast: the entry's formula bit for bit; broadcast: summed in another order.
  if (numel(sa) == n)
    test::check_same(dga.host(), la.grad().to_vector(), what + " gradient of a");
  else
    test::check_close(dga.host(), la.grad().to_vector(), what + " gradient of a");
  if (numel(sb) == n)
    test::check_same(dgb.host(), lb.grad().to_vector(), what + " gradient of b");
  else
    test::check_close(dgb.host(), lb.grad().to_vector(), what + " gradient of b");
}

}  // namespace

BOOST_AUTO_TEST_CASE_TEMPLATE(fill_and_copy, T, Dtypes) {
  const std::int64_t n = 1003;
  const DeviceBuffer<T> a(n), b(n);
  cuda::fill(a.data(), n, T(-2.5));
  test::check_same(a.host(), std::vector<T>(n, T(-2.5)), "fill");
  const DeviceBuffer<T> c(test::sample<T>({n}));
  cuda::copy(b.data(), c.data(), n);
  test::check_same(b.host(), c.host(), "copy");
}

BOOST_AUTO_TEST_CASE_TEMPLATE(unary_entries_match_the_cpu, T, Dtypes) {
  for (const auto& c : unary_cases<T>())
    for (const Shape& shape : {Shape{1001}, Shape{}, Shape{3, 5, 7}}) check_unary(c, shape);
}

BOOST_AUTO_TEST_CASE_TEMPLATE(unary_entries_at_special_values, T, Dtypes) {
  const T inf = std::numeric_limits<T>::infinity(), nan = std::numeric_limits<T>::quiet_NaN();
  const std::vector<T> specials = {T(0), T(-0.0), T(1), T(-1), inf, -inf, nan, T(1e-30), T(-2.5), T(0.5)};
  const Tensor<T> x = from_vector<T>(specials, {static_cast<std::int64_t>(specials.size())});
  for (const auto& c : unary_cases<T>()) {
    const std::int64_t n = x.numel();
    const DeviceBuffer<T> dx(x), dy(n), dg(std::vector<T>(specials.size(), T(1))), dgrad(n);
    cuda::unary(c.op, dx.data(), dy.data(), n);
    const Tensor<T> leaf = x.detach().requires_grad_(true);
    const Tensor<T> y = c.cpu(leaf);
    test::check_same(dy.host(), y.to_vector(), c.name + " value at special values");
    cuda::unary_grad(c.op, dg.data(), dx.data(), dy.data(), dgrad.data(), n);
    y.backward(ones<T>(x.shape()));
    test::check_same(dgrad.host(), leaf.grad().to_vector(), c.name + " gradient at special values");
  }
}

BOOST_AUTO_TEST_CASE_TEMPLATE(binary_entries_match_the_cpu, T, Dtypes) {
  for (const auto& c : binary_cases<T>())
    for (const auto& [sa, sb] : kBinaryShapes) check_binary(c, sa, sb);
}

BOOST_AUTO_TEST_CASE(entries_refuse_the_wrong_op_codes) {
  const DeviceBuffer<float> a(4), b(4);
  BOOST_CHECK_THROW(cuda::binary(Code::Sin, cuda::Operand<float>{a.data(), {4}}, cuda::Operand<float>{b.data(), {4}},
                                 a.data(), {4}),
                    ValueError);
  BOOST_CHECK_THROW(cuda::Unary<float>::plain(Code::AddScalar), ValueError);
  BOOST_CHECK_THROW(cuda::Unary<float>::with_scalar(Code::Sin, 1.0f), ValueError);
}

BOOST_AUTO_TEST_CASE_TEMPLATE(sums_match_the_cpu, T, Dtypes) {
  for (const std::int64_t n : {std::int64_t{1}, std::int64_t{7}, std::int64_t{100003}}) {
    const Tensor<T> x = test::sample<T>({n}, 0.5);
    const DeviceBuffer<T> dx(x);
    test::check_close(std::vector<T>{cuda::sum(dx.data(), n)}, x.sum().to_vector(), "sum of " + std::to_string(n));
    const DeviceBuffer<T> into(1);
    cuda::sum_into(dx.data(), n, into.data());
    test::check_same(into.host(), std::vector<T>{cuda::sum(dx.data(), n)}, "sum_into of " + std::to_string(n));
  }
  const DeviceBuffer<T> empty_sum(std::vector<T>{T(5)});
  cuda::sum_into(static_cast<const T*>(nullptr), 0, empty_sum.data());
  test::check_same(empty_sum.host(), std::vector<T>{T(0)}, "sum_into of nothing");
  BOOST_TEST(cuda::sum(static_cast<const T*>(nullptr), 0) == T(0));
  const Shape shape{3, 4, 5, 6};
  const Tensor<T> x = test::sample<T>(shape);
  const DeviceBuffer<T> dx(x);
  for (std::int64_t dim = -4; dim < 4; ++dim) {
    const Tensor<T> cpu = x.sum(dim);
    const DeviceBuffer<T> out(cpu.numel());
    cuda::sum_dim(dx.data(), shape, dim, out.data());
    test::check_close(out.host(), cpu.to_vector(), "sum over dim " + std::to_string(dim));
  }
  for (const Shape& to : {Shape{}, Shape{6}, Shape{1, 5, 1}, Shape{3, 1, 5, 6}, Shape{4, 1, 1}, Shape{3, 4, 5, 6}}) {
    const Tensor<T> cpu = x.sum_to(to);
    const DeviceBuffer<T> out(cpu.numel());
    cuda::sum_to(dx.data(), shape, out.data(), to);
    test::check_close(out.host(), cpu.to_vector(), "sum_to " + to_string(to));
  }
  const DeviceBuffer<T> out(6);
  BOOST_CHECK_THROW(cuda::sum_to(dx.data(), shape, out.data(), Shape{2, 3}), ShapeError);
}

BOOST_AUTO_TEST_CASE_TEMPLATE(matmul_matches_the_cpu, T, Dtypes) {
  for (const auto& [m, k, n] : {std::tuple<int, int, int>{7, 13, 5}, {1, 1, 1}, {33, 1, 9}, {2, 64, 3}}) {
    const Tensor<T> a = test::sample<T>({m, k}, 0, 31), b = test::sample<T>({k, n}, 0, 32);
    const DeviceBuffer<T> da(a), db(b), out(m * n);
    cuda::matmul(da.data(), db.data(), out.data(), m, k, n);
    test::check_close(out.host(), a.matmul(b).to_vector(),
                      "matmul " + std::to_string(m) + "x" + std::to_string(k) + "x" + std::to_string(n));
  }
  const DeviceBuffer<T> out(6);
  cuda::matmul(static_cast<const T*>(nullptr), static_cast<const T*>(nullptr), out.data(), 2, 0, 3);
  test::check_same(out.host(), std::vector<T>(6, T(0)), "matmul with k = 0");
}
