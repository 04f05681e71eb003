#define BOOST_TEST_MODULE tensor
#include <boost/test/unit_test.hpp>

#include <boost/mpl/list.hpp>
#include <cmath>
#include <cstdint>
#include <initializer_list>
#include <limits>
#include <sstream>
#include <string>
#include <vector>

#include <Eigen/Core>

#include "eigrad/autograd/grad_mode.hpp"
#include "eigrad/autograd/node.hpp"
#include "eigrad/device.hpp"
#include "eigrad/random.hpp"
#include "eigrad/tensor.hpp"

// The tensor layer on the CPU, for float and double: construction, every operation's values
// (broadcasting and error cases included), views sharing storage, in-place updates, zero-copy
// Eigen interop, devices and PyTorch's repr. Expected values are worked out by hand (or from
// the same formula in T), never read back from the implementation.

using namespace eigrad;

namespace {

using Types = boost::mpl::list<float, double>;

constexpr double kPi = 3.141592653589793;

// ---------------------------------------------------------------------------- helpers
/// Checks shape and every element exactly (expected values are converted to T first).
template <class T>
void expect_exact(const Tensor<T>& t, const Shape& shape, const std::vector<T>& expected) {
  BOOST_TEST_REQUIRE(t.defined());
  BOOST_TEST(to_string(t.shape()) == to_string(shape));
  BOOST_TEST_REQUIRE(t.numel() == static_cast<std::int64_t>(expected.size()));
  for (std::size_t i = 0; i < expected.size(); ++i)
    BOOST_TEST(t.data()[i] == expected[i], "element " << i << ": got " << t.data()[i] << ", expected "
                                                      << expected[i]);
}

/// Checks shape and every element within \p ulps units of T's epsilon, relative to max(1, |expected|).
template <class T>
void expect_close(const Tensor<T>& t, const Shape& shape, const std::vector<double>& expected, double ulps = 4) {
  BOOST_TEST_REQUIRE(t.defined());
  BOOST_TEST(to_string(t.shape()) == to_string(shape));
  BOOST_TEST_REQUIRE(t.numel() == static_cast<std::int64_t>(expected.size()));
  const double eps = std::numeric_limits<T>::epsilon();
  for (std::size_t i = 0; i < expected.size(); ++i) {
    const double got = t.data()[i], want = expected[i];
    if (std::isnan(want)) {
      BOOST_TEST(std::isnan(got), "element " << i << ": got " << got << ", expected nan");
    } else if (std::isinf(want)) {
      BOOST_TEST(got == want, "element " << i << ": got " << got << ", expected " << want);
    } else {
      BOOST_TEST(std::abs(got - want) <= ulps * eps * std::max(1.0, std::abs(want)),
                 "element " << i << ": got " << got << ", expected " << want);
    }
  }
}

/// Predicate for BOOST_CHECK_EXCEPTION: the message contains every given fragment.
struct Mentions {
  std::vector<std::string> parts;
  bool operator()(const std::exception& e) const {
    const std::string what = e.what();
    for (const auto& p : parts) {
      if (what.find(p) == std::string::npos) {
        BOOST_TEST_MESSAGE("message \"" << what << "\" does not mention \"" << p << "\"");
        return false;
      }
    }
    return true;
  }
};
Mentions mentions(std::initializer_list<std::string> parts) { return Mentions{parts}; }

template <class T>
std::string repr(const Tensor<T>& t) {
  std::ostringstream os;
  os << t;
  return os.str();
}

/// 0, 1, ..., n-1 in T.
template <class T>
std::vector<T> iota(std::int64_t n, T start = 0) {
  std::vector<T> v;
  for (std::int64_t i = 0; i < n; ++i) v.push_back(start + static_cast<T>(i));
  return v;
}

}  // namespace

// ============================================================================ construction
BOOST_AUTO_TEST_SUITE(construction)

BOOST_AUTO_TEST_CASE_TEMPLATE(braced_list_rank1, T, Types) {
  Tensor<T> t{1, 2, 3};
  BOOST_TEST(t.defined());
  BOOST_TEST(t.dim() == 1);
  BOOST_TEST(t.numel() == 3);
  BOOST_TEST(t.size(0) == 3);
  BOOST_TEST(t.size(-1) == 3);
  BOOST_TEST(t.device().is_cpu());
  BOOST_TEST(!t.requires_grad());
  BOOST_TEST(t.is_leaf());
  BOOST_TEST(t.storage_offset() == 0);
  expect_exact<T>(t, {3}, {1, 2, 3});
  BOOST_TEST((t.to_vector() == std::vector<T>{1, 2, 3}));

  Tensor<T> one{T(0.25)};
  expect_exact<T>(one, {1}, {0.25});
}

BOOST_AUTO_TEST_CASE_TEMPLATE(undefined_tensor, T, Types) {
  const Tensor<T> u;
  BOOST_TEST(!u.defined());
  BOOST_TEST(!u.requires_grad());
  BOOST_CHECK_THROW(u.shape(), ValueError);
  BOOST_CHECK_THROW(u.numel(), ValueError);
  BOOST_CHECK_THROW(u.data(), ValueError);
  BOOST_CHECK_THROW(u + u, ValueError);
  BOOST_CHECK_THROW(u.sum(), ValueError);
}

BOOST_AUTO_TEST_CASE_TEMPLATE(braced_list_rank2, T, Types) {
  Tensor<T> m{{1, 2, 3}, {4, 5, 6}};
  BOOST_TEST(m.dim() == 2);
  BOOST_TEST(m.size(0) == 2);
  BOOST_TEST(m.size(1) == 3);
  BOOST_TEST(m.size(-2) == 2);
  expect_exact<T>(m, {2, 3}, {1, 2, 3, 4, 5, 6});  // row-major

  Tensor<T> row{{7, 8, 9}};
  expect_exact<T>(row, {1, 3}, {7, 8, 9});

  // A column cannot be spelled {{1}, {2}} (ambiguous with the rank-1 list); it is built by unsqueeze.
  expect_exact<T>(Tensor<T>{1, 2}.unsqueeze(1), {2, 1}, {1, 2});
}

BOOST_AUTO_TEST_CASE_TEMPLATE(braced_list_ragged_is_shape_error, T, Types) {
  BOOST_CHECK_THROW((Tensor<T>{{1, 2}, {3}}), ShapeError);
  BOOST_CHECK_THROW((Tensor<T>{{1, 2, 3}, {4, 5, 6}, {7, 8}}), ShapeError);
  BOOST_CHECK_EXCEPTION((Tensor<T>{{1}, {2, 3}}), ShapeError, mentions({"ragged"}));
}

BOOST_AUTO_TEST_CASE_TEMPLATE(size_of_bad_dim_is_value_error, T, Types) {
  Tensor<T> m{{1, 2, 3}, {4, 5, 6}};
  BOOST_CHECK_THROW(m.size(2), ValueError);
  BOOST_CHECK_THROW(m.size(-3), ValueError);
}

BOOST_AUTO_TEST_CASE_TEMPLATE(zeros_ones_full, T, Types) {
  expect_exact<T>(zeros<T>({2, 3}), {2, 3}, std::vector<T>(6, 0));
  expect_exact<T>(ones<T>({4}), {4}, std::vector<T>(4, 1));
  expect_exact<T>(full<T>({3, 1}, T(2.5)), {3, 1}, std::vector<T>(3, 2.5));
  expect_exact<T>(ones<T>({1, 2, 3, 4}), {1, 2, 3, 4}, std::vector<T>(24, 1));

  // Rank 0: one element, no dimensions.
  const Tensor<T> z = zeros<T>({});
  BOOST_TEST(z.dim() == 0);
  BOOST_TEST(z.numel() == 1);
  BOOST_TEST(z.item() == T(0));
  const Tensor<T> s = scalar_tensor<T>(T(-1.5));
  BOOST_TEST(s.dim() == 0);
  BOOST_TEST(s.numel() == 1);
  BOOST_TEST(s.item() == T(-1.5));
  BOOST_TEST(full<T>({}, T(7)).item() == T(7));

  const Tensor<T> like = Tensor<T>{{1, 2}, {3, 4}};
  expect_exact<T>(zeros_like(like), {2, 2}, {0, 0, 0, 0});
  expect_exact<T>(ones_like(like), {2, 2}, {1, 1, 1, 1});

  const Tensor<T> e = empty<T>({3, 2});
  BOOST_TEST(to_string(e.shape()) == "[3, 2]");
  BOOST_TEST(e.numel() == 6);
}

BOOST_AUTO_TEST_CASE_TEMPLATE(empty_shapes, T, Types) {
  for (const Shape& shape : {Shape{0}, Shape{2, 0}, Shape{2, 0, 3}, Shape{0, 1, 1, 1}}) {
    const Tensor<T> z = zeros<T>(shape);
    BOOST_TEST(to_string(z.shape()) == to_string(shape));
    BOOST_TEST(z.numel() == 0);
    BOOST_TEST(z.to_vector().empty());
    BOOST_TEST(ones<T>(shape).numel() == 0);
    BOOST_TEST(full<T>(shape, T(3)).numel() == 0);
    BOOST_TEST(empty<T>(shape).numel() == 0);
  }
}

BOOST_AUTO_TEST_CASE_TEMPLATE(factory_options, T, Types) {
  const Tensor<T> a = zeros<T>({2}, TensorOptions().requires_grad(true));
  BOOST_TEST(a.requires_grad());
  BOOST_TEST(a.is_leaf());
  BOOST_TEST(!a.grad_fn());
  BOOST_TEST(ones<T>({2}, TensorOptions().requires_grad(true)).requires_grad());
  BOOST_TEST(!ones<T>({2}, Device::cpu()).requires_grad());
  BOOST_TEST(full<T>({2}, T(1), TensorOptions().requires_grad(true)).requires_grad());
  BOOST_TEST(linspace<T>(0, 1, 3, TensorOptions().requires_grad(true)).requires_grad());
  BOOST_TEST(randn<T>({3}, TensorOptions().requires_grad(true)).requires_grad());
  BOOST_TEST(from_vector<T>({1, 2}, {2}, TensorOptions().requires_grad(true)).requires_grad());
  BOOST_TEST(scalar_tensor<T>(T(1), TensorOptions().requires_grad(true)).requires_grad());
}

BOOST_AUTO_TEST_CASE_TEMPLATE(rank_above_eight_is_shape_error, T, Types) {
  const Shape nine_dims{1, 2, 1, 1, 1, 1, 1, 1, 3};  // nine dimensions
  BOOST_CHECK_EXCEPTION(zeros<T>(nine_dims), ShapeError, mentions({"[1, 2, 1, 1, 1, 1, 1, 1, 3]"}));
  BOOST_CHECK_THROW(ones<T>(nine_dims), ShapeError);
  BOOST_CHECK_THROW(full<T>(nine_dims, T(1)), ShapeError);
  BOOST_CHECK_THROW(empty<T>(nine_dims), ShapeError);
  BOOST_CHECK_THROW(randn<T>(nine_dims), ShapeError);
  BOOST_CHECK_THROW(rand<T>(nine_dims), ShapeError);
  BOOST_CHECK_THROW(from_vector<T>(std::vector<T>(6, 1), nine_dims), ShapeError);
  // Views cannot exceed the rank either.
  const Tensor<T> eight_dims = ones<T>({1, 2, 1, 1, 1, 1, 1, 3});
  BOOST_CHECK_THROW(eight_dims.reshape(nine_dims), ShapeError);
  BOOST_CHECK_THROW(eight_dims.unsqueeze(0), ShapeError);
  BOOST_CHECK_THROW(eight_dims.unsqueeze(-1), ShapeError);
}

BOOST_AUTO_TEST_CASE_TEMPLATE(negative_extent_is_shape_error, T, Types) {
  BOOST_CHECK_EXCEPTION(zeros<T>({2, -1}), ShapeError, mentions({"[2, -1]"}));
  BOOST_CHECK_THROW(ones<T>({-3}), ShapeError);
  BOOST_CHECK_THROW(full<T>({-1, -1}, T(0)), ShapeError);
  BOOST_CHECK_THROW(empty<T>({-2}), ShapeError);
  BOOST_CHECK_THROW(randn<T>({-2}), ShapeError);
}

BOOST_AUTO_TEST_CASE_TEMPLATE(from_vector_values_and_mismatch, T, Types) {
  expect_exact<T>(from_vector<T>({1, 2, 3, 4, 5, 6}, {3, 2}), {3, 2}, {1, 2, 3, 4, 5, 6});
  expect_exact<T>(from_vector<T>({9}, {}), {}, {9});
  expect_exact<T>(from_vector<T>({}, {0, 4}), {0, 4}, {});
  BOOST_CHECK_EXCEPTION(from_vector<T>({1, 2, 3}, {2, 2}), ShapeError, mentions({"[2, 2]", "3"}));
  BOOST_CHECK_THROW(from_vector<T>({1, 2}, {}), ShapeError);
  // The tensor owns a copy.
  std::vector<T> src{1, 2};
  Tensor<T> t = from_vector<T>(src, {2});
  src[0] = 100;
  BOOST_TEST(t.data()[0] == T(1));
}

BOOST_AUTO_TEST_CASE_TEMPLATE(storage_offset_constructor, T, Types) {
  Storage<T> storage(6);
  for (int i = 0; i < 6; ++i) storage.data()[i] = static_cast<T>(i);
  Tensor<T> t(storage, {2, 2}, 2);
  BOOST_TEST(t.storage_offset() == 2);
  expect_exact<T>(t, {2, 2}, {2, 3, 4, 5});
  BOOST_TEST(t.storage().same_buffer(storage));
  BOOST_CHECK_THROW((Tensor<T>(storage, {2, 2}, 3)), ShapeError);  // runs past the end
  BOOST_CHECK_THROW((Tensor<T>(storage, {7})), ShapeError);
  BOOST_CHECK_THROW((Tensor<T>(storage, {1}, -1)), ShapeError);
}

