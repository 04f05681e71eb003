// The define-by-run engine: recording nodes, freeing them, and the reverse topological walk
// of backward().
#include <atomic>
#include <cmath>
#include <cstdint>
#include <limits>

#include "eigrad/autograd/anomaly_mode.hpp"
#include "eigrad/autograd/grad_mode.hpp"
#include "eigrad/autograd/node.hpp"
#include "eigrad/detail/tensor_impl.hpp"
#include "eigrad/ops/elementwise.hpp"
#include "eigrad/tensor/operators.hpp"

namespace eigrad {

template <class T>
Node<T>::~Node() {
  // Each edge this node holds alone would free its node inside this destructor, and that one
  // its own, one stack frame per node of a chain. Instead the edges held alone move to a local
  // stack, which frees their nodes one at a time after emptying their edges the same way.
  // Shared edges are dropped one by one and rechecked, so a node reached twice from here
  // (x * x) is taken once its other edge is gone rather than freed inside a vector destructor.
  // The stack allocates only when an edge is held alone: at the end of a training step the
  // leaves keep their accumulators and the tensors their producers, so it stays empty.
  std::vector<std::shared_ptr<Node<T>>> alone;
  auto take_edges = [&alone](EdgeList<T>& edges) {
    for (auto& edge : edges) {
      if (!edge) continue;
      if (edge.use_count() == 1)
        alone.push_back(std::move(edge));
      else
        edge.reset();  // someone else keeps it alive: this reset frees nothing
    }
  };
  take_edges(next_);
  while (!alone.empty()) {
    std::shared_ptr<Node<T>> node = std::move(alone.back());
    alone.pop_back();
    take_edges(node->next_);
  }  // node dies here with no edges left, so its own destructor finds nothing to free
}

template <class T>
void Node<T>::check_saved() const {
  EIGRAD_CHECK(!released_, AutogradError, "Trying to backward through the graph a second time (node ", name(),
               "): its saved tensors were freed by the first backward(). Pass retain_graph = true to "
               "the first backward() call to backward through the graph again");
  for (std::size_t i = 0; i < saved_.size(); ++i)
    EIGRAD_CHECK(!saved_[i].defined() || saved_[i].version() == saved_versions_[i], AutogradError,
                 "a tensor of shape ", to_string(saved_[i].shape()), " saved by ", name(),
                 " for backward was modified in place afterwards (version ", saved_versions_[i], ", now ",
                 saved_[i].version(), "); compute the gradient before changing it, or change a clone()");
}

template <class T>
std::vector<Tensor<T>> Node<T>::apply(const Tensor<T>& grad_output) {
  check_saved();
  return backward(grad_output);
}

template <class T>
void Node<T>::apply_into(const Tensor<T>& grad_output, std::vector<Tensor<T>>& input_grads) {
  check_saved();
  backward_into(grad_output, input_grads);
}

template <class T>
void Node<T>::release_saved() {
  if (!saved_.empty()) {
    saved_.clear();
    saved_.shrink_to_fit();
    saved_versions_.clear();
    released_ = true;
  }
  release_extra();
}

namespace {
std::atomic<std::uint64_t> next_hook_key{1};

/// Calls \p leaf's post-accumulate-grad hooks, grad mode off; a copy of the list, since a hook
/// may remove itself.
template <class T>
void run_post_accumulate_grad_hooks(const Tensor<T>& leaf) {
  const auto& impl = detail::Internals::impl(leaf);
  if (impl->post_accumulate_grad_hooks.empty()) return;
  const auto hooks = impl->post_accumulate_grad_hooks;
  NoGradGuard no_grad;
  for (const auto& [key, hook] : hooks) hook(leaf);
}
}  // namespace

template <class T>
AccumulateGrad<T>::AccumulateGrad(const Tensor<T>& leaf) : leaf_(detail::Internals::impl(leaf)) {}

template <class T>
Tensor<T> AccumulateGrad<T>::leaf() const {
  return detail::Internals::tensor(leaf_.lock());
}

template <class T>
std::vector<Tensor<T>> AccumulateGrad<T>::backward(const Tensor<T>& g) {
  const Tensor<T> leaf = this->leaf();
  if (!leaf.defined()) return {};  // no handle reaches the leaf: nobody can read its gradient
  Tensor<T>& grad = leaf.grad();
  EIGRAD_CHECK(g.shape() == leaf.shape(), ShapeError, "gradient of shape ", to_string(g.shape()),
               " for a leaf of shape ", to_string(leaf.shape()));
  if (!grad.defined()) {
    // Own storage: g may be shared with other gradients. A g that nothing else holds (a
    // gradient a node just made, passed on by the engine) is taken as it is, as PyTorch's
    // AccumulateGrad steals a gradient whose use count allows it.
    const auto& impl = detail::Internals::impl(g);
    const bool alone = impl.use_count() == 1 && g.storage().sole_owner() && !g.requires_grad() &&
                       g.storage_offset() == 0 && g.numel() == g.storage().size();
    grad = alone ? g : g.detach().clone();
  } else {
    NoGradGuard no_grad;
    grad += g;
  }
  run_post_accumulate_grad_hooks(leaf);
  return {};
}

namespace autograd {

template <class T>
std::uint64_t register_post_accumulate_grad_hook(const Tensor<T>& leaf, PostAccumulateGradHook<T> hook) {
  EIGRAD_CHECK(leaf.defined() && leaf.is_leaf() && leaf.requires_grad(), AutogradError,
               "register_post_accumulate_grad_hook needs a leaf tensor that requires grad, got ",
               !leaf.defined() ? "an undefined tensor" : leaf.is_leaf() ? "a leaf that does not require grad" : "a non-leaf",
               leaf.defined() ? " of shape " + to_string(leaf.shape()) : std::string());
  EIGRAD_CHECK(static_cast<bool>(hook), ValueError, "register_post_accumulate_grad_hook: an empty hook");
  const std::uint64_t key = next_hook_key++;
  detail::Internals::impl(leaf)->post_accumulate_grad_hooks.emplace_back(key, std::move(hook));
  return key;
}

template <class T>
void remove_post_accumulate_grad_hook(const Tensor<T>& leaf, std::uint64_t key) {
  if (!leaf.defined()) return;
  auto& hooks = detail::Internals::impl(leaf)->post_accumulate_grad_hooks;
  for (auto it = hooks.begin(); it != hooks.end(); ++it)
    if (it->first == key) {
      hooks.erase(it);
      return;
    }
}

template std::uint64_t register_post_accumulate_grad_hook<float>(const Tensor<float>&, PostAccumulateGradHook<float>);
template std::uint64_t register_post_accumulate_grad_hook<double>(const Tensor<double>&,
                                                                   PostAccumulateGradHook<double>);
template void remove_post_accumulate_grad_hook<float>(const Tensor<float>&, std::uint64_t);
template void remove_post_accumulate_grad_hook<double>(const Tensor<double>&, std::uint64_t);

namespace {
thread_local bool anomaly_enabled = false;

template <class T>
const Tensor<T>& deref(const Tensor<T>& t) { return t; }
template <class T>
const Tensor<T>& deref(const Tensor<T>* t) { return *t; }

/// In anomaly mode, notes on \p node the forward operation recording it, for the message of
/// a NaN found later in its backward.
template <class T, class Inputs>
void note_forward(Node<T>& node, const Tensor<T>& result, const Inputs& inputs) {
  if (!anomaly_enabled) return;
  std::string text = node.name() + " recorded by a forward operation on inputs of shapes ";
  const char* separator = "";
  for (const auto& input : inputs) {
    const Tensor<T>& t = deref<T>(input);
    text += separator;
    text += t.defined() ? to_string(t.shape()) : "(undefined)";
    separator = ", ";
  }
  text += " giving shape " + to_string(result.shape());
  node.set_forward_description(std::move(text));
}

/// "nan" or "inf" for the first non-finite element of \p t, or null when all are finite.
template <class T>
const char* first_non_finite(const Tensor<T>& t) {
  const Tensor<T> host = t.device().is_cpu() ? t : t.to(Device::cpu());
  const T* p = host.data();
  for (std::int64_t i = 0, n = host.numel(); i < n; ++i)
    if (!std::isfinite(p[i])) return std::isnan(p[i]) ? "nan" : "inf";
  return nullptr;
}

/// AutogradError naming \p node when one of the gradients it returned is not finite.
template <class T>
void check_anomaly(const Node<T>& node, const Tensor<T>& grad_output, const std::vector<Tensor<T>>& input_grads) {
  for (std::size_t i = 0; i < input_grads.size(); ++i) {
    if (!input_grads[i].defined()) continue;
    const char* kind = first_non_finite(input_grads[i]);
    EIGRAD_CHECK(kind == nullptr, AutogradError, "Function '", node.name(), "' returned ", kind,
                 " values in its ", i, "th output (a gradient of shape ", to_string(input_grads[i].shape()),
                 ", from an output gradient of shape ", to_string(grad_output.shape()), "); forward: ",
                 node.forward_description().empty() ? std::string("not recorded in anomaly mode")
                                                    : node.forward_description());
  }
}
}  // namespace

bool AnomalyMode::is_enabled() { return anomaly_enabled; }
void AnomalyMode::set_enabled(bool enabled) { anomaly_enabled = enabled; }

template <class T>
std::shared_ptr<Node<T>> gradient_edge(const Tensor<T>& t) {
  if (!t.defined() || !t.requires_grad()) return nullptr;
  const auto& impl = detail::Internals::impl(t);
  if (impl->grad_fn) return impl->grad_fn;
  if (!impl->grad_accumulator) impl->grad_accumulator = std::make_shared<AccumulateGrad<T>>(t);
  return impl->grad_accumulator;
}

template <class T>
bool any_requires_grad(std::initializer_list<const Tensor<T>*> inputs) {
  if (!GradMode::is_enabled()) return false;
  for (const Tensor<T>* t : inputs)
    if (t->requires_grad()) return true;
  return false;
}

template <class T>
Tensor<T> record(Tensor<T> result, std::shared_ptr<Node<T>> node, const Tensor<T>* inputs, std::size_t count) {
  if (!GradMode::is_enabled()) return result;
  struct Range {
    const Tensor<T>* first;
    const Tensor<T>* last;
    const Tensor<T>* begin() const { return first; }
    const Tensor<T>* end() const { return last; }
  } const range{inputs, inputs + count};
  bool needed = false;
  for (const auto& t : range) needed = needed || t.requires_grad();
  if (!needed) return result;
  node->set_next(count, [inputs](std::size_t i) { return gradient_edge(inputs[i]); });
  note_forward(*node, result, range);
  result.set_grad_fn(std::move(node));
  return result;
}

template <class T>
Tensor<T> record(Tensor<T> result, std::shared_ptr<Node<T>> node, const std::vector<Tensor<T>>& inputs) {
  return record(std::move(result), std::move(node), inputs.data(), inputs.size());
}

template <class T>
Tensor<T> record(Tensor<T> result, std::shared_ptr<Node<T>> node,
                 std::initializer_list<const Tensor<T>*> inputs) {
  if (!any_requires_grad<T>(inputs)) return result;
  node->set_next(inputs.size(), [&inputs](std::size_t i) { return gradient_edge(*inputs.begin()[i]); });
  note_forward(*node, result, inputs);
  result.set_grad_fn(std::move(node));
  return result;
}

namespace {

/// Numbers every backward pass, so a node's walk mark from an earlier pass reads as unvisited
/// without a pass to clear the marks.
std::atomic<std::uint64_t> last_walk_pass{0};

/// The part of the graph one backward() reaches, numbered in the order the walk finds it: the
/// per-node state lives in vectors indexed by that number. The number is written on the node,
/// so two threads must not walk graphs that share nodes at once (they would already race on
/// the leaves' gradients they both accumulate into).
template <class T>
class GraphTask {
 public:
  static constexpr std::size_t kNoNode = std::numeric_limits<std::size_t>::max();

