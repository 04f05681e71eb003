// Eigen's decompositions are slow to compile: they are instantiated here, once, so code
// that solves a least-squares problem compiles in seconds.
#include "eigrad/linalg.hpp"

#include <Eigen/LU>
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

template <class T>
Tensor<T> solve(const Tensor<T>& A, const Tensor<T>& B) {
  EIGRAD_CHECK(!(GradMode::is_enabled() && (A.requires_grad() || B.requires_grad())), AutogradError,
               "linalg::solve is not differentiable: call it on detached tensors or inside a NoGradGuard");
  EIGRAD_CHECK(A.dim() == 2 && A.shape()[0] == A.shape()[1], ShapeError, "solve: A of shape ", to_string(A.shape()),
               " is not a square matrix");
  EIGRAD_CHECK((B.dim() == 1 || B.dim() == 2) && B.shape()[0] == A.shape()[0], ShapeError, "solve: A of shape ",
               to_string(A.shape()), " and B of shape ", to_string(B.shape()),
               " do not fit (need A [n, n] and B [n] or [n, k])");
  EIGRAD_CHECK(A.device() == B.device(), DeviceError, "solve: A on ", A.device().str(), " and B on ",
               B.device().str());
  if (A.is_cuda()) return solve(A.cpu(), B.cpu()).to(A.device());  // Eigen's LU on the host
  using RowMajor = Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
  const std::int64_t n = A.shape()[0];
  const std::int64_t k = B.dim() == 1 ? 1 : B.shape()[1];
  const Eigen::PartialPivLU<Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic>> lu(
      Eigen::Map<const RowMajor>(A.data(), n, n));
  // LAPACK's getrf reports an exactly zero pivot, which torch.linalg.solve turns into an
  // error; Eigen divides by it instead, so the check is made here.
  const auto pivots = lu.matrixLU().diagonal();
  for (std::int64_t i = 0; i < n; ++i)
    EIGRAD_CHECK(pivots(i) != T(0), ValueError, "solve: A of shape ", to_string(A.shape()),
                 " is singular (pivot ", i + 1, " of its LU factorisation is zero)");
  Tensor<T> out = empty<T>(B.shape());
  Eigen::Map<RowMajor>(out.data(), n, k) = lu.solve(Eigen::Map<const RowMajor>(B.data(), n, k));
  return out;
}

template Tensor<float> lstsq<float>(const Tensor<float>&, const Tensor<float>&);
template Tensor<double> lstsq<double>(const Tensor<double>&, const Tensor<double>&);
template Tensor<float> solve<float>(const Tensor<float>&, const Tensor<float>&);
template Tensor<double> solve<double>(const Tensor<double>&, const Tensor<double>&);

}  // namespace eigrad::linalg
