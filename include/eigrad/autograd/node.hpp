#pragma once
/// \file node.hpp
/// \brief Node<T>: one recorded differentiable computation of the define-by-run graph.
///
/// A node may stand for a single primitive (an addition) or any larger computation with its
/// own backward (a custom Function, a fused statement): it maps the gradient of its one
/// output to the gradients of its inputs in one call, with no per-element virtual dispatch.
#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "eigrad/tensor.hpp"

namespace eigrad {

template <class T>
class Node;

/// A node's edges, one per input: up to kInline of them are kept in the node itself, so
/// recording a statement of a few operands allocates no edge list.
template <class T>
class EdgeList {
 public:
  /// One edge: the node that receives an input's gradient, or null.
  using Edge = std::shared_ptr<Node<T>>;
  /// Edges kept without a heap list (the tutorial's loss as one fused statement has 8 operands).
  static constexpr std::size_t kInline = 8;

  EdgeList() = default;
  EdgeList(const EdgeList&) = delete;
  EdgeList& operator=(const EdgeList&) = delete;
  /// Takes the edges of \p edges.
  EdgeList& operator=(std::vector<Edge>&& edges) {
    clear();
    if (edges.size() > kInline) {
      overflow_ = std::move(edges);
      size_ = overflow_.size();
    } else {
      for (Edge& e : edges) inline_[size_++] = std::move(e);
    }
    return *this;
  }
  /// Makes \p count edges, edge \p i being \p edge_of(i).
  template <class F>
  void assign(std::size_t count, F&& edge_of) {
    clear();
    if (count > kInline) overflow_.resize(count);
    Edge* first = count > kInline ? overflow_.data() : inline_.data();
    for (std::size_t i = 0; i < count; ++i) first[i] = edge_of(i);
    size_ = count;
  }
  /// Drops every edge.
  void clear() {
    for (std::size_t i = 0; i < size_ && i < kInline; ++i) inline_[i].reset();
    overflow_.clear();
    size_ = 0;
  }
  /// Number of edges.
  std::size_t size() const { return size_; }
  /// Whether there are none.
  bool empty() const { return size_ == 0; }
  /// Edge \p i.
  const Edge& operator[](std::size_t i) const { return data()[i]; }
  /// Edge \p i.
  Edge& operator[](std::size_t i) { return data()[i]; }
  /// The first edge.
  const Edge* begin() const { return data(); }
  /// Past the last edge.
  const Edge* end() const { return data() + size_; }
  /// The first edge.
  Edge* begin() { return data(); }
  /// Past the last edge.
  Edge* end() { return data() + size_; }

 private:
  const Edge* data() const { return size_ > kInline ? overflow_.data() : inline_.data(); }
  Edge* data() { return size_ > kInline ? overflow_.data() : inline_.data(); }
  std::array<Edge, kInline> inline_;
  std::vector<Edge> overflow_;  // all the edges when there are more than kInline
  std::size_t size_ = 0;
};

/// A recorded computation: knows how to turn the gradient of its output into gradients of
/// its inputs. Edges (next()) lead to the nodes of those inputs.
template <class T>
class Node {
 public:
  /// Frees the chain of nodes only this node keeps alive without recursing once per node
  /// (a graph of a million nodes is freed in constant stack depth), as PyTorch's deleteNode.
  virtual ~Node();

  /// PyTorch-style name, e.g. "MulBackward0", shown in `grad_fn=<...>`.
  virtual std::string name() const = 0;

  /// Runs backward: checks the saved buffers are still there, then calls backward().
  std::vector<Tensor<T>> apply(const Tensor<T>& grad_output);
  /// As apply(), with the gradients written into \p input_grads (its room is reused: the
  /// engine passes one vector for every node of a pass).
  void apply_into(const Tensor<T>& grad_output, std::vector<Tensor<T>>& input_grads);

  /// Frees what was saved for backward; a later apply() throws AutogradError.
  void release_saved();

  /// The nodes that receive this node's input gradients, one per input (null where an
  /// input does not require grad).
  const EdgeList<T>& next() const { return next_; }
  /// Sets the edges (done once, when the node is recorded).
  void set_next(std::vector<std::shared_ptr<Node<T>>> next) { next_ = std::move(next); }
  /// Sets \p count edges, edge \p i being \p edge_of(i) (done once, when the node is recorded).
  template <class F>
  void set_next(std::size_t count, F&& edge_of) { next_.assign(count, std::forward<F>(edge_of)); }
  /// Whether input \p i needs a gradient.
  bool needs_input_grad(std::size_t i) const { return i < next_.size() && next_[i] != nullptr; }
  /// The forward operation that recorded this node (name and shapes), noted only while a
  /// DetectAnomalyGuard was alive; empty otherwise.
  const std::string& forward_description() const { return forward_description_; }
  /// Notes the forward operation that recorded this node (done by record() in anomaly mode).
  void set_forward_description(std::string description) { forward_description_ = std::move(description); }