  /// Room for a small graph up front (a fused statement and its leaves' accumulators), so a
  /// step allocates each vector once instead of growing it node by node.
  GraphTask() {
    constexpr std::size_t kNodes = 16;
    nodes_.reserve(kNodes);
    pending_.reserve(kNodes);
    grads_.reserve(kNodes);
    owned_.reserve(kNodes);
    first_edge_.reserve(kNodes);
    edge_count_.reserve(kNodes);
    edges_.reserve(2 * kNodes);
    to_walk_.reserve(kNodes);
    ready_.reserve(kNodes);
    input_grads_.reserve(kNodes);
  }

  /// Empties the task for another pass (the vectors keep their room) and gives it a new pass
  /// number; the gradients it held are released.
  void reset() {
    pass_ = ++last_walk_pass;
    nodes_.clear();
    pending_.clear();
    grads_.clear();
    owned_.clear();
    first_edge_.clear();
    edge_count_.clear();
    edges_.clear();
    to_walk_.clear();
  }

  /// The number of \p node in this pass, numbering it (and queueing it for the walk) when
  /// it is new.
  std::size_t number(Node<T>* node) {
    std::uint64_t& pass = detail::Internals::walk_pass(*node);
    std::size_t& index = detail::Internals::walk_index(*node);
    if (pass == pass_) return index;
    pass = pass_;
    index = nodes_.size();
    nodes_.push_back(node);
    pending_.push_back(0);
    grads_.emplace_back();
    owned_.push_back(false);
    first_edge_.push_back(0);
    edge_count_.push_back(0);
    to_walk_.push_back(index);
    return index;
  }

