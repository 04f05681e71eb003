#pragma once
/// \file optimizer.hpp
/// \brief Optimizer<T>: parameter groups with their own options, per-parameter state, step()
///        with an optional closure, and checkpoints of the whole state (safetensors).
///
/// The design follows LibTorch's `torch::optim::Optimizer`: every optimizer has an options
/// struct (its defaults), parameter groups that may override them, and state kept per
/// parameter. Update rules are PyTorch 1.13's single-tensor ("for-loop") implementations,
/// computed element by element in T in the same operation order, so float32 training
/// reproduces PyTorch's traces.
#include <cstdint>
#include <functional>
#include <limits>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <type_traits>
#include <unordered_map>
#include <utility>
#include <vector>

#include "eigrad/arg.hpp"
#include "eigrad/errors.hpp"
#include "eigrad/tensor.hpp"

namespace eigrad::optim {

/// The hyper-parameters of one parameter group. Each optimizer derives its own options
/// struct (SGDOptions, AdamOptions, ...) with chained setters; this interface is what the
/// optimizer base, the LR schedulers and checkpoints need from them.
class OptimizerOptions {
 public:
  virtual ~OptimizerOptions() = default;
  /// A deep copy of the concrete options.
  virtual std::unique_ptr<OptimizerOptions> clone() const = 0;
  /// The learning rate (what schedulers read).
  virtual double get_lr() const = 0;
  /// Sets the learning rate (what schedulers write).
  virtual void set_lr(double lr) = 0;
  /// Every option as (PyTorch name, value) in a fixed order, switches as 0 or 1: what a
  /// checkpoint stores for the group.
  virtual std::vector<std::pair<std::string, double>> values() const = 0;
  /// Sets every option from a map holding at least the names of values(); throws IoError
  /// naming the first one missing, and ValueError for a switch given anything but 0 or 1.
  /// Other values are not validated here (the optimizer does it).
  virtual void set_values(const std::map<std::string, double>& values) = 0;
  /// Whether the option named \p name (as in values()) is a switch, stored as 0 or 1: a
  /// checkpoint holding anything else for it is refused. False unless overridden.
  virtual bool is_switch(const std::string& name) const {
    (void)name;
    return false;
  }
};

/// \cond INTERNAL
namespace detail {
/// Shortest decimal text of \p v that reads back exactly (for messages and checkpoints).
std::string format_number(double v);
/// ValueError "WHO: invalid OPTION = VALUE (must be >= 0)" unless v >= 0 (NaN is refused too).
inline void check_non_negative(const std::string& who, const char* option, double v) {
  EIGRAD_CHECK(v >= 0, ValueError, who, ": invalid ", option, " = ", format_number(v), " (must be >= 0)");
}
/// The same for a count (patience, cooldown).
inline void check_non_negative(const std::string& who, const char* option, std::int64_t v) {
  EIGRAD_CHECK(v >= 0, ValueError, who, ": invalid ", option, " = ", v, " (must be >= 0)");
}
/// ValueError "WHO: invalid OPTION = VALUE (must be finite and >= 0)" unless 0 <= v < inf.
inline void check_finite_non_negative(const std::string& who, const char* option, double v) {
  EIGRAD_CHECK(v >= 0 && v < std::numeric_limits<double>::infinity(), ValueError, who, ": invalid ", option, " = ",
               format_number(v), " (must be finite and >= 0)");
}
/// values.at(key), or IoError naming \p who and \p key.
double option_value(const std::map<std::string, double>& values, const char* who, const char* key);

/// OptimizerOptions written once for every options struct. \p Options names itself in
/// `kName` and lists its options, in checkpoint order, in
/// `template <class Self, class Visitor> static void visit(Self& self, Visitor&& f)`, which
/// calls f(PyTorch name, option) for each (a double or, for a switch, a bool).
template <class Options>
class OptionsBase : public OptimizerOptions {
 public:
  std::unique_ptr<OptimizerOptions> clone() const override { return std::make_unique<Options>(self()); }
  double get_lr() const override { return self().lr(); }
  void set_lr(double lr) override { self().lr(lr); }
  std::vector<std::pair<std::string, double>> values() const override {
    std::vector<std::pair<std::string, double>> out;
    Options::visit(self(), [&out](const char* name, const auto& option) {
      out.emplace_back(name, static_cast<double>(option));
    });
    return out;
  }
  void set_values(const std::map<std::string, double>& values) override {
    Options::visit(self(), [&values](const char* name, auto& option) {
      const double value = option_value(values, Options::kName, name);
      if constexpr (std::is_same_v<std::decay_t<decltype(option)>, bool>) {
        // A NaN or 2 read as "true" would hide a typo; PyTorch's flags are Python bools.
        EIGRAD_CHECK(value == 0 || value == 1, ValueError, Options::kName, ": option \"", name,
                     "\" is a switch: must be 0 or 1, got ", format_number(value));
        option = value != 0;
      } else
        option = value;
    });
  }
  bool is_switch(const std::string& name) const override {
    bool found = false;
    Options::visit(self(), [&](const char* option, const auto& value) {
      (void)value;
      if constexpr (std::is_same_v<std::decay_t<decltype(value)>, bool>) found = found || name == option;
    });
    return found;
  }

