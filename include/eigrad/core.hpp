#pragma once
/// \file core.hpp
/// \brief The light include: tensors with every tensor op, autograd, errors, devices and the
///        generator, without nn, optim, data or forward mode (see eigrad.hpp for everything).
#include "eigrad/autograd/function.hpp"
#include "eigrad/autograd/grad_mode.hpp"
#include "eigrad/autograd/node.hpp"
#include "eigrad/device.hpp"
#include "eigrad/errors.hpp"
#include "eigrad/random.hpp"
#include "eigrad/shape.hpp"
#include "eigrad/storage.hpp"
#include "eigrad/tensor.hpp"
