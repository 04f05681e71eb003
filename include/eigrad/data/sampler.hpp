#pragma once
/// \file data/sampler.hpp
/// \brief Samplers: the order in which a DataLoader visits a dataset's examples, one epoch at
///        a time. A sampler of your own (a distributed one, a weighted one) derives from
///        Sampler and is handed to the DataLoader.
#include <cstdint>
#include <numeric>
#include <utility>
#include <vector>

#include "eigrad/random.hpp"

namespace eigrad::data {

/// The example indices of each epoch.
class Sampler {
 public:
  virtual ~Sampler() = default;
  /// The indices of the next epoch, in visiting order (called once per pass of a DataLoader).
  virtual std::vector<std::int64_t> indices() = 0;
  /// How many indices each epoch has.
  virtual std::int64_t size() const = 0;
};

/// 0, 1, ..., size - 1 every epoch.
class SequentialSampler : public Sampler {
 public:
  /// Over \p size examples.
  explicit SequentialSampler(std::int64_t size) : size_(size) {}
  /// 0 .. size - 1.
  std::vector<std::int64_t> indices() override {
    std::vector<std::int64_t> out(static_cast<std::size_t>(size_));
    std::iota(out.begin(), out.end(), std::int64_t{0});
    return out;
  }
  /// The number of examples.
  std::int64_t size() const override { return size_; }

 private:
  std::int64_t size_;
};

/// A new random permutation every epoch from its own generator: a seed gives the same orders
/// on every run and platform (not the orders of PyTorch's randperm).
class RandomSampler : public Sampler {
 public:
  /// Over \p size examples, drawing from a generator seeded with \p seed.
  RandomSampler(std::int64_t size, std::uint64_t seed) : size_(size), generator_(seed) {}
  /// A Fisher–Yates shuffle of 0 .. size - 1.
  std::vector<std::int64_t> indices() override {
    std::vector<std::int64_t> out(static_cast<std::size_t>(size_));
    std::iota(out.begin(), out.end(), std::int64_t{0});
    for (std::int64_t i = size_ - 1; i > 0; --i)
      std::swap(out[static_cast<std::size_t>(i)], out[static_cast<std::size_t>(generator_.randint(0, i))]);
    return out;
  }
  /// The number of examples.
  std::int64_t size() const override { return size_; }

 private:
  std::int64_t size_;
  Generator generator_;
};

}  // namespace eigrad::data
