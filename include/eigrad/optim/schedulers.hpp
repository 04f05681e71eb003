#pragma once
/// \file schedulers.hpp
/// \brief Learning-rate schedulers with PyTorch 1.13's semantics: StepLR, MultiStepLR,
///        ExponentialLR, CosineAnnealingLR, LambdaLR and ReduceLROnPlateau.
///
/// A scheduler reads and writes the learning rate of every parameter group of its
/// optimizer. As in PyTorch, constructing one counts as epoch 0 (the groups keep their lr);
/// each step() advances one epoch and sets the new rates, which get_last_lr() returns.
/// The epoch-based schedulers compute the new rate from the current one (PyTorch's
/// "chainable" get_lr, not its closed forms), so they compose with each other and with
/// manual changes exactly as in PyTorch; without such changes they follow the closed forms
/// in PyTorch's documentation up to rounding.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <functional>
#include <limits>
#include <map>
#include <string>
#include <vector>

#include "eigrad/errors.hpp"
#include "eigrad/optim/optimizer.hpp"

namespace eigrad::optim {

/// Base of the epoch-based schedulers.
template <class T>
class LRScheduler {
 public:
  virtual ~LRScheduler() = default;
  LRScheduler(const LRScheduler&) = delete;             ///< not copyable
  LRScheduler& operator=(const LRScheduler&) = delete;  ///< not copyable

  /// Advances one epoch and sets every group's learning rate.
  void step() {
    ++step_count_;
    ++last_epoch_;
    const std::vector<double> lrs = get_lr();
    auto& groups = optimizer_.param_groups();
    for (std::size_t i = 0; i < groups.size(); ++i) groups[i].options().set_lr(lrs[i]);
    last_lr_ = lrs;
  }
  /// The learning rate of every group as the last step() (or the constructor) set it.
  const std::vector<double>& get_last_lr() const { return last_lr_; }
  /// The current epoch: 0 after construction, +1 per step().
  std::int64_t last_epoch() const { return last_epoch_; }
  /// The learning rate of every group when the scheduler was made.
  const std::vector<double>& base_lrs() const { return base_lrs_; }

 protected:
  /// Schedules \p optimizer's groups from their current learning rates. Derived
  /// constructors end with initial_step().
  explicit LRScheduler(Optimizer<T>& optimizer) : optimizer_(optimizer), base_lrs_(group_lrs(optimizer)) {
    EIGRAD_CHECK(!base_lrs_.empty(), ValueError, "LR scheduler: the optimizer has no parameter groups");
  }
  /// PyTorch's first step() at construction (epoch 0); called last by derived constructors.
  void initial_step() { step(); }
  /// The rates of epoch last_epoch(), one per group, computed from the current ones.
  virtual std::vector<double> get_lr() = 0;
  /// The current learning rate of every group.
  std::vector<double> current_lrs() const { return group_lrs(optimizer_); }
  /// Number of step() calls so far, the constructor's included (PyTorch's _step_count).
  std::int64_t step_count() const { return step_count_; }

 private:
  Optimizer<T>& optimizer_;
  std::vector<double> base_lrs_;
  std::vector<double> last_lr_;
  std::int64_t last_epoch_ = -1;
  std::int64_t step_count_ = 0;
};

/// Multiplies every rate by gamma once every step_size epochs:
/// lr(epoch) = base_lr · gamma^floor(epoch / step_size).
template <class T>
class StepLR : public LRScheduler<T> {
 public:
  /// ValueError when \p step_size < 1.
  StepLR(Optimizer<T>& optimizer, std::int64_t step_size, double gamma = 0.1)
      : LRScheduler<T>(optimizer), step_size_(step_size), gamma_(gamma) {
    EIGRAD_CHECK(step_size >= 1, ValueError, "StepLR: invalid step_size = ", step_size, " (must be >= 1)");
    this->initial_step();
  }

 protected:
  std::vector<double> get_lr() override {
    std::vector<double> lrs = this->current_lrs();
    const std::int64_t e = this->last_epoch();
    if (e == 0 || e % step_size_ != 0) return lrs;
    for (auto& lr : lrs) lr *= gamma_;
    return lrs;
  }

 private:
  std::int64_t step_size_;
  double gamma_;
};

/// Multiplies every rate by gamma at each milestone epoch (a milestone listed k times
/// multiplies by gamma^k): lr(epoch) = base_lr · gamma^(number of milestones <= epoch).
template <class T>
class MultiStepLR : public LRScheduler<T> {
 public:
  /// Milestones in any order; ValueError for a negative one.
  MultiStepLR(Optimizer<T>& optimizer, const std::vector<std::int64_t>& milestones, double gamma = 0.1)
      : LRScheduler<T>(optimizer), gamma_(gamma) {
    for (std::int64_t m : milestones) {
      EIGRAD_CHECK(m >= 0, ValueError, "MultiStepLR: invalid milestone = ", m, " (must be >= 0)");
      ++milestones_[m];
    }
    this->initial_step();
  }

