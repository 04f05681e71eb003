#pragma once
// Internal to the device backend: reading an operand broadcast to an output shape.
#include "backend.hpp"
#include "eigrad/shape.hpp"

namespace eigrad::cuda::detail {

/// An operand read at the output's element index: contiguous (same shape as the output),
/// one element for all, or through strides (0 along its broadcast dimensions).
template <class T>
struct BroadcastReader {
  const T* data = nullptr;
  Index extent[kMaxRank] = {1, 1, 1, 1, 1, 1, 1, 1};  ///< the output's extents, right-aligned
  Index stride[kMaxRank] = {};                        ///< the operand's strides, right-aligned
  bool contiguous = true;
  bool single = false;

  EIGRAD_HOST_DEVICE T operator[](Index i) const {
    if (contiguous) return data[i];
    if (single) return data[0];
    Index offset = 0;
    for (int d = kMaxRank - 1; d >= 0; --d) {
      offset += (i % extent[d]) * stride[d];
      i /= extent[d];
    }
    return data[offset];
  }
};

/// A reader of \p data of \p shape broadcast to \p out.
template <class T>
BroadcastReader<T> broadcast_reader(const T* data, const Shape& shape, const Shape& out) {
  BroadcastReader<T> r;
  r.data = data;
  const Index n = numel(out), count = numel(shape);
  r.contiguous = count == n;
  r.single = !r.contiguous && count == 1;
  const int pad_out = kMaxRank - static_cast<int>(out.size());
  const int pad_in = kMaxRank - static_cast<int>(shape.size());
  for (int i = 0; i < static_cast<int>(out.size()); ++i) r.extent[pad_out + i] = out[i];
  Index s = 1;
  for (int i = static_cast<int>(shape.size()) - 1; i >= 0; --i) {
    r.stride[pad_in + i] = shape[i] == 1 ? 0 : s;
    s *= shape[i];
  }
  return r;
}

}  // namespace eigrad::cuda::detail
