#pragma once
/// \file schedulers.hpp
/// \brief Learning-rate schedulers with PyTorch 1.13's semantics: StepLR, MultiStepLR,
///        ExponentialLR, CosineAnnealingLR, LambdaLR, SequentialLR, ChainedScheduler and
///        ReduceLROnPlateau.
///
/// A scheduler reads and writes the learning rate of every parameter group of its
/// optimizer. As in PyTorch, constructing one counts as epoch 0 (the groups keep their lr);
/// each step() advances one epoch and sets the new rates, which get_last_lr() returns.
/// The epoch-based schedulers compute the new rate from the current one (PyTorch's
/// "chainable" get_lr, not its closed forms), so they compose with each other and with
/// manual changes exactly as in PyTorch; without such changes they follow the closed forms
/// in PyTorch's documentation up to rounding. Their base rates are the groups'
/// `initial_lr` (ParamGroup::initial_lr()), which the first scheduler attached to the
/// optimizer records.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <functional>
#include <limits>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "eigrad/errors.hpp"
#include "eigrad/optim/optimizer.hpp"

namespace eigrad::optim {

/// \cond INTERNAL
namespace detail {
/// Python's a // b (rounds toward −infinity), for b > 0.
inline std::int64_t floor_div(std::int64_t a, std::int64_t b) { return a / b - (a % b < 0 ? 1 : 0); }
/// Python's a % b (the sign of b), for b > 0; never forms a + b, which overflows for b > 2^62.
inline std::int64_t floor_mod(std::int64_t a, std::int64_t b) {
  const std::int64_t r = a % b;
  return r < 0 ? r + b : r;
}
/// \p epoch + 1, or ValueError naming \p who when that overflows (a last_epoch of INT64_MAX).
inline std::int64_t next_epoch(const std::string& who, std::int64_t epoch) {
  EIGRAD_CHECK(epoch < std::numeric_limits<std::int64_t>::max(), ValueError, who, ": cannot step past epoch ", epoch,
               " (the epoch count would overflow)");
  return epoch + 1;
}
/// The object behind \p ref, or ValueError "WHO: its WHAT was destroyed ..." when it has been.
template <class X>
X& checked(const CheckedRef<X>& ref, const std::string& who, const std::string& what) {
  X* target = ref.get();
  EIGRAD_CHECK(target, ValueError, who, ": its ", what, " was destroyed (it must outlive the ", who, ")");
  return *target;
}
/// Checked references to \p schedulers.
template <class Scheduler>
std::vector<CheckedRef<Scheduler>> checked_refs(const std::vector<std::reference_wrapper<Scheduler>>& schedulers) {
  std::vector<CheckedRef<Scheduler>> refs;
  for (Scheduler& s : schedulers) refs.emplace_back(s, s.lifetime_token());
  return refs;
}
}  // namespace detail
/// \endcond

template <class T>
class SequentialLR;

/// What ChainedScheduler chains: a scheduler whose step() advances one epoch of its
/// optimizer's learning rates (every LRScheduler, SequentialLR, ChainedScheduler).
template <class T>
class EpochScheduler {
 public:
  virtual ~EpochScheduler() = default;
  EpochScheduler(const EpochScheduler&) = delete;             ///< not copyable
  EpochScheduler& operator=(const EpochScheduler&) = delete;  ///< not copyable

  /// Advances one epoch and sets every group's learning rate.
  virtual void step() = 0;
  /// The learning rate of every group as the last step() (or the constructor) left it.
  const std::vector<double>& get_last_lr() const { return last_lr_; }
  /// The optimizer whose learning rates this scheduler sets; ValueError naming this
  /// scheduler when that optimizer has been destroyed (a scheduler must not outlive it).
  Optimizer<T>& optimizer() const { return detail::checked(optimizer_, name(), "optimizer"); }
  /// Whether \p optimizer is this scheduler's, without touching either.
  bool belongs_to(const Optimizer<T>& optimizer) const { return optimizer_.address() == &optimizer; }
  /// The class name ("StepLR", ...) that messages start with.
  virtual std::string name() const { return "LR scheduler"; }
  /// A token that expires when this scheduler is destroyed: SequentialLR and
  /// ChainedScheduler keep it so that using them after one of theirs is gone is a
  /// ValueError, not a use after free.
  std::weak_ptr<const void> lifetime_token() const { return lifetime_.token(); }

