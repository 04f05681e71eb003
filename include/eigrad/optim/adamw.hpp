#pragma once
/// \file adamw.hpp
/// \brief AdamW: Adam with decoupled weight decay (PyTorch 1.13's `torch.optim.AdamW`). Its
///        options and update are Adam's (adam.hpp) but for the weight decay.
#include "eigrad/optim/adam.hpp"

namespace eigrad::optim {

/// Options of AdamW: Adam's, with weight decay 1e-2 by default,
/// `AdamWOptions(1e-2).weight_decay(0.1)`.
using AdamWOptions = BasicAdamOptions<AdamVariant::AdamW>;

/// AdamW, PyTorch 1.13's rule: p ← p·(1 − lr·wd) first, then Adam's update without any
/// weight decay in the gradient.
///
/// \snippet optimizers.cpp adamw
template <class T>
class AdamW : public BasicAdam<T, AdamVariant::AdamW> {
 public:
  /// BasicAdam's constructors: over parameter groups or one list of parameters.
  using BasicAdam<T, AdamVariant::AdamW>::BasicAdam;
};

}  // namespace eigrad::optim
