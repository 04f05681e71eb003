#pragma once
// What the implementations of a tutorial stage share in the benchmark: the stage's settings,
// the data, the starting parameters, and the Trainer interface that the harness times.
#include <cstdint>
#include <memory>
#include <vector>

namespace eigrad_bench {

/// One tutorial stage as the benchmark runs it.
struct StageSpec {
  int number;           ///< 2 .. 8, as samples/0N_*.cpp
  const char* name;     ///< the sample's name
  double lr_at_2000;    ///< the sample's learning rate, for 2000 points
  bool sum_scaled_lr;   ///< the loss is a sum over the points: scale lr by 2000 / N
};

/// Stages 02 .. 08 in order.
const std::vector<StageSpec>& all_stages();

/// One run of a stage: the spec, the number of points, the learning rate for that number,
/// and the data x = linspace(-π, π, n), y = sin(x) as eigrad makes it (every implementation
/// starts from the same floats).
struct StageSetup {
  StageSpec spec;
  std::int64_t n = 0;
  double lr = 0;
  std::vector<float> x, y;
};

/// The parameters every implementation starts from (the samples draw them at random; fixed
/// values make the implementations' losses comparable). The cubic stages and the nn stages
/// (bias, then the three weights) take a, b, c, d; stage 04 starts where the tutorial does;
/// stage 08 adds e.
inline constexpr float kCubicStart[4] = {0.1f, 0.2f, -0.1f, 0.05f};
inline constexpr float kLegendreStart[4] = {0.0f, -1.0f, 0.0f, 0.3f};
inline constexpr float kDynamicStart[5] = {0.1f, 0.2f, -0.1f, 0.05f, 0.01f};

/// RMSprop's settings in stage 06 (PyTorch's defaults besides lr).
inline constexpr double kRmspropAlpha = 0.99, kRmspropEps = 1e-8;
/// SGD's momentum in stage 08.
inline constexpr double kDynamicMomentum = 0.9;

/// Stage 08's exponent loop bound at \p step (the sample draws it from {4, 5, 6}): a fixed
/// cycle 6, 5, 4 so runs are comparable, starting with 6 so that e has a gradient on the first
/// step and every optimizer creates its momentum buffer at the same time.
inline int dynamic_upper_bound(std::int64_t step) { return 6 - static_cast<int>(step % 3); }

/// One implementation of one stage, holding its data, parameters and optimizer state.
class Trainer {
 public:
  virtual ~Trainer() = default;
  /// Runs \p steps training steps (forward, loss, gradients, update).
  virtual void run(std::int64_t steps) = 0;
  /// The loss computed by the latest step.
  virtual double last_loss() = 0;
};

/// The hand-written fused loop of the stage (bench/floor.cpp); \p setup must outlive it.
std::unique_ptr<Trainer> make_floor_trainer(const StageSetup& setup);
/// The stage's own training step on eigrad, as in samples/0N_*.cpp (bench/eigrad_stages.cpp).
std::unique_ptr<Trainer> make_eigrad_trainer(const StageSetup& setup);
/// The stage on LibTorch, as in the PyTorch tutorial (bench/torch_stages.cpp); nullptr when
/// the benchmark was built without LibTorch.
std::unique_ptr<Trainer> make_torch_trainer(const StageSetup& setup);

}  // namespace eigrad_bench