 protected:
  /// A scheduler of \p optimizer's groups.
  explicit EpochScheduler(Optimizer<T>& optimizer) : optimizer_(optimizer, optimizer.lifetime_token()) {}
  /// Records every group's current learning rate as get_last_lr().
  void record_last_lr() { last_lr_ = group_lrs(optimizer()); }

 private:
  detail::CheckedRef<Optimizer<T>> optimizer_;
  std::vector<double> last_lr_;
  detail::Lifetime lifetime_;
};


/// Base of the epoch-based schedulers (PyTorch's `_LRScheduler`).
///
/// The base rate of each group is the group's `initial_lr`: the first scheduler built with
/// last_epoch = -1 records every group's current lr there, and later ones read it, so a
/// scheduler built after another has stepped still starts from the original rates, as in
/// PyTorch. A scheduler built with another last_epoch resumes: it needs every group's
/// initial_lr (restored with the optimizer's checkpoint, or set by hand) and its first step
/// goes to epoch last_epoch + 1.
template <class T>
class LRScheduler : public EpochScheduler<T> {
 public:
  /// Advances one epoch and sets every group's learning rate.
  void step() final {
    const std::int64_t epoch = detail::next_epoch(this->name(), last_epoch_);
    (void)this->optimizer();  // a destroyed optimizer is refused before anything changes
    last_epoch_ = epoch;
    ++step_count_;
    apply(get_lr());
  }
  /// The current epoch: last_epoch + 1 after construction (0 by default), +1 per step().
  std::int64_t last_epoch() const { return last_epoch_; }
  /// The groups' initial_lr when the scheduler was made: the rates it schedules from.
  const std::vector<double>& base_lrs() const { return base_lrs_; }

 protected:
  /// Schedules \p optimizer's groups from epoch \p last_epoch (-1: start). ValueError when
  /// the optimizer has no groups. Derived constructors check their arguments, then end with
  /// initial_step().
  LRScheduler(Optimizer<T>& optimizer, std::int64_t last_epoch)
      : EpochScheduler<T>(optimizer), last_epoch_(last_epoch) {
    EIGRAD_CHECK(!optimizer.param_groups().empty(), ValueError,
                 "LR scheduler: the optimizer has no parameter groups");
  }
  /// What PyTorch's constructor does last: with last_epoch = -1 gives every group without
  /// an initial_lr its current lr as one, otherwise requires every group to have one
  /// (ValueError naming the first that lacks it, before anything changes); takes the
  /// initial_lrs as base_lrs() and makes the first step().
  void initial_step() {
    auto& groups = this->optimizer().param_groups();
    if (last_epoch_ != -1)
      for (std::size_t i = 0; i < groups.size(); ++i)
        EIGRAD_CHECK(groups[i].initial_lr(), ValueError,
                     "LR scheduler: param 'initial_lr' is not specified in param_groups[", i,
                     "] when resuming an optimizer (last_epoch = ", last_epoch_, ")");
    base_lrs_.clear();
    for (auto& g : groups) {
      if (!g.initial_lr()) g.set_initial_lr(g.options().get_lr());
      base_lrs_.push_back(*g.initial_lr());
    }
    restart_steps();
  }
  /// The rates of epoch last_epoch(), one per group, computed from the current ones.
  virtual std::vector<double> get_lr() = 0;
  /// The rates of epoch last_epoch() from base_lrs() alone (PyTorch's _get_closed_form_lr),
  /// what a jump to an epoch uses; get_lr() for a scheduler without a closed form.
  virtual std::vector<double> closed_form_lr() { return get_lr(); }
  /// The current learning rate of every group.
  std::vector<double> current_lrs() const { return group_lrs(this->optimizer()); }
  /// Number of step() calls so far, the constructor's included (PyTorch's _step_count).
  std::int64_t step_count() const { return step_count_; }

