// Reductions over several dimensions, prod, max/min with indices, arg-reductions, var/std,
// norm, softmax and log_softmax. Where PyTorch's backward formula is a composition of tensor
// ops, the node runs that composition (recording is off inside backward); forward values are
// computed under NoGradGuard and recorded as one node, so each op is one grad_fn as in PyTorch.
#include <algorithm>
#include <cmath>
#include <limits>
#include <string>

#include "eigrad/autograd/grad_mode.hpp"
#include "eigrad/autograd/node.hpp"
#include "eigrad/errors.hpp"
#include "eigrad/tensor/compare.hpp"
#include "eigrad/tensor/factories.hpp"
#include "eigrad/tensor/operators.hpp"
#include "../detail/device.hpp"
#include "positions.hpp"

namespace eigrad {

namespace {

/// A tensor viewed as [outer, n, inner] around dimension d (n = 1 for a rank-0 tensor).
struct Along {
  std::int64_t outer = 1, n = 1, inner = 1;
  Along(const Shape& s, int d) {
    for (int i = 0; i < d; ++i) outer *= s[i];
    if (!s.empty()) n = s[d];
    for (int i = d + 1; i < static_cast<int>(s.size()); ++i) inner *= s[i];
  }
  /// Flat position of element j of lane (o, i).
  std::int64_t at(std::int64_t o, std::int64_t j, std::int64_t i) const { return (o * n + j) * inner + i; }
};

/// \p s with dimension \p d set to 1 (keepdim) or removed.
Shape reduced_shape(Shape s, int d, bool keepdim) {
  if (s.empty()) return s;
  if (keepdim) s[d] = 1;
  else s.erase(s.begin() + d);
  return s;
}

/// The wrapped, sorted, distinct dims (every dimension when \p dims is empty); ValueError on
/// a repeated dimension, as PyTorch.
std::vector<int> wrap_dims(const std::vector<std::int64_t>& dims, int rank) {
  std::vector<int> out;
  if (dims.empty()) {
    for (int d = 0; d < rank; ++d) out.push_back(d);
    return out;
  }
  for (std::int64_t d : dims) out.push_back(wrap_dim(d, rank));
  std::sort(out.begin(), out.end());
  EIGRAD_CHECK(std::adjacent_find(out.begin(), out.end()) == out.end(), ValueError, "dimension ",
               *std::adjacent_find(out.begin(), out.end()), " appears multiple times in the list of dims");
  if (rank == 0) out.clear();
  return out;
}

/// The shape after reducing \p dims (wrapped) of \p s.
Shape reduced_shape(const Shape& s, const std::vector<int>& dims, bool keepdim) {
  Shape out;
  for (int d = 0; d < static_cast<int>(s.size()); ++d) {
    const bool reduced = std::find(dims.begin(), dims.end(), d) != dims.end();
    if (!reduced) out.push_back(s[d]);
    else if (keepdim) out.push_back(1);
  }
  return out;
}

/// Number of elements reduced together.
std::int64_t reduced_count(const Shape& s, const std::vector<int>& dims) {
  std::int64_t n = 1;
  for (int d : dims) n *= s[d];
  return n;
}

/// A node whose backward is a function of g (in keepdim form) and saved tensors.
template <class T, class F>
class LambdaBackward final : public Node<T> {
 public:
  LambdaBackward(const char* name, Shape keep_shape, std::vector<Tensor<T>> saved, F f)
      : name_(name), keep_shape_(std::move(keep_shape)), f_(std::move(f)) {
    for (const auto& t : saved) this->save(t);
  }
  std::string name() const override { return name_; }

 protected:
  std::vector<Tensor<T>> backward(const Tensor<T>& g) override {
    std::vector<Tensor<T>> saved;
    for (std::size_t i = 0; i < this->saved_count(); ++i) saved.push_back(this->saved(i));
    return {f_(g.reshape(keep_shape_), saved)};
  }