 protected:
  /// AutogradError unless the saved tensors are there and unchanged.
  void check_saved() const;
  /// The gradients of the inputs given that of the output; an undefined tensor for an input
  /// whose needs_input_grad() is false.
  virtual std::vector<Tensor<T>> backward(const Tensor<T>& grad_output) = 0;
  /// backward() into \p input_grads; a node that makes its gradients one by one overrides it
  /// to reuse the vector's room.
  virtual void backward_into(const Tensor<T>& grad_output, std::vector<Tensor<T>>& input_grads) {
    std::vector<Tensor<T>> grads = backward(grad_output);
    input_grads.clear();  // moved element by element: the vector keeps its room
    for (Tensor<T>& g : grads) input_grads.push_back(std::move(g));
  }

  /// Keeps the data of \p t for backward (freed by release_saved()). Only the data is kept
  /// (a detached view), so saving a node's own output does not make a reference cycle. Its
  /// version is noted: apply() refuses to run once the data was changed in place.
  void save(const Tensor<T>& t) {
    saved_.push_back(t.defined() ? t.detach() : t);
    saved_versions_.push_back(t.defined() ? t.version() : 0);
  }
  /// Keeps the handle \p t itself for backward, with the same version check as save(). Only
  /// for an input of this node (never its output): the handle then makes no reference
  /// cycle, and saving costs no detached view.
  void save_input(const Tensor<T>& t) {
    saved_.push_back(t);
    saved_versions_.push_back(t.defined() ? t.version() : 0);
  }
  /// Makes room for \p n saved tensors at once (a node that saves many, such as a fused
  /// statement, then allocates once).
  void reserve_saved(std::size_t n) {
    saved_.reserve(n);
    saved_versions_.reserve(n);
  }
  /// Saved tensor \p i.
  const Tensor<T>& saved(std::size_t i) const { return saved_[i]; }
  /// Number of saved tensors.
  std::size_t saved_count() const { return saved_.size(); }
  /// Frees saved non-tensor state too; called by release_saved().
  virtual void release_extra() {}

 private:
  friend struct detail::Internals;  // the engine's access to the fields below
  EdgeList<T> next_;
  std::vector<Tensor<T>> saved_;
  std::vector<std::uint64_t> saved_versions_;
  bool released_ = false;
  std::string forward_description_;  // set in anomaly mode only
  std::weak_ptr<detail::TensorImpl<T>> retained_output_;  // the output that retains its grad
  std::uint64_t walk_pass_ = 0;  // the backward pass that last numbered this node
  std::size_t walk_index_ = 0;   // this node's number in that pass
};

/// The node at the end of every path to a leaf that requires grad: adds the incoming
/// gradient into the leaf's grad().
///
/// The leaf keeps its accumulator for as long as it lives (a training step then builds none),
/// so the accumulator refers to the leaf without keeping it alive: a leaf that no handle
/// reaches any more has a gradient nobody can read, and backward skips it.
template <class T>
class AccumulateGrad final : public Node<T> {
 public:
  /// Accumulates into \p leaf.
  explicit AccumulateGrad(const Tensor<T>& leaf);
  std::string name() const override { return "AccumulateGrad"; }
  /// The leaf gradients flow into (undefined once no handle of it is left).
  Tensor<T> leaf() const;

 protected:
  std::vector<Tensor<T>> backward(const Tensor<T>& grad_output) override;

 private:
  std::weak_ptr<detail::TensorImpl<T>> leaf_;
};

namespace autograd {

/// The node a gradient for \p t must be sent to: its grad_fn, the accumulator of a leaf
/// that requires grad, or null.
template <class T>
std::shared_ptr<Node<T>> gradient_edge(const Tensor<T>& t);

/// True when recording is on and any of \p inputs requires grad.
template <class T>
bool any_requires_grad(std::initializer_list<const Tensor<T>*> inputs);

/// Records \p node as the producer of \p result with edges to \p inputs, if grad mode is on
/// and an input requires grad; otherwise leaves \p result a plain tensor. Returns \p result.
template <class T>
Tensor<T> record(Tensor<T> result, std::shared_ptr<Node<T>> node,
                 std::initializer_list<const Tensor<T>*> inputs);

/// Same with inputs given as a vector.
template <class T>
Tensor<T> record(Tensor<T> result, std::shared_ptr<Node<T>> node, const std::vector<Tensor<T>>& inputs);

/// Same with the \p count inputs at \p inputs.
template <class T>
Tensor<T> record(Tensor<T> result, std::shared_ptr<Node<T>> node, const Tensor<T>* inputs, std::size_t count);

/// Runs the backward pass from \p roots with the given output gradients, accumulating into
/// leaves. Frees saved buffers unless \p retain_graph.
template <class T>
void run_backward(const std::vector<Tensor<T>>& roots, const std::vector<Tensor<T>>& grad_outputs,
                  bool retain_graph);

/// Same with the \p root_count roots at \p roots and the \p grad_output_count gradients at
/// \p grad_outputs (fewer than the roots: the rest start from ones).
template <class T>
void run_backward(const Tensor<T>* roots, std::size_t root_count, const Tensor<T>* grad_outputs,
                  std::size_t grad_output_count, bool retain_graph);

}  // namespace autograd

extern template class Node<float>;
extern template class Node<double>;
extern template class AccumulateGrad<float>;
extern template class AccumulateGrad<double>;

}  // namespace eigrad
