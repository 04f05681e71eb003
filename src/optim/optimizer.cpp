// Optimizer<T> base: groups, zero_grad, step, state checkpoints.
#include "eigrad/optim/optimizer.hpp"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <set>
#include <stdexcept>

#include "eigrad/autograd/grad_mode.hpp"
#include "eigrad/io/safetensors.hpp"

namespace eigrad::optim {

namespace {

constexpr const char* kFormatKey = "eigrad.optimizer";
constexpr const char* kDtypeKey = "eigrad.dtype";
constexpr const char* kGroupsKey = "param_groups";

std::string join(const std::vector<std::int64_t>& values) {
  std::string s;
  for (std::size_t i = 0; i < values.size(); ++i) {
    if (i) s += ',';
    s += std::to_string(values[i]);
  }
  return s;
}

std::string where(const std::string& path) { return "optimizer checkpoint '" + path + "': "; }

const std::string& meta_value(const std::map<std::string, std::string>& meta, const std::string& key,
                              const std::string& path) {
  auto it = meta.find(key);
  if (it == meta.end()) throw IoError(where(path) + "metadata key \"" + key + "\" is missing");
  return it->second;
}

std::int64_t parse_int(const std::string& text, const std::string& what, const std::string& path) {
  if (text.empty() || text.size() > 18 ||
      text.find_first_not_of("0123456789") != std::string::npos)
    throw IoError(where(path) + what + " is not a non-negative integer: \"" + text + "\"");
  return std::stoll(text);
}

double parse_double(const std::string& text, const std::string& what, const std::string& path) {
  const char* begin = text.c_str();
  char* end = nullptr;
  errno = 0;
  const double v = std::strtod(begin, &end);
  if (text.empty() || end != begin + text.size() || errno == ERANGE)
    throw IoError(where(path) + what + " is not a number: \"" + text + "\"");
  return v;
}

std::vector<std::int64_t> parse_list(const std::string& text, const std::string& what,
                                     const std::string& path) {
  std::vector<std::int64_t> values;
  if (text.empty()) return values;
  std::size_t start = 0;
  while (true) {
    const std::size_t comma = text.find(',', start);
    values.push_back(parse_int(text.substr(start, comma - start), what, path));
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return values;
}

}  // namespace

namespace detail {

std::string format_number(double v) {
  // The shortest of %.{1..17}g that reads back as v.
  char buf[40];
  for (int precision = 1; precision <= 17; ++precision) {
    std::snprintf(buf, sizeof buf, "%.*g", precision, v);
    if (std::strtod(buf, nullptr) == v) break;
  }
  return buf;
}

void check_non_negative(const char* who, const char* option, double v) {
  if (!(v >= 0))
    throw std::invalid_argument(std::string(who) + ": invalid " + option + " = " + format_number(v) +
                                " (must be >= 0)");
}

double option_value(const std::map<std::string, double>& values, const char* who, const char* key) {
  auto it = values.find(key);
  if (it == values.end())
    throw IoError(std::string(who) + ": option \"" + key + "\" is missing");
  return it->second;
}

}  // namespace detail

template <class T>
void Optimizer<T>::add_param_group(const ParamGroup<T>& group) {
  ParamGroup<T> added(group);
  if (!added.has_options()) added.set_options(defaults_->clone());
  validate(added.options());
  std::set<const void*> seen;
  for (const auto& g : groups_)
    for (const auto& p : g.params()) seen.insert(p.id());
  for (std::size_t i = 0; i < added.params().size(); ++i) {
    const Tensor<T>& p = added.params()[i];
    const std::string which = name() + ": parameter " + std::to_string(i) + " of group " +
                              std::to_string(groups_.size());
    if (!p.defined()) throw ValueError(which + " is an undefined tensor");
    if (!p.is_leaf()) throw ValueError(which + " is not a leaf tensor (can't optimize a non-leaf Tensor)");
    if (!seen.insert(p.id()).second)
      throw ValueError(which + " appears in more than one place in the parameter groups");
  }
  groups_.push_back(std::move(added));
  init_group(groups_.back());
}

template <class T>
std::vector<Tensor<T>> Optimizer<T>::parameters() const {
  std::vector<Tensor<T>> all;
  for (const auto& g : groups_) all.insert(all.end(), g.params().begin(), g.params().end());
  return all;
}

template <class T>
std::size_t Optimizer<T>::size() const {
  std::size_t n = 0;
  for (const auto& g : groups_) n += g.params().size();
  return n;
}

template <class T>
void Optimizer<T>::zero_grad(bool set_to_none) {
  for (auto& g : groups_) {
    for (auto& p : g.params()) {
      const Tensor<T>& grad = p.grad();
      if (!grad.defined()) continue;
      if (set_to_none) {
        p.set_grad(Tensor<T>());
      } else {
        // As PyTorch: a gradient that carries a graph (create_graph) is cut from it first.
        if (grad.grad_fn()) p.set_grad(grad.detach());
        NoGradGuard no_grad;
        p.grad().zero_();
      }
    }
  }
}

template <class T>
Tensor<T> Optimizer<T>::step(const LossClosure& closure) {
  Tensor<T> loss;
  if (closure) {
    EnableGradGuard grad_on;
    loss = closure();
  }
  NoGradGuard no_grad;
  for (auto& g : groups_) update(g);
  return loss;
}

template <class T>
const ParamState<T>* Optimizer<T>::state(const Tensor<T>& param) const {
  auto it = state_.find(param.id());
  return it == state_.end() ? nullptr : &it->second;
}

template <class T>
ParamState<T>& Optimizer<T>::mutable_state(const Tensor<T>& param) {
  return state_[param.id()];
}

template <class T>
void Optimizer<T>::check_update(const Tensor<T>& param) const {
  const Tensor<T>& grad = param.grad();
  if (!param.device().is_cpu() || !grad.device().is_cpu())
    throw DeviceError(name() + ": parameters and gradients must be on the CPU; got parameter on " +
                      param.device().str() + ", gradient on " + grad.device().str());
  if (grad.shape() != param.shape())
    throw ShapeError(name() + ": gradient of shape " + to_string(grad.shape()) +
                     " for a parameter of shape " + to_string(param.shape()));
}

template <class T>
void Optimizer<T>::save(const std::string& path) const {
  io::TensorDict tensors;
  std::map<std::string, std::string> meta;
  meta[kFormatKey] = name();
  meta[kDtypeKey] = dtype_name<T>();
  meta[kGroupsKey] = std::to_string(groups_.size());
  std::int64_t index = 0;
  for (std::size_t g = 0; g < groups_.size(); ++g) {
    const std::string prefix = std::string(kGroupsKey) + "." + std::to_string(g) + ".";
    std::vector<std::int64_t> indices;
    for (const auto& p : groups_[g].params()) {
      const std::string pi = std::to_string(index);
      indices.push_back(index++);
      meta["params." + pi + ".shape"] = join(p.shape());
      auto it = state_.find(p.id());
      if (it == state_.end()) continue;
      meta["state." + pi + ".step"] = std::to_string(it->second.step);
      for (const auto& [buffer, t] : it->second.buffers)
        if (t.defined()) tensors.emplace_back("state." + pi + "." + buffer, io::to_entry(t));
    }
    meta[prefix + "params"] = join(indices);
    for (const auto& [key, value] : groups_[g].options().values()) meta[prefix + key] = detail::format_number(value);
  }
  io::save_safetensors(path, tensors, meta);
}

template <class T>
void Optimizer<T>::load(const std::string& path) {
  std::map<std::string, std::string> meta;
  const io::TensorDict tensors = io::load_safetensors(path, &meta);

  const std::string& kind = meta_value(meta, kFormatKey, path);
  if (kind != name())
    throw ValueError(where(path) + "it holds the state of " + kind + ", not of " + name());
  const std::string& dtype = meta_value(meta, kDtypeKey, path);
  if (dtype != dtype_name<T>())
    throw ValueError(where(path) + "it holds " + dtype + " state, this optimizer is " + dtype_name<T>());
  const std::int64_t group_count = parse_int(meta_value(meta, kGroupsKey, path), "param_groups", path);
  if (group_count != static_cast<std::int64_t>(groups_.size()))
    throw ValueError(where(path) + "it holds " + std::to_string(group_count) +
                     " parameter groups, this optimizer has " + std::to_string(groups_.size()));

  // Everything is checked and built aside first; the optimizer changes only at the end.
  const std::vector<Tensor<T>> params = parameters();
  std::vector<std::unique_ptr<OptimizerOptions>> new_options;
  std::int64_t index = 0;
  for (std::size_t g = 0; g < groups_.size(); ++g) {
    const std::string prefix = std::string(kGroupsKey) + "." + std::to_string(g) + ".";
    const auto indices = parse_list(meta_value(meta, prefix + "params", path), prefix + "params", path);
    if (indices.size() != groups_[g].params().size())
      throw ValueError(where(path) + "group " + std::to_string(g) + " holds " +
                       std::to_string(indices.size()) + " parameters, this optimizer's has " +
                       std::to_string(groups_[g].params().size()));
    for (std::int64_t i : indices) {
      if (i != index)
        throw IoError(where(path) + prefix + "params lists index " + std::to_string(i) +
                      " where " + std::to_string(index) + " was expected");
      const std::string key = "params." + std::to_string(i) + ".shape";
      const auto stored = parse_list(meta_value(meta, key, path), key, path);
      const Shape& shape = params[static_cast<std::size_t>(i)].shape();
      if (Shape(stored.begin(), stored.end()) != shape)
        throw ShapeError(where(path) + "parameter " + std::to_string(i) + " has shape " +
                         to_string(Shape(stored.begin(), stored.end())) + " in the file, " +
                         to_string(shape) + " in this optimizer");
      ++index;
    }
    std::map<std::string, double> values;
    const auto names = groups_[g].options().values();
    for (const auto& [option, current] : names) {
      (void)current;
      values[option] = parse_double(meta_value(meta, prefix + option, path), prefix + option, path);
    }
    auto options = groups_[g].options().clone();
    options->set_values(values);
    validate(*options);
    new_options.push_back(std::move(options));
  }

  std::unordered_map<const void*, ParamState<T>> new_state;
  const auto allowed = buffer_names();
  for (const auto& [key, value] : meta) {
    if (key.rfind("state.", 0) != 0) continue;
    const std::size_t dot = key.find('.', 6);
    if (dot == std::string::npos || key.substr(dot + 1) != "step")
      throw IoError(where(path) + "unexpected metadata key \"" + key + "\"");
    const std::int64_t i = parse_int(key.substr(6, dot - 6), "the index in \"" + key + "\"", path);
    if (i >= index)
      throw ValueError(where(path) + "state for parameter " + std::to_string(i) +
                       ", this optimizer has " + std::to_string(index) + " parameters");
    new_state[params[static_cast<std::size_t>(i)].id()].step = parse_int(value, key, path);
  }
  for (const auto& [key, entry] : tensors) {
    const std::size_t dot = key.find('.', 6);
    if (key.rfind("state.", 0) != 0 || dot == std::string::npos)
      throw IoError(where(path) + "unexpected tensor \"" + key + "\"");
    const std::int64_t i = parse_int(key.substr(6, dot - 6), "the index in \"" + key + "\"", path);
    const std::string buffer = key.substr(dot + 1);
    if (std::find(allowed.begin(), allowed.end(), buffer) == allowed.end())
      throw IoError(where(path) + "tensor \"" + key + "\": " + name() + " keeps no buffer named \"" +
                    buffer + "\"");
    if (i >= index)
      throw ValueError(where(path) + "tensor \"" + key + "\" is for parameter " + std::to_string(i) +
                       ", this optimizer has " + std::to_string(index) + " parameters");
    const Tensor<T>& param = params[static_cast<std::size_t>(i)];
    auto it = new_state.find(param.id());
    if (it == new_state.end())
      throw IoError(where(path) + "tensor \"" + key + "\" has no step count \"state." +
                    std::to_string(i) + ".step\"");
    Tensor<T> t = io::from_entry<T>(entry);
    if (t.shape() != param.shape())
      throw ShapeError(where(path) + "tensor \"" + key + "\" has shape " + to_string(t.shape()) +
                       ", its parameter " + to_string(param.shape()));
    it->second.buffers[buffer] = t;
  }

  for (std::size_t g = 0; g < groups_.size(); ++g) groups_[g].set_options(std::move(new_options[g]));
  state_ = std::move(new_state);
}

template class Optimizer<float>;
template class Optimizer<double>;

}  // namespace eigrad::optim