 protected:
  std::vector<double> get_lr() override {
    std::vector<double> lrs = this->current_lrs();
    auto it = milestones_.find(this->last_epoch());
    if (it == milestones_.end()) return lrs;
    for (auto& lr : lrs) lr *= std::pow(gamma_, static_cast<double>(it->second));
    return lrs;
  }

 private:
  std::map<std::int64_t, int> milestones_;
  double gamma_;
};

/// Multiplies every rate by gamma each epoch: lr(epoch) = base_lr · gamma^epoch.
template <class T>
class ExponentialLR : public LRScheduler<T> {
 public:
  /// Decays by \p gamma per epoch.
  ExponentialLR(Optimizer<T>& optimizer, double gamma) : LRScheduler<T>(optimizer), gamma_(gamma) {
    this->initial_step();
  }

 protected:
  std::vector<double> get_lr() override {
    std::vector<double> lrs = this->current_lrs();
    if (this->last_epoch() == 0) return lrs;
    for (auto& lr : lrs) lr *= gamma_;
    return lrs;
  }

 private:
  double gamma_;
};

/// Cosine annealing from each base rate down to eta_min over T_max epochs, then back up
/// (period 2·T_max): lr(epoch) = eta_min + (base_lr − eta_min)·(1 + cos(π·epoch/T_max))/2.
/// Computed with PyTorch's recursive form (each rate from the previous one).
template <class T>
class CosineAnnealingLR : public LRScheduler<T> {
 public:
  /// ValueError when \p T_max < 1.
  CosineAnnealingLR(Optimizer<T>& optimizer, std::int64_t T_max, double eta_min = 0)
      : LRScheduler<T>(optimizer), T_max_(T_max), eta_min_(eta_min) {
    EIGRAD_CHECK(T_max >= 1, ValueError, "CosineAnnealingLR: invalid T_max = ", T_max, " (must be >= 1)");
    this->initial_step();
  }

 protected:
  std::vector<double> get_lr() override {
    const double pi = 3.14159265358979323846;
    std::vector<double> lrs = this->current_lrs();
    const std::vector<double>& base = this->base_lrs();
    const std::int64_t e = this->last_epoch();
    const double t_max = static_cast<double>(T_max_);
    if (e == 0) return lrs;
    // Python's % is a floor modulo: the result has the sign of the divisor.
    const std::int64_t period = 2 * T_max_;
    const std::int64_t r = ((e - 1 - T_max_) % period + period) % period;
    for (std::size_t i = 0; i < lrs.size(); ++i) {
      if (r == 0)
        lrs[i] = lrs[i] + (base[i] - eta_min_) * (1 - std::cos(pi / t_max)) / 2;
      else
        lrs[i] = (1 + std::cos(pi * static_cast<double>(e) / t_max)) /
                     (1 + std::cos(pi * static_cast<double>(e - 1) / t_max)) * (lrs[i] - eta_min_) +
                 eta_min_;
    }
    return lrs;
  }

 private:
  std::int64_t T_max_;
  double eta_min_;
};

/// Sets each rate to base_lr · lambda(epoch), with one function for every group or one per
/// group.
template <class T>
class LambdaLR : public LRScheduler<T> {
 public:
  /// The factor as a function of the epoch.
  using Lambda = std::function<double(std::int64_t)>;
  /// One \p lambda for every group.
  LambdaLR(Optimizer<T>& optimizer, Lambda lambda)
      : LambdaLR(optimizer, std::vector<Lambda>(optimizer.param_groups().size(), lambda)) {}
  /// One lambda per group; ValueError when the counts differ or one is empty.
  LambdaLR(Optimizer<T>& optimizer, std::vector<Lambda> lambdas)
      : LRScheduler<T>(optimizer), lambdas_(std::move(lambdas)) {
    EIGRAD_CHECK(lambdas_.size() == optimizer.param_groups().size(), ValueError, "LambdaLR: expected ",
                 optimizer.param_groups().size(), " lr_lambdas (one per group), got ", lambdas_.size());
    for (const auto& f : lambdas_) EIGRAD_CHECK(f, ValueError, "LambdaLR: an lr_lambda is empty");
    this->initial_step();
  }

 protected:
  std::vector<double> get_lr() override {
    std::vector<double> lrs(lambdas_.size());
    for (std::size_t i = 0; i < lrs.size(); ++i) lrs[i] = this->base_lrs()[i] * lambdas_[i](this->last_epoch());
    return lrs;
  }

 private:
  std::vector<Lambda> lambdas_;
};

/// Reduces the rates by `factor` when a metric has stopped improving for more than
/// `patience` epochs (PyTorch's ReduceLROnPlateau).
template <class T>
class ReduceLROnPlateau {
 public:
  /// Whether the metric should go down (a loss) or up (an accuracy).
  enum class Mode {
    Min,  ///< lower is better
    Max   ///< higher is better
  };
  /// How `threshold` defines a significant improvement.
  enum class ThresholdMode {
    Rel,  ///< better than best · (1 ∓ threshold)
    Abs   ///< better than best ∓ threshold
  };
  /// Options, with chained setters: `ReduceLROnPlateau<float>::Options().patience(5)`.
  class Options {
   public:
    /// Sets one lower bound for every group's rate (min_lrs with one value).
    Options& min_lr(double v) {
      min_lrs_ = {v};
      return *this;
    }

