// The kernel table's fill, copy and elementwise entries: each picks its op table functor once
// and runs it over the elements in one Thrust launch.
#include "backend.hpp"
#include "broadcast.hpp"
#include "entries.hpp"
#include "eigrad/cuda/kernels.hpp"
#include "eigrad/errors.hpp"

namespace eigrad::cuda {

namespace {
using detail::BroadcastReader;
using detail::Index;

template <class T>
struct FillValue {
  T* out;
  T value;
  EIGRAD_HOST_DEVICE void operator()(Index i) const { out[i] = value; }
};

template <class T>
struct CopyElement {
  T* dst;
  const T* src;
  EIGRAD_HOST_DEVICE void operator()(Index i) const { dst[i] = src[i]; }
};

template <class T>
struct TransposeElement {
  T* out;
  const T* in;
  Index rows, cols;  // of in
  EIGRAD_HOST_DEVICE void operator()(Index i) const { out[(i % cols) * rows + i / cols] = in[i]; }
};

template <class T, class Entry>
struct UnaryValue {
  Entry entry;
  const T* x;
  T* out;
  EIGRAD_HOST_DEVICE void operator()(Index i) const { out[i] = entry.value(x[i]); }
};

// x or y is null when the entry does not read it: a zero stands in.
template <class T, class Entry>
struct UnaryGrad {
  Entry entry;
  const T* g;
  const T* x;
  const T* y;
  T* out;
  EIGRAD_HOST_DEVICE void operator()(Index i) const {
    out[i] = entry.grad(g[i], x ? x[i] : T(0), y ? y[i] : T(0));
  }
};

template <class T, class Entry>
struct BinaryValue {
  Entry entry;
  BroadcastReader<T> a, b;
  T* out;
  EIGRAD_HOST_DEVICE void operator()(Index i) const { out[i] = entry.template value<T>(a[i], b[i]); }
};

template <class T, class Entry>
struct BinaryGrad {
  Entry entry;
  bool of_b;
  const T* g;
  BroadcastReader<T> a, b;
  const T* y;
  T* out;
  EIGRAD_HOST_DEVICE void operator()(Index i) const {
    const T yi = y ? y[i] : T(0);
    out[i] = of_b ? entry.template grad_b<T>(g[i], a[i], b[i], yi) : entry.template grad_a<T>(g[i], a[i], b[i], yi);
  }
};

void check_binary(ops::Code op) {
  EIGRAD_CHECK(ops::is_binary(op) && !ops::is_loss(op), ValueError, "cuda::binary: op code ", static_cast<int>(op),
               " is not a two-operand entry");
}
void check_unary(ops::Code op) {
  EIGRAD_CHECK(op >= ops::Code::Neg && op <= ops::Code::PowScalar, ValueError, "cuda::unary: op code ",
               static_cast<int>(op), " is not a one-operand entry");
}
}  // namespace

template <class T>
void fill(T* out, std::int64_t n, T value) {
  detail::for_each_index("fill", n, FillValue<T>{out, value});
}

template <class T>
void copy(T* dst, const T* src, std::int64_t n) {
  detail::for_each_index("copy", n, CopyElement<T>{dst, src});
}

template <class T>
void transpose(const T* in, T* out, std::int64_t rows, std::int64_t cols) {
  detail::for_each_index("transpose", rows * cols, TransposeElement<T>{out, in, rows, cols});
}

template <class T>
void unary(const Unary<T>& op, const T* x, T* out, std::int64_t n) {
  check_unary(op.code);
  detail::with_unary_entry(op, [&](auto entry) {
    detail::for_each_index("unary", n, UnaryValue<T, decltype(entry)>{entry, x, out});
  });
}

template <class T>
void unary_grad(const Unary<T>& op, const T* g, const T* x, const T* y, T* out, std::int64_t n) {
  check_unary(op.code);
  detail::with_unary_entry(op, [&](auto entry) {
    detail::for_each_index("unary_grad", n, UnaryGrad<T, decltype(entry)>{entry, g, x, y, out});
  });
}

template <class T>
void binary(ops::Code op, const Operand<T>& a, const Operand<T>& b, T* out, const Shape& out_shape) {
  check_binary(op);
  const auto ra = detail::broadcast_reader(a.data, a.shape, out_shape);
  const auto rb = detail::broadcast_reader(b.data, b.shape, out_shape);
  detail::with_binary_entry(op, [&](auto entry) {
    detail::for_each_index("binary", numel(out_shape), BinaryValue<T, decltype(entry)>{entry, ra, rb, out});
  });
}

template <class T>
void binary_grad(ops::Code op, int which, const T* g, const Operand<T>& a, const Operand<T>& b, const T* y, T* out,
                 const Shape& out_shape) {
  check_binary(op);
  EIGRAD_CHECK(which == 0 || which == 1, ValueError, "cuda::binary_grad: operand ", which, " is not 0 or 1");
  const auto ra = detail::broadcast_reader(a.data, a.shape, out_shape);
  const auto rb = detail::broadcast_reader(b.data, b.shape, out_shape);
  detail::with_binary_entry(op, [&](auto entry) {
    detail::for_each_index("binary_grad", numel(out_shape),
                           BinaryGrad<T, decltype(entry)>{entry, which == 1, g, ra, rb, y, out});
  });
}

#define EIGRAD_INSTANTIATE(T)                                                                                   \
  template void fill<T>(T*, std::int64_t, T);                                                                   \
  template void copy<T>(T*, const T*, std::int64_t);                                                            \
  template void transpose<T>(const T*, T*, std::int64_t, std::int64_t);                                        \
  template void unary<T>(const Unary<T>&, const T*, T*, std::int64_t);                                          \
  template void unary_grad<T>(const Unary<T>&, const T*, const T*, const T*, T*, std::int64_t);                 \
  template void binary<T>(ops::Code, const Operand<T>&, const Operand<T>&, T*, const Shape&);                   \
  template void binary_grad<T>(ops::Code, int, const T*, const Operand<T>&, const Operand<T>&, const T*, T*,     \
                               const Shape&);
EIGRAD_INSTANTIATE(float)
EIGRAD_INSTANTIATE(double)
#undef EIGRAD_INSTANTIATE

}  // namespace eigrad::cuda
