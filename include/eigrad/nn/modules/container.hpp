#pragma once
/// \file container.hpp
/// \brief Sequential: a chain of modules, each fed the previous one's output.
#include <cstdint>
#include <memory>
#include <string>
#include <type_traits>
#include <typeinfo>
#include <utility>
#include <vector>

#include "eigrad/errors.hpp"
#include "eigrad/nn/module.hpp"

namespace eigrad::nn {

/// Runs its children in order, as `torch.nn.Sequential`. Children are named "0", "1", ...
/// (unless pushed with a name), so parameters are "0.weight", "0.bias", ...
///
/// \snippet modules.cpp sequential
///
/// The children can be iterated: `for (const auto& layer : model) std::cout << *layer << '\n';`
template <class T>
class Sequential : public Module<T> {
  template <class A>
  static constexpr bool is_module_value = std::is_base_of_v<Module<T>, std::decay_t<A>> && !std::is_lvalue_reference_v<A>;
  template <class A>
  struct is_module_ptr : std::false_type {};
  template <class M>
  struct is_module_ptr<std::shared_ptr<M>> : std::is_base_of<Module<T>, M> {};
  template <class A>
  static constexpr bool is_module_arg = is_module_value<A> || is_module_ptr<std::decay_t<A>>::value;

 public:
  /// The iterator over the children (yields `const std::shared_ptr<Module<T>>&`).
  using const_iterator = typename std::vector<std::shared_ptr<Module<T>>>::const_iterator;

  /// An empty chain (forward returns its input).
  Sequential() = default;
  /// A chain of \p modules, each a `std::shared_ptr` to a module (shared with the caller)
  /// or a module temporary (moved in).
  template <class... Ms, std::enable_if_t<(sizeof...(Ms) > 0) && (is_module_arg<Ms> && ...), int> = 0>
  explicit Sequential(Ms&&... modules) {
    (push_back(std::forward<Ms>(modules)), ...);
  }

  /// Appends \p module under the name std::to_string(size()).
  template <class M>
  void push_back(std::shared_ptr<M> module) {
    push_back(std::to_string(modules_.size()), std::move(module));
  }
  /// Appends \p module under \p name.
  template <class M>
  void push_back(const std::string& name, std::shared_ptr<M> module) {
    modules_.push_back(this->register_module(name, std::move(module)));
  }
  /// Appends a module temporary (moved into a new shared_ptr).
  template <class M, std::enable_if_t<is_module_value<M&&>, int> = 0>
  void push_back(M&& module) {
    push_back(std::make_shared<std::decay_t<M>>(std::move(module)));
  }

  /// Replaces the child named \p name (e.g. "0"), keeping its position.
  template <class M>
  std::shared_ptr<M> replace_module(const std::string& name, std::shared_ptr<M> module) {
    const auto old = this->named_children();
    Module<T>::replace_module(name, module);
    for (std::size_t i = 0; i < old.size(); ++i)
      if (old[i].first == name) modules_[i] = module;
    return module;
  }

  /// Feeds \p input through every child in order.
  Tensor<T> forward(const Tensor<T>& input) override {
    Tensor<T> x = input;
    for (const auto& m : modules_) x = m->forward(x);
    return x;
  }

  /// Number of children.
  std::size_t size() const { return modules_.size(); }
  /// True without children.
  bool is_empty() const { return modules_.empty(); }
  using Module<T>::operator[];  // model["0"] and dotted names, besides model[0]
  /// Child \p index (negative counts from the end, as Python); ValueError when out of range.
  Module<T>& operator[](std::int64_t index) const { return *modules_[wrap(index)]; }
  /// The shared pointer of child \p index.
  std::shared_ptr<Module<T>> ptr(std::int64_t index) const { return modules_[wrap(index)]; }
  /// Child \p index as an \p M (e.g. `ptr<Linear<float>>(0)`); ValueError naming both
  /// types when the child is not an \p M.
  template <class M>
  std::shared_ptr<M> ptr(std::int64_t index) const {
    auto typed = std::dynamic_pointer_cast<M>(ptr(index));
    EIGRAD_CHECK(typed, ValueError, "Sequential child ", index, " is a ", ptr(index)->name(), ", not a ",
                 detail::short_type_name(typeid(M)));
    return typed;
  }
  /// Child \p index as an \p M&, e.g. `model.at<nn::Linear<float>>(0).weight`.
  template <class M>
  M& at(std::int64_t index) const { return *ptr<M>(index); }
  /// Same as at<M>().
  template <class M>
  M& get(std::int64_t index) const { return at<M>(index); }

  /// First child.
  const_iterator begin() const { return modules_.begin(); }
  /// Past the last child.
  const_iterator end() const { return modules_.end(); }

 private:
  std::size_t wrap(std::int64_t index) const {
    const auto n = static_cast<std::int64_t>(modules_.size());
    const std::int64_t i = index < 0 ? index + n : index;
    EIGRAD_CHECK(i >= 0 && i < n, ValueError, "Sequential index ", index, " out of range for ", n, " modules");
    return static_cast<std::size_t>(i);
  }

  std::vector<std::shared_ptr<Module<T>>> modules_;
};

}  // namespace eigrad::nn