 private:
  friend class SequentialLR<T>;

  // PyTorch's _initial_step: the step count starts again and one step() is made.
  void restart_steps() {
    step_count_ = 0;
    step();
  }
  // PyTorch's step(epoch): jumps to `epoch` and sets the closed-form rates.
  void step_to(std::int64_t epoch) {
    ++step_count_;
    last_epoch_ = epoch;
    apply(closed_form_lr());
  }
  // Sets the groups' rates; as PyTorch's zip, a list shorter than the groups (a group added
  // after the scheduler was made) leaves the last groups alone.
  void apply(const std::vector<double>& lrs) {
    auto& groups = this->optimizer().param_groups();
    for (std::size_t i = 0; i < groups.size() && i < lrs.size(); ++i) groups[i].options().set_lr(lrs[i]);
    this->record_last_lr();
  }

  std::vector<double> base_lrs_;
  std::int64_t last_epoch_;
  std::int64_t step_count_ = 0;
};

/// Multiplies every rate by gamma once every step_size epochs:
/// lr(epoch) = base_lr · gamma^floor(epoch / step_size).
///
/// \snippet schedulers.cpp steplr
/// where six_epochs() trains and steps the scheduler once an epoch:
/// \snippet schedulers.cpp epochs
template <class T>
class StepLR : public LRScheduler<T> {
 public:
  /// ValueError when \p step_size < 1 or \p gamma is negative, infinite or NaN;
  /// \p last_epoch as LRScheduler.
  StepLR(Optimizer<T>& optimizer, std::int64_t step_size, double gamma = 0.1, std::int64_t last_epoch = -1)
      : LRScheduler<T>(optimizer, last_epoch), step_size_(step_size), gamma_(gamma) {
    EIGRAD_CHECK(step_size >= 1, ValueError, "StepLR: invalid step_size = ", step_size, " (must be >= 1)");
    detail::check_finite_non_negative(name(), "gamma", gamma);
    this->initial_step();
  }
  std::string name() const override { return "StepLR"; }

 protected:
  std::vector<double> get_lr() override {
    std::vector<double> lrs = this->current_lrs();
    const std::int64_t e = this->last_epoch();
    if (e == 0 || e % step_size_ != 0) return lrs;
    for (auto& lr : lrs) lr *= gamma_;
    return lrs;
  }
  std::vector<double> closed_form_lr() override {
    const double k = static_cast<double>(detail::floor_div(this->last_epoch(), step_size_));
    std::vector<double> lrs = this->base_lrs();
    for (auto& lr : lrs) lr = lr * std::pow(gamma_, k);
    return lrs;
  }

 private:
  std::int64_t step_size_;
  double gamma_;
};

/// Multiplies every rate by gamma at each milestone epoch (a milestone listed k times
/// multiplies by gamma^k): lr(epoch) = base_lr · gamma^(number of milestones <= epoch).
///
/// \snippet schedulers.cpp multisteplr
template <class T>
class MultiStepLR : public LRScheduler<T> {
 public:
  /// Milestones in any order; ValueError for a negative one or a negative, infinite or NaN
  /// \p gamma; \p last_epoch as LRScheduler.
  MultiStepLR(Optimizer<T>& optimizer, const std::vector<std::int64_t>& milestones, double gamma = 0.1,
              std::int64_t last_epoch = -1)
      : LRScheduler<T>(optimizer, last_epoch), gamma_(gamma) {
    detail::check_finite_non_negative(name(), "gamma", gamma);
    for (std::int64_t m : milestones) {
      EIGRAD_CHECK(m >= 0, ValueError, "MultiStepLR: invalid milestone = ", m, " (must be >= 0)");
      ++milestones_[m];
    }
    this->initial_step();
  }
  std::string name() const override { return "MultiStepLR"; }

