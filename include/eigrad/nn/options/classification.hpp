#pragma once
/// \file options/classification.hpp
/// \brief Options of the classification losses, with LibTorch's chained setters.
#include <cstdint>

#include "eigrad/arg.hpp"
#include "eigrad/nn/reduction.hpp"
#include "eigrad/tensor.hpp"

namespace eigrad::nn {

/// Options of NLLLoss: `NLLLossOptions().ignore_index(0).reduction(Reduction::Sum)`.
class NLLLossOptions {
 public:
  /// Mean reduction, ignore_index -100, as PyTorch.
  NLLLossOptions() = default;
  /// Options with reduction \p r (implicit, so a Reduction can stand for the options).
  NLLLossOptions(Reduction r) : reduction_(r) {}  // NOLINT(google-explicit-constructor)
  /// How the per-target terms combine.
  EIGRAD_ARG(Reduction, reduction) = Reduction::Mean;
  /// A target value that contributes nothing (and is not counted by the mean).
  EIGRAD_ARG(std::int64_t, ignore_index) = -100;
};

/// Options of CrossEntropyLoss.
class CrossEntropyLossOptions {
 public:
  /// Mean reduction, ignore_index -100, no label smoothing, as PyTorch.
  CrossEntropyLossOptions() = default;
  /// Options with reduction \p r.
  CrossEntropyLossOptions(Reduction r) : reduction_(r) {}  // NOLINT(google-explicit-constructor)
  /// How the per-target terms combine.
  EIGRAD_ARG(Reduction, reduction) = Reduction::Mean;
  /// A target value that contributes nothing (and is not counted by the mean).
  EIGRAD_ARG(std::int64_t, ignore_index) = -100;
  /// ε in [0, 1]: the share of the target's probability spread evenly over all classes.
  EIGRAD_ARG(double, label_smoothing) = 0.0;
};

/// Options of BCEWithLogitsLoss over element type \p T (pos_weight is a tensor).
template <class T>
class BCEWithLogitsLossOptions {
 public:
  /// Mean reduction, no pos_weight, as PyTorch.
  BCEWithLogitsLossOptions() = default;
  /// Options with reduction \p r.
  BCEWithLogitsLossOptions(Reduction r) : reduction_(r) {}  // NOLINT(google-explicit-constructor)
  /// How the elementwise terms combine.
  EIGRAD_ARG(Reduction, reduction) = Reduction::Mean;
  /// Weight of the positive term, broadcast against the input (undefined: 1).
  EIGRAD_ARG(Tensor<T>, pos_weight);
};

}  // namespace eigrad::nn
