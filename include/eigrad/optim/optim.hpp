#pragma once
/// \file optim.hpp
/// \brief Everything of eigrad::optim: the optimizers, their factory and the LR schedulers.
#include "eigrad/optim/adagrad.hpp"
#include "eigrad/optim/adam.hpp"
#include "eigrad/optim/adamw.hpp"
#include "eigrad/optim/factory.hpp"
#include "eigrad/optim/optimizer.hpp"
#include "eigrad/optim/rmsprop.hpp"
#include "eigrad/optim/schedulers.hpp"
#include "eigrad/optim/sgd.hpp"
