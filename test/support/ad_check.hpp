#pragma once
/// \file ad_check.hpp
/// \brief The three-way derivative check of a tensor op (Stan's test framework style):
///        forward mode (Dual numbers) = reverse mode (Tensor<double> backward) = central
///        finite differences, plus second derivatives from nested duals against finite
///        differences of reverse-mode gradients. One line per op:
///
/// ```
/// check_ad_modes("mul", [](const auto& in) { return in[0] * in[1]; }, {leaf({2, 3}, 1), leaf({3}, 2)});
/// ```
///
/// The op is a generic lambda over a `std::vector` of tensors. It runs on Tensor<double>
/// (reverse mode and finite differences, through autograd's jacobian_reverse and
/// jacobian_numerical) and on DualTensor<Dual<double, N>>: a small, independent reference
/// implementation of the tensor API (row-major, NumPy broadcasting, reductions, views,
/// matmul) over Eigen arrays of duals. Its results also check the tensor op's values.
#include <boost/test/unit_test.hpp>

#include <Eigen/Core>
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <sstream>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "eigrad/autograd/grad_mode.hpp"
#include "eigrad/autograd/gradcheck.hpp"
#include "eigrad/dual.hpp"
#include "eigrad/dual_eigen.hpp"
#include "eigrad/errors.hpp"
#include "eigrad/random.hpp"
#include "eigrad/shape.hpp"
#include "eigrad/tensor.hpp"

namespace eigrad::test {

/// Seeded standard-normal float64 values of \p shape plus \p shift (a shift keeps log, sqrt,
/// divisors and real powers on their domain): the operands of the AD and gradient checks.
inline Tensor<double> seeded_normal(const Shape& shape, std::uint64_t seed, double shift = 0) {
  manual_seed(seed);
  Tensor<double> t = randn<double>(shape);
  if (shift != 0) t += shift;
  return t;
}

namespace ad_detail {

/// NumPy broadcasting, written independently of eigrad::broadcast_shapes.
inline Shape broadcast(const Shape& a, const Shape& b) {
  const std::size_t r = std::max(a.size(), b.size());
  Shape out(r);
  for (std::size_t i = 0; i < r; ++i) {
    const std::int64_t da = i < r - a.size() ? 1 : a[i - (r - a.size())];
    const std::int64_t db = i < r - b.size() ? 1 : b[i - (r - b.size())];
    if (da != db && da != 1 && db != 1)
      throw ShapeError("DualTensor: shapes " + to_string(a) + " and " + to_string(b) + " do not broadcast");
    out[i] = da == 1 ? db : da;
  }
  return out;
}

/// Flat index in a tensor of shape \p in of the element that broadcasts to multi-index
/// \p idx of shape \p out (dimensions aligned on the right, extent-1 dimensions repeat).
inline std::int64_t source_index(const std::vector<std::int64_t>& idx, const Shape& out, const Shape& in) {
  std::int64_t flat = 0, stride = 1;
  const std::size_t lead = out.size() - in.size();
  for (std::size_t d = in.size(); d-- > 0;) {
    flat += (in[d] == 1 ? 0 : idx[d + lead]) * stride;
    stride *= in[d];
  }
  return flat;
}

/// Advances a row-major multi-index over \p shape.
inline void next_index(std::vector<std::int64_t>& idx, const Shape& shape) {
  for (std::size_t d = shape.size(); d-- > 0;) {
    if (++idx[d] < shape[d]) return;
    idx[d] = 0;
  }
}

inline std::int64_t count(const Shape& s) {
  std::int64_t n = 1;
  for (std::int64_t e : s) n *= e;
  return n;
}

inline int wrap(std::int64_t dim, int rank) {
  const int r = std::max(rank, 1);
  if (dim < -r || dim >= r)
    throw ValueError("DualTensor: dimension " + std::to_string(dim) + " out of range for rank " + std::to_string(rank));
  return static_cast<int>(dim < 0 ? dim + r : dim);
}

}  // namespace ad_detail

/// A row-major tensor of scalars \p S (duals, or nested duals) with the Tensor API the
/// differentiable ops use. Values only: no autograd, the duals carry the derivatives.
template <class S>
class DualTensor {
 public:
  /// Element type.
  using Scalar = S;
  /// Flat storage.
  using Array = Eigen::Array<S, Eigen::Dynamic, 1>;

