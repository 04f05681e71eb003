#include "eigrad/data/distributed_sampler.hpp"

#include <numeric>
#include <random>
#include <string>
#include <utility>

#include "eigrad/errors.hpp"

namespace eigrad::data {

DistributedSampler::DistributedSampler(std::int64_t dataset_size, std::int64_t num_replicas, std::int64_t rank,
                                       DistributedSamplerOptions options)
    : dataset_size_(dataset_size), num_replicas_(num_replicas), rank_(rank), options_(options) {
  EIGRAD_CHECK(dataset_size >= 0, ValueError, "DistributedSampler: negative dataset size ", std::to_string(dataset_size));
  EIGRAD_CHECK(num_replicas > 0, ValueError, "DistributedSampler: num_replicas must be positive, got ",
               std::to_string(num_replicas));
  EIGRAD_CHECK(rank >= 0 && rank < num_replicas, ValueError, "Invalid rank ", std::to_string(rank),
               ", rank should be in the interval [0, ", std::to_string(num_replicas - 1), "]");
  // PyTorch: with drop_last, ceil((len - replicas) / replicas) when the split is uneven.
  if (options_.drop_last() && dataset_size % num_replicas != 0) {
    num_samples_ = (dataset_size - num_replicas + num_replicas - 1) / num_replicas;
    if (num_samples_ < 0) num_samples_ = 0;
  } else {
    num_samples_ = (dataset_size + num_replicas - 1) / num_replicas;
  }
}

std::vector<std::int64_t> DistributedSampler::indices() const {
  std::vector<std::int64_t> order(static_cast<std::size_t>(dataset_size_));
  std::iota(order.begin(), order.end(), std::int64_t{0});
  if (options_.shuffle()) {
    // torch.randperm on the CPU: mt19937 seeded with the seed's low 32 bits, z = draw % (n - i).
    std::mt19937 engine(static_cast<std::uint32_t>(options_.seed() + static_cast<std::uint64_t>(epoch_)));
    for (std::int64_t i = 0; i + 1 < dataset_size_; ++i) {
      const auto z = static_cast<std::int64_t>(engine() % static_cast<std::uint64_t>(dataset_size_ - i));
      std::swap(order[static_cast<std::size_t>(i)], order[static_cast<std::size_t>(i + z)]);
    }
  }
  const std::int64_t total = total_size();
  if (dataset_size_ > 0) {
    // Padding repeats the list from its start, as often as needed.
    for (std::int64_t i = dataset_size_; i < total; ++i) order.push_back(order[static_cast<std::size_t>(i % dataset_size_)]);
  }
  order.resize(static_cast<std::size_t>(total));
  std::vector<std::int64_t> mine;
  mine.reserve(static_cast<std::size_t>(num_samples_));
  for (std::int64_t i = rank_; i < total; i += num_replicas_) mine.push_back(order[static_cast<std::size_t>(i)]);
  return mine;
}

}  // namespace eigrad::data