 protected:
  std::vector<double> get_lr() override {
    std::vector<double> lrs = this->current_lrs();
    auto it = milestones_.find(this->last_epoch());
    if (it == milestones_.end()) return lrs;
    for (auto& lr : lrs) lr *= std::pow(gamma_, static_cast<double>(it->second));
    return lrs;
  }
  std::vector<double> closed_form_lr() override {
    int passed = 0;  // bisect_right(sorted milestones with repeats, epoch)
    for (const auto& [m, count] : milestones_)
      if (m <= this->last_epoch()) passed += count;
    std::vector<double> lrs = this->base_lrs();
    for (auto& lr : lrs) lr = lr * std::pow(gamma_, static_cast<double>(passed));
    return lrs;
  }

 private:
  std::map<std::int64_t, int> milestones_;
  double gamma_;
};

/// Multiplies every rate by gamma each epoch: lr(epoch) = base_lr · gamma^epoch.
///
/// \snippet schedulers.cpp exponentiallr
template <class T>
class ExponentialLR : public LRScheduler<T> {
 public:
  /// Decays by \p gamma per epoch; ValueError when \p gamma is negative, infinite or NaN;
  /// \p last_epoch as LRScheduler.
  ExponentialLR(Optimizer<T>& optimizer, double gamma, std::int64_t last_epoch = -1)
      : LRScheduler<T>(optimizer, last_epoch), gamma_(gamma) {
    detail::check_finite_non_negative(name(), "gamma", gamma);
    this->initial_step();
  }
  std::string name() const override { return "ExponentialLR"; }

 protected:
  std::vector<double> get_lr() override {
    std::vector<double> lrs = this->current_lrs();
    if (this->last_epoch() == 0) return lrs;
    for (auto& lr : lrs) lr *= gamma_;
    return lrs;
  }
  std::vector<double> closed_form_lr() override {
    std::vector<double> lrs = this->base_lrs();
    for (auto& lr : lrs) lr = lr * std::pow(gamma_, static_cast<double>(this->last_epoch()));
    return lrs;
  }

 private:
  double gamma_;
};

/// Cosine annealing from each base rate down to eta_min over T_max epochs, then back up
/// (period 2·T_max): lr(epoch) = eta_min + (base_lr − eta_min)·(1 + cos(π·epoch/T_max))/2.
/// Computed with PyTorch's recursive form (each rate from the previous one), except for the
/// first step of a resumed scheduler, which uses this closed form as PyTorch does.
///
/// \snippet schedulers.cpp cosineannealinglr
template <class T>
class CosineAnnealingLR : public LRScheduler<T> {
 public:
  /// ValueError when \p T_max < 1 or \p eta_min is negative, infinite or NaN; any T_max up to
  /// INT64_MAX works. \p last_epoch as LRScheduler.
  CosineAnnealingLR(Optimizer<T>& optimizer, std::int64_t T_max, double eta_min = 0, std::int64_t last_epoch = -1)
      : LRScheduler<T>(optimizer, last_epoch), T_max_(T_max), eta_min_(eta_min) {
    EIGRAD_CHECK(T_max >= 1, ValueError, "CosineAnnealingLR: invalid T_max = ", T_max, " (must be >= 1)");
    detail::check_finite_non_negative(name(), "eta_min", eta_min);
    this->initial_step();
  }
  std::string name() const override { return "CosineAnnealingLR"; }

