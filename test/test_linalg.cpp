#define BOOST_TEST_MODULE linalg
#include <boost/test/unit_test.hpp>

#include <string>

#include "eigrad/autograd/grad_mode.hpp"
#include "eigrad/linalg.hpp"

using namespace eigrad;

BOOST_AUTO_TEST_CASE(lstsq_fits_an_exact_line_and_a_noisy_one) {
  // y = 2 + 3 t exactly: the solution is exact.
  const Tensor<double> A{{1, 0}, {1, 1}, {1, 2}, {1, 3}};
  const Tensor<double> y{2, 5, 8, 11};
  const Tensor<double> x = linalg::lstsq(A, y);
  BOOST_TEST(x.shape() == Shape({2}));
  BOOST_TEST(x.data()[0] == 2.0, boost::test_tools::tolerance(1e-12));
  BOOST_TEST(x.data()[1] == 3.0, boost::test_tools::tolerance(1e-12));
  // Residual orthogonal to the columns: A^T (A x - b) = 0 for a noisy right-hand side.
  const Tensor<double> b{1, 0, 3, 2};
  const Tensor<double> x2 = linalg::lstsq(A, b);
  const Tensor<double> normal = A.t().matmul((A.matmul(x2.unsqueeze(1)) - b.unsqueeze(1)));
  for (int i = 0; i < 2; ++i) BOOST_TEST(std::abs(normal.data()[i]) < 1e-12);
}

BOOST_AUTO_TEST_CASE(lstsq_with_several_right_hand_sides_in_float) {
  const Tensor<float> A{{1, 0}, {0, 1}, {1, 1}};
  const Tensor<float> B{{1, 2}, {1, 4}, {2, 6}};
  const Tensor<float> X = linalg::lstsq(A, B);
  BOOST_TEST(X.shape() == Shape({2, 2}));
  BOOST_TEST(X.data()[0] == 1.0f, boost::test_tools::tolerance(1e-5f));
  BOOST_TEST(X.data()[1] == 2.0f, boost::test_tools::tolerance(1e-5f));
  BOOST_TEST(X.data()[3] == 4.0f, boost::test_tools::tolerance(1e-5f));
}

BOOST_AUTO_TEST_CASE(lstsq_errors_name_the_shapes_and_refuse_grad) {
  const Tensor<double> A = zeros<double>({3, 2});
  BOOST_CHECK_EXCEPTION(linalg::lstsq(A, zeros<double>({4})), ShapeError, [](const ShapeError& e) {
    const std::string m = e.what();
    return m.find("[3, 2]") != std::string::npos && m.find("[4]") != std::string::npos;
  });
  Tensor<double> Ag = ones<double>({3, 2});
  Ag.requires_grad_();
  BOOST_CHECK_THROW(linalg::lstsq(Ag, ones<double>({3})), AutogradError);
  NoGradGuard no_grad;
  BOOST_TEST(linalg::lstsq(Ag, ones<double>({3})).numel() == 2);
}
