#pragma once
/// \file distributed_sampler.hpp
/// \brief data::DistributedSampler: the indices of a dataset that one rank of a data-parallel
///        job visits, as `torch.utils.data.distributed.DistributedSampler`.
#include <cstdint>
#include <vector>

#include "eigrad/arg.hpp"

namespace eigrad::data {

/// Options of DistributedSampler (PyTorch's defaults).
struct DistributedSamplerOptions {
  /// Permute the indices, the same way on every rank, anew for each epoch.
  EIGRAD_ARG(bool, shuffle) = true;
  /// Seed of the permutation; epoch e uses seed + e, as PyTorch.
  EIGRAD_ARG(std::uint64_t, seed) = 0;
  /// Drop the tail that does not divide evenly among the ranks (instead of padding it by
  /// repeating indices from the start).
  EIGRAD_ARG(bool, drop_last) = false;
};

/// Splits the indices 0 .. dataset_size - 1 among \p num_replicas ranks deterministically:
/// every rank gets num_samples() indices, rank r the positions r, r + num_replicas, ... of the
/// (shuffled, padded or cut) index list. Gives exactly PyTorch 1.13's indices, shuffled ones
/// included: its permutation is torch.randperm's (a Fisher-Yates shuffle drawing from
/// mt19937 seeded with seed + epoch).
class DistributedSampler {
 public:
  /// The sampler of rank \p rank among \p num_replicas. ValueError for a negative size, a
  /// non-positive replica count or a rank outside [0, num_replicas).
  DistributedSampler(std::int64_t dataset_size, std::int64_t num_replicas, std::int64_t rank,
                     DistributedSamplerOptions options = {});
  /// Picks the epoch whose permutation indices() gives (call it at the start of each epoch).
  void set_epoch(std::int64_t epoch) { epoch_ = epoch; }
  /// The current epoch.
  std::int64_t epoch() const { return epoch_; }
  /// This rank's indices for the current epoch, in visiting order.
  std::vector<std::int64_t> indices() const;
  /// How many indices each rank gets.
  std::int64_t num_samples() const { return num_samples_; }
  /// num_samples() times the number of replicas: the padded or cut length of the index list.
  std::int64_t total_size() const { return num_samples_ * num_replicas_; }

 private:
  std::int64_t dataset_size_;
  std::int64_t num_replicas_;
  std::int64_t rank_;
  DistributedSamplerOptions options_;
  std::int64_t epoch_ = 0;
  std::int64_t num_samples_ = 0;
};

}  // namespace eigrad::data
