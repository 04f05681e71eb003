// Indexing, joining, dimension order and dtype conversion. select, narrow, slice, index,
// permute, transpose and expand each describe their result as a StridedView of the input,
// taken by take(): a view where contiguous, else a gather; one node (the scatter-add) for all.
#include "eigrad/tensor/shape_ops.hpp"

#include <algorithm>
#include <numeric>
#include <string>

#include "eigrad/autograd/grad_mode.hpp"
#include "eigrad/autograd/node.hpp"
#include "eigrad/errors.hpp"
#include "eigrad/tensor/factories.hpp"
#include "positions.hpp"

namespace eigrad {

namespace {

/// Where each element of a result lies in its input's (contiguous) data: element
/// (i0, i1, ...) of \p shape is input element offset + sum(ik * strides[k]). A stride of 0
/// repeats an element (expand).
struct StridedView {
  Shape shape;
  std::vector<std::int64_t> strides;
  std::int64_t offset = 0;
};

StridedView whole(const Shape& shape) { return {shape, contiguous_strides(shape), 0}; }

/// Calls f(out, in) for every element of \p v in row-major order: its flat position in the
/// result and in the input.
template <class F>
void walk(const StridedView& v, F f) {
  const std::int64_t n = numel(v.shape);
  if (n == 0) return;
  const int rank = static_cast<int>(v.shape.size());
  std::vector<std::int64_t> idx(static_cast<std::size_t>(rank), 0);
  std::int64_t in = v.offset;
  for (std::int64_t out = 0; out < n; ++out) {
    f(out, in);
    for (int d = rank - 1; d >= 0; --d) {
      in += v.strides[d];
      if (++idx[d] < v.shape[d]) break;
      in -= v.strides[d] * v.shape[d];
      idx[d] = 0;
    }
  }
}

/// Whether the elements of \p v are the contiguous block of input data starting at its offset.
bool is_contiguous(const StridedView& v) {
  std::int64_t expected = 1;
  for (std::size_t d = v.shape.size(); d-- > 0;) {
    if (v.shape[d] == 1) continue;
    if (v.strides[d] != expected) return false;
    expected *= v.shape[d];
  }
  return true;
}

/// The elements of \p v taken from \p a: a view of a's storage where they lie contiguously,
/// else a copy. Recorded with detail::TakeBackward named \p name (the scatter-add of g to the
/// positions read, which sums repeated positions as expand's gradient does).
template <class T>
Tensor<T> take(const Tensor<T>& a, StridedView v, const char* name) {
  check_shape(v.shape);
  const bool contiguous = is_contiguous(v);
  if (contiguous && !autograd::any_requires_grad<T>({&a}))
    return Tensor<T>(a.storage(), v.shape, a.storage_offset() + (numel(v.shape) ? v.offset : 0));
  std::vector<std::int64_t> positions;
  positions.reserve(static_cast<std::size_t>(numel(v.shape)));
  walk(v, [&positions](std::int64_t, std::int64_t j) { positions.push_back(j); });
  if (!contiguous) return detail::take_positions(a, v.shape, std::move(positions), name);
  Tensor<T> out(a.storage(), v.shape, a.storage_offset() + (numel(v.shape) ? v.offset : 0));
  return autograd::record<T>(out, std::make_shared<detail::TakeBackward<T>>(a.shape(), std::move(positions), name),
                             {&a});
}

/// Python's clamping of a slice bound to [0, extent].
std::int64_t clamp_bound(std::int64_t b, std::int64_t extent) {
  if (b < 0) b += extent;
  return std::clamp<std::int64_t>(b, 0, extent);
}

void select_in(StridedView& v, int d, std::int64_t index, const char* what) {
  const std::int64_t extent = v.shape[d];
  EIGRAD_CHECK(index >= -extent && index < extent, ValueError, what, ": index ", index,
               " is out of range for dimension ", d, " of extent ", extent);
  if (index < 0) index += extent;
  v.offset += index * v.strides[d];
  v.shape.erase(v.shape.begin() + d);
  v.strides.erase(v.strides.begin() + d);
}

void slice_in(StridedView& v, int d, std::int64_t start, std::int64_t end, std::int64_t step) {
  EIGRAD_CHECK(step > 0, ValueError, "slice: step must be positive, got ", step);
  const std::int64_t extent = v.shape[d];
  start = clamp_bound(start, extent);
  end = std::max(clamp_bound(end, extent), start);
  v.offset += start * v.strides[d];
  v.shape[d] = (end - start + step - 1) / step;
  v.strides[d] *= step;
}

template <class T>
class CatBackward final : public Node<T> {
 public:
  CatBackward(int dim, std::vector<std::int64_t> sizes) : dim_(dim), sizes_(std::move(sizes)) {}
  std::string name() const override { return "CatBackward0"; }

