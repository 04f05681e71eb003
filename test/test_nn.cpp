#define BOOST_TEST_MODULE nn
#include <boost/mpl/list.hpp>
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <cmath>
#include <functional>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "eigrad/autograd/grad_mode.hpp"
#include "eigrad/autograd/gradcheck.hpp"
#include "eigrad/autograd/node.hpp"
#include "eigrad/errors.hpp"
#include "eigrad/nn/nn.hpp"
#include "eigrad/random.hpp"

namespace nn = eigrad::nn;
using eigrad::Tensor;
using eigrad::autograd::gradcheck;
using TD = Tensor<double>;

namespace {

std::vector<std::string> names_of(const std::vector<std::pair<std::string, TD>>& named) {
  std::vector<std::string> out;
  for (const auto& [name, t] : named) out.push_back(name);
  return out;
}

/// Expects \p fn to throw \p E whose message holds every one of \p parts.
template <class E, class F>
void check_throws(F&& fn, const std::vector<std::string>& parts) {
  try {
    fn();
    BOOST_ERROR("expected an exception mentioning '" << parts.front() << "'");
  } catch (const E& e) {
    const std::string msg = e.what();
    for (const auto& p : parts) BOOST_TEST(msg.find(p) != std::string::npos, "message '" << msg << "' lacks '" << p << "'");
  }
}

// A module written the documented way: parameters, a buffer and children.
class Block : public nn::Module<double> {
 public:
  Block() {
    lin = register_module("lin", std::make_shared<nn::Linear<double>>(2, 3));
    scale = register_parameter("scale", eigrad::ones<double>({3}));
    running = register_buffer("running", eigrad::zeros<double>({3}));
  }
  TD forward(const TD& x) override { return lin->forward(x) * scale; }
  std::shared_ptr<nn::Linear<double>> lin;
  TD scale, running;
};

class Net : public nn::Module<double> {
 public:
  Net() {
    alpha = register_parameter("alpha", eigrad::scalar_tensor<double>(0.5));
    block = register_module("block", std::make_shared<Block>());
    seq = register_module("seq", std::make_shared<nn::Sequential<double>>(nn::Linear<double>(3, 1), nn::Tanh<double>()));
  }
  TD forward(const TD& x) override { return seq->forward(block->forward(x)) * alpha; }
  TD alpha;
  std::shared_ptr<Block> block;
  std::shared_ptr<nn::Sequential<double>> seq;
};

// d = input - target = {0.75, -2, -0.5, 2.5}: no element on a kink of any loss below.
const std::vector<double> k_input = {0.75, -2.0, 0.5, 3.0};
const std::vector<double> k_target = {0.0, 0.0, 1.0, 0.5};

struct LossCase {
  std::string name;
  std::function<TD(const TD&, const TD&, nn::Reduction)> fn;
  std::vector<double> values;  // elementwise
  std::vector<double> grads;   // d value_i / d input_i
};

std::vector<LossCase> loss_cases() {
  namespace F = nn::functional;
  return {
      {"mse", [](const TD& a, const TD& b, nn::Reduction r) { return nn::MSELoss<double>(r)(a, b); },
       {0.5625, 4.0, 0.25, 6.25}, {1.5, -4.0, -1.0, 5.0}},
      {"l1", [](const TD& a, const TD& b, nn::Reduction r) { return nn::L1Loss<double>(r)(a, b); },
       {0.75, 2.0, 0.5, 2.5}, {1.0, -1.0, -1.0, 1.0}},
      {"huber(1)", [](const TD& a, const TD& b, nn::Reduction r) { return nn::HuberLoss<double>(r, 1.0)(a, b); },
       {0.28125, 1.5, 0.125, 2.0}, {0.75, -1.0, -0.5, 1.0}},
      {"huber(1.5)", [](const TD& a, const TD& b, nn::Reduction r) { return F::huber_loss(a, b, r, 1.5); },
       {0.28125, 1.875, 0.125, 2.625}, {0.75, -1.5, -0.5, 1.5}},
      {"smooth_l1(1)", [](const TD& a, const TD& b, nn::Reduction r) { return nn::SmoothL1Loss<double>(r)(a, b); },
       {0.28125, 1.5, 0.125, 2.0}, {0.75, -1.0, -0.5, 1.0}},
      {"smooth_l1(0.6)",
       [](const TD& a, const TD& b, nn::Reduction r) {
         return nn::SmoothL1Loss<double>(nn::SmoothL1LossOptions().reduction(r).beta(0.6))(a, b);
       },
       {0.45, 1.7, 0.125 / 0.6, 2.2}, {1.0, -1.0, -0.5 / 0.6, 1.0}},
      {"smooth_l1(0)", [](const TD& a, const TD& b, nn::Reduction r) { return F::smooth_l1_loss(a, b, r, 0.0); },
       {0.75, 2.0, 0.5, 2.5}, {1.0, -1.0, -1.0, 1.0}},
  };
}

// A loss evaluated where its pieces meet, with PyTorch 1.13's total and gradients.
template <class T>
struct EdgeCase {
  std::string name;
  std::function<Tensor<T>(const Tensor<T>&, const Tensor<T>&)> loss;
  std::vector<T> input, target;  // empty shape: one rank-0 element
  double total;                  // loss.sum()
  std::vector<double> input_grad, target_grad;  // of loss.sum(); empty: operand not requiring grad
};

// Each number is torch 1.13.1's, in float32 and float64 alike, from
//   x = torch.tensor(input, requires_grad=True); y = torch.tensor(target, requires_grad=True)
//   F.smooth_l1_loss(x, y, beta=0.0, reduction='sum').sum().backward(); x.grad, y.grad
// PyTorch gives each operand of MSE, Huber and smooth L1 the loss's derivative at its own
// difference (input − target for the input, target − input for the target). Where the
// branches of smooth L1's derivative tie (beta = 0 at a zero difference: d <= -beta holds),
// both operands get −1, not opposite gradients. L1 is abs(input − target) in PyTorch 1.13, so
// its gradient at a zero difference is sgn(0) = 0, −0 for the target.
template <class T>
std::vector<EdgeCase<T>> edge_cases() {
  namespace F = nn::functional;
  using R = nn::Reduction;
  const std::vector<T> x4 = {1.75, 0.5, 2.0, -1.0}, y4 = {1.75, 1.5, 2.0, -3.0};
  std::vector<EdgeCase<T>> cases = {
      {"smooth_l1(beta=0) at x = y = 1.75", [](auto& a, auto& b) { return F::smooth_l1_loss(a, b, R::Mean, 0.0); },
       {1.75}, {1.75}, 0.0, {-1.0}, {-1.0}},
      {"smooth_l1(beta=0), mean", [](auto& a, auto& b) { return nn::SmoothL1Loss<T>(R::Mean, 0.0)(a, b); },
       x4, y4, 0.75, {-0.25, -0.25, -0.25, 0.25}, {-0.25, 0.25, -0.25, -0.25}},
      {"smooth_l1(beta=0), sum", [](auto& a, auto& b) { return F::smooth_l1_loss(a, b, R::Sum, 0.0); },
       x4, y4, 3.0, {-1.0, -1.0, -1.0, 1.0}, {-1.0, 1.0, -1.0, -1.0}},
      {"smooth_l1(beta=0), none", [](auto& a, auto& b) { return F::smooth_l1_loss(a, b, R::None, 0.0); },
       x4, y4, 3.0, {-1.0, -1.0, -1.0, 1.0}, {-1.0, 1.0, -1.0, -1.0}},
      {"smooth_l1(beta=0), input only", [](auto& a, auto& b) { return F::smooth_l1_loss(a, b, R::Mean, 0.0); },
       {1.75, 1.75}, {1.75, 0.75}, 0.5, {-0.5, 0.5}, {}},
      {"smooth_l1(beta=0), target only", [](auto& a, auto& b) { return F::smooth_l1_loss(a, b, R::Mean, 0.0); },
       {1.75, 1.75}, {1.75, 0.75}, 0.5, {}, {-0.5, -0.5}},
      {"l1, sum", [](auto& a, auto& b) { return F::l1_loss(a, b, R::Sum); },
       x4, y4, 3.0, {0.0, -1.0, 0.0, 1.0}, {-0.0, 1.0, -0.0, -1.0}},
      {"mse, sum", [](auto& a, auto& b) { return F::mse_loss(a, b, R::Sum); },
       x4, y4, 5.0, {0.0, -2.0, 0.0, 4.0}, {0.0, 2.0, 0.0, -4.0}},
  };
  // A zero difference and |d| == beta (delta), where the quadratic and linear parts meet.
  for (const double b : {0.5, 0.6, 1.0}) {
    const T t = static_cast<T>(b);
    const std::vector<T> x = {0.0, t, -t, 2.0, 1.75}, y = {0.0, 0.0, 0.0, 2.0, 1.75};
    cases.push_back({"smooth_l1(beta=" + std::to_string(b) + "), sum",
                     [b](auto& u, auto& v) { return F::smooth_l1_loss(u, v, R::Sum, b); }, x, y, t,
                     {0.0, 1.0, -1.0, 0.0, 0.0}, {0.0, -1.0, 1.0, 0.0, 0.0}});
    cases.push_back({"huber(delta=" + std::to_string(b) + "), sum",
                     [b](auto& u, auto& v) { return nn::HuberLoss<T>(R::Sum, b)(u, v); }, x, y,
                     static_cast<double>(t) * t, {0.0, t, -t, 0.0, 0.0}, {0.0, -t, t, 0.0, 0.0}});
  }
  return cases;
}

/// \p got equals \p want exactly, the sign of a zero included.
template <class T>
void check_exactly(const std::vector<T>& got, const std::vector<double>& want) {
  BOOST_REQUIRE_EQUAL(got.size(), want.size());
  for (std::size_t i = 0; i < got.size(); ++i) {
    BOOST_TEST(got[i] == static_cast<T>(want[i]), "element " << i);
    BOOST_TEST(std::signbit(got[i]) == std::signbit(want[i]), "sign of element " << i << " (" << got[i] << ")");
  }
}

using FloatTypes = boost::mpl::list<float, double>;

}  // namespace

