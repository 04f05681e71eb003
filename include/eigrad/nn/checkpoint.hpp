#pragma once
/// \file checkpoint.hpp
/// \brief Saving and loading a module's state_dict() as a safetensors file, the format
///        PyTorch (`safetensors.torch.save_file` / `load_file`) and NumPy users read and write.
#include <map>
#include <string>
#include <vector>

#include "eigrad/nn/module.hpp"

namespace eigrad::nn {

/// The names load() could not match, when it ran with strict = false.
struct LoadResult {
  std::vector<std::string> missing_keys;     ///< in the module, not in the file (left as they were)
  std::vector<std::string> unexpected_keys;  ///< in the file, not in the module (ignored)
};

/// Writes \p module's state_dict() (parameters and persistent buffers under their dotted
/// names) to \p path, atomically: a failed save leaves any previous file at \p path intact
/// and no temporary file behind (see io::save_safetensors, also for symbolic links, file
/// permissions and read-only files). \p metadata goes to the file's "__metadata__" (with
/// "format": "pt" unless given, as PyTorch's writer marks its files). Throws IoError.
///
/// \snippet checkpoint.cpp checkpoint
template <class T>
void save(const Module<T>& module, const std::string& path, const std::map<std::string, std::string>& metadata = {});

/// Loads \p path into \p module's parameters and buffers.
///
/// Validates everything before changing anything: the file itself (see
/// io::load_safetensors), then every name's dtype and shape against the module, and, when
/// \p strict, that no name is missing from the file and no name in it is unexpected. On any
/// fault it throws IoError listing every fault, and the module's values are untouched.
/// Values are copied into the existing tensors (no autograd recording), so every handle to
/// them, e.g. an optimizer's, sees the loaded values.
template <class T>
LoadResult load(Module<T>& module, const std::string& path, bool strict = true);

}  // namespace eigrad::nn
