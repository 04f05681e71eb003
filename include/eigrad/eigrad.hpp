#pragma once
/// \file eigrad.hpp
/// \brief Everything in one include, as `torch/torch.h`: tensors and their ops, autograd
///        (with gradcheck and custom functions), forward mode (duals), least squares, nn
///        (modules, losses, init, gradient clipping, checkpoints), optim (optimizers and
///        schedulers) and data (datasets, samplers, loaders). Lazy expressions stay opt-in
///        (`eigrad/expr/expr.hpp`). For faster compiles of tensor-only code, include
///        `eigrad/core.hpp`.
#include "eigrad/autograd/gradcheck.hpp"
#include "eigrad/core.hpp"
#include "eigrad/data/dataloader.hpp"
#include "eigrad/data/dataset.hpp"
#include "eigrad/data/sampler.hpp"
#include "eigrad/dual.hpp"
#include "eigrad/dual_eigen.hpp"
#include "eigrad/forward.hpp"
#include "eigrad/linalg.hpp"
#include "eigrad/nn/functional/classification.hpp"
#include "eigrad/nn/modules/classification.hpp"
#include "eigrad/nn/nn.hpp"
#include "eigrad/nn/options/classification.hpp"
#include "eigrad/nn/utils/clip_grad.hpp"
#include "eigrad/optim/optim.hpp"