BOOST_AUTO_TEST_CASE_TEMPLATE(arange_values, T, Types) {
  expect_exact<T>(arange<T>(5), {5}, {0, 1, 2, 3, 4});
  expect_exact<T>(arange<T>(2, 5), {3}, {2, 3, 4});
  expect_exact<T>(arange<T>(1, 2, 0.25), {4}, {1, 1.25, 1.5, 1.75});
  expect_exact<T>(arange<T>(5, 0, -1.5), {4}, {5, 3.5, 2, 0.5});
  expect_exact<T>(arange<T>(-3, 3, 2), {3}, {-3, -1, 1});
  expect_exact<T>(arange<T>(0, 0), {0}, {});
  expect_exact<T>(arange<T>(0.5), {1}, {0});
  BOOST_TEST(arange<T>(0, 1, 0.1).numel() == 10);
  BOOST_TEST(arange<T>(1000).numel() == 1000);
}

BOOST_AUTO_TEST_CASE_TEMPLATE(arange_errors, T, Types) {
  BOOST_CHECK_THROW(arange<T>(0, 1, 0), ValueError);
  BOOST_CHECK_THROW(arange<T>(0, 10, 0), ValueError);
  BOOST_CHECK_THROW(arange<T>(0, -1, 1), ValueError);  // step sign disagrees with the range
  BOOST_CHECK_THROW(arange<T>(5, 10, -1), ValueError);
  BOOST_CHECK_THROW(arange<T>(-2), ValueError);
  BOOST_CHECK_THROW(arange<T>(0, std::numeric_limits<double>::infinity(), 1), ValueError);
}

BOOST_AUTO_TEST_CASE_TEMPLATE(linspace_edge_cases, T, Types) {
  expect_exact<T>(linspace<T>(0, 1, 0), {0}, {});
  expect_exact<T>(linspace<T>(2, 5, 1), {1}, {2});
  expect_exact<T>(linspace<T>(-1, 1, 2), {2}, {-1, 1});
  expect_exact<T>(linspace<T>(0, 1, 5), {5}, {0, 0.25, 0.5, 0.75, 1});
  expect_exact<T>(linspace<T>(5, 0, 6), {6}, {5, 4, 3, 2, 1, 0});  // decreasing
  expect_exact<T>(linspace<T>(3, 3, 4), {4}, {3, 3, 3, 3});        // constant
  // Long enough for the vectorised chunks; every value is an exact integer.
  expect_exact<T>(linspace<T>(0, 32, 33), {33}, iota<T>(33));
  expect_exact<T>(linspace<T>(-16, 16, 33), {33}, iota<T>(33, T(-16)));
  BOOST_CHECK_THROW(linspace<T>(0, 1, -1), ValueError);
}

BOOST_AUTO_TEST_CASE_TEMPLATE(linspace_pi_shape_and_spacing, T, Types) {
  const Tensor<T> x = linspace<T>(-kPi, kPi, 2000);
  BOOST_TEST(to_string(x.shape()) == "[2000]");
  BOOST_TEST(x.data()[0] == static_cast<T>(-kPi));
  BOOST_TEST(x.data()[1999] == static_cast<T>(kPi));
  const double h = 2 * kPi / 1999;
  const double eps = std::numeric_limits<T>::epsilon();
  for (int i = 0; i < 2000; ++i)
    BOOST_TEST(std::abs(x.data()[i] - (-kPi + i * h)) <= 8 * eps, "linspace element " << i);
  for (int i = 1; i < 2000; ++i) BOOST_TEST(x.data()[i] > x.data()[i - 1], "linspace increasing at " << i);
  // (Bit-exact agreement with PyTorch is test_linspace's job, against the golden values.)
}

BOOST_AUTO_TEST_CASE_TEMPLATE(random_is_reproducible, T, Types) {
  manual_seed(1234);
  const Tensor<T> a = randn<T>({3, 4});
  const Tensor<T> u = rand<T>({5});
  manual_seed(1234);
  const Tensor<T> b = randn<T>({3, 4});
  const Tensor<T> v = rand<T>({5});
  BOOST_TEST(to_string(a.shape()) == "[3, 4]");
  BOOST_TEST(a.to_vector() == b.to_vector());
  BOOST_TEST(u.to_vector() == v.to_vector());
  manual_seed(1235);
  BOOST_TEST(randn<T>({3, 4}).to_vector() != a.to_vector());
  // Successive draws differ.
  manual_seed(1234);
  const Tensor<T> c = randn<T>({3, 4});
  BOOST_TEST(randn<T>({3, 4}).to_vector() != c.to_vector());
  // The in-place fills draw from the same generator.
  manual_seed(77);
  Tensor<T> p = empty<T>({6});
  p.normal_();
  manual_seed(77);
  Tensor<T> q = empty<T>({6});
  q.normal_();
  BOOST_TEST(p.to_vector() == q.to_vector());
}

BOOST_AUTO_TEST_CASE_TEMPLATE(random_statistics, T, Types) {
  // Loose bounds: each is several standard errors wide for 10000 draws.
  manual_seed(2024);
  const Tensor<T> u = rand<T>({100, 100});
  BOOST_TEST(u.numel() == 10000);
  T lo = 1, hi = 0;
  for (T v : u.to_vector()) {
    lo = std::min(lo, v);
    hi = std::max(hi, v);
  }
  BOOST_TEST(lo >= T(0));
  BOOST_TEST(hi < T(1));
  const double umean = u.mean().item();
  const double ustd = std::sqrt((u - static_cast<T>(umean)).pow(2).mean().item());
  BOOST_TEST(std::abs(umean - 0.5) < 0.02, "rand mean " << umean);
  BOOST_TEST(std::abs(ustd - std::sqrt(1.0 / 12)) < 0.02, "rand std " << ustd);

  const Tensor<T> n = randn<T>({10000});
  const double nmean = n.mean().item();
  const double nstd = std::sqrt((n - static_cast<T>(nmean)).pow(2).mean().item());
  BOOST_TEST(std::abs(nmean) < 0.05, "randn mean " << nmean);
  BOOST_TEST(std::abs(nstd - 1) < 0.05, "randn std " << nstd);
  int beyond_two_sigma = 0;
  for (T v : n.to_vector()) beyond_two_sigma += std::abs(v) > 2;
  BOOST_TEST(beyond_two_sigma > 350);  // expected 455
  BOOST_TEST(beyond_two_sigma < 560);

  Tensor<T> w = empty<T>({10000});
  w.uniform_(T(-2), T(3));
  BOOST_TEST(w.array().minCoeff() >= T(-2));
  BOOST_TEST(w.array().maxCoeff() < T(3));
  BOOST_TEST(std::abs(w.mean().item() - 0.5) < 0.1);
  w.normal_(T(5), T(2));
  const double wmean = w.mean().item();
  BOOST_TEST(std::abs(wmean - 5) < 0.1);
  BOOST_TEST(std::abs(std::sqrt((w - static_cast<T>(wmean)).pow(2).mean().item()) - 2) < 0.1);
}

BOOST_AUTO_TEST_SUITE_END()

// ============================================================================ shape helpers
BOOST_AUTO_TEST_SUITE(shapes)

BOOST_AUTO_TEST_CASE(numel_strides_text) {
  BOOST_TEST(numel({}) == 1);
  BOOST_TEST(numel({2, 0, 3}) == 0);
  BOOST_TEST(numel({2, 3, 4}) == 24);
  BOOST_TEST((contiguous_strides({2, 3, 4}) == Shape{12, 4, 1}));
  BOOST_TEST((contiguous_strides({5}) == Shape{1}));
  BOOST_TEST(contiguous_strides({}).empty());
  BOOST_TEST(to_string({}) == "[]");
  BOOST_TEST(to_string({2000, 3}) == "[2000, 3]");
}

BOOST_AUTO_TEST_CASE(shape_is_a_vector_kept_inline_up_to_the_maximum_rank) {
  Shape s{2, 3};
  BOOST_TEST(s.capacity() == static_cast<std::size_t>(kMaxRank));
  s.insert(s.begin() + 1, 7);
  s.push_back(5);
  BOOST_TEST((s == Shape{2, 7, 3, 5}));
  s.erase(s.begin());
  BOOST_TEST((s == std::vector<std::int64_t>{7, 3, 5}));
  BOOST_TEST((std::vector<std::int64_t>{7, 3, 5} == s));
  const std::vector<std::int64_t> as_vector = s;
  BOOST_TEST(as_vector.size() == 3u);
  // Past kMaxRank the values move to the heap; copies, moves and edits keep every value.
  Shape long_list(kMaxRank, 1);
  for (std::int64_t i = 0; i < 20; ++i) long_list.push_back(i);
  BOOST_TEST(long_list.size() == static_cast<std::size_t>(kMaxRank) + 20);
  BOOST_TEST(long_list.back() == 19);
  Shape copy = long_list;
  Shape moved = std::move(long_list);
  BOOST_TEST((copy == moved));
  BOOST_TEST(long_list.empty());  // NOLINT(bugprone-use-after-move): a moved-from shape is empty
  moved.insert(moved.begin(), moved.end() - 2, moved.end());  // a range of itself
  BOOST_TEST(moved.front() == 18);
  BOOST_TEST(moved[1] == 19);
  BOOST_TEST(moved.size() == copy.size() + 2);
  moved.resize(2);
  BOOST_TEST((moved == Shape{18, 19}));
  Shape inline_after_heap = std::move(copy);
  inline_after_heap = Shape{4};
  BOOST_TEST((inline_after_heap == Shape{4}));
  BOOST_CHECK_THROW(inline_after_heap.at(1), std::out_of_range);
  // check_shape still refuses a rank above kMaxRank, naming it.
  BOOST_CHECK_EXCEPTION(check_shape(Shape(kMaxRank + 1, 1)), ShapeError, mentions({"rank 9"}));
  BOOST_CHECK_EXCEPTION(zeros<float>(Shape(kMaxRank + 1, 1)), ShapeError, mentions({"rank 9"}));
}

BOOST_AUTO_TEST_CASE(broadcast_shapes_rules) {
  BOOST_TEST((broadcast_shapes({3}, {2, 1}) == Shape{2, 3}));
  BOOST_TEST((broadcast_shapes({2, 1, 3}, {4, 1}) == Shape{2, 4, 3}));
  BOOST_TEST((broadcast_shapes({}, {2, 3}) == Shape{2, 3}));
  BOOST_TEST((broadcast_shapes({2000, 1}, {3}) == Shape{2000, 3}));
  BOOST_TEST((broadcast_shapes({1}, {0}) == Shape{0}));
  BOOST_TEST((broadcast_shapes({}, {}) == Shape{}));
  BOOST_CHECK_EXCEPTION(broadcast_shapes({2, 3}, {4, 3}), ShapeError, mentions({"[2, 3]", "[4, 3]"}));
  BOOST_CHECK_EXCEPTION(broadcast_shapes({0}, {3}), ShapeError, mentions({"[0]", "[3]"}));
}

BOOST_AUTO_TEST_CASE(wrap_dim_and_check_shape) {
  BOOST_TEST(wrap_dim(-1, 3) == 2);
  BOOST_TEST(wrap_dim(-3, 3) == 0);
  BOOST_TEST(wrap_dim(2, 3) == 2);
  BOOST_TEST(wrap_dim(0, 0) == 0);  // a scalar accepts 0 and -1, as in PyTorch
  BOOST_TEST(wrap_dim(-1, 0) == 0);
  BOOST_CHECK_EXCEPTION(wrap_dim(3, 3), ValueError, mentions({"3"}));
  BOOST_CHECK_THROW(wrap_dim(-4, 3), ValueError);
  BOOST_CHECK_THROW(wrap_dim(1, 0), ValueError);
  BOOST_CHECK_NO_THROW(check_shape({1, 2, 3, 4}));
  BOOST_CHECK_NO_THROW(check_shape({0}));
  BOOST_CHECK_NO_THROW(check_shape({1, 1, 1, 1, 1, 1, 1, 1}));
  BOOST_CHECK_THROW(check_shape({1, 1, 1, 1, 1, 1, 1, 1, 1}), ShapeError);
  BOOST_CHECK_THROW(check_shape({3, -1}), ShapeError);
}

BOOST_AUTO_TEST_SUITE_END()

// ============================================================================ elementwise arithmetic
BOOST_AUTO_TEST_SUITE(arithmetic)

BOOST_AUTO_TEST_CASE_TEMPLATE(tensor_tensor_same_shape, T, Types) {
  const Tensor<T> a{1, 2, 3, 4};
  const Tensor<T> b{2, 4, 8, 16};
  expect_exact<T>(a + b, {4}, {3, 6, 11, 20});
  expect_exact<T>(a - b, {4}, {-1, -2, -5, -12});
  expect_exact<T>(b - a, {4}, {1, 2, 5, 12});
  expect_exact<T>(a * b, {4}, {2, 8, 24, 64});
  expect_exact<T>(a / b, {4}, {T(1) / T(2), T(2) / T(4), T(3) / T(8), T(4) / T(16)});
  expect_exact<T>(b / a, {4}, {2, 2, T(8) / T(3), 4});
  expect_exact<T>(-a, {4}, {-1, -2, -3, -4});
  // Inputs are untouched.
  expect_exact<T>(a, {4}, {1, 2, 3, 4});
  // Rank 2.
  const Tensor<T> m{{1, 2}, {3, 4}};
  expect_exact<T>(m * m, {2, 2}, {1, 4, 9, 16});
  expect_exact<T>(m - m, {2, 2}, {0, 0, 0, 0});
}

