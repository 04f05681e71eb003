#pragma once
/// \file autograd/hooks.hpp
/// \brief Hooks a backward pass calls on leaves: what lets DistributedDataParallel start a
///        bucket's all-reduce while backward still runs.
#include <cstdint>
#include <functional>

#include "eigrad/tensor/tensor.hpp"

namespace eigrad::autograd {

/// What a post-accumulate-grad hook is given: the leaf, whose grad() now holds the gradient.
template <class T>
using PostAccumulateGradHook = std::function<void(const Tensor<T>& leaf)>;

/// Calls \p hook with \p leaf each time a backward pass has accumulated a gradient into its
/// grad(), right then, before backward goes on to other nodes (as PyTorch's
/// `Tensor.register_post_accumulate_grad_hook`); it runs with grad mode off. Returns the key
/// remove_post_accumulate_grad_hook() takes (never 0). AutogradError for a tensor that is not a
/// leaf requiring grad.
template <class T>
std::uint64_t register_post_accumulate_grad_hook(const Tensor<T>& leaf, PostAccumulateGradHook<T> hook);

/// Removes the hook registered under \p key on \p leaf (nothing when there is none).
template <class T>
void remove_post_accumulate_grad_hook(const Tensor<T>& leaf, std::uint64_t key);

/// \cond
extern template std::uint64_t register_post_accumulate_grad_hook<float>(const Tensor<float>&,
                                                                         PostAccumulateGradHook<float>);
extern template std::uint64_t register_post_accumulate_grad_hook<double>(const Tensor<double>&,
                                                                          PostAccumulateGradHook<double>);
extern template void remove_post_accumulate_grad_hook<float>(const Tensor<float>&, std::uint64_t);
extern template void remove_post_accumulate_grad_hook<double>(const Tensor<double>&, std::uint64_t);
/// \endcond

}  // namespace eigrad::autograd
