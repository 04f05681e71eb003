#include <iostream>
#include <vector>

#include "check.hpp"
#include "eigrad/eigrad.hpp"

namespace eigrad::examples {

namespace {

// [function]
/// y = x^3 with a backward of its own: grad_input = grad_output * 3 x^2.
struct Cube : autograd::Function<Cube> {
  template <class T>
  static Tensor<T> forward(autograd::AutogradContext<T>& ctx, const Tensor<T>& x) {
    ctx.save_for_backward({x});  // what backward will need
    return x * x * x;
  }
  template <class T>
  static std::vector<Tensor<T>> backward(autograd::AutogradContext<T>& ctx, const std::vector<Tensor<T>>& grad_outputs) {
    const Tensor<T>& x = ctx.get_saved_variables()[0];
    return {grad_outputs[0] * 3 * x * x};  // one gradient per tensor argument of forward
  }
};
// [function]

}  // namespace

void function_examples() {
  // [function use]
  Tensor<double> x = from_vector<double>({1.0, 2.0}, {2}, TensorOptions().requires_grad(true));
  Cube::apply(x).sum().backward();  // Cube.apply(x) in PyTorch
  std::cout << x.grad() << '\n';    // tensor([ 3., 12.], dtype=torch.float64)
  // [function use]
  expect_near(x.grad().to_vector()[1], 12.0, "Cube's gradient");

  // [gradcheck]
  // Cube's backward against central finite differences (torch.autograd.gradcheck).
  const autograd::GradcheckResult result =
      autograd::gradcheck([](const std::vector<Tensor<double>>& inputs) { return Cube::apply(inputs[0]); }, {x});
  std::cout << result << '\n';  // result.ok is true; the message names the worst entry
  // [gradcheck]
  EIGRAD_CHECK(result.ok, ValueError, "gradcheck of Cube failed: ", result.message);
}

}  // namespace eigrad::examples