BOOST_AUTO_TEST_CASE_TEMPLATE(tensor_scalar_both_sides, T, Types) {
  const Tensor<T> a{1, 2, 4, 5};
  expect_exact<T>(a + 2, {4}, {3, 4, 6, 7});
  expect_exact<T>(2 + a, {4}, {3, 4, 6, 7});
  expect_exact<T>(a - 2, {4}, {-1, 0, 2, 3});
  expect_exact<T>(2 - a, {4}, {1, 0, -2, -3});
  expect_exact<T>(a * 3, {4}, {3, 6, 12, 15});
  expect_exact<T>(3 * a, {4}, {3, 6, 12, 15});
  // Division by a scalar is a true division (not a multiplication by the reciprocal).
  expect_exact<T>(a / 3, {4}, {T(1) / T(3), T(2) / T(3), T(4) / T(3), T(5) / T(3)});
  expect_exact<T>(a / T(10), {4}, {T(1) / T(10), T(2) / T(10), T(4) / T(10), T(5) / T(10)});
  expect_exact<T>(4 / a, {4}, {4, 2, 1, T(4) / T(5)});
  // Scalars of other arithmetic types are converted to T.
  expect_exact<T>(a * 0.5, {4}, {0.5, 1, 2, 2.5});
  expect_exact<T>(a + 1.5f, {4}, {2.5, 3.5, 5.5, 6.5});
  expect_exact<T>(std::int64_t{2} * a, {4}, {2, 4, 8, 10});
  // Free-function spellings.
  expect_exact<T>(add_scalar(a, T(1)), {4}, {2, 3, 5, 6});
  expect_exact<T>(mul_scalar(a, T(-1)), {4}, {-1, -2, -4, -5});
  expect_exact<T>(div_scalar(a, T(2)), {4}, {0.5, 1, 2, 2.5});
  expect_exact<T>(rsub_scalar(a, T(10)), {4}, {9, 8, 6, 5});
  expect_exact<T>(rdiv_scalar(a, T(20)), {4}, {20, 10, 5, 4});
  // Division by zero follows IEEE.
  const Tensor<T> q = Tensor<T>{1, -1, 0} / 0;
  BOOST_TEST(std::isinf(q.data()[0]));
  BOOST_TEST(q.data()[0] > 0);
  BOOST_TEST(std::isinf(q.data()[1]));
  BOOST_TEST(q.data()[1] < 0);
  BOOST_TEST(std::isnan(q.data()[2]));
}

BOOST_AUTO_TEST_CASE_TEMPLATE(rank0_scalar_tensors, T, Types) {
  const Tensor<T> s = scalar_tensor<T>(10);
  const Tensor<T> m{{1, 2, 3}, {4, 5, 6}};
  expect_exact<T>(s * m, {2, 3}, {10, 20, 30, 40, 50, 60});
  expect_exact<T>(m - s, {2, 3}, {-9, -8, -7, -6, -5, -4});
  expect_exact<T>(s - m, {2, 3}, {9, 8, 7, 6, 5, 4});
  expect_exact<T>(s / Tensor<T>{2, 4, 5}, {3}, {5, 2.5, 2});
  expect_exact<T>(s + s, {}, {20});
  expect_exact<T>(s * scalar_tensor<T>(0.5), {}, {5});
  expect_exact<T>(s + zeros<T>({0}), {0}, {});
  expect_exact<T>(s + ones<T>({1, 1, 1, 2}), {1, 1, 1, 2}, {11, 11});
}

BOOST_AUTO_TEST_CASE_TEMPLATE(broadcast_row_with_column, T, Types) {
  const Tensor<T> row{1, 2, 3};                        // [3]
  const Tensor<T> col = Tensor<T>{10, 20}.unsqueeze(1);  // [2, 1]
  expect_exact<T>(row + col, {2, 3}, {11, 12, 13, 21, 22, 23});
  expect_exact<T>(col + row, {2, 3}, {11, 12, 13, 21, 22, 23});
  expect_exact<T>(col - row, {2, 3}, {9, 8, 7, 19, 18, 17});
  expect_exact<T>(row * col, {2, 3}, {10, 20, 30, 20, 40, 60});
  expect_exact<T>(col / row, {2, 3}, {10, 5, T(10) / T(3), 20, 10, T(20) / T(3)});
  // A [1, 3] row also broadcasts against [2, 3].
  const Tensor<T> m{{1, 2, 3}, {4, 5, 6}};
  expect_exact<T>(m + Tensor<T>{{100, 200, 300}}, {2, 3}, {101, 202, 303, 104, 205, 306});
  expect_exact<T>(m * row, {2, 3}, {1, 4, 9, 4, 10, 18});
}

BOOST_AUTO_TEST_CASE_TEMPLATE(broadcast_rank3_with_rank2, T, Types) {
  // a[i, 0, k] = 100 i + k  ([2, 1, 3]);  b[j, 0] = 10 j  ([4, 1])  ->  [2, 4, 3].
  const Tensor<T> a = from_vector<T>({0, 1, 2, 100, 101, 102}, {2, 1, 3});
  const Tensor<T> b = from_vector<T>({0, 10, 20, 30}, {4, 1});
  std::vector<T> sum, diff;
  for (int i = 0; i < 2; ++i)
    for (int j = 0; j < 4; ++j)
      for (int k = 0; k < 3; ++k) {
        sum.push_back(static_cast<T>(100 * i + 10 * j + k));
        diff.push_back(static_cast<T>(10 * j - 100 * i - k));
      }
  expect_exact<T>(a + b, {2, 4, 3}, sum);
  expect_exact<T>(b - a, {2, 4, 3}, diff);
}

BOOST_AUTO_TEST_CASE_TEMPLATE(broadcast_rank4_both_sides, T, Types) {
  // [2, 1, 3, 1] * [1, 4, 1, 5] -> [2, 4, 3, 5]; each operand stretches along the other's dims.
  std::vector<T> av, bv;
  for (int i = 0; i < 6; ++i) av.push_back(static_cast<T>(i + 1));
  for (int i = 0; i < 20; ++i) bv.push_back(static_cast<T>(100 * (i + 1)));
  const Tensor<T> a = from_vector<T>(av, {2, 1, 3, 1});
  const Tensor<T> b = from_vector<T>(bv, {1, 4, 1, 5});
  std::vector<T> expected;
  for (int i = 0; i < 2; ++i)
    for (int j = 0; j < 4; ++j)
      for (int k = 0; k < 3; ++k)
        for (int l = 0; l < 5; ++l) expected.push_back(av[i * 3 + k] + bv[j * 5 + l]);
  expect_exact<T>(a + b, {2, 4, 3, 5}, expected);
  // Leading dimensions added by broadcasting: [3] with [2, 2, 3].
  const Tensor<T> c = from_vector<T>(iota<T>(12), {2, 2, 3});
  std::vector<T> e2;
  for (int i = 0; i < 12; ++i) e2.push_back(static_cast<T>(i) * static_cast<T>(i % 3 + 1));
  expect_exact<T>(c * Tensor<T>{1, 2, 3}, {2, 2, 3}, e2);
}

BOOST_AUTO_TEST_CASE_TEMPLATE(broadcast_rank8_and_its_gradient, T, Types) {
  // [2, 1, 3, 1, 2, 1, 1, 3] + [1, 2, 1, 2, 1, 2, 1, 1]: every dimension stretches one side;
  // the gradient of each operand sums the output's gradient back over its stretched dims.
  const Shape as{2, 1, 3, 1, 2, 1, 1, 3}, bs{1, 2, 1, 2, 1, 2, 1, 1}, out{2, 2, 3, 2, 2, 2, 1, 3};
  const Tensor<T> a = from_vector<T>(iota<T>(numel(as)), as).requires_grad_();
  const Tensor<T> b = from_vector<T>(iota<T>(numel(bs)), bs).requires_grad_();
  std::vector<T> expected;
  std::array<std::int64_t, 8> i{};
  for (i[0] = 0; i[0] < 2; ++i[0]) for (i[1] = 0; i[1] < 2; ++i[1]) for (i[2] = 0; i[2] < 3; ++i[2])
  for (i[3] = 0; i[3] < 2; ++i[3]) for (i[4] = 0; i[4] < 2; ++i[4]) for (i[5] = 0; i[5] < 2; ++i[5])
  for (i[7] = 0; i[7] < 3; ++i[7]) {
    const std::int64_t ai = ((i[0] * 3 + i[2]) * 2 + i[4]) * 3 + i[7];
    const std::int64_t bi = (i[1] * 2 + i[3]) * 2 + i[5];
    expected.push_back(static_cast<T>(100 * ai + bi));
  }
  const Tensor<T> y = a * T(100) + b;
  expect_exact<T>(y, out, expected);
  y.sum().backward();
  expect_exact<T>(a.grad(), as, std::vector<T>(static_cast<std::size_t>(numel(as)), T(100) * T(8)));
  expect_exact<T>(b.grad(), bs, std::vector<T>(static_cast<std::size_t>(numel(bs)), T(36)));
}

BOOST_AUTO_TEST_CASE_TEMPLATE(broadcast_with_zero_extent, T, Types) {
  expect_exact<T>(zeros<T>({0}) + ones<T>({1}), {0}, {});
  expect_exact<T>(zeros<T>({2, 0}) * ones<T>({2, 1}), {2, 0}, {});
  BOOST_CHECK_THROW(zeros<T>({0}) + ones<T>({3}), ShapeError);
}

BOOST_AUTO_TEST_CASE_TEMPLATE(incompatible_shapes_name_both, T, Types) {
  const Tensor<T> a{1, 2, 3};
  const Tensor<T> b{1, 2};
  BOOST_CHECK_EXCEPTION(a + b, ShapeError, mentions({"[3]", "[2]"}));
  BOOST_CHECK_EXCEPTION(a - b, ShapeError, mentions({"[3]", "[2]"}));
  BOOST_CHECK_EXCEPTION(b * a, ShapeError, mentions({"[3]", "[2]"}));
  BOOST_CHECK_EXCEPTION(a / b, ShapeError, mentions({"[3]", "[2]"}));
  BOOST_CHECK_EXCEPTION(a.pow(b), ShapeError, mentions({"[3]", "[2]"}));
  BOOST_CHECK_EXCEPTION(maximum(a, b), ShapeError, mentions({"[3]", "[2]"}));
  BOOST_CHECK_EXCEPTION(minimum(a, b), ShapeError, mentions({"[3]", "[2]"}));
  const Tensor<T> m23 = ones<T>({2, 3});
  const Tensor<T> m32 = ones<T>({3, 2});
  BOOST_CHECK_EXCEPTION(m23 + m32, ShapeError, mentions({"[2, 3]", "[3, 2]"}));
  BOOST_CHECK_EXCEPTION(m23 * ones<T>({4, 1, 2}), ShapeError, mentions({"[2, 3]", "[4, 1, 2]"}));
  BOOST_CHECK_EXCEPTION(ones<T>({2, 1, 3}) - ones<T>({4, 2}), ShapeError, mentions({"[2, 1, 3]", "[4, 2]"}));
}

BOOST_AUTO_TEST_SUITE_END()

// ============================================================================ pow
BOOST_AUTO_TEST_SUITE(power)

BOOST_AUTO_TEST_CASE_TEMPLATE(integer_exponents_are_exact_products, T, Types) {
  const Tensor<T> x = linspace<T>(-kPi, kPi, 2000);
  const Tensor<T> sq = x.pow(2);
  const Tensor<T> cube = x.pow(3);
  const Tensor<T> xx = x * x;
  const Tensor<T> xxx = x * x * x;
  BOOST_TEST(to_string(sq.shape()) == "[2000]");
  for (int i = 0; i < 2000; ++i) {
    const T v = x.data()[i];
    BOOST_TEST(sq.data()[i] == v * v, "x^2 at " << i);
    BOOST_TEST(cube.data()[i] == v * v * v, "x^3 at " << i);
    BOOST_TEST(sq.data()[i] == xx.data()[i]);
    BOOST_TEST(cube.data()[i] == xxx.data()[i]);
  }
  BOOST_TEST(x.pow(1).to_vector() == x.to_vector());
  BOOST_TEST(pow(x, 2.0).to_vector() == xx.to_vector());
  expect_exact<T>(x.pow(0), {2000}, std::vector<T>(2000, 1));
  const Tensor<T> neg{-2, -1, 3};
  expect_exact<T>(neg.pow(2), {3}, {4, 1, 9});
  expect_exact<T>(neg.pow(3), {3}, {-8, -1, 27});
  expect_exact<T>(neg.pow(-1), {3}, {-0.5, -1, T(1) / T(3)});
  expect_exact<T>(neg.pow(-2), {3}, {0.25, 1, T(1) / T(9)});
  expect_exact<T>(neg.pow(4), {3}, {16, 1, 81});
  expect_exact<T>(neg.pow(5), {3}, {-32, -1, 243});
}

BOOST_AUTO_TEST_CASE_TEMPLATE(real_exponents, T, Types) {
  const Tensor<T> x{0.25, 1, 2, 9};
  expect_exact<T>(x.pow(0.5), {4}, {0.5, 1, std::sqrt(T(2)), 3});
  expect_exact<T>(x.pow(-0.5), {4}, {2, 1, T(1) / std::sqrt(T(2)), T(1) / T(3)});
  expect_close<T>(x.pow(1.5), {4}, {0.125, 1, std::pow(2.0, 1.5), 27});
  expect_close<T>(x.pow(-2.5), {4}, {32, 1, std::pow(2.0, -2.5), std::pow(9.0, -2.5)});
  expect_close<T>(x.pow(1.0 / 3), {4}, {std::pow(0.25, 1.0 / 3), 1, std::cbrt(2.0), std::cbrt(9.0)}, 8);
  // A negative base with a non-integer exponent is NaN, as in PyTorch.
  BOOST_TEST(std::isnan(Tensor<T>{-8}.pow(1.0 / 3).item()));
}

BOOST_AUTO_TEST_CASE_TEMPLATE(tensor_exponents, T, Types) {
  expect_exact<T>(Tensor<T>{2, 3, 4}.pow(Tensor<T>{3, 2, 0.5}), {3}, {8, 9, 2});
  expect_exact<T>(pow(Tensor<T>{2, 3}, Tensor<T>{-1, 0}), {2}, {0.5, 1});
  // Scalar base, tensor exponent.
  expect_exact<T>(pow(T(2), Tensor<T>{0, 1, 2, 3, -1}), {5}, {1, 2, 4, 8, 0.5});
  expect_exact<T>(pow(T(2), Tensor<T>{{0, 1}, {2, 3}}), {2, 2}, {1, 2, 4, 8});
  // Rank-0 exponent.
  expect_exact<T>(Tensor<T>{1, 2, 3}.pow(scalar_tensor<T>(2)), {3}, {1, 4, 9});
}

