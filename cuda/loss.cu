// The kernel table's pointwise losses (ops/loss.hpp): the loss of each difference and the
// gradient of one operand, as src/nn/functional/loss.cpp computes them on the CPU.
#include "backend.hpp"
#include "eigrad/cuda/kernels.hpp"

namespace eigrad::cuda {

namespace {
using detail::Index;

template <class T, class Loss>
struct LossValue {
  Loss loss;
  const T* a;
  const T* b;
  T* out;
  EIGRAD_HOST_DEVICE void operator()(Index i) const { out[i] = loss.value(a[i] - b[i]); }
};

template <class T, class Loss>
struct LossGrad {
  Loss loss;
  const T* a;
  const T* b;
  const T* g;
  bool g_scalar;
  T norm;
  T* out;
  EIGRAD_HOST_DEVICE void operator()(Index i) const {
    out[i] = norm * loss.derivative(a[i] - b[i]) * g[g_scalar ? 0 : i];
  }
};
}  // namespace

template <class T>
void loss_values(const ops::LossEntry<T>& loss, const T* a, const T* b, T* out, std::int64_t n) {
  loss.visit([&](auto entry) {
    detail::for_each_index("loss_values", n, LossValue<T, decltype(entry)>{entry, a, b, out});
  });
}

template <class T>
void loss_grad(const ops::LossEntry<T>& loss, const T* a, const T* b, const T* g, bool g_scalar, T norm, T* out,
               std::int64_t n) {
  loss.visit([&](auto entry) {
    detail::for_each_index("loss_grad", n, LossGrad<T, decltype(entry)>{entry, a, b, g, g_scalar, norm, out});
  });
}

#define EIGRAD_INSTANTIATE(T)                                                                              \
  template void loss_values<T>(const ops::LossEntry<T>&, const T*, const T*, T*, std::int64_t);          \
  template void loss_grad<T>(const ops::LossEntry<T>&, const T*, const T*, const T*, bool, T, T*, std::int64_t);
EIGRAD_INSTANTIATE(float)
EIGRAD_INSTANTIATE(double)
#undef EIGRAD_INSTANTIATE

}  // namespace eigrad::cuda
