#define BOOST_TEST_MODULE api
#include <boost/test/unit_test.hpp>

#include <cmath>
#include <limits>
#include <sstream>
#include <string>
#include <vector>

#include "eigrad/eigrad.hpp"
#include "support/ad_check.hpp"

// Issue 15's API breadth. The ops whose shapes the test table cannot express (they take
// dimension lists, several tensors or class targets) are checked here the table's way:
// check_ad_modes (forward mode through a reference implementation over DualTensor = reverse
// mode = central differences, and second derivatives) and gradcheck, one line per op. The
// reference implementations below are written from the PyTorch definitions, by index.
// Then PyTorch 1.13's values (each checked with PyTorch 1.13.1, float64 unless noted) and
// the behaviour around the ops: views, errors, modules, data loading.

using namespace eigrad;
using namespace eigrad::indexing;
using test::DualTensor;

namespace {

// ------------------------------------------------------------------ reference implementations
double real(double x) { return x; }
template <class T, int N>
double real(const Dual<T, N>& d) { return real(d.value()); }

std::int64_t flat_of(const std::vector<std::int64_t>& idx, const Shape& shape) {
  std::int64_t flat = 0;
  for (std::size_t d = 0; d < shape.size(); ++d) flat = flat * shape[d] + idx[d];
  return flat;
}

/// A rank-0 DualTensor holding \p v.
template <class S>
DualTensor<S> scalar_of(const S& v) {
  typename DualTensor<S>::Array a(1);
  a(0) = v;
  return DualTensor<S>(Shape{}, a);
}

/// A DualTensor of \p shape whose element at multi-index idx is value_at(idx).
template <class S, class F>
DualTensor<S> build(const Shape& shape, F value_at) {
  DualTensor<S> out(shape);
  std::vector<std::int64_t> idx(shape.size(), 0);
  for (std::int64_t i = 0; i < out.numel(); ++i) {
    out.at(i) = value_at(idx);
    test::ad_detail::next_index(idx, shape);
  }
  return out;
}

template <class S>
const S& elem(const DualTensor<S>& t, const std::vector<std::int64_t>& idx) { return t.at(flat_of(idx, t.shape())); }

std::vector<std::int64_t> erase_at(std::vector<std::int64_t> v, std::size_t d) {
  v.erase(v.begin() + static_cast<std::ptrdiff_t>(d));
  return v;
}
std::vector<std::int64_t> insert_at(std::vector<std::int64_t> v, std::size_t d, std::int64_t x) {
  v.insert(v.begin() + static_cast<std::ptrdiff_t>(d), x);
  return v;
}

// Each op: the library on Tensor<T>, the reference on DualTensor<S>.
template <class T> Tensor<T> select_(const Tensor<T>& t, std::int64_t d, std::int64_t i) { return t.select(d, i); }
template <class S> DualTensor<S> select_(const DualTensor<S>& t, std::int64_t dim, std::int64_t i) {
  const auto d = static_cast<std::size_t>(test::ad_detail::wrap(dim, t.dim()));
  return build<S>(erase_at(t.shape(), d), [&](const auto& idx) { return elem(t, insert_at(idx, d, i)); });
}
template <class T> Tensor<T> slice_(const Tensor<T>& t, std::int64_t d, std::int64_t s, std::int64_t e, std::int64_t k) {
  return t.slice(d, s, e, k);
}
template <class S> DualTensor<S> slice_(const DualTensor<S>& t, std::int64_t d, std::int64_t s, std::int64_t e, std::int64_t k) {
  std::vector<std::int64_t> kept;  // Python's range(len)[s:e:k]
  for (std::int64_t j = 0; j < t.shape()[d]; ++j) {
    const std::int64_t n = t.shape()[d];
    const std::int64_t lo = std::min(std::max(s < 0 ? s + n : s, std::int64_t{0}), n);
    const std::int64_t hi = std::min(std::max(e < 0 ? e + n : e, std::int64_t{0}), n);
    if (j >= lo && j < hi && (j - lo) % k == 0) kept.push_back(j);
  }
  Shape shape = t.shape();
  shape[d] = static_cast<std::int64_t>(kept.size());
  return build<S>(shape, [&](auto idx) {
    idx[d] = kept[static_cast<std::size_t>(idx[d])];
    return elem(t, idx);
  });
}
template <class T> Tensor<T> narrow_(const Tensor<T>& t, std::int64_t d, std::int64_t s, std::int64_t l) {
  return t.narrow(d, s, l);
}
template <class S> DualTensor<S> narrow_(const DualTensor<S>& t, std::int64_t d, std::int64_t s, std::int64_t l) {
  return slice_(t, d, s, s + l, 1);
}
template <class T> Tensor<T> permute_(const Tensor<T>& t, const std::vector<std::int64_t>& p) { return t.permute(p); }
template <class S> DualTensor<S> permute_(const DualTensor<S>& t, const std::vector<std::int64_t>& p) {
  Shape shape;
  for (std::int64_t k : p) shape.push_back(t.shape()[k]);
  return build<S>(shape, [&](const auto& idx) {
    std::vector<std::int64_t> in(idx.size());
    for (std::size_t k = 0; k < p.size(); ++k) in[p[k]] = idx[k];
    return elem(t, in);
  });
}
template <class T> Tensor<T> transpose_(const Tensor<T>& t, std::int64_t a, std::int64_t b) { return t.transpose(a, b); }
template <class S> DualTensor<S> transpose_(const DualTensor<S>& t, std::int64_t a, std::int64_t b) {
  std::vector<std::int64_t> p;
  for (int k = 0; k < t.dim(); ++k) p.push_back(k == a ? b : k == b ? a : k);
  return permute_(t, p);
}
template <class T> Tensor<T> expand_(const Tensor<T>& t, const Shape& s) { return t.expand(s); }
template <class S> DualTensor<S> expand_(const DualTensor<S>& t, const Shape& s) {
  return build<S>(s, [&](const auto& idx) {
    std::vector<std::int64_t> in;
    const std::size_t lead = s.size() - t.shape().size();
    for (std::size_t k = 0; k < t.shape().size(); ++k) in.push_back(t.shape()[k] == 1 ? 0 : idx[k + lead]);
    return elem(t, in);
  });
}
template <class T> Tensor<T> cat_(const std::vector<Tensor<T>>& ts, std::int64_t d) { return cat(ts, d); }
template <class S> DualTensor<S> cat_(const std::vector<DualTensor<S>>& ts, std::int64_t dim) {
  const auto d = static_cast<std::size_t>(test::ad_detail::wrap(dim, ts[0].dim()));
  Shape shape = ts[0].shape();
  shape[d] = 0;
  for (const auto& t : ts) shape[d] += t.shape()[d];
  return build<S>(shape, [&](auto idx) {
    std::size_t k = 0;
    while (idx[d] >= ts[k].shape()[d]) idx[d] -= ts[k++].shape()[d];
    return elem(ts[k], idx);
  });
}
template <class T> Tensor<T> stack_(const std::vector<Tensor<T>>& ts, std::int64_t d) { return stack(ts, d); }
template <class S> DualTensor<S> stack_(const std::vector<DualTensor<S>>& ts, std::int64_t dim) {
  const std::int64_t d = test::ad_detail::wrap(dim, ts[0].dim() + 1);
  std::vector<DualTensor<S>> lifted;
  for (const auto& t : ts) lifted.push_back(t.unsqueeze(d));
  return cat_(lifted, d);
}
template <class T> Tensor<T> where_(const Tensor<double>& c, const Tensor<T>& a, const Tensor<T>& b) { return where(c, a, b); }
template <class S> DualTensor<S> where_(const Tensor<double>& c, const DualTensor<S>& a, const DualTensor<S>& b) {
  const std::vector<double> cv = c.to_vector();
  return build<S>(a.shape(), [&](const auto& idx) {
    return cv[static_cast<std::size_t>(flat_of(idx, a.shape()))] != 0 ? elem(a, idx) : elem(b, idx);
  });
}
template <class T> Tensor<T> clamp_(const Tensor<T>& t, double lo, double hi) { return t.clamp(lo, hi); }
template <class S> DualTensor<S> clamp_(const DualTensor<S>& t, double lo, double hi) { return test::clamp(t, lo, hi); }
template <class T> Tensor<T> mm_(const Tensor<T>& a, const Tensor<T>& b) { return a.mm(b); }
template <class S> DualTensor<S> mm_(const DualTensor<S>& a, const DualTensor<S>& b) { return a.matmul(b); }
template <class T> Tensor<T> sum_(const Tensor<T>& t, const std::vector<std::int64_t>& ds, bool keep) { return t.sum(ds, keep); }
template <class S> DualTensor<S> sum_(const DualTensor<S>& t, std::vector<std::int64_t> ds, bool keep) {
  std::sort(ds.rbegin(), ds.rend());
  DualTensor<S> out = t;
  for (std::int64_t d : ds) out = out.sum(d, keep);
  return out;
}
template <class T> Tensor<T> mean_(const Tensor<T>& t, const std::vector<std::int64_t>& ds, bool keep) { return t.mean(ds, keep); }
template <class S> DualTensor<S> mean_(const DualTensor<S>& t, const std::vector<std::int64_t>& ds, bool keep) {
  double n = 1;
  for (std::int64_t d : ds) n *= static_cast<double>(t.shape()[d]);
  return sum_(t, ds, keep) / n;
}
template <class T> Tensor<T> prod_(const Tensor<T>& t, std::int64_t d) { return t.prod(d); }
template <class S> DualTensor<S> prod_(const DualTensor<S>& t, std::int64_t d) {
  return build<S>(erase_at(t.shape(), d), [&](const auto& idx) {
    S acc(1.0);
    for (std::int64_t j = 0; j < t.shape()[d]; ++j) acc = acc * elem(t, insert_at(idx, d, j));
    return acc;
  });
}
template <class T> Tensor<T> max_(const Tensor<T>& t, std::int64_t d) { return t.max(d).first; }
template <class S> DualTensor<S> max_(const DualTensor<S>& t, std::int64_t d) {
  return build<S>(erase_at(t.shape(), d), [&](const auto& idx) {
    S best = elem(t, insert_at(idx, d, 0));
    for (std::int64_t j = 1; j < t.shape()[d]; ++j)
      if (real(elem(t, insert_at(idx, d, j))) > real(best)) best = elem(t, insert_at(idx, d, j));
    return best;
  });
}
template <class T> Tensor<T> min_all_(const Tensor<T>& t) { return t.min(); }
template <class S> DualTensor<S> min_all_(const DualTensor<S>& t) {
  S best = t.at(0);
  for (std::int64_t i = 1; i < t.numel(); ++i)
    if (real(t.at(i)) < real(best)) best = t.at(i);
  return scalar_of(best);
}
template <class T> Tensor<T> var_(const Tensor<T>& t, const std::vector<std::int64_t>& ds, bool unbiased, bool is_std) {
  return is_std ? t.std(ds, unbiased) : t.var(ds, unbiased);
}
template <class S> DualTensor<S> var_(const DualTensor<S>& t, const std::vector<std::int64_t>& ds, bool unbiased, bool is_std) {
  double n = 1;
  for (std::int64_t d : ds) n *= static_cast<double>(t.shape()[d]);
  const DualTensor<S> c = t - mean_(t, ds, true);
  const DualTensor<S> v = sum_(c * c, ds, false) / (n - (unbiased ? 1 : 0));
  return is_std ? v.sqrt() : v;
}
template <class T> Tensor<T> norm_(const Tensor<T>& t, double p, std::int64_t d) { return t.norm(p, {d}); }
template <class S> DualTensor<S> norm_(const DualTensor<S>& t, double p, std::int64_t d) {
  if (std::isinf(p)) return max_(t.abs(), d);
  return t.abs().pow(p).sum(d).pow(1 / p);
}
template <class T> Tensor<T> softmax_(const Tensor<T>& t, std::int64_t d) { return t.softmax(d); }
template <class S> DualTensor<S> softmax_(const DualTensor<S>& t, std::int64_t d) {
  const DualTensor<S> e = t.exp();
  return e / e.sum(d, true);
}
template <class T> Tensor<T> log_softmax_(const Tensor<T>& t, std::int64_t d) { return t.log_softmax(d); }
template <class S> DualTensor<S> log_softmax_(const DualTensor<S>& t, std::int64_t d) {
  return t - t.exp().sum(d, true).log();
}
template <class T> Tensor<T> index_select_(const Tensor<T>& t, std::int64_t d, const std::vector<std::int64_t>& i) {
  return index_select(t, d, i);
}
template <class S> DualTensor<S> index_select_(const DualTensor<S>& t, std::int64_t d, const std::vector<std::int64_t>& i) {
  Shape shape = t.shape();
  shape[d] = static_cast<std::int64_t>(i.size());
  return build<S>(shape, [&](auto idx) {
    idx[d] = i[static_cast<std::size_t>(idx[d])];
    return elem(t, idx);
  });
}
/// Cross-entropy by its definition: mean over the kept targets of
/// -((1 - ε) log p[target] + ε / C sum_c log p[c]).
template <class T> Tensor<T> cross_entropy_(const Tensor<T>& x, const Tensor<double>& target, double eps, nn::Reduction r) {
  return nn::functional::cross_entropy(x, target, r, /*ignore_index=*/1, eps);
}
template <class S> DualTensor<S> cross_entropy_(const DualTensor<S>& x, const Tensor<double>& target, double eps, nn::Reduction r) {
  const DualTensor<S> lp = log_softmax_(x, 1);
  const std::vector<double> t = target.to_vector();
  const auto classes = static_cast<double>(x.shape()[1]);
  S total(0.0);
  double kept = 0;
  for (std::int64_t n = 0; n < x.shape()[0]; ++n) {
    if (t[static_cast<std::size_t>(n)] == 1) continue;  // ignore_index
    S smooth(0.0);
    for (std::int64_t c = 0; c < x.shape()[1]; ++c) smooth = smooth + elem(lp, {n, c});
    total = total - ((1 - eps) * elem(lp, {n, static_cast<std::int64_t>(t[static_cast<std::size_t>(n)])}) +
                     (eps / classes) * smooth);
    kept += 1;
  }
  if (r == nn::Reduction::Mean) total = total / kept;
  return scalar_of(total);
}
template <class T> Tensor<T> bce_(const Tensor<T>& x, const Tensor<T>& t, const Tensor<T>& pw) {
  return nn::functional::binary_cross_entropy_with_logits(x, t, nn::Reduction::Sum, pw);
}
template <class S> DualTensor<S> bce_(const DualTensor<S>& x, const DualTensor<S>& t, const Tensor<double>& pw) {
  // (1 - t) x + (1 + (pw - 1) t) log(1 + exp(-x))
  const DualTensor<S> softplus = ((-x).exp() + 1.0).log();
  return ((1.0 - t) * x + ((pw - 1.0) * t + 1.0) * softplus).sum();
}

/// The table's check for one op on float64 inputs: forward = reverse = central differences,
/// second order, and gradcheck.
template <class F>
void check_op(const std::string& name, const F& f, const std::vector<Tensor<double>>& inputs) {
  test::check_ad_modes(name, f, inputs);
  const auto r = autograd::gradcheck([&f](const std::vector<Tensor<double>>& in) { return Tensor<double>(f(in)); },
                                     inputs);
  BOOST_TEST(r.ok, name << ": " << r.message);
}

Tensor<double> normal(const Shape& shape, std::uint64_t seed, double shift = 0) {
  return test::seeded_normal(shape, seed, shift).requires_grad_(true);
}

}  // namespace