BOOST_AUTO_TEST_CASE_TEMPLATE(unsqueeze_pow_broadcasts_to_2000_by_3, T, Types) {
  // The tutorial's feature matrix: x.unsqueeze(-1).pow(p) with p = {1, 2, 3}.
  const Tensor<T> x = linspace<T>(-kPi, kPi, 2000);
  const Tensor<T> p{1, 2, 3};
  const Tensor<T> xx = x.unsqueeze(-1).pow(p);
  BOOST_TEST_REQUIRE(to_string(xx.shape()) == "[2000, 3]");
  const double eps = std::numeric_limits<T>::epsilon();
  for (int i = 0; i < 2000; ++i) {
    const T v = x.data()[i];
    const T* row = xx.data() + 3 * i;
    BOOST_TEST(row[0] == v, "x^1 at " << i);
    // std::pow is within an ulp or so of the exact power; PyTorch's tensor pow is no closer.
    BOOST_TEST(std::abs(row[1] - v * v) <= 2 * eps * std::abs(v * v), "x^2 at " << i);
    BOOST_TEST(std::abs(row[2] - v * v * v) <= 4 * eps * std::abs(v * v * v), "x^3 at " << i);
  }
  // The exponent on the left broadcasts the same way.
  BOOST_TEST(to_string(p.pow(x.unsqueeze(-1)).shape()) == "[2000, 3]");
}

BOOST_AUTO_TEST_SUITE_END()

// ============================================================================ unary functions
BOOST_AUTO_TEST_SUITE(unary)

BOOST_AUTO_TEST_CASE_TEMPLATE(transcendental_values, T, Types) {
  const Tensor<T> x{0, T(kPi / 6), T(kPi / 2), -1};
  std::vector<double> sin_v, cos_v, exp_v, tanh_v;
  for (T v : x.to_vector()) {
    sin_v.push_back(std::sin(static_cast<double>(v)));
    cos_v.push_back(std::cos(static_cast<double>(v)));
    exp_v.push_back(std::exp(static_cast<double>(v)));
    tanh_v.push_back(std::tanh(static_cast<double>(v)));
  }
  expect_close<T>(x.sin(), {4}, sin_v);
  expect_close<T>(sin(x), {4}, sin_v);
  expect_close<T>(x.cos(), {4}, cos_v);
  expect_close<T>(cos(x), {4}, cos_v);
  expect_close<T>(x.exp(), {4}, exp_v);
  expect_close<T>(exp(x), {4}, exp_v);
  expect_close<T>(x.tanh(), {4}, tanh_v);
  expect_close<T>(tanh(x), {4}, tanh_v);
  // Hand-known points.
  BOOST_TEST(x.sin().data()[0] == T(0));
  BOOST_TEST(x.cos().data()[0] == T(1));
  BOOST_TEST(x.exp().data()[0] == T(1));
  BOOST_TEST(x.tanh().data()[0] == T(0));
  BOOST_TEST(std::abs(x.sin().data()[1] - T(0.5)) <= 4 * std::numeric_limits<T>::epsilon());
  BOOST_TEST(Tensor<T>{30}.tanh().item() == T(1));
  BOOST_TEST(Tensor<T>{-30}.tanh().item() == T(-1));
}

BOOST_AUTO_TEST_CASE_TEMPLATE(log_sqrt_abs, T, Types) {
  const Tensor<T> x{1, T(std::exp(1.0)), 4, 0.25};
  expect_close<T>(x.log(), {4}, {0, 1, std::log(4.0), std::log(0.25)});
  expect_close<T>(log(x), {4}, {0, 1, std::log(4.0), std::log(0.25)});
  BOOST_TEST(x.log().data()[0] == T(0));
  expect_exact<T>(x.sqrt(), {4}, {1, std::sqrt(T(std::exp(1.0))), 2, 0.5});
  expect_exact<T>(sqrt(Tensor<T>{9, 2}), {2}, {3, std::sqrt(T(2))});
  // Domain edges follow IEEE, as in PyTorch.
  const Tensor<T> edge{0, -1};
  BOOST_TEST(edge.log().data()[0] == -std::numeric_limits<T>::infinity());
  BOOST_TEST(std::isnan(edge.log().data()[1]));
  BOOST_TEST(std::isnan(edge.sqrt().data()[1]));
  expect_exact<T>(Tensor<T>{-3, 0, 2.5, -0.5}.abs(), {4}, {3, 0, 2.5, 0.5});
  expect_exact<T>(abs(Tensor<T>{{-1, 1}, {-2, 2}}), {2, 2}, {1, 1, 2, 2});
}

BOOST_AUTO_TEST_CASE_TEMPLATE(sigmoid_and_relu, T, Types) {
  const Tensor<T> x{0, 2, -2, 20, -20};
  std::vector<double> sig;
  for (double v : {0.0, 2.0, -2.0, 20.0, -20.0}) sig.push_back(1 / (1 + std::exp(-v)));
  expect_close<T>(x.sigmoid(), {5}, sig);
  BOOST_TEST(x.sigmoid().data()[0] == T(0.5));
  const Tensor<T> s = x.sigmoid();
  BOOST_TEST(std::abs(s.data()[1] + s.data()[2] - T(1)) <= 2 * std::numeric_limits<T>::epsilon());  // sigmoid(-x) = 1 - sigmoid(x)
  expect_exact<T>(x.relu(), {5}, {0, 2, 0, 20, 0});
  expect_exact<T>(Tensor<T>{{-1.5, 1.5}, {0, -0.0}}.relu(), {2, 2}, {0, 1.5, 0, 0});
}

BOOST_AUTO_TEST_CASE_TEMPLATE(clamp_values, T, Types) {
  const Tensor<T> x{-2, -0.5, 0.5, 2, 1, -1};
  expect_exact<T>(clamp(x, T(-1), T(1)), {6}, {-1, -0.5, 0.5, 1, 1, -1});
  expect_exact<T>(clamp(x, T(0), T(0)), {6}, {0, 0, 0, 0, 0, 0});
  expect_exact<T>(clamp(Tensor<T>{{-5, 5}, {0, 3}}, T(-1), T(2)), {2, 2}, {-1, 2, 0, 2});
  BOOST_CHECK_THROW(clamp(x, T(1), T(-1)), ValueError);
  BOOST_TEST(std::isnan(clamp(Tensor<T>{std::numeric_limits<T>::quiet_NaN()}, T(0), T(1)).item()));
}

BOOST_AUTO_TEST_CASE_TEMPLATE(maximum_minimum, T, Types) {
  const Tensor<T> a{1, 5, -3, 2};
  const Tensor<T> b{4, 2, -3, -7};
  expect_exact<T>(maximum(a, b), {4}, {4, 5, -3, 2});
  expect_exact<T>(minimum(a, b), {4}, {1, 2, -3, -7});
  // Broadcasting: [2, 1] against [3].
  const Tensor<T> col = Tensor<T>{0, 10}.unsqueeze(1);
  const Tensor<T> row{-5, 5, 15};
  expect_exact<T>(maximum(col, row), {2, 3}, {0, 5, 15, 10, 10, 15});
  expect_exact<T>(minimum(row, col), {2, 3}, {-5, 0, 0, -5, 5, 10});
  expect_exact<T>(maximum(a, scalar_tensor<T>(0)), {4}, {1, 5, 0, 2});
}

// PyTorch propagates NaN through maximum, minimum and relu, where std::max/std::min and
// `x > 0 ? x : 0` would drop it (std::max(1, nan) is 1). Expected values below are PyTorch's.
BOOST_AUTO_TEST_CASE_TEMPLATE(nan_propagates_like_pytorch, T, Types) {
  const T nan = std::numeric_limits<T>::quiet_NaN();
  const Tensor<T> a{1, nan, nan};
  const Tensor<T> b{nan, 1, nan};
  for (int i = 0; i < 3; ++i) {
    BOOST_TEST(std::isnan(maximum(a, b).data()[i]), "maximum element " << i << " should be nan");
    BOOST_TEST(std::isnan(minimum(a, b).data()[i]), "minimum element " << i << " should be nan");
  }
  BOOST_TEST(std::isnan(Tensor<T>{nan}.relu().item()), "relu(nan) should be nan");
  BOOST_TEST(std::isnan(Tensor<T>{nan}.abs().item()));
  BOOST_TEST(std::isnan(Tensor<T>{nan}.sigmoid().item()));
}

BOOST_AUTO_TEST_SUITE_END()

// ============================================================================ reductions
BOOST_AUTO_TEST_SUITE(reductions)

BOOST_AUTO_TEST_CASE_TEMPLATE(sum_mean_rank2, T, Types) {
  const Tensor<T> m{{1, 2, 3}, {4, 5, 6}};
  expect_exact<T>(m.sum(), {}, {21});
  expect_exact<T>(m.mean(), {}, {3.5});
  expect_exact<T>(m.sum(0), {3}, {5, 7, 9});
  expect_exact<T>(m.sum(1), {2}, {6, 15});
  expect_exact<T>(m.sum(0, true), {1, 3}, {5, 7, 9});
  expect_exact<T>(m.sum(1, true), {2, 1}, {6, 15});
  expect_exact<T>(m.sum(0, false), {3}, {5, 7, 9});
  expect_exact<T>(m.sum(-1), {2}, {6, 15});
  expect_exact<T>(m.sum(-2), {3}, {5, 7, 9});
  expect_exact<T>(m.sum(-1, true), {2, 1}, {6, 15});
  expect_exact<T>(m.mean(0), {3}, {2.5, 3.5, 4.5});
  expect_exact<T>(m.mean(1), {2}, {2, 5});
  expect_exact<T>(m.mean(1, true), {2, 1}, {2, 5});
  expect_exact<T>(m.mean(-1), {2}, {2, 5});
  expect_exact<T>(m.mean(-2, true), {1, 3}, {2.5, 3.5, 4.5});
  // Rank 1 and rank 0.
  expect_exact<T>(Tensor<T>{1, 2, 3, 4}.sum(0), {}, {10});
  expect_exact<T>(Tensor<T>{1, 2, 3, 4}.sum(0, true), {1}, {10});
  expect_exact<T>(Tensor<T>{1, 2, 3, 4}.mean(-1), {}, {2.5});
  expect_exact<T>(scalar_tensor<T>(5).sum(), {}, {5});
  expect_exact<T>(scalar_tensor<T>(5).sum(0), {}, {5});
  expect_exact<T>(scalar_tensor<T>(5).mean(-1, true), {}, {5});
}

BOOST_AUTO_TEST_CASE_TEMPLATE(sum_mean_rank3_each_dim, T, Types) {
  // a[i, j, k] = 12 i + 4 j + k, shape [2, 3, 4].
  const Tensor<T> a = arange<T>(24).reshape({2, 3, 4});
  std::vector<T> s0, s1, s2, m1;
  for (int j = 0; j < 3; ++j)
    for (int k = 0; k < 4; ++k) s0.push_back(static_cast<T>(12 + 8 * j + 2 * k));
  for (int i = 0; i < 2; ++i)
    for (int k = 0; k < 4; ++k) {
      s1.push_back(static_cast<T>(36 * i + 12 + 3 * k));
      m1.push_back(static_cast<T>(12 * i + 4 + k));
    }
  for (int i = 0; i < 2; ++i)
    for (int j = 0; j < 3; ++j) s2.push_back(static_cast<T>(48 * i + 16 * j + 6));
  expect_exact<T>(a.sum(0), {3, 4}, s0);
  expect_exact<T>(a.sum(1), {2, 4}, s1);
  expect_exact<T>(a.sum(2), {2, 3}, s2);
  expect_exact<T>(a.sum(-1), {2, 3}, s2);
  expect_exact<T>(a.sum(-3, true), {1, 3, 4}, s0);
  expect_exact<T>(a.sum(1, true), {2, 1, 4}, s1);
  expect_exact<T>(a.sum(2, true), {2, 3, 1}, s2);
  expect_exact<T>(a.mean(1), {2, 4}, m1);
  expect_exact<T>(a.mean(-2, true), {2, 1, 4}, m1);
  expect_exact<T>(a.sum(), {}, {276});
  expect_exact<T>(a.mean(), {}, {11.5});
  // Rank 4: summing the middle dims of ones counts their extents.
  const Tensor<T> o = ones<T>({2, 3, 4, 5});
  expect_exact<T>(o.sum(1).sum(1), {2, 5}, std::vector<T>(10, 12));
  expect_exact<T>(o.sum(3, true), {2, 3, 4, 1}, std::vector<T>(24, 5));
  expect_exact<T>(o.mean(0), {3, 4, 5}, std::vector<T>(60, 1));
}

BOOST_AUTO_TEST_CASE_TEMPLATE(reductions_of_empty_tensors, T, Types) {
  expect_exact<T>(zeros<T>({0}).sum(), {}, {0});
  expect_exact<T>(zeros<T>({2, 0}).sum(1), {2}, {0, 0});
  expect_exact<T>(zeros<T>({2, 0}).sum(0), {0}, {});
  BOOST_TEST(std::isnan(zeros<T>({0}).mean().item()));  // PyTorch: nan
}

BOOST_AUTO_TEST_CASE_TEMPLATE(bad_dim_is_value_error, T, Types) {
  const Tensor<T> m = ones<T>({2, 3});
  BOOST_CHECK_EXCEPTION(m.sum(2), ValueError, mentions({"2"}));
  BOOST_CHECK_THROW(m.sum(-3), ValueError);
  BOOST_CHECK_THROW(m.sum(2, true), ValueError);
  BOOST_CHECK_THROW(m.mean(2), ValueError);
  BOOST_CHECK_THROW(m.mean(-3, true), ValueError);
  BOOST_CHECK_THROW(scalar_tensor<T>(1).sum(1), ValueError);
  BOOST_CHECK_THROW((Tensor<T>{1, 2}.sum(1)), ValueError);
}