  /// An empty rank-1 tensor.
  DualTensor() : shape_{0} {}
  /// Zeros of \p shape.
  explicit DualTensor(Shape shape) : shape_(std::move(shape)), data_(Array::Constant(ad_detail::count(shape_), S(0))) {}
  /// \p data viewed with \p shape.
  DualTensor(Shape shape, Array data) : shape_(std::move(shape)), data_(std::move(data)) {
    if (ad_detail::count(shape_) != data_.size())
      throw ShapeError("DualTensor: " + std::to_string(data_.size()) + " values for shape " + to_string(shape_));
  }
  /// The values of \p t as constants (zero tangents).
  static DualTensor constant(const Tensor<double>& t) {
    Array a(t.numel());
    const std::vector<double> v = t.to_vector();
    for (std::int64_t i = 0; i < t.numel(); ++i) a(i) = S(v[static_cast<std::size_t>(i)]);
    return DualTensor(t.shape(), std::move(a));
  }

  /// Extents.
  const Shape& shape() const { return shape_; }
  /// Extent of dimension \p d.
  std::int64_t size(std::int64_t d) const { return shape_[ad_detail::wrap(d, dim())]; }
  /// Rank.
  int dim() const { return static_cast<int>(shape_.size()); }
  /// Number of elements.
  std::int64_t numel() const { return data_.size(); }
  /// Element \p i in row-major order.
  const S& at(std::int64_t i) const { return data_(i); }
  /// Element \p i (writable, to seed tangents).
  S& at(std::int64_t i) { return data_(i); }
  /// The flat elements.
  const Array& data() const { return data_; }

  /// Applies \p f to every element.
  template <class F>
  DualTensor map(F f) const {
    Array out(data_.size());
    for (Eigen::Index i = 0; i < data_.size(); ++i) out(i) = f(data_(i));
    return DualTensor(shape_, std::move(out));
  }

  /// Elementwise sine.
  DualTensor sin() const { return map([](const S& x) { using std::sin; return sin(x); }); }
  /// Elementwise cosine.
  DualTensor cos() const { return map([](const S& x) { using std::cos; return cos(x); }); }
  /// Elementwise exponential.
  DualTensor exp() const { return map([](const S& x) { using std::exp; return exp(x); }); }
  /// Elementwise logarithm.
  DualTensor log() const { return map([](const S& x) { using std::log; return log(x); }); }
  /// Elementwise square root.
  DualTensor sqrt() const { return map([](const S& x) { using std::sqrt; return sqrt(x); }); }
  /// Elementwise absolute value.
  DualTensor abs() const { return map([](const S& x) { using std::abs; return abs(x); }); }
  /// Elementwise tanh.
  DualTensor tanh() const { return map([](const S& x) { using std::tanh; return tanh(x); }); }
  /// Elementwise logistic sigmoid.
  DualTensor sigmoid() const { return map([](const S& x) { return eigrad::sigmoid(x); }); }
  /// Elementwise max(x, 0).
  DualTensor relu() const { return map([](const S& x) { return eigrad::relu(x); }); }
  /// Elementwise power with a real exponent.
  DualTensor pow(double e) const { return map([e](const S& x) { return eigrad::pow(x, e); }); }
  /// Elementwise power with a broadcast tensor exponent.
  DualTensor pow(const DualTensor& e) const {
    return zip(*this, e, [](const S& x, const S& y) { return eigrad::pow(x, y); });
  }

