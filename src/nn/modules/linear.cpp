// Linear: y = x W^T + b over the last dimension, written with recorded Tensor operations so
// autograd covers it without a hand-written backward.
#include "eigrad/nn/modules/linear.hpp"

#include <cmath>

#include "eigrad/errors.hpp"
#include "eigrad/nn/init.hpp"

namespace eigrad::nn {

template <class T>
Linear<T>::Linear(const LinearOptions& options) : options_(options) {
  EIGRAD_CHECK(options.in_features() >= 0 && options.out_features() >= 0, ValueError, "Linear: in_features ",
               options.in_features(), " and out_features ", options.out_features(), " must be non-negative");
  weight = this->register_parameter("weight", empty<T>({options.out_features(), options.in_features()}));
  bias = this->register_parameter("bias", options.bias() ? empty<T>({options.out_features()}) : Tensor<T>());
  reset_parameters();
}

template <class T>
void Linear<T>::reset_parameters() {
  // PyTorch's Linear.reset_parameters: kaiming_uniform_(a = sqrt(5)) gives the weight a
  // bound of 1/sqrt(fan_in); the bias uses the same bound.
  if (options_.in_features() == 0) {
    init::zeros_(weight);
    if (bias.defined()) init::zeros_(bias);
    return;
  }
  init::kaiming_uniform_(weight, std::sqrt(5.0));
  if (bias.defined()) {
    const double bound = 1.0 / std::sqrt(static_cast<double>(options_.in_features()));
    init::uniform_(bias, -bound, bound);
  }
}

template <class T>
Tensor<T> Linear<T>::forward(const Tensor<T>& input) {
  const std::int64_t in = options_.in_features();
  EIGRAD_CHECK(input.defined() && input.dim() > 0 && input.size(-1) == in, ShapeError, "Linear(in_features=", in,
               ", out_features=", options_.out_features(), "): input of shape ",
               input.defined() ? eigrad::to_string(input.shape()) : std::string("(undefined)"), " does not end in ", in,
               " features");
  const Tensor<T> x = input.dim() == 2 ? input : input.reshape({-1, in});
  Tensor<T> y = x.matmul(weight.t());
  if (bias.defined()) y = y + bias;
  if (input.dim() == 2) return y;
  Shape out = input.shape();
  out.back() = options_.out_features();
  return y.reshape(out);
}

template <class T>
std::string Linear<T>::extra_repr() const {
  return "in_features=" + std::to_string(options_.in_features()) +
         ", out_features=" + std::to_string(options_.out_features()) +
         ", bias=" + (options_.bias() ? "True" : "False");
}

template class Linear<float>;
template class Linear<double>;

}  // namespace eigrad::nn