BOOST_AUTO_TEST_CASE_TEMPLATE(sum_to_reverses_broadcasting, T, Types) {
  const Tensor<T> m{{1, 2, 3}, {4, 5, 6}};
  expect_exact<T>(m.sum_to({3}), {3}, {5, 7, 9});
  expect_exact<T>(m.sum_to({1, 3}), {1, 3}, {5, 7, 9});
  expect_exact<T>(m.sum_to({2, 1}), {2, 1}, {6, 15});
  expect_exact<T>(m.sum_to({1, 1}), {1, 1}, {21});
  expect_exact<T>(m.sum_to({1}), {1}, {21});
  expect_exact<T>(m.sum_to({}), {}, {21});
  BOOST_TEST(m.sum_to({2, 3}).is_same(m));
  // Rank 3 down to [3, 1]: sums the leading dim and the last.
  const Tensor<T> a = arange<T>(24).reshape({2, 3, 4});
  std::vector<T> e;
  for (int j = 0; j < 3; ++j) e.push_back(static_cast<T>(60 + 32 * j));  // sum over i and k of 12 i + 4 j + k
  expect_exact<T>(a.sum_to({3, 1}), {3, 1}, e);
  // Shapes that the tensor is not a broadcast of.
  BOOST_CHECK_EXCEPTION(m.sum_to({2}), ShapeError, mentions({"[2, 3]", "[2]"}));
  BOOST_CHECK_THROW(m.sum_to({1, 1, 3}), ShapeError);
  BOOST_CHECK_THROW(m.sum_to({4}), ShapeError);
}

BOOST_AUTO_TEST_SUITE_END()

// ============================================================================ views
BOOST_AUTO_TEST_SUITE(views)

BOOST_AUTO_TEST_CASE_TEMPLATE(unsqueeze_and_squeeze, T, Types) {
  const Tensor<T> x{1, 2, 3};
  expect_exact<T>(x.unsqueeze(0), {1, 3}, {1, 2, 3});
  expect_exact<T>(x.unsqueeze(1), {3, 1}, {1, 2, 3});
  expect_exact<T>(x.unsqueeze(-1), {3, 1}, {1, 2, 3});
  expect_exact<T>(x.unsqueeze(-2), {1, 3}, {1, 2, 3});
  expect_exact<T>(scalar_tensor<T>(4).unsqueeze(0), {1}, {4});
  expect_exact<T>(scalar_tensor<T>(4).unsqueeze(-1), {1}, {4});
  expect_exact<T>(ones<T>({2, 3}).unsqueeze(1), {2, 1, 3}, std::vector<T>(6, 1));
  BOOST_CHECK_THROW(x.unsqueeze(2), ValueError);
  BOOST_CHECK_THROW(x.unsqueeze(-3), ValueError);

  const Tensor<T> r = x.unsqueeze(0);
  expect_exact<T>(r.squeeze(0), {3}, {1, 2, 3});
  expect_exact<T>(r.squeeze(1), {1, 3}, {1, 2, 3});  // extent 3: unchanged
  expect_exact<T>(x.unsqueeze(-1).squeeze(-1), {3}, {1, 2, 3});
  expect_exact<T>(ones<T>({1, 1}).squeeze(0).squeeze(0), {}, {1});
  BOOST_CHECK_THROW(r.squeeze(2), ValueError);
}

BOOST_AUTO_TEST_CASE_TEMPLATE(flatten_ranges, T, Types) {
  const Tensor<T> a = arange<T>(24).reshape({2, 3, 4});
  expect_exact<T>(a.flatten(), {24}, iota<T>(24));
  expect_exact<T>(a.flatten(1), {2, 12}, iota<T>(24));
  expect_exact<T>(a.flatten(0, 1), {6, 4}, iota<T>(24));
  expect_exact<T>(a.flatten(-2, -1), {2, 12}, iota<T>(24));
  expect_exact<T>(a.flatten(1, 1), {2, 3, 4}, iota<T>(24));
  expect_exact<T>(a.flatten(0, -1), {24}, iota<T>(24));
  expect_exact<T>(scalar_tensor<T>(3).flatten(), {1}, {3});
  expect_exact<T>(Tensor<T>{1, 2}.flatten(), {2}, {1, 2});
  BOOST_CHECK_THROW(a.flatten(2, 1), ValueError);
  BOOST_CHECK_THROW(a.flatten(0, 3), ValueError);
  BOOST_CHECK_THROW(a.flatten(-4), ValueError);
}

BOOST_AUTO_TEST_CASE_TEMPLATE(reshape_and_view, T, Types) {
  const Tensor<T> m{{1, 2, 3}, {4, 5, 6}};
  const std::vector<T> v{1, 2, 3, 4, 5, 6};
  expect_exact<T>(m.reshape({3, 2}), {3, 2}, v);
  expect_exact<T>(m.reshape({6}), {6}, v);
  expect_exact<T>(m.reshape({-1}), {6}, v);
  expect_exact<T>(m.reshape({3, -1}), {3, 2}, v);
  expect_exact<T>(m.reshape({-1, 2}), {3, 2}, v);
  expect_exact<T>(m.reshape({1, -1, 1, 3}), {1, 2, 1, 3}, v);
  expect_exact<T>(m.view({2, 1, 3}), {2, 1, 3}, v);
  expect_exact<T>(scalar_tensor<T>(2).reshape({1, 1}), {1, 1}, {2});
  expect_exact<T>(Tensor<T>{7}.reshape({}), {}, {7});
  expect_exact<T>(zeros<T>({0, 3}).reshape({-1, 3}), {0, 3}, {});
  expect_exact<T>(zeros<T>({0}).reshape({2, 0}), {2, 0}, {});
}

BOOST_AUTO_TEST_CASE_TEMPLATE(reshape_bad_sizes_name_shapes, T, Types) {
  const Tensor<T> m = ones<T>({2, 3});
  BOOST_CHECK_EXCEPTION(m.reshape({4}), ShapeError, mentions({"[2, 3]", "[4]"}));
  BOOST_CHECK_EXCEPTION(m.reshape({4, 2}), ShapeError, mentions({"[2, 3]", "[4, 2]"}));
  BOOST_CHECK_EXCEPTION(m.reshape({-1, 4}), ShapeError, mentions({"[2, 3]"}));
  BOOST_CHECK_THROW(m.reshape({-1, -1}), ShapeError);
  BOOST_CHECK_THROW(m.reshape({}), ShapeError);
  BOOST_CHECK_THROW(m.reshape({-2, -3}), ShapeError);
  BOOST_CHECK_THROW(m.view({7}), ShapeError);
  BOOST_CHECK_THROW(zeros<T>({0, 3}).reshape({-1, 0}), ShapeError);  // -1 would be ambiguous
}

BOOST_AUTO_TEST_CASE_TEMPLATE(views_share_storage, T, Types) {
  Tensor<T> base = arange<T>(6);
  Tensor<T> r = base.reshape({2, 3});
  Tensor<T> u = base.unsqueeze(0);
  Tensor<T> f = r.flatten();
  Tensor<T> s = u.squeeze(0);
  for (const Tensor<T>* view : {&r, &u, &f, &s}) {
    BOOST_TEST(view->data() == base.data());
    BOOST_TEST(view->storage().same_buffer(base.storage()));
    BOOST_TEST(!view->is_same(base));
  }
  // Writing through a view is visible in the base and in every other view, and back.
  r.data()[4] = 42;
  BOOST_TEST(base.data()[4] == T(42));
  BOOST_TEST(f.data()[4] == T(42));
  r += T(1);
  expect_exact<T>(base, {6}, {1, 2, 3, 4, 43, 6});
  base.fill_(T(7));
  expect_exact<T>(r, {2, 3}, std::vector<T>(6, 7));
  expect_exact<T>(u, {1, 6}, std::vector<T>(6, 7));
  r.matrix()(1, 2) = -1;
  BOOST_TEST(base.data()[5] == T(-1));
  // A copy of the handle is the same tensor.
  Tensor<T> alias = base;
  BOOST_TEST(alias.is_same(base));
}

BOOST_AUTO_TEST_SUITE_END()

// ============================================================================ matmul and transpose
BOOST_AUTO_TEST_SUITE(linear_algebra)

BOOST_AUTO_TEST_CASE_TEMPLATE(matmul_hand_values, T, Types) {
  const Tensor<T> a{{1, 2, 3}, {4, 5, 6}};
  const Tensor<T> b{{7, 8}, {9, 10}, {11, 12}};
  expect_exact<T>(a.matmul(b), {2, 2}, {58, 64, 139, 154});
  expect_exact<T>(matmul(b, a), {3, 3}, {39, 54, 69, 49, 68, 87, 59, 82, 105});
  expect_exact<T>(Tensor<T>{{1, 2, 3}}.matmul(Tensor<T>{4, 5, 6}.unsqueeze(1)), {1, 1}, {32});
  // An empty inner dimension gives zeros, as in PyTorch.
  expect_exact<T>(ones<T>({2, 0}).matmul(ones<T>({0, 3})), {2, 3}, std::vector<T>(6, 0));
}

BOOST_AUTO_TEST_CASE_TEMPLATE(matmul_matches_eigen, T, Types) {
  using Matrix = Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic>;
  manual_seed(5);
  const Tensor<T> a = randn<T>({37, 19});
  const Tensor<T> b = randn<T>({19, 23});
  const Tensor<T> c = a.matmul(b);
  BOOST_TEST_REQUIRE(to_string(c.shape()) == "[37, 23]");
  // Reference: column-major copies multiplied by Eigen, independently of the row-major maps.
  Matrix ea(37, 19), eb(19, 23);
  for (int i = 0; i < 37; ++i)
    for (int k = 0; k < 19; ++k) ea(i, k) = a.data()[i * 19 + k];
  for (int k = 0; k < 19; ++k)
    for (int j = 0; j < 23; ++j) eb(k, j) = b.data()[k * 23 + j];
  const Matrix ec = ea * eb;
  const double tol = 32 * std::numeric_limits<T>::epsilon();
  for (int i = 0; i < 37; ++i)
    for (int j = 0; j < 23; ++j) {
      double dot = 0;
      for (int k = 0; k < 19; ++k) dot += static_cast<double>(ea(i, k)) * eb(k, j);
      BOOST_TEST(std::abs(c.data()[i * 23 + j] - ec(i, j)) <= tol * std::max(1.0, std::abs(dot)));
      BOOST_TEST(std::abs(c.data()[i * 23 + j] - dot) <= tol * std::max(1.0, std::abs(dot)));
    }
}

BOOST_AUTO_TEST_CASE_TEMPLATE(matmul_shape_errors, T, Types) {
  const Tensor<T> a = ones<T>({2, 3});
  BOOST_CHECK_EXCEPTION(a.matmul(ones<T>({4, 5})), ShapeError, mentions({"[2, 3]", "[4, 5]"}));
  BOOST_CHECK_EXCEPTION(a.matmul(a), ShapeError, mentions({"[2, 3]"}));
  BOOST_CHECK_EXCEPTION(ones<T>({3}).matmul(ones<T>({3, 2})), ShapeError, mentions({"[3]", "[3, 2]"}));
  BOOST_CHECK_EXCEPTION(a.matmul(ones<T>({3})), ShapeError, mentions({"[2, 3]", "[3]"}));
  BOOST_CHECK_EXCEPTION(ones<T>({2, 3, 4}).matmul(ones<T>({4, 2})), ShapeError,
                        mentions({"[2, 3, 4]", "[4, 2]"}));
  BOOST_CHECK_THROW(scalar_tensor<T>(1).matmul(scalar_tensor<T>(1)), ShapeError);
}

BOOST_AUTO_TEST_CASE_TEMPLATE(transpose, T, Types) {
  const Tensor<T> a{{1, 2, 3}, {4, 5, 6}};
  const Tensor<T> at = a.t();
  expect_exact<T>(at, {3, 2}, {1, 4, 2, 5, 3, 6});
  BOOST_TEST(at.data() != a.data());  // a copy, documented as such
  expect_exact<T>(at.t(), {2, 3}, {1, 2, 3, 4, 5, 6});
  expect_exact<T>(Tensor<T>{1, 2}.t(), {2}, {1, 2});
  expect_exact<T>(scalar_tensor<T>(3).t(), {}, {3});
  BOOST_CHECK_EXCEPTION(ones<T>({2, 3, 4}).t(), ShapeError, mentions({"[2, 3, 4]"}));
  // (A B)^T = B^T A^T.
  const Tensor<T> b{{1, -1}, {2, 0}, {0, 3}};
  BOOST_TEST(a.matmul(b).t().to_vector() == b.t().matmul(a.t()).to_vector());
}

// The operations' messages word for word (EIGRAD_CHECK builds them from parts; std::to_string
// keeps clamp's six decimals).
BOOST_AUTO_TEST_CASE_TEMPLATE(operation_errors_read_in_full, T, Types) {
  auto says = [](const std::string& text) {
    return [text](const Error& e) {
      BOOST_TEST_MESSAGE("message: " << e.what());
      return e.what() == text;
    };
  };
  BOOST_CHECK_EXCEPTION(ones<T>({1, 3}).sum_to({3, 3}), ShapeError,
                        says("sum_to: shape [1, 3] is not a broadcast of [3, 3]"));
  BOOST_CHECK_EXCEPTION(ones<T>({2, 3}).matmul(ones<T>({4, 5})), ShapeError,
                        says("matmul: shapes [2, 3] and [4, 5] cannot be multiplied (need [m, k] and [k, n])"));
  BOOST_CHECK_EXCEPTION(ones<T>({2, 3, 4}).t(), ShapeError,
                        says("t() needs a tensor of rank <= 2, got shape [2, 3, 4]"));
  BOOST_CHECK_EXCEPTION(clamp(ones<T>({2}), T(1), T(-1.5)), ValueError,
                        says("clamp: lower bound 1.000000 above upper bound -1.500000"));
}