// ================================================================== derivatives, the table's way
BOOST_AUTO_TEST_CASE(indexing_and_joining_ops_pass_the_three_way_check) {
  // ---- API breadth (issue 15)
  check_op("select dim 0 (a view)", [](const auto& in) { return select_(in[0], 0, 1) * 2.0; }, {normal({3, 4}, 1)});
  check_op("select dim -1", [](const auto& in) { return select_(in[0], -1, 2).sin(); }, {normal({2, 3, 4}, 2)});
  check_op("narrow dim 0", [](const auto& in) { return narrow_(in[0], 0, 1, 2) * in[0].sum(); }, {normal({4, 2}, 3)});
  check_op("narrow dim 1", [](const auto& in) { return narrow_(in[0], 1, 1, 2).exp(); }, {normal({2, 4}, 4)});
  check_op("slice with step and negative start", [](const auto& in) { return slice_(in[0], 1, -4, 100, 2) * 3.0; },
           {normal({2, 5}, 5)});
  check_op("permute", [](const auto& in) { return permute_(in[0], {2, 0, 1}).cos(); }, {normal({2, 3, 2}, 6)});
  check_op("transpose", [](const auto& in) { return mm_(transpose_(in[0], 0, 1), in[1]); },
           {normal({3, 2}, 7), normal({3, 2}, 8)});
  check_op("expand", [](const auto& in) { return expand_(in[0], {2, 3, 4}) * in[1]; },
           {normal({3, 1}, 9), normal({2, 3, 4}, 10)});
  check_op("cat dim 1", [](const auto& in) { return cat_(std::vector{in[0], in[1], in[0]}, 1).tanh(); },
           {normal({2, 1}, 11), normal({2, 3}, 12)});
  check_op("stack dim -1", [](const auto& in) { return stack_(std::vector{in[0], in[1]}, -1) * 2.0; },
           {normal({2, 3}, 13), normal({2, 3}, 14)});
  check_op("index_select with a repeat", [](const auto& in) { return index_select_(in[0], 1, {2, 0, 2}).sin(); },
           {normal({2, 3}, 15)});
  const Tensor<double> cond = Tensor<double>{{1, 0, 1}, {0, 0, 1}};
  check_op("where", [&cond](const auto& in) { return where_(cond, in[0], in[1]) * in[0]; },
           {normal({2, 3}, 16), normal({2, 3}, 17)});
  check_op("clamp member", [](const auto& in) { return clamp_(in[0], -0.5, 0.7); }, {normal({6}, 18)});
  check_op("mm", [](const auto& in) { return mm_(in[0], in[1]); }, {normal({2, 3}, 19), normal({3, 2}, 20)});
}

