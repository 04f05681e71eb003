#define BOOST_TEST_MODULE engine
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <functional>
#include <map>
#include <vector>

#include "eigrad/autograd/hooks.hpp"
#include "eigrad/eigrad.hpp"

// The backward engine: gradients summed in place only where nothing else can see them, long
// graphs walked and freed without recursion. The chain tests run under the default stack
// (8 MiB): a recursion per node would overflow it long before a million nodes.

using namespace eigrad;

namespace {

constexpr std::int64_t kMillion = 1000000;

/// The engine as it was before it summed gradients in place: Kahn's order from one root, last
/// ready node first, every sum out of place, nodes found through maps. Reference for
/// bit-exact comparisons (it keeps the graph, as retain_graph does).
template <class S>
void out_of_place_backward(const Tensor<S>& root, const Tensor<S>& grad_output) {
  NoGradGuard no_grad;
  Node<S>* const first = root.grad_fn().get();
  std::map<Node<S>*, int> pending{{first, 0}};
  std::vector<Node<S>*> stack{first};
  while (!stack.empty()) {
    Node<S>* node = stack.back();
    stack.pop_back();
    for (const auto& child : node->next()) {
      if (!child) continue;
      auto [it, inserted] = pending.emplace(child.get(), 0);
      ++it->second;
      if (inserted) stack.push_back(child.get());
    }
  }
  std::map<Node<S>*, Tensor<S>> grads{{first, grad_output}};
  std::vector<Node<S>*> ready{first};
  while (!ready.empty()) {
    Node<S>* node = ready.back();
    ready.pop_back();
    const Tensor<S> g = grads[node];
    grads.erase(node);
    std::vector<Tensor<S>> input_grads;
    if (g.defined()) input_grads = node->apply(g);
    const auto& next = node->next();
    for (std::size_t i = 0; i < next.size(); ++i) {
      Node<S>* child = next[i].get();
      if (!child) continue;
      if (i < input_grads.size() && input_grads[i].defined()) {
        auto [it, inserted] = grads.emplace(child, input_grads[i]);
        if (!inserted) it->second = it->second + input_grads[i];
      }
      if (--pending[child] == 0) ready.push_back(child);
    }
  }
}

/// Leaves of \p shapes with seeded normal values, requiring grad.
template <class S>
std::vector<Tensor<S>> seeded_leaves(const std::vector<Shape>& shapes, std::uint64_t seed) {
  manual_seed(seed);
  std::vector<Tensor<S>> leaves;
  for (const auto& shape : shapes) leaves.push_back(randn<S>(shape).requires_grad_(true));
  return leaves;
}

/// Backpropagates through the graph \p build makes from seeded leaves, once with the engine
/// and once out of place, and checks every leaf gradient is the same to the last bit.
template <class S>
void expect_engine_matches_out_of_place(
    const std::vector<Shape>& shapes,
    const std::function<Tensor<S>(const std::vector<Tensor<S>>&)>& build) {
  std::vector<Tensor<S>> leaves = seeded_leaves<S>(shapes, 42);
  const Tensor<S> root = build(leaves);
  manual_seed(7);
  const Tensor<S> grad_output = randn<S>(root.shape());

  out_of_place_backward(root, grad_output);
  std::vector<std::vector<S>> expected;
  for (auto& leaf : leaves) {
    expected.push_back(leaf.grad().to_vector());
    leaf.grad() = {};
  }
  root.backward(grad_output, /*retain_graph=*/true);
  for (std::size_t i = 0; i < leaves.size(); ++i) {
    const std::vector<S> got = leaves[i].grad().to_vector();
    BOOST_TEST(got == expected[i], boost::test_tools::per_element());
  }
}

/// A custom op whose backward hands out, as the gradient of its input, the data it saved in
/// forward: a tensor that aliases the forward input, which the engine must never write to.
/// A misbehaving custom op: its backward writes into its grad_output (not through an op, so
/// no version bump).
struct WritesItsGradOutput : autograd::Function<WritesItsGradOutput> {
  static Tensor<double> forward(autograd::AutogradContext<double>&, const Tensor<double>& x) { return x * 1.0; }
  static std::vector<Tensor<double>> backward(autograd::AutogradContext<double>&,
                                              const std::vector<Tensor<double>>& g) {
    const Tensor<double> out = g[0] * 3.0;
    g[0].data()[0] = 5.0;
    return {out};
  }
};

struct ReturnsSavedInput : autograd::Function<ReturnsSavedInput> {
  template <class S>
  static Tensor<S> forward(autograd::AutogradContext<S>& ctx, const Tensor<S>& x) {
    ctx.save_for_backward({x});
    return x * S(2);
  }
  template <class S>
  static std::vector<Tensor<S>> backward(autograd::AutogradContext<S>& ctx, const std::vector<Tensor<S>>&) {
    return {ctx.get_saved_variables()[0]};
  }
};

/// A custom op whose backward passes its grad_output to both inputs as it is.
struct SharedGradientToBoth : autograd::Function<SharedGradientToBoth> {
  template <class S>
  static Tensor<S> forward(autograd::AutogradContext<S>&, const Tensor<S>& a, const Tensor<S>& b) {
    return a + b;
  }
  template <class S>
  static std::vector<Tensor<S>> backward(autograd::AutogradContext<S>&, const std::vector<Tensor<S>>& g) {
    return {g[0], g[0]};
  }
};

/// A custom op that runs a whole backward() of its own (over a graph that shares a leaf with
/// the outer one) inside its backward, then passes the gradient through.
struct NestedBackward : autograd::Function<NestedBackward> {
  template <class S>
  static Tensor<S> forward(autograd::AutogradContext<S>& ctx, const Tensor<S>& x, const Tensor<S>& w) {
    ctx.saved_data["w"] = w;
    return x * S(1);
  }
  template <class S>
  static std::vector<Tensor<S>> backward(autograd::AutogradContext<S>& ctx, const std::vector<Tensor<S>>& g) {
    const auto w = std::any_cast<Tensor<S>>(ctx.saved_data["w"]);
    EnableGradGuard record;
    (w * S(3)).sum().backward();
    return {g[0], Tensor<S>()};
  }
};

/// x * 1 repeated \p length times from \p leaf: a chain of \p length single-edge nodes.
Tensor<float> unit_scale_chain(const Tensor<float>& leaf, std::int64_t length) {
  Tensor<float> x = leaf;
  for (std::int64_t i = 0; i < length; ++i) x = x * 1.0f;
  return x;
}

}  // namespace

