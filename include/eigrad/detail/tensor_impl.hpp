#pragma once
// Internal, not part of the public API: the state behind a Tensor handle, and the one door
// (detail::Internals) through which the tensor and autograd sources reach what the public
// classes keep private. Only src/tensor/ and src/autograd/ include this header.
#include <cstdint>
#include <memory>
#include <utility>
#include <vector>

#include "eigrad/autograd/hooks.hpp"
#include "eigrad/autograd/node.hpp"
#include "eigrad/tensor.hpp"

namespace eigrad::detail {

/// Internal state of a tensor: data, shape and autograd bookkeeping. Every handle of one
/// tensor (copies of a Tensor) shares one TensorImpl.
template <class T>
struct TensorImpl {
  Storage<T> storage;                       ///< the buffer
  std::int64_t offset = 0;                  ///< first element in the buffer
  Shape shape;                              ///< extents
  bool requires_grad = false;               ///< leaf flag or "produced by a recorded op"
  bool retains_grad = false;                ///< keep grad of a non-leaf
  Tensor<T> grad;                           ///< accumulated gradient
  std::shared_ptr<Node<T>> grad_fn;         ///< producer (null for leaves)
  std::shared_ptr<Node<T>> grad_accumulator;  ///< the leaf's accumulation node, made once
  /// Post-accumulate-grad hooks by key (autograd/hooks.hpp); empty for almost every tensor.
  std::vector<std::pair<std::uint64_t, autograd::PostAccumulateGradHook<T>>> post_accumulate_grad_hooks;
};

/// Friend of Tensor and Node: the private parts the tensor and autograd sources share.
struct Internals {
  /// The state behind \p t (null for an undefined tensor).
  template <class T>
  static const std::shared_ptr<TensorImpl<T>>& impl(const Tensor<T>& t) { return t.impl(); }

  /// A handle of the tensor \p impl is the state of (undefined for null).
  template <class T>
  static Tensor<T> tensor(std::shared_ptr<TensorImpl<T>> impl) {
    Tensor<T> t;
    t.impl_ = std::move(impl);
    return t;
  }

  /// The tensor whose gradient \p node keeps (see Tensor::retain_grad), while it lives.
  template <class T>
  static std::weak_ptr<TensorImpl<T>>& retained_output(Node<T>& node) { return node.retained_output_; }

  /// The backward pass that last numbered \p node (0: none yet).
  template <class T>
  static std::uint64_t& walk_pass(Node<T>& node) { return node.walk_pass_; }

  /// \p node's number in the pass walk_pass() names.
  template <class T>
  static std::size_t& walk_index(Node<T>& node) { return node.walk_index_; }
};

}  // namespace eigrad::detail
