#pragma once
/// \file loss.hpp
/// \brief Options of the regression losses, with LibTorch's chained setters.
#include "eigrad/arg.hpp"
#include "eigrad/nn/reduction.hpp"

namespace eigrad::nn {

/// Options of MSELoss: `MSELossOptions().reduction(Reduction::Sum)`.
class MSELossOptions {
 public:
  /// Mean reduction, as PyTorch.
  MSELossOptions() = default;
  /// Options with reduction \p r (implicit, so a Reduction can stand for the options).
  MSELossOptions(Reduction r) : reduction_(r) {}  // NOLINT(google-explicit-constructor)
  /// How the elementwise terms combine.
  EIGRAD_ARG(Reduction, reduction) = Reduction::Mean;
};

/// Options of L1Loss.
class L1LossOptions {
 public:
  /// Mean reduction, as PyTorch.
  L1LossOptions() = default;
  /// Options with reduction \p r.
  L1LossOptions(Reduction r) : reduction_(r) {}  // NOLINT(google-explicit-constructor)
  /// How the elementwise terms combine.
  EIGRAD_ARG(Reduction, reduction) = Reduction::Mean;
};

/// Options of HuberLoss: quadratic below \p delta, linear above.
class HuberLossOptions {
 public:
  /// Mean reduction, delta 1, as PyTorch.
  HuberLossOptions() = default;
  /// Options with reduction \p r.
  HuberLossOptions(Reduction r) : reduction_(r) {}  // NOLINT(google-explicit-constructor)
  /// How the elementwise terms combine.
  EIGRAD_ARG(Reduction, reduction) = Reduction::Mean;
  /// The threshold between the quadratic and linear parts (must be positive).
  EIGRAD_ARG(double, delta) = 1.0;
};

/// Options of SmoothL1Loss: Huber divided by \p beta (beta 0 is the L1 loss).
class SmoothL1LossOptions {
 public:
  /// Mean reduction, beta 1, as PyTorch.
  SmoothL1LossOptions() = default;
  /// Options with reduction \p r.
  SmoothL1LossOptions(Reduction r) : reduction_(r) {}  // NOLINT(google-explicit-constructor)
  /// How the elementwise terms combine.
  EIGRAD_ARG(Reduction, reduction) = Reduction::Mean;
  /// The threshold between the quadratic and linear parts (non-negative).
  EIGRAD_ARG(double, beta) = 1.0;
};

}  // namespace eigrad::nn