  /// Walks (iteratively) from the nodes numbered so far, numbering every node they reach and
  /// counting the edges into each. The edges are kept as numbers, so running the nodes reads
  /// no mark, which a backward() nested in some node's backward overwrites.
  void walk() {
    while (!to_walk_.empty()) {
      const std::size_t i = to_walk_.back();
      to_walk_.pop_back();
      const auto& next = nodes_[i]->next();
      first_edge_[i] = edges_.size();
      edge_count_[i] = next.size();
      for (const auto& child : next) {
        const std::size_t c = child ? number(child.get()) : kNoNode;
        if (c != kNoNode) ++pending_[c];
        edges_.push_back(c);
      }
    }
  }

  /// Adds \p g to the gradient of node \p i. A tensor that arrives from a node's backward or
  /// from the caller may be shared (AddBackward passes its grad_output to both inputs; a
  /// custom backward may return anything), so it is kept as it is and never written to: the
  /// second gradient makes a sum of the engine's own, and later ones add into that in place.
  void accumulate(std::size_t i, Tensor<T> g) {
    Tensor<T>& sum = grads_[i];
    if (!sum.defined()) {
      sum = std::move(g);
      owned_[i] = false;
    } else if (owned_[i] && sum.shape() == g.shape()) {
      sum += g;
    } else {
      sum = detail::eager_binary<T, ops::Add>(sum, g);  // one op on any device, no statement to fuse
      owned_[i] = true;
    }
  }

