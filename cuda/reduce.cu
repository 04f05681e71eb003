// The kernel table's reductions and matmul.
#include "backend.hpp"
#include "eigrad/cuda/kernels.hpp"
#include "eigrad/errors.hpp"
#if EIGRAD_DEVICE_CUDA
#include <cublas_v2.h>

#include <mutex>
#endif

namespace eigrad::cuda {

namespace {
using detail::Index;

template <class T>
struct ReadElement {
  const T* x;
  EIGRAD_HOST_DEVICE T operator()(Index i) const { return x[i]; }
};

/// out[j] = the sum, in row-major order, of the elements of x that broadcast from element j
/// of the output: the reduced dimensions (extent 1 in the output) are walked by one counter.
template <class T>
struct SumToElement {
  const T* x;
  T* out;
  Index out_extent[kMaxRank];
  Index reduced_extent[kMaxRank];  // the input's extent where the output's is 1, else 1
  Index stride[kMaxRank];          // the input's row-major strides
  Index reduced_count;

  EIGRAD_HOST_DEVICE void operator()(Index j) const {
    Index base = 0;
    for (Index rest = j, d = kMaxRank - 1; d >= 0; --d) {
      base += (rest % out_extent[d]) * stride[d];
      rest /= out_extent[d];
    }
    out[j] = detail::lane_sum(ReducedElement{this, base}, 0, reduced_count, T(0), detail::Plus<T>{});
  }

  /// Reduced element r of the output element whose first input element is at base.
  struct ReducedElement {
    const SumToElement* self;
    Index base;
    EIGRAD_HOST_DEVICE T operator()(Index r) const {
      Index offset = base;
      for (int d = kMaxRank - 1; d >= 0; --d) {
        offset += (r % self->reduced_extent[d]) * self->stride[d];
        r /= self->reduced_extent[d];
      }
      return self->x[offset];
    }
  };
};

template <class T>
struct MatmulElement {
  const T* a;
  const T* b;
  T* out;
  Index k, n;
  /// a[i, p] * b[p, j], term p of output element (i, j).
  struct Term {
    const MatmulElement* self;
    Index i, j;
    EIGRAD_HOST_DEVICE T operator()(Index p) const { return self->a[i * self->k + p] * self->b[p * self->n + j]; }
  };
  EIGRAD_HOST_DEVICE void operator()(Index e) const {
    out[e] = detail::lane_sum(Term{this, e / n, e % n}, 0, k, T(0), detail::Plus<T>{});
  }
};

#if EIGRAD_DEVICE_CUDA
cublasHandle_t cublas_handle() {
  static cublasHandle_t handle = [] {
    cublasHandle_t h = nullptr;
    EIGRAD_CHECK(cublasCreate(&h) == CUBLAS_STATUS_SUCCESS, DeviceError, "matmul: cuBLAS could not start");
    return h;
  }();
  return handle;
}

void gemm(const float* a, const float* b, float* out, int m, int k, int n) {
  const float one = 1, zero = 0;
  // row-major out = a b is column-major out^T = b^T a^T
  EIGRAD_CHECK(cublasSgemm(cublas_handle(), CUBLAS_OP_N, CUBLAS_OP_N, n, m, k, &one, b, n, a, k, &zero, out, n) ==
                   CUBLAS_STATUS_SUCCESS,
               DeviceError, "matmul: cublasSgemm failed");
}
void gemm(const double* a, const double* b, double* out, int m, int k, int n) {
  const double one = 1, zero = 0;
  EIGRAD_CHECK(cublasDgemm(cublas_handle(), CUBLAS_OP_N, CUBLAS_OP_N, n, m, k, &one, b, n, a, k, &zero, out, n) ==
                   CUBLAS_STATUS_SUCCESS,
               DeviceError, "matmul: cublasDgemm failed");
}
#endif
}  // namespace

template <class T>
T sum(const T* x, std::int64_t n) {
  return detail::reduce_index("sum", n, ReadElement<T>{x}, T(0), detail::Plus<T>{});
}

template <class T>
void sum_into(const T* x, std::int64_t n, T* out) {
  detail::reduce_index_to_device("sum", n, ReadElement<T>{x}, T(0), detail::Plus<T>{}, detail::WriteTo<T>{out});
}

template <class T>
void sum_to(const T* x, const Shape& shape, T* out, const Shape& out_shape) {
  EIGRAD_CHECK(broadcast_shapes(out_shape, shape) == shape, ShapeError, "sum_to: ", to_string(shape),
               " does not broadcast from ", to_string(out_shape));
  const Index n_out = numel(out_shape);
  if (n_out == 1) return sum_into(x, numel(shape), out);  // a tree, not one element's serial loop
  SumToElement<T> f{x, out, {1, 1, 1, 1}, {1, 1, 1, 1}, {0, 0, 0, 0}, 1};
  const int pad_in = kMaxRank - static_cast<int>(shape.size());
  const int pad_out = kMaxRank - static_cast<int>(out_shape.size());
  Index s = 1;
  for (int d = kMaxRank - 1; d >= 0; --d) {
    const Index in_extent = d >= pad_in ? shape[d - pad_in] : 1;
    const Index o_extent = d >= pad_out ? out_shape[d - pad_out] : 1;
    f.out_extent[d] = o_extent;
    f.reduced_extent[d] = o_extent == in_extent ? 1 : in_extent;
    f.stride[d] = s;
    f.reduced_count *= f.reduced_extent[d];
    s *= in_extent;
  }
  detail::for_each_index("sum_to", n_out, f);
}

template <class T>
void sum_dim(const T* x, const Shape& shape, std::int64_t dim, T* out) {
  Shape kept = shape;
  kept[wrap_dim(dim, static_cast<int>(shape.size()))] = 1;
  sum_to(x, shape, out, kept);
}

template <class T>
void matmul(const T* a, const T* b, T* out, std::int64_t m, std::int64_t k, std::int64_t n) {
  EIGRAD_CHECK(m >= 0 && k >= 0 && n >= 0, ShapeError, "matmul: negative extent (", m, " x ", k, ") · (", k, " x ",
               n, ")");
  if (m == 0 || n == 0) return;
  if (k == 0) return fill(out, m * n, T(0));
#if EIGRAD_DEVICE_CUDA
  constexpr std::int64_t kMaxInt = 2147483647;
  EIGRAD_CHECK(m <= kMaxInt && k <= kMaxInt && n <= kMaxInt, ShapeError, "matmul: extent beyond cuBLAS's int");
  detail::record_launch("matmul");
  gemm(a, b, out, static_cast<int>(m), static_cast<int>(k), static_cast<int>(n));
#else
  detail::for_each_index("matmul", m * n, MatmulElement<T>{a, b, out, k, n});
#endif
}

#define EIGRAD_INSTANTIATE(T)                                                              \
  template T sum<T>(const T*, std::int64_t);                                               \
  template void sum_into<T>(const T*, std::int64_t, T*);                                   \
  template void sum_to<T>(const T*, const Shape&, T*, const Shape&);                       \
  template void sum_dim<T>(const T*, const Shape&, std::int64_t, T*);                      \
  template void matmul<T>(const T*, const T*, T*, std::int64_t, std::int64_t, std::int64_t);
EIGRAD_INSTANTIATE(float)
EIGRAD_INSTANTIATE(double)
#undef EIGRAD_INSTANTIATE

}  // namespace eigrad::cuda