BOOST_AUTO_TEST_CASE(reductions_pass_the_three_way_check) {
  check_op("sum dims {0, 2}", [](const auto& in) { return sum_(in[0], {0, 2}, false).sin(); }, {normal({2, 3, 2}, 21)});
  check_op("sum dims {1, 2} keepdim", [](const auto& in) { return sum_(in[0], {1, 2}, true) * in[0]; },
           {normal({2, 3, 2}, 22)});
  check_op("mean dims {0, 1}", [](const auto& in) { return mean_(in[0], {0, 1}, false).exp(); }, {normal({2, 3, 2}, 23)});
  check_op("prod dim 1", [](const auto& in) { return prod_(in[0], 1); }, {normal({2, 4}, 24)});
  check_op("max dim 0 values", [](const auto& in) { return max_(in[0], 0) * 2.0; }, {normal({3, 4}, 25)});
  check_op("min of all", [](const auto& in) { return min_all_(in[0]) * in[0]; }, {normal({5}, 26)});
  check_op("var dims {1} unbiased", [](const auto& in) { return var_(in[0], {1}, true, false); }, {normal({2, 4}, 27)});
  check_op("var dims {0, 1} biased", [](const auto& in) { return var_(in[0], {0, 1}, false, false); }, {normal({2, 3}, 28)});
  check_op("std dims {0}", [](const auto& in) { return var_(in[0], {0}, true, true); }, {normal({4, 2}, 29)});
  for (double p : {2.0, 1.0, 3.0, 0.5, std::numeric_limits<double>::infinity()})
    check_op("norm p=" + std::to_string(p), [p](const auto& in) { return norm_(in[0], p, 1); }, {normal({2, 4}, 30)});
  check_op("softmax dim 1", [](const auto& in) { return softmax_(in[0], 1); }, {normal({2, 3}, 31)});
  check_op("softmax dim 0", [](const auto& in) { return softmax_(in[0], 0) * in[0]; }, {normal({3, 2}, 32)});
  check_op("log_softmax dim -1", [](const auto& in) { return log_softmax_(in[0], -1); }, {normal({2, 4}, 33)});
}