// ============================================================================ Module

BOOST_AUTO_TEST_SUITE(module)

BOOST_AUTO_TEST_CASE(registration_and_dotted_names_in_pytorch_order) {
  Net net;
  BOOST_TEST(names_of(net.named_parameters()) ==
                 std::vector<std::string>({"alpha", "block.scale", "block.lin.weight", "block.lin.bias", "seq.0.weight",
                                           "seq.0.bias"}),
             boost::test_tools::per_element());
  BOOST_TEST(names_of(net.named_parameters(false)) == std::vector<std::string>({"alpha"}),
             boost::test_tools::per_element());
  BOOST_TEST(net.parameters().size() == 6u);
  BOOST_TEST(net.parameters()[2].is_same(net.block->lin->weight));
  BOOST_TEST(names_of(net.named_buffers()) == std::vector<std::string>({"block.running"}),
             boost::test_tools::per_element());
  BOOST_TEST(net.buffers().size() == 1u);
  BOOST_TEST(net.named_buffers(false).empty());
  BOOST_TEST(names_of(net.state_dict()) ==
                 std::vector<std::string>({"alpha", "block.scale", "block.running", "block.lin.weight", "block.lin.bias",
                                           "seq.0.weight", "seq.0.bias"}),
             boost::test_tools::per_element());
  const auto children = net.named_children();
  BOOST_REQUIRE_EQUAL(children.size(), 2u);
  BOOST_TEST(children[0].first == "block");
  BOOST_TEST(children[1].first == "seq");
  BOOST_TEST(net.children()[0].get() == net.block.get());
  std::vector<std::string> module_names;
  for (const auto& [name, m] : net.named_modules()) module_names.push_back(name + ":" + m->name());
  BOOST_TEST(module_names == std::vector<std::string>({":Net", "block:Block", "block.lin:Linear", "seq:Sequential",
                                                       "seq.0:Linear", "seq.1:Tanh"}),
             boost::test_tools::per_element());
  BOOST_TEST(net.modules().size() == 6u);
  for (const auto& p : net.parameters()) {
    BOOST_TEST(p.requires_grad());
    BOOST_TEST(p.is_leaf());
  }
  BOOST_TEST(!net.block->running.requires_grad());
}

BOOST_AUTO_TEST_CASE(registration_rules) {
  nn::Module<double> m;
  TD w = eigrad::ones<double>({2});
  TD got = m.register_parameter("w", w);
  BOOST_TEST(got.is_same(w));  // a leaf is kept as the same handle
  BOOST_TEST(w.requires_grad());
  check_throws<eigrad::ValueError>([&] { m.register_parameter("w", eigrad::ones<double>({1})); }, {"'w'", "already exists"});
  check_throws<eigrad::ValueError>([&] { m.register_buffer("w", eigrad::ones<double>({1})); }, {"'w'"});
  check_throws<eigrad::ValueError>([&] { m.register_module("w", std::make_shared<nn::ReLU<double>>()); }, {"'w'"});
  check_throws<eigrad::ValueError>([&] { m.register_parameter("a.b", eigrad::ones<double>({1})); }, {"'a.b'", "'.'"});
  check_throws<eigrad::ValueError>([&] { m.register_parameter("", eigrad::ones<double>({1})); }, {"empty"});
  check_throws<eigrad::ValueError>([&] { m.register_module("null", std::shared_ptr<nn::ReLU<double>>()); }, {"null"});

  // A computed tensor is detached into a leaf; requires_grad = false is honoured.
  TD x = eigrad::ones<double>({2}, eigrad::TensorOptions().requires_grad(true));
  TD y = m.register_parameter("y", x * 2.0);
  BOOST_TEST(y.is_leaf());
  BOOST_TEST(y.requires_grad());
  TD frozen = m.register_parameter("frozen", eigrad::ones<double>({1}), false);
  BOOST_TEST(!frozen.requires_grad());
  // An absent parameter (PyTorch's None) is skipped.
  m.register_parameter("none", TD());
  BOOST_TEST(names_of(m.named_parameters()) == std::vector<std::string>({"w", "y", "frozen"}),
             boost::test_tools::per_element());

  // Cycles are refused.
  auto outer = std::make_shared<nn::Sequential<double>>();
  auto inner = std::make_shared<nn::Sequential<double>>();
  outer->push_back(inner);
  check_throws<eigrad::ValueError>([&] { inner->push_back(outer); }, {"cycle"});

  // A module without forward(input) says so.
  check_throws<eigrad::ValueError>([&] { m(eigrad::ones<double>({2})); }, {"Module", "forward", "[2]"});
}