// ------------------------------------------------------------------ in-place accumulation
BOOST_AUTO_TEST_CASE(pass_through_gradient_to_two_children_matches_out_of_place) {
  // AddBackward hands its grad_output to a and b as it is, and SubBackward to c: each of
  // those then receives more gradients, which must not be summed into the shared tensor.
  expect_engine_matches_out_of_place<float>({{3, 4}, {4}}, [](const std::vector<Tensor<float>>& in) {
    const Tensor<float> a = in[0].exp();
    const Tensor<float> b = in[0] * in[1];
    const Tensor<float> c = a + b;
    const Tensor<float> d = c - a;
    return d * c + a.sin() + b.tanh() + c;
  });
}

BOOST_AUTO_TEST_CASE(stacked_diamonds_match_out_of_place) {
  // Each h feeds sin, cos and the residual sum: three gradients per node, so the second is
  // summed out of place and the third in place.
  expect_engine_matches_out_of_place<double>({{256}}, [](const std::vector<Tensor<double>>& in) {
    Tensor<double> h = in[0];
    for (int layer = 0; layer < 20; ++layer) h = h.sin() * (h.cos() * 2.0) + h;
    return h;
  });
  expect_engine_matches_out_of_place<float>({{256}}, [](const std::vector<Tensor<float>>& in) {
    Tensor<float> h = in[0];
    for (int layer = 0; layer < 20; ++layer) h = h.sin() * (h.cos() * 2.0f) + h;
    return h;
  });
}

BOOST_AUTO_TEST_CASE(one_tensor_used_six_times_matches_out_of_place) {
  expect_engine_matches_out_of_place<float>({{2, 3}}, [](const std::vector<Tensor<float>>& in) {
    const Tensor<float> a = in[0] * 1.5f;
    return a + a + a + a * a + a.exp();
  });
}

