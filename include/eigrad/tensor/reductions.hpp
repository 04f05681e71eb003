#pragma once
/// \file tensor/reductions.hpp
/// \brief Free forms of the reductions and of softmax / log_softmax (the members are in
///        Tensor: sum, mean and var over several dims, prod, max/min with indices, argmax,
///        argmin, std, norm).
#include <cstdint>

#include "eigrad/tensor/tensor.hpp"

namespace eigrad {

/// x.softmax(dim).
template <class T>
Tensor<T> softmax(const Tensor<T>& x, std::int64_t dim) { return x.softmax(dim); }
/// x.log_softmax(dim).
template <class T>
Tensor<T> log_softmax(const Tensor<T>& x, std::int64_t dim) { return x.log_softmax(dim); }
/// x.argmax(dim, keepdim).
template <class T>
Tensor<T> argmax(const Tensor<T>& x, std::int64_t dim, bool keepdim = false) { return x.argmax(dim, keepdim); }
/// x.argmin(dim, keepdim).
template <class T>
Tensor<T> argmin(const Tensor<T>& x, std::int64_t dim, bool keepdim = false) { return x.argmin(dim, keepdim); }

}  // namespace eigrad
