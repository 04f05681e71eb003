#pragma once
/// \file errors.hpp
/// \brief The typed exceptions eigrad throws. Every message names the shapes, devices or
///        values at fault.
#include <stdexcept>
#include <string>

namespace eigrad {

/// Base of every eigrad error.
class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// Operand shapes that do not fit together (broadcasting, matmul, reshape, losses).
class ShapeError : public Error {
 public:
  using Error::Error;
};

/// A device that is unknown, not built, or does not match another operand's.
class DeviceError : public Error {
 public:
  using Error::Error;
};

/// Misuse of the autograd graph: backward twice, on a non-scalar, on a tensor without grad,
/// an in-place change of a leaf that requires grad.
class AutogradError : public Error {
 public:
  using Error::Error;
};

/// An argument value outside its domain (an index out of range, a bad dimension).
class ValueError : public Error {
 public:
  using Error::Error;
};

/// A file that cannot be read, written or parsed (checkpoints, golden traces).
class IoError : public Error {
 public:
  using Error::Error;
};

}  // namespace eigrad
