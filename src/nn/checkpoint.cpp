// Module checkpoints: state_dict() <-> safetensors. Loading is two-phase (validate every
// entry, then copy) so a bad file can never leave a module half-loaded.
#include "eigrad/nn/checkpoint.hpp"

#include <map>
#include <set>

#include "eigrad/errors.hpp"
#include "eigrad/io/safetensors.hpp"

namespace eigrad::nn {
namespace {

std::string join(const std::vector<std::string>& parts, const char* separator) {
  std::string out;
  for (std::size_t i = 0; i < parts.size(); ++i) out += (i ? separator : "") + parts[i];
  return out;
}

}  // namespace

template <class T>
void save(const Module<T>& module, const std::string& path, const std::map<std::string, std::string>& metadata) {
  io::TensorDict dict;
  std::set<std::string> names;
  for (const auto& [name, tensor] : module.state_dict())
    if (names.insert(name).second) dict.emplace_back(name, io::to_entry(tensor));
  std::map<std::string, std::string> meta = metadata;
  meta.emplace("format", "pt");
  io::save_safetensors(path, dict, meta);
}

template <class T>
LoadResult load(Module<T>& module, const std::string& path, bool strict) {
  const io::TensorDict dict = io::load_safetensors(path);
  const auto state = module.state_dict();
  // By name, so a file of many entries costs n log n, not one scan of it per module tensor.
  std::map<std::string, const io::TensorEntry*> by_name;
  for (const auto& [name, entry] : dict) by_name.emplace(name, &entry);

  LoadResult result;
  std::vector<std::string> faults;
  std::set<std::string> wanted;
  std::vector<std::pair<const io::TensorEntry*, Tensor<T>>> copies;
  for (const auto& [name, tensor] : state) {
    wanted.insert(name);
    const auto found = by_name.find(name);
    if (found == by_name.end()) {
      result.missing_keys.push_back(name);
      continue;
    }
    const io::TensorEntry* entry = found->second;
    if (entry->dtype != io::dtype_tag<T>()) {
      faults.push_back("'" + name + "' has dtype " + entry->dtype + " in the file but the module holds " +
                       dtype_name<T>() + " (" + io::dtype_tag<T>() + ")");
      continue;
    }
    if (entry->shape != tensor.shape()) {
      faults.push_back("'" + name + "' has shape " + eigrad::to_string(entry->shape) + " in the file but " +
                       eigrad::to_string(tensor.shape()) + " in the module");
      continue;
    }
    copies.emplace_back(entry, tensor);
  }
  for (const auto& [name, entry] : dict)
    if (wanted.count(name) == 0) result.unexpected_keys.push_back(name);
  if (strict) {
    for (const auto& name : result.missing_keys) faults.push_back("missing '" + name + "'");
    for (const auto& name : result.unexpected_keys) faults.push_back("unexpected '" + name + "'");
  }
  EIGRAD_CHECK(faults.empty(), IoError, "checkpoint '", path, "' does not fit ", module.name(), ": ",
               join(faults, "; "));
  for (auto& [entry, tensor] : copies) io::copy_entry_into(*entry, tensor);
  return result;
}

template void save<float>(const Module<float>&, const std::string&, const std::map<std::string, std::string>&);
template void save<double>(const Module<double>&, const std::string&, const std::map<std::string, std::string>&);
template LoadResult load<float>(Module<float>&, const std::string&, bool);
template LoadResult load<double>(Module<double>&, const std::string&, bool);

}  // namespace eigrad::nn