BOOST_AUTO_TEST_CASE(classification_losses_pass_the_three_way_check) {
  const Tensor<double> target = Tensor<double>{2, 1, 0, 3};  // the 1 is ignore_index
  for (double eps : {0.0, 0.2})
    for (nn::Reduction r : {nn::Reduction::Mean, nn::Reduction::Sum})
      check_op("cross_entropy eps " + std::to_string(eps) + " " + nn::reduction_name(r),
               [&target, eps, r](const auto& in) { return cross_entropy_(in[0], target, eps, r); }, {normal({4, 4}, 34)});
  const Tensor<double> pos_weight = Tensor<double>{2.0, 0.5, 1.0};
  check_op("binary_cross_entropy_with_logits pos_weight",
           [&pos_weight](const auto& in) { return bce_(in[0], in[1], pos_weight); },
           {normal({2, 3}, 35), normal({2, 3}, 36, 0.5)});
}

// ================================================================== PyTorch 1.13's values
namespace {

void check_close(const std::vector<double>& got, const std::vector<double>& want, double tol, const std::string& what) {
  BOOST_TEST_REQUIRE(got.size() == want.size(), what << ": " << got.size() << " values, expected " << want.size());
  for (std::size_t i = 0; i < got.size(); ++i)
    BOOST_TEST(std::abs(got[i] - want[i]) <= tol * (1 + std::abs(want[i])),
               what << " [" << i << "]: " << got[i] << ", PyTorch " << want[i]);
}

std::vector<double> as_double(const std::vector<float>& v) { return std::vector<double>(v.begin(), v.end()); }

}  // namespace