 protected:
  std::vector<double> get_lr() override {
    std::vector<double> lrs = this->current_lrs();
    const std::vector<double>& base = this->base_lrs();
    const std::int64_t e = this->last_epoch();
    const double t_max = static_cast<double>(T_max_);
    if (e == 0) return lrs;
    if (this->step_count() == 1 && e > 0) return closed_form_lr();
    // PyTorch's (e - 1 - T_max) % (2 * T_max) == 0, i.e. e - 1 is an odd multiple of T_max,
    // without forming 2·T_max or e - 1 - T_max, which overflow for T_max >= 2^62.
    if (detail::floor_mod(e - 1, T_max_) == 0 && detail::floor_div(e - 1, T_max_) % 2 != 0) {
      lrs.resize(base.size());
      for (std::size_t i = 0; i < lrs.size(); ++i)
        lrs[i] = lrs[i] + (base[i] - eta_min_) * (1 - std::cos(kPi / t_max)) / 2;
      return lrs;
    }
    const double previous = 1 + std::cos(kPi * static_cast<double>(e - 1) / t_max);
    // Zero only when T_max is too large for e - 1 and T_max to differ in a double (beyond
    // 2^53): PyTorch raises ZeroDivisionError there, rather than a NaN rate.
    EIGRAD_CHECK(previous != 0, ValueError, name(), ": division by zero at epoch ", e, " (T_max = ", T_max_,
                 " is too large for the cosine of epoch ", e - 1, " to be told from -1 in double precision)");
    for (auto& lr : lrs)
      lr = (1 + std::cos(kPi * static_cast<double>(e) / t_max)) / previous * (lr - eta_min_) + eta_min_;
    return lrs;
  }
  std::vector<double> closed_form_lr() override {
    const double e = static_cast<double>(this->last_epoch());
    std::vector<double> lrs = this->base_lrs();
    for (auto& lr : lrs)
      lr = eta_min_ + (lr - eta_min_) * (1 + std::cos(kPi * e / static_cast<double>(T_max_))) / 2;
    return lrs;
  }

 private:
  static constexpr double kPi = 3.14159265358979323846;  // Python's math.pi
  std::int64_t T_max_;
  double eta_min_;
};

/// Sets each rate to base_lr · lambda(epoch), with one function for every group or one per
/// group.
///
/// \snippet schedulers.cpp lambdalr
template <class T>
class LambdaLR : public LRScheduler<T> {
 public:
  /// The factor as a function of the epoch.
  using Lambda = std::function<double(std::int64_t)>;
  /// One \p lambda for every group; \p last_epoch as LRScheduler.
  LambdaLR(Optimizer<T>& optimizer, Lambda lambda, std::int64_t last_epoch = -1)
      : LambdaLR(optimizer, std::vector<Lambda>(optimizer.param_groups().size(), lambda), last_epoch) {}
  /// One lambda per group; ValueError when the counts differ or one is empty.
  LambdaLR(Optimizer<T>& optimizer, std::vector<Lambda> lambdas, std::int64_t last_epoch = -1)
      : LRScheduler<T>(optimizer, last_epoch), lambdas_(std::move(lambdas)) {
    EIGRAD_CHECK(lambdas_.size() == optimizer.param_groups().size(), ValueError, "LambdaLR: expected ",
                 optimizer.param_groups().size(), " lr_lambdas (one per group), got ", lambdas_.size());
    for (const auto& f : lambdas_) EIGRAD_CHECK(f, ValueError, "LambdaLR: an lr_lambda is empty");
    this->initial_step();
  }
  std::string name() const override { return "LambdaLR"; }

 protected:
  std::vector<double> get_lr() override {
    std::vector<double> lrs(lambdas_.size());
    for (std::size_t i = 0; i < lrs.size(); ++i) lrs[i] = this->base_lrs()[i] * lambdas_[i](this->last_epoch());
    return lrs;
  }

