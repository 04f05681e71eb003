#pragma once
// Internal: the loops every CPU tensor operation is built from. Each takes a small functor so
// the loop body inlines; there is no per-element virtual dispatch.
#include <array>
#include <cstdint>

#include "eigrad/shape.hpp"

namespace eigrad::detail {

/// Shape and element strides of an operand, right-aligned to kMaxRank dimensions; a stride
/// of 0 repeats the operand along a broadcast dimension.
struct BroadcastIndex {
  std::array<std::int64_t, kMaxRank> extent{1, 1, 1, 1};
  std::array<std::int64_t, kMaxRank> stride{0, 0, 0, 0};
};

/// Strides to read an operand of \p shape while iterating over \p out (broadcast to it).
inline BroadcastIndex broadcast_index(const Shape& shape, const Shape& out) {
  BroadcastIndex b;
  const int pad_out = kMaxRank - static_cast<int>(out.size());
  const int pad_in = kMaxRank - static_cast<int>(shape.size());
  for (int i = 0; i < static_cast<int>(out.size()); ++i) b.extent[pad_out + i] = out[i];
  std::int64_t s = 1;
  for (int i = static_cast<int>(shape.size()) - 1; i >= 0; --i) {
    b.stride[pad_in + i] = shape[i] == 1 ? 0 : s;
    s *= shape[i];
  }
  return b;
}

/// out[i] = f(a[.], b[.]) over the broadcast shape \p out_shape.
template <class T, class F>
void broadcast_binary(const T* a, const Shape& a_shape, const T* b, const Shape& b_shape, T* out,
                      const Shape& out_shape, F f) {
  const std::int64_t n = numel(out_shape);
  const std::int64_t na = numel(a_shape), nb = numel(b_shape);
  if (na == n && nb == n) {
    for (std::int64_t i = 0; i < n; ++i) out[i] = f(a[i], b[i]);
    return;
  }
  if (na == n && nb == 1) {
    const T bv = b[0];
    for (std::int64_t i = 0; i < n; ++i) out[i] = f(a[i], bv);
    return;
  }
  if (na == 1 && nb == n) {
    const T av = a[0];
    for (std::int64_t i = 0; i < n; ++i) out[i] = f(av, b[i]);
    return;
  }
  const BroadcastIndex ia = broadcast_index(a_shape, out_shape);
  const BroadcastIndex ib = broadcast_index(b_shape, out_shape);
  const auto& e = ia.extent;
  std::int64_t o = 0;
  for (std::int64_t i0 = 0; i0 < e[0]; ++i0)
    for (std::int64_t i1 = 0; i1 < e[1]; ++i1)
      for (std::int64_t i2 = 0; i2 < e[2]; ++i2) {
        const std::int64_t pa = i0 * ia.stride[0] + i1 * ia.stride[1] + i2 * ia.stride[2];
        const std::int64_t pb = i0 * ib.stride[0] + i1 * ib.stride[1] + i2 * ib.stride[2];
        for (std::int64_t i3 = 0; i3 < e[3]; ++i3)
          out[o++] = f(a[pa + i3 * ia.stride[3]], b[pb + i3 * ib.stride[3]]);
      }
}

/// out[i] = f(a[i]) over \p n contiguous elements.
template <class T, class F>
void unary(const T* a, T* out, std::int64_t n, F f) {
  for (std::int64_t i = 0; i < n; ++i) out[i] = f(a[i]);
}

}  // namespace eigrad::detail
