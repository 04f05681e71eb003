// Factories: empty, full, zeros, ones, linspace (PyTorch's exact kernel), arange, randn, rand.
#include "eigrad/tensor/factories.hpp"

#include <algorithm>
#include <cmath>
#include <string>

#include "eigrad/cuda/kernels.hpp"
#include "eigrad/random.hpp"

namespace eigrad {

namespace {
template <class T>
Tensor<T> apply_options(Tensor<T> t, const TensorOptions& options) {
  if (options.requires_grad()) t.requires_grad_(true);
  return t;
}

/// A new CPU tensor of \p shape for values computed on the host: every device gets the CPU's
/// numbers (seeds, linspace's rounding), copied over by placed().
template <class T>
Tensor<T> host_tensor(const Shape& shape, const TensorOptions& options) {
  check_device_available(options.device());  // refused before any work on the host
  return empty<T>(shape);
}

/// \p host moved to the options' device, with the options applied.
template <class T>
Tensor<T> placed(const Tensor<T>& host, const TensorOptions& options) {
  return apply_options(host.to(options.device()), options);
}
}  // namespace

// -------------------------------------------------------------------- factories
template <class T>
Tensor<T> empty(const Shape& shape, TensorOptions options) {
  check_shape(shape);
  return apply_options(Tensor<T>(Storage<T>(numel(shape), options.device()), shape), options);
}

template <class T>
Tensor<T> full(const Shape& shape, T value, TensorOptions options) {
  Tensor<T> t = empty<T>(shape, options.device());
  if (t.is_cuda()) cuda::fill(t.data_ptr(), t.numel(), value);
  else std::fill(t.data(), t.data() + t.numel(), value);
  return apply_options(t, options);
}

template <class T>
Tensor<T> zeros(const Shape& shape, TensorOptions options) { return full<T>(shape, T(0), options); }

template <class T>
Tensor<T> ones(const Shape& shape, TensorOptions options) { return full<T>(shape, T(1), options); }

template <class T>
Tensor<T> scalar_tensor(T value, TensorOptions options) { return full<T>({}, value, options); }

template <class T>
Tensor<T> zeros_like(const Tensor<T>& like) { return zeros<T>(like.shape(), like.device()); }

template <class T>
Tensor<T> ones_like(const Tensor<T>& like) { return ones<T>(like.shape(), like.device()); }

template <class T>
Tensor<T> from_vector(const std::vector<T>& values, const Shape& shape, TensorOptions options) {
  EIGRAD_CHECK(static_cast<std::int64_t>(values.size()) == numel(shape), ShapeError, "from_vector: ",
               values.size(), " values for shape ", to_string(shape), " (", numel(shape), " elements)");
  Tensor<T> t = host_tensor<T>(shape, options);
  std::copy(values.begin(), values.end(), t.data());
  return placed(t, options);
}

template <class T>
Tensor<T> linspace(double start, double end, std::int64_t steps, TensorOptions options) {
  EIGRAD_CHECK(steps >= 0, ValueError, "linspace: number of steps must be non-negative, got ", steps);
  Tensor<T> t = host_tensor<T>({steps}, options);
  T* out = t.data();
  const T s = static_cast<T>(start), e = static_cast<T>(end);
  if (steps == 1) out[0] = s;
  if (steps > 1) {
    // PyTorch's CPU kernel (AVX2 build), reproduced for identical values: the step is computed
    // in T, the first half counts up from start and the second half down from end, each vector
    // chunk (8 floats or 4 doubles) starts at a fused start + idx * step, and its lanes add
    // k * step to that base without fusing. test_linspace checks every value against PyTorch.
    const T step = (e - s) / static_cast<T>(steps - 1);
    const std::int64_t halfway = steps / 2;
    auto point = [&](std::int64_t idx) {
      return idx < halfway ? std::fma(step, static_cast<T>(idx), s)
                           : std::fma(-step, static_cast<T>(steps - idx - 1), e);
    };
    constexpr std::int64_t lanes = std::is_same_v<T, float> ? 8 : 4;
    std::int64_t idx = 0;
    auto fill_vector = [&](std::int64_t first) {
      const T base = point(first);
      for (std::int64_t k = 0; k < lanes; ++k) {
        const T offset = static_cast<T>(k) * step;  // rounded on its own, as the vector code does
        out[first + k] = base + offset;
      }
    };
    for (; idx + 2 * lanes <= steps; idx += 2 * lanes) {  // two vectors a round; the rest is scalar
      fill_vector(idx);
      fill_vector(idx + lanes);
    }
    for (; idx < steps; ++idx) out[idx] = point(idx);
  }
  return placed(t, options);
}

template <class T>
Tensor<T> arange(double start, double end, double step, TensorOptions options) {
  // std::to_string keeps the bounds' fixed six decimals (a stream would print six digits).
  EIGRAD_CHECK(step != 0 && std::isfinite(start) && std::isfinite(end) && std::isfinite(step) &&
                   !((end - start) / step < 0),
               ValueError, "arange: invalid range start=", std::to_string(start), " end=", std::to_string(end),
               " step=", std::to_string(step));
  // The extent is checked as a double: casting one past int64's range to an integer is undefined.
  const double extent = std::ceil((end - start) / step);
  EIGRAD_CHECK(extent < 9.2233720368547758e18, ValueError, "arange: the range start=", std::to_string(start),
               " end=", std::to_string(end), " step=", std::to_string(step), " has an extent of ", extent,
               " elements, more than a 64-bit count holds (invalid size, possible overflow?)");
  const auto n = static_cast<std::int64_t>(extent);
  Tensor<T> t = host_tensor<T>({n}, options);
  for (std::int64_t i = 0; i < n; ++i) t.data()[i] = static_cast<T>(start + static_cast<double>(i) * step);
  return placed(t, options);
}

template <class T>
Tensor<T> arange(double end, TensorOptions options) { return arange<T>(0, end, 1, options); }

namespace {
/// A tensor of \p shape filled, in order, with draw() cast to T.
template <class T, class Draw>
Tensor<T> drawn(const Shape& shape, const TensorOptions& options, Draw draw) {
  Tensor<T> t = host_tensor<T>(shape, options);
  for (T* p = t.data(), *e = p + t.numel(); p != e; ++p) *p = static_cast<T>(draw());
  return placed(t, options);
}
}  // namespace

template <class T>
Tensor<T> randn(const Shape& shape, TensorOptions options) {
  return drawn<T>(shape, options, [&g = default_generator()] { return g.normal(); });
}

template <class T>
Tensor<T> rand(const Shape& shape, TensorOptions options) {
  return drawn<T>(shape, options, [&g = default_generator()] { return g.uniform(); });
}

#define EIGRAD_INSTANTIATE_FACTORIES(T)                                                        \
  template Tensor<T> empty<T>(const Shape&, TensorOptions);                                    \
  template Tensor<T> full<T>(const Shape&, T, TensorOptions);                                  \
  template Tensor<T> zeros<T>(const Shape&, TensorOptions);                                    \
  template Tensor<T> ones<T>(const Shape&, TensorOptions);                                     \
  template Tensor<T> scalar_tensor<T>(T, TensorOptions);                                       \
  template Tensor<T> zeros_like<T>(const Tensor<T>&);                                          \
  template Tensor<T> ones_like<T>(const Tensor<T>&);                                           \
  template Tensor<T> from_vector<T>(const std::vector<T>&, const Shape&, TensorOptions);       \
  template Tensor<T> linspace<T>(double, double, std::int64_t, TensorOptions);                 \
  template Tensor<T> arange<T>(double, double, double, TensorOptions);                         \
  template Tensor<T> arange<T>(double, TensorOptions);                                         \
  template Tensor<T> randn<T>(const Shape&, TensorOptions);                                    \
  template Tensor<T> rand<T>(const Shape&, TensorOptions);                                     \


EIGRAD_INSTANTIATE_FACTORIES(float)
EIGRAD_INSTANTIATE_FACTORIES(double)


}  // namespace eigrad
