#include <iostream>

#include "check.hpp"
#include "eigrad/eigrad.hpp"
#include "eigrad/nn/nn.hpp"

namespace eigrad::examples {

void loss_examples() {
  // [mse]
  const Tensor<float> input{0.5f, 2.0f, -1.0f};  // the same input and target for every loss below
  const Tensor<float> target = zeros<float>({3});
  nn::MSELoss<float> mse;                             // torch.nn.MSELoss()
  nn::MSELoss<float> mse_sum(nn::Reduction::Sum);     // torch.nn.MSELoss(reduction='sum')
  std::cout << mse(input, target) << ' ' << mse_sum(input, target) << '\n';  // tensor(1.7500) tensor(5.2500)
  // [mse]
  expect_near(mse(input, target).item(), 1.75, "MSELoss");
  expect_near(mse_sum(input, target).item(), 5.25, "MSELoss(sum)");
  // [l1]
  nn::L1Loss<float> l1;                               // torch.nn.L1Loss()
  std::cout << l1(input, target) << '\n';             // tensor(1.1667)
  // [l1]
  expect_near(l1(input, target).item(), 1.1666666, "L1Loss");
  // [huber]
  nn::HuberLoss<float> huber(nn::Reduction::Mean, /*delta=*/1.0);  // torch.nn.HuberLoss(delta=1.0)
  std::cout << huber(input, target) << '\n';                       // tensor(0.7083)
  // [huber]
  expect_near(huber(input, target).item(), 0.7083333, "HuberLoss");
  // [smooth l1]
  nn::SmoothL1Loss<float> smooth_l1(nn::Reduction::Mean, /*beta=*/0.5);  // torch.nn.SmoothL1Loss(beta=0.5)
  std::cout << smooth_l1(input, target) << '\n';                         // tensor(0.9167)
  // [smooth l1]
  expect_near(smooth_l1(input, target).item(), 0.9166666, "SmoothL1Loss");
}

}  // namespace eigrad::examples
