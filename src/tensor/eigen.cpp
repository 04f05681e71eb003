// Eigen interop: a tensor that takes over an Eigen array's buffer.
#include "eigrad/tensor/eigen.hpp"

namespace eigrad {

template <class T>
Tensor<T> from_eigen(Eigen::Array<T, Eigen::Dynamic, 1>&& array, Shape shape) {
  const std::int64_t n = array.size();
  if (shape.empty() && n != 1) shape = {n};
  EIGRAD_CHECK(numel(shape) == n, ShapeError, "from_eigen: an array of ", n, " elements cannot have shape ",
               to_string(shape));
  return Tensor<T>(Storage<T>(std::move(array)), std::move(shape));
}

template Tensor<float> from_eigen<float>(Eigen::Array<float, Eigen::Dynamic, 1>&&, Shape);
template Tensor<double> from_eigen<double>(Eigen::Array<double, Eigen::Dynamic, 1>&&, Shape);

}  // namespace eigrad