    /// Whether the metric should go down or up (default Min).
    EIGRAD_ARG(Mode, mode) = Mode::Min;
    /// The factor new_lr = lr · factor (default 0.1; must be < 1).
    EIGRAD_ARG(double, factor) = 0.1;
    /// How many epochs without improvement are tolerated (default 10).
    EIGRAD_ARG(std::int64_t, patience) = 10;
    /// The threshold of a significant improvement (default 1e-4).
    EIGRAD_ARG(double, threshold) = 1e-4;
    /// How the threshold applies (default Rel).
    EIGRAD_ARG(ThresholdMode, threshold_mode) = ThresholdMode::Rel;
    /// The epochs to wait after a reduction before counting again (default 0).
    EIGRAD_ARG(std::int64_t, cooldown) = 0;
    /// The lower bounds of the rates: one per group, or one value for every group (default 0).
    EIGRAD_ARG(std::vector<double>, min_lrs) = {0.0};
    /// The smallest change applied: a reduction smaller than eps is skipped (default 1e-8).
    EIGRAD_ARG(double, eps) = 1e-8;
  };

  /// ValueError for factor >= 1, a negative patience, cooldown, threshold, eps or min_lr,
  /// or a number of min_lrs other than 1 or the number of groups.
  explicit ReduceLROnPlateau(Optimizer<T>& optimizer, const Options& options = Options())
      : optimizer_(optimizer), options_(options), last_lr_(group_lrs(optimizer)) {
    const char* who = "ReduceLROnPlateau";
    const std::size_t groups = optimizer.param_groups().size();
    EIGRAD_CHECK(options.factor() < 1, ValueError, who, ": invalid factor = ", detail::format_number(options.factor()),
                 " (must be < 1)");
    detail::check_non_negative(who, "patience", options.patience());
    detail::check_non_negative(who, "cooldown", options.cooldown());
    detail::check_non_negative(who, "threshold", options.threshold());
    detail::check_non_negative(who, "eps", options.eps());
    min_lrs_ = options.min_lrs();
    if (min_lrs_.size() == 1) min_lrs_.assign(groups, min_lrs_[0]);
    EIGRAD_CHECK(min_lrs_.size() == groups, ValueError, who, ": expected ", groups, " min_lrs, got ",
                 options.min_lrs().size());
    for (double m : min_lrs_) detail::check_non_negative(who, "min_lr", m);
    best_ = worse();
  }

  /// Records the metric of one epoch and reduces the rates when it has not improved for
  /// more than `patience` epochs (outside a cooldown).
  void step(double metric) {
    ++last_epoch_;
    if (is_better(metric, best_)) {
      best_ = metric;
      num_bad_epochs_ = 0;
    } else {
      ++num_bad_epochs_;
    }
    if (cooldown_counter_ > 0) {
      --cooldown_counter_;
      num_bad_epochs_ = 0;
    }
    if (num_bad_epochs_ > options_.patience()) {
      reduce_lr();
      cooldown_counter_ = options_.cooldown();
      num_bad_epochs_ = 0;
    }
    last_lr_ = group_lrs(optimizer_);
  }
  /// The learning rate of every group after the last step().
  const std::vector<double>& get_last_lr() const { return last_lr_; }
  /// The best metric seen (±infinity before the first step).
  double best() const { return best_; }
  /// Consecutive epochs without a significant improvement.
  std::int64_t num_bad_epochs() const { return num_bad_epochs_; }
  /// Number of step() calls.
  std::int64_t last_epoch() const { return last_epoch_; }
  /// Whether a cooldown is running.
  bool in_cooldown() const { return cooldown_counter_ > 0; }

 private:
  double worse() const {
    const double inf = std::numeric_limits<double>::infinity();
    return options_.mode() == Mode::Min ? inf : -inf;
  }
  bool is_better(double a, double best) const {
    const double th = options_.threshold();
    const bool rel = options_.threshold_mode() == ThresholdMode::Rel;
    if (options_.mode() == Mode::Min) return rel ? a < best * (1 - th) : a < best - th;
    return rel ? a > best * (th + 1) : a > best + th;
  }
  void reduce_lr() {
    auto& groups = optimizer_.param_groups();
    for (std::size_t i = 0; i < groups.size(); ++i) {
      const double old_lr = groups[i].options().get_lr();
      const double new_lr = std::max(old_lr * options_.factor(), min_lrs_[i]);
      if (old_lr - new_lr > options_.eps()) groups[i].options().set_lr(new_lr);
    }
  }

  Optimizer<T>& optimizer_;
  Options options_;
  std::vector<double> min_lrs_;
  std::vector<double> last_lr_;
  double best_ = 0;
  std::int64_t num_bad_epochs_ = 0;
  std::int64_t cooldown_counter_ = 0;
  std::int64_t last_epoch_ = 0;
};

}  // namespace eigrad::optim