  /// Sum of all elements (rank 0).
  DualTensor sum() const { return DualTensor(Shape{}, Array::Constant(1, data_.sum())); }
  /// Sum over dimension \p d.
  DualTensor sum(std::int64_t d, bool keepdim = false) const {
    if (dim() == 0) return *this;
    const int k = ad_detail::wrap(d, dim());
    Shape kept = shape_;
    kept[k] = 1;
    DualTensor out(kept);
    std::vector<std::int64_t> idx(shape_.size(), 0);
    for (std::int64_t i = 0; i < numel(); ++i) {
      out.at(ad_detail::source_index(idx, shape_, kept)) += data_(i);
      ad_detail::next_index(idx, shape_);
    }
    if (!keepdim) out.shape_.erase(out.shape_.begin() + k);
    return out;
  }
  /// Mean of all elements.
  DualTensor mean() const { return sum() / static_cast<double>(numel()); }
  /// Mean over dimension \p d.
  DualTensor mean(std::int64_t d, bool keepdim = false) const {
    const double n = dim() == 0 ? 1.0 : static_cast<double>(shape_[ad_detail::wrap(d, dim())]);
    return sum(d, keepdim) / n;
  }
  /// Sums down to \p target, reversing broadcasting.
  DualTensor sum_to(const Shape& target) const {
    DualTensor out = *this;
    while (out.dim() > static_cast<int>(target.size())) out = out.sum(0, false);
    for (std::size_t d = 0; d < target.size(); ++d)
      if (target[d] == 1 && out.shape_[d] != 1) out = out.sum(static_cast<std::int64_t>(d), true);
    return out;
  }

  /// The same elements with \p shape (one extent may be -1).
  DualTensor reshape(Shape shape) const {
    std::int64_t known = 1;
    int infer = -1;
    for (std::size_t d = 0; d < shape.size(); ++d) {
      if (shape[d] == -1) infer = static_cast<int>(d);
      else known *= shape[d];
    }
    if (infer >= 0) shape[static_cast<std::size_t>(infer)] = known == 0 ? 0 : numel() / known;
    return DualTensor(std::move(shape), data_);
  }
  /// Same as reshape().
  DualTensor view(Shape shape) const { return reshape(std::move(shape)); }
  /// Inserts an extent-1 dimension at \p d.
  DualTensor unsqueeze(std::int64_t d) const {
    const int k = ad_detail::wrap(d, dim() + 1);
    Shape s = shape_;
    s.insert(s.begin() + k, 1);
    return DualTensor(std::move(s), data_);
  }
  /// Removes dimension \p d if its extent is 1.
  DualTensor squeeze(std::int64_t d) const {
    if (dim() == 0) return *this;
    const int k = ad_detail::wrap(d, dim());
    Shape s = shape_;
    if (s[k] == 1) s.erase(s.begin() + k);
    return DualTensor(std::move(s), data_);
  }
  /// Merges dimensions \p start .. \p end.
  DualTensor flatten(std::int64_t start = 0, std::int64_t end = -1) const {
    if (dim() == 0) return DualTensor(Shape{1}, data_);
    const int a = ad_detail::wrap(start, dim()), b = ad_detail::wrap(end, dim());
    Shape s(shape_.begin(), shape_.begin() + a);
    std::int64_t merged = 1;
    for (int d = a; d <= b; ++d) merged *= shape_[d];
    s.push_back(merged);
    s.insert(s.end(), shape_.begin() + b + 1, shape_.end());
    return DualTensor(std::move(s), data_);
  }
  /// A copy.
  DualTensor clone() const { return *this; }
  /// Transpose of a rank-2 tensor.
  DualTensor t() const {
    if (dim() < 2) return *this;
    const std::int64_t r = shape_[0], c = shape_[1];
    DualTensor out(Shape{c, r});
    for (std::int64_t i = 0; i < r; ++i)
      for (std::int64_t j = 0; j < c; ++j) out.at(j * r + i) = data_(i * c + j);
    return out;
  }
  /// Rank-2 matrix product.
  DualTensor matmul(const DualTensor& o) const {
    if (dim() != 2 || o.dim() != 2 || shape_[1] != o.shape_[0])
      throw ShapeError("DualTensor::matmul: shapes " + to_string(shape_) + " and " + to_string(o.shape_));
    const std::int64_t m = shape_[0], k = shape_[1], n = o.shape_[1];
    DualTensor out(Shape{m, n});
    for (std::int64_t i = 0; i < m; ++i)
      for (std::int64_t j = 0; j < n; ++j) {
        S acc(0);
        for (std::int64_t p = 0; p < k; ++p) acc += data_(i * k + p) * o.data_(p * n + j);
        out.at(i * n + j) = acc;
      }
    return out;
  }