BOOST_AUTO_TEST_CASE(cross_entropy_matches_pytorch) {
  const Tensor<double> logits{{1., 2., 3.}, {0.5, -1., 2.}, {3., 3., -2.}};
  const Tensor<double> target{2, 0, 1};
  struct Case {
    nn::Reduction reduction;
    std::int64_t ignore_index;
    double eps;
    std::vector<double> loss, grad;
  };
  const std::vector<Case> cases = {
      {nn::Reduction::Mean, -100, 0.0, {0.9484759176278722},
       {0.030010191056793478, 0.08157615701826587, -0.1115863480750594, -0.27490320261998774, 0.013037524423562482,
        0.26186567819642526, 0.16610705639558287, -0.16722627693775044, 0.0011192205421675378}},
      {nn::Reduction::Mean, 0, 0.1, {0.6853915614465629},
       {0.02834861991852355, 0.10569756886073216, -0.13404618877925578, 0, 0, 0, 0.23249391792670768,
        -0.21750608207329233, -0.014987835853415359}},
      {nn::Reduction::Sum, 0, 0.2, {1.6374497895597926},
       {0.02336390650371377, 0.17806180438813096, -0.2014257108918449, 0, 0, 0, 0.43165450252008203,
        -0.368345497479918, -0.06330900504016405}},
      {nn::Reduction::None, 1, 0.1, {0.5076059644443804, 1.7413112966571571, 0.0},
       {0.0566972398370471, 0.21139513772146432, -0.26809237755851156, -0.7580429411932966, 0.0057792399373541165,
        0.7522637012559426, 0, 0, 0}},
  };
  for (const Case& c : cases) {
    const Tensor<double> x = logits.detach().clone().requires_grad_(true);
    nn::CrossEntropyLoss<double> loss_fn(
        nn::CrossEntropyLossOptions(c.reduction).ignore_index(c.ignore_index).label_smoothing(c.eps));
    const Tensor<double> loss = loss_fn(x, target);
    check_close(loss.to_vector(), c.loss, 1e-14, "cross_entropy value");
    loss.sum().backward();
    check_close(x.grad().to_vector(), c.grad, 1e-14, "cross_entropy gradient");
  }
  // NLLLoss of log_softmax is CrossEntropyLoss.
  const Tensor<double> via_nll = nn::NLLLoss<double>()(logits.log_softmax(1), target);
  check_close(via_nll.to_vector(), {0.9484759176278722}, 1e-14, "nll_loss(log_softmax)");
  BOOST_CHECK_THROW((nn::functional::cross_entropy(logits, Tensor<double>{2, 3, 0})), ValueError);
  BOOST_CHECK_THROW((nn::functional::cross_entropy(logits, Tensor<double>{2, 0.5, 0})), ValueError);
  BOOST_CHECK_THROW((nn::functional::cross_entropy(logits, Tensor<double>{2, 0})), ShapeError);
  // A mean over no kept target is NaN, as in PyTorch.
  BOOST_TEST((std::isnan(nn::functional::nll_loss(logits, Tensor<double>{1, 1, 1}, nn::Reduction::Mean, 1).item())));
}

BOOST_AUTO_TEST_CASE(bce_with_logits_matches_pytorch_and_is_stable) {
  const Tensor<double> logits{{1., -2.}, {0.5, 30.}};
  const Tensor<double> target{{1., 0.}, {0.3, 1.}};
  struct Case {
    nn::Reduction reduction;
    Tensor<double> pos_weight;
    double loss;
    std::vector<double> gx, gt;
  };
  const std::vector<Case> cases = {
      {nn::Reduction::Mean, {}, 0.31606667068534894,
       {-0.06723535534249878, 0.029800730505529387, 0.08061483280046365, -2.3370194668359545e-14},
       {-0.25, 0.5, -0.125, -7.5}},
      {nn::Reduction::Sum, {}, 1.2642666827413958,
       {-0.2689414213699951, 0.11920292202211755, 0.3224593312018546, -9.348077867343818e-14}, {-1.0, 2.0, -0.5, -30.0}},
      {nn::Reduction::Mean, Tensor<double>{2., 0.5}, 0.4299378663784009,
       {-0.13447071068499755, 0.029800730505529387, 0.05229928264060277, -1.1685097334179773e-14},
       {-0.17168457812044427, 0.23413399861962847, -0.006480753954973328, -7.5000000000000115}},
  };
  for (const Case& c : cases) {
    const Tensor<double> x = logits.detach().clone().requires_grad_(true);
    const Tensor<double> t = target.detach().clone().requires_grad_(true);
    nn::BCEWithLogitsLoss<double> loss_fn(nn::BCEWithLogitsLossOptions<double>(c.reduction).pos_weight(c.pos_weight));
    const Tensor<double> loss = loss_fn(x, t);
    check_close(loss.to_vector(), {c.loss}, 1e-14, "bce_with_logits value");
    loss.backward();
    // The gradient near 1e-14 is a difference of nearly equal numbers: absolute tolerance.
    check_close(x.grad().to_vector(), c.gx, 1e-13, "bce_with_logits input gradient");
    check_close(t.grad().to_vector(), c.gt, 1e-13, "bce_with_logits target gradient");
  }
  // Large logits neither overflow nor lose the loss: PyTorch gives 1000 and 0.
  const Tensor<float> big = nn::functional::binary_cross_entropy_with_logits(
      Tensor<float>{1000.f, -1000.f}, Tensor<float>{0.f, 0.f}, nn::Reduction::None);
  check_close(as_double(big.to_vector()), {1000.0, 0.0}, 1e-7, "bce_with_logits at +-1000");
}

