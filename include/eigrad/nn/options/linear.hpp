#pragma once
/// \file linear.hpp
/// \brief Options of the Linear and Flatten layers, with LibTorch's chained setters.
#include <cstdint>

#include "eigrad/arg.hpp"

namespace eigrad::nn {

/// Options of Linear: `LinearOptions(3, 1).bias(false)`.
class LinearOptions {
 public:
  /// A layer mapping \p in_features inputs to \p out_features outputs, with a bias.
  LinearOptions(std::int64_t in_features, std::int64_t out_features)
      : in_features_(in_features), out_features_(out_features) {}
  /// Number of input features (the last extent of the input).
  EIGRAD_ARG(std::int64_t, in_features);
  /// Number of output features.
  EIGRAD_ARG(std::int64_t, out_features);
  /// Whether the layer adds a learnable bias.
  EIGRAD_ARG(bool, bias) = true;
};

/// Options of Flatten: the range of dimensions merged into one. PyTorch's defaults
/// (1, -1) keep the batch dimension.
class FlattenOptions {
 public:
  /// Merges dimensions 1 .. -1.
  FlattenOptions() = default;
  /// The first dimension merged (negative counts from the end).
  EIGRAD_ARG(std::int64_t, start_dim) = 1;
  /// The last dimension merged (negative counts from the end).
  EIGRAD_ARG(std::int64_t, end_dim) = -1;
};

}  // namespace eigrad::nn
