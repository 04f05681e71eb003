// Module<T>: registration, traversal with PyTorch's naming and order, training state and
// printing. Everything here is bookkeeping over tensor handles; no math.
#include "eigrad/nn/module.hpp"

#include <cxxabi.h>

#include <algorithm>
#include <cstdlib>
#include <ostream>
#include <sstream>
#include <typeinfo>
#include <unordered_set>

#include "eigrad/autograd/grad_mode.hpp"
#include "eigrad/errors.hpp"

namespace eigrad::nn {

// "eigrad::nn::Linear<float>" -> "Linear"; "(anonymous namespace)::Polynomial3" -> "Polynomial3".
std::string detail::short_type_name(const std::type_info& type) {
  int status = 0;
  char* demangled = abi::__cxa_demangle(type.name(), nullptr, nullptr, &status);
  std::string full = (status == 0 && demangled != nullptr) ? demangled : type.name();
  std::free(demangled);
  std::string flat;  // without template arguments, which may contain "::" themselves
  int depth = 0;
  for (const char c : full) {
    if (c == '<') ++depth;
    if (depth == 0) flat.push_back(c);
    if (c == '>') --depth;
  }
  const auto colon = flat.rfind("::");
  return colon == std::string::npos ? flat : flat.substr(colon + 2);
}

namespace {

// PyTorch's _addindent: every line after the first is indented by two spaces.
std::string indent_tail(const std::string& text) {
  std::string out;
  for (const char c : text) {
    out.push_back(c);
    if (c == '\n') out += "  ";
  }
  return out;
}

std::string join_name(const std::string& prefix, const std::string& name) {
  return prefix.empty() ? name : prefix + "." + name;
}

// The values of name-value pairs, in order.
template <class Value>
std::vector<Value> values_of(std::vector<std::pair<std::string, Value>> named) {
  std::vector<Value> out;
  out.reserve(named.size());
  for (auto& [name, value] : named) out.push_back(std::move(value));
  return out;
}

// Whether registering module as a child of parent would close a cycle.
template <class M>
bool contains(M& module, const M* parent) {
  const auto tree = module.modules();
  return std::find(tree.begin(), tree.end(), parent) != tree.end();
}

}  // namespace

template <class T>
Tensor<T> Module<T>::forward(const Tensor<T>& input) {
  EIGRAD_FAIL(ValueError, name(), " has no forward(input) for an input of shape ",
              input.defined() ? eigrad::to_string(input.shape()) : std::string("(undefined)"),
              "; override forward() or call the module's own call operator");
}

template <class T>
void Module<T>::check_new_name(const std::string& name, const char* what) const {
  EIGRAD_CHECK(!name.empty(), ValueError, what, " name must not be empty (in ", this->name(), ")");
  EIGRAD_CHECK(name.find('.') == std::string::npos, ValueError, what, " name '", name, "' must not contain '.' (in ",
               this->name(), ")");
  const bool taken =
      std::any_of(parameters_.begin(), parameters_.end(), [&](const auto& p) { return p.first == name; }) ||
      std::any_of(buffers_.begin(), buffers_.end(), [&](const auto& b) { return b.name == name; }) ||
      std::any_of(children_.begin(), children_.end(), [&](const auto& c) { return c.first == name; });
  EIGRAD_CHECK(!taken, ValueError, what, " name '", name, "' already exists in ", this->name());
}

template <class T>
Tensor<T> Module<T>::register_parameter(const std::string& name, Tensor<T> tensor, bool requires_grad) {
  check_new_name(name, "parameter");
  if (tensor.defined()) {
    if (!tensor.is_leaf()) tensor = tensor.detach();
    tensor.requires_grad_(requires_grad);
  }
  parameters_.emplace_back(name, tensor);
  return tensor;
}

template <class T>
Tensor<T> Module<T>::register_buffer(const std::string& name, Tensor<T> tensor, bool persistent) {
  check_new_name(name, "buffer");
  buffers_.push_back(Buffer{name, tensor, persistent});
  return tensor;
}

template <class T>
void Module<T>::register_child(const std::string& name, std::shared_ptr<Module> module) {
  check_new_name(name, "module");
  EIGRAD_CHECK(module, ValueError, "module '", name, "' registered in ", this->name(), " is null");
  EIGRAD_CHECK(!contains(*module, this), ValueError, "module '", name, "' registered in ", this->name(),
               " contains that module itself (a cycle)");
  children_.emplace_back(name, std::move(module));
}

template <class T>
void Module<T>::replace_child(const std::string& name, std::shared_ptr<Module> module) {
  const auto it = std::find_if(children_.begin(), children_.end(), [&](const auto& c) { return c.first == name; });
  EIGRAD_CHECK(it != children_.end(), ValueError, "replace_module: ", this->name(), " has no child '", name, "'");
  EIGRAD_CHECK(module, ValueError, "replace_module: module '", name, "' is null");
  EIGRAD_CHECK(!contains(*module, this), ValueError, "replace_module: module '", name, "' contains ", this->name(),
               " itself (a cycle)");
  it->second = std::move(module);
}

template <class T>
template <class Visit>
void Module<T>::visit_modules(const std::string& prefix, bool recurse, std::vector<const Module*>& seen,
                              Visit&& visit) const {
  if (std::find(seen.begin(), seen.end(), this) != seen.end()) return;
  seen.push_back(this);
  visit(prefix, *this);
  if (!recurse) return;
  for (const auto& [name, child] : children_) child->visit_modules(join_name(prefix, name), true, seen, visit);
}

template <class T>
std::vector<typename Module<T>::NamedTensor> Module<T>::named_tensors(bool recurse, bool params) const {
  std::vector<NamedTensor> out;
  std::unordered_set<const void*> tensors_seen;
  std::vector<const Module*> seen;
  visit_modules("", recurse, seen, [&](const std::string& prefix, const Module& m) {
    auto add = [&](const std::string& name, const Tensor<T>& t) {
      if (t.defined() && tensors_seen.insert(t.id()).second) out.emplace_back(join_name(prefix, name), t);
    };
    if (params)
      for (const auto& [name, t] : m.parameters_) add(name, t);
    else
      for (const auto& b : m.buffers_) add(b.name, b.tensor);
  });
  return out;
}

template <class T>
std::vector<typename Module<T>::NamedTensor> Module<T>::named_parameters(bool recurse) const {
  return named_tensors(recurse, true);
}

template <class T>
std::vector<Tensor<T>> Module<T>::parameters(bool recurse) const {
  // named_parameters()'s tensors in its order, without building the names: a training step
  // calls this (zero_grad, an update loop), and for a small model it allocates only the result.
  std::vector<Tensor<T>> all;
  std::vector<const Module*> seen;
  collect_parameters(recurse, seen, all);
  std::vector<Tensor<T>> out;
  out.reserve(all.size());
  std::unordered_set<const void*> ids;  // only for a model of many parameters
  const bool small = all.size() <= 64;
  for (const Tensor<T>& t : all) {
    const bool first = small ? std::none_of(out.begin(), out.end(), [&t](const Tensor<T>& u) { return u.id() == t.id(); })
                             : ids.insert(t.id()).second;
    if (first) out.push_back(t);
  }
  return out;
}

template <class T>
void Module<T>::collect_parameters(bool recurse, std::vector<const Module*>& seen, std::vector<Tensor<T>>& out) const {
  if (std::find(seen.begin(), seen.end(), this) != seen.end()) return;
  seen.push_back(this);
  for (const auto& named : parameters_)
    if (named.second.defined()) out.push_back(named.second);
  if (!recurse) return;
  for (const auto& [name, child] : children_) child->collect_parameters(true, seen, out);
}

template <class T>
std::vector<typename Module<T>::NamedTensor> Module<T>::named_buffers(bool recurse) const {
  return named_tensors(recurse, false);
}

template <class T>
std::vector<Tensor<T>> Module<T>::buffers(bool recurse) const {
  return values_of(named_buffers(recurse));
}

template <class T>
std::vector<std::shared_ptr<Module<T>>> Module<T>::children() const {
  return values_of(children_);
}

template <class T>
std::vector<typename Module<T>::NamedModule> Module<T>::named_children() const {
  return children_;
}

template <class T>
Module<T>& Module<T>::operator[](const std::string& name) const {
  const Module* current = this;
  std::size_t start = 0;
  while (true) {
    const std::size_t dot = name.find('.', start);
    const std::string part = name.substr(start, dot == std::string::npos ? std::string::npos : dot - start);
    const Module* next = nullptr;
    for (const auto& [child_name, child] : current->children_)
      if (child_name == part) next = child.get();
    EIGRAD_CHECK(next, ValueError, "no submodule '", name, "' in ", this->name(), " (no child '", part, "')");
    current = next;
    if (dot == std::string::npos) return const_cast<Module&>(*current);
    start = dot + 1;
  }
}

template <class T>
Module<T>& Module<T>::operator[](std::int64_t index) const {
  const auto n = static_cast<std::int64_t>(children_.size());
  const std::int64_t i = index < 0 ? index + n : index;
  EIGRAD_CHECK(i >= 0 && i < n, ValueError, "child index ", index, " out of range for ", this->name(), " with ", n,
               " children");
  return *children_[static_cast<std::size_t>(i)].second;
}

template <class T>
std::vector<std::pair<std::string, Module<T>*>> Module<T>::named_modules() {
  std::vector<std::pair<std::string, Module*>> out;
  std::vector<const Module*> seen;
  // Modules are reached from this non-const module, so casting constness away is sound.
  visit_modules("", true, seen,
                [&](const std::string& prefix, const Module& m) { out.emplace_back(prefix, const_cast<Module*>(&m)); });
  return out;
}

template <class T>
std::vector<Module<T>*> Module<T>::modules() {
  return values_of(named_modules());
}

template <class T>
std::vector<typename Module<T>::NamedTensor> Module<T>::state_dict() const {
  // As PyTorch: no de-duplication, so a shared tensor is saved under every name it has.
  std::vector<NamedTensor> out;
  std::function<void(const Module&, const std::string&)> walk = [&](const Module& m, const std::string& prefix) {
    for (const auto& [name, t] : m.parameters_)
      if (t.defined()) out.emplace_back(join_name(prefix, name), t);
    for (const auto& b : m.buffers_)
      if (b.persistent && b.tensor.defined()) out.emplace_back(join_name(prefix, b.name), b.tensor);
    for (const auto& [name, child] : m.children_) walk(*child, join_name(prefix, name));
  };
  walk(*this, "");
  return out;
}

template <class T>
void Module<T>::zero_grad(bool set_to_none) {
  for (const auto& p : parameters()) {
    if (!p.grad().defined()) continue;
    if (set_to_none) {
      p.set_grad({});
    } else {
      // Cut the gradient from any graph (create_graph) before zeroing it in place.
      Tensor<T> g = p.grad().detach();
      NoGradGuard no_grad;
      g.zero_();
      p.set_grad(g);
    }
  }
}

template <class T>
void Module<T>::train(bool on) {
  training_ = on;
  for (const auto& [name, child] : children_) child->train(on);
}

template <class T>
void Module<T>::to(const Device& device) {
  check_device_available(device);
  // Copy everything first, then swap storages: a failure leaves the module as it was.
  std::vector<std::pair<Tensor<T>, Tensor<T>>> moves;
  auto plan = [&](const Tensor<T>& t) {
    if (t.defined() && t.device() != device) moves.emplace_back(t, t.detach().to(device));
  };
  std::vector<Tensor<T>> all = parameters();
  for (const auto& b : buffers()) all.push_back(b);
  for (const auto& t : all) {
    plan(t);
    plan(t.grad());
  }
  for (const auto& [tensor, moved] : moves) tensor.set_data(moved);
}

template <class T>
Module<T>& Module<T>::apply(const std::function<void(Module&)>& fn) {
  for (const auto& [name, child] : children_) child->apply(fn);
  fn(*this);
  return *this;
}

template <class T>
std::string Module<T>::name() const {
  return detail::short_type_name(typeid(*this));
}

template <class T>
std::string Module<T>::repr() const {
  std::vector<std::string> extra_lines;
  const std::string extra = extra_repr();
  if (!extra.empty()) {
    std::istringstream lines(extra);
    for (std::string line; std::getline(lines, line);) extra_lines.push_back(line);
  }
  std::vector<std::string> child_lines;
  for (const auto& [name, child] : children_) child_lines.push_back("(" + name + "): " + indent_tail(child->repr()));
  std::string out = name() + "(";
  if (extra_lines.size() == 1 && child_lines.empty()) {
    out += extra_lines.front();
  } else if (!extra_lines.empty() || !child_lines.empty()) {
    for (const auto& l : extra_lines) out += "\n  " + l;
    for (const auto& l : child_lines) out += "\n  " + l;
    out += "\n";
  }
  return out + ")";
}

template <class T>
std::ostream& operator<<(std::ostream& os, const Module<T>& module) {
  return os << module.repr();
}

template class Module<float>;
template class Module<double>;
template std::ostream& operator<<(std::ostream&, const Module<float>&);
template std::ostream& operator<<(std::ostream&, const Module<double>&);

}  // namespace eigrad::nn
