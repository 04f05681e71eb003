#pragma once
/// \file module.hpp
/// \brief Module<T>: the base of every layer and model, as `torch.nn.Module`.
///
/// A module owns named parameters (trainable leaves), named buffers (state that is saved
/// but not trained) and named child modules. Names nest with dots ("0.weight"), exactly as
/// PyTorch's `named_parameters()` and `state_dict()` spell them, so checkpoints line up.
///
/// Writing your own module (the documented way in, see doc/nn.md):
/// \code
/// class Polynomial3 : public eigrad::nn::Module<float> {
///  public:
///   Polynomial3() {
///     a = register_parameter("a", eigrad::randn<float>({}));
///     // ... b, c, d
///   }
///   eigrad::Tensor<float> forward(const eigrad::Tensor<float>& x) override {
///     return a + b * x + c * x.pow(2) + d * x.pow(3);
///   }
///   eigrad::Tensor<float> a, b, c, d;
/// };
/// \endcode
#include <cstdint>
#include <functional>
#include <iosfwd>
#include <memory>
#include <string>
#include <type_traits>
#include <typeinfo>
#include <utility>
#include <vector>

#include "eigrad/device.hpp"
#include "eigrad/tensor.hpp"

namespace eigrad::nn {

namespace detail {
/// The demangled name of \p type without namespaces or template arguments ("Linear").
std::string short_type_name(const std::type_info& type);
}  // namespace detail

/// Base class of all neural-network modules over element type \p T (float or double).
///
/// Modules are not copyable (a copy would share parameters silently); they are movable, and
/// are usually held by `std::shared_ptr` once they become children of another module.
///
/// A module of one's own registers its parameters and defines forward():
/// \snippet modules.cpp module
/// Using it:
/// \snippet modules.cpp module use
template <class T>
class Module {
 public:
  /// Element type of the module's tensors.
  using Scalar = T;
  /// A name and the tensor it names.
  using NamedTensor = std::pair<std::string, Tensor<T>>;
  /// A name and the child module it names.
  using NamedModule = std::pair<std::string, std::shared_ptr<Module>>;

  /// A module in training mode with nothing registered.
  Module() = default;
  virtual ~Module() = default;
  Module(const Module&) = delete;             ///< not copyable: parameters would be shared silently
  Module& operator=(const Module&) = delete;  ///< not copyable
  Module(Module&&) noexcept = default;        ///< movable (the registered handles move along)
  Module& operator=(Module&&) noexcept = default;  ///< movable

  // ------------------------------------------------------------------ forward
  /// The module's computation on one input. The default throws ValueError: modules whose
  /// forward takes other arguments (losses) define their own call operator instead.
  virtual Tensor<T> forward(const Tensor<T>& input);
  /// Calls forward(), as calling a module in PyTorch does.
  Tensor<T> operator()(const Tensor<T>& input) { return forward(input); }

  // ------------------------------------------------------------------ registration
  /// Registers \p tensor as parameter \p name and returns the registered handle (assign it
  /// to a member: `weight = register_parameter("weight", ...)`). A leaf is kept as the very
  /// same handle; a tensor produced by recorded operations is detached first. Its
  /// requires_grad is set to \p requires_grad. An undefined tensor registers an absent
  /// parameter (PyTorch's `None`), skipped by parameters() and checkpoints.
  /// Throws ValueError for an empty name, a name with a '.', or a name already in use.
  Tensor<T> register_parameter(const std::string& name, Tensor<T> tensor, bool requires_grad = true);
  /// Registers \p tensor as buffer \p name: state that moves with to() and, when
  /// \p persistent, is saved in state_dict() and checkpoints, but is not trained.
  /// Same name rules as register_parameter().
  Tensor<T> register_buffer(const std::string& name, Tensor<T> tensor, bool persistent = true);
  /// Registers \p module as child \p name and returns it (typed, for a member).
  /// Throws ValueError for a bad or repeated name or a null module.
  template <class M>
  std::shared_ptr<M> register_module(const std::string& name, std::shared_ptr<M> module) {
    static_assert(std::is_base_of_v<Module<T>, M>, "register_module needs an eigrad::nn::Module<T>");
    register_child(name, module);
    return module;
  }
  /// Replaces the child \p name (which must exist) by \p module, as LibTorch's
  /// replace_module(); returns it.
  template <class M>
  std::shared_ptr<M> replace_module(const std::string& name, std::shared_ptr<M> module) {
    static_assert(std::is_base_of_v<Module<T>, M>, "replace_module needs an eigrad::nn::Module<T>");
    replace_child(name, module);
    return module;
  }