  /// Runs the numbered nodes in reverse topological order (Kahn's: a node runs once every
  /// edge into it delivered), last ready first, as the engine always has.
  void execute(bool retain_graph) {
    std::vector<std::size_t>& ready = ready_;
    ready.clear();
    for (std::size_t i = 0; i < nodes_.size(); ++i)
      if (pending_[i] == 0) ready.push_back(i);
    std::vector<Tensor<T>>& input_grads = input_grads_;
    while (!ready.empty()) {
      const std::size_t i = ready.back();
      ready.pop_back();
      Node<T>* node = nodes_[i];
      const Tensor<T> g = std::move(grads_[i]);
      input_grads.clear();
      if (g.defined()) {
        if (auto out = detail::Internals::retained_output(*node).lock()) {
          if (!out->grad.defined()) out->grad = g.clone();
          else out->grad += g;
        }
        node->apply_into(g, input_grads);
        if (anomaly_enabled) check_anomaly(*node, g, input_grads);
        if (!retain_graph) node->release_saved();
      }
      for (std::size_t e = 0; e < edge_count_[i]; ++e) {
        const std::size_t child = edges_[first_edge_[i] + e];
        if (child == kNoNode) continue;
        if (e < input_grads.size() && input_grads[e].defined()) accumulate(child, std::move(input_grads[e]));
        if (--pending_[child] == 0) ready.push_back(child);
      }
    }
    input_grads.clear();
  }