 private:
  const char* name_;
  Shape keep_shape_;
  F f_;
};

/// Records \p out as produced from \p input by a LambdaBackward named \p name.
template <class T, class F>
Tensor<T> record_lambda(const Tensor<T>& input, Tensor<T> out, const char* name, Shape keep_shape,
                        std::vector<Tensor<T>> saved, F f) {
  if (!autograd::any_requires_grad<T>({&input})) return out;
  return autograd::record<T>(
      out, std::make_shared<LambdaBackward<T, F>>(name, std::move(keep_shape), std::move(saved), std::move(f)),
      {&input});
}

/// Whether \p a beats \p b for max (Larger) or min: NaN beats everything, ties keep the first.
template <bool Larger, class T>
bool beats(T a, T b) {
  if (std::isnan(b)) return false;
  if (std::isnan(a)) return true;
  return Larger ? a > b : a < b;
}

/// Values, indices and input positions of the max or min over dimension d.
template <bool Larger, class T>
void select_along(const Tensor<T>& a, int d, Tensor<T>& values, Tensor<T>& indices,
                  std::vector<std::int64_t>& positions) {
  const Along s(a.shape(), d);
  EIGRAD_CHECK(s.n > 0, ValueError, Larger ? "max" : "min", "(): cannot reduce over a dimension of extent 0");
  positions.resize(static_cast<std::size_t>(s.outer * s.inner));
  const T* x = a.data();
  T* v = values.data();
  T* idx = indices.data();
  for (std::int64_t o = 0; o < s.outer; ++o)
    for (std::int64_t i = 0; i < s.inner; ++i) {
      std::int64_t best = 0;
      for (std::int64_t j = 1; j < s.n; ++j)
        if (beats<Larger>(x[s.at(o, j, i)], x[s.at(o, best, i)])) best = j;
      const std::int64_t out = o * s.inner + i;
      v[out] = x[s.at(o, best, i)];
      idx[out] = static_cast<T>(best);
      positions[static_cast<std::size_t>(out)] = s.at(o, best, i);
    }
}

template <bool Larger, class T>
std::pair<Tensor<T>, Tensor<T>> max_min_dim(const Tensor<T>& a, std::int64_t dim, bool keepdim) {
  if (detail::on_device(a)) {  // no kernel-table entry: on host copies (recorded through to())
    auto [values, indices] = max_min_dim<Larger>(a.cpu(), dim, keepdim);
    return {values.to(a.device()), indices.to(a.device())};
  }
  const int d = wrap_dim(dim, a.dim());
  const Shape keep = reduced_shape(a.shape(), d, true);
  Tensor<T> values = empty<T>(keep, a.device()), indices = empty<T>(keep, a.device());
  std::vector<std::int64_t> positions;
  select_along<Larger>(a, d, values, indices, positions);
  const Shape out_shape = reduced_shape(a.shape(), d, keepdim);
  return {detail::take_positions(a, out_shape, std::move(positions), Larger ? "MaxBackward0" : "MinBackward0"),
          indices.reshape(out_shape)};
}

/// max() / min() of all elements; the gradient is shared evenly by the elements equal to the
/// result (NaN ones when it is NaN), as PyTorch's evenly_distribute_backward.
template <bool Larger, class T>
Tensor<T> max_min_all(const Tensor<T>& a) {
  if (detail::on_device(a))
    return detail::on_host(a.device(), [](const Tensor<T>& x) { return max_min_all<Larger>(x); }, a);
  EIGRAD_CHECK(a.numel() > 0, ValueError, Larger ? "max" : "min",
               "(): expected a non-empty tensor (the reduction has no identity)");
  Tensor<T> values = empty<T>({1}, a.device()), indices = empty<T>({1}, a.device());
  std::vector<std::int64_t> positions;
  select_along<Larger>(a.reshape({1, a.numel()}), 1, values, indices, positions);
  Tensor<T> out = values.reshape({});
  return record_lambda(a, out, Larger ? "MaxBackward1" : "MinBackward1", {}, {a, out},
                       [](const Tensor<T>& g, const std::vector<Tensor<T>>& s) {
                         const Tensor<T>& x = s[0];
                         const T v = s[1].item();
                         Tensor<T> mask = std::isnan(v) ? x.ne(x) : x.eq(v);
                         return mask * (g / mask.sum());
                       });
}

template <bool Larger, class T>
Tensor<T> arg_dim(const Tensor<T>& a, std::int64_t dim, bool keepdim) {
  NoGradGuard no_grad;
  return max_min_dim<Larger>(a.detach(), dim, keepdim).second;
}

/// var or std over dims: one node with PyTorch's var_backward / std_backward.
template <class T>
Tensor<T> var_std(const Tensor<T>& x, const std::vector<std::int64_t>& dims, bool unbiased, bool keepdim, bool is_std) {
  const std::vector<int> ds = wrap_dims(dims, x.dim());
  const Shape keep = reduced_shape(x.shape(), ds, true);
  const T divisor = static_cast<T>(reduced_count(x.shape(), ds) - (unbiased ? 1 : 0));
  Tensor<T> result;
  {
    NoGradGuard no_grad;
    const Tensor<T> centred = x - x.mean(dims, true);
    result = (centred * centred).sum(dims, true) / divisor;
    if (is_std) result = result.sqrt();
  }
  Tensor<T> out = result.reshape(reduced_shape(x.shape(), ds, keepdim));
  const std::vector<Tensor<T>> saved = is_std ? std::vector<Tensor<T>>{x, result} : std::vector<Tensor<T>>{x};
  std::vector<std::int64_t> all_dims(ds.begin(), ds.end());
  auto var_backward = [divisor, all_dims](const Tensor<T>& g, const Tensor<T>& x) {
    return (T(2) / divisor) * g * (x - x.mean(all_dims, true));
  };
  if (!is_std) {
    return record_lambda(x, out, "VarBackward0", keep, saved,
                         [var_backward](const Tensor<T>& g, const std::vector<Tensor<T>>& s) {
                           return var_backward(g, s[0]);
                         });
  }
  return record_lambda(x, out, "StdBackward0", keep, saved,
                       [var_backward](const Tensor<T>& g, const std::vector<Tensor<T>>& s) {
                         const Tensor<T>& r = s[1];
                         const Tensor<T> gv = where(r.eq(T(0)), zeros_like(r), g / (r * T(2)));
                         return var_backward(gv, s[0]);
                       });
}

template <class T>
Tensor<T> sign_of(const Tensor<T>& x) { return x.gt(T(0)) - x.lt(T(0)); }

template <class T>
Tensor<T> norm_impl(const Tensor<T>& x, double p, const std::vector<std::int64_t>& dims, bool keepdim) {
  EIGRAD_CHECK(p >= 0, ValueError, "norm(): p must be non-negative, got ", std::to_string(p));
  const std::vector<int> ds = wrap_dims(dims, x.dim());
  const Shape keep = reduced_shape(x.shape(), ds, true);
  Tensor<T> result;
  {
    NoGradGuard no_grad;
    const Tensor<T> ax = x.abs();
    if (std::isinf(p)) {
      result = ax;
      for (auto d = ds.rbegin(); d != ds.rend(); ++d) result = result.max(*d, true).first;
    } else if (p == 0) {
      result = x.ne(T(0)).sum(dims, true);
    } else if (p == 1) {
      result = ax.sum(dims, true);
    } else if (p == 2) {
      result = (x * x).sum(dims, true).sqrt();
    } else {
      result = ax.pow(p).sum(dims, true).pow(1.0 / p);
    }
  }
  Tensor<T> out = result.reshape(reduced_shape(x.shape(), ds, keepdim));
  std::vector<std::int64_t> all_dims(ds.begin(), ds.end());
  return record_lambda(x, out, "NormBackward1", keep, {x, result},
                       [p, all_dims](const Tensor<T>& g, const std::vector<Tensor<T>>& s) -> Tensor<T> {
                         const Tensor<T>& x = s[0];
                         const Tensor<T>& norm = s[1];
                         if (p == 0) return zeros_like(x);
                         if (p == 1) return sign_of(x) * g;
                         const Tensor<T> zero = zeros_like(norm);
                         if (p == 2) return g * where(norm.eq(T(0)), zeros_like(x), x / norm);
                         if (std::isinf(p)) {
                           const Tensor<T> ax = x.abs();
                           const Tensor<T> mask = where(ax.ne(ax), ones_like(x), ax.eq(norm));
                           return sign_of(x) * ((g / mask.sum(all_dims, true)) * mask);
                         }
                         const Tensor<T> scale = where(norm.eq(T(0)), zero, g / norm.pow(p - 1));
                         if (p < 1) return (sign_of(x) * x.abs().pow(p - 1)) * scale;
                         return (x * x.abs().pow(p - 2)) * scale;
                       });
}

}  // namespace

// -------------------------------------------------------------------- sum, mean, prod
template <class T>
Tensor<T> Tensor<T>::sum(const std::vector<std::int64_t>& dims, bool keepdim) const {
  const std::vector<int> ds = wrap_dims(dims, dim());
  if (ds.size() == 1) return sum(ds[0], keepdim);
  if (ds.size() == static_cast<std::size_t>(dim()) && !keepdim) return sum();
  Tensor out = *this;
  for (auto d = ds.rbegin(); d != ds.rend(); ++d) out = out.sum(*d, true);
  return keepdim ? out : out.reshape(reduced_shape(shape(), ds, false));
}

template <class T>
Tensor<T> Tensor<T>::mean(const std::vector<std::int64_t>& dims, bool keepdim) const {
  const std::vector<int> ds = wrap_dims(dims, dim());
  if (ds.size() == 1) return mean(ds[0], keepdim);
  if (ds.size() == static_cast<std::size_t>(dim()) && !keepdim) return mean();
  return sum(dims, keepdim) / static_cast<T>(reduced_count(shape(), ds));
}

template <class T>
Tensor<T> Tensor<T>::prod(std::int64_t dim, bool keepdim) const {
  if (detail::on_device(*this))
    return detail::on_host(device(), [dim, keepdim](const Tensor& x) { return x.prod(dim, keepdim); }, *this);
  const int d = wrap_dim(dim, this->dim());
  const Along s(shape(), d);
  const Shape keep = reduced_shape(shape(), d, true);
  Tensor out = empty<T>(keep, device());
  const T* x = data();
  for (std::int64_t o = 0; o < s.outer; ++o)
    for (std::int64_t i = 0; i < s.inner; ++i) {
      T acc = T(1);
      for (std::int64_t j = 0; j < s.n; ++j) acc *= x[s.at(o, j, i)];
      out.data()[o * s.inner + i] = acc;
    }
  out = out.reshape(reduced_shape(shape(), d, keepdim));
  // The gradient of x_j is g times the product of the others, from prefix and suffix
  // products: exact where some x are 0, as PyTorch's prod_backward is.
  return record_lambda(*this, out, "ProdBackward1", keep, {*this},
                       [d](const Tensor<T>& g, const std::vector<Tensor<T>>& saved) {
                         const Tensor<T>& xs = saved[0];
                         const Along s(xs.shape(), d);
                         Tensor<T> gx = empty<T>(xs.shape(), xs.device());
                         const T* x = xs.data();
                         std::vector<T> prefix(static_cast<std::size_t>(s.n) + 1);
                         for (std::int64_t o = 0; o < s.outer; ++o)
                           for (std::int64_t i = 0; i < s.inner; ++i) {
                             prefix[0] = T(1);
                             for (std::int64_t j = 0; j < s.n; ++j) prefix[j + 1] = prefix[j] * x[s.at(o, j, i)];
                             T suffix = T(1);
                             const T gi = g.data()[o * s.inner + i];
                             for (std::int64_t j = s.n; j-- > 0;) {
                               gx.data()[s.at(o, j, i)] = gi * (prefix[j] * suffix);
                               suffix *= x[s.at(o, j, i)];
                             }
                           }
                         return gx;
                       });
}

template <class T>
Tensor<T> Tensor<T>::prod() const { return reshape({numel()}).prod(0, false); }

// -------------------------------------------------------------------- max, min, arg
template <class T>
Tensor<T> Tensor<T>::max() const { return max_min_all<true>(*this); }
template <class T>
Tensor<T> Tensor<T>::min() const { return max_min_all<false>(*this); }
template <class T>
std::pair<Tensor<T>, Tensor<T>> Tensor<T>::max(std::int64_t dim, bool keepdim) const {
  return max_min_dim<true>(*this, dim, keepdim);
}
template <class T>
std::pair<Tensor<T>, Tensor<T>> Tensor<T>::min(std::int64_t dim, bool keepdim) const {
  return max_min_dim<false>(*this, dim, keepdim);
}
template <class T>
Tensor<T> Tensor<T>::argmax(std::int64_t dim, bool keepdim) const { return arg_dim<true>(*this, dim, keepdim); }
template <class T>
Tensor<T> Tensor<T>::argmin(std::int64_t dim, bool keepdim) const { return arg_dim<false>(*this, dim, keepdim); }
template <class T>
Tensor<T> Tensor<T>::argmax() const { return arg_dim<true>(reshape({numel()}), 0, false); }
template <class T>
Tensor<T> Tensor<T>::argmin() const { return arg_dim<false>(reshape({numel()}), 0, false); }

// -------------------------------------------------------------------- var, std, norm
template <class T>
Tensor<T> Tensor<T>::var(bool unbiased) const { return var_std(*this, {}, unbiased, false, false); }
template <class T>
Tensor<T> Tensor<T>::var(const std::vector<std::int64_t>& dims, bool unbiased, bool keepdim) const {
  return var_std(*this, dims, unbiased, keepdim, false);
}
template <class T>
Tensor<T> Tensor<T>::std(bool unbiased) const { return var_std(*this, {}, unbiased, false, true); }
template <class T>
Tensor<T> Tensor<T>::std(const std::vector<std::int64_t>& dims, bool unbiased, bool keepdim) const {
  return var_std(*this, dims, unbiased, keepdim, true);
}
template <class T>
Tensor<T> Tensor<T>::norm(double p) const { return norm_impl(*this, p, {}, false); }
template <class T>
Tensor<T> Tensor<T>::norm(double p, const std::vector<std::int64_t>& dims, bool keepdim) const {
  return norm_impl(*this, p, dims, keepdim);
}

// -------------------------------------------------------------------- softmax
template <class T>
Tensor<T> Tensor<T>::softmax(std::int64_t dim) const {
  const int d = wrap_dim(dim, this->dim());
  Tensor out;
  {
    NoGradGuard no_grad;
    const Tensor e = (*this - max_min_dim<true>(detach(), d, true).first).exp();
    out = e / e.sum(d, true);
  }
  // _softmax_backward_data: (grad - sum(grad * output)) * output.
  return record_lambda(*this, out, "SoftmaxBackward0", shape(), {out},
                       [d](const Tensor<T>& g, const std::vector<Tensor<T>>& s) {
                         const Tensor<T>& y = s[0];
                         return (g - (g * y).sum(d, true)) * y;
                       });
}

template <class T>
Tensor<T> Tensor<T>::log_softmax(std::int64_t dim) const {
  const int d = wrap_dim(dim, this->dim());
  Tensor out;
  {
    NoGradGuard no_grad;
    const Tensor shifted = *this - max_min_dim<true>(detach(), d, true).first;
    out = shifted - shifted.exp().sum(d, true).log();
  }
  // _log_softmax_backward_data: grad - exp(output) * sum(grad).
  return record_lambda(*this, out, "LogSoftmaxBackward0", shape(), {out},
                       [d](const Tensor<T>& g, const std::vector<Tensor<T>>& s) {
                         return g - s[0].exp() * g.sum(d, true);
                       });
}

#define EIGRAD_INSTANTIATE_REDUCTIONS(T)                                                              \
  template Tensor<T> Tensor<T>::sum(const std::vector<std::int64_t>&, bool) const;                    \
  template Tensor<T> Tensor<T>::mean(const std::vector<std::int64_t>&, bool) const;                   \
  template Tensor<T> Tensor<T>::prod() const;                                                         \
  template Tensor<T> Tensor<T>::prod(std::int64_t, bool) const;                                       \
  template Tensor<T> Tensor<T>::max() const;                                                          \
  template Tensor<T> Tensor<T>::min() const;                                                          \
  template std::pair<Tensor<T>, Tensor<T>> Tensor<T>::max(std::int64_t, bool) const;                  \
  template std::pair<Tensor<T>, Tensor<T>> Tensor<T>::min(std::int64_t, bool) const;                  \
  template Tensor<T> Tensor<T>::argmax() const;                                                       \
  template Tensor<T> Tensor<T>::argmin() const;                                                       \
  template Tensor<T> Tensor<T>::argmax(std::int64_t, bool) const;                                     \
  template Tensor<T> Tensor<T>::argmin(std::int64_t, bool) const;                                     \
  template Tensor<T> Tensor<T>::var(bool) const;                                                      \
  template Tensor<T> Tensor<T>::var(const std::vector<std::int64_t>&, bool, bool) const;              \
  template Tensor<T> Tensor<T>::std(bool) const;                                                      \
  template Tensor<T> Tensor<T>::std(const std::vector<std::int64_t>&, bool, bool) const;              \
  template Tensor<T> Tensor<T>::norm(double) const;                                                   \
  template Tensor<T> Tensor<T>::norm(double, const std::vector<std::int64_t>&, bool) const;           \
  template Tensor<T> Tensor<T>::softmax(std::int64_t) const;                                          \
  template Tensor<T> Tensor<T>::log_softmax(std::int64_t) const;

EIGRAD_INSTANTIATE_REDUCTIONS(float)
EIGRAD_INSTANTIATE_REDUCTIONS(double)

}  // namespace eigrad