BOOST_AUTO_TEST_SUITE_END()

// ============================================================================ item, copies, allclose
BOOST_AUTO_TEST_SUITE(values)

BOOST_AUTO_TEST_CASE_TEMPLATE(item_of_single_element, T, Types) {
  BOOST_TEST(scalar_tensor<T>(T(2.5)).item() == T(2.5));
  BOOST_TEST(Tensor<T>{7}.item() == T(7));
  BOOST_TEST(ones<T>({1, 1, 1}).item() == T(1));
  BOOST_TEST(scalar_tensor<T>(T(0.1)).template item<double>() == static_cast<double>(T(0.1)));
  BOOST_TEST(scalar_tensor<T>(T(3.75)).template item<int>() == 3);
  BOOST_TEST((Tensor<T>{{1, 2}, {3, 4}}.sum().item() == T(10)));
  BOOST_CHECK_EXCEPTION((Tensor<T>{1, 2}.item()), ValueError, mentions({"[2]"}));
  BOOST_CHECK_EXCEPTION(zeros<T>({0}).item(), ValueError, mentions({"[0]"}));
  BOOST_CHECK_THROW(ones<T>({2, 2}).item(), ValueError);
  BOOST_CHECK_THROW(Tensor<T>().item(), ValueError);  // undefined
}

BOOST_AUTO_TEST_CASE_TEMPLATE(clone_is_independent, T, Types) {
  Tensor<T> x{{1, 2}, {3, 4}};
  Tensor<T> c = x.clone();
  expect_exact<T>(c, {2, 2}, {1, 2, 3, 4});
  BOOST_TEST(c.data() != x.data());
  BOOST_TEST(!c.storage().same_buffer(x.storage()));
  c.data()[0] = 100;
  BOOST_TEST(x.data()[0] == T(1));
  x.fill_(T(-1));
  expect_exact<T>(c, {2, 2}, {100, 2, 3, 4});
  // Cloning a requires-grad leaf is recorded.
  const Tensor<T> leaf = ones<T>({2}, TensorOptions().requires_grad(true));
  const Tensor<T> lc = leaf.clone();
  BOOST_TEST(lc.requires_grad());
  BOOST_TEST(!lc.is_leaf());
  BOOST_TEST_REQUIRE(static_cast<bool>(lc.grad_fn()));
  BOOST_TEST(lc.grad_fn()->name() == "CloneBackward0");
}

BOOST_AUTO_TEST_CASE_TEMPLATE(detach_shares_data, T, Types) {
  const Tensor<T> x = from_vector<T>({1, 2, 3}, {3}, TensorOptions().requires_grad(true));
  const Tensor<T> y = x * 2;
  for (const Tensor<T>* src : {&x, &y}) {
    Tensor<T> d = src->detach();
    BOOST_TEST(!d.requires_grad());
    BOOST_TEST(d.is_leaf());
    BOOST_TEST(!d.grad_fn());
    BOOST_TEST(d.data() == src->data());
    BOOST_TEST(d.storage().same_buffer(src->storage()));
    BOOST_TEST(to_string(d.shape()) == "[3]");
    d.fill_(T(9));  // allowed: d is outside the graph
    expect_exact<T>(*src, {3}, {9, 9, 9});
  }
  BOOST_TEST(x.requires_grad());
}

BOOST_AUTO_TEST_CASE_TEMPLATE(allclose_tolerances, T, Types) {
  const Tensor<T> a{1, 2, 3};
  BOOST_TEST(allclose(a, a));
  BOOST_TEST(allclose(a, Tensor<T>{1, 2, 3}));
  BOOST_TEST(allclose(a * (1 + 1e-6), a));
  BOOST_TEST(!allclose(a * (1 + 1e-3), a));
  BOOST_TEST(allclose(a * (1 + 1e-3), a, 1e-2));
  BOOST_TEST(allclose(zeros<T>({2}), full<T>({2}, T(1e-9))));     // within atol
  BOOST_TEST(!allclose(zeros<T>({2}), full<T>({2}, T(1e-6))));
  BOOST_TEST(allclose(zeros<T>({2}), full<T>({2}, T(1e-6)), 0, 1e-5));
  BOOST_TEST(!allclose(a, a.unsqueeze(0)));                       // shapes differ
  BOOST_TEST(!allclose(a, Tensor<T>{1, 2}));
  BOOST_TEST(!allclose(Tensor<T>{std::numeric_limits<T>::quiet_NaN()}, Tensor<T>{std::numeric_limits<T>::quiet_NaN()}));
  BOOST_TEST(allclose(zeros<T>({0}), zeros<T>({0})));
}

BOOST_AUTO_TEST_SUITE_END()

// ============================================================================ in-place updates
BOOST_AUTO_TEST_SUITE(in_place)

BOOST_AUTO_TEST_CASE_TEMPLATE(compound_assignment_with_tensors, T, Types) {
  Tensor<T> x{1, 2, 3, 4};
  T* const p = x.data();
  const Tensor<T> y{2, 2, 2, 2};
  BOOST_TEST(&(x += y) == &x);
  expect_exact<T>(x, {4}, {3, 4, 5, 6});
  x -= Tensor<T>{1, 1, 1, 1};
  expect_exact<T>(x, {4}, {2, 3, 4, 5});
  x *= y;
  expect_exact<T>(x, {4}, {4, 6, 8, 10});
  x /= Tensor<T>{4, 3, 2, 8};
  expect_exact<T>(x, {4}, {1, 2, 4, T(10) / T(8)});
  BOOST_TEST(x.data() == p);  // updated where it is
  x += x;
  expect_exact<T>(x, {4}, {2, 4, 8, 2.5});
}

BOOST_AUTO_TEST_CASE_TEMPLATE(compound_assignment_with_scalars, T, Types) {
  Tensor<T> x{1, 2, 3};
  BOOST_TEST(&(x += T(1)) == &x);
  expect_exact<T>(x, {3}, {2, 3, 4});
  x -= T(0.5);
  expect_exact<T>(x, {3}, {1.5, 2.5, 3.5});
  x *= T(2);
  expect_exact<T>(x, {3}, {3, 5, 7});
  x /= T(4);
  expect_exact<T>(x, {3}, {0.75, 1.25, 1.75});
  Tensor<T> s = scalar_tensor<T>(3);
  s *= T(3);
  expect_exact<T>(s, {}, {9});
}

BOOST_AUTO_TEST_CASE_TEMPLATE(broadcasting_source, T, Types) {
  Tensor<T> m{{1, 2, 3}, {4, 5, 6}};
  m += Tensor<T>{10, 20, 30};
  expect_exact<T>(m, {2, 3}, {11, 22, 33, 14, 25, 36});
  m *= Tensor<T>{1, -1}.unsqueeze(1);
  expect_exact<T>(m, {2, 3}, {11, 22, 33, -14, -25, -36});
  m -= scalar_tensor<T>(1);
  expect_exact<T>(m, {2, 3}, {10, 21, 32, -15, -26, -37});
  m /= Tensor<T>{{2, 1, 4}};
  expect_exact<T>(m, {2, 3}, {5, 21, 8, -7.5, -26, -9.25});
}

BOOST_AUTO_TEST_CASE_TEMPLATE(bad_broadcast_is_shape_error, T, Types) {
  Tensor<T> v{1, 2, 3};
  const Tensor<T> m = ones<T>({2, 3});
  // The result would need a bigger shape than the destination.
  BOOST_CHECK_EXCEPTION(v += m, ShapeError, mentions({"[2, 3]", "[3]"}));
  BOOST_CHECK_EXCEPTION(v -= m, ShapeError, mentions({"[2, 3]", "[3]"}));
  BOOST_CHECK_EXCEPTION(v *= m, ShapeError, mentions({"[2, 3]", "[3]"}));
  BOOST_CHECK_EXCEPTION(v /= m, ShapeError, mentions({"[2, 3]", "[3]"}));
  BOOST_CHECK_EXCEPTION(v.add_(m), ShapeError, mentions({"[2, 3]", "[3]"}));
  BOOST_CHECK_EXCEPTION((v += Tensor<T>{1, 2}), ShapeError, mentions({"[3]", "[2]"}));
  expect_exact<T>(v, {3}, {1, 2, 3});  // untouched by the failed updates
  Tensor<T> s = scalar_tensor<T>(1);
  BOOST_CHECK_THROW(s += v, ShapeError);
}

BOOST_AUTO_TEST_CASE_TEMPLATE(add_fill_zero_copy, T, Types) {
  Tensor<T> x{1, 2, 3};
  BOOST_TEST(&x.add_(Tensor<T>{2, 4, 6}, T(0.5)) == &x);
  expect_exact<T>(x, {3}, {2, 4, 6});
  x.add_(Tensor<T>{1, 1, 1});
  expect_exact<T>(x, {3}, {3, 5, 7});
  x.add_(scalar_tensor<T>(2), T(-3));
  expect_exact<T>(x, {3}, {-3, -1, 1});

  Tensor<T> m = empty<T>({2, 2});
  BOOST_TEST(&m.fill_(T(2.5)) == &m);
  expect_exact<T>(m, {2, 2}, {2.5, 2.5, 2.5, 2.5});
  BOOST_TEST(&m.zero_() == &m);
  expect_exact<T>(m, {2, 2}, {0, 0, 0, 0});

  Tensor<T> dst = zeros<T>({2, 3});
  T* const p = dst.data();
  BOOST_TEST(&dst.copy_(Tensor<T>{{1, 2, 3}, {4, 5, 6}}) == &dst);
  expect_exact<T>(dst, {2, 3}, {1, 2, 3, 4, 5, 6});
  dst.copy_(Tensor<T>{7, 8, 9});  // broadcast source
  expect_exact<T>(dst, {2, 3}, {7, 8, 9, 7, 8, 9});
  dst.copy_(scalar_tensor<T>(-1));
  expect_exact<T>(dst, {2, 3}, std::vector<T>(6, -1));
  dst.copy_(Tensor<T>{1, 2}.unsqueeze(1));
  expect_exact<T>(dst, {2, 3}, {1, 1, 1, 2, 2, 2});
  BOOST_TEST(dst.data() == p);
  // Same element count but not a broadcast of the destination.
  BOOST_CHECK_EXCEPTION(dst.copy_(ones<T>({3, 2})), ShapeError, mentions({"[3, 2]", "[2, 3]"}));
  BOOST_CHECK_THROW(dst.copy_(ones<T>({6})), ShapeError);
  BOOST_CHECK_THROW(dst.copy_(ones<T>({1, 2, 3})), ShapeError);
  // The source keeps its own data.
  Tensor<T> src{1, 2, 3};
  Tensor<T> d2 = zeros<T>({3});
  d2.copy_(src);
  d2.fill_(T(0));
  expect_exact<T>(src, {3}, {1, 2, 3});
}

BOOST_AUTO_TEST_CASE_TEMPLATE(version_counts_in_place_updates, T, Types) {
  Tensor<T> x = zeros<T>({3});
  const auto v0 = x.version();
  x += T(1);
  x.fill_(T(2));
  x.copy_(ones<T>({3}));
  BOOST_TEST(x.version() == v0 + 3);
  x.zero_();
  x.add_(ones<T>({3}));
  BOOST_TEST(x.version() == v0 + 5);
  (void)(x + x);  // out-of-place operations leave it alone
  BOOST_TEST(x.version() == v0 + 5);
}

BOOST_AUTO_TEST_CASE_TEMPLATE(in_place_on_leaf_requiring_grad, T, Types) {
  Tensor<T> w = ones<T>({2}, TensorOptions().requires_grad(true));
  BOOST_CHECK_EXCEPTION(w += T(1), AutogradError, mentions({"[2]"}));
  BOOST_CHECK_THROW(w.fill_(T(0)), AutogradError);
  BOOST_CHECK_THROW(w.add_(ones<T>({2})), AutogradError);
  {
    NoGradGuard guard;
    w -= Tensor<T>{0.5, 0.25};
    w.add_(ones<T>({2}), T(2));
  }
  expect_exact<T>(w, {2}, {2.5, 2.75});
  BOOST_TEST(w.requires_grad());
  BOOST_TEST(w.is_leaf());
}

BOOST_AUTO_TEST_SUITE_END()

// ============================================================================ Eigen interop
BOOST_AUTO_TEST_SUITE(eigen_interop)

BOOST_AUTO_TEST_CASE_TEMPLATE(from_eigen_rvalue_takes_the_buffer, T, Types) {
  Eigen::Array<T, Eigen::Dynamic, 1> a(6);
  a << 1, 2, 3, 4, 5, 6;
  const T* p = a.data();
  const Tensor<T> t = from_eigen<T>(std::move(a));
  BOOST_TEST(t.data() == p);  // moved, not copied
  expect_exact<T>(t, {6}, {1, 2, 3, 4, 5, 6});

  Eigen::Array<T, Eigen::Dynamic, 1> b(6);
  b << 1, 2, 3, 4, 5, 6;
  const T* pb = b.data();
  const Tensor<T> m = from_eigen<T>(std::move(b), {2, 3});
  BOOST_TEST(m.data() == pb);
  expect_exact<T>(m, {2, 3}, {1, 2, 3, 4, 5, 6});

  Eigen::Array<T, Eigen::Dynamic, 1> c(5);
  c.setZero();
  BOOST_CHECK_EXCEPTION(from_eigen<T>(std::move(c), {2, 3}), ShapeError, mentions({"[2, 3]", "5"}));

  // The tensor owns the buffer: it outlives the scope of the array it came from.
  const Tensor<T> owned = [] {
    Eigen::Array<T, Eigen::Dynamic, 1> tmp = Eigen::Array<T, Eigen::Dynamic, 1>::LinSpaced(4, 0, 3);
    return from_eigen<T>(std::move(tmp));
  }();
  expect_exact<T>(owned, {4}, {0, 1, 2, 3});
}