  // ------------------------------------------------------------------ introspection
  /// The parameters of this module and, when \p recurse, of its descendants, in
  /// registration order, each tensor once (a shared parameter is listed at its first name).
  std::vector<Tensor<T>> parameters(bool recurse = true) const;
  /// parameters() with their dotted names ("0.weight").
  std::vector<NamedTensor> named_parameters(bool recurse = true) const;
  /// The buffers of this module and, when \p recurse, of its descendants.
  std::vector<Tensor<T>> buffers(bool recurse = true) const;
  /// buffers() with their dotted names.
  std::vector<NamedTensor> named_buffers(bool recurse = true) const;
  /// The direct children, in registration order.
  std::vector<std::shared_ptr<Module>> children() const;
  /// children() with their names.
  std::vector<NamedModule> named_children() const;
  /// The descendant named \p name: a child ("0", "encoder") or, with dots, a child's
  /// descendant ("encoder.0"), as `model["0"]`; ValueError naming the path when absent. For a
  /// Sequential, `model[0]` indexes by position.
  Module& operator[](const std::string& name) const;
  /// Child number \p index in registration order (negative counts from the end), as
  /// `model[0]`; ValueError when out of range.
  Module& operator[](std::int64_t index) const;
  /// This module and every descendant, in pre-order, each once. The pointers do not own:
  /// they are valid while this module is alive and its tree is unchanged.
  std::vector<Module*> modules();
  /// modules() with dotted names ("" for this module, "0", "0.linear", ...).
  std::vector<std::pair<std::string, Module*>> named_modules();
  /// What a checkpoint holds, in PyTorch's `state_dict()` order: per module its parameters,
  /// then its persistent buffers, then its children's entries with a "child." prefix.
  std::vector<NamedTensor> state_dict() const;

  // ------------------------------------------------------------------ training state
  /// Resets every parameter's gradient: to undefined when \p set_to_none (PyTorch's
  /// default since 2.0, so optimizers skip parameters that got no gradient), else to zeros.
  void zero_grad(bool set_to_none = true);
  /// Sets training mode on this module and every descendant.
  virtual void train(bool on = true);
  /// Same as train(false).
  void eval() { train(false); }
  /// Whether the module is in training mode.
  bool is_training() const { return training_; }
  /// Moves every parameter, gradient and buffer to \p device in place, so every handle
  /// to them (members, optimizers) sees the move. DeviceError, with nothing moved, when the
  /// device is not available in this build.
  void to(const Device& device);
  /// Calls \p fn on every descendant and then on this module (PyTorch's order), e.g. to
  /// re-initialise all Linear layers. Returns *this.
  Module& apply(const std::function<void(Module&)>& fn);

  // ------------------------------------------------------------------ printing
  /// The class name shown in repr() ("Linear"): the demangled dynamic type without
  /// namespaces or template arguments, unless a subclass overrides it.
  virtual std::string name() const;
  /// The options shown between the parentheses of repr(), e.g. "in_features=3,
  /// out_features=1, bias=True"; empty by default. Override in your own modules.
  virtual std::string extra_repr() const { return {}; }
  /// The module tree as PyTorch prints it:
  /// `Sequential(\n  (0): Linear(in_features=3, out_features=1, bias=True)\n)`.
  std::string repr() const;

 protected:
  /// Adds \p module as child \p name (used by register_module()).
  void register_child(const std::string& name, std::shared_ptr<Module> module);
  /// Replaces child \p name (used by replace_module()).
  void replace_child(const std::string& name, std::shared_ptr<Module> module);

 private:
  struct Buffer {
    std::string name;
    Tensor<T> tensor;
    bool persistent;
  };
  void check_new_name(const std::string& name, const char* what) const;
  template <class Visit>
  void visit_modules(const std::string& prefix, bool recurse, std::vector<const Module*>& seen,
                     Visit&& visit) const;
  std::vector<NamedTensor> named_tensors(bool recurse, bool params) const;
  void collect_parameters(bool recurse, std::vector<const Module*>& seen, std::vector<Tensor<T>>& out) const;

  std::vector<NamedTensor> parameters_;
  std::vector<Buffer> buffers_;
  std::vector<NamedModule> children_;
  bool training_ = true;
};

/// Prints Module::repr().
template <class T>
std::ostream& operator<<(std::ostream& os, const Module<T>& module);

extern template class Module<float>;
extern template class Module<double>;

}  // namespace eigrad::nn
