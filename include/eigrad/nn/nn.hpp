#pragma once
/// \file nn.hpp
/// \brief Everything of eigrad::nn: modules, layers, losses, initialisation, checkpoints.
#include "eigrad/nn/checkpoint.hpp"
#include "eigrad/nn/functional/loss.hpp"
#include "eigrad/nn/init.hpp"
#include "eigrad/nn/module.hpp"
#include "eigrad/nn/modules/activation.hpp"
#include "eigrad/nn/modules/container.hpp"
#include "eigrad/nn/modules/flatten.hpp"
#include "eigrad/nn/modules/linear.hpp"
#include "eigrad/nn/modules/loss.hpp"
#include "eigrad/nn/options/linear.hpp"
#include "eigrad/nn/options/loss.hpp"
#include "eigrad/nn/parameter.hpp"
#include "eigrad/nn/reduction.hpp"
