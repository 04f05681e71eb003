#pragma once
/// \file linear.hpp
/// \brief Linear: the affine layer y = x W^T + b.
#include <cstdint>
#include <string>

#include "eigrad/nn/module.hpp"
#include "eigrad/nn/options/linear.hpp"

namespace eigrad::nn {

/// Applies y = x W^T + b to the last dimension of its input, as `torch.nn.Linear`.
///
/// weight has shape [out_features, in_features], bias [out_features]; both start uniform in
/// ±1/√in_features, PyTorch's default (kaiming_uniform_ with a = √5 for the weight).
///
/// \snippet modules.cpp linear
template <class T>
class Linear : public Module<T> {
 public:
  /// A layer with \p options, initialised by reset_parameters().
  explicit Linear(const LinearOptions& options);
  /// A layer mapping \p in_features to \p out_features, with a bias unless \p with_bias
  /// is false.
  Linear(std::int64_t in_features, std::int64_t out_features, bool with_bias = true)
      : Linear(LinearOptions(in_features, out_features).bias(with_bias)) {}

  /// x W^T + b for an input whose last extent is in_features (rank 1 to 4); recorded for
  /// autograd. ShapeError naming the input shape and in_features otherwise.
  Tensor<T> forward(const Tensor<T>& input) override;
  /// Draws weight and bias again from PyTorch's default distribution.
  void reset_parameters();
  /// "in_features=3, out_features=1, bias=True".
  std::string extra_repr() const override;
  /// The options the layer was built with.
  const LinearOptions& options() const { return options_; }

  Tensor<T> weight;  ///< [out_features, in_features]
  Tensor<T> bias;    ///< [out_features], undefined without bias

 private:
  LinearOptions options_;
};

extern template class Linear<float>;
extern template class Linear<double>;

}  // namespace eigrad::nn