 private:
  const Options& self() const { return static_cast<const Options&>(*this); }
  Options& self() { return static_cast<Options&>(*this); }
};

/// What an object hands out so that others can tell whether it still exists: a token alive
/// exactly as long as the object (a copy is another object, with its own token).
class Lifetime {
 public:
  Lifetime() = default;
  Lifetime(const Lifetime&) {}
  Lifetime& operator=(const Lifetime&) { return *this; }
  std::weak_ptr<const void> token() const { return token_; }

 private:
  std::shared_ptr<const void> token_ = std::make_shared<char>();
};

/// A reference to an object that may be destroyed first (a scheduler's optimizer, a
/// SequentialLR's schedulers): get() is null once the object's Lifetime token has expired,
/// so a use after that is a clean error instead of a use after free.
template <class X>
class CheckedRef {
 public:
  CheckedRef(X& target, std::weak_ptr<const void> alive) : target_(&target), alive_(std::move(alive)) {}
  X* get() const { return alive_.expired() ? nullptr : target_; }
  /// The target's address, for identity comparisons only (never dereferenced).
  const void* address() const { return target_; }

 private:
  X* target_;
  std::weak_ptr<const void> alive_;
};
}  // namespace detail
/// \endcond

/// A set of parameters updated with the same options. A group built without options takes
/// the optimizer's defaults when it is added.
template <class T>
class ParamGroup {
 public:
  /// A group using the optimizer's default options.
  ParamGroup(std::vector<Tensor<T>> params)  // NOLINT: implicit, as LibTorch's
      : params_(std::move(params)) {}
  /// A group with its own options.
  ParamGroup(std::vector<Tensor<T>> params, std::unique_ptr<OptimizerOptions> options)
      : params_(std::move(params)), options_(std::move(options)) {}
  /// A group with its own options, given as a concrete options struct (copied).
  template <class Options,
            std::enable_if_t<std::is_base_of_v<OptimizerOptions, Options>, int> = 0>
  ParamGroup(std::vector<Tensor<T>> params, const Options& options)
      : params_(std::move(params)), options_(options.clone()) {}
  /// Copies the parameter handles and clones the options.
  ParamGroup(const ParamGroup& other)
      : params_(other.params_),
        options_(other.options_ ? other.options_->clone() : nullptr),
        initial_lr_(other.initial_lr_) {}
  /// Copies the parameter handles and clones the options.
  ParamGroup& operator=(const ParamGroup& other) {
    if (this != &other) *this = ParamGroup(other);
    return *this;
  }
  /// Moves.
  ParamGroup(ParamGroup&&) noexcept = default;
  /// Moves.
  ParamGroup& operator=(ParamGroup&&) noexcept = default;

  /// Whether options are set (always true once the group belongs to an optimizer).
  bool has_options() const { return static_cast<bool>(options_); }
  /// The group's options; ValueError when none are set.
  OptimizerOptions& options() {
    EIGRAD_CHECK(options_, ValueError, "ParamGroup: this group has no options yet");
    return *options_;
  }
  /// The group's options; ValueError when none are set.
  const OptimizerOptions& options() const { return const_cast<ParamGroup&>(*this).options(); }
  /// Replaces the group's options.
  void set_options(std::unique_ptr<OptimizerOptions> options) { options_ = std::move(options); }
  /// The parameters (handles sharing data with the model's).
  std::vector<Tensor<T>>& params() { return params_; }
  /// The parameters.
  const std::vector<Tensor<T>>& params() const { return params_; }

