#include <cstdio>

#include "check.hpp"
#include "eigrad/eigrad.hpp"
#include "eigrad/nn/nn.hpp"

namespace eigrad::examples {

void checkpoint_example() {
  manual_seed(1);
  // [checkpoint]
  nn::Linear<float> model(3, 1);
  nn::save(model, "linear.safetensors");     // safetensors.torch.save_file(model.state_dict(), ...)

  nn::Linear<float> restored(3, 1);          // other random weights, until:
  nn::load(restored, "linear.safetensors");  // model.load_state_dict(safetensors.torch.load_file(...))
  // [checkpoint]
  expect_near((restored.weight - model.weight).abs().sum().item(), 0.0, "restored weight");
  expect_near((restored.bias - model.bias).abs().sum().item(), 0.0, "restored bias");
  std::remove("linear.safetensors");
}

}  // namespace eigrad::examples
