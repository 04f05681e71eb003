#include <iostream>
#include <string>

#include "check.hpp"
#include "eigrad/eigrad.hpp"
#include "eigrad/nn/nn.hpp"

namespace eigrad::examples {

namespace {

// [module]
/// y = scale * x + shift, with two trained scalars: a Module of one's own.
template <class T>
class Affine : public nn::Module<T> {
 public:
  Affine() {
    scale = this->register_parameter("scale", ones<T>({}));
    shift = this->register_parameter("shift", zeros<T>({}));
  }
  Tensor<T> forward(const Tensor<T>& x) override { return scale * x + shift; }

  Tensor<T> scale, shift;
};
// [module]

}  // namespace

void module_examples() {
  {
    // [module use]
    Affine<float> affine;
    for (const auto& [name, parameter] : affine.named_parameters()) std::cout << name << ' ';
    std::cout << '\n';  // scale shift
    Tensor<float> y = affine(Tensor<float>{1, 2, 3});
    // [module use]
    expect_near(y.sum().item(), 6.0, "Affine's output");
  }
  {
    // [linear]
    manual_seed(0);
    nn::Linear<float> linear(3, 2);  // weight [2, 3], bias [2]; torch.nn.Linear(3, 2)
    Tensor<float> x = ones<float>({4, 3});
    Tensor<float> y = linear(x);     // x W^T + b: shape [4, 2]
    std::cout << to_string(y.sizes()) << '\n';  // [4, 2]
    // [linear]
    expect_near(static_cast<double>(y.size(0) * 10 + y.size(1)), 42.0, "Linear's output shape");
  }
  {
    // [sequential]
    nn::Sequential<double> model(nn::Linear<double>(3, 1), nn::Flatten<double>(0, 1));
    nn::Linear<double>& linear = model.at<nn::Linear<double>>(0);  // model[0] in PyTorch
    {
      NoGradGuard no_grad;
      linear.weight.copy_(from_vector<double>({1, 2, 3}, {1, 3}));
      linear.bias.fill_(0.5);
    }
    Tensor<double> y = model(ones<double>({2, 3}));  // [2, 1], then flattened to [2]
    std::cout << model << '\n';  // Sequential(\n  (0): Linear(in_features=3, ...)\n  (1): Flatten(...)\n)
    // [sequential]
    expect_near(y.sum().item(), 13.0, "Sequential's output");
  }
}

}  // namespace eigrad::examples