BOOST_AUTO_TEST_CASE(softmax_and_reductions_match_pytorch) {
  const Tensor<double> x{{1., 2., 3.}, {1000., 1000., -1000.}};
  check_close(x.softmax(1).to_vector(), {0.09003057317038045, 0.2447284710547976, 0.6652409557748218, 0.5, 0.5, 0.0},
              1e-15, "softmax");
  check_close(x.log_softmax(1).to_vector(),
              {-2.4076059644443806, -1.4076059644443804, -0.4076059644443804, -0.6931471805599453,
               -0.6931471805599453, -2000.69314718056},
              1e-15, "log_softmax");

  const Tensor<double> s = Tensor<double>{{2., 2., 2.}, {1., 0., 3.}}.requires_grad_(true);
  const Tensor<double> sd = s.std(std::int64_t{1});
  check_close(sd.to_vector(), {0.0, 1.5275252316519465}, 1e-15, "std");
  sd.sum().backward();  // 0, not NaN, where the deviation is 0 (PyTorch's masked std_backward)
  check_close(s.grad().to_vector(), {0, 0, 0, -0.10910894511799618, -0.4364357804719848, 0.545544725589981}, 1e-14,
              "std gradient");
  s.set_grad({});
  const Tensor<double> v = s.var({0, 1}, /*unbiased=*/false);
  check_close(v.to_vector(), {0.888888888888889}, 1e-15, "var biased");
  v.backward();
  check_close(s.grad().to_vector(),
              {0.11111111111111108, 0.11111111111111108, 0.11111111111111108, -0.22222222222222224,
               -0.5555555555555556, 0.4444444444444444},
              1e-14, "var gradient");

  const Tensor<double> zero = zeros<double>({3}, TensorOptions().requires_grad(true));
  zero.norm().backward();
  check_close(zero.grad().to_vector(), {0, 0, 0}, 0, "norm gradient at 0");

  const Tensor<double> p = Tensor<double>{2., 0., 3., 4.}.requires_grad_(true);
  const Tensor<double> pr = p.prod();
  pr.backward();
  check_close(pr.to_vector(), {0.0}, 0, "prod");
  check_close(p.grad().to_vector(), {0, 24, 0, 0}, 0, "prod gradient with a zero");

  const Tensor<double> m = Tensor<double>{1., 5., 5., 2.}.requires_grad_(true);
  m.max().backward();
  check_close(m.grad().to_vector(), {0, 0.5, 0.5, 0}, 0, "max gradient shared by ties");

  const Tensor<double> y{{1., -2., 0.5}, {3., 1., -1.}};
  check_close(y.norm(2, {1}).to_vector(), {2.29128784747792, 3.3166247903554}, 1e-15, "norm 2");
  check_close(y.norm(3, {1}).to_vector(), {2.089669598190616, 3.072316825685847}, 1e-14, "norm 3");
  check_close(y.norm(std::numeric_limits<double>::infinity(), {1}).to_vector(), {2, 3}, 0, "norm inf");
  check_close(y.norm(0.5, {1}).to_vector(), {9.742640687119284, 13.928203230275509}, 1e-14, "norm 0.5");

  // Indices: the first of equal values; NaN wins (PyTorch: max of [1, 3, 3, nan, 2] is nan at 3).
  const auto [values, indices] = Tensor<double>{{1., 3., 3.}, {4., 4., 0.}}.min(1);
  check_close(values.to_vector(), {1, 0}, 0, "min values");
  check_close(indices.to_vector(), {0, 2}, 0, "min indices");
  check_close(Tensor<double>{1., 3., 3.}.argmax().to_vector(), {1}, 0, "argmax first of ties");
  const auto nan_max = Tensor<double>{1., 3., 3., std::nan(""), 2.}.max(0);
  BOOST_TEST(std::isnan(nan_max.first.item()));
  BOOST_TEST(nan_max.second.item() == 3);
  const auto kept = Tensor<double>{{1., 7.}, {9., 2.}}.max(0, /*keepdim=*/true);
  BOOST_TEST((kept.first.shape() == Shape{1, 2}));
  check_close(kept.second.to_vector(), {1, 0}, 0, "max indices keepdim");
  BOOST_TEST((Tensor<double>{{1., 2.}, {3., 4.}}.sum({0, 1}, true).shape() == Shape{1, 1}));
  BOOST_TEST((Tensor<double>{{1., 2.}, {3., 4.}}.mean(std::vector<std::int64_t>{}).item() == 2.5));
}

