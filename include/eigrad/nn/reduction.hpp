#pragma once
/// \file reduction.hpp
/// \brief How a loss reduces its elementwise values.

namespace eigrad::nn {

/// How a loss combines its elementwise terms, as PyTorch's `reduction=` argument.
enum class Reduction {
  None,  ///< no reduction: one loss per element, in the input's shape
  Mean,  ///< the mean of the elementwise terms (PyTorch's default)
  Sum,   ///< the sum of the elementwise terms (the tutorial's choice)
};

/// "none", "mean" or "sum", as PyTorch spells them.
inline const char* reduction_name(Reduction r) {
  switch (r) {
    case Reduction::None: return "none";
    case Reduction::Mean: return "mean";
    case Reduction::Sum: return "sum";
  }
  return "?";
}

}  // namespace eigrad::nn