BOOST_AUTO_TEST_CASE(parameter_is_a_leaf_that_requires_grad_sharing_data) {
  TD data = eigrad::zeros<double>({3});
  nn::Parameter<double> p(data);
  BOOST_TEST(p.requires_grad());
  BOOST_TEST(p.is_leaf());
  BOOST_TEST(!data.requires_grad());  // the handle passed in keeps its own state
  data.fill_(2.0);
  BOOST_TEST(p.to_vector() == std::vector<double>(3, 2.0), boost::test_tools::per_element());
  TD x = eigrad::ones<double>({3}, eigrad::TensorOptions().requires_grad(true));
  nn::Parameter<double> q(x * 3.0, false);
  BOOST_TEST(q.is_leaf());
  BOOST_TEST(!q.requires_grad());
  nn::Module<double> m;
  m.register_parameter("p", p);
  BOOST_TEST(m.parameters()[0].is_same(p));
}

BOOST_AUTO_TEST_CASE(shared_parameters_are_listed_once_but_saved_under_every_name) {
  auto lin = std::make_shared<nn::Linear<double>>(2, 2);
  nn::Sequential<double> seq;
  seq.push_back(lin);
  seq.push_back(lin);
  BOOST_TEST(names_of(seq.named_parameters()) == std::vector<std::string>({"0.weight", "0.bias"}),
             boost::test_tools::per_element());
  BOOST_TEST(names_of(seq.state_dict()) == std::vector<std::string>({"0.weight", "0.bias", "1.weight", "1.bias"}),
             boost::test_tools::per_element());
  // parameters() lists named_parameters()'s tensors in its order, for a small model and for
  // one of over 64 parameters (40 layers, every fifth one shared with the first).
  for (const int layers : {3, 40}) {
    nn::Sequential<double> net;
    auto first = std::make_shared<nn::Linear<double>>(2, 2);
    for (int k = 0; k < layers; ++k) net.push_back(k % 5 == 0 ? first : std::make_shared<nn::Linear<double>>(2, 2));
    const auto named = net.named_parameters();
    const auto params = net.parameters();
    BOOST_TEST_REQUIRE(params.size() == named.size());
    BOOST_TEST(params.size() == static_cast<std::size_t>(2 * (layers - (layers - 1) / 5)));
    for (std::size_t k = 0; k < params.size(); ++k) BOOST_TEST(params[k].is_same(named[k].second));
  }
}

BOOST_AUTO_TEST_CASE(zero_grad_to_none_and_to_zeros) {
  Net net;
  const TD x = eigrad::from_vector<double>({0.1, 0.2, 0.3, 0.4}, {2, 2});
  net(x).sum().backward();
  for (const auto& p : net.parameters()) BOOST_TEST(p.grad().defined());
  net.zero_grad(false);
  for (const auto& p : net.parameters()) {
    BOOST_REQUIRE(p.grad().defined());
    BOOST_TEST(p.grad().shape() == p.shape(), boost::test_tools::per_element());
    for (const double g : p.grad().to_vector()) BOOST_TEST(g == 0.0);
  }
  // Zeroed gradients accumulate again from zero.
  net(x).sum().backward();
  const auto first = net.parameters()[0].grad().to_vector();
  net.zero_grad(false);
  net(x).sum().backward();
  BOOST_TEST(net.parameters()[0].grad().to_vector() == first, boost::test_tools::per_element());
  net.zero_grad();  // set_to_none = true by default
  for (const auto& p : net.parameters()) BOOST_TEST(!p.grad().defined());
  net.zero_grad(false);  // nothing to zero: stays undefined
  for (const auto& p : net.parameters()) BOOST_TEST(!p.grad().defined());
}

BOOST_AUTO_TEST_CASE(train_and_eval_reach_every_descendant) {
  Net net;
  for (auto* m : net.modules()) BOOST_TEST(m->is_training());
  net.eval();
  for (auto* m : net.modules()) BOOST_TEST(!m->is_training());
  net.seq->train();
  BOOST_TEST(!net.is_training());
  BOOST_TEST(net.seq->is_training());
  BOOST_TEST((*net.seq)[0].is_training());
  BOOST_TEST(!net.block->is_training());
  net.train();
  for (auto* m : net.modules()) BOOST_TEST(m->is_training());
}

BOOST_AUTO_TEST_CASE(apply_visits_children_before_their_parent) {
  Net net;
  std::vector<std::string> order;
  net.apply([&](nn::Module<double>& m) { order.push_back(m.name()); });
  BOOST_TEST(order == std::vector<std::string>({"Linear", "Block", "Linear", "Tanh", "Sequential", "Net"}),
             boost::test_tools::per_element());
  // The typical use: re-initialise every Linear layer.
  net.apply([](nn::Module<double>& m) {
    if (auto* lin = dynamic_cast<nn::Linear<double>*>(&m)) {
      nn::init::constant_(lin->weight, 0.25);
      nn::init::zeros_(lin->bias);
    }
  });
  for (const double w : net.block->lin->weight.to_vector()) BOOST_TEST(w == 0.25);
  for (const double w : net.seq->at<nn::Linear<double>>(0).weight.to_vector()) BOOST_TEST(w == 0.25);
  for (const double b : net.block->lin->bias.to_vector()) BOOST_TEST(b == 0.0);
}

BOOST_AUTO_TEST_CASE(to_device) {
  nn::Linear<float> lin(3, 2);
  const auto before = lin.weight.to_vector();
  lin.to(eigrad::Device::cpu());  // already there: nothing changes
  BOOST_TEST(lin.weight.to_vector() == before, boost::test_tools::per_element());
  BOOST_TEST(lin.weight.device() == eigrad::Device::cpu());
  if (!eigrad::cuda_backend_built()) {
    BOOST_CHECK_THROW(lin.to(eigrad::Device::cuda()), eigrad::DeviceError);
    BOOST_TEST(lin.weight.device() == eigrad::Device::cpu());
    BOOST_TEST(lin.weight.to_vector() == before, boost::test_tools::per_element());
  }
}

