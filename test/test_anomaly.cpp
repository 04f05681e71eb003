#define BOOST_TEST_MODULE anomaly
#include <boost/test/unit_test.hpp>

#include <cmath>
#include <string>

#include "eigrad/autograd/anomaly_mode.hpp"
#include "eigrad/tensor.hpp"

// autograd::DetectAnomalyGuard (issue 13, item 5), as torch.autograd.detect_anomaly.

using namespace eigrad;

namespace {

Tensor<double> leaf() { return Tensor<double>{1.0, 0.0, 4.0}.requires_grad_(true); }

/// The message of the AutogradError that \p backward throws, or "" with a test failure.
template <class F>
std::string anomaly_message(F backward) {
  try {
    backward();
  } catch (const AutogradError& e) {
    BOOST_TEST_MESSAGE("AutogradError: " << e.what());
    return e.what();
  }
  BOOST_ERROR("expected an AutogradError");
  return "";
}

bool contains(const std::string& text, const std::string& part) {
  const bool found = text.find(part) != std::string::npos;
  if (!found) BOOST_TEST_MESSAGE("'" << text << "' lacks '" << part << "'");
  return found;
}

}  // namespace

// PyTorch 1.13: x = tensor([1., 0., 4.]); (x.sqrt() * 0).sum().backward() gives x.grad
// [0, nan, 0]; under detect_anomaly it raises "Function 'SqrtBackward0' returned nan values
// in its 0th output."
BOOST_AUTO_TEST_CASE(a_nan_made_in_backward_names_the_node_the_shapes_and_the_forward_operation) {
  autograd::DetectAnomalyGuard guard;
  const Tensor<double> x = leaf();
  // One statement is one (fused) node named after its last op, so the sqrt gets a statement
  // of its own here, as it is a node of its own in PyTorch.
  const Tensor<double> root = x.sqrt();
  const Tensor<double> y = (root * 0.0).sum();
  const std::string message = anomaly_message([&] { y.backward(); });
  BOOST_TEST(contains(message, "Function 'SqrtBackward0' returned nan values in its 0th output"));
  BOOST_TEST(contains(message, "a gradient of shape [3]"));
  BOOST_TEST(contains(message, "forward: SqrtBackward0 recorded by a forward operation on inputs of shapes [3]"));
}

BOOST_AUTO_TEST_CASE(an_infinity_is_an_anomaly_too_unlike_pytorch_which_checks_nan_only) {
  autograd::DetectAnomalyGuard guard;
  const Tensor<double> x = leaf();
  const Tensor<double> root = x.sqrt();
  const Tensor<double> y = root.sum();
  const std::string message = anomaly_message([&] { y.backward(); });
  BOOST_TEST(contains(message, "'SqrtBackward0' returned inf values"));
}

BOOST_AUTO_TEST_CASE(nodes_recorded_outside_the_guard_are_still_checked_without_a_forward_description) {
  const Tensor<double> x = leaf();
  // One statement is one (fused) node named after its last op, so the sqrt gets a statement
  // of its own here, as it is a node of its own in PyTorch.
  const Tensor<double> root = x.sqrt();
  const Tensor<double> y = (root * 0.0).sum();
  autograd::DetectAnomalyGuard guard;
  const std::string message = anomaly_message([&] { y.backward(); });
  BOOST_TEST(contains(message, "forward: not recorded in anomaly mode"));
}

BOOST_AUTO_TEST_CASE(binary_operations_describe_both_input_shapes) {
  autograd::DetectAnomalyGuard guard;
  const Tensor<double> x = leaf();
  const Tensor<double> z = zeros<double>({2, 3});
  const Tensor<double> y = (x / z).sum();  // x's gradient is 1 / 0
  const std::string message = anomaly_message([&] { y.backward(); });
  BOOST_TEST(contains(message, "DivBackward0"));
  BOOST_TEST(contains(message, "inputs of shapes [3], [2, 3] giving shape [2, 3]"));
}

BOOST_AUTO_TEST_CASE(without_the_guard_the_nan_flows_into_the_gradient_as_in_pytorch) {
  const Tensor<double> x = leaf();
  (x.sqrt() * 0.0).sum().backward();
  const auto g = x.grad().to_vector();
  BOOST_TEST(g[0] == 0.0);
  BOOST_TEST(std::isnan(g[1]));
  BOOST_TEST(g[2] == 0.0);
}

BOOST_AUTO_TEST_CASE(finite_gradients_pass_unchanged_and_the_mode_is_restored) {
  BOOST_TEST(!autograd::AnomalyMode::is_enabled());
  Tensor<double> plain_grad;
  {
    const Tensor<double> x = Tensor<double>{1.0, 2.0, 4.0}.requires_grad_(true);
    (x.sqrt() * x).sum().backward();
    plain_grad = x.grad();
  }
  {
    autograd::DetectAnomalyGuard outer;
    {
      autograd::DetectAnomalyGuard inner;
      BOOST_TEST(autograd::AnomalyMode::is_enabled());
    }
    BOOST_TEST(autograd::AnomalyMode::is_enabled());
    const Tensor<double> x = Tensor<double>{1.0, 2.0, 4.0}.requires_grad_(true);
    BOOST_REQUIRE_NO_THROW((x.sqrt() * x).sum().backward());
    BOOST_TEST(x.grad().to_vector() == plain_grad.to_vector());
  }
  BOOST_TEST(!autograd::AnomalyMode::is_enabled());
}
