#pragma once
// Internal to the device backend: the Thrust headers, the launch bookkeeping and the loop
// every kernel-table entry is written as (a functor over element indices and raw pointers).
#include <thrust/execution_policy.h>
#include <thrust/for_each.h>
#include <thrust/iterator/counting_iterator.h>
#include <thrust/transform_reduce.h>

#include <cstddef>
#include <cstdint>

#include "eigrad/cuda/memory.hpp"
#include "eigrad/errors.hpp"
#include "eigrad/host_device.hpp"
#if EIGRAD_DEVICE_CUDA
#include <cuda_runtime_api.h>
#include <thrust/iterator/transform_iterator.h>
#include <thrust/iterator/transform_output_iterator.h>

#include <cub/device/device_reduce.cuh>
#endif

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

/// Accumulators of lane_sum(): as many as a vectorised CPU loop over floats keeps.
constexpr int kLanes = 8;
/// Elements one partial sum of a CPU device system's reduction covers (see reduce_index).
constexpr Index kReduceBlock = 256;

/// The sum with \p plus of f(i) over [begin, end): element i goes to accumulator i mod kLanes,
/// and the accumulators are added pairwise at the end, as a vectorised loop adds (Eigen's
/// sums, PyTorch's CPU kernels). Against one running sum, the rounding error of n terms grows
/// about n / kLanes times slower: a float sum of 2000 differences of the tutorial is then
/// within the golden files' tolerance instead of a few ulps of the loss off.
template <class R, class F, class Plus>
EIGRAD_HOST_DEVICE R lane_sum(F f, Index begin, Index end, R zero, Plus plus) {
  R acc[kLanes];
  for (int l = 0; l < kLanes; ++l) acc[l] = zero;
  for (Index i = begin; i < end; ++i) acc[(i - begin) % kLanes] = plus(acc[(i - begin) % kLanes], f(i));
  for (int width = kLanes / 2; width >= 1; width /= 2)
    for (int l = 0; l < width; ++l) acc[l] = plus(acc[l], acc[l + width]);
  return acc[0];
}

/// f's sum over one block of kReduceBlock indices (the last may be shorter).
template <class R, class F, class Plus>
struct BlockSum {
  F f;
  Index n;
  R zero;
  Plus plus;
  EIGRAD_HOST_DEVICE R operator()(Index block) const {
    const Index begin = block * kReduceBlock, end = begin + kReduceBlock < n ? begin + kReduceBlock : n;
    return lane_sum(f, begin, end, zero, plus);
  }
};

/// The reduction with \p plus of f(i) over i < n, \p init being its zero: one launch. f may
/// also write element i of its outputs: a reduction reads each index once. Under CUDA it is
/// Thrust's (CUB's) tree over the elements; a CPU device system would add each thread's share
/// in one running sum, so there the elements are summed in blocks of kReduceBlock with
/// lane_sum() and the blocks by Thrust.
template <class R, class F, class Plus>
R reduce_index(const char* kernel, Index n, F f, R init, Plus plus) {
  if (n <= 0) return init;
  record_launch(kernel);
#if EIGRAD_DEVICE_CUDA
  return thrust::transform_reduce(thrust::device, thrust::counting_iterator<Index>(0),
                                  thrust::counting_iterator<Index>(n), f, init, plus);
#else
  const Index blocks = (n + kReduceBlock - 1) / kReduceBlock;
  return thrust::transform_reduce(thrust::device, thrust::counting_iterator<Index>(0),
                                  thrust::counting_iterator<Index>(blocks), BlockSum<R, F, Plus>{f, n, init, plus},
                                  init, plus);
#endif
}

/// Calls store(r) once on the device system (one thread): how a reduction computed on the host
/// side of a CPU device system reaches device memory the way CUB's kernel writes it on a GPU.
template <class R, class Store>
struct StoreResult {
  Store store;
  R r;
  EIGRAD_HOST_DEVICE void operator()(Index) const { (void)store(r); }
};

/// The reduction with \p plus of f(i) over i < n, starting from \p init, handed to store(r)
/// on the device (store writes r, or parts of it, to device memory and returns r): one launch
/// whose result stays on the device. Under CUDA it is CUB's DeviceReduce writing through a
/// transform output iterator, asynchronous on the default stream (the host does not wait; a
/// step's sums stay there until item() copies one back). On the CPU systems the host reduces
/// and one device-system thread stores, as the GPU kernel's last block does.
template <class R, class F, class Plus, class Store>
void reduce_index_to_device(const char* kernel, Index n, F f, R init, Plus plus, Store store) {
  record_launch(kernel);
#if EIGRAD_DEVICE_CUDA
  int device = 0;
  EIGRAD_CHECK(cudaGetDevice(&device) == cudaSuccess, DeviceError, kernel, ": no current CUDA device");
  const auto in = thrust::make_transform_iterator(thrust::counting_iterator<Index>(0), f);
  std::size_t bytes = 0;
  R* result = nullptr;  // CUB writes r here through store, in the same temporary block
  EIGRAD_CHECK(cub::DeviceReduce::Reduce(nullptr, bytes, in, thrust::make_transform_output_iterator(result, store), n,
                                         plus, init) == cudaSuccess,
               DeviceError, kernel, ": CUB could not size the reduction of ", n, " elements");
  constexpr std::size_t kAlign = 256;
  const std::size_t result_at = (bytes + kAlign - 1) / kAlign * kAlign, total = result_at + sizeof(R);
  void* temp = allocate(total, device);
  result = reinterpret_cast<R*>(static_cast<char*>(temp) + result_at);
  const cudaError_t status = cub::DeviceReduce::Reduce(
      temp, bytes, in, thrust::make_transform_output_iterator(result, store), n, plus, init);
  // Back to the pool at once: the next user of the block is queued behind this kernel on the
  // same (default) stream.
  deallocate(temp, total, device);
  EIGRAD_CHECK(status == cudaSuccess, DeviceError, kernel, ": the reduction of ", n, " elements failed (",
               cudaGetErrorString(status), ")");
#else
  const Index blocks = (n + kReduceBlock - 1) / kReduceBlock;  // as reduce_index, for the same bits
  const R r = thrust::transform_reduce(thrust::device, thrust::counting_iterator<Index>(0),
                                       thrust::counting_iterator<Index>(blocks), BlockSum<R, F, Plus>{f, n, init, plus},
                                       init, plus);
  thrust::for_each(thrust::device, thrust::counting_iterator<Index>(0), thrust::counting_iterator<Index>(1),
                   StoreResult<R, Store>{store, r});
#endif
}

/// Writes a value to one device element and passes it on.
template <class T>
struct WriteTo {
  T* out;
  EIGRAD_HOST_DEVICE T operator()(const T& v) const {
    *out = v;
    return v;
  }
};

/// Sum of two values (thrust::plus without its header's variations between versions).
template <class T>
struct Plus {
  EIGRAD_HOST_DEVICE T operator()(const T& a, const T& b) const { return a + b; }
};

}  // namespace eigrad::cuda::detail
