// The define-by-run engine: recording nodes, and the reverse topological walk of backward().
#include <unordered_map>

#include "eigrad/autograd/grad_mode.hpp"
#include "eigrad/autograd/node.hpp"

namespace eigrad {

template <class T>
std::vector<Tensor<T>> Node<T>::apply(const Tensor<T>& grad_output) {
  if (released_)
    throw AutogradError(
        "Trying to backward through the graph a second time (node " + name() +
        "): its saved tensors were freed by the first backward(). Pass retain_graph = true to "
        "the first backward() call to backward through the graph again");
  for (std::size_t i = 0; i < saved_.size(); ++i)
    if (saved_[i].defined() && saved_[i].version() != saved_versions_[i])
      throw AutogradError("a tensor of shape " + to_string(saved_[i].shape()) + " saved by " + name() +
                          " for backward was modified in place afterwards (version " +
                          std::to_string(saved_versions_[i]) + ", now " + std::to_string(saved_[i].version()) +
                          "); compute the gradient before changing it, or change a clone()");
  return backward(grad_output);
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

template <class T>
std::vector<Tensor<T>> AccumulateGrad<T>::backward(const Tensor<T>& g) {
  Tensor<T>& grad = leaf_->grad;
  if (g.shape() != leaf_->shape)
    throw ShapeError("gradient of shape " + to_string(g.shape()) + " for a leaf of shape " +
                     to_string(leaf_->shape));
  if (!grad.defined()) {
    grad = g.detach().clone();  // own storage: g may be shared with other gradients
  } else {
    NoGradGuard no_grad;
    grad += g;
  }
  return {};
}

namespace autograd {

template <class T>
std::shared_ptr<Node<T>> gradient_edge(const Tensor<T>& t) {
  if (!t.defined() || !t.requires_grad()) return nullptr;
  const auto& impl = t.impl();
  if (impl->grad_fn) return impl->grad_fn;
  std::shared_ptr<Node<T>> acc = impl->grad_accumulator.lock();
  if (!acc) {
    acc = std::make_shared<AccumulateGrad<T>>(impl);
    impl->grad_accumulator = acc;
  }
  return acc;
}

template <class T>
bool any_requires_grad(std::initializer_list<const Tensor<T>*> inputs) {
  if (!GradMode::is_enabled()) return false;
  for (const Tensor<T>* t : inputs)
    if (t->requires_grad()) return true;
  return false;
}

template <class T>
Tensor<T> record(Tensor<T> result, std::shared_ptr<Node<T>> node, const std::vector<Tensor<T>>& inputs) {
  if (!GradMode::is_enabled()) return result;
  bool needed = false;
  for (const auto& t : inputs) needed = needed || t.requires_grad();
  if (!needed) return result;
  std::vector<std::shared_ptr<Node<T>>> next;
  next.reserve(inputs.size());
  for (const auto& t : inputs) next.push_back(gradient_edge(t));
  node->set_next(std::move(next));
  result.set_grad_fn(std::move(node));
  return result;
}

template <class T>
Tensor<T> record(Tensor<T> result, std::shared_ptr<Node<T>> node,
                 std::initializer_list<const Tensor<T>*> inputs) {
  if (!any_requires_grad<T>(inputs)) return result;
  std::vector<std::shared_ptr<Node<T>>> next;
  next.reserve(inputs.size());
  for (const Tensor<T>* t : inputs) next.push_back(gradient_edge(*t));
  node->set_next(std::move(next));
  result.set_grad_fn(std::move(node));
  return result;
}

template <class T>
void run_backward(const std::vector<Tensor<T>>& roots, const std::vector<Tensor<T>>& grad_outputs,
                  bool retain_graph) {
  NoGradGuard no_grad;  // backward formulas are not themselves recorded
  std::unordered_map<Node<T>*, int> pending;  // parents yet to deliver a gradient
  std::unordered_map<Node<T>*, Tensor<T>> grads;
  std::vector<Node<T>*> ready;

  std::vector<Node<T>*> stack;
  for (std::size_t r = 0; r < roots.size(); ++r) {
    const Tensor<T>& root = roots[r];
    if (!root.requires_grad())
      throw AutogradError("backward() on a tensor of shape " + to_string(root.shape()) +
                          " that does not require grad and has no grad_fn");
    Tensor<T> g = r < grad_outputs.size() ? grad_outputs[r] : Tensor<T>();
    if (!g.defined()) {
      if (root.numel() != 1)
        throw AutogradError("backward() without a gradient argument needs a scalar output; got shape " +
                            to_string(root.shape()) + " (pass a gradient of that shape)");
      g = ones<T>(root.shape());
    } else if (g.shape() != root.shape()) {
      throw ShapeError("backward(): gradient of shape " + to_string(g.shape()) +
                       " for an output of shape " + to_string(root.shape()));
    }
    if (!root.impl()->grad_fn) {  // a leaf: its gradient is g itself
      AccumulateGrad<T>(root.impl()).apply(g);
      continue;
    }
    Node<T>* node = root.impl()->grad_fn.get();  // kept alive by root
    auto [it, inserted] = grads.emplace(node, g);
    if (!inserted) it->second = it->second + g;
    if (pending.emplace(node, 0).second) stack.push_back(node);
  }
  // Count, for every reachable node, how many edges lead into it.
  while (!stack.empty()) {
    Node<T>* n = stack.back();
    stack.pop_back();
    for (const auto& child : n->next()) {
      if (!child) continue;
      auto [it, inserted] = pending.emplace(child.get(), 0);
      ++it->second;
      if (inserted) stack.push_back(child.get());
    }
  }
  for (const auto& [node, count] : pending)
    if (count == 0) ready.push_back(node);

  while (!ready.empty()) {
    Node<T>* n = ready.back();
    ready.pop_back();
    auto found = grads.find(n);
    Tensor<T> g = found != grads.end() ? std::move(found->second) : Tensor<T>();
    if (found != grads.end()) grads.erase(found);
    std::vector<Tensor<T>> input_grads;
    if (g.defined()) {
      if (auto out = n->retained_output.lock()) {
        if (!out->grad.defined()) out->grad = g.clone();
        else out->grad += g;
      }
      input_grads = n->apply(g);
      if (!retain_graph) n->release_saved();
    }
    const auto& next = n->next();
    for (std::size_t i = 0; i < next.size(); ++i) {
      Node<T>* child = next[i].get();
      if (!child) continue;
      if (i < input_grads.size() && input_grads[i].defined()) {
        auto [it, inserted] = grads.emplace(child, input_grads[i]);
        if (!inserted) it->second = it->second + input_grads[i];
      }
      if (--pending[child] == 0) ready.push_back(child);
    }
  }
}

#define EIGRAD_INSTANTIATE_AUTOGRAD(T)                                                                 \
  template std::shared_ptr<Node<T>> gradient_edge<T>(const Tensor<T>&);                                \
  template bool any_requires_grad<T>(std::initializer_list<const Tensor<T>*>);                         \
  template Tensor<T> record<T>(Tensor<T>, std::shared_ptr<Node<T>>, const std::vector<Tensor<T>>&);    \
  template Tensor<T> record<T>(Tensor<T>, std::shared_ptr<Node<T>>, std::initializer_list<const Tensor<T>*>); \
  template void run_backward<T>(const std::vector<Tensor<T>>&, const std::vector<Tensor<T>>&, bool);

EIGRAD_INSTANTIATE_AUTOGRAD(float)
EIGRAD_INSTANTIATE_AUTOGRAD(double)

}  // namespace autograd

template class Node<float>;
template class Node<double>;
template class AccumulateGrad<float>;
template class AccumulateGrad<double>;

}  // namespace eigrad