 private:
  std::vector<Lambda> lambdas_;
};

/// Runs \p schedulers one after the other, switching at the milestone epochs, with PyTorch
/// 1.13's SequentialLR semantics: building it sets every group's lr back to its initial_lr,
/// takes back the step each scheduler made when it was built and makes the first one's
/// again. At milestone m_i scheduler i + 1 jumps to its epoch 0 (PyTorch's step(0), the
/// closed form: its base rates, or base·lambda(0) for a LambdaLR), whatever the rates were;
/// between milestones the scheduler in charge steps as usual, from the current rates.
///
/// \snippet schedulers.cpp sequentiallr
template <class T>
class SequentialLR : public EpochScheduler<T> {
 public:
  /// The schedulers (built on \p optimizer) and the epochs at which each after the first
  /// takes over. Using this after the optimizer or one of the schedulers was destroyed is a
  /// ValueError naming it. ValueError when a scheduler belongs to another
  /// optimizer, when there is not one milestone fewer than schedulers, or when a group has
  /// no initial_lr (a group added after the schedulers were made). Milestones are meant to
  /// increase; as in PyTorch they are searched by bisection, not checked. \p last_epoch
  /// offsets this scheduler's own epoch count (it starts at last_epoch + 1).
  SequentialLR(Optimizer<T>& optimizer, std::vector<std::reference_wrapper<LRScheduler<T>>> schedulers,
               std::vector<std::int64_t> milestones, std::int64_t last_epoch = -1)
      : EpochScheduler<T>(optimizer),
        schedulers_(detail::checked_refs(schedulers)),
        milestones_(std::move(milestones)),
        last_epoch_(detail::next_epoch("SequentialLR", last_epoch)) {
    for (std::size_t i = 0; i < schedulers_.size(); ++i)
      EIGRAD_CHECK(scheduler(i).belongs_to(optimizer), ValueError,
                   "SequentialLR: expects all schedulers to belong to the same optimizer, but got the scheduler at "
                   "index ",
                   i, " to be different than the optimizer passed in");
    EIGRAD_CHECK(milestones_.size() + 1 == schedulers_.size(), ValueError,
                 "SequentialLR: expects number of schedulers provided to be one more than the number of milestone "
                 "points, but got number of schedulers ",
                 schedulers_.size(), " and the number of milestones to be equal to ", milestones_.size());
    auto& groups = optimizer.param_groups();
    for (std::size_t i = 0; i < groups.size(); ++i)
      EIGRAD_CHECK(groups[i].initial_lr(), ValueError, "SequentialLR: param_groups[", i,
                   "] has no 'initial_lr' (was it added after the schedulers were made?)");
    for (auto& g : groups) g.options().set_lr(*g.initial_lr());
    for (std::size_t i = 0; i < schedulers_.size(); ++i) --scheduler(i).last_epoch_;
    scheduler(0).restart_steps();
    this->record_last_lr();
  }

  /// Advances one epoch: at a milestone the next scheduler jumps to its epoch 0, otherwise
  /// the scheduler in charge steps.
  void step() override {
    const std::int64_t epoch = detail::next_epoch(name(), last_epoch_);
    // Python's bisect_right(milestones, epoch)
    std::size_t lo = 0, hi = milestones_.size();
    while (lo < hi) {
      const std::size_t mid = (lo + hi) / 2;
      if (epoch < milestones_[mid])
        hi = mid;
      else
        lo = mid + 1;
    }
    LRScheduler<T>& in_charge = scheduler(lo);
    last_epoch_ = epoch;
    if (lo > 0 && milestones_[lo - 1] == last_epoch_)
      in_charge.step_to(0);
    else
      in_charge.step();
    this->record_last_lr();
  }
  /// The epoch: last_epoch + 1 after construction (0 by default), +1 per step().
  std::int64_t last_epoch() const { return last_epoch_; }
  std::string name() const override { return "SequentialLR"; }

 private:
  LRScheduler<T>& scheduler(std::size_t i) const {
    return detail::checked(schedulers_[i], name(), "scheduler at index " + std::to_string(i));
  }

  std::vector<detail::CheckedRef<LRScheduler<T>>> schedulers_;
  std::vector<std::int64_t> milestones_;
  std::int64_t last_epoch_;
};

/// Steps several schedulers of one optimizer at once, in order (PyTorch 1.13's
/// ChainedScheduler): each step() calls every scheduler's step(), so chainable schedulers
/// multiply their effects, and one that sets rates from its base (LambdaLR) overrides what
/// came before it.
///
/// \snippet schedulers.cpp chainedscheduler
template <class T>
class ChainedScheduler : public EpochScheduler<T> {
 public:
  /// The schedulers. ValueError when there are none or they do not all belong to the same
  /// optimizer. Using this after the optimizer or one of the schedulers was destroyed is a
  /// ValueError naming it.
  explicit ChainedScheduler(std::vector<std::reference_wrapper<EpochScheduler<T>>> schedulers)
      : EpochScheduler<T>(first_optimizer(schedulers)), schedulers_(detail::checked_refs(schedulers)) {
    for (std::size_t i = 1; i < schedulers_.size(); ++i)
      EIGRAD_CHECK(scheduler(i).belongs_to(this->optimizer()), ValueError,
                   "ChainedScheduler expects all schedulers to belong to the same optimizer, but got schedulers at "
                   "index 0 and ",
                   i, " to be different");
    this->record_last_lr();
  }