 protected:
  std::vector<Tensor<T>> backward(const Tensor<T>& g) override {
    std::vector<Tensor<T>> out(sizes_.size());
    std::int64_t start = 0;
    for (std::size_t k = 0; k < sizes_.size(); ++k) {
      if (this->needs_input_grad(k)) out[k] = g.narrow(dim_, start, sizes_[k]);
      start += sizes_[k];
    }
    return out;
  }

 private:
  int dim_;
  std::vector<std::int64_t> sizes_;
};

/// The gradient of a dtype conversion: converted back and sent on through the source's own
/// graph (a graph of another element type, which this engine pass cannot reach).
template <class From, class To>
class ToCopyBackward final : public Node<To> {
 public:
  explicit ToCopyBackward(Tensor<From> source) : source_(std::move(source)) {}
  std::string name() const override { return "ToCopyBackward0"; }

 protected:
  std::vector<Tensor<To>> backward(const Tensor<To>& g) override {
    // retain_graph: this pass may reach the source's graph again through another conversion,
    // and the outer pass's own retain_graph is not known here.
    autograd::run_backward<From>({source_}, {g.template to<From>()}, /*retain_graph=*/true);
    return {};
  }

 private:
  Tensor<From> source_;
};

}  // namespace

// -------------------------------------------------------------------- indexing
template <class T>
Tensor<T> Tensor<T>::select(std::int64_t dim, std::int64_t index) const {
  EIGRAD_CHECK(this->dim() > 0, ValueError, "select() cannot be applied to a rank-0 tensor");
  StridedView v = whole(shape());
  select_in(v, wrap_dim(dim, this->dim()), index, "select()");
  return take(*this, std::move(v), "SelectBackward0");
}

template <class T>
Tensor<T> Tensor<T>::narrow(std::int64_t dim, std::int64_t start, std::int64_t length) const {
  EIGRAD_CHECK(this->dim() > 0, ValueError, "narrow() cannot be applied to a rank-0 tensor");
  const int d = wrap_dim(dim, this->dim());
  const std::int64_t extent = shape()[d];
  if (start < 0 && start >= -extent) start += extent;
  EIGRAD_CHECK(start >= 0 && length >= 0 && start + length <= extent, ValueError, "narrow(): start ", start,
               " and length ", length, " exceed dimension ", d, " of extent ", extent);
  StridedView v = whole(shape());
  slice_in(v, d, start, start + length, 1);
  return take(*this, std::move(v), "NarrowBackward0");
}

template <class T>
Tensor<T> Tensor<T>::slice(std::int64_t dim, std::int64_t start, std::int64_t end, std::int64_t step) const {
  EIGRAD_CHECK(this->dim() > 0, ValueError, "slice() cannot be applied to a rank-0 tensor");
  StridedView v = whole(shape());
  slice_in(v, wrap_dim(dim, this->dim()), start, end, step);
  return take(*this, std::move(v), "SliceBackward0");
}

template <class T>
Tensor<T> Tensor<T>::index(const std::vector<indexing::TensorIndex>& indices) const {
  using Kind = indexing::TensorIndex::Kind;
  std::int64_t consumed = 0, ellipses = 0;
  for (const auto& i : indices) {
    if (i.kind() == Kind::Integer || i.kind() == Kind::Slice) ++consumed;
    if (i.kind() == Kind::Ellipsis) ++ellipses;
  }
  EIGRAD_CHECK(ellipses <= 1, ValueError, "index(): an index can only have a single ellipsis");
  EIGRAD_CHECK(consumed <= dim(), ValueError, "index(): too many indices (", consumed, ") for a tensor of rank ",
               dim());
  StridedView v = whole(shape());
  int d = 0;  // the dimension of v the next entry applies to
  for (const auto& i : indices) {
    switch (i.kind()) {
      case Kind::Integer: select_in(v, d, i.integer(), "index()"); break;
      case Kind::Slice: {
        const indexing::Slice& s = i.slice();
        slice_in(v, d, s.start.value_or(0), s.stop.value_or(INT64_MAX), s.step.value_or(1));
        ++d;
        break;
      }
      case Kind::None:
        v.shape.insert(v.shape.begin() + d, 1);
        v.strides.insert(v.strides.begin() + d, 0);
        ++d;
        break;
      case Kind::Ellipsis: d += static_cast<int>(dim() - consumed); break;
    }
  }
  return take(*this, std::move(v), "IndexBackward0");
}

template <class T>
Tensor<T> Tensor<T>::permute(const std::vector<std::int64_t>& dims) const {
  EIGRAD_CHECK(static_cast<int>(dims.size()) == dim(), ValueError, "permute(): ", dims.size(),
               " dimensions given for a tensor of rank ", dim());
  const StridedView in = whole(shape());
  StridedView v{{}, {}, 0};
  std::vector<bool> seen(dims.size(), false);
  for (std::int64_t d : dims) {
    const int k = wrap_dim(d, dim());
    EIGRAD_CHECK(!seen[k], ValueError, "permute(): dimension ", k, " repeats");
    seen[k] = true;
    v.shape.push_back(in.shape[k]);
    v.strides.push_back(in.strides[k]);
  }
  return take(*this, std::move(v), "PermuteBackward0");
}

template <class T>
Tensor<T> Tensor<T>::transpose(std::int64_t dim0, std::int64_t dim1) const {
  if (dim() == 0) return take(*this, whole(shape()), "TransposeBackward0");
  std::vector<std::int64_t> order(static_cast<std::size_t>(dim()));
  std::iota(order.begin(), order.end(), 0);
  std::swap(order[wrap_dim(dim0, dim())], order[wrap_dim(dim1, dim())]);
  StridedView v = whole(shape());
  StridedView t{{}, {}, 0};
  for (std::int64_t k : order) {
    t.shape.push_back(v.shape[k]);
    t.strides.push_back(v.strides[k]);
  }
  return take(*this, std::move(t), "TransposeBackward0");
}

template <class T>
Tensor<T> Tensor<T>::expand(const Shape& target) const {
  const int lead = static_cast<int>(target.size()) - dim();
  EIGRAD_CHECK(lead >= 0, ShapeError, "expand(): the target shape ", to_string(target), " has fewer dimensions than ",
               to_string(shape()));
  const StridedView in = whole(shape());
  StridedView v{target, std::vector<std::int64_t>(target.size(), 0), 0};
  for (int d = 0; d < static_cast<int>(target.size()); ++d) {
    if (d < lead) {
      EIGRAD_CHECK(target[d] >= 0, ShapeError, "expand(): ", to_string(target),
                   " has -1 in a new leading dimension");
      continue;
    }
    const std::int64_t have = shape()[d - lead];
    if (target[d] == -1 || target[d] == have) {
      v.shape[d] = have;
      v.strides[d] = in.strides[d - lead];
    } else {
      EIGRAD_CHECK(have == 1, ShapeError, "expand(): the extent ", have, " of dimension ", d - lead, " of ",
                   to_string(shape()), " must be 1 to expand to ", to_string(target));
    }
  }
  return take(*this, std::move(v), "ExpandBackward0");
}

// -------------------------------------------------------------------- splitting
template <class T>
std::vector<Tensor<T>> Tensor<T>::split_with_sizes(const std::vector<std::int64_t>& sizes, std::int64_t dim) const {
  const int d = wrap_dim(dim, this->dim());
  const std::int64_t total = std::accumulate(sizes.begin(), sizes.end(), std::int64_t{0});
  EIGRAD_CHECK(total == size(d), ValueError, "split_with_sizes(): sizes adding up to ", total,
               " for dimension ", d, " of extent ", size(d));
  std::vector<Tensor> out;
  std::int64_t start = 0;
  for (std::int64_t s : sizes) {
    out.push_back(narrow(d, start, s));
    start += s;
  }
  return out;
}

template <class T>
std::vector<Tensor<T>> Tensor<T>::split(std::int64_t split_size, std::int64_t dim) const {
  const int d = wrap_dim(dim, this->dim());
  const std::int64_t extent = size(d);
  EIGRAD_CHECK(split_size > 0 || (split_size == 0 && extent == 0), ValueError, "split(): split_size must be positive, got ",
               split_size);
  std::vector<std::int64_t> sizes;
  for (std::int64_t start = 0; start < extent; start += split_size) sizes.push_back(std::min(split_size, extent - start));
  if (sizes.empty()) sizes.push_back(0);
  return split_with_sizes(sizes, d);
}

template <class T>
std::vector<Tensor<T>> Tensor<T>::chunk(std::int64_t chunks, std::int64_t dim) const {
  EIGRAD_CHECK(chunks > 0, ValueError, "chunk(): chunks must be positive, got ", chunks);
  const std::int64_t extent = size(dim);
  return split((extent + chunks - 1) / chunks, dim);
}

// -------------------------------------------------------------------- joining
template <class T>
Tensor<T> cat(const std::vector<Tensor<T>>& tensors, std::int64_t dim) {
  EIGRAD_CHECK(!tensors.empty(), ValueError, "cat(): expected a non-empty list of tensors");
  const Tensor<T>& first = tensors.front();
  EIGRAD_CHECK(first.dim() > 0, ValueError, "cat(): zero-dimensional tensors cannot be concatenated");
  const int d = wrap_dim(dim, first.dim());
  Shape out_shape = first.shape();
  out_shape[d] = 0;
  std::vector<std::int64_t> sizes;
  for (const Tensor<T>& t : tensors) {
    bool fits = t.dim() == first.dim() && t.device() == first.device();
    for (int k = 0; fits && k < t.dim(); ++k) fits = k == d || t.shape()[k] == first.shape()[k];
    EIGRAD_CHECK(fits, ShapeError, "cat(): shapes ", to_string(first.shape()), " and ", to_string(t.shape()),
                 " differ outside dimension ", d);
    sizes.push_back(t.shape()[d]);
    out_shape[d] += t.shape()[d];
  }
  if (first.is_cuda()) {  // no kernel-table entry: joined on the host, recorded through to()
    std::vector<Tensor<T>> host;
    for (const Tensor<T>& t : tensors) host.push_back(t.cpu());
    return cat(host, d).to(first.device());
  }
  std::int64_t outer = 1, inner = 1;
  for (int k = 0; k < d; ++k) outer *= out_shape[k];
  for (int k = d + 1; k < first.dim(); ++k) inner *= out_shape[k];
  Tensor<T> out = empty<T>(out_shape, first.device());
  T* o = out.data();
  for (std::int64_t i = 0; i < outer; ++i)
    for (std::size_t k = 0; k < tensors.size(); ++k) {
      const std::int64_t block = sizes[k] * inner;
      const T* src = tensors[k].data() + i * block;
      o = std::copy(src, src + block, o);
    }
  return autograd::record<T>(out, std::make_shared<CatBackward<T>>(d, std::move(sizes)), tensors);
}

template <class T>
Tensor<T> stack(const std::vector<Tensor<T>>& tensors, std::int64_t dim) {
  EIGRAD_CHECK(!tensors.empty(), ValueError, "stack(): expected a non-empty list of tensors");
  const int d = wrap_dim(dim, tensors.front().dim() + 1);
  std::vector<Tensor<T>> lifted;
  for (const Tensor<T>& t : tensors) {
    EIGRAD_CHECK(t.shape() == tensors.front().shape(), ShapeError, "stack(): every tensor must have one shape, got ",
                 to_string(tensors.front().shape()), " and ", to_string(t.shape()));
    lifted.push_back(t.unsqueeze(d));
  }
  return cat(lifted, d);
}

// -------------------------------------------------------------------- gathering
template <class T>
Tensor<T> index_select(const Tensor<T>& input, std::int64_t dim, const std::vector<std::int64_t>& index) {
  const int d = wrap_dim(dim, input.dim());
  Shape out_shape = input.shape();
  const std::int64_t extent = input.dim() ? out_shape[d] : 1;
  std::int64_t outer = 1, inner = 1;
  for (int k = 0; k < d; ++k) outer *= out_shape[k];
  for (int k = d + 1; k < input.dim(); ++k) inner *= out_shape[k];
  if (input.dim()) out_shape[d] = static_cast<std::int64_t>(index.size());
  std::vector<std::int64_t> positions;
  positions.reserve(static_cast<std::size_t>(numel(out_shape)));
  for (std::int64_t o = 0; o < outer; ++o)
    for (std::int64_t j : index) {
      EIGRAD_CHECK(j >= 0 && j < extent, ValueError, "index_select(): index ", j, " is out of range for dimension ",
                   d, " of extent ", extent);
      for (std::int64_t i = 0; i < inner; ++i) positions.push_back((o * extent + j) * inner + i);
    }
  return detail::take_positions(input, out_shape, std::move(positions), "IndexSelectBackward0");
}

template <class T>
Tensor<T> gather(const Tensor<T>& input, std::int64_t dim, const Tensor<T>& index) {
  const int d = wrap_dim(dim, input.dim());
  EIGRAD_CHECK(index.dim() == input.dim(), ShapeError, "gather(): index of shape ", to_string(index.shape()),
               " and input of shape ", to_string(input.shape()), " differ in rank");
  const std::vector<std::int64_t> in_strides = contiguous_strides(input.shape());
  std::vector<std::int64_t> positions;
  positions.reserve(static_cast<std::size_t>(index.numel()));
  const StridedView over_index = whole(index.shape());
  const Tensor<T> host_index = index.is_cuda() ? index.cpu() : index;
  const T* idx = host_index.data();
  std::vector<std::int64_t> at(static_cast<std::size_t>(index.dim()), 0);
  walk(over_index, [&](std::int64_t i, std::int64_t) {
    std::int64_t rest = i, pos = 0;
    for (int k = index.dim() - 1; k >= 0; --k) {
      at[k] = rest % index.shape()[k];
      rest /= index.shape()[k];
    }
    for (int k = 0; k < index.dim(); ++k) {
      const std::int64_t j = k == d ? static_cast<std::int64_t>(idx[i]) : at[k];
      const std::int64_t extent = input.dim() ? input.shape()[k] : 1;
      EIGRAD_CHECK(j >= 0 && j < extent, ValueError, "gather(): index ", j, " is out of range for dimension ", k, " of extent ", extent);
      pos += j * in_strides[k];
    }
    positions.push_back(pos);
  });
  return detail::take_positions(input, index.shape(), std::move(positions), "GatherBackward0");
}

// -------------------------------------------------------------------- dtype
template <class T>
template <class U>
Tensor<U> Tensor<T>::to() const {
  if constexpr (std::is_same_v<T, U>) {
    return *this;
  } else if (is_cuda()) {  // converted on the host, recorded through both copies
    return cpu().template to<U>().to(device());
  } else {
    Tensor<U> out = empty<U>(shape(), device());
    out.array() = array().template cast<U>();
    if (GradMode::is_enabled() && requires_grad()) out.set_grad_fn(std::make_shared<ToCopyBackward<T, U>>(*this));
    return out;
  }
}

namespace indexing {
TensorIndex::TensorIndex(const char* text) : kind_(Kind::Ellipsis) {
  EIGRAD_CHECK(std::string(text) == "...", ValueError, "TensorIndex: the only string index is \"...\", got \"",
               text, "\"");
}
}  // namespace indexing

#define EIGRAD_INSTANTIATE_SHAPE_OPS(T)                                                          \
  template Tensor<T> Tensor<T>::select(std::int64_t, std::int64_t) const;                        \
  template Tensor<T> Tensor<T>::narrow(std::int64_t, std::int64_t, std::int64_t) const;          \
  template Tensor<T> Tensor<T>::slice(std::int64_t, std::int64_t, std::int64_t, std::int64_t) const; \
  template Tensor<T> Tensor<T>::index(const std::vector<indexing::TensorIndex>&) const;          \
  template Tensor<T> Tensor<T>::permute(const std::vector<std::int64_t>&) const;                 \
  template Tensor<T> Tensor<T>::transpose(std::int64_t, std::int64_t) const;                     \
  template Tensor<T> Tensor<T>::expand(const Shape&) const;                                      \
  template std::vector<Tensor<T>> Tensor<T>::split(std::int64_t, std::int64_t) const;            \
  template std::vector<Tensor<T>> Tensor<T>::split_with_sizes(const std::vector<std::int64_t>&, std::int64_t) const; \
  template std::vector<Tensor<T>> Tensor<T>::chunk(std::int64_t, std::int64_t) const;            \
  template Tensor<float> Tensor<T>::to<float>() const;                                           \
  template Tensor<double> Tensor<T>::to<double>() const;                                         \
  template Tensor<T> cat<T>(const std::vector<Tensor<T>>&, std::int64_t);                        \
  template Tensor<T> index_select<T>(const Tensor<T>&, std::int64_t, const std::vector<std::int64_t>&); \
  template Tensor<T> gather<T>(const Tensor<T>&, std::int64_t, const Tensor<T>&);                \
  template Tensor<T> stack<T>(const std::vector<Tensor<T>>&, std::int64_t);

EIGRAD_INSTANTIATE_SHAPE_OPS(float)
EIGRAD_INSTANTIATE_SHAPE_OPS(double)

}  // namespace eigrad