  /// Elementwise \p op of two broadcast operands.
  template <class Op>
  friend DualTensor zip(const DualTensor& a, const DualTensor& b, Op op) {
    const Shape out_shape = ad_detail::broadcast(a.shape_, b.shape_);
    DualTensor out(out_shape);
    std::vector<std::int64_t> idx(out_shape.size(), 0);
    for (std::int64_t i = 0; i < out.numel(); ++i) {
      out.at(i) = op(a.at(ad_detail::source_index(idx, out_shape, a.shape_)),
                     b.at(ad_detail::source_index(idx, out_shape, b.shape_)));
      ad_detail::next_index(idx, out_shape);
    }
    return out;
  }

 private:
  Shape shape_;
  Array data_;
};

/// \cond OPERATOR_OVERLOADS
template <class S>
DualTensor<S> lift(const DualTensor<S>& t) { return t; }
template <class S>
DualTensor<S> lift(const Tensor<double>& t) { return DualTensor<S>::constant(t); }

#define EIGRAD_AD_BINARY(OP)                                                                          \
  template <class S>                                                                                  \
  DualTensor<S> operator OP(const DualTensor<S>& a, const DualTensor<S>& b) {                         \
    return zip(a, b, [](const S& x, const S& y) { return S(x OP y); });                               \
  }                                                                                                   \
  template <class S>                                                                                  \
  DualTensor<S> operator OP(const DualTensor<S>& a, const Tensor<double>& b) { return a OP lift<S>(b); } \
  template <class S>                                                                                  \
  DualTensor<S> operator OP(const Tensor<double>& a, const DualTensor<S>& b) { return lift<S>(a) OP b; } \
  template <class S, class V, std::enable_if_t<std::is_arithmetic_v<V>, int> = 0>                     \
  DualTensor<S> operator OP(const DualTensor<S>& a, V v) {                                            \
    return a.map([v](const S& x) { return S(x OP static_cast<double>(v)); });                         \
  }                                                                                                   \
  template <class S, class V, std::enable_if_t<std::is_arithmetic_v<V>, int> = 0>                     \
  DualTensor<S> operator OP(V v, const DualTensor<S>& a) {                                            \
    return a.map([v](const S& x) { return S(static_cast<double>(v) OP x); });                         \
  }
EIGRAD_AD_BINARY(+)
EIGRAD_AD_BINARY(-)
EIGRAD_AD_BINARY(*)
EIGRAD_AD_BINARY(/)
#undef EIGRAD_AD_BINARY

template <class S>
DualTensor<S> operator-(const DualTensor<S>& a) { return a.map([](const S& x) { return S(-x); }); }
template <class S>
DualTensor<S> maximum(const DualTensor<S>& a, const DualTensor<S>& b) {
  return zip(a, b, [](const S& x, const S& y) { return eigrad::maximum(x, y); });
}
template <class S>
DualTensor<S> minimum(const DualTensor<S>& a, const DualTensor<S>& b) {
  return zip(a, b, [](const S& x, const S& y) { return eigrad::minimum(x, y); });
}
template <class S>
DualTensor<S> clamp(const DualTensor<S>& a, double lo, double hi) {
  return a.map([lo, hi](const S& x) { return eigrad::clamp(x, lo, hi); });
}
template <class S>
DualTensor<S> pow(double s, const DualTensor<S>& e) { return e.map([s](const S& x) { return eigrad::pow(s, x); }); }
template <class S>
DualTensor<S> pow(const DualTensor<S>& a, double e) { return a.pow(e); }
template <class S>
DualTensor<S> pow(const DualTensor<S>& a, const DualTensor<S>& e) { return a.pow(e); }
template <class S>
DualTensor<S> matmul(const DualTensor<S>& a, const DualTensor<S>& b) { return a.matmul(b); }
template <class S> DualTensor<S> sin(const DualTensor<S>& a) { return a.sin(); }
template <class S> DualTensor<S> cos(const DualTensor<S>& a) { return a.cos(); }
template <class S> DualTensor<S> exp(const DualTensor<S>& a) { return a.exp(); }
template <class S> DualTensor<S> log(const DualTensor<S>& a) { return a.log(); }
template <class S> DualTensor<S> sqrt(const DualTensor<S>& a) { return a.sqrt(); }
template <class S> DualTensor<S> abs(const DualTensor<S>& a) { return a.abs(); }
template <class S> DualTensor<S> tanh(const DualTensor<S>& a) { return a.tanh(); }
/// \endcond

/// Tolerances of check_ad_modes().
struct AdCheckOptions {
  double eps = 1e-6;         ///< finite-difference step of first derivatives
  double fd_atol = 1e-6;     ///< finite differences vs forward mode: absolute
  double fd_rtol = 1e-5;     ///< finite differences vs forward mode: relative
  double exact_atol = 1e-12; ///< forward vs reverse mode (both exact up to rounding): absolute
  double exact_rtol = 1e-10; ///< forward vs reverse mode: relative
  double eps2 = 1e-5;        ///< step of the finite differences of gradients (second order)
  double hess_rtol = 1e-5;   ///< nested duals vs finite differences of gradients: relative
  bool second_order = true;  ///< also check the Hessian of sum(op(x)^2)
};

namespace ad_detail {

/// Largest |a - b| - (atol + rtol |b|) over two row-major [m, n] matrices, and where.
struct Worst {
  double excess = -1, a = 0, b = 0;
  std::int64_t row = 0, col = 0;
  bool nan = false;
};

inline Worst compare(const Eigen::MatrixXd& a, const Eigen::MatrixXd& b, double atol, double rtol) {
  Worst w;
  for (Eigen::Index i = 0; i < a.rows(); ++i)
    for (Eigen::Index j = 0; j < a.cols(); ++j) {
      const bool nan = std::isnan(a(i, j)) != std::isnan(b(i, j));
      const double excess = std::isnan(a(i, j)) && std::isnan(b(i, j))
                                ? -1.0
                                : std::abs(a(i, j) - b(i, j)) - (atol + rtol * std::abs(b(i, j)));
      if (nan || excess > w.excess || std::isnan(excess)) {
        w = {excess, a(i, j), b(i, j), i, j, nan || std::isnan(excess)};
        if (w.nan) return w;
      }
    }
  return w;
}

inline bool passed(const Worst& w) { return !w.nan && w.excess <= 0; }

inline Eigen::MatrixXd to_matrix(const Tensor<double>& t) {
  const std::vector<double> v = t.to_vector();
  const std::int64_t rows = t.dim() == 2 ? t.size(0) : 1;
  const std::int64_t cols = t.numel() / std::max<std::int64_t>(rows, 1);
  Eigen::MatrixXd m(rows, cols);
  for (std::int64_t i = 0; i < rows; ++i)
    for (std::int64_t j = 0; j < cols; ++j) m(i, j) = v[static_cast<std::size_t>(i * cols + j)];
  return m;
}

/// Inputs as constant DualTensors of \p S.
template <class S>
std::vector<DualTensor<S>> lift_all(const std::vector<Tensor<double>>& inputs) {
  std::vector<DualTensor<S>> out;
  for (const auto& t : inputs) out.push_back(DualTensor<S>::constant(t));
  return out;
}

/// Coordinate \p flat of the concatenated inputs as (input, element).
inline std::pair<std::size_t, std::int64_t> locate(const std::vector<Tensor<double>>& inputs, std::int64_t flat) {
  for (std::size_t k = 0; k < inputs.size(); ++k) {
    if (flat < inputs[k].numel()) return {k, flat};
    flat -= inputs[k].numel();
  }
  throw ValueError("ad_check: coordinate out of range");
}

}  // namespace ad_detail

/// Forward-mode Jacobian d f / d inputs[k] ([output numel, input numel]) from passes of
/// Dual<double, N>, N elements of the input at a time; also checks the dual evaluation's
/// values and shape against \p expected (f evaluated on tensors).
template <int N = 4, class F>
Eigen::MatrixXd jacobian_forward(const F& f, const std::vector<Tensor<double>>& inputs, std::size_t k,
                                 const Tensor<double>& expected, const std::string& name) {
  using D = Dual<double, N>;
  const std::int64_t n = inputs.at(k).numel(), m = expected.numel();
  const std::vector<double> values = expected.to_vector();
  Eigen::MatrixXd J = Eigen::MatrixXd::Zero(m, n);
  for (std::int64_t start = 0; start < n || start == 0; start += N) {
    auto in = ad_detail::lift_all<D>(inputs);
    const int width = static_cast<int>(std::min<std::int64_t>(N, n - start));
    for (int i = 0; i < width; ++i) in[k].at(start + i).tangent(i) = 1.0;
    const DualTensor<D> y = f(in);
    BOOST_TEST(y.shape() == expected.shape(), name << ": dual evaluation has shape " << to_string(y.shape())
                                                   << ", the tensor op " << to_string(expected.shape()));
    if (y.numel() != m) return J;
    if (start == 0) {
      for (std::int64_t r = 0; r < m; ++r) {
        const double v = y.at(r).value(), e = values[static_cast<std::size_t>(r)];
        BOOST_TEST((std::abs(v - e) <= 1e-13 + 1e-12 * std::abs(e) || (std::isnan(v) && std::isnan(e))),
                   name << ": value [" << r << "] is " << e << " from the tensor op, " << v << " from duals");
      }
    }
    for (std::int64_t r = 0; r < m; ++r)
      for (int i = 0; i < width; ++i) J(r, start + i) = y.at(r).tangent(i);
    if (n == 0) break;
  }
  return J;
}

/// The three-way check of op \p f on \p inputs: for every input, the Jacobian by forward mode
/// must equal the reverse-mode one (to rounding) and the central-difference one (to the
/// finite-difference error). With options.second_order, the Hessian of sum(f(x)²) over all
/// inputs from nested duals must also equal central differences of reverse-mode gradients.
template <class F>
void check_ad_modes(const std::string& name, const F& f, const std::vector<Tensor<double>>& inputs,
                    const AdCheckOptions& options = {}) {
  const autograd::DifferentiableFunction on_tensors = [&f](const std::vector<Tensor<double>>& in) {
    return Tensor<double>(f(in));
  };
  Tensor<double> expected;
  {
    NoGradGuard no_grad;
    expected = on_tensors(inputs);
  }
  for (std::size_t k = 0; k < inputs.size(); ++k) {
    const Eigen::MatrixXd forward = jacobian_forward(f, inputs, k, expected, name);
    const Eigen::MatrixXd reverse = ad_detail::to_matrix(autograd::jacobian_reverse(on_tensors, inputs, k));
    const Eigen::MatrixXd numerical =
        ad_detail::to_matrix(autograd::jacobian_numerical(on_tensors, inputs, k, options.eps));
    BOOST_TEST_REQUIRE((forward.rows() == reverse.rows() && forward.cols() == reverse.cols()),
                       name << ": Jacobian sizes differ");
    const auto fr = ad_detail::compare(forward, reverse, options.exact_atol, options.exact_rtol);
    BOOST_TEST(ad_detail::passed(fr), name << ": d out[" << fr.row << "] / d input" << k << "[" << fr.col
                                           << "]: forward " << fr.a << ", reverse " << fr.b);
    const auto fn = ad_detail::compare(forward, numerical, options.fd_atol, options.fd_rtol);
    BOOST_TEST(ad_detail::passed(fn), name << ": d out[" << fn.row << "] / d input" << k << "[" << fn.col
                                           << "]: forward " << fn.a << ", central difference " << fn.b);
  }
  if (!options.second_order) return;

  // Second order: H of g(x) = sum(f(x)^2) over all input elements, from Dual<Dual<double,
  // N>, N> (inner tangents seed block I, outer block J), against central differences of
  // the reverse-mode gradient.
  constexpr int N = 4;
  using D = Dual<double, N>;
  using DD = Dual<D, N>;
  const auto g = [&f](const auto& in) {
    const auto y = f(in);
    return (y * y).sum();
  };
  std::int64_t total = 0;
  for (const auto& t : inputs) total += t.numel();
  Eigen::MatrixXd H(total, total);
  for (std::int64_t ib = 0; ib < total; ib += N) {
    for (std::int64_t jb = 0; jb < total; jb += N) {
      auto in = ad_detail::lift_all<DD>(inputs);
      const int wi = static_cast<int>(std::min<std::int64_t>(N, total - ib));
      const int wj = static_cast<int>(std::min<std::int64_t>(N, total - jb));
      for (int i = 0; i < wi; ++i) {
        const auto [k, e] = ad_detail::locate(inputs, ib + i);
        in[k].at(e).value().tangent(i) = 1.0;
      }
      for (int j = 0; j < wj; ++j) {
        const auto [k, e] = ad_detail::locate(inputs, jb + j);
        in[k].at(e).tangent(j) = D(1.0);
      }
      const DD y = g(in).at(0);
      for (int j = 0; j < wj; ++j)
        for (int i = 0; i < wi; ++i) H(jb + j, ib + i) = y.tangent(j).tangent(i);
    }
  }
  const autograd::DifferentiableFunction g_tensors = [&g](const std::vector<Tensor<double>>& in) {
    return Tensor<double>(g(in));
  };
  const auto gradient = [&](const std::vector<Tensor<double>>& at) {
    Eigen::VectorXd out(total);
    std::int64_t o = 0;
    for (std::size_t k = 0; k < at.size(); ++k) {
      const Eigen::MatrixXd row = ad_detail::to_matrix(autograd::jacobian_reverse(g_tensors, at, k));
      for (Eigen::Index e = 0; e < row.size(); ++e) out(o++) = row(e);
    }
    return out;
  };
  Eigen::MatrixXd fd(total, total);
  for (std::int64_t c = 0; c < total; ++c) {
    const auto [k, e] = ad_detail::locate(inputs, c);
    std::vector<Tensor<double>> plus, minus;
    for (const auto& t : inputs) {
      plus.push_back(t.detach().clone());
      minus.push_back(t.detach().clone());
    }
    plus[k].data()[e] += options.eps2;
    minus[k].data()[e] -= options.eps2;
    fd.col(c) = (gradient(plus) - gradient(minus)) / (2 * options.eps2);
  }
  const double scale = 1 + fd.cwiseAbs().maxCoeff();
  const auto hw = ad_detail::compare(H, fd, options.hess_rtol * scale, options.hess_rtol);
  BOOST_TEST(ad_detail::passed(hw), name << ": second derivative of sum(out^2) [" << hw.row << ", " << hw.col
                                         << "]: nested duals " << hw.a << ", differences of reverse gradients "
                                         << hw.b);
  BOOST_TEST((H - H.transpose()).cwiseAbs().maxCoeff() <= 1e-12 * scale, name << ": nested-dual Hessian not symmetric");
}

}  // namespace eigrad::test
