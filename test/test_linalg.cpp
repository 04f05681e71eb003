#define BOOST_TEST_MODULE linalg
#include <boost/test/unit_test.hpp>

#include <cmath>
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

BOOST_AUTO_TEST_CASE(solve_needs_a_row_exchange_and_gives_the_exact_solution) {
  // A(0, 0) is zero, so the first pivot must come from another row; A x = b with x = (1, -2, 3).
  const Tensor<double> A{{0, 2, 1}, {1, 1, 1}, {4, -1, 2}};
  const Tensor<double> b{-1, 2, 12};
  const Tensor<double> x = linalg::solve(A, b);
  BOOST_TEST(x.shape() == Shape({3}));
  const double expected[] = {1, -2, 3};
  for (int i = 0; i < 3; ++i) BOOST_TEST(x.data()[i] == expected[i], boost::test_tools::tolerance(1e-14));
}

BOOST_AUTO_TEST_CASE(solve_with_several_right_hand_sides_in_float) {
  // Each column of B is A times a known column: X = [[1, 0], [2, -1]].
  const Tensor<float> A{{3, 1}, {1, 2}};
  const Tensor<float> B{{5, -1}, {5, -2}};
  const Tensor<float> X = linalg::solve(A, B);
  BOOST_TEST(X.shape() == Shape({2, 2}));
  const float expected[] = {1, 0, 2, -1};
  for (int i = 0; i < 4; ++i) BOOST_TEST(X.data()[i] == expected[i], boost::test_tools::tolerance(1e-6f));
  // A x = b holds for a system without a neat solution too (the residual is rounding).
  const Tensor<double> M{{4, 1, 0, 2}, {1, 5, 2, 0}, {0, 2, 6, 1}, {2, 0, 1, 7}};
  const Tensor<double> r{0.5, -1.25, 3, 2.75};
  const Tensor<double> y = linalg::solve(M, r);
  const Tensor<double> residual = M.matmul(y.unsqueeze(1)).squeeze(1) - r;
  for (int i = 0; i < 4; ++i) BOOST_TEST(std::abs(residual.data()[i]) < 1e-14);
}

BOOST_AUTO_TEST_CASE(solve_errors_name_the_shapes_the_singular_pivot_and_refuse_grad) {
  const auto names = [](std::string a, std::string b) {
    return [a, b](const ShapeError& e) {
      const std::string m = e.what();
      return m.find(a) != std::string::npos && m.find(b) != std::string::npos;
    };
  };
  const Tensor<double> identity{{1, 0}, {0, 1}};
  BOOST_CHECK_EXCEPTION(linalg::solve(zeros<double>({2, 3}), zeros<double>({2})), ShapeError,
                        names("[2, 3]", "not a square matrix"));
  BOOST_CHECK_EXCEPTION(linalg::solve(identity, zeros<double>({3})), ShapeError, names("[2, 2]", "[3]"));
  BOOST_CHECK_EXCEPTION(linalg::solve(identity, zeros<double>({2, 2, 1})), ShapeError,
                        names("[2, 2]", "[2, 2, 1]"));
  // Rows 0 and 1 are proportional: the second pivot is exactly zero.
  const Tensor<double> singular{{1, 2}, {2, 4}};
  BOOST_CHECK_EXCEPTION(linalg::solve(singular, ones<double>({2})), ValueError, [](const ValueError& e) {
    return std::string(e.what()).find("singular (pivot 2") != std::string::npos;
  });
  Tensor<double> Ag = identity.clone();
  Ag.requires_grad_();
  BOOST_CHECK_THROW(linalg::solve(Ag, ones<double>({2})), AutogradError);
  NoGradGuard no_grad;
  BOOST_TEST(linalg::solve(Ag, ones<double>({2})).numel() == 2);
}
