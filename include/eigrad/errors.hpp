#pragma once
/// \file errors.hpp
/// \brief The typed exceptions eigrad throws. Every message names the shapes, devices or
///        values at fault.
#include <sstream>
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

/// An argument value outside its domain (an index out of range, a bad dimension, an
/// optimizer or scheduler option out of range).
class ValueError : public Error {
 public:
  using Error::Error;
};

/// A file that cannot be read, written or parsed (checkpoints, golden traces).
class IoError : public Error {
 public:
  using Error::Error;
};

namespace detail {

/// The message of an error: \p parts streamed one after another (strings, numbers; format
/// shapes with to_string(shape) and values whose digits matter before passing them).
template <class... Parts>
std::string str_cat(const Parts&... parts) {
  std::ostringstream out;
  (out << ... << parts);
  return out.str();
}

/// Throws \p ErrorType with the message made of \p parts. Kept out of line of the check so
/// the passing path stays a compare and a branch.
template <class ErrorType, class... Parts>
[[noreturn]] void throw_error(const Parts&... parts) {
  throw ErrorType(str_cat(parts...));
}

}  // namespace detail

}  // namespace eigrad

/// \cond INTERNAL
#if defined(__GNUC__) || defined(__clang__)
#define EIGRAD_UNLIKELY(x) __builtin_expect(!!(x), 0)
#else
#define EIGRAD_UNLIKELY(x) (x)
#endif
/// \endcond

/// Throws `ErrorType(message)` unless \p cond holds; the message is the remaining arguments
/// streamed together, as PyTorch's `TORCH_CHECK`:
/// `EIGRAD_CHECK(a.dim() == 2, ShapeError, "matmul: ", to_string(a.shape()), " is not a matrix");`
/// The parts are evaluated only when the check fails.
#define EIGRAD_CHECK(cond, ErrorType, ...)                          \
  do {                                                              \
    if (EIGRAD_UNLIKELY(!(cond)))                                   \
      ::eigrad::detail::throw_error<ErrorType>(__VA_ARGS__);        \
  } while (false)

/// Throws `ErrorType` with the message made of the remaining arguments: EIGRAD_CHECK for a
/// place the code reaches only when something is already known to be wrong.
#define EIGRAD_FAIL(ErrorType, ...) ::eigrad::detail::throw_error<ErrorType>(__VA_ARGS__)
