#pragma once
/// \file eigrad.hpp
/// \brief Everything in one include, as `torch/torch.h`: tensors and their ops, autograd
///        (with gradcheck and custom functions), forward mode (duals), least squares, nn
///        (modules, losses, init, gradient clipping, checkpoints), optim (optimizers and
///        schedulers), data (datasets, samplers, loaders) and data-parallel training
///        (process groups, DistributedDataParallel, the distributed sampler). Tensor
///        arithmetic is lazy and fused (`eigrad/expr/expr.hpp`, included by tensor.hpp). For
///        faster compiles of tensor-only code, include `eigrad/core.hpp`.
#include "eigrad/autograd/gradcheck.hpp"
#include "eigrad/core.hpp"
#include "eigrad/data/dataloader.hpp"
#include "eigrad/data/dataset.hpp"
#include "eigrad/data/distributed_sampler.hpp"
#include "eigrad/data/sampler.hpp"
#include "eigrad/distributed/checkpoint.hpp"
#include "eigrad/distributed/process_group.hpp"
#include "eigrad/dual.hpp"
#include "eigrad/dual_eigen.hpp"
#include "eigrad/forward.hpp"
#include "eigrad/linalg.hpp"
#include "eigrad/nn/functional/classification.hpp"
#include "eigrad/nn/modules/classification.hpp"
#include "eigrad/nn/nn.hpp"
#include "eigrad/nn/options/classification.hpp"
#include "eigrad/nn/parallel/distributed.hpp"
#include "eigrad/nn/utils/clip_grad.hpp"
#include "eigrad/optim/optim.hpp"
