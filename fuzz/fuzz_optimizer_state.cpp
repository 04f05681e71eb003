// Fuzzes Optimizer::load (optimizer state files: safetensors with the options and step
// counts in the metadata) for each of the five optimizers over the tutorial model. A load
// either succeeds or throws the typed error Optimizer::load documents (IoError, ValueError,
// ShapeError); a step after it must not crash.
#include <cstdint>
#include <cstdlib>

#include "eigrad/errors.hpp"
#include "eigrad/optim/factory.hpp"
#include "eigrad/optim/optimizer.hpp"
#include "fuzz_input.hpp"

using namespace eigrad;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string& path = fuzz::write_input("optimizer.safetensors", data, size);
  for (const auto& name : optim::optimizer_names()) {
    const auto model = fuzz::tutorial_model();
    auto optimizer = optim::make_optimizer<float>(name, model->parameters(), {{"lr", 1e-3}});
    try {
      optimizer->load(path);
    } catch (const IoError&) {  // unreadable or malformed
      continue;
    } catch (const ValueError&) {  // the state of another optimizer kind or dtype, other groups
      continue;
    } catch (const ShapeError&) {  // a buffer of another shape
      continue;
    }
    for (auto& p : model->parameters()) p.grad() = ones_like(p);
    try {
      optimizer->step();  // a loaded state must be usable
    } catch (const ValueError&) {
      // options out of range for a step (a negative lr read from the file) are refused there
    }
  }
  return 0;
}
