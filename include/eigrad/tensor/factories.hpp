#pragma once
/// \file tensor/factories.hpp
/// \brief Factories: linspace, arange, zeros, ones, full, empty, randn, rand, from_vector.
#include <cstdint>
#include <vector>

#include "eigrad/tensor/tensor.hpp"

namespace eigrad {

// -------------------------------------------------------------------- factories
/// `steps` values from \p start to \p end inclusive, computed exactly as PyTorch does.
template <class T>
Tensor<T> linspace(double start, double end, std::int64_t steps, TensorOptions options = {});
/// 0, 1, ... up to but excluding \p end.
template <class T>
Tensor<T> arange(double end, TensorOptions options = {});
/// start, start + step, ... up to but excluding \p end.
template <class T>
Tensor<T> arange(double start, double end, double step = 1, TensorOptions options = {});
/// All zeros.
template <class T>
Tensor<T> zeros(const Shape& shape, TensorOptions options = {});
/// All ones.
template <class T>
Tensor<T> ones(const Shape& shape, TensorOptions options = {});
/// All \p value.
template <class T>
Tensor<T> full(const Shape& shape, T value, TensorOptions options = {});
/// A rank-0 tensor holding \p value.
template <class T>
Tensor<T> scalar_tensor(T value, TensorOptions options = {});
/// Uninitialised contents.
template <class T>
Tensor<T> empty(const Shape& shape, TensorOptions options = {});
/// Standard normal draws from the global generator (see manual_seed()).
template <class T>
Tensor<T> randn(const Shape& shape, TensorOptions options = {});
/// Uniform draws in [0, 1) from the global generator.
template <class T>
Tensor<T> rand(const Shape& shape, TensorOptions options = {});
/// A tensor of \p shape holding a copy of \p values (row-major).
template <class T>
Tensor<T> from_vector(const std::vector<T>& values, const Shape& shape, TensorOptions options = {});
/// Same shape and options as \p like, all zeros.
template <class T>
Tensor<T> zeros_like(const Tensor<T>& like);
/// Same shape as \p like, all ones.
template <class T>
Tensor<T> ones_like(const Tensor<T>& like);

}  // namespace eigrad