BOOST_AUTO_TEST_CASE_TEMPLATE(from_eigen_array_writes_through, T, Types) {
  Eigen::Array<T, Eigen::Dynamic, 1> a(4);
  a << 1, 2, 3, 4;
  Tensor<T> t = from_eigen(a);
  BOOST_TEST(t.data() == a.data());
  expect_exact<T>(t, {4}, {1, 2, 3, 4});
  a(1) = 42;  // Eigen -> tensor
  BOOST_TEST(t.data()[1] == T(42));
  t *= T(2);  // tensor -> Eigen
  BOOST_TEST(a(0) == T(2));
  BOOST_TEST(a(1) == T(84));
  BOOST_TEST(a(3) == T(8));
  // Operations on a borrowed tensor produce ordinary owned tensors.
  const Tensor<T> s = t + T(1);
  BOOST_TEST(s.data() != a.data());
  expect_exact<T>(s, {4}, {3, 85, 7, 9});
}

BOOST_AUTO_TEST_CASE_TEMPLATE(from_eigen_vectors, T, Types) {
  Eigen::Matrix<T, Eigen::Dynamic, 1> v(3);
  v << 1, 2, 3;
  Tensor<T> tv = from_eigen(v);
  BOOST_TEST(tv.data() == v.data());
  expect_exact<T>(tv, {3}, {1, 2, 3});
  tv.data()[2] = -3;
  BOOST_TEST(v(2) == T(-3));

  Eigen::Matrix<T, 1, Eigen::Dynamic> rv(2);
  rv << 5, 6;
  Tensor<T> trv = from_eigen(rv);
  expect_exact<T>(trv, {2}, {5, 6});
  rv(0) = 0;
  BOOST_TEST(trv.data()[0] == T(0));
}

BOOST_AUTO_TEST_CASE(from_eigen_arrayxf_and_vectorxd) {
  // The concrete Eigen typedefs, as users spell them.
  Eigen::ArrayXf af(3);
  af << 1.5f, 2.5f, 3.5f;
  Tensor<float> tf = from_eigen(af);
  BOOST_TEST(tf.data() == af.data());
  expect_exact<float>(tf, {3}, {1.5f, 2.5f, 3.5f});
  tf += 1.0f;
  BOOST_TEST(af(2) == 4.5f);

  Eigen::VectorXd vd = Eigen::VectorXd::LinSpaced(5, 0, 4);
  Tensor<double> td = from_eigen(vd);
  BOOST_TEST(td.data() == vd.data());
  expect_exact<double>(td, {5}, {0, 1, 2, 3, 4});
  vd *= 2;
  expect_exact<double>(td, {5}, {0, 2, 4, 6, 8});
}

BOOST_AUTO_TEST_CASE_TEMPLATE(from_eigen_row_major_matrix, T, Types) {
  Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor> m(2, 3);
  m << 1, 2, 3, 4, 5, 6;
  Tensor<T> t = from_eigen(m);
  BOOST_TEST(t.data() == m.data());
  expect_exact<T>(t, {2, 3}, {1, 2, 3, 4, 5, 6});
  for (int i = 0; i < 2; ++i)
    for (int j = 0; j < 3; ++j) BOOST_TEST(t.matrix()(i, j) == m(i, j));
  m(1, 2) = 9;  // Eigen -> tensor
  BOOST_TEST(t.data()[5] == T(9));
  t.matrix()(0, 1) = -1;  // tensor -> Eigen
  BOOST_TEST(m(0, 1) == T(-1));
  t.fill_(T(0));
  BOOST_TEST(m.isZero());
}

BOOST_AUTO_TEST_CASE_TEMPLATE(from_eigen_column_major_matrix, T, Types) {
  // A column-major matrix is viewed through its storage order: [cols, rows], i.e. its transpose.
  Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic> m(2, 3);
  m << 1, 2, 3, 4, 5, 6;
  Tensor<T> t = from_eigen(m);
  BOOST_TEST(t.data() == m.data());
  expect_exact<T>(t, {3, 2}, {1, 4, 2, 5, 3, 6});
  for (int i = 0; i < 2; ++i)
    for (int j = 0; j < 3; ++j) BOOST_TEST(t.matrix()(j, i) == m(i, j));
  m(0, 2) = 30;  // Eigen -> tensor: element [2, 0]
  BOOST_TEST(t.matrix()(2, 0) == T(30));
  t.data()[1] = 40;  // tensor [0, 1] -> Eigen (1, 0)
  BOOST_TEST(m(1, 0) == T(40));
  t += T(1);
  BOOST_TEST(m(1, 1) == T(6));

  Eigen::MatrixXd md(2, 2);
  md << 1, 2, 3, 4;
  Tensor<double> td = from_eigen(md);
  expect_exact<double>(td, {2, 2}, {1, 3, 2, 4});
}

BOOST_AUTO_TEST_CASE_TEMPLATE(array_and_matrix_maps, T, Types) {
  Tensor<T> t{{1, 2, 3}, {4, 5, 6}};
  auto arr = t.array();
  BOOST_TEST(arr.data() == t.data());
  BOOST_TEST(arr.size() == 6);
  arr(2) = 30;
  BOOST_TEST(t.data()[2] == T(30));
  t.data()[0] = -1;
  BOOST_TEST(arr(0) == T(-1));
  arr *= T(2);
  expect_exact<T>(t, {2, 3}, {-2, 4, 60, 8, 10, 12});
  BOOST_TEST(t.array().sum() == T(92));

  auto mat = t.matrix();
  BOOST_TEST(mat.data() == t.data());
  BOOST_TEST(mat.rows() == 2);
  BOOST_TEST(mat.cols() == 3);
  BOOST_TEST(mat(1, 0) == T(8));  // row-major: [1, 0] is the 4th element
  mat(1, 2) = 0;
  BOOST_TEST(t.data()[5] == T(0));
  mat.row(0).setConstant(1);
  expect_exact<T>(t, {2, 3}, {1, 1, 1, 8, 10, 0});
  // Eigen algebra on the maps agrees with the tensor ops.
  const Tensor<T> b{{1, 0}, {0, 1}, {1, 1}};
  const Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic> prod = t.matrix() * b.matrix();
  const Tensor<T> c = t.matmul(b);
  for (int i = 0; i < 2; ++i)
    for (int j = 0; j < 2; ++j) BOOST_TEST(c.matrix()(i, j) == prod(i, j));
  // A view's maps see the base's memory.
  Tensor<T> flat = arange<T>(6);
  auto vm = flat.reshape({3, 2}).matrix();
  BOOST_TEST(vm.data() == flat.data());
  vm(2, 1) = 100;
  BOOST_TEST(flat.data()[5] == T(100));
  // A rank-0 tensor has a one-element array map.
  BOOST_TEST(scalar_tensor<T>(4).array().size() == 1);
}

BOOST_AUTO_TEST_CASE_TEMPLATE(matrix_needs_rank2, T, Types) {
  BOOST_CHECK_EXCEPTION(ones<T>({3}).matrix(), ShapeError, mentions({"[3]"}));
  BOOST_CHECK_EXCEPTION(ones<T>({2, 3, 4}).matrix(), ShapeError, mentions({"[2, 3, 4]"}));
  BOOST_CHECK_EXCEPTION(scalar_tensor<T>(1).matrix(), ShapeError, mentions({"[]"}));
  BOOST_CHECK_NO_THROW(ones<T>({1, 1}).matrix());
}

BOOST_AUTO_TEST_SUITE_END()

// ============================================================================ devices
BOOST_AUTO_TEST_SUITE(devices)

BOOST_AUTO_TEST_CASE(parse_good_strings) {
  const Device cpu = Device::parse("cpu");
  BOOST_TEST(cpu.is_cpu());
  BOOST_TEST(!cpu.is_cuda());
  BOOST_TEST(cpu.str() == "cpu");
  BOOST_TEST((cpu == Device::cpu()));

  const Device cuda = Device::parse("cuda");
  BOOST_TEST(cuda.is_cuda());
  BOOST_TEST(cuda.index == 0);
  BOOST_TEST(cuda.str() == "cuda:0");
  BOOST_TEST((cuda == Device::cuda()));

  const Device cuda1 = Device::parse("cuda:1");
  BOOST_TEST(cuda1.is_cuda());
  BOOST_TEST(cuda1.index == 1);
  BOOST_TEST(cuda1.str() == "cuda:1");
  BOOST_TEST((cuda1 != cuda));
  BOOST_TEST((cuda1 != cpu));
  BOOST_TEST(Device::parse("cuda:12").index == 12);

  std::ostringstream os;
  os << cuda1 << ' ' << cpu;
  BOOST_TEST(os.str() == "cuda:1 cpu");
}

BOOST_AUTO_TEST_CASE(parse_bad_strings_names_the_text) {
  for (const std::string bad : {"gpu", "CUDA", "Cpu", "cuda:", "cuda:x", "cuda:-1", "cuda1", "cuda:1a", "", " cpu",
                                "cpu ", "tpu:0"}) {
    BOOST_CHECK_EXCEPTION(Device::parse(bad), DeviceError, mentions({"'" + bad + "'"}));
  }
}

BOOST_AUTO_TEST_CASE_TEMPLATE(cuda_without_backend, T, Types) {
  if (cuda_backend_built()) {
    BOOST_TEST_MESSAGE("CUDA backend built: the not-built errors do not apply");
    return;
  }
  const Device gpu = Device::cuda();
  BOOST_CHECK_EXCEPTION(zeros<T>({2}, gpu), DeviceError, mentions({"CUDA backend not built"}));
  BOOST_CHECK_EXCEPTION(ones<T>({2}, Device::parse("cuda:1")), DeviceError, mentions({"CUDA backend not built"}));
  BOOST_CHECK_THROW(full<T>({2}, T(1), gpu), DeviceError);
  BOOST_CHECK_THROW(empty<T>({2}, TensorOptions().device(gpu)), DeviceError);
  BOOST_CHECK_THROW(randn<T>({2}, gpu), DeviceError);
  BOOST_CHECK_THROW(rand<T>({2}, gpu), DeviceError);
  BOOST_CHECK_THROW(linspace<T>(0, 1, 5, gpu), DeviceError);
  BOOST_CHECK_THROW(arange<T>(5, gpu), DeviceError);
  BOOST_CHECK_THROW(from_vector<T>({1}, {1}, gpu), DeviceError);
  BOOST_CHECK_THROW(scalar_tensor<T>(1, gpu), DeviceError);
  const Tensor<T> t{1, 2};
  BOOST_CHECK_EXCEPTION(t.to(gpu), DeviceError, mentions({"CUDA backend not built"}));
}

BOOST_AUTO_TEST_CASE_TEMPLATE(to_cpu_is_the_same_tensor, T, Types) {
  const Tensor<T> t{1, 2, 3};
  BOOST_TEST(t.to(Device::cpu()).is_same(t));
  BOOST_TEST(t.to(Device::parse("cpu")).data() == t.data());
  BOOST_TEST(t.device().str() == "cpu");
  BOOST_TEST(zeros<T>({2}, Device::cpu()).device().is_cpu());
}

BOOST_AUTO_TEST_SUITE_END()

// ============================================================================ printing
// Expected strings are what PyTorch 1.13 prints for the same tensor (torch/_tensor_str.py with
// the default options: precision 4, threshold 1000, edgeitems 3, linewidth 80).
BOOST_AUTO_TEST_SUITE(printing)

BOOST_AUTO_TEST_CASE(float_vectors) {
  BOOST_TEST(repr(Tensor<float>{1, 2, 3}) == "tensor([1., 2., 3.])");
  BOOST_TEST(repr(Tensor<float>{1e-5f, 1}) == "tensor([1.0000e-05, 1.0000e+00])");
  BOOST_TEST(repr(Tensor<float>{-1.5f, 2.25f}) == "tensor([-1.5000,  2.2500])");
  BOOST_TEST(repr(Tensor<float>{0.1f, 0.25f}) == "tensor([0.1000, 0.2500])");
  BOOST_TEST(repr(Tensor<float>{100, 1}) == "tensor([100.,   1.])");
  BOOST_TEST(repr(Tensor<float>{-100, 1}) == "tensor([-100.,    1.])");
  BOOST_TEST(repr(Tensor<float>{1e9f, 1}) == "tensor([1.0000e+09, 1.0000e+00])");    // above 1e8
  BOOST_TEST(repr(Tensor<float>{2000, 1}) == "tensor([2.0000e+03, 1.0000e+00])");    // ratio > 1000
  BOOST_TEST(repr(Tensor<float>{1000, 1}) == "tensor([1000.,    1.])");               // ratio = 1000
  BOOST_TEST(repr(Tensor<float>{0.5f, 1e-3f}) == "tensor([0.5000, 0.0010])");
  BOOST_TEST(repr(Tensor<float>{1.5f, 1e-3f}) == "tensor([1.5000e+00, 1.0000e-03])");  // ratio 1500
  BOOST_TEST(repr(zeros<float>({3})) == "tensor([0., 0., 0.])");
  BOOST_TEST(repr(Tensor<float>{0, -2}) == "tensor([ 0., -2.])");
  BOOST_TEST(repr(Tensor<float>{-1e-5f, 1}) == "tensor([-1.0000e-05,  1.0000e+00])");
  BOOST_TEST(repr(Tensor<float>{1234.5f, 1.5f}) == "tensor([1234.5000,    1.5000])");
  BOOST_TEST(repr(Tensor<float>{-0.0f}) == "tensor([-0.])");
  BOOST_TEST(repr(Tensor<double>{1e100, 1}) == "tensor([1.0000e+100,  1.0000e+00], dtype=torch.float64)");
}