 private:
  std::uint64_t pass_ = ++last_walk_pass;
  std::vector<Node<T>*> nodes_;          // by number; kept alive by the roots
  std::vector<std::size_t> pending_;     // edges into the node yet to deliver
  std::vector<Tensor<T>> grads_;         // gradient of the node's output so far
  std::vector<bool> owned_;              // grads_[i] is a sum the engine made, shared with nothing
  std::vector<std::size_t> first_edge_;  // the node's edges are edges_[first_edge_ .. + edge_count_)
  std::vector<std::size_t> edge_count_;
  std::vector<std::size_t> edges_;       // number of the edge's node, or kNoNode
  std::vector<std::size_t> to_walk_;
  std::vector<std::size_t> ready_;          // nodes whose every input edge delivered
  std::vector<Tensor<T>> input_grads_;      // the running node's gradients, room reused
};

}  // namespace

namespace {
/// The gradient a one-element \p root starts from: ones of its shape. A 0-d CPU root (a loss)
/// gets one tensor kept on this thread and used again while unchanged (the engine only reads
/// the gradients it is given, and a node or the accumulator copies one that others share).
template <class T>
Tensor<T> seed_gradient(const Tensor<T>& root) {
  if (root.dim() != 0 || !root.device().is_cpu()) return ones<T>(root.shape(), root.device());
  thread_local Tensor<T> one;
  thread_local std::uint64_t one_version = 0;
  if (!one.defined() || one.version() != one_version || one.data()[0] != T(1)) {
    one = ones<T>({});
    one_version = one.version();
  }
  return one;
}
}  // namespace

template <class T>
void run_backward(const Tensor<T>* roots, std::size_t root_count, const Tensor<T>* grad_outputs,
                  std::size_t grad_output_count, bool retain_graph) {
  NoGradGuard no_grad;  // backward formulas are not themselves recorded
  // Tasks are reused on this thread, so a training step's backward allocates no bookkeeping;
  // a backward() nested in a node's backward takes another one.
  thread_local std::vector<std::unique_ptr<GraphTask<T>>> idle_tasks;
  std::unique_ptr<GraphTask<T>> owned_task;
  if (idle_tasks.empty()) {
    owned_task = std::make_unique<GraphTask<T>>();
  } else {
    owned_task = std::move(idle_tasks.back());
    idle_tasks.pop_back();
    owned_task->reset();
  }
  GraphTask<T>& task = *owned_task;
  for (std::size_t r = 0; r < root_count; ++r) {
    const Tensor<T>& root = roots[r];
    EIGRAD_CHECK(root.requires_grad(), AutogradError, "backward() on a tensor of shape ", to_string(root.shape()),
                 " that does not require grad and has no grad_fn");
    Tensor<T> g = r < grad_output_count ? grad_outputs[r] : Tensor<T>();
    if (!g.defined()) {
      EIGRAD_CHECK(root.numel() == 1, AutogradError,
                   "backward() without a gradient argument needs a scalar output; got shape ",
                   to_string(root.shape()), " (pass a gradient of that shape)");
      g = seed_gradient(root);
    } else {
      EIGRAD_CHECK(g.shape() == root.shape(), ShapeError, "backward(): gradient of shape ", to_string(g.shape()),
                   " for an output of shape ", to_string(root.shape()));
    }
    if (!root.grad_fn()) {  // a leaf: its gradient is g itself
      AccumulateGrad<T>(root).apply(g);
      continue;
    }
    task.accumulate(task.number(root.grad_fn().get()), std::move(g));  // the node is kept alive by root
  }
  task.walk();
  task.execute(retain_graph);
  task.reset();  // releases the gradients it held now
  idle_tasks.push_back(std::move(owned_task));
}

template <class T>
void run_backward(const std::vector<Tensor<T>>& roots, const std::vector<Tensor<T>>& grad_outputs,
                  bool retain_graph) {
  run_backward(roots.data(), roots.size(), grad_outputs.data(), grad_outputs.size(), retain_graph);
}

#define EIGRAD_INSTANTIATE_AUTOGRAD(T)                                                                 \
  template std::shared_ptr<Node<T>> gradient_edge<T>(const Tensor<T>&);                                \
  template bool any_requires_grad<T>(std::initializer_list<const Tensor<T>*>);                         \
  template Tensor<T> record<T>(Tensor<T>, std::shared_ptr<Node<T>>, const std::vector<Tensor<T>>&);    \
  template Tensor<T> record<T>(Tensor<T>, std::shared_ptr<Node<T>>, const Tensor<T>*, std::size_t);      \
  template Tensor<T> record<T>(Tensor<T>, std::shared_ptr<Node<T>>, std::initializer_list<const Tensor<T>*>); \
  template void run_backward<T>(const std::vector<Tensor<T>>&, const std::vector<Tensor<T>>&, bool);   \
  template void run_backward<T>(const Tensor<T>*, std::size_t, const Tensor<T>*, std::size_t, bool);

EIGRAD_INSTANTIATE_AUTOGRAD(float)
EIGRAD_INSTANTIATE_AUTOGRAD(double)

}  // namespace autograd

template class Node<float>;
template class Node<double>;
template class AccumulateGrad<float>;
template class AccumulateGrad<double>;

}  // namespace eigrad
