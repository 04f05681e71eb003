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
  std::array<std::int64_t, kMaxRank> extent;
  std::array<std::int64_t, kMaxRank> stride;
  BroadcastIndex() {
    extent.fill(1);
    stride.fill(0);
  }
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

  /// Moves to the next row along outer dimension \p d (wrapped dimensions after it restart).
  void advance(int d) { row += index.stride[d]; }
  /// Restarts outer dimension \p d, which has just run through \p extent rows.
  void rewind(int d, std::int64_t extent) { row -= extent * index.stride[d]; }
  T at(std::int64_t i) const { return data[row + i * index.stride[kMaxRank - 1]]; }
};

/// The general strided walk behind broadcast_binary and broadcast_map: the innermost
/// dimension is a loop, the outer ones an odometer that moves each cursor by its strides.
template <class T, class F, class... Cursors>
void broadcast_loop(T* out, const Shape& out_shape, F f, Cursors... cursors) {
  const auto e = broadcast_index(out_shape, out_shape).extent;
  const std::int64_t inner = e[kMaxRank - 1];
  std::int64_t rows = 1;
  for (int d = 0; d < kMaxRank - 1; ++d) rows *= e[d];
  std::array<std::int64_t, kMaxRank> counter{};
  std::int64_t o = 0;
  for (std::int64_t r = 0; r < rows; ++r) {
    for (std::int64_t i = 0; i < inner; ++i) out[o++] = f(cursors.at(i)...);
    for (int d = kMaxRank - 2; d >= 0; --d) {  // the next row: carry through wrapped dimensions
      if (++counter[d] < e[d]) {
        (cursors.advance(d), ...);
        break;
      }
      counter[d] = 0;
      (cursors.rewind(d, e[d] - 1), ...);
    }
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
