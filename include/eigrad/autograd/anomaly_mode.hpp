#pragma once
/// \file anomaly_mode.hpp
/// \brief DetectAnomalyGuard: find the operation whose backward produced a NaN or Inf
///        (PyTorch's `torch.autograd.detect_anomaly`).
///
/// While a guard is alive on a thread, every node that thread records keeps a short
/// description of the forward operation that recorded it (its name, its inputs' and output's
/// shapes), and every backward pass run on it checks each gradient a node returns. The first
/// one holding a NaN or an infinity stops the pass with an AutogradError naming the node, the
/// shapes and that forward description. It costs a scan of every gradient, so it is for
/// debugging, as in PyTorch.
#include <string>

namespace eigrad::autograd {

/// Thread-local switch behind DetectAnomalyGuard.
struct AnomalyMode {
  /// True while a DetectAnomalyGuard is alive on this thread.
  static bool is_enabled();
  /// Sets the mode for this thread; prefer DetectAnomalyGuard.
  static void set_enabled(bool enabled);
};

/// RAII: anomaly detection on for this thread while alive; nestable (the previous mode is
/// restored on destruction).
class DetectAnomalyGuard {
 public:
  DetectAnomalyGuard() : previous_(AnomalyMode::is_enabled()) { AnomalyMode::set_enabled(true); }
  ~DetectAnomalyGuard() { AnomalyMode::set_enabled(previous_); }
  DetectAnomalyGuard(const DetectAnomalyGuard&) = delete;             ///< not copyable
  DetectAnomalyGuard& operator=(const DetectAnomalyGuard&) = delete;  ///< not copyable

 private:
  bool previous_;
};

}  // namespace eigrad::autograd
