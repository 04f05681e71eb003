// Eigen's decompositions are slow to compile: they are instantiated here, once, so code
// that solves a least-squares problem compiles in seconds.
#include "eigrad/linalg.hpp"

#include <Eigen/QR>

#include "eigrad/autograd/grad_mode.hpp"

namespace eigrad::linalg {

template <class T>
Tensor<T> lstsq(const Tensor<T>& A, const Tensor<T>& B) {
  EIGRAD_CHECK(!(GradMode::is_enabled() && (A.requires_grad() || B.requires_grad())), AutogradError,
               "linalg::lstsq is not differentiable: call it on detached tensors or inside a NoGradGuard");
  EIGRAD_CHECK(A.dim() == 2 && (B.dim() == 1 || B.dim() == 2) && A.shape()[0] == B.shape()[0], ShapeError,
               "lstsq: A of shape ", to_string(A.shape()), " and B of shape ", to_string(B.shape()),
               " do not fit (need A [m, n] and B [m] or [m, k])");
  EIGRAD_CHECK(A.device() == B.device(), DeviceError, "lstsq: A on ", A.device().str(), " and B on ",
               B.device().str());
  if (A.is_cuda()) return lstsq(A.cpu(), B.cpu()).to(A.device());  // Eigen's QR on the host
  using Matrix = Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic>;
  const std::int64_t k = B.dim() == 1 ? 1 : B.shape()[1];
  const Matrix a = A.matrix();
  const Matrix b = Eigen::Map<const Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>>(
      B.data(), B.shape()[0], k);
  const Matrix x = a.colPivHouseholderQr().solve(b);
  Tensor<T> out = empty<T>(B.dim() == 1 ? Shape{A.shape()[1]} : Shape{A.shape()[1], k});
  Eigen::Map<Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>>(out.data(), A.shape()[1], k) = x;
  return out;
}

template Tensor<float> lstsq<float>(const Tensor<float>&, const Tensor<float>&);
template Tensor<double> lstsq<double>(const Tensor<double>&, const Tensor<double>&);

}  // namespace eigrad::linalg
