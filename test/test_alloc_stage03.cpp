#define BOOST_TEST_MODULE alloc_stage03
#include <boost/test/unit_test.hpp>

#include <boost/mpl/list.hpp>

#include <atomic>
#include <cmath>
#include <cstdlib>
#include <new>

#include "eigrad/autograd/grad_mode.hpp"
#include "eigrad/tensor.hpp"

// Heap allocations per steady-state training step of tutorial stage 03 (issue 11, item 6),
// counted by replacing the global operator new of this executable.

namespace {
std::atomic<long> g_allocations{0};
}  // namespace

void* operator new(std::size_t size) {
  g_allocations.fetch_add(1, std::memory_order_relaxed);
  if (void* p = std::malloc(size == 0 ? 1 : size)) return p;
  throw std::bad_alloc();
}
void* operator new[](std::size_t size) { return operator new(size); }
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t) noexcept { std::free(p); }

using namespace eigrad;
using Dtypes = boost::mpl::list<float, double>;

namespace {

/// One step of samples/03_autograd.cpp: the polynomial, the loss, backward, the update under
/// NoGradGuard and the gradients reset. Fused is the sample's code as written (tensor
/// arithmetic fuses by default); Eager spells each op as its eager node, as eigrad ran it
/// before expressions.
enum class Mode { Eager, Fused };

template <Mode M, class T>
void step(const Tensor<T>& x, const Tensor<T>& y, Tensor<T>& a, Tensor<T>& b, Tensor<T>& c, Tensor<T>& d) {
  if constexpr (M == Mode::Eager) {
    using eigrad::detail::eager_binary;
    using eigrad::detail::eager_pow;
    const auto add = [](const Tensor<T>& l, const Tensor<T>& r) { return eager_binary<T, ops::Add>(l, r); };
    const auto mul = [](const Tensor<T>& l, const Tensor<T>& r) { return eager_binary<T, ops::Mul>(l, r); };
    const Tensor<T> y_pred = add(add(add(a, mul(b, x)), mul(c, eager_pow(x, 2))), mul(d, eager_pow(x, 3)));
    const Tensor<T> loss = eager_pow(eager_binary<T, ops::Sub>(y_pred, y), 2).sum();
    loss.backward();
  } else {
    const Tensor<T> y_pred = a + b * x + c * x.pow(2) + d * x.pow(3);
    const Tensor<T> loss = (y_pred - y).pow(2).sum();
    loss.backward();
  }
  NoGradGuard no_grad;
  for (Tensor<T>* w : {&a, &b, &c, &d}) {
    *w -= 1e-6 * w->grad();
    w->grad() = {};
  }
}

template <Mode M, class T>
long allocations_per_step() {
  const Tensor<T> x = linspace<T>(-M_PI, M_PI, 2000);
  const Tensor<T> y = sin(x);
  auto weight = [](double v) { return scalar_tensor<T>(static_cast<T>(v), TensorOptions().requires_grad(true)); };
  Tensor<T> a = weight(0.1), b = weight(0.2), c = weight(-0.1), d = weight(0.05);
  for (int i = 0; i < 3; ++i) step<M>(x, y, a, b, c, d);  // steady state
  constexpr int kSteps = 20;
  const long before = g_allocations.load();
  for (int i = 0; i < kSteps; ++i) step<M>(x, y, a, b, c, d);
  const long total = g_allocations.load() - before;
  BOOST_TEST_REQUIRE(total % kSteps == 0, "allocations differ between steps: " << total << " in " << kSteps);
  return total / kSteps;
}

}  // namespace

// The target is 12 allocations a step. The eager ops record a node, a result and
// saved views per operation. The sample's code as written fuses into one node per statement
// (two statements: y_pred, a full-size tensor, then the loss). A step makes 17 objects: per
// statement its node and its result (a TensorImpl and a storage block), the loss statement's
// detached view of y_pred (a TensorImpl), y_pred's gradient (two), the four weights' 0-d
// gradients (a TensorImpl and a storage block each). TensorImpls and storage blocks come from
// the blocks this thread freed in the step before (src/detail/block_cache.hpp), so the heap
// sees the two nodes. Shapes and a node's edges are kept inline, the weights keep their
// accumulators, the engine reuses its vectors and the loss's seed gradient, and the update
// `*w -= lr * w->grad()` evaluates in place. The numbers are upper bounds: a change that
// allocates more fails, one that allocates less should lower them.
constexpr long kEagerAllocationsPerStep = 35;
constexpr long kFusedAllocationsPerStep = 2;

BOOST_AUTO_TEST_CASE_TEMPLATE(stage03_step_allocations, T, Dtypes) {
  const long eager = allocations_per_step<Mode::Eager, T>();
  const long fused = allocations_per_step<Mode::Fused, T>();
  BOOST_TEST_MESSAGE("stage 03, " << dtype_name<T>() << ": " << eager << " heap allocations per step eager, "
                                  << fused << " fused");
  BOOST_TEST(eager <= kEagerAllocationsPerStep);
  BOOST_TEST(fused <= kFusedAllocationsPerStep);
}
