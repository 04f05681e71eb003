#pragma once
// What the fuzz targets share: the input written to a file of this process (the loaders read
// files), and the models and optimizers whose state files are fuzzed.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include <unistd.h>

#include "eigrad/nn/modules/container.hpp"
#include "eigrad/nn/modules/flatten.hpp"
#include "eigrad/nn/modules/linear.hpp"

namespace eigrad::fuzz {

/// Writes \p size bytes to this process's scratch file \p name (in /dev/shm when there is
/// one) and returns its path.
inline const std::string& write_input(const char* name, const std::uint8_t* data, std::size_t size) {
  static const std::filesystem::path dir =
      std::filesystem::is_directory("/dev/shm") ? "/dev/shm" : std::filesystem::temp_directory_path();
  static std::string path;
  path = (dir / ("eigrad_fuzz_" + std::to_string(::getpid()) + "_" + name)).string();
  std::FILE* f = std::fopen(path.c_str(), "wb");
  if (f == nullptr) std::abort();
  if (size > 0 && std::fwrite(data, 1, size, f) != size) std::abort();
  std::fclose(f);
  return path;
}

/// The tutorial's model (stages 05 and 06): Linear(3, 1) then Flatten(0, 1).
inline std::shared_ptr<nn::Sequential<float>> tutorial_model() {
  return std::make_shared<nn::Sequential<float>>(nn::Linear<float>(3, 1), nn::Flatten<float>(0, 1));
}

/// Every parameter's values, to check that a failed load left them unchanged.
inline std::vector<std::vector<float>> snapshot(const nn::Module<float>& module) {
  std::vector<std::vector<float>> values;
  for (const auto& p : module.parameters()) values.push_back(p.to_vector());
  return values;
}

}  // namespace eigrad::fuzz
