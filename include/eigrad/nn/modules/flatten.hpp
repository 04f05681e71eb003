#pragma once
/// \file flatten.hpp
/// \brief Flatten: merges a range of dimensions into one.
#include <cstdint>
#include <string>

#include "eigrad/nn/module.hpp"
#include "eigrad/nn/options/linear.hpp"

namespace eigrad::nn {

/// Merges dimensions start_dim .. end_dim of its input into one, as `torch.nn.Flatten`
/// (a view: no copy; recorded for autograd).
template <class T>
class Flatten : public Module<T> {
 public:
  /// A layer with \p options (PyTorch's defaults: dimensions 1 .. -1).
  explicit Flatten(const FlattenOptions& options = {}) : options_(options) {}
  /// A layer merging dimensions \p start_dim .. \p end_dim.
  Flatten(std::int64_t start_dim, std::int64_t end_dim)
      : options_(FlattenOptions().start_dim(start_dim).end_dim(end_dim)) {}
  /// input.flatten(start_dim, end_dim).
  Tensor<T> forward(const Tensor<T>& input) override {
    return input.flatten(options_.start_dim(), options_.end_dim());
  }
  /// "start_dim=0, end_dim=1".
  std::string extra_repr() const override {
    return "start_dim=" + std::to_string(options_.start_dim()) + ", end_dim=" + std::to_string(options_.end_dim());
  }
  /// The options the layer was built with.
  const FlattenOptions& options() const { return options_; }

 private:
  FlattenOptions options_;
};

}  // namespace eigrad::nn
