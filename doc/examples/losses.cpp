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
  // [cross entropy]
  const Tensor<float> logits{{2.0f, 0.5f, -1.0f}, {0.0f, 1.0f, 3.0f}};  // 2 samples, 3 classes
  const Tensor<float> classes{0, 2};  // class indices, held as float (see "For PyTorch users")
  nn::CrossEntropyLoss<float> cross_entropy;  // torch.nn.CrossEntropyLoss()
  nn::CrossEntropyLoss<float> smoothed(nn::CrossEntropyLossOptions().label_smoothing(0.1));
  std::cout << cross_entropy(logits, classes) << ' ' << smoothed(logits, classes) << '\n';
  // tensor(0.2056) tensor(0.3639)
  // [cross entropy]
  expect_near(cross_entropy(logits, classes).item(), 0.20557868480682373, "CrossEntropyLoss");
  expect_near(smoothed(logits, classes).item(), 0.36391204595565796, "CrossEntropyLoss(label_smoothing=0.1)");
  // [nll]
  nn::NLLLoss<float> nll;                                             // torch.nn.NLLLoss()
  nn::NLLLoss<float> nll_ignoring_2(nn::NLLLossOptions().ignore_index(2));
  const Tensor<float> log_probabilities = logits.log_softmax(1);
  std::cout << nll(log_probabilities, classes) << ' ' << nll_ignoring_2(log_probabilities, classes) << '\n';
  // tensor(0.2056) tensor(0.2413)
  // [nll]
  expect_near(nll(log_probabilities, classes).item(), 0.20557868480682373, "NLLLoss");
  expect_near(nll_ignoring_2(log_probabilities, classes).item(), 0.24131132662296295, "NLLLoss(ignore_index=2)");
  // [bce with logits]
  const Tensor<float> scores{1.5f, -0.5f, 0.0f};
  const Tensor<float> labels{1.0f, 0.0f, 1.0f};
  nn::BCEWithLogitsLoss<float> bce;  // torch.nn.BCEWithLogitsLoss()
  nn::BCEWithLogitsLoss<float> weighted(nn::BCEWithLogitsLossOptions<float>().pos_weight(Tensor<float>{2.0f}));
  std::cout << bce(scores, labels) << ' ' << weighted(scores, labels) << '\n';  // tensor(0.4562) tensor(0.7544)
  // [bce with logits]
  expect_near(bce(scores, labels).item(), 0.45621252059936523, "BCEWithLogitsLoss");
  expect_near(weighted(scores, labels).item(), 0.754399299621582, "BCEWithLogitsLoss(pos_weight=2)");
}

}  // namespace eigrad::examples
