// Fuzzes the samples' --init reader (samples/common: read_init_file): every input either
// parses or throws samples::UsageError naming the file.
#include <cstdint>
#include <optional>
#include <vector>

#include "common/stage.hpp"
#include "fuzz_input.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string& path = eigrad::fuzz::write_input("init.json", data, size);
  std::optional<std::vector<int>> bounds;
  try {
    eigrad::samples::read_init_file(path, &bounds);
  } catch (const eigrad::samples::UsageError&) {
  }
  return 0;
}