BOOST_AUTO_TEST_CASE(clip_grad_matches_pytorch_in_float32) {
  const auto fresh = [] {
    Tensor<float> a = zeros<float>({2, 2}, TensorOptions().requires_grad(true));
    Tensor<float> b = zeros<float>({1}, TensorOptions().requires_grad(true));
    a.set_grad(Tensor<float>{{3.f, -4.f}, {1.f, 2.f}});
    b.set_grad(Tensor<float>{12.f});
    return std::vector<Tensor<float>>{a, b};
  };
  std::vector<Tensor<float>> params = fresh();
  const double total = nn::utils::clip_grad_norm_(params, 5.0);
  BOOST_TEST(total == 13.190905570983887);
  check_close(as_double(params[0].grad().to_vector()),
              {1.1371469497680664, -1.5161960124969482, 0.37904900312423706, 0.7580980062484741}, 0, "clipped by norm");
  check_close(as_double(params[1].grad().to_vector()), {4.548587799072266}, 0, "clipped by norm");

  params = fresh();
  BOOST_TEST(nn::utils::clip_grad_norm_(params, 5.0, std::numeric_limits<double>::infinity()) == 12.0);
  check_close(as_double(params[1].grad().to_vector()), {4.999999523162842}, 0, "clipped by the inf norm");

  params = fresh();
  nn::utils::clip_grad_value_(params, 2.5);
  check_close(as_double(params[0].grad().to_vector()), {2.5, -2.5, 1.0, 2.0}, 0, "clipped by value");
  check_close(as_double(params[1].grad().to_vector()), {2.5}, 0, "clipped by value");

  params = fresh();
  params[1].grad().fill_(std::numeric_limits<float>::infinity());
  BOOST_CHECK_THROW(nn::utils::clip_grad_norm_(params, 5.0, 2.0, /*error_if_nonfinite=*/true), ValueError);
}

// ================================================================== views, indexing, dtype
BOOST_AUTO_TEST_CASE(dim_0_indexing_shares_storage_and_the_rest_copies) {
  Tensor<double> t = arange<double>(12).reshape({3, 4});
  const Tensor<double> row = t.select(0, 1);
  const Tensor<double> rows = t.narrow(0, 1, 2);
  const Tensor<double> first = t[0];
  BOOST_TEST(row.data() == t.data() + 4);
  BOOST_TEST(rows.data() == t.data() + 4);
  BOOST_TEST(first.data() == t.data());
  BOOST_TEST(t.slice(0, 1, 3).data() == t.data() + 4);
  t.data()[5] = 50;
  BOOST_TEST(row.to_vector()[1] == 50);
  const Tensor<double> column = t.select(1, 1);
  BOOST_TEST(column.data() != t.data() + 1);  // a copy: no strides
  check_close(column.to_vector(), {1, 50, 9}, 0, "column");

  check_close(t.index({Slice(0, 3, 2), 1}).to_vector(), {1, 9}, 0, "index({Slice(0, 3, 2), 1})");
  check_close(t.index({"...", -1}).to_vector(), {3, 7, 11}, 0, "index({..., -1})");
  BOOST_TEST((t.index({None, Slice(), Slice(None, 2)}).shape() == Shape{1, 3, 2}));
  BOOST_TEST((t.index({Slice(-2)}).shape() == Shape{2, 4}));
  BOOST_TEST((t.slice(1, 5, 9).shape() == Shape{3, 0}));
  BOOST_CHECK_THROW(t.select(0, 3), ValueError);
  BOOST_CHECK_THROW((t.index({0, 0, 0})), ValueError);
  BOOST_CHECK_THROW(TensorIndex("..x"), ValueError);

  const auto pieces = t.split(2, 1);
  BOOST_TEST(pieces.size() == 2u);
  const auto chunks = arange<double>(5).chunk(3);
  BOOST_TEST(chunks.size() == 3u);
  BOOST_TEST((chunks[2].shape() == Shape{1}));
  BOOST_TEST((t.permute({1, 0}).shape() == Shape{4, 3}));
  check_close(t.transpose(0, 1).select(0, 1).to_vector(), {1, 50, 9}, 0, "transpose");
  check_close(Tensor<double>{1., 2.}.unsqueeze(1).expand({-1, 3}).to_vector(), {1, 1, 1, 2, 2, 2}, 0, "expand");
  BOOST_CHECK_THROW((Tensor<double>{1., 2.}.expand({3})), ShapeError);
  BOOST_CHECK_THROW((cat(std::vector<Tensor<double>>{t, Tensor<double>{1., 2.}}, 0)), ShapeError);
  BOOST_TEST((stack(std::vector<Tensor<double>>{t, t}, 1).shape() == Shape{3, 2, 4}));
}

BOOST_AUTO_TEST_CASE(comparisons_are_zero_one_tensors_without_gradient) {
  const Tensor<float> a = Tensor<float>{1.f, 2.f, 3.f}.requires_grad_(true);
  const Tensor<float> b{2.f, 2.f, 2.f};
  check_close(as_double(a.lt(b).to_vector()), {1, 0, 0}, 0, "lt");
  check_close(as_double((a <= b).to_vector()), {1, 1, 0}, 0, "<=");
  check_close(as_double((a > 2).to_vector()), {0, 0, 1}, 0, "> scalar");
  check_close(as_double(a.ge(b).to_vector()), {0, 1, 1}, 0, "ge");
  check_close(as_double((a == b).to_vector()), {0, 1, 0}, 0, "==");
  check_close(as_double(a.ne(2.f).to_vector()), {1, 0, 1}, 0, "ne scalar");
  BOOST_TEST(!a.eq(b).requires_grad());
  const Tensor<float> nan{std::nanf("")};
  BOOST_TEST(nan.ne(nan).item() == 1.f);
  BOOST_TEST(nan.eq(nan).item() == 0.f);
  const Tensor<float> y = where(a.gt(1.5f), a * 2, b);
  check_close(as_double(y.to_vector()), {2, 4, 6}, 0, "where");
  y.sum().backward();
  check_close(as_double(a.grad().to_vector()), {0, 2, 2}, 0, "where gradient");
}

