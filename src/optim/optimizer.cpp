// Optimizer<T> base: groups, zero_grad, step, state checkpoints.
#include "eigrad/optim/optimizer.hpp"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <set>

#include "eigrad/autograd/grad_mode.hpp"
#include "eigrad/io/safetensors.hpp"

namespace eigrad::optim {

namespace {

constexpr const char* kFormatKey = "eigrad.optimizer";
constexpr const char* kDtypeKey = "eigrad.dtype";
constexpr const char* kGroupsKey = "param_groups";
// Metadata key, after "param_groups.<g>.", of the group's initial_lr (only when it has one).
constexpr const char* kInitialLrKey = "initial_lr";

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
  EIGRAD_CHECK(it != meta.end(), IoError, where(path), "metadata key \"", key, "\" is missing");
  return it->second;
}

std::int64_t parse_int(const std::string& text, const std::string& what, const std::string& path) {
  EIGRAD_CHECK(!text.empty() && text.size() <= 18 && text.find_first_not_of("0123456789") == std::string::npos,
               IoError, where(path), what, " is not a non-negative integer: \"", text, "\"");
  return std::stoll(text);
}

// Whether `text` has the form detail::format_number writes (printf's %g): [-]digits[.digits]
// [e(+|-)digits], or [-]inf / [-]nan. strtod alone also takes leading spaces, hexadecimal,
// "infinity", ...
bool is_saved_number(const std::string& text) {
  std::size_t i = text.rfind('-', 0) == 0 ? 1 : 0;
  if (text.compare(i, std::string::npos, "inf") == 0 || text.compare(i, std::string::npos, "nan") == 0) return true;
  auto digits = [&] {
    const std::size_t start = i;
    while (i < text.size() && text[i] >= '0' && text[i] <= '9') ++i;
    return i > start;
  };
  if (!digits()) return false;
  if (i < text.size() && text[i] == '.' && (++i, !digits())) return false;
  if (i < text.size() && text[i] == 'e') {
    ++i;
    if (i == text.size() || (text[i] != '+' && text[i] != '-')) return false;
    ++i;
    if (!digits()) return false;
  }
  return i == text.size();
}

double parse_double(const std::string& text, const std::string& what, const std::string& path) {
  bool ok = is_saved_number(text);
  double v = 0;
  if (ok) {
    errno = 0;
    v = std::strtod(text.c_str(), nullptr);
    ok = errno != ERANGE;
  }
  EIGRAD_CHECK(ok, IoError, where(path), what, " is not a number: \"", text, "\"");
  return v;
}

// A switch as save() writes it: exactly "0" or "1".
double parse_switch(const std::string& text, const std::string& what, const std::string& path) {
  EIGRAD_CHECK(text == "0" || text == "1", IoError, where(path), what, " is a switch: must be 0 or 1, got \"", text,
               "\"");
  return text == "1" ? 1 : 0;
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

double option_value(const std::map<std::string, double>& values, const char* who, const char* key) {
  auto it = values.find(key);
  EIGRAD_CHECK(it != values.end(), IoError, who, ": option \"", key, "\" is missing");
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
    EIGRAD_CHECK(p.defined(), ValueError, which, " is an undefined tensor");
    EIGRAD_CHECK(p.is_leaf(), ValueError, which, " is not a leaf tensor (can't optimize a non-leaf Tensor)");
    EIGRAD_CHECK(seen.insert(p.id()).second, ValueError, which,
                 " appears in more than one place in the parameter groups");
  }
  groups_.push_back(std::move(added));
  init_group(groups_.back());
}

template <class T>
void Optimizer<T>::add_param_groups(const std::vector<ParamGroup<T>>& groups) {
  validate(*defaults_);
  const bool any = std::any_of(groups.begin(), groups.end(), [](const ParamGroup<T>& g) { return !g.params().empty(); });
  EIGRAD_CHECK(any, ValueError, name(), ": optimizer got an empty parameter list");
  for (const auto& g : groups) add_param_group(g);
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
void Optimizer<T>::check_gradient(const Tensor<T>& param) const {
  const Tensor<T>& grad = param.grad();
  EIGRAD_CHECK(grad.device() == param.device(), DeviceError, name(), ": the gradient of a parameter on ",
               param.device().str(), " lives on ", grad.device().str());
  EIGRAD_CHECK(grad.shape() == param.shape(), ShapeError, name(), ": gradient of shape ", to_string(grad.shape()),
               " for a parameter of shape ", to_string(param.shape()));
}

template <class T>
Tensor<T>& Optimizer<T>::buffer_on_device(ParamState<T>& state, const std::string& name, const Tensor<T>& param,
                                          bool* created) {
  Tensor<T>& buffer = state.buffers[name];
  if (created) *created = !buffer.defined();
  if (!buffer.defined())
    buffer = zeros<T>(param.shape(), TensorOptions(param.device()));
  else if (buffer.device() != param.device())
    buffer = buffer.to(param.device());
  return buffer;
}

template <class T>
void Optimizer<T>::gradient_for_update(const Tensor<T>& param, bool maximize, double weight_decay,
                                       std::vector<T>& g) const {
  const Tensor<T>& grad = param.grad();
  EIGRAD_CHECK(param.device().is_cpu() && grad.device().is_cpu(), DeviceError, name(),
               ": parameters and gradients must be on the CPU; got parameter on ", param.device().str(),
               ", gradient on ", grad.device().str());
  EIGRAD_CHECK(grad.shape() == param.shape(), ShapeError, name(), ": gradient of shape ", to_string(grad.shape()),
               " for a parameter of shape ", to_string(param.shape()));
  const std::int64_t n = param.numel();
  g.assign(grad.data(), grad.data() + n);
  if (maximize)
    for (auto& v : g) v = -v;
  if (weight_decay != 0) {
    const T decay = static_cast<T>(weight_decay);
    const T* p = param.data();
    for (std::int64_t i = 0; i < n; ++i) g[i] = g[i] + decay * p[i];
  }
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
    if (groups_[g].initial_lr()) meta[prefix + kInitialLrKey] = detail::format_number(*groups_[g].initial_lr());
  }
  io::save_safetensors(path, tensors, meta);
}

template <class T>
void Optimizer<T>::load(const std::string& path) {
  std::map<std::string, std::string> meta;
  const io::TensorDict tensors = io::load_safetensors(path, &meta);

  const std::string& kind = meta_value(meta, kFormatKey, path);
  EIGRAD_CHECK(kind == name(), ValueError, where(path), "it holds the state of ", kind, ", not of ", name());
  const std::string& dtype = meta_value(meta, kDtypeKey, path);
  EIGRAD_CHECK(dtype == dtype_name<T>(), ValueError, where(path), "it holds ", dtype, " state, this optimizer is ",
               dtype_name<T>());
  const std::int64_t group_count = parse_int(meta_value(meta, kGroupsKey, path), "param_groups", path);
  EIGRAD_CHECK(group_count == static_cast<std::int64_t>(groups_.size()), ValueError, where(path), "it holds ",
               group_count, " parameter groups, this optimizer has ", groups_.size());

  // Everything is checked and built aside first; the optimizer changes only at the end.
  const std::vector<Tensor<T>> params = parameters();
  std::vector<std::unique_ptr<OptimizerOptions>> new_options;
  std::vector<std::optional<double>> new_initial_lrs;
  std::int64_t index = 0;
  for (std::size_t g = 0; g < groups_.size(); ++g) {
    const std::string prefix = std::string(kGroupsKey) + "." + std::to_string(g) + ".";
    const auto indices = parse_list(meta_value(meta, prefix + "params", path), prefix + "params", path);
    EIGRAD_CHECK(indices.size() == groups_[g].params().size(), ValueError, where(path), "group ", g, " holds ",
                 indices.size(), " parameters, this optimizer's has ", groups_[g].params().size());
    for (std::int64_t i : indices) {
      EIGRAD_CHECK(i == index, IoError, where(path), prefix, "params lists index ", i, " where ", index,
                   " was expected");
      const std::string key = "params." + std::to_string(i) + ".shape";
      const auto stored = parse_list(meta_value(meta, key, path), key, path);
      const Shape& shape = params[static_cast<std::size_t>(i)].shape();
      EIGRAD_CHECK(Shape(stored.begin(), stored.end()) == shape, ShapeError, where(path), "parameter ", i,
                   " has shape ", to_string(Shape(stored.begin(), stored.end())), " in the file, ", to_string(shape),
                   " in this optimizer");
      ++index;
    }
    const OptimizerOptions& current = groups_[g].options();
    std::map<std::string, double> values;
    for (const auto& [option, value] : current.values()) {
      (void)value;
      const std::string key = prefix + option;
      const std::string& text = meta_value(meta, key, path);
      values[option] = current.is_switch(option) ? parse_switch(text, key, path) : parse_double(text, key, path);
    }
    new_options.push_back(validated_options(current, values, prefix, path));
    const auto initial_lr = meta.find(prefix + kInitialLrKey);
    if (initial_lr == meta.end()) {
      new_initial_lrs.push_back(std::nullopt);
    } else {
      const double lr = parse_double(initial_lr->second, initial_lr->first, path);
      EIGRAD_CHECK(lr >= 0, IoError, where(path), initial_lr->first, " = ", initial_lr->second, " (must be >= 0)");
      new_initial_lrs.push_back(lr);
    }
  }

  std::unordered_map<const void*, ParamState<T>> new_state;
  const auto allowed = buffer_names();
  for (const auto& [key, value] : meta) {
    if (key.rfind("state.", 0) != 0) continue;
    const std::size_t dot = key.find('.', 6);
    EIGRAD_CHECK(dot != std::string::npos && key.substr(dot + 1) == "step", IoError, where(path),
                 "unexpected metadata key \"", key, "\"");
    const std::int64_t i = parse_int(key.substr(6, dot - 6), "the index in \"" + key + "\"", path);
    EIGRAD_CHECK(i < index, ValueError, where(path), "state for parameter ", i, ", this optimizer has ", index,
                 " parameters");
    new_state[params[static_cast<std::size_t>(i)].id()].step = parse_int(value, key, path);
  }
  for (const auto& [key, entry] : tensors) {
    const std::size_t dot = key.find('.', 6);
    EIGRAD_CHECK(key.rfind("state.", 0) == 0 && dot != std::string::npos, IoError, where(path),
                 "unexpected tensor \"", key, "\"");
    const std::int64_t i = parse_int(key.substr(6, dot - 6), "the index in \"" + key + "\"", path);
    const std::string buffer = key.substr(dot + 1);
    EIGRAD_CHECK(std::find(allowed.begin(), allowed.end(), buffer) != allowed.end(), IoError, where(path),
                 "tensor \"", key, "\": ", name(), " keeps no buffer named \"", buffer, "\"");
    EIGRAD_CHECK(i < index, ValueError, where(path), "tensor \"", key, "\" is for parameter ", i,
                 ", this optimizer has ", index, " parameters");
    const Tensor<T>& param = params[static_cast<std::size_t>(i)];
    auto it = new_state.find(param.id());
    EIGRAD_CHECK(it != new_state.end(), IoError, where(path), "tensor \"", key, "\" has no step count \"state.",
                 i, ".step\"");
    EIGRAD_CHECK(entry.dtype == io::dtype_tag<T>(), IoError, where(path), "tensor \"", key, "\" holds ",
                 entry.dtype, ", this optimizer's state is ", io::dtype_tag<T>());
    Tensor<T> t = io::from_entry<T>(entry);
    EIGRAD_CHECK(t.shape() == param.shape(), ShapeError, where(path), "tensor \"", key, "\" has shape ",
                 to_string(t.shape()), ", its parameter ", to_string(param.shape()));
    // A checkpoint holds host data; the state lives where its parameter does.
    it->second.buffers[buffer] = param.device().is_cpu() ? t : t.to(param.device());
  }

  for (std::size_t g = 0; g < groups_.size(); ++g) {
    groups_[g].set_options(std::move(new_options[g]));
    groups_[g].set_initial_lr(new_initial_lrs[g]);
  }
  state_ = std::move(new_state);
}

template <class T>
std::unique_ptr<OptimizerOptions> Optimizer<T>::validated_options(const OptimizerOptions& current,
                                                                  const std::map<std::string, double>& values,
                                                                  const std::string& prefix,
                                                                  const std::string& path) const {
  auto with = [&](const std::map<std::string, double>& v) {
    auto options = current.clone();
    options->set_values(v);
    return options;
  };
  auto options = with(values);
  try {
    validate(*options);
  } catch (const ValueError& e) {
    // The key to name: the first option that alone, put into the (valid) current options,
    // makes them invalid; the group when only a combination is.
    std::string culprit = prefix.substr(0, prefix.size() - 1);
    std::map<std::string, double> current_values;
    for (const auto& [option, value] : current.values()) current_values[option] = value;
    for (const auto& [option, value] : values) {
      auto single = current_values;
      single[option] = value;
      try {
        validate(*with(single));
      } catch (const ValueError&) {
        culprit = prefix + option;
        break;
      }
    }
    EIGRAD_FAIL(IoError, where(path), culprit, ": ", e.what());
  }
  return options;
}

template class Optimizer<float>;
template class Optimizer<double>;

}  // namespace eigrad::optim
