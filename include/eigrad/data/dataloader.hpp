#pragma once
/// \file data/dataloader.hpp
/// \brief DataLoader: batches of a dataset in a sampler's order, as
///        `torch.utils.data.DataLoader` without worker processes.
///
/// \code
/// data::TensorDataset<float> dataset({x, y});
/// data::DataLoader loader(dataset, data::DataLoaderOptions(32).shuffle(true).seed(0));
/// for (const auto& batch : loader) step(batch[0], batch[1]);  // a new order each pass
/// \endcode
#include <algorithm>
#include <cstdint>
#include <iterator>
#include <memory>
#include <utility>
#include <vector>

#include "eigrad/arg.hpp"
#include "eigrad/data/sampler.hpp"
#include "eigrad/errors.hpp"

namespace eigrad::data {

/// Options of a DataLoader.
class DataLoaderOptions {
 public:
  /// Batches of \p batch_size (PyTorch's default is 1).
  DataLoaderOptions(std::int64_t batch_size = 1) : batch_size_(batch_size) {}  // NOLINT: as LibTorch
  /// Examples per batch.
  EIGRAD_ARG(std::int64_t, batch_size) = 1;
  /// A new random order each pass (a RandomSampler seeded with seed()); else in order.
  EIGRAD_ARG(bool, shuffle) = false;
  /// Leaves out the last batch when it would be smaller than batch_size.
  EIGRAD_ARG(bool, drop_last) = false;
  /// The seed of the shuffling generator (PyTorch's `generator=`).
  EIGRAD_ARG(std::uint64_t, seed) = 0;
};

/// Batches of \p Dataset (any type with `size()` and `get_batch(indices)`, such as
/// TensorDataset) in the order of a Sampler. Each pass (each begin()) asks the sampler for a
/// new epoch of indices. The dataset is held by value: a TensorDataset shares its tensors.
template <class Dataset>
class DataLoader {
 public:
  /// What a batch is: Dataset::get_batch()'s result.
  using Batch = decltype(std::declval<const Dataset&>().get_batch(std::declval<const std::vector<std::int64_t>&>()));

  /// Batches of \p dataset with \p options; shuffle picks a RandomSampler, else a
  /// SequentialSampler.
  DataLoader(Dataset dataset, const DataLoaderOptions& options = {})
      : dataset_(std::move(dataset)), options_(options), sampler_(default_sampler(dataset_.size(), options_)) {
    check();
  }
  /// Batches of \p dataset in the order of \p sampler (options().shuffle() is then unused).
  DataLoader(Dataset dataset, const DataLoaderOptions& options, std::shared_ptr<Sampler> sampler)
      : dataset_(std::move(dataset)), options_(options), sampler_(std::move(sampler)) {
    check();
  }

  /// Walks the batches of one pass.
  class Iterator {
   public:
    /// Iterator traits.
    using iterator_category = std::input_iterator_tag;
    /// The batch type.
    using value_type = Batch;
    /// Distance type.
    using difference_type = std::ptrdiff_t;
    /// Pointer to a batch.
    using pointer = const Batch*;
    /// Reference to a batch.
    using reference = const Batch&;

    /// The current batch.
    const Batch& operator*() const { return batch_; }
    /// The current batch.
    const Batch* operator->() const { return &batch_; }
    /// Moves to the next batch.
    Iterator& operator++() {
      ++number_;
      load();
      return *this;
    }
    /// Whether both stand at the same batch.
    bool operator==(const Iterator& other) const { return number_ == other.number_; }
    /// Whether they stand at different batches.
    bool operator!=(const Iterator& other) const { return number_ != other.number_; }

   private:
    friend class DataLoader;
    Iterator(const DataLoader* loader, std::shared_ptr<const std::vector<std::int64_t>> order, std::int64_t number)
        : loader_(loader), order_(std::move(order)), number_(number) {
      load();
    }
    void load() {
      if (!order_ || number_ >= loader_->batches_in(order_->size())) return;
      const std::int64_t b = loader_->options_.batch_size();
      const auto first = order_->begin() + number_ * b;
      const auto last = order_->begin() + std::min<std::int64_t>((number_ + 1) * b, order_->size());
      batch_ = loader_->dataset_.get_batch(std::vector<std::int64_t>(first, last));
    }
    const DataLoader* loader_;
    std::shared_ptr<const std::vector<std::int64_t>> order_;
    std::int64_t number_;
    Batch batch_{};
  };

  /// The first batch of a new pass (draws the pass's order from the sampler).
  Iterator begin() { return Iterator(this, std::make_shared<const std::vector<std::int64_t>>(sampler_->indices()), 0); }
  /// Past the last batch.
  Iterator end() const { return Iterator(this, nullptr, size()); }
  /// Number of batches in a pass (over the sampler's indices).
  std::int64_t size() const { return batches_in(sampler_->size()); }
  /// The dataset.
  const Dataset& dataset() const { return dataset_; }
  /// The options.
  const DataLoaderOptions& options() const { return options_; }

 private:
  void check() const {
    EIGRAD_CHECK(options_.batch_size() > 0, ValueError, "DataLoader: batch_size must be positive, got ",
                 options_.batch_size());
    EIGRAD_CHECK(sampler_ != nullptr, ValueError, "DataLoader: the sampler is null");
  }
  static std::shared_ptr<Sampler> default_sampler(std::int64_t size, const DataLoaderOptions& options) {
    if (options.shuffle()) return std::make_shared<RandomSampler>(size, options.seed());
    return std::make_shared<SequentialSampler>(size);
  }
  std::int64_t batches_in(std::int64_t examples) const {
    const std::int64_t b = options_.batch_size();
    return options_.drop_last() ? examples / b : (examples + b - 1) / b;
  }
  std::int64_t batches_in(std::size_t examples) const { return batches_in(static_cast<std::int64_t>(examples)); }

  Dataset dataset_;
  DataLoaderOptions options_;
  std::shared_ptr<Sampler> sampler_;
};

}  // namespace eigrad::data
