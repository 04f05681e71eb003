#pragma once
// PyTorch 1.13's CPU sums (torch.sum, CPU capability AVX2) of the values below, by length:
// the reference for the order of eigrad's sums (detail/cascade_sum.hpp). Made by
//   i = torch.arange(n); a = ((i * 7919) % 1000 - 500) * (1 + (i % 13) * 97)
//   a.to(dtype).div(37).sum()
// (34 of the 52 lengths up to 140000 sum to other bits in element order).
#include <cstdint>

namespace eigrad::test {

/// Element i of the summed values (exact integers divided by 37 in T, as PyTorch rounds).
template <class T>
T pytorch_sum_value(std::int64_t i) {
  const std::int64_t a = ((i * 7919) % 1000 - 500) * (1 + (i % 13) * 97);
  return static_cast<T>(a) / T(37);
}

/// A length and PyTorch's sum of its first that many values.
struct PytorchSum {
  std::int64_t n;
  double sum;
};

// clang-format off
inline constexpr PytorchSum kPytorchFloatSums[] = {
  {0, 0x0.0p+0},
  {1, -0x1.b06eb40000000p+3},
  {2, 0x1.12114c0000000p+10},
  {3, 0x1.67b3e40000000p+11},
  {4, 0x1.329d680000000p+12},
  {5, 0x1.a643760000000p+12},
  {7, 0x1.0105300000000p+13},
  {8, 0x1.b514c00000000p+12},
  {9, 0x1.e5a9860000000p+11},
  {15, -0x1.1013840000000p+15},
  {16, -0x1.0457780000000p+15},
  {17, -0x1.ef87280000000p+14},
  {31, -0x1.6eeec20000000p+15},
  {32, -0x1.700fbc0000000p+15},
  {33, -0x1.7b62f80000000p+15},
  {63, -0x1.82a6540000000p+16},
  {64, -0x1.55e2f80000000p+16},
  {100, -0x1.400f9c0000000p+16},
  {511, -0x1.c6523a0000000p+15},
  {512, -0x1.bd5e460000000p+15},
  {513, -0x1.ba7eb40000000p+15},
  {2000, -0x1.73a8b40000000p+16},
  {4097, -0x1.48a6f40000000p+14},
  {8193, -0x1.31bb340000000p+17},
  {131073, -0x1.134d600000000p+20},
  {140000, -0x1.0a859c0000000p+20},
  {2000003, -0x1.dfd1540000000p+23},
  {20000000, -0x1.2cadf00000000p+27},
};
inline constexpr PytorchSum kPytorchDoubleSums[] = {
  {0, 0x0.0p+0},
  {1, -0x1.b06eb3e45306fp+3},
  {2, 0x1.12114c1bacf91p+10},
  {3, 0x1.67b3e45306eb4p+11},
  {4, 0x1.329d67c8a60dep+12},
  {5, 0x1.a643759f22984p+12},
  {7, 0x1.0105306eb3e46p+13},
  {8, 0x1.b514c1bacf915p+12},
  {9, 0x1.e5a983759f22ap+11},
  {15, -0x1.101383759f22ap+15},
  {16, -0x1.0457759f22984p+15},
  {17, -0x1.ef8722983759fp+14},
  {31, -0x1.6eeec1bacf915p+15},
  {32, -0x1.700fbacf914c2p+15},
  {33, -0x1.7b62f914c1badp+15},
  {63, -0x1.82a65306eb3e5p+16},
  {64, -0x1.55e2f914c1badp+16},
  {100, -0x1.400f9f2298377p+16},
  {511, -0x1.c6523759f2299p+15},
  {512, -0x1.bd5e45306eb3fp+15},
  {513, -0x1.ba7eb3e453070p+15},
  {2000, -0x1.73a8b3e453071p+16},
  {4097, -0x1.48a6eb3e4530ep+14},
  {8193, -0x1.31bb33e45306fp+17},
  {131073, -0x1.134d63e453070p+20},
  {140000, -0x1.0a859c8a60dd6p+20},
  {2000003, -0x1.dfd159759f22cp+23},
  {9000000, -0x1.0ed7953e45308p+26},
};
// clang-format on

}  // namespace eigrad::test
