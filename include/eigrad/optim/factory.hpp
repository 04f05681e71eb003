#pragma once
/// \file factory.hpp
/// \brief Making an optimizer from its name and PyTorch-named options, for command lines and
///        configuration files: `make_optimizer<float>("adam", params, {{"lr", 1e-2}, {"amsgrad", 1}})`.
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "eigrad/optim/optimizer.hpp"

namespace eigrad::optim {

/// The optimizer names make_optimizer() knows: "sgd", "rmsprop", "adam", "adamw", "adagrad".
std::vector<std::string> optimizer_names();

/// A new optimizer \p name (case-insensitive: "SGD" or "sgd") over one group of \p params.
/// \p options uses PyTorch's keyword names ("lr", "momentum", "dampening", "weight_decay",
/// "nesterov", "alpha", "eps", "centered", "beta1", "beta2", "amsgrad", "lr_decay",
/// "initial_accumulator_value", "maximize"; switches as 0 or 1); those absent take
/// PyTorch's defaults. ValueError for an unknown name, an option the optimizer does not
/// have, a missing "lr" for SGD, or an invalid value.
template <class T>
std::unique_ptr<Optimizer<T>> make_optimizer(const std::string& name, std::vector<Tensor<T>> params,
                                             const std::map<std::string, double>& options);

}  // namespace eigrad::optim