  /// Steps every scheduler, in order (none when one of them was destroyed).
  void step() override {
    std::vector<EpochScheduler<T>*> alive;
    for (std::size_t i = 0; i < schedulers_.size(); ++i) alive.push_back(&scheduler(i));
    for (auto* s : alive) s->step();
    this->record_last_lr();
  }
  std::string name() const override { return "ChainedScheduler"; }

 private:
  EpochScheduler<T>& scheduler(std::size_t i) const {
    return detail::checked(schedulers_[i], name(), "scheduler at index " + std::to_string(i));
  }
  static Optimizer<T>& first_optimizer(const std::vector<std::reference_wrapper<EpochScheduler<T>>>& schedulers) {
    EIGRAD_CHECK(!schedulers.empty(), ValueError, "ChainedScheduler: expects at least one scheduler");
    return schedulers.front().get().optimizer();
  }

  std::vector<detail::CheckedRef<EpochScheduler<T>>> schedulers_;
};

/// Reduces the rates by `factor` when a metric has stopped improving for more than
/// `patience` epochs (PyTorch's ReduceLROnPlateau).
///
/// \snippet schedulers.cpp reducelronplateau
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

  /// ValueError for a factor outside [0, 1), a negative patience or cooldown, a threshold, eps
  /// or min_lr that is negative, infinite or NaN, or a number of min_lrs other than 1 or the number of groups. Using this after
  /// \p optimizer was destroyed is a ValueError.
  explicit ReduceLROnPlateau(Optimizer<T>& optimizer, const Options& options = Options())
      : optimizer_(optimizer, optimizer.lifetime_token()), options_(options), last_lr_(group_lrs(optimizer)) {
    const char* who = "ReduceLROnPlateau";
    const std::size_t groups = optimizer.param_groups().size();
    EIGRAD_CHECK(options.factor() < 1, ValueError, who, ": invalid factor = ", detail::format_number(options.factor()),
                 " (must be < 1)");
    detail::check_non_negative(who, "factor", options.factor());
    detail::check_non_negative(who, "patience", options.patience());
    detail::check_non_negative(who, "cooldown", options.cooldown());
    detail::check_finite_non_negative(who, "threshold", options.threshold());
    detail::check_finite_non_negative(who, "eps", options.eps());
    min_lrs_ = options.min_lrs();
    if (min_lrs_.size() == 1) min_lrs_.assign(groups, min_lrs_[0]);
    EIGRAD_CHECK(min_lrs_.size() == groups, ValueError, who, ": expected ", groups, " min_lrs, got ",
                 options.min_lrs().size());
    for (double m : min_lrs_) detail::check_finite_non_negative(who, "min_lr", m);
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
    last_lr_ = group_lrs(optimizer());
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
  Optimizer<T>& optimizer() const { return detail::checked(optimizer_, "ReduceLROnPlateau", "optimizer"); }
  void reduce_lr() {
    auto& groups = optimizer().param_groups();
    for (std::size_t i = 0; i < groups.size(); ++i) {
      const double old_lr = groups[i].options().get_lr();
      const double new_lr = std::max(old_lr * options_.factor(), min_lrs_[i]);
      if (old_lr - new_lr > options_.eps()) groups[i].options().set_lr(new_lr);
    }
  }

  detail::CheckedRef<Optimizer<T>> optimizer_;
  Options options_;
  std::vector<double> min_lrs_;
  std::vector<double> last_lr_;
  double best_ = 0;
  std::int64_t num_bad_epochs_ = 0;
  std::int64_t cooldown_counter_ = 0;
  std::int64_t last_epoch_ = 0;
};

}  // namespace eigrad::optim
