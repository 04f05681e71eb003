#include "eigrad/expr/expr.hpp"

namespace eigrad::expr::detail {

namespace {
// K rows at once: K independent chains of dependent adds, each in element order.
template <int K, class T>
void add_rows(const T* rows, T* acc, int m) {
  T a[K];
  for (int k = 0; k < K; ++k) a[k] = acc[k];
  for (int j = 0; j < m; ++j)
    for (int k = 0; k < K; ++k) a[k] += rows[k * kSumChunk + j];
  for (int k = 0; k < K; ++k) acc[k] = a[k];
}
}  // namespace

template <class T>
void add_adjoint_chunk(const T* rows, T* acc, double* runs, int count, std::int64_t i0, int m) {
  if (i0 > 0 && i0 % kSumRun == 0)
    for (int r = 0; r < count; ++r) {
      runs[r] += static_cast<double>(acc[r]);
      acc[r] = -T(0);
    }
  int r = 0;
  for (; r + 4 <= count; r += 4) add_rows<4>(rows + r * kSumChunk, acc + r, m);
  switch (count - r) {
    case 3: add_rows<3>(rows + r * kSumChunk, acc + r, m); break;
    case 2: add_rows<2>(rows + r * kSumChunk, acc + r, m); break;
    case 1: add_rows<1>(rows + r * kSumChunk, acc + r, m); break;
    default: break;
  }
}

template void add_adjoint_chunk(const float*, float*, double*, int, std::int64_t, int);
template void add_adjoint_chunk(const double*, double*, double*, int, std::int64_t, int);

}  // namespace eigrad::expr::detail
