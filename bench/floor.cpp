// Compiled with the project's flags plus -fopenmp-simd (bench/CMakeLists.txt); every
// `omp simd reduction` loop below vectorises (check: build with -fopt-info-vec-optimized, or
// objdump the loops for packed vmulps/vfmadd...ps).
#include "floor.hpp"

#include <algorithm>
#include <cmath>

#include "stages.hpp"

namespace eigrad_bench::floor {

namespace {

// Points are summed in float lanes within a block and the block sums in double, so that at
// N = 20M the float lanes do not stall (a float sum of 2^24 similar terms stops growing).
// One double add per block per sum costs nothing next to the block.
constexpr std::int64_t kBlock = 4096;

/// A point's residual r and its partial derivatives ∂r/∂θ_k.
struct Point {
  float r, d0, d1, d2, d3, d4;
};

/// Σ r² and Σ r·∂r/∂θ_k over the points, in one vectorised pass; \p model(x_i, y_i) returns
/// the Point (d4 unused when K = 4). The factor 2 of the gradient is applied once at the end.
/// (x and y are passed here, not captured by the model: loaded from the closure, GCC no longer
/// sees them as contiguous and gathers them.)
template <int K, class Model>
Sums reduce(const float* x, const float* y, std::int64_t n, Model model) {
  static_assert(K == 4 || K == 5, "the stages have four or five parameters");
  Sums s;
  for (std::int64_t start = 0; start < n; start += kBlock) {
    const std::int64_t end = std::min(n, start + kBlock);
    float l = 0, g0 = 0, g1 = 0, g2 = 0, g3 = 0, g4 = 0;
#pragma omp simd reduction(+ : l, g0, g1, g2, g3, g4)
    for (std::int64_t i = start; i < end; ++i) {
      const Point p = model(x[i], y[i]);
      l += p.r * p.r;
      g0 += p.r * p.d0;
      g1 += p.r * p.d1;
      g2 += p.r * p.d2;
      g3 += p.r * p.d3;
      if constexpr (K == 5) g4 += p.r * p.d4;
    }
    s.loss += l;
    s.grad[0] += 2.0 * g0;
    s.grad[1] += 2.0 * g1;
    s.grad[2] += 2.0 * g2;
    s.grad[3] += 2.0 * g3;
    s.grad[4] += 2.0 * g4;
  }
  return s;
}

template <int Upper>
Sums dynamic_upper(const float* x, const float* y, std::int64_t n, const float* p) {
  const float a = p[0], b = p[1], c = p[2], d = p[3], e = p[4];
  return reduce<5>(x, y, n, [=](float xi, float yi) {
    const float x2 = xi * xi, x3 = x2 * xi;
    float r = a + b * xi + c * x2 + d * x3 - yi;
    float de = 0;
    if constexpr (Upper > 4) {
      const float x4 = x3 * xi;
      r += e * x4;
      de += x4;
      if constexpr (Upper > 5) {
        const float x5 = x4 * xi;
        r += e * x5;
        de += x5;
      }
    }
    return Point{r, 1, xi, x2, x3, de};
  });
}

}  // namespace

Sums cubic(const float* x, const float* y, std::int64_t n, const float* p) {
  const float a = p[0], b = p[1], c = p[2], d = p[3];
  return reduce<4>(x, y, n, [=](float xi, float yi) {
    const float x2 = xi * xi, x3 = x2 * xi;
    return Point{a + b * xi + c * x2 + d * x3 - yi, 1, xi, x2, x3, 0};
  });
}

Sums legendre(const float* x, const float* y, std::int64_t n, const float* p) {
  const float a = p[0], b = p[1], c = p[2], d = p[3];
  return reduce<4>(x, y, n, [=](float xi, float yi) {
    const float z = c + d * xi, z2 = z * z;
    const float p3 = 0.5f * (5 * z2 * z - 3 * z);
    const float b_dp3 = b * 1.5f * (5 * z2 - 1);
    return Point{a + b * p3 - yi, 1, p3, b_dp3, b_dp3 * xi, 0};
  });
}

Sums dynamic(const float* x, const float* y, std::int64_t n, const float* p, int upper) {
  if (upper <= 4) return dynamic_upper<4>(x, y, n, p);
  if (upper == 5) return dynamic_upper<5>(x, y, n, p);
  return dynamic_upper<6>(x, y, n, p);
}

}  // namespace eigrad_bench::floor

namespace eigrad_bench {

namespace {

/// The floor of one stage: its fused loop, then its update rule on the four or five floats.
class FloorTrainer : public Trainer {
 public:
  explicit FloorTrainer(const StageSetup& setup) : setup_(setup) {
    const float* start = setup.spec.number == 4   ? kLegendreStart
                         : setup.spec.number == 8 ? kDynamicStart
                                                  : kCubicStart;
    std::copy(start, start + parameter_count(), params_);
  }

  void run(std::int64_t steps) override {
    for (std::int64_t t = 0; t < steps; ++t) step();
  }

  double last_loss() override { return loss_; }

 private:
  int parameter_count() const { return setup_.spec.number == 8 ? 5 : 4; }

  floor::Sums sums() const {
    const float* x = setup_.x.data();
    const float* y = setup_.y.data();
    switch (setup_.spec.number) {
      case 4:
        return floor::legendre(x, y, setup_.n, params_);
      case 8:
        return floor::dynamic(x, y, setup_.n, params_, dynamic_upper_bound(step_));
      default:
        return floor::cubic(x, y, setup_.n, params_);
    }
  }

  void step() {
    const floor::Sums s = sums();
    loss_ = s.loss;
    const auto lr = static_cast<float>(setup_.lr);
    for (int k = 0; k < parameter_count(); ++k) {
      const auto g = static_cast<float>(s.grad[k]);
      if (setup_.spec.number == 6) {  // RMSprop
        const auto alpha = static_cast<float>(kRmspropAlpha);
        state_[k] = alpha * state_[k] + (1 - alpha) * g * g;
        params_[k] -= lr * g / (std::sqrt(state_[k]) + static_cast<float>(kRmspropEps));
      } else if (setup_.spec.number == 8) {  // SGD with momentum: the buffer starts as g
        state_[k] = step_ == 0 ? g : static_cast<float>(kDynamicMomentum) * state_[k] + g;
        params_[k] -= lr * state_[k];
      } else {
        params_[k] -= lr * g;
      }
    }
    ++step_;
  }

  const StageSetup& setup_;
  float params_[5] = {0, 0, 0, 0, 0};
  float state_[5] = {0, 0, 0, 0, 0};  // RMSprop's square average or SGD's momentum buffer
  std::int64_t step_ = 0;
  double loss_ = 0;
};

}  // namespace

std::unique_ptr<Trainer> make_floor_trainer(const StageSetup& setup) {
  return std::make_unique<FloorTrainer>(setup);
}

}  // namespace eigrad_bench
