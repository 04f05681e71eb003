#pragma once
/// \file tensor/print.hpp
/// \brief Printing (PyTorch's repr) and allclose.
#include <iosfwd>

#include "eigrad/tensor/tensor.hpp"

namespace eigrad {

/// Prints like PyTorch's repr: `tensor([1.0000, 2.0000], requires_grad=True)`.
template <class T>
std::ostream& operator<<(std::ostream& os, const Tensor<T>& t);

/// True when shapes match and every element differs by at most atol + rtol·|b|.
template <class T>
bool allclose(const Tensor<T>& a, const Tensor<T>& b, double rtol = 1e-5, double atol = 1e-8);

}  // namespace eigrad