BOOST_AUTO_TEST_CASE(dtype_conversion_carries_gradients_both_ways) {
  const Tensor<float> w = Tensor<float>{0.5f, -1.25f}.requires_grad_(true);
  const Tensor<double> wd = w.to(kFloat64);
  BOOST_TEST(wd.requires_grad());
  BOOST_TEST(wd.grad_fn()->name() == "ToCopyBackward0");
  const Tensor<double> loss = (wd * wd * 3.0).sum();
  loss.backward();
  check_close(as_double(w.grad().to_vector()), {3.0, -7.5}, 0, "gradient through to<double>()");
  const Tensor<double> x = Tensor<double>{0.1, 0.2}.requires_grad_(true);
  const Tensor<float> xf = x.to<float>();
  BOOST_TEST(xf.to_vector()[0] == 0.1f);
  (xf * 2.f).sum().backward();
  check_close(x.grad().to_vector(), {2, 2}, 0, "gradient through to<float>()");
  BOOST_TEST(x.to<double>().is_same(x));
}

BOOST_AUTO_TEST_CASE(tensor_options_setters_return_a_copy) {
  TensorOptions base;
  const TensorOptions leaf = base.requires_grad(true);
  const TensorOptions& unchanged = base;
  BOOST_TEST(!unchanged.requires_grad());
  BOOST_TEST(leaf.requires_grad());
  BOOST_TEST((!zeros<float>({2}, base).requires_grad()));
  BOOST_TEST((zeros<float>({2}, leaf).requires_grad()));
}

BOOST_AUTO_TEST_CASE(shapes_print_and_modules_index) {
  std::ostringstream os;
  os << Shape{2, 3};
  BOOST_TEST(os.str() == "[2, 3]");
  nn::Sequential<float> model(nn::Linear<float>(3, 4), nn::Flatten<float>(0, 1), nn::Linear<float>(4, 1));
  BOOST_TEST(model[0].name() == "Linear");
  BOOST_TEST(model[-1].name() == "Linear");
  BOOST_TEST(model["1"].name() == "Flatten");
  const nn::Module<float>& base = model;
  BOOST_TEST(base[1].name() == "Flatten");
  BOOST_TEST(base["2"].parameters().size() == 2u);
  BOOST_CHECK_THROW(base["3"], ValueError);
  BOOST_CHECK_THROW(base[3], ValueError);
}

BOOST_AUTO_TEST_CASE(data_loader_batches_shuffles_and_drops_last) {
  const Tensor<float> x = arange<float>(10).reshape({5, 2});
  const Tensor<float> y = arange<float>(5);
  data::TensorDataset<float> dataset({x, y});
  BOOST_TEST(dataset.size() == 5);
  check_close(as_double(dataset.get(3)[0].to_vector()), {6, 7}, 0, "example 3");

  data::DataLoader loader(dataset, data::DataLoaderOptions(2));
  BOOST_TEST(loader.size() == 3);
  std::vector<float> seen;
  for (const auto& batch : loader) {
    BOOST_TEST(batch[0].size(0) == batch[1].size(0));
    for (float v : batch[1].to_vector()) seen.push_back(v);
  }
  check_close(as_double(seen), {0, 1, 2, 3, 4}, 0, "sequential order");

  data::DataLoader dropping(dataset, data::DataLoaderOptions(2).drop_last(true).shuffle(true).seed(7));
  BOOST_TEST(dropping.size() == 2);
  std::vector<std::vector<float>> epochs;
  for (int epoch = 0; epoch < 2; ++epoch) {
    std::vector<float> order;
    for (const auto& batch : dropping) {
      BOOST_TEST(batch[1].size(0) == 2);
      for (float v : batch[1].to_vector()) order.push_back(v);
      // Rows stay paired: x's row i is (2i, 2i + 1).
      check_close(as_double(batch[0].select(1, 0).to_vector()),
                  {2.0 * batch[1].to_vector()[0], 2.0 * batch[1].to_vector()[1]}, 0, "paired rows");
    }
    BOOST_TEST(order.size() == 4u);
    epochs.push_back(order);
  }
  BOOST_TEST(epochs[0] != epochs[1]);  // a new order each epoch
  data::DataLoader again(dataset, data::DataLoaderOptions(2).drop_last(true).shuffle(true).seed(7));
  std::vector<float> replay;
  for (const auto& batch : again)
    for (float v : batch[1].to_vector()) replay.push_back(v);
  BOOST_TEST(replay == epochs[0]);  // the seed fixes the order

  // A sampler of one's own plugs in (what a distributed sampler does).
  struct EveryOther : data::Sampler {
    std::vector<std::int64_t> indices() override { return {4, 2, 0}; }
    std::int64_t size() const override { return 3; }
  };
  data::DataLoader custom(dataset, data::DataLoaderOptions(3), std::make_shared<EveryOther>());
  BOOST_TEST(custom.size() == 1);
  check_close(as_double((*custom.begin())[1].to_vector()), {4, 2, 0}, 0, "custom sampler");
}
