#pragma once
/// \file loss.hpp
/// \brief Options of the regression losses, with LibTorch's chained setters.
#include "eigrad/nn/reduction.hpp"

namespace eigrad::nn {

/// Options of MSELoss: `MSELossOptions().reduction(Reduction::Sum)`.
class MSELossOptions {
 public:
  /// Mean reduction, as PyTorch.
  MSELossOptions() = default;
  /// Options with reduction \p r (implicit, so a Reduction can stand for the options).
  MSELossOptions(Reduction r) : reduction_(r) {}  // NOLINT(google-explicit-constructor)
  /// Sets the reduction.
  MSELossOptions& reduction(Reduction r) { reduction_ = r; return *this; }
  /// The reduction.
  Reduction reduction() const { return reduction_; }

 private:
  Reduction reduction_ = Reduction::Mean;
};

/// Options of L1Loss.
class L1LossOptions {
 public:
  /// Mean reduction, as PyTorch.
  L1LossOptions() = default;
  /// Options with reduction \p r.
  L1LossOptions(Reduction r) : reduction_(r) {}  // NOLINT(google-explicit-constructor)
  /// Sets the reduction.
  L1LossOptions& reduction(Reduction r) { reduction_ = r; return *this; }
  /// The reduction.
  Reduction reduction() const { return reduction_; }

 private:
  Reduction reduction_ = Reduction::Mean;
};

/// Options of HuberLoss: quadratic below \p delta, linear above.
class HuberLossOptions {
 public:
  /// Mean reduction, delta 1, as PyTorch.
  HuberLossOptions() = default;
  /// Options with reduction \p r.
  HuberLossOptions(Reduction r) : reduction_(r) {}  // NOLINT(google-explicit-constructor)
  /// Sets the reduction.
  HuberLossOptions& reduction(Reduction r) { reduction_ = r; return *this; }
  /// Sets the threshold between the quadratic and linear parts (must be positive).
  HuberLossOptions& delta(double d) { delta_ = d; return *this; }
  /// The reduction.
  Reduction reduction() const { return reduction_; }
  /// The threshold between the quadratic and linear parts.
  double delta() const { return delta_; }

 private:
  Reduction reduction_ = Reduction::Mean;
  double delta_ = 1.0;
};

/// Options of SmoothL1Loss: Huber divided by \p beta (beta 0 is the L1 loss).
class SmoothL1LossOptions {
 public:
  /// Mean reduction, beta 1, as PyTorch.
  SmoothL1LossOptions() = default;
  /// Options with reduction \p r.
  SmoothL1LossOptions(Reduction r) : reduction_(r) {}  // NOLINT(google-explicit-constructor)
  /// Sets the reduction.
  SmoothL1LossOptions& reduction(Reduction r) { reduction_ = r; return *this; }
  /// Sets the threshold between the quadratic and linear parts (non-negative).
  SmoothL1LossOptions& beta(double b) { beta_ = b; return *this; }
  /// The reduction.
  Reduction reduction() const { return reduction_; }
  /// The threshold between the quadratic and linear parts.
  double beta() const { return beta_; }

 private:
  Reduction reduction_ = Reduction::Mean;
  double beta_ = 1.0;
};

}  // namespace eigrad::nn
