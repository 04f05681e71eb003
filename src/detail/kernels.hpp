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

/// One input of broadcast_map: its elements (contiguous) and its shape.
template <class T>
struct Operand {
  const T* data;
  const Shape& shape;
};

/// An operand's read position while broadcast_loop walks the output.
template <class T>
struct BroadcastCursor {
  const T* data;
  BroadcastIndex index;
  std::int64_t row = 0;  // offset of the current innermost row

  void seek(std::int64_t i0, std::int64_t i1, std::int64_t i2) {
    row = i0 * index.stride[0] + i1 * index.stride[1] + i2 * index.stride[2];
  }
  T at(std::int64_t i3) const { return data[row + i3 * index.stride[3]]; }
};

/// The general strided walk behind broadcast_binary and broadcast_map.
template <class T, class F, class... Cursors>
void broadcast_loop(T* out, const Shape& out_shape, F f, Cursors... cursors) {
  const auto e = broadcast_index(out_shape, out_shape).extent;
  std::int64_t o = 0;
  for (std::int64_t i0 = 0; i0 < e[0]; ++i0)
    for (std::int64_t i1 = 0; i1 < e[1]; ++i1)
      for (std::int64_t i2 = 0; i2 < e[2]; ++i2) {
        (cursors.seek(i0, i1, i2), ...);
        for (std::int64_t i3 = 0; i3 < e[3]; ++i3) out[o++] = f(cursors.at(i3)...);
      }
}

/// out[i] = f(x[.], y[.], ...) over \p out_shape for any number of operands, each broadcast
/// to it: one pass for a backward formula that reads several tensors.
template <class T, class F, class... Operands>
void broadcast_map(T* out, const Shape& out_shape, F f, const Operands&... operands) {
  const std::int64_t n = numel(out_shape);
  if (((numel(operands.shape) == n) && ...)) {
    for (std::int64_t i = 0; i < n; ++i) out[i] = f(operands.data[i]...);
    return;
  }
  broadcast_loop(out, out_shape, f, BroadcastCursor<T>{operands.data, broadcast_index(operands.shape, out_shape)}...);
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
  broadcast_loop(out, out_shape, f, BroadcastCursor<T>{a, broadcast_index(a_shape, out_shape)},
                 BroadcastCursor<T>{b, broadcast_index(b_shape, out_shape)});
}

/// out[i] = f(a[i]) over \p n contiguous elements.
template <class T, class F>
void unary(const T* a, T* out, std::int64_t n, F f) {
  for (std::int64_t i = 0; i < n; ++i) out[i] = f(a[i]);
}

}  // namespace eigrad::detail