BOOST_AUTO_TEST_CASE(scalars) {
  BOOST_TEST(repr(scalar_tensor<float>(0.5f)) == "tensor(0.5000)");
  BOOST_TEST(repr(scalar_tensor<float>(3)) == "tensor(3.)");
  BOOST_TEST(repr(scalar_tensor<float>(-2.5f)) == "tensor(-2.5000)");
  BOOST_TEST(repr(scalar_tensor<float>(1e-5f)) == "tensor(1.0000e-05)");
  BOOST_TEST(repr(scalar_tensor<float>(0)) == "tensor(0.)");
  BOOST_TEST(repr(scalar_tensor<double>(0.5)) == "tensor(0.5000, dtype=torch.float64)");
  BOOST_TEST(repr(scalar_tensor<float>(2, TensorOptions().requires_grad(true))) == "tensor(2., requires_grad=True)");
}

BOOST_AUTO_TEST_CASE(non_finite_values) {
  const float nan = std::numeric_limits<float>::quiet_NaN();
  const float inf = std::numeric_limits<float>::infinity();
  BOOST_TEST(repr(Tensor<float>{1.5f, nan, inf}) == "tensor([1.5000,    nan,    inf])");
  BOOST_TEST(repr(Tensor<float>{1, nan, -inf}) == "tensor([1., nan, -inf])");
  BOOST_TEST(repr(Tensor<float>{nan, inf}) == "tensor([nan, inf])");
  // Python never prints a sign on NaN, whatever its sign bit.
  BOOST_TEST(repr(Tensor<float>{1e-5f, -nan}) == "tensor([1.0000e-05,        nan])");
  BOOST_TEST(repr(Tensor<float>{1.5f, -nan}) == "tensor([1.5000,    nan])");
  BOOST_TEST(repr(Tensor<float>{1, -nan}) == "tensor([1., nan])");
  BOOST_TEST(repr(scalar_tensor<float>(-nan)) == "tensor(nan)");
}

BOOST_AUTO_TEST_CASE(double_dtype_suffix) {
  BOOST_TEST(repr(Tensor<double>{1, 2, 3}) == "tensor([1., 2., 3.], dtype=torch.float64)");
  BOOST_TEST(repr(Tensor<double>{1e-5, 1}) == "tensor([1.0000e-05, 1.0000e+00], dtype=torch.float64)");
  BOOST_TEST(repr(Tensor<double>{{1, 2}, {3, 4}}) ==
             "tensor([[1., 2.],\n"
             "        [3., 4.]], dtype=torch.float64)");
  BOOST_TEST(repr(from_vector<double>({1, 2}, {2}, TensorOptions().requires_grad(true))) ==
             "tensor([1., 2.], dtype=torch.float64, requires_grad=True)");
}

BOOST_AUTO_TEST_CASE(matrices) {
  BOOST_TEST(repr(Tensor<float>{{1, 2}, {3, 4}}) ==
             "tensor([[1., 2.],\n"
             "        [3., 4.]])");
  BOOST_TEST(repr(Tensor<float>{{1.5f, -2.25f}, {3, 4}}) ==
             "tensor([[ 1.5000, -2.2500],\n"
             "        [ 3.0000,  4.0000]])");
  BOOST_TEST(repr(Tensor<float>{{1, 2, 3}}) == "tensor([[1., 2., 3.]])");
  BOOST_TEST(repr(Tensor<float>{1, 2}.unsqueeze(1)) ==
             "tensor([[1.],\n"
             "        [2.]])");
  BOOST_TEST(repr(arange<float>(8).reshape({2, 2, 2})) ==
             "tensor([[[0., 1.],\n"
             "         [2., 3.]],\n"
             "\n"
             "        [[4., 5.],\n"
             "         [6., 7.]]])");
  BOOST_TEST(repr(ones<float>({1, 1, 1, 2})) == "tensor([[[[1., 1.]]]])");
  BOOST_TEST(repr(arange<float>(4).reshape({2, 1, 1, 2})) ==
             "tensor([[[[0., 1.]]],\n"
             "\n"
             "\n"
             "        [[[2., 3.]]]])");
}

BOOST_AUTO_TEST_CASE(long_rows_wrap_at_80_columns) {
  BOOST_TEST(repr(arange<float>(30)) ==
             "tensor([ 0.,  1.,  2.,  3.,  4.,  5.,  6.,  7.,  8.,  9., 10., 11., 12., 13.,\n"
             "        14., 15., 16., 17., 18., 19., 20., 21., 22., 23., 24., 25., 26., 27.,\n"
             "        28., 29.])");
  BOOST_TEST(repr(linspace<float>(0, 1, 11)) ==
             "tensor([0.0000, 0.1000, 0.2000, 0.3000, 0.4000, 0.5000, 0.6000, 0.7000, 0.8000,\n"
             "        0.9000, 1.0000])");
  // Inside a matrix each row is indented one more, and its continuation lines one more again.
  BOOST_TEST(repr(ones<float>({2, 20})) ==
             "tensor([[1., 1., 1., 1., 1., 1., 1., 1., 1., 1., 1., 1., 1., 1., 1., 1., 1., 1.,\n"
             "         1., 1.],\n"
             "        [1., 1., 1., 1., 1., 1., 1., 1., 1., 1., 1., 1., 1., 1., 1., 1., 1., 1.,\n"
             "         1., 1.]])");
}

BOOST_AUTO_TEST_CASE(summarization_above_1000_elements) {
  BOOST_TEST(repr(linspace<float>(-kPi, kPi, 2000)) ==
             "tensor([-3.1416, -3.1384, -3.1353,  ...,  3.1353,  3.1384,  3.1416])");
  BOOST_TEST(repr(linspace<double>(-kPi, kPi, 2000)) ==
             "tensor([-3.1416, -3.1384, -3.1353,  ...,  3.1353,  3.1384,  3.1416],\n"
             "       dtype=torch.float64)");
  BOOST_TEST(repr(arange<float>(2000)) ==
             "tensor([0.0000e+00, 1.0000e+00, 2.0000e+00,  ..., 1.9970e+03, 1.9980e+03,\n"
             "        1.9990e+03])");
  // Rows are summarized too, and the formatter only looks at the rows shown.
  std::vector<float> v;
  for (int k = 0; k < 2002; ++k) v.push_back(static_cast<float>(1 + k / 10000.0));
  v[1000] = 1e9f;  // hidden in the middle: must not switch the format to scientific
  BOOST_TEST(repr(from_vector<float>(v, {1001, 2})) ==
             "tensor([[1.0000, 1.0001],\n"
             "        [1.0002, 1.0003],\n"
             "        [1.0004, 1.0005],\n"
             "        ...,\n"
             "        [1.1996, 1.1997],\n"
             "        [1.1998, 1.1999],\n"
             "        [1.2000, 1.2001]])");
  BOOST_TEST(repr(ones<float>({4, 300})) ==
             "tensor([[1., 1., 1.,  ..., 1., 1., 1.],\n"
             "        [1., 1., 1.,  ..., 1., 1., 1.],\n"
             "        [1., 1., 1.,  ..., 1., 1., 1.],\n"
             "        [1., 1., 1.,  ..., 1., 1., 1.]])");
  // 1000 elements are printed in full; 1001 are summarized.
  const std::string full = repr(ones<float>({1000}));
  BOOST_TEST(full.find("...") == std::string::npos);
  std::size_t count = 0;
  for (std::size_t pos = full.find("1."); pos != std::string::npos; pos = full.find("1.", pos + 1)) ++count;
  BOOST_TEST(count == 1000u);
  BOOST_TEST(repr(ones<float>({1001})) == "tensor([1., 1., 1.,  ..., 1., 1., 1.])");
}

BOOST_AUTO_TEST_CASE(empty_tensors) {
  BOOST_TEST(repr(zeros<float>({0})) == "tensor([])");
  BOOST_TEST(repr(zeros<float>({2, 0})) == "tensor([], size=(2, 0))");
  BOOST_TEST(repr(zeros<float>({0, 3, 1})) == "tensor([], size=(0, 3, 1))");
  BOOST_TEST(repr(zeros<double>({0})) == "tensor([], dtype=torch.float64)");
  BOOST_TEST(repr(zeros<double>({0, 3})) == "tensor([], size=(0, 3), dtype=torch.float64)");
}

BOOST_AUTO_TEST_CASE(autograd_suffixes) {
  const Tensor<float> a = from_vector<float>({1, 2}, {2}, TensorOptions().requires_grad(true));
  const Tensor<float> b{3, 4};
  BOOST_TEST(repr(a) == "tensor([1., 2.], requires_grad=True)");
  BOOST_TEST(repr(a + b) == "tensor([4., 6.], grad_fn=<AddBackward0>)");
  BOOST_TEST(repr(b + a) == "tensor([4., 6.], grad_fn=<AddBackward0>)");
  BOOST_TEST(repr(a - b) == "tensor([-2., -2.], grad_fn=<SubBackward0>)");
  BOOST_TEST(repr(a * b) == "tensor([3., 8.], grad_fn=<MulBackward0>)");
  BOOST_TEST(repr(a / b) == "tensor([0.3333, 0.5000], grad_fn=<DivBackward0>)");
  BOOST_TEST(repr(-a) == "tensor([-1., -2.], grad_fn=<NegBackward0>)");
  BOOST_TEST(repr(a.pow(2)) == "tensor([1., 4.], grad_fn=<PowBackward0>)");
  BOOST_TEST(repr(a.pow(b)) == "tensor([ 1., 16.], grad_fn=<PowBackward1>)");
  BOOST_TEST(repr(a.sum()) == "tensor(3., grad_fn=<SumBackward0>)");
  BOOST_TEST(repr(a.mean()) == "tensor(1.5000, grad_fn=<MeanBackward0>)");
  BOOST_TEST(repr(a.log()) == "tensor([0.0000, 0.6931], grad_fn=<LogBackward0>)");
  BOOST_TEST(repr(1 - a) == "tensor([ 0., -1.], grad_fn=<RsubBackward1>)");
  BOOST_TEST(repr(a.unsqueeze(0)) == "tensor([[1., 2.]], grad_fn=<UnsqueezeBackward0>)");
  BOOST_TEST(repr(a.unsqueeze(1).matmul(b.unsqueeze(0))) ==
             "tensor([[3., 4.],\n"
             "        [6., 8.]], grad_fn=<MmBackward0>)");
  BOOST_TEST(repr(a.detach()) == "tensor([1., 2.])");
  {
    NoGradGuard guard;
    BOOST_TEST(repr(a * b) == "tensor([3., 8.])");
  }
  const Tensor<double> ad = from_vector<double>({1, 2}, {2}, TensorOptions().requires_grad(true));
  BOOST_TEST(repr(ad + Tensor<double>{3, 4}) == "tensor([4., 6.], dtype=torch.float64, grad_fn=<AddBackward0>)");
}

// With a Python number as the other operand PyTorch 1.13 wraps it in a tensor and records the
// Tensor overload: `x + 1` and `1 + x` print AddBackward0, `x - 1` SubBackward0, `x * 2`
// MulBackward0, `x / 2` DivBackward0, and `2 / x` (Tensor.__rdiv__ = reciprocal() * 2)
// MulBackward0.
BOOST_AUTO_TEST_CASE(autograd_suffixes_with_scalar_operands) {
  const Tensor<float> a = from_vector<float>({1, 2}, {2}, TensorOptions().requires_grad(true));
  BOOST_TEST(repr(a + 1) == "tensor([2., 3.], grad_fn=<AddBackward0>)");
  BOOST_TEST(repr(1 + a) == "tensor([2., 3.], grad_fn=<AddBackward0>)");
  BOOST_TEST(repr(a - 1) == "tensor([0., 1.], grad_fn=<SubBackward0>)");
  BOOST_TEST(repr(a * 2) == "tensor([2., 4.], grad_fn=<MulBackward0>)");
  BOOST_TEST(repr(2 * a) == "tensor([2., 4.], grad_fn=<MulBackward0>)");
  BOOST_TEST(repr(a / 2) == "tensor([0.5000, 1.0000], grad_fn=<DivBackward0>)");
  BOOST_TEST(repr(2 / a) == "tensor([2., 1.], grad_fn=<MulBackward0>)");
}

BOOST_AUTO_TEST_CASE(suffix_wraps_exactly_where_pytorch_does) {
  // _add_suffixes counts the last line as len + 2 when there is no newline: a 59-character
  // body plus ", requires_grad=True" goes to the next line, a 55-character one does not.
  const TensorOptions grad = TensorOptions().requires_grad(true);
  BOOST_TEST(repr(ones<float>({12}, grad)) ==
             "tensor([1., 1., 1., 1., 1., 1., 1., 1., 1., 1., 1., 1.], requires_grad=True)");
  BOOST_TEST(repr(ones<float>({13}, grad)) ==
             "tensor([1., 1., 1., 1., 1., 1., 1., 1., 1., 1., 1., 1., 1.],\n"
             "       requires_grad=True)");
  // With a newline in the body only the last line counts (len - rfind('\n') + 1).
  BOOST_TEST(repr(ones<double>({2, 2})) ==
             "tensor([[1., 1.],\n"
             "        [1., 1.]], dtype=torch.float64)");
  BOOST_TEST(repr(ones<double>({2, 2}, grad)) ==
             "tensor([[1., 1.],\n"
             "        [1., 1.]], dtype=torch.float64, requires_grad=True)");
  // Two suffixes, the second one wrapping.
  BOOST_TEST(repr(ones<double>({8}, grad)) ==
             "tensor([1., 1., 1., 1., 1., 1., 1., 1.], dtype=torch.float64,\n"
             "       requires_grad=True)");
}

BOOST_AUTO_TEST_CASE(views_and_offsets_print_their_own_elements) {
  Storage<float> storage(5);
  for (int i = 0; i < 5; ++i) storage.data()[i] = static_cast<float>(i);
  BOOST_TEST(repr(Tensor<float>(storage, {2}, 3)) == "tensor([3., 4.])");
  BOOST_TEST(repr(arange<float>(6).reshape({3, 2})) ==
             "tensor([[0., 1.],\n"
             "        [2., 3.],\n"
             "        [4., 5.]])");
  std::ostringstream os;
  BOOST_CHECK_NO_THROW(os << Tensor<float>());
}

BOOST_AUTO_TEST_SUITE_END()