BOOST_AUTO_TEST_CASE(repr_is_pytorchs) {
  nn::Sequential<float> model(nn::Linear<float>(3, 1), nn::Flatten<float>(0, 1));
  BOOST_TEST(model.repr() ==
             "Sequential(\n"
             "  (0): Linear(in_features=3, out_features=1, bias=True)\n"
             "  (1): Flatten(start_dim=0, end_dim=1)\n"
             ")");
  std::ostringstream os;
  os << model;
  BOOST_TEST(os.str() == model.repr());
  BOOST_TEST(Net().repr() ==
             "Net(\n"
             "  (block): Block(\n"
             "    (lin): Linear(in_features=2, out_features=3, bias=True)\n"
             "  )\n"
             "  (seq): Sequential(\n"
             "    (0): Linear(in_features=3, out_features=1, bias=True)\n"
             "    (1): Tanh()\n"
             "  )\n"
             ")");
  BOOST_TEST(nn::Linear<double>(4, 2, false).repr() == "Linear(in_features=4, out_features=2, bias=False)");
  BOOST_TEST(nn::ReLU<float>().repr() == "ReLU()");
  BOOST_TEST(nn::Sigmoid<float>().repr() == "Sigmoid()");
  BOOST_TEST(nn::Flatten<float>().repr() == "Flatten(start_dim=1, end_dim=-1)");
  BOOST_TEST(nn::MSELoss<float>().repr() == "MSELoss()");
  BOOST_TEST(nn::Sequential<float>().repr() == "Sequential()");
}

BOOST_AUTO_TEST_CASE(modules_move) {
  nn::Linear<double> a(2, 2);
  const TD w = a.weight;
  nn::Linear<double> b(std::move(a));
  BOOST_TEST(b.weight.is_same(w));
  BOOST_TEST(b.parameters()[0].is_same(w));
}

BOOST_AUTO_TEST_SUITE_END()

// ============================================================================ layers

BOOST_AUTO_TEST_SUITE(layers)

BOOST_AUTO_TEST_CASE(linear_default_init_is_uniform_within_one_over_sqrt_in) {
  eigrad::manual_seed(7);
  nn::Linear<float> lin(100, 200);
  BOOST_TEST(lin.weight.shape() == eigrad::Shape({200, 100}), boost::test_tools::per_element());
  BOOST_TEST(lin.bias.shape() == eigrad::Shape({200}), boost::test_tools::per_element());
  const double bound = 0.1;
  auto check = [&](const std::vector<float>& v) {
    double lo = 1, hi = -1, sum = 0;
    for (const float x : v) {
      lo = std::min(lo, double(x));
      hi = std::max(hi, double(x));
      sum += x;
    }
    BOOST_TEST(lo >= -bound);
    BOOST_TEST(hi <= bound);
    BOOST_TEST(lo < -0.095);  // the draws fill the interval
    BOOST_TEST(hi > 0.095);
    BOOST_TEST(std::abs(sum / double(v.size())) < 0.01);
  };
  check(lin.weight.to_vector());
  check(lin.bias.to_vector());
  BOOST_TEST(lin.weight.requires_grad());
  // Seeded: the same seed gives the same layer, another seed another one.
  eigrad::manual_seed(7);
  nn::Linear<float> again(100, 200);
  BOOST_TEST(again.weight.to_vector() == lin.weight.to_vector(), boost::test_tools::per_element());
  eigrad::manual_seed(8);
  nn::Linear<float> other(100, 200);
  BOOST_TEST(other.weight.to_vector() != lin.weight.to_vector());
  // Small layers too: Linear(3, 1) has bound 1/sqrt(3).
  for (int i = 0; i < 50; ++i) {
    nn::Linear<double> small(3, 1);
    for (const double w : small.weight.to_vector()) BOOST_TEST(std::abs(w) <= 1 / std::sqrt(3.0));
    BOOST_TEST(std::abs(small.bias.item()) <= 1 / std::sqrt(3.0));
  }
  nn::Linear<double> no_bias(nn::LinearOptions(3, 2).bias(false));
  BOOST_TEST(!no_bias.bias.defined());
  BOOST_TEST(no_bias.parameters().size() == 1u);
}

BOOST_AUTO_TEST_CASE(linear_forward_values_shapes_and_gradients) {
  nn::Linear<double> lin(3, 2);
  nn::init::constant_(lin.weight, 0.0);
  {
    eigrad::NoGradGuard g;
    lin.weight.copy_(TD{{1.0, 2.0, 3.0}, {-1.0, 0.5, 0.0}});
    lin.bias.copy_(TD{0.5, -0.5});
  }
  const TD x{{1.0, 1.0, 1.0}, {2.0, 0.0, -1.0}};
  const TD y = lin(x);
  BOOST_TEST(y.shape() == eigrad::Shape({2, 2}), boost::test_tools::per_element());
  BOOST_TEST(y.to_vector() == std::vector<double>({6.5, -1.0, -0.5, -2.5}), boost::test_tools::per_element());
  // Rank 1 and rank 3 inputs apply to the last dimension.
  const TD y1 = lin(TD{1.0, 1.0, 1.0});
  BOOST_TEST(y1.shape() == eigrad::Shape({2}), boost::test_tools::per_element());
  BOOST_TEST(y1.to_vector() == std::vector<double>({6.5, -1.0}), boost::test_tools::per_element());
  const TD y3 = lin(x.reshape({1, 2, 3}));
  BOOST_TEST(y3.shape() == eigrad::Shape({1, 2, 2}), boost::test_tools::per_element());
  BOOST_TEST(y3.to_vector() == y.to_vector(), boost::test_tools::per_element());
  check_throws<eigrad::ShapeError>([&] { lin(eigrad::ones<double>({5, 4})); }, {"[5, 4]", "in_features=3"});

  // Gradients with respect to input, weight and bias.
  nn::Linear<double> probe(3, 2);
  const auto r = gradcheck(
      [&](const std::vector<TD>& in) {
        probe.weight = in[1];
        probe.bias = in[2];
        return probe(in[0]);
      },
      {eigrad::randn<double>({4, 3}, eigrad::TensorOptions().requires_grad(true)),
       eigrad::randn<double>({2, 3}, eigrad::TensorOptions().requires_grad(true)),
       eigrad::randn<double>({2}, eigrad::TensorOptions().requires_grad(true))});
  BOOST_TEST(r.ok, r.message);

  // Through the module's own parameters: backward fills weight.grad and bias.grad.
  nn::Linear<double> lin2(3, 1);
  const TD xs = eigrad::randn<double>({5, 3});
  lin2(xs).sum().backward();
  BOOST_REQUIRE(lin2.weight.grad().defined());
  std::vector<double> col_sums(3, 0.0);
  const auto xv = xs.to_vector();
  for (int i = 0; i < 5; ++i)
    for (int j = 0; j < 3; ++j) col_sums[j] += xv[i * 3 + j];
  const auto gw = lin2.weight.grad().to_vector();
  for (int j = 0; j < 3; ++j) BOOST_TEST(gw[j] == col_sums[j], boost::test_tools::tolerance(1e-12));
  BOOST_TEST(lin2.bias.grad().item() == 5.0);
}

