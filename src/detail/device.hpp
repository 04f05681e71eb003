#pragma once
// Internal: running a tensor operation where its operands live. A "cuda" tensor's elements are
// reached only through the device kernel table (eigrad/cuda/kernels.hpp) with data_ptr(); an
// operation the table has no entry for runs on host copies through the recorded copies of
// Tensor::to (on_host), so its gradient still reaches the device operands.
#include "eigrad/cuda/kernels.hpp"
#include "eigrad/errors.hpp"
#include "eigrad/tensor/factories.hpp"
#include "eigrad/tensor/tensor.hpp"

namespace eigrad::detail {

/// True for a tensor on a CUDA device.
template <class T>
bool on_device(const Tensor<T>& t) {
  return t.device().is_cuda();
}

/// DeviceError naming both devices and shapes unless \p a and \p b are on one device.
template <class T>
void check_same_device(const char* op, const Tensor<T>& a, const Tensor<T>& b) {
  EIGRAD_CHECK(a.device() == b.device(), DeviceError, op, ": expected both operands on one device, got ",
               a.device().str(), " (shape ", to_string(a.shape()), ") and ", b.device().str(), " (shape ",
               to_string(b.shape()), ")");
}

/// \p t as an operand of a broadcasting kernel-table entry.
template <class T>
cuda::Operand<T> device_operand(const Tensor<T>& t) {
  return {t.data_ptr(), t.shape()};
}

/// \p op applied to host copies of the device tensors \p operands, its result copied back to
/// their device; recorded through Tensor::to, so gradients flow back to the device operands.
template <class Op, class... Tensors>
auto on_host(const Device& device, Op op, const Tensors&... operands) {
  return op(operands.to(Device::cpu())...).to(device);
}

}  // namespace eigrad::detail
