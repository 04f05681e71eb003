#pragma once
/// \file grad_mode.hpp
/// \brief Whether operations record the autograd graph on this thread (NoGradGuard).

namespace eigrad {

/// Thread-local switch consulted by every operation before it records a graph node.
struct GradMode {
  /// True unless a NoGradGuard is alive on this thread.
  static bool is_enabled();
  /// Sets the mode for this thread; prefer NoGradGuard.
  static void set_enabled(bool enabled);
};

/// RAII: while alive, operations on this thread record nothing and in-place updates of
/// leaves that require grad (`a -= lr * a.grad()`) are allowed. Nestable: the previous mode
/// is restored on destruction.
class NoGradGuard {
 public:
  NoGradGuard() : previous_(GradMode::is_enabled()) { GradMode::set_enabled(false); }
  ~NoGradGuard() { GradMode::set_enabled(previous_); }
  NoGradGuard(const NoGradGuard&) = delete;             ///< not copyable
  NoGradGuard& operator=(const NoGradGuard&) = delete;  ///< not copyable

 private:
  bool previous_;
};

/// RAII: re-enables recording inside a NoGradGuard (PyTorch's `enable_grad`).
class EnableGradGuard {
 public:
  EnableGradGuard() : previous_(GradMode::is_enabled()) { GradMode::set_enabled(true); }
  ~EnableGradGuard() { GradMode::set_enabled(previous_); }
  EnableGradGuard(const EnableGradGuard&) = delete;             ///< not copyable
  EnableGradGuard& operator=(const EnableGradGuard&) = delete;  ///< not copyable

 private:
  bool previous_;
};

}  // namespace eigrad