BOOST_AUTO_TEST_CASE(weight_sharing_matches_out_of_place) {
  // One weight in five layers: its AccumulateGrad receives five gradients.
  expect_engine_matches_out_of_place<float>({{4, 3}, {3, 3}}, [](const std::vector<Tensor<float>>& in) {
    Tensor<float> h = in[0];
    for (int layer = 0; layer < 5; ++layer) h = h.matmul(in[1]).tanh() + h;
    return h.sum();
  });
}

BOOST_AUTO_TEST_CASE(custom_function_sharing_its_gradient_matches_out_of_place) {
  expect_engine_matches_out_of_place<double>({{3}, {3}}, [](const std::vector<Tensor<double>>& in) {
    const Tensor<double> a = in[0].sin();
    const Tensor<double> s = SharedGradientToBoth::apply(a, in[1]);
    return s * a + SharedGradientToBoth::apply(s, a);
  });
}

BOOST_AUTO_TEST_CASE(callers_gradient_is_never_written) {
  // The root's gradient reaches a three times, the first time as the caller's tensor itself.
  const Tensor<float> x = Tensor<float>{1, 2, 3}.requires_grad_(true);
  const Tensor<float> a = x * 1.0f;
  const Tensor<float> y = (a + a) + a;
  const Tensor<float> grad_output{1, 2, 3};
  y.backward(grad_output);
  BOOST_TEST(grad_output.to_vector() == std::vector<float>({1, 2, 3}), boost::test_tools::per_element());
  BOOST_TEST(x.grad().to_vector() == std::vector<float>({3, 6, 9}), boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(gradient_aliasing_forward_data_is_never_written) {
  const Tensor<float> x = Tensor<float>{1, 2, 3}.requires_grad_(true);
  const Tensor<float> a = x * 1.0f;
  // a's gradient: a itself (a tensor aliasing a's data) three times, the first of them the
  // first gradient a receives (the last ReturnsSavedInput node runs first), and 1 from the sum.
  const Tensor<float> y = a + ReturnsSavedInput::apply(a) + ReturnsSavedInput::apply(a) +
                          ReturnsSavedInput::apply(a);
  y.sum().backward();
  BOOST_TEST(a.to_vector() == std::vector<float>({1, 2, 3}), boost::test_tools::per_element());
  BOOST_TEST(x.grad().to_vector() == std::vector<float>({4, 7, 10}), boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(seed_gradient_of_a_loss_is_never_written) {
  // A 0-d loss starts from a ones tensor the engine keeps per thread; a custom backward that
  // writes into its grad_output must not change the next pass's seed.
  const Tensor<double> w = scalar_tensor<double>(2.0, TensorOptions().requires_grad(true));
  for (int pass = 0; pass < 2; ++pass) {
    WritesItsGradOutput::apply(w).backward();
    BOOST_TEST(w.grad().item() == 3.0 * (pass + 1));
  }
}

BOOST_AUTO_TEST_CASE(a_leaf_keeps_one_accumulator_which_does_not_keep_it_alive) {
  using eigrad::detail::eager_binary;
  Tensor<float> w = Tensor<float>{1, 2}.requires_grad_(true);
  const Tensor<float> one{1, 1};
  const Tensor<float> first = (w * 2.0f).sum();
  // eager AddBackward0 saves nothing: its graph reaches w only through the accumulator
  const Tensor<float> second = eager_binary<float, ops::Add>(w, one).sum();
  const auto accumulator = first.grad_fn()->next()[0];
  BOOST_REQUIRE(accumulator);
  BOOST_TEST(accumulator->name() == "AccumulateGrad");
  BOOST_TEST(second.grad_fn()->next()[0]->next()[0] == accumulator);  // one per leaf, not one per graph
  first.backward();
  const Tensor<float> third = (w * 4.0f).sum();
  BOOST_TEST(third.grad_fn()->next()[0] == accumulator);  // and kept across passes
  BOOST_TEST(w.grad().to_vector() == std::vector<float>({2, 2}), boost::test_tools::per_element());
  // The graph outlives every handle of the leaf: backward runs, and no gradient is left to see.
  const std::weak_ptr<Node<float>> watched = accumulator;
  w = Tensor<float>();
  BOOST_CHECK_NO_THROW(second.backward());
  BOOST_TEST(!watched.expired());  // the graphs of second and third still hold it
}

BOOST_AUTO_TEST_CASE(retained_gradient_of_a_node_with_several_gradients) {
  const Tensor<double> x = Tensor<double>{1, 2}.requires_grad_(true);
  const Tensor<double> h = x * 2.0;
  h.retain_grad();
  const Tensor<double> y = (h * h + h + h).sum();  // dy/dh = 2h + 2
  y.backward({}, /*retain_graph=*/true);
  BOOST_TEST(h.grad().to_vector() == std::vector<double>({6, 10}), boost::test_tools::per_element());
  BOOST_TEST(x.grad().to_vector() == std::vector<double>({12, 20}), boost::test_tools::per_element());
  y.backward();
  BOOST_TEST(h.grad().to_vector() == std::vector<double>({12, 20}), boost::test_tools::per_element());
  BOOST_TEST(x.grad().to_vector() == std::vector<double>({24, 40}), boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(roots_in_any_order_give_the_same_gradients) {
  // Values chosen so every sum is exact: any order of accumulation gives the same bits.
  const Tensor<double> x = Tensor<double>{1, 2, 4}.requires_grad_(true);
  const Tensor<double> shared = x * 3.0;
  const Tensor<double> y1 = shared * x;      // d/dx = 6x
  const Tensor<double> y2 = (shared + x) * 2.0;  // d/dx = 8
  const Tensor<double> g1 = ones<double>({3}), g2 = full<double>({3}, 0.5);
  autograd::run_backward<double>({y1, y2, y1}, {g1, g2, g1}, /*retain_graph=*/true);
  const std::vector<double> forward_order = x.grad().to_vector();
  x.grad() = {};
  autograd::run_backward<double>({y2, y1, y1}, {g2, g1, g1}, /*retain_graph=*/true);
  BOOST_TEST(x.grad().to_vector() == forward_order, boost::test_tools::per_element());
  // 2 * 6x + 0.5 * 8
  BOOST_TEST(forward_order == std::vector<double>({16, 28, 52}), boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(backward_nested_in_a_node_shares_a_leaf_with_the_outer_pass) {
  // The inner backward() numbers w's accumulator for its own pass while the outer pass still
  // has to deliver w's gradient: w receives 3 from the inner pass and 2 from the outer one.
  const Tensor<double> x = Tensor<double>{1, 2}.requires_grad_(true);
  const Tensor<double> w = scalar_tensor<double>(5.0, TensorOptions().requires_grad(true));
  const Tensor<double> z = (NestedBackward::apply(x, w) + w * 2.0).sum();
  z.backward();
  BOOST_TEST(w.grad().item() == 3.0 + 2.0 * 2.0);
  BOOST_TEST(x.grad().to_vector() == std::vector<double>({1, 1}), boost::test_tools::per_element());
}

// ------------------------------------------------------------------ long graphs
BOOST_AUTO_TEST_CASE(freeing_a_chain_of_a_million_nodes_does_not_recurse) {
  const Tensor<float> leaf = Tensor<float>{1}.requires_grad_(true);
  std::weak_ptr<Node<float>> last;
  {
    const Tensor<float> end = unit_scale_chain(leaf, kMillion);
    last = end.grad_fn();
  }
  BOOST_TEST(last.expired());
}

BOOST_AUTO_TEST_CASE(freeing_a_chain_with_double_edges_does_not_recurse) {
  // x + x: every node holds two edges to its parent, so no single edge is the only owner
  // until the other is dropped.
  const Tensor<float> leaf = Tensor<float>{1}.requires_grad_(true);
  std::weak_ptr<Node<float>> last;
  {
    Tensor<float> x = leaf;
    for (std::int64_t i = 0; i < kMillion; ++i) x = x + x;
    last = x.grad_fn();
  }
  BOOST_TEST(last.expired());
}

BOOST_AUTO_TEST_CASE(backward_through_a_million_nodes) {
  // y = x * c * c * ... (a million times); each node's backward multiplies by c in turn, so
  // the gradient is the same product taken in float64 in that order.
  const double c = 1.0000001;
  const Tensor<double> x = Tensor<double>{2.0}.requires_grad_(true);
  Tensor<double> y = x;
  for (std::int64_t i = 0; i < kMillion; ++i) y = y * c;
  double expected = 1.0;
  for (std::int64_t i = 0; i < kMillion; ++i) expected = expected * c;

  const auto start = std::chrono::steady_clock::now();
  y.backward({}, /*retain_graph=*/true);
  BOOST_TEST_MESSAGE("backward through " << kMillion << " nodes: "
                     << std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count() << " s");
  BOOST_TEST(x.grad().item() == expected);
  y.backward({}, /*retain_graph=*/true);
  BOOST_TEST(x.grad().item() == expected + expected);
  y.backward();
  BOOST_TEST(x.grad().item() == (expected + expected) + expected);
}

BOOST_AUTO_TEST_CASE(backward_without_retain_graph_through_a_long_chain_of_saved_tensors) {
  // 100,000 nodes, every other one a sin that saves its input; the gradient is the product of
  // the cosines taken from the last node back, as the nodes run.
  constexpr int kLength = 100000;
  const Tensor<double> x = Tensor<double>{0.5}.requires_grad_(true);
  Tensor<double> y = x;
  std::vector<double> sin_inputs;
  for (int i = 0; i < kLength; ++i) {
    if (i % 2 == 0) {
      sin_inputs.push_back(y.item());
      y = y.sin();
    } else {
      y = y * 1.0;
    }
  }
  double expected = 1.0;
  for (auto v = sin_inputs.rbegin(); v != sin_inputs.rend(); ++v) expected = expected * std::cos(*v);

  y.backward();
  BOOST_TEST(x.grad().item() == expected);
  // The first pass freed what the sin nodes saved.
  BOOST_CHECK_THROW(y.backward(), AutogradError);
}

BOOST_AUTO_TEST_CASE(post_accumulate_grad_hooks_run_once_the_gradient_is_in) {
  const Tensor<double> a = Tensor<double>{1.0, 2.0}.requires_grad_(true);
  const Tensor<double> b = Tensor<double>{3.0, 4.0}.requires_grad_(true);
  std::vector<std::string> calls;
  std::vector<double> seen;
  const auto key_a = autograd::register_post_accumulate_grad_hook<double>(a, [&](const Tensor<double>& leaf) {
    calls.push_back("a");
    BOOST_TEST(leaf.is_same(a));
    BOOST_TEST(!GradMode::is_enabled());
    seen = leaf.grad().to_vector();  // already accumulated
  });
  autograd::register_post_accumulate_grad_hook<double>(b, [&](const Tensor<double>&) { calls.push_back("b"); });
  // a is used twice: its hook runs once, with both contributions summed
  ((a * b).sum() + (a * a).sum()).backward();
  BOOST_TEST(calls.size() == 2u);
  BOOST_TEST((std::count(calls.begin(), calls.end(), "a") == 1));
  BOOST_TEST(seen == (std::vector<double>{3.0 + 2.0, 4.0 + 4.0}), boost::test_tools::per_element());
  // a second pass accumulates, then calls again
  (a * b).sum().backward();
  BOOST_TEST(seen == (std::vector<double>{5.0 + 3.0, 8.0 + 4.0}), boost::test_tools::per_element());
  autograd::remove_post_accumulate_grad_hook(a, key_a);
  calls.clear();
  (a * b).sum().backward();
  BOOST_TEST((calls == std::vector<std::string>{"b"}));
  const Tensor<double> not_a_leaf = a * 2.0;
  BOOST_CHECK_THROW(autograd::register_post_accumulate_grad_hook<double>(not_a_leaf, [](const Tensor<double>&) {}),
                    AutogradError);
  BOOST_CHECK_THROW(autograd::register_post_accumulate_grad_hook<double>(Tensor<double>{1.0}, [](const Tensor<double>&) {}),
                    AutogradError);
}
