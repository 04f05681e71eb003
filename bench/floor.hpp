#pragma once
// The floor of each tutorial stage: the stage's loss and gradients computed by one hand-written
// vectorised loop over the points, then the stage's parameter update on plain floats. Nothing
// can do the same math in less time, so eigrad and LibTorch are measured against it.
#include <cstdint>

namespace eigrad_bench::floor {

/// The loss Σ r² and its gradients Σ 2r·∂r/∂θ for one step of a stage.
struct Sums {
  double loss = 0;
  double grad[5] = {0, 0, 0, 0, 0};  ///< in the order of the stage's parameters
};

/// r = a + b x + c x² + d x³ − y (stages 02, 03, 05, 06, 07; Linear's bias is a, its
/// weights b, c, d). \p p holds a, b, c, d.
Sums cubic(const float* x, const float* y, std::int64_t n, const float* p);

/// r = a + b P3(c + d x) − y with P3(z) = ½(5z³ − 3z) (stage 04). \p p holds a, b, c, d.
Sums legendre(const float* x, const float* y, std::int64_t n, const float* p);

/// r = a + b x + c x² + d x³ + Σ_{k=4}^{upper−1} e x^k − y, upper in {4, 5, 6} (stage 08).
/// \p p holds a, b, c, d, e.
Sums dynamic(const float* x, const float* y, std::int64_t n, const float* p, int upper);

}  // namespace eigrad_bench::floor