  /// PyTorch's `group['initial_lr']`: the learning rate the first LR scheduler attached to
  /// the optimizer found in the group, and the base rate of every scheduler after it. Unset
  /// until a scheduler is built with last_epoch = -1; checkpoints save and restore it.
  const std::optional<double>& initial_lr() const { return initial_lr_; }
  /// Sets (or, with std::nullopt, clears) the group's initial_lr; a scheduler resumed with
  /// last_epoch != -1 needs it.
  void set_initial_lr(std::optional<double> lr) { initial_lr_ = lr; }

 private:
  std::vector<Tensor<T>> params_;
  std::unique_ptr<OptimizerOptions> options_;
  std::optional<double> initial_lr_;
};

/// What an optimizer keeps for one parameter between steps.
template <class T>
struct ParamState {
  /// Number of updates applied to the parameter (RMSprop, Adam, AdamW, Adagrad count them).
  std::int64_t step = 0;
  /// Named tensors of the parameter's shape, under PyTorch's names: "momentum_buffer",
  /// "square_avg", "grad_avg", "exp_avg", "exp_avg_sq", "max_exp_avg_sq", "sum".
  std::map<std::string, Tensor<T>> buffers;
};

/// Base of every optimizer over tensors of \p T (float or double).
///
/// Non-copyable: an optimizer owns its state; parameters are shared handles.
///
/// Every optimizer is driven the same way:
/// \snippet optimizers.cpp steps
template <class T>
class Optimizer {
 public:
  /// A function that clears gradients, evaluates the model, calls backward() and returns
  /// the loss; step(closure) runs it with grad mode on.
  using LossClosure = std::function<Tensor<T>()>;

  virtual ~Optimizer() = default;
  Optimizer(const Optimizer&) = delete;             ///< not copyable
  Optimizer& operator=(const Optimizer&) = delete;  ///< not copyable

  /// PyTorch's class name ("SGD", "RMSprop", "Adam", "AdamW", "Adagrad"); checkpoints record it.
  virtual std::string name() const = 0;

  /// Adds a group of parameters. Without options it takes a copy of the defaults; its
  /// options are validated (ValueError naming the option and value). ValueError for an
  /// undefined or non-leaf tensor, or one already in a group.
  void add_param_group(const ParamGroup<T>& group);

  /// The groups, in the order they were added.
  std::vector<ParamGroup<T>>& param_groups() { return groups_; }
  /// The groups, in the order they were added.
  const std::vector<ParamGroup<T>>& param_groups() const { return groups_; }
  /// The options new groups start from.
  const OptimizerOptions& defaults() const { return *defaults_; }
  /// A token that expires when this optimizer is destroyed: schedulers keep it so that using
  /// one after its optimizer is gone is a ValueError, not a use after free.
  std::weak_ptr<const void> lifetime_token() const { return lifetime_.token(); }

  /// Every parameter of every group, in order (the indices checkpoints use).
  std::vector<Tensor<T>> parameters() const;
  /// Number of parameters over all groups.
  std::size_t size() const;

  /// Clears every parameter's gradient: resets it to undefined (PyTorch's `None`) when
  /// \p set_to_none, else fills it with zeros (detaching it first if it has a graph).
  void zero_grad(bool set_to_none = true);

  /// Runs \p closure (when given) with grad mode on, then updates every parameter that has
  /// a gradient, without recording. Returns the closure's loss (undefined without one).
  virtual Tensor<T> step(const LossClosure& closure = nullptr);

  /// The state of \p param; null before its first update.
  const ParamState<T>* state(const Tensor<T>& param) const;

  /// Writes the state (every group's options and initial_lr, step counts and buffers) to
  /// \p path in the safetensors format: buffers as tensors "state.<index>.<buffer>", the
  /// rest as metadata. The write is atomic. IoError when it fails.
  void save(const std::string& path) const;

  /// Restores what save() wrote, into an optimizer over parameters of the same shapes in
  /// the same groups. Checks everything before changing anything: IoError for an
  /// unreadable or malformed file, ValueError for another optimizer kind, dtype or a
  /// different number of groups or parameters, ShapeError for a parameter or buffer of
  /// another shape, IoError naming the file and key for a stored option that is not what
  /// save() writes (numbers in its decimal text, switches exactly 0 or 1) or that the
  /// constructor would refuse, or a negative initial_lr. On any error the optimizer is
  /// unchanged. Each group's initial_lr is restored as saved (cleared when the file has none).
  void load(const std::string& path);

