#pragma once
/// \file modules/classification.hpp
/// \brief Classification loss modules: NLLLoss, CrossEntropyLoss, BCEWithLogitsLoss.
#include "eigrad/nn/functional/classification.hpp"
#include "eigrad/nn/modules/loss.hpp"
#include "eigrad/nn/options/classification.hpp"

namespace eigrad::nn {

/// Negative log-likelihood of log-probabilities, as `torch.nn.NLLLoss` (see
/// functional::nll_loss() for the shapes).
///
/// \snippet losses.cpp nll
template <class T>
class NLLLoss : public LossModule<T, NLLLoss<T>, NLLLossOptions> {
 public:
  /// A loss with \p options (a Reduction converts to them).
  explicit NLLLoss(const NLLLossOptions& options = {}) : NLLLoss::LossModule(options) {}
  /// functional::nll_loss() with \p options.
  static Tensor<T> apply(const Tensor<T>& input, const Tensor<T>& target, const NLLLossOptions& options) {
    return functional::nll_loss(input, target, options.reduction(), options.ignore_index());
  }
};

/// Cross-entropy of logits and class indices, as `torch.nn.CrossEntropyLoss`.
///
/// \snippet losses.cpp cross entropy
template <class T>
class CrossEntropyLoss : public LossModule<T, CrossEntropyLoss<T>, CrossEntropyLossOptions> {
 public:
  /// A loss with \p options (a Reduction converts to them).
  explicit CrossEntropyLoss(const CrossEntropyLossOptions& options = {}) : CrossEntropyLoss::LossModule(options) {}
  /// functional::cross_entropy() with \p options.
  static Tensor<T> apply(const Tensor<T>& input, const Tensor<T>& target, const CrossEntropyLossOptions& options) {
    return functional::cross_entropy(input, target, options.reduction(), options.ignore_index(),
                                     options.label_smoothing());
  }
};

/// Binary cross-entropy of logits, as `torch.nn.BCEWithLogitsLoss`.
///
/// \snippet losses.cpp bce with logits
template <class T>
class BCEWithLogitsLoss : public LossModule<T, BCEWithLogitsLoss<T>, BCEWithLogitsLossOptions<T>> {
 public:
  /// A loss with \p options (a Reduction converts to them).
  explicit BCEWithLogitsLoss(const BCEWithLogitsLossOptions<T>& options = {})
      : BCEWithLogitsLoss::LossModule(options) {}
  /// functional::binary_cross_entropy_with_logits() with \p options.
  static Tensor<T> apply(const Tensor<T>& input, const Tensor<T>& target,
                         const BCEWithLogitsLossOptions<T>& options) {
    return functional::binary_cross_entropy_with_logits(input, target, options.reduction(), options.pos_weight());
  }
};

}  // namespace eigrad::nn
