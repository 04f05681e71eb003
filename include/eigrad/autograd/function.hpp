#pragma once
/// \file function.hpp
/// \brief Custom differentiable operations, as PyTorch's `torch.autograd.Function`.
///
/// \code
/// struct LegendrePolynomial3 : eigrad::autograd::Function<LegendrePolynomial3> {
///   template <class T>
///   static Tensor<T> forward(AutogradContext<T>& ctx, const Tensor<T>& x) {
///     ctx.save_for_backward({x});
///     return 0.5 * (5 * x.pow(3) - 3 * x);
///   }
///   template <class T>
///   static std::vector<Tensor<T>> backward(AutogradContext<T>& ctx, const std::vector<Tensor<T>>& g) {
///     const Tensor<T>& x = ctx.get_saved_variables()[0];
///     return {g[0] * 1.5 * (5 * x.pow(2) - 1)};
///   }
/// };
/// auto y = LegendrePolynomial3::apply(x);
/// \endcode
#include <any>
#include <map>
#include <string>
#include <tuple>
#include <type_traits>
#include <typeinfo>
#include <utility>
#include <vector>
#if defined(__GNUG__)
#include <cstdlib>
#include <cxxabi.h>
#include <memory>
#endif

#include "eigrad/autograd/grad_mode.hpp"
#include "eigrad/autograd/node.hpp"

namespace eigrad::autograd {

/// What a custom Function's forward leaves for its backward: saved tensors and other values.
template <class T>
class AutogradContext {
 public:
  /// Keeps tensors for backward (their data only; freed after backward unless retain_graph).
  void save_for_backward(std::vector<Tensor<T>> tensors) {
    saved_.clear();
    for (auto& t : tensors) saved_.push_back(t.defined() ? t.detach() : t);
  }
  /// The tensors given to save_for_backward(), in order.
  const std::vector<Tensor<T>>& get_saved_variables() const { return saved_; }
  /// Non-tensor values kept for backward, by name (e.g. `ctx.saved_data["alpha"] = 0.5`).
  std::map<std::string, std::any> saved_data;
  /// Whether input \p i (counting tensor arguments only) needs a gradient.
  bool needs_input_grad(std::size_t i) const { return i < needs_input_grad_.size() && needs_input_grad_[i]; }

  /// \cond INTERNAL
  std::vector<Tensor<T>> saved_;
  std::vector<bool> needs_input_grad_;
  /// \endcond
};

namespace detail {

template <class A>
struct is_tensor : std::false_type {};
template <class T>
struct is_tensor<Tensor<T>> : std::true_type {};

/// The element type of the first Tensor among Args (void when there is none).
template <class... Args>
struct first_tensor_scalar {
  using type = void;
};
template <class T, class... Rest>
struct first_tensor_scalar<Tensor<T>, Rest...> {
  using type = T;
};
template <class A>
struct tensor_scalar {
  using type = typename A::Scalar;
};
template <class A, class... Rest>
struct first_tensor_scalar<A, Rest...> {  // an expression (a class derived from Tensor) counts as one
  using type = typename std::conditional_t<is_tensor_like_v<A>, tensor_scalar<A>, first_tensor_scalar<Rest...>>::type;
};

template <class T, class A>
void collect_tensor(std::vector<Tensor<T>>& out, const A& a) {
  if constexpr (is_tensor<std::decay_t<A>>::value || is_tensor_like_v<A>) out.push_back(a);
}

/// The graph node of one call of a custom Function: backward is the user's.
template <class T, class Derived>
class FunctionNode final : public Node<T> {
 public:
  FunctionNode(AutogradContext<T> ctx, std::vector<Shape> input_shapes)
      : ctx_(std::move(ctx)), input_shapes_(std::move(input_shapes)) {
    for (const auto& t : ctx_.saved_) this->save(t);
    ctx_.saved_.clear();
  }
  std::string name() const override {
    std::string n = typeid(Derived).name();
#if defined(__GNUG__)
    int status = 0;
    std::unique_ptr<char, void (*)(void*)> readable(
        abi::__cxa_demangle(n.c_str(), nullptr, nullptr, &status), std::free);
    if (status == 0 && readable) n = readable.get();
#endif
    return n + "Backward";
  }

 protected:
  std::vector<Tensor<T>> backward(const Tensor<T>& grad_output) override {
    ctx_.saved_.clear();
    for (std::size_t i = 0; i < this->saved_count(); ++i) ctx_.saved_.push_back(this->saved(i));
    ctx_.needs_input_grad_.clear();
    for (std::size_t i = 0; i < input_shapes_.size(); ++i) ctx_.needs_input_grad_.push_back(this->needs_input_grad(i));
    std::vector<Tensor<T>> grads = Derived::backward(ctx_, std::vector<Tensor<T>>{grad_output});
    ctx_.saved_.clear();
    EIGRAD_CHECK(grads.size() == input_shapes_.size(), AutogradError, "custom function backward returned ",
                 grads.size(), " gradients, expected ", input_shapes_.size(), " (one per tensor input)");
    for (std::size_t i = 0; i < grads.size(); ++i)
      EIGRAD_CHECK(!grads[i].defined() || grads[i].shape() == input_shapes_[i], ShapeError,
                   "custom function backward returned a gradient of shape ", to_string(grads[i].shape()),
                   " for input ", i, " of shape ", to_string(input_shapes_[i]));
    return grads;
  }
  void release_extra() override { ctx_.saved_data.clear(); }

 private:
  AutogradContext<T> ctx_;
  std::vector<Shape> input_shapes_;
};

}  // namespace detail

/// CRTP base of a custom differentiable operation. Derived supplies static
/// `forward(AutogradContext<T>&, args...)` returning a Tensor<T>, and static
/// `backward(AutogradContext<T>&, const std::vector<Tensor<T>>& grad_outputs)` returning one
/// gradient per tensor argument (undefined where none). Call it through apply().
///
/// \snippet functions.cpp function
/// Using it:
/// \snippet functions.cpp function use
template <class Derived>
struct Function {
  /// Runs Derived::forward without recording, then records one node whose backward is
  /// Derived::backward, if any tensor argument requires grad.
  template <class... Args>
  static auto apply(Args&&... args) {
    using T = typename detail::first_tensor_scalar<std::decay_t<Args>...>::type;
    static_assert(!std::is_void_v<T>, "Function::apply needs at least one Tensor argument");
    std::vector<Tensor<T>> inputs;
    (detail::collect_tensor<T>(inputs, args), ...);
    AutogradContext<T> ctx;
    Tensor<T> out;
    {
      NoGradGuard no_grad;
      out = Derived::forward(ctx, std::forward<Args>(args)...);
    }
    bool needed = GradMode::is_enabled();
    bool any = false;
    for (const auto& t : inputs) any = any || t.requires_grad();
    if (!(needed && any)) return out;
    // Forward may return an input as it is: the node gets a tensor of its own to produce.
    bool aliases_input = out.requires_grad();
    for (const auto& t : inputs) aliases_input = aliases_input || out.is_same(t);
    if (aliases_input) out = out.detach();
    std::vector<Shape> shapes;
    for (const auto& t : inputs) shapes.push_back(t.shape());
    auto node = std::make_shared<detail::FunctionNode<T, Derived>>(std::move(ctx), std::move(shapes));
    return record<T>(out, node, inputs);
  }
};

}  // namespace eigrad::autograd
