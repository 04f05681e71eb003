// data::DistributedSampler against torch.utils.data.DistributedSampler (PyTorch 1.13): every
// index list below is PyTorch's output for the same arguments.
#define BOOST_TEST_MODULE distributed_sampler
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <cstdint>
#include <vector>

#include "eigrad/data/distributed_sampler.hpp"
#include "eigrad/errors.hpp"

using eigrad::data::DistributedSampler;
using eigrad::data::DistributedSamplerOptions;
using Indices = std::vector<std::int64_t>;

namespace {

Indices indices(std::int64_t size, std::int64_t replicas, std::int64_t rank, DistributedSamplerOptions options,
                std::int64_t epoch = 0) {
  DistributedSampler sampler(size, replicas, rank, options);
  sampler.set_epoch(epoch);
  return sampler.indices();
}

}  // namespace

BOOST_AUTO_TEST_CASE(shuffled_indices_are_pytorchs_with_padding) {
  // DistributedSampler(range(11), num_replicas=4, rank=r, seed=7), set_epoch(3)
  const std::vector<Indices> expected = {{10, 1, 9}, {6, 3, 5}, {8, 2, 4}, {0, 7, 10}};
  for (std::int64_t r = 0; r < 4; ++r) {
    BOOST_TEST(indices(11, 4, r, DistributedSamplerOptions().seed(7), 3) == expected[r]);
  }
}

BOOST_AUTO_TEST_CASE(shuffled_indices_are_pytorchs_with_drop_last) {
  const std::vector<Indices> expected = {{10, 1}, {6, 3}, {8, 2}, {0, 7}};
  for (std::int64_t r = 0; r < 4; ++r) {
    DistributedSampler sampler(11, 4, r, DistributedSamplerOptions().seed(7).drop_last(true));
    sampler.set_epoch(3);
    BOOST_TEST(sampler.num_samples() == 2);
    BOOST_TEST(sampler.total_size() == 8);
    BOOST_TEST(sampler.indices() == expected[r]);
  }
}

BOOST_AUTO_TEST_CASE(the_permutation_is_torch_randperms) {
  // torch.randperm(10, generator=torch.Generator().manual_seed(7)); one rank sees it whole.
  BOOST_TEST(indices(10, 1, 0, DistributedSamplerOptions().seed(7)) == (Indices{5, 0, 3, 4, 1, 7, 9, 6, 8, 2}));
  // torch.randperm(3000000, generator=manual_seed(123456789012)): first and last entries.
  const Indices big = indices(3000000, 1, 0, DistributedSamplerOptions().seed(123456789012ull));
  BOOST_TEST((Indices(big.begin(), big.begin() + 5) == Indices{2175645, 584261, 1053769, 2073034, 201745}));
  BOOST_TEST((Indices(big.end() - 3, big.end()) == Indices{1536033, 2796281, 1793988}));
  // Seed + epoch: epoch 3 of seed 7 is seed 10's permutation.
  BOOST_TEST(indices(11, 1, 0, DistributedSamplerOptions().seed(7), 3) ==
             (Indices{10, 6, 8, 0, 1, 3, 2, 7, 9, 5, 4}));
  BOOST_TEST(indices(11, 1, 0, DistributedSamplerOptions().seed(10), 0) == indices(11, 1, 0, DistributedSamplerOptions().seed(7), 3));
}

BOOST_AUTO_TEST_CASE(unshuffled_indices_are_strided_and_padding_wraps_around) {
  const auto unshuffled = DistributedSamplerOptions().shuffle(false);
  BOOST_TEST(indices(10, 4, 1, unshuffled) == (Indices{1, 5, 9}));
  BOOST_TEST(indices(10, 4, 3, unshuffled) == (Indices{3, 7, 1}));
  // range(2) over 3 replicas: [0], [1], [0]; padding longer than the data repeats it again.
  BOOST_TEST(indices(2, 3, 2, unshuffled) == (Indices{0}));
  BOOST_TEST(indices(2, 7, 6, unshuffled) == (Indices{0}));
  BOOST_TEST(indices(2, 7, 5, unshuffled) == (Indices{1}));
  // drop_last with fewer samples than replicas: nothing for anyone.
  BOOST_TEST(indices(2, 3, 0, DistributedSamplerOptions().shuffle(false).drop_last(true)).empty());
}

BOOST_AUTO_TEST_CASE(every_index_once_when_the_split_is_even) {
  Indices all;
  for (std::int64_t r = 0; r < 4; ++r) {
    const Indices mine = indices(2000, 4, r, DistributedSamplerOptions().seed(5), 2);
    BOOST_TEST(mine.size() == 500u);
    all.insert(all.end(), mine.begin(), mine.end());
  }
  std::sort(all.begin(), all.end());
  for (std::int64_t i = 0; i < 2000; ++i) BOOST_TEST(all[static_cast<std::size_t>(i)] == i);
}

BOOST_AUTO_TEST_CASE(bad_arguments_are_value_errors) {
  BOOST_CHECK_THROW(DistributedSampler(10, 0, 0), eigrad::ValueError);
  BOOST_CHECK_THROW(DistributedSampler(10, 2, 2), eigrad::ValueError);
  BOOST_CHECK_THROW(DistributedSampler(10, 2, -1), eigrad::ValueError);
  BOOST_CHECK_THROW(DistributedSampler(-1, 2, 0), eigrad::ValueError);
}