 protected:
  /// An optimizer with these defaults and no groups yet; the derived constructor calls
  /// add_param_groups() (virtual calls are not possible here).
  explicit Optimizer(std::unique_ptr<OptimizerOptions> defaults) : defaults_(std::move(defaults)) {}
  /// Validates the defaults, then adds \p groups in order: the body of every optimizer's
  /// constructor. ValueError "NAME: optimizer got an empty parameter list" when the groups
  /// hold no parameter at all (PyTorch refuses an empty list).
  void add_param_groups(const std::vector<ParamGroup<T>>& groups);

  /// Throws ValueError when \p options are not this optimizer's options struct or hold an
  /// invalid value.
  virtual void validate(const OptimizerOptions& options) const = 0;
  /// The buffer names this optimizer may keep per parameter (checked on load).
  virtual std::vector<std::string> buffer_names() const = 0;
  /// Updates the parameters of \p group that have a gradient; called by step() with grad
  /// mode off.
  virtual void update(ParamGroup<T>& group) = 0;
  /// Called for each group added (after validation); Adagrad fills its accumulators here.
  virtual void init_group(ParamGroup<T>& group) { (void)group; }

  /// The state of \p param, created empty if it has none yet.
  ParamState<T>& mutable_state(const Tensor<T>& param);
  /// Marks \p param as modified in place (bumps its version counter), as PyTorch's
  /// in-place updates do, so stale saved tensors are detected.
  static void bump_version(const Tensor<T>& param) { param.mark_modified(); }
  /// Fills \p g with the gradient PyTorch's update loops start from: \p param's gradient,
  /// negated when \p maximize, plus weight_decay · param unless \p weight_decay is 0 (cast
  /// to T first, as ATen casts a Python float). Throws DeviceError unless the parameter and
  /// its gradient live on the CPU, ShapeError unless the gradient has the parameter's shape.
  void gradient_for_update(const Tensor<T>& param, bool maximize, double weight_decay, std::vector<T>& g) const;
  /// Checks \p param's gradient before a device update (whose kernel prepares the gradient
  /// itself): DeviceError naming both devices unless it lives on the parameter's device,
  /// ShapeError unless it has the parameter's shape.
  void check_gradient(const Tensor<T>& param) const;
  /// The state buffer \p name of \p param on the parameter's device: zeros of its shape
  /// when absent (\p created then says so), a copy on its device when the parameter was
  /// moved after the buffer was made.
  Tensor<T>& buffer_on_device(ParamState<T>& state, const std::string& name, const Tensor<T>& param,
                              bool* created = nullptr);

  /// \p options as this optimizer's options struct \p Options; ValueError
  /// "NAME: parameter group options must be OPTIONS" when they are another kind.
  template <class Options>
  const Options& options_as(const OptimizerOptions& options) const {
    const auto* concrete = dynamic_cast<const Options*>(&options);
    EIGRAD_CHECK(concrete, ValueError, name(), ": parameter group options must be ", Options::kName);
    return *concrete;
  }

 private:
  /// \p current's clone with \p values (the options of group \p prefix, read from the
  /// checkpoint \p path), validated; IoError naming the file and the key of the first
  /// invalid option otherwise.
  std::unique_ptr<OptimizerOptions> validated_options(const OptimizerOptions& current,
                                                      const std::map<std::string, double>& values,
                                                      const std::string& prefix, const std::string& path) const;

  std::unique_ptr<OptimizerOptions> defaults_;
  std::vector<ParamGroup<T>> groups_;
  std::unordered_map<const void*, ParamState<T>> state_;
  detail::Lifetime lifetime_;
};

/// The current learning rate of every group, in order.
template <class T>
std::vector<double> group_lrs(const Optimizer<T>& optimizer) {
  std::vector<double> lrs;
  for (const auto& g : optimizer.param_groups()) lrs.push_back(g.options().get_lr());
  return lrs;
}

extern template class Optimizer<float>;
extern template class Optimizer<double>;

}  // namespace eigrad::optim
