// Fuzzes nn::load (the safetensors checkpoint reader and the module's name, dtype and shape
// checks) with the tutorial model. A load either succeeds or throws eigrad::IoError and
// leaves every parameter as it was; anything else (a crash, a sanitizer report, another
// exception, a changed parameter) is a finding.
#include <cstdint>
#include <cstdlib>

#include "eigrad/errors.hpp"
#include "eigrad/nn/checkpoint.hpp"
#include "fuzz_input.hpp"

using namespace eigrad;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string& path = fuzz::write_input("module.safetensors", data, size);
  for (const bool strict : {true, false}) {
    const auto model = fuzz::tutorial_model();
    const auto before = fuzz::snapshot(*model);
    try {
      nn::load(*model, path, strict);
    } catch (const IoError&) {
      if (fuzz::snapshot(*model) != before) std::abort();  // a failed load must change nothing
    }
  }
  return 0;
}
