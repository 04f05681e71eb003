#include <iostream>

#include "check.hpp"
#include "eigrad/eigrad.hpp"

namespace eigrad::examples {

void tensor_example() {
  // [tensor]
  using namespace eigrad;
  Tensor<float> x = linspace<float>(-1, 1, 5);  // torch.linspace(-1, 1, 5)
  Tensor<float> w = full<float>({}, 2.0f, TensorOptions().requires_grad(true));
  Tensor<float> loss = (w * x - x.pow(2)).pow(2).sum();
  loss.backward();                      // fills w.grad() with d loss / d w
  std::cout << x << '\n' << w.grad() << '\n';
  // tensor([-1.0000, -0.5000,  0.0000,  0.5000,  1.0000])
  // tensor(10.)
  // [tensor]
  expect_near(w.grad().item(), 10.0, "d loss / d w");
}

}  // namespace eigrad::examples
