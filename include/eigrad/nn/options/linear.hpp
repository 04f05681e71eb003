#pragma once
/// \file linear.hpp
/// \brief Options of the Linear and Flatten layers, with LibTorch's chained setters.
#include <cstdint>

namespace eigrad::nn {

/// Options of Linear: `LinearOptions(3, 1).bias(false)`.
class LinearOptions {
 public:
  /// A layer mapping \p in_features inputs to \p out_features outputs, with a bias.
  LinearOptions(std::int64_t in_features, std::int64_t out_features)
      : in_features_(in_features), out_features_(out_features) {}
  /// Sets the number of input features.
  LinearOptions& in_features(std::int64_t n) { in_features_ = n; return *this; }
  /// Sets the number of output features.
  LinearOptions& out_features(std::int64_t n) { out_features_ = n; return *this; }
  /// Sets whether the layer adds a learnable bias.
  LinearOptions& bias(bool b) { bias_ = b; return *this; }
  /// Number of input features (the last extent of the input).
  std::int64_t in_features() const { return in_features_; }
  /// Number of output features.
  std::int64_t out_features() const { return out_features_; }
  /// Whether the layer adds a learnable bias.
  bool bias() const { return bias_; }

 private:
  std::int64_t in_features_;
  std::int64_t out_features_;
  bool bias_ = true;
};

/// Options of Flatten: the range of dimensions merged into one. PyTorch's defaults
/// (1, -1) keep the batch dimension.
class FlattenOptions {
 public:
  /// Merges dimensions 1 .. -1.
  FlattenOptions() = default;
  /// Sets the first dimension merged (negative counts from the end).
  FlattenOptions& start_dim(std::int64_t d) { start_dim_ = d; return *this; }
  /// Sets the last dimension merged (negative counts from the end).
  FlattenOptions& end_dim(std::int64_t d) { end_dim_ = d; return *this; }
  /// The first dimension merged.
  std::int64_t start_dim() const { return start_dim_; }
  /// The last dimension merged.
  std::int64_t end_dim() const { return end_dim_; }

 private:
  std::int64_t start_dim_ = 1;
  std::int64_t end_dim_ = -1;
};

}  // namespace eigrad::nn
