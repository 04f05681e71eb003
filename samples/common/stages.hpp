#pragma once
/// \file stages.hpp
/// \brief The nine tutorial stages' training functions and defaults. Each is defined in
///        samples/NN_name.cpp (whose main() is stage_main on it), and linked into the
///        library eigrad_stages so tests can run a stage without a process.
#include <iosfwd>

#include "common/stage.hpp"

namespace eigrad::samples {

/// 01_numpy: the NumPy stage on Eigen arrays, manual gradients (default float64).
StageRun run_numpy(const StageOptions& opts, std::ostream& out);
/// 01_numpy's defaults: lr 1e-6, 2000 steps, 2000 points, float64.
StageDefaults defaults_numpy();

/// 02_tensor: eigrad tensors, manual gradients (default float32).
StageRun run_tensor(const StageOptions& opts, std::ostream& out);
/// 02_tensor's defaults: lr 1e-6, 2000 steps, 2000 points, float32.
StageDefaults defaults_tensor();

/// 03_autograd: tensors with autograd.
StageRun run_autograd(const StageOptions& opts, std::ostream& out);
/// 03_autograd's defaults.
StageDefaults defaults_autograd();

/// 04_custom_function: a custom autograd Function (Legendre polynomial P3).
StageRun run_custom_function(const StageOptions& opts, std::ostream& out);
/// 04_custom_function's defaults.
StageDefaults defaults_custom_function();

/// 05_nn: nn::Sequential(Linear(3, 1), Flatten(0, 1)) with an MSE (sum) loss.
StageRun run_nn(const StageOptions& opts, std::ostream& out);
/// 05_nn's defaults.
StageDefaults defaults_nn();

/// 06_optim: the nn stage trained by an optimizer chosen on the command line.
StageRun run_optim(const StageOptions& opts, std::ostream& out);
/// 06_optim's defaults (RMSprop, lr 1e-3, optimizer flags on).
StageDefaults defaults_optim();

/// 07_custom_module: a custom Module holding a, b, c, d, trained by SGD.
StageRun run_custom_module(const StageOptions& opts, std::ostream& out);
/// 07_custom_module's defaults.
StageDefaults defaults_custom_module();

/// 08_dynamic_net: control flow and weight sharing, SGD with momentum.
StageRun run_dynamic_net(const StageOptions& opts, std::ostream& out);
/// 08_dynamic_net's defaults (lr 1e-8, 30000 steps, a trace line every 2000).
StageDefaults defaults_dynamic_net();

/// 09_dual_numbers: forward-mode gradients with dual numbers (beyond the tutorial).
StageRun run_dual_numbers(const StageOptions& opts, std::ostream& out);
/// 09_dual_numbers' defaults.
StageDefaults defaults_dual_numbers();

}  // namespace eigrad::samples
