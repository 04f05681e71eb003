// Writes the safetensors seeds of fuzz/corpus/ from eigrad itself: module checkpoints of the
// tutorial model (and of shapes that do not fit it) and each optimizer's state after two
// steps. Run from the repository root: ./build-fuzz/fuzz_make_seeds
#include <filesystem>
#include <string>

#include "eigrad/nn/checkpoint.hpp"
#include "eigrad/optim/factory.hpp"
#include "fuzz_input.hpp"

using namespace eigrad;

int main() {
  const std::filesystem::path corpus = "fuzz/corpus";
  std::filesystem::create_directories(corpus / "fuzz_module_state");
  std::filesystem::create_directories(corpus / "fuzz_optimizer_state");
  const auto model = fuzz::tutorial_model();
  nn::save(*model, (corpus / "fuzz_module_state" / "tutorial.safetensors").string(), {{"stage", "06_optim"}});
  nn::save(nn::Linear<float>(3, 1), (corpus / "fuzz_module_state" / "unnamed_linear.safetensors").string());
  nn::save(nn::Linear<double>(2, 2), (corpus / "fuzz_module_state" / "float64_2x2.safetensors").string());

  for (const auto& name : optim::optimizer_names()) {
    auto optimizer = optim::make_optimizer<float>(name, model->parameters(), {{"lr", 1e-3}});
    for (int step = 0; step < 2; ++step) {
      for (auto& p : model->parameters()) p.grad() = ones_like(p);
      optimizer->step();
    }
    optimizer->save((corpus / "fuzz_optimizer_state" / (name + ".safetensors")).string());
  }
  return 0;
}
