#pragma once
// Internal to the device backend: the Thrust headers, the launch bookkeeping and the loop
// every kernel-table entry is written as (a functor over element indices and raw pointers).
#include <thrust/execution_policy.h>
#include <thrust/for_each.h>
#include <thrust/iterator/counting_iterator.h>
#include <thrust/transform_reduce.h>

#include <cstdint>

#include "eigrad/host_device.hpp"

namespace eigrad::cuda::detail {

using Index = std::int64_t;

/// Counts one kernel launch named \p kernel and calls the launch hook (memory.cu).
void record_launch(const char* kernel);

/// f(i) for every i < n on the device system: one launch.
template <class F>
void for_each_index(const char* kernel, Index n, F f) {
  if (n <= 0) return;
  record_launch(kernel);
  thrust::for_each(thrust::device, thrust::counting_iterator<Index>(0), thrust::counting_iterator<Index>(n), f);
}

/// The reduction with \p plus of f(i) over i < n, starting from \p init: one launch. f may
/// also write element i of its outputs: a reduction reads each index once.
template <class R, class F, class Plus>
R reduce_index(const char* kernel, Index n, F f, R init, Plus plus) {
  if (n <= 0) return init;
  record_launch(kernel);
  return thrust::transform_reduce(thrust::device, thrust::counting_iterator<Index>(0),
                                  thrust::counting_iterator<Index>(n), f, init, plus);
}

/// Sum of two values (thrust::plus without its header's variations between versions).
template <class T>
struct Plus {
  EIGRAD_HOST_DEVICE T operator()(const T& a, const T& b) const { return a + b; }
};

}  // namespace eigrad::cuda::detail
