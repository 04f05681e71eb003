#pragma once
/// \file distributed.hpp
/// \brief The data-parallel stage (samples/10_distributed.cpp): its training function and
///        defaults, and picking one rank's rows of the data.
#include <cstdint>
#include <iosfwd>
#include <vector>

#include "common/stage.hpp"
#include "eigrad/tensor.hpp"

namespace eigrad::samples {

/// 10_distributed: 06_optim's model, loss and optimizer with the points split across the
/// ranks of the default process group (init_process_group() first) by a DistributedSampler,
/// the loss summed over every rank's points and the gradients summed by
/// DistributedDataParallel, so every rank takes the single-process run's steps.
StageRun run_distributed(const StageOptions& opts, std::ostream& out);
/// 10_distributed's defaults: 06_optim's (RMSprop, lr 1e-3, optimizer flags on).
StageDefaults defaults_distributed();

/// Rows \p rows of \p data along its first dimension, in that order (on the CPU).
template <class T>
Tensor<T> select_rows(const Tensor<T>& data, const std::vector<std::int64_t>& rows) {
  const std::vector<T> all = data.to(Device::cpu()).to_vector();
  const std::int64_t row_size = data.size(0) == 0 ? 0 : data.numel() / data.size(0);
  std::vector<T> picked;
  picked.reserve(rows.size() * static_cast<std::size_t>(row_size));
  for (std::int64_t row : rows) {
    const auto first = all.begin() + row * row_size;
    picked.insert(picked.end(), first, first + row_size);
  }
  Shape shape = data.shape();
  shape[0] = static_cast<std::int64_t>(rows.size());
  return from_vector<T>(picked, shape, TensorOptions(data.device()));
}

}  // namespace eigrad::samples
