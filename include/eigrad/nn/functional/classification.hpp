#pragma once
/// \file functional/classification.hpp
/// \brief softmax, log_softmax and the classification losses as functions, as
///        `torch.nn.functional`: nll_loss, cross_entropy, binary_cross_entropy_with_logits.
///
/// Class targets are class indices held in a tensor of T (eigrad tensors hold float or
/// double; PyTorch takes an int64 tensor): input [N, C] with target [N], input [C] with a
/// rank-0 target, or input [N, C, d1, ...] with target [N, d1, ...]. A target that is not an
/// integer in [0, C) (and not ignore_index) is a ValueError. Class weights and probability
/// targets are not supported.
#include <cstdint>

#include "eigrad/nn/reduction.hpp"
#include "eigrad/tensor.hpp"
#include "eigrad/tensor/reductions.hpp"

namespace eigrad::nn::functional {

/// x.softmax(dim).
template <class T>
Tensor<T> softmax(const Tensor<T>& x, std::int64_t dim) { return x.softmax(dim); }
/// x.log_softmax(dim).
template <class T>
Tensor<T> log_softmax(const Tensor<T>& x, std::int64_t dim) { return x.log_softmax(dim); }

/// Negative log-likelihood of log-probabilities \p input at the classes \p target. Targets
/// equal to \p ignore_index contribute 0 and are left out of the mean's count (a mean over
/// no target is NaN, as in PyTorch).
template <class T>
Tensor<T> nll_loss(const Tensor<T>& input, const Tensor<T>& target, Reduction reduction = Reduction::Mean,
                   std::int64_t ignore_index = -100);

/// nll_loss(log_softmax(input, class dim), target) with PyTorch 1.13's label smoothing:
/// (1 - ε) · nll + ε / C · (-sum of the log-probabilities), the smoothing term reduced over
/// the targets that are not ignored.
template <class T>
Tensor<T> cross_entropy(const Tensor<T>& input, const Tensor<T>& target, Reduction reduction = Reduction::Mean,
                        std::int64_t ignore_index = -100, double label_smoothing = 0.0);

/// Binary cross-entropy of logits \p input against \p target (same shape), computed as
/// PyTorch's stable form (1 - t)·x + m + log(exp(-m) + exp(-x - m)) with m = max(-x, 0);
/// \p pos_weight (optional, broadcast against input) weighs the positive term. Gradients flow
/// to input and target, by PyTorch's formulas.
template <class T>
Tensor<T> binary_cross_entropy_with_logits(const Tensor<T>& input, const Tensor<T>& target,
                                           Reduction reduction = Reduction::Mean, const Tensor<T>& pos_weight = {});

}  // namespace eigrad::nn::functional