BOOST_AUTO_TEST_CASE(flatten) {
  nn::Flatten<float> f(0, 1);
  const Tensor<float> x = eigrad::ones<float>({4, 1});
  BOOST_TEST(f(x).shape() == eigrad::Shape({4}), boost::test_tools::per_element());
  nn::Flatten<float> def;
  BOOST_TEST(def(eigrad::ones<float>({2, 3, 4})).shape() == eigrad::Shape({2, 12}), boost::test_tools::per_element());
  const auto r = gradcheck([](const std::vector<TD>& in) { return nn::Flatten<double>(0, 1)(in[0]) * 2.0; },
                           {eigrad::randn<double>({3, 2}, eigrad::TensorOptions().requires_grad(true))});
  BOOST_TEST(r.ok, r.message);
}

BOOST_AUTO_TEST_CASE(sequential_indexing_typed_access_and_iteration) {
  auto shared = std::make_shared<nn::ReLU<float>>();
  nn::Sequential<float> model(nn::Linear<float>(3, 1), nn::Flatten<float>(0, 1));
  model.push_back(shared);
  model.push_back("act", std::make_shared<nn::Tanh<float>>());
  BOOST_TEST(model.size() == 4u);
  BOOST_TEST(!model.is_empty());
  BOOST_TEST(model[0].name() == "Linear");
  BOOST_TEST(model[-1].name() == "Tanh");
  BOOST_TEST(model.ptr(2).get() == shared.get());
  nn::Linear<float>& linear = model.at<nn::Linear<float>>(0);
  BOOST_TEST(linear.weight.shape() == eigrad::Shape({1, 3}), boost::test_tools::per_element());
  BOOST_TEST(model.get<nn::Linear<float>>(0).weight.is_same(linear.weight));
  BOOST_TEST(model.ptr<nn::Linear<float>>(0)->bias.is_same(linear.bias));
  check_throws<eigrad::ValueError>([&] { model.at<nn::ReLU<float>>(0); }, {"Linear", "ReLU"});
  check_throws<eigrad::ValueError>([&] { model[4]; }, {"index 4", "4 modules"});
  check_throws<eigrad::ValueError>([&] { model[-5]; }, {"index -5"});
  std::vector<std::string> names;
  for (const auto& layer : model) names.push_back(layer->name());
  BOOST_TEST(names == std::vector<std::string>({"Linear", "Flatten", "ReLU", "Tanh"}), boost::test_tools::per_element());
  std::vector<std::string> child_names;
  for (const auto& [name, m] : model.named_children()) child_names.push_back(name);
  BOOST_TEST(child_names == std::vector<std::string>({"0", "1", "2", "act"}), boost::test_tools::per_element());

  // forward chains the children: tanh(relu(flatten(linear(x)))).
  const Tensor<float> x = eigrad::randn<float>({5, 3});
  const auto lin_out = (x.matmul(linear.weight.t()) + linear.bias).flatten(0, 1).relu().tanh().to_vector();
  BOOST_TEST(model(x).to_vector() == lin_out, boost::test_tools::per_element());

  // replace_module keeps the position.
  model.replace_module("2", std::make_shared<nn::Sigmoid<float>>());
  BOOST_TEST(model[2].name() == "Sigmoid");
  BOOST_TEST(model.named_children()[2].second.get() == model.ptr(2).get());
  // An empty Sequential is the identity.
  nn::Sequential<float> empty;
  BOOST_TEST(empty(x).to_vector() == x.to_vector(), boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(activations_values_and_gradients) {
  const TD x{-2.0, -0.5, 0.25, 1.5};
  const auto relu = nn::ReLU<double>()(x).to_vector();
  const auto tanh = nn::Tanh<double>()(x).to_vector();
  const auto sig = nn::Sigmoid<double>()(x).to_vector();
  const auto xv = x.to_vector();
  for (std::size_t i = 0; i < xv.size(); ++i) {
    BOOST_TEST(relu[i] == std::max(xv[i], 0.0));
    BOOST_TEST(tanh[i] == std::tanh(xv[i]), boost::test_tools::tolerance(1e-15));
    BOOST_TEST(sig[i] == 1 / (1 + std::exp(-xv[i])), boost::test_tools::tolerance(1e-15));
  }
  const auto opts = eigrad::TensorOptions().requires_grad(true);
  const TD xg = eigrad::from_vector<double>({-2.0, -0.5, 0.25, 1.5, 0.7, -1.1}, {2, 3}, opts);
  for (const auto& activation : std::vector<std::pair<std::string, std::function<TD(const TD&)>>>{
           {"ReLU", [](const TD& t) { return nn::ReLU<double>()(t); }},
           {"Tanh", [](const TD& t) { return nn::Tanh<double>()(t); }},
           {"Sigmoid", [](const TD& t) { return nn::Sigmoid<double>()(t); }}}) {
    const auto& fn = activation.second;
    const auto r = gradcheck([&](const std::vector<TD>& in) { return fn(in[0]); }, {xg});
    BOOST_TEST(r.ok, activation.first << ": " << r.message);
  }
  // Analytic derivatives at the points, independent of gradcheck.
  TD t = TD{0.3, -0.8}.requires_grad_();
  nn::Sigmoid<double>()(t).sum().backward();
  for (int i = 0; i < 2; ++i) {
    const double v = t.to_vector()[i], s = 1 / (1 + std::exp(-v));
    BOOST_TEST(t.grad().to_vector()[i] == s * (1 - s), boost::test_tools::tolerance(1e-14));
  }
  TD u = TD{0.3, -0.8}.requires_grad_();
  nn::Tanh<double>()(u).sum().backward();
  for (int i = 0; i < 2; ++i) {
    const double th = std::tanh(u.to_vector()[i]);
    BOOST_TEST(u.grad().to_vector()[i] == 1 - th * th, boost::test_tools::tolerance(1e-14));
  }
  TD w = TD{0.3, -0.8}.requires_grad_();
  nn::ReLU<double>()(w).sum().backward();
  BOOST_TEST(w.grad().to_vector() == std::vector<double>({1.0, 0.0}), boost::test_tools::per_element());
}

BOOST_AUTO_TEST_SUITE_END()

// ============================================================================ losses

BOOST_AUTO_TEST_SUITE(losses)

BOOST_AUTO_TEST_CASE(every_loss_every_reduction_against_hand_computed_values_and_gradients) {
  const auto opts = eigrad::TensorOptions().requires_grad(true);
  for (const auto& c : loss_cases()) {
    BOOST_TEST_CONTEXT(c.name) {
      double sum = 0;
      for (const double v : c.values) sum += v;
      const double n = static_cast<double>(c.values.size());
      for (const auto r : {nn::Reduction::None, nn::Reduction::Mean, nn::Reduction::Sum}) {
        BOOST_TEST_CONTEXT("reduction " << nn::reduction_name(r)) {
          TD input = eigrad::from_vector<double>(k_input, {4}, opts);
          TD target = eigrad::from_vector<double>(k_target, {4}, opts);
          const TD loss = c.fn(input, target, r);
          if (r == nn::Reduction::None) {
            BOOST_TEST(loss.shape() == eigrad::Shape({4}), boost::test_tools::per_element());
            const auto v = loss.to_vector();
            for (std::size_t i = 0; i < 4; ++i) BOOST_TEST(v[i] == c.values[i], boost::test_tools::tolerance(1e-12));
            loss.backward(eigrad::ones<double>({4}));
          } else {
            BOOST_TEST(loss.dim() == 0);
            BOOST_TEST(loss.item() == (r == nn::Reduction::Sum ? sum : sum / n), boost::test_tools::tolerance(1e-12));
            loss.backward();
          }
          const double scale = r == nn::Reduction::Mean ? 1 / n : 1.0;
          const auto gi = input.grad().to_vector(), gt = target.grad().to_vector();
          for (std::size_t i = 0; i < 4; ++i) {
            BOOST_TEST(gi[i] == c.grads[i] * scale, boost::test_tools::tolerance(1e-12));
            BOOST_TEST(gt[i] == -c.grads[i] * scale, boost::test_tools::tolerance(1e-12));
          }
          // And against finite differences, for both operands.
          const auto gc = gradcheck(
              [&](const std::vector<TD>& in) { return c.fn(in[0], in[1], r); },
              {eigrad::from_vector<double>(k_input, {2, 2}, opts), eigrad::from_vector<double>(k_target, {2, 2}, opts)});
          BOOST_TEST(gc.ok, gc.message);
        }
      }
    }
  }
}

BOOST_AUTO_TEST_CASE_TEMPLATE(gradients_where_the_pieces_meet_are_pytorchs, T, FloatTypes) {
  for (const auto& c : edge_cases<T>()) {
    BOOST_TEST_CONTEXT(c.name) {
      const eigrad::Shape shape =
          c.input.size() == 1 ? eigrad::Shape{} : eigrad::Shape{static_cast<std::int64_t>(c.input.size())};
      Tensor<T> input = eigrad::from_vector<T>(c.input, shape);
      Tensor<T> target = eigrad::from_vector<T>(c.target, shape);
      input.requires_grad_(!c.input_grad.empty());
      target.requires_grad_(!c.target_grad.empty());
      const Tensor<T> total = c.loss(input, target).sum();
      BOOST_TEST(total.item() == static_cast<T>(c.total), boost::test_tools::tolerance(T(1e-6)));
      total.backward();
      if (!c.input_grad.empty()) check_exactly(input.grad().to_vector(), c.input_grad);
      if (!c.target_grad.empty()) check_exactly(target.grad().to_vector(), c.target_grad);
    }
  }
}

// torch 1.13.1: F.mse_loss(x, y).grad_fn is MseLossBackward0 for every reduction; l1_loss
// is recorded op by op (MeanBackward0 over AbsBackward0).
BOOST_AUTO_TEST_CASE(grad_fn_names_are_pytorchs) {
  namespace F = nn::functional;
  const TD x = TD{1.0, 2.0}.requires_grad_();
  const TD y{0.0, 2.0};
  for (const auto r : {nn::Reduction::None, nn::Reduction::Mean, nn::Reduction::Sum}) {
    BOOST_TEST(F::mse_loss(x, y, r).grad_fn()->name() == "MseLossBackward0");
    BOOST_TEST(F::huber_loss(x, y, r).grad_fn()->name() == "HuberLossBackward0");
    BOOST_TEST(F::smooth_l1_loss(x, y, r, 0.0).grad_fn()->name() == "SmoothL1LossBackward0");
  }
  BOOST_TEST(F::l1_loss(x, y).grad_fn()->name() == "MeanBackward0");
  BOOST_TEST(F::l1_loss(x, y, nn::Reduction::None).grad_fn()->name() == "AbsBackward0");
}

// Huber and smooth L1 of a lazy expression fuse with it: one node, named as the tensor form's,
// whose leaves are the expression's operands and the target. Against the tensor form (the
// expression evaluated first, then huber_loss of the tensor): the same elements bit for bit,
// the reductions and gradients to rounding.
namespace {

struct FusedLossCase {
  std::string name;
  bool huber;
  double threshold;  // delta or beta
};

const std::vector<FusedLossCase> kFusedLossCases = {
    {"huber(delta=1)", true, 1.0},          {"huber(delta=0.5)", true, 0.5},
    {"smooth_l1(beta=1)", false, 1.0},      {"smooth_l1(beta=0.5)", false, 0.5},
    {"smooth_l1(beta=0)", false, 0.0},
};

template <class T, class Input>
Tensor<T> loss_of(const FusedLossCase& c, const Input& input, const Tensor<T>& target, nn::Reduction r) {
  namespace F = nn::functional;
  return c.huber ? F::huber_loss(input, target, r, c.threshold) : F::smooth_l1_loss(input, target, r, c.threshold);
}

/// The operands of `loss(a + b * x, y)` at n elements: a + b * x is exact, and y − (a + b * x)
/// takes 0, ±0.5 and ±1 (where the branches meet) among other values.
template <class T>
struct LossOperands {
  Tensor<T> a, b, x, y;
  explicit LossOperands(std::int64_t n) {
    std::vector<T> xs, ys;
    const double offsets[] = {0.0, 1.0, -1.0, 0.5, -0.5, 0.3, -2.75, 1e-3, 4.0};
    for (std::int64_t i = 0; i < n; ++i) {
      const double xi = 0.25 * static_cast<double>(i % 17) - 2.0;
      xs.push_back(static_cast<T>(xi));
      ys.push_back(static_cast<T>(0.5 + 2.0 * xi + offsets[i % 9]));
    }
    a = eigrad::scalar_tensor<T>(T(0.5)).requires_grad_(true);
    b = eigrad::scalar_tensor<T>(T(2)).requires_grad_(true);
    x = eigrad::from_vector<T>(xs, {n});
    y = eigrad::from_vector<T>(ys, {n}).requires_grad_(true);
  }
};

template <class T>
void check_near(const std::vector<T>& got, const std::vector<T>& want, const std::string& what) {
  BOOST_REQUIRE_EQUAL(got.size(), want.size());
  const double tol = std::is_same_v<T, float> ? 1e-5 : 1e-13;
  for (std::size_t i = 0; i < got.size(); ++i)
    BOOST_TEST(std::abs(got[i] - want[i]) <= tol * (1 + std::abs(want[i])),
               what << " [" << i << "]: " << got[i] << ", tensor form " << want[i]);
}

}  // namespace

BOOST_AUTO_TEST_CASE_TEMPLATE(huber_and_smooth_l1_fuse_with_an_expression, T, FloatTypes) {
  const std::int64_t n = 1001;  // a short last block
  std::vector<T> gs;
  for (std::int64_t i = 0; i < n; ++i) gs.push_back(static_cast<T>(0.5 + 0.25 * static_cast<double>(i % 5)));
  const Tensor<T> g = eigrad::from_vector<T>(gs, {n});
  for (const auto& c : kFusedLossCases) {
    for (const auto r : {nn::Reduction::None, nn::Reduction::Sum, nn::Reduction::Mean}) {
      BOOST_TEST_CONTEXT(c.name << ", reduction " << static_cast<int>(r)) {
        const LossOperands<T> f(n), t(n);
        const Tensor<T> fused = loss_of(c, f.a + f.b * f.x, f.y, r);
        const Tensor<T> input = t.a + t.b * t.x;  // evaluated: the tensor form
        const Tensor<T> tensor_form = loss_of(c, input, t.y, r);
        const std::string name = c.huber ? "HuberLossBackward0" : "SmoothL1LossBackward0";
        BOOST_TEST(fused.grad_fn()->name() == name);
        // one node: its inputs are the leaves a, b, x (no gradient) and y themselves
        const auto& next = fused.grad_fn()->next();
        BOOST_REQUIRE_EQUAL(next.size(), 4u);
        for (const std::size_t k : {0u, 1u, 3u}) BOOST_TEST(next[k]->name() == "AccumulateGrad");
        BOOST_TEST(!next[2]);
        BOOST_TEST(fused.shape() == tensor_form.shape());
        if (r == nn::Reduction::None) {
          BOOST_TEST(fused.to_vector() == tensor_form.to_vector(), boost::test_tools::per_element());
          fused.backward(g);
          tensor_form.backward(g);
        } else {
          check_near(fused.to_vector(), tensor_form.to_vector(), "value");
          fused.backward();
          tensor_form.backward();
        }
        check_near(f.a.grad().to_vector(), t.a.grad().to_vector(), "gradient of a");
        check_near(f.b.grad().to_vector(), t.b.grad().to_vector(), "gradient of b");
        check_near(f.y.grad().to_vector(), t.y.grad().to_vector(), "gradient of y");
        // the target's gradient takes no other path: bit for bit but for mean's scaling
        if (r != nn::Reduction::Mean)
          BOOST_TEST(f.y.grad().to_vector() == t.y.grad().to_vector(), boost::test_tools::per_element());
      }
    }
  }
}

// Where the pieces meet (a zero difference, |d| == delta or beta), the fused gradients are the
// tensor form's exactly, the sign of a zero included: smooth L1 with beta 0 gives input and
// target −1 each at a zero difference (see gradients_where_the_pieces_meet_are_pytorchs).
BOOST_AUTO_TEST_CASE_TEMPLATE(fused_losses_where_the_pieces_meet, T, FloatTypes) {
  const std::vector<T> input = {0.0, 0.5, -0.5, 1.0, -1.0, 1.75, 2.0}, target = {0.0, 0.0, 0.0, 0.0, 0.0, 1.75, -3.0};
  const eigrad::Shape shape{static_cast<std::int64_t>(input.size())};
  for (const auto& c : kFusedLossCases) {
    for (const auto r : {nn::Reduction::None, nn::Reduction::Sum, nn::Reduction::Mean}) {
      BOOST_TEST_CONTEXT(c.name << ", reduction " << static_cast<int>(r)) {
        std::vector<Tensor<T>> in, tg;
        for (int k = 0; k < 2; ++k) {
          in.push_back(eigrad::from_vector<T>(input, shape).requires_grad_(true));
          tg.push_back(eigrad::from_vector<T>(target, shape).requires_grad_(true));
        }
        const Tensor<T> fused = loss_of(c, in[0] * 1.0, tg[0], r);
        const Tensor<T> tensor_form = loss_of(c, in[1], tg[1], r);
        BOOST_TEST(fused.grad_fn()->next().size() == 2u);
        BOOST_TEST(fused.to_vector() == tensor_form.to_vector(), boost::test_tools::per_element());
        fused.sum().backward();
        tensor_form.sum().backward();
        for (const auto& [got, want] : {std::pair{in[0].grad(), in[1].grad()}, std::pair{tg[0].grad(), tg[1].grad()}}) {
          std::vector<double> expected;
          for (const T v : want.to_vector()) expected.push_back(v);
          check_exactly(got.to_vector(), expected);
        }
      }
    }
  }
}

BOOST_AUTO_TEST_CASE(fused_losses_pass_gradcheck) {
  const LossOperands<double> o(23);
  const TD x = o.x;
  for (const auto& c : kFusedLossCases) {
    for (const auto r : {nn::Reduction::None, nn::Reduction::Sum, nn::Reduction::Mean}) {
      // a, b and y moved off the points where the branches meet (and off L1's kink at 0)
      const TD target = (o.y * 1.01 + 0.013).detach().requires_grad_(true);
      const auto gc = gradcheck([&](const std::vector<TD>& in) { return loss_of(c, in[0] + in[1] * x, in[2], r); },
                                {eigrad::scalar_tensor<double>(0.61).requires_grad_(true),
                                 eigrad::scalar_tensor<double>(1.93).requires_grad_(true), target});
      BOOST_TEST(gc.ok, c.name << ", reduction " << static_cast<int>(r) << ": " << gc.message);
    }
  }
}

BOOST_AUTO_TEST_CASE(loss_modules_fuse_with_an_expression) {
  const LossOperands<double> o(10);
  const TD h = nn::HuberLoss<double>(nn::Reduction::Sum, 0.5)(o.a + o.b * o.x, o.y);
  const TD s = nn::SmoothL1Loss<double>(nn::Reduction::Mean, 0.0)(o.a + o.b * o.x, o.y);
  BOOST_TEST(h.grad_fn()->name() == "HuberLossBackward0");
  BOOST_TEST(h.grad_fn()->next().size() == 4u);
  BOOST_TEST(s.grad_fn()->name() == "SmoothL1LossBackward0");
  BOOST_TEST(s.grad_fn()->next().size() == 4u);
  const TD input = o.a + o.b * o.x;
  BOOST_TEST(h.item() == nn::functional::huber_loss(input, o.y, nn::Reduction::Sum, 0.5).item(),
             boost::test_tools::tolerance(1e-14));
  BOOST_TEST(s.item() == nn::functional::smooth_l1_loss(input, o.y, nn::Reduction::Mean, 0.0).item(),
             boost::test_tools::tolerance(1e-14));
  // invalid thresholds are refused as by the tensor form
  check_throws<eigrad::ValueError>([&] { nn::functional::huber_loss(o.a + o.b * o.x, o.y, nn::Reduction::Sum, 0.0); },
                                   {"huber_loss", "delta"});
  check_throws<eigrad::ValueError>(
      [&] { nn::functional::smooth_l1_loss(o.a + o.b * o.x, o.y, nn::Reduction::Sum, -1.0); },
      {"smooth_l1_loss", "beta"});
}

BOOST_AUTO_TEST_CASE(float32_losses_match) {
  const Tensor<float> a{1.f, 2.f, 3.f}, b{1.5f, 2.f, 0.f};
  BOOST_TEST(nn::MSELoss<float>(nn::Reduction::Sum)(a, b).item() == 9.25f);
  BOOST_TEST(nn::MSELoss<float>()(a, b).item() == 9.25f / 3, boost::test_tools::tolerance(1e-6f));
  BOOST_TEST(nn::L1Loss<float>(nn::Reduction::Sum)(a, b).item() == 3.5f);
  BOOST_TEST(nn::HuberLoss<float>(nn::HuberLossOptions().reduction(nn::Reduction::Sum).delta(1.0))(a, b).item() ==
             0.125f + 2.5f);
}

BOOST_AUTO_TEST_CASE(shape_mismatch_is_an_error_naming_both_shapes) {
  const TD pred = eigrad::zeros<double>({2000, 1});
  const TD y = eigrad::zeros<double>({2000});
  check_throws<eigrad::ShapeError>([&] { nn::MSELoss<double>()(pred, y); }, {"[2000, 1]", "[2000]", "mse_loss"});
  check_throws<eigrad::ShapeError>([&] { nn::L1Loss<double>()(y, pred); }, {"[2000]", "[2000, 1]", "l1_loss"});
  check_throws<eigrad::ShapeError>([&] { nn::HuberLoss<double>()(pred, y); }, {"[2000, 1]", "[2000]"});
  check_throws<eigrad::ShapeError>([&] { nn::SmoothL1Loss<double>()(pred, y); }, {"[2000, 1]", "[2000]"});
  check_throws<eigrad::ValueError>([&] { nn::HuberLoss<double>(nn::Reduction::Mean, 0.0); }, {"delta"});
  check_throws<eigrad::ValueError>([&] { nn::SmoothL1Loss<double>(nn::Reduction::Mean, -1.0); }, {"beta"});
  check_throws<eigrad::ValueError>([&] { nn::functional::huber_loss(y, y, nn::Reduction::Sum, -2.0); }, {"delta"});
  check_throws<eigrad::ValueError>([&] { nn::MSELoss<double>()(TD(), y); }, {"undefined"});
}

BOOST_AUTO_TEST_SUITE_END()

// ============================================================================ init

BOOST_AUTO_TEST_SUITE(init)

BOOST_AUTO_TEST_CASE(fills_and_bounds) {
  namespace I = nn::init;
  eigrad::manual_seed(3);
  TD w = eigrad::zeros<double>({300, 200}, eigrad::TensorOptions().requires_grad(true));  // works on parameters
  auto stats = [](const TD& t) {
    const auto v = t.to_vector();
    double lo = 1e300, hi = -1e300, s = 0, s2 = 0;
    for (const double x : v) {
      lo = std::min(lo, x);
      hi = std::max(hi, x);
      s += x;
      s2 += x * x;
    }
    const double n = static_cast<double>(v.size());
    return std::vector<double>{lo, hi, s / n, std::sqrt(s2 / n - (s / n) * (s / n))};
  };
  I::constant_(w, 0.3);
  BOOST_TEST(stats(w)[0] == 0.3);
  BOOST_TEST(stats(w)[1] == 0.3);
  I::ones_(w);
  BOOST_TEST(stats(w)[2] == 1.0);
  I::zeros_(w);
  BOOST_TEST(stats(w)[1] == 0.0);
  I::uniform_(w, -2.0, 3.0);
  auto s = stats(w);
  BOOST_TEST(s[0] >= -2.0);
  BOOST_TEST(s[1] < 3.0);
  BOOST_TEST(s[2] == 0.5, boost::test_tools::tolerance(0.05));
  I::normal_(w, 1.0, 2.0);
  s = stats(w);
  BOOST_TEST(s[2] == 1.0, boost::test_tools::tolerance(0.02));
  BOOST_TEST(s[3] == 2.0, boost::test_tools::tolerance(0.02));
  // fan_in = 200, fan_out = 300.
  I::xavier_uniform_(w);
  s = stats(w);
  const double xb = std::sqrt(6.0 / 500.0);
  BOOST_TEST(s[0] >= -xb);
  BOOST_TEST(s[1] <= xb);
  BOOST_TEST(s[1] > 0.99 * xb);
  I::xavier_normal_(w, 2.0);
  BOOST_TEST(stats(w)[3] == 2.0 * std::sqrt(2.0 / 500.0), boost::test_tools::tolerance(0.02));
  I::kaiming_uniform_(w, std::sqrt(5.0));  // Linear's weight: bound 1/sqrt(fan_in)
  s = stats(w);
  BOOST_TEST(s[0] >= -1 / std::sqrt(200.0));
  BOOST_TEST(s[1] <= 1 / std::sqrt(200.0));
  BOOST_TEST(s[1] > 0.99 / std::sqrt(200.0));
  I::kaiming_uniform_(w, 0.0, I::FanMode::FanOut, I::Nonlinearity::ReLU);
  s = stats(w);
  BOOST_TEST(s[1] <= std::sqrt(2.0) * std::sqrt(3.0 / 300.0));
  BOOST_TEST(s[1] > 0.99 * std::sqrt(2.0) * std::sqrt(3.0 / 300.0));
  I::kaiming_normal_(w, 0.0, I::FanMode::FanIn, I::Nonlinearity::ReLU);
  BOOST_TEST(stats(w)[3] == std::sqrt(2.0 / 200.0), boost::test_tools::tolerance(0.02));
  BOOST_TEST(w.requires_grad());
  BOOST_TEST(w.is_leaf());

  BOOST_TEST(I::calculate_gain(I::Nonlinearity::Tanh) == 5.0 / 3.0);
  BOOST_TEST(I::calculate_gain(I::Nonlinearity::LeakyReLU, std::sqrt(5.0)) == std::sqrt(1.0 / 3.0),
             boost::test_tools::tolerance(1e-15));
  BOOST_TEST(I::calculate_gain(I::Nonlinearity::ReLU) == std::sqrt(2.0));
  const auto fans = I::calculate_fan_in_and_fan_out({8, 4, 3, 3});
  BOOST_TEST(fans.first == 36);
  BOOST_TEST(fans.second == 72);
  check_throws<eigrad::ValueError>([] { nn::init::xavier_uniform_(eigrad::zeros<double>({5})); }, {"[5]"});
}

BOOST_AUTO_TEST_SUITE_END()
