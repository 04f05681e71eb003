#pragma once
/// \file eigrad.hpp
/// \brief Everything of the tensor and autograd layers in one include.
#include "eigrad/autograd/function.hpp"
#include "eigrad/autograd/grad_mode.hpp"
#include "eigrad/autograd/gradcheck.hpp"
#include "eigrad/autograd/node.hpp"
#include "eigrad/device.hpp"
#include "eigrad/linalg.hpp"
#include "eigrad/errors.hpp"
#include "eigrad/random.hpp"
#include "eigrad/shape.hpp"
#include "eigrad/storage.hpp"
#include "eigrad/tensor.hpp"
