#define BOOST_TEST_MODULE device_optim
#include <boost/mpl/list.hpp>
#include <boost/test/unit_test.hpp>

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "device_support.hpp"
#include "eigrad/cuda/kernels.hpp"
#include "eigrad/optim/optim.hpp"
#include "eigrad/tensor.hpp"

// The optimizers' device update loops against src/optim/ over several steps: the parameter
// and every state buffer bit for bit.

using namespace eigrad;
using test::DeviceBuffer;
using Dtypes = boost::mpl::list<float, double>;

namespace {

constexpr int kSteps = 5;
const Shape kShape{3, 37};

/// A parameter on the CPU with its optimizer, and its device copy with state buffers.
template <class T>
struct Pair {
  Tensor<T> cpu = test::sample<T>(kShape, 0, 41).requires_grad_(true);
  DeviceBuffer<T> param{cpu.detach()};
  DeviceBuffer<T> grad{numel(kShape)};
  std::vector<DeviceBuffer<T>> state;
  /// \p count device state buffers, zeroed.
  explicit Pair(int count) {
    for (int i = 0; i < count; ++i) {
      state.emplace_back(numel(kShape));
      cuda::fill(state.back().data(), numel(kShape), T(0));
    }
  }
  /// Gives both the same gradient for step \p step (mixed signs, one exact zero).
  void set_gradient(int step) {
    Tensor<T> g = test::sample<T>(kShape, 0, 100 + static_cast<std::uint64_t>(step));
    g.data()[5] = T(0);
    cpu.set_grad(g);
    cuda::copy_from_host(grad.data(), g.data(), g.numel());
  }
};

/// A device state buffer (its index in Pair::state) and the CPU buffer's name.
using Compared = std::vector<std::pair<std::size_t, std::string>>;

/// Runs kSteps of \p optimizer on the CPU and \p device_step on the device, then compares
/// the parameter and the \p compared state buffers.
template <class T>
void check_steps(const std::string& what, Pair<T>& pair, optim::Optimizer<T>& optimizer,
                 const std::function<void(int)>& device_step, const Compared& compared) {
  for (int step = 1; step <= kSteps; ++step) {
    pair.set_gradient(step);
    optimizer.step();
    device_step(step);
  }
  test::check_same(pair.param.host(), pair.cpu.to_vector(), what + " parameter");
  const auto& buffers = optimizer.state(pair.cpu)->buffers;
  for (const auto& [index, name] : compared)
    test::check_same(pair.state[index].host(), buffers.at(name).to_vector(), what + " " + name);
}

}  // namespace

BOOST_AUTO_TEST_CASE_TEMPLATE(sgd_matches_the_cpu, T, Dtypes) {
  struct Variant {
    double momentum, dampening, weight_decay;
    bool nesterov, maximize;
  };
  for (const Variant v : {Variant{0, 0, 0, false, false}, Variant{0.9, 0.1, 0.01, false, false},
                          Variant{0.9, 0, 0.05, true, true}, Variant{0, 0, 0.1, false, true}}) {
    Pair<T> pair(1);
    optim::SGD<T> cpu({pair.cpu}, optim::SGDOptions(0.1)
                                      .momentum(v.momentum)
                                      .dampening(v.dampening)
                                      .weight_decay(v.weight_decay)
                                      .nesterov(v.nesterov)
                                      .maximize(v.maximize));
    const auto device_step = [&](int step) {
      const auto s = cuda::SgdStep<T>::make(0.1, v.momentum, v.dampening, v.weight_decay, v.nesterov, v.maximize,
                                            step == 1);
      cuda::sgd_step(s, pair.param.data(), pair.grad.data(), pair.state[0].data(), numel(kShape));
    };
    const std::string what = "SGD momentum " + std::to_string(v.momentum) + (v.nesterov ? " nesterov" : "");
    check_steps<T>(what, pair, cpu, device_step,
                   v.momentum != 0 ? Compared{{0, "momentum_buffer"}} : Compared{});
  }
}

BOOST_AUTO_TEST_CASE_TEMPLATE(adam_and_adamw_match_the_cpu, T, Dtypes) {
  struct Variant {
    bool decoupled, amsgrad, maximize;
    double weight_decay;
  };
  for (const Variant v : {Variant{false, false, false, 0}, Variant{false, true, true, 0.1},
                          Variant{true, false, false, 1e-2}, Variant{true, true, true, 0.3}}) {
    Pair<T> pair(3);
    const double lr = 0.05, eps = 1e-6;
    const std::pair<double, double> betas{0.8, 0.95};
    std::unique_ptr<optim::Optimizer<T>> cpu;
    if (v.decoupled)
      cpu = std::make_unique<optim::AdamW<T>>(
          std::vector<Tensor<T>>{pair.cpu},
          optim::AdamWOptions(lr).betas(betas).eps(eps).weight_decay(v.weight_decay).amsgrad(v.amsgrad).maximize(
              v.maximize));
    else
      cpu = std::make_unique<optim::Adam<T>>(
          std::vector<Tensor<T>>{pair.cpu},
          optim::AdamOptions(lr).betas(betas).eps(eps).weight_decay(v.weight_decay).amsgrad(v.amsgrad).maximize(
              v.maximize));
    const auto device_step = [&](int step) {
      const auto s = cuda::AdamStep<T>::make(lr, betas.first, betas.second, eps, v.weight_decay, v.amsgrad,
                                             v.maximize, v.decoupled, step);
      cuda::adam_step(s, pair.param.data(), pair.grad.data(), pair.state[0].data(), pair.state[1].data(),
                      pair.state[2].data(), numel(kShape));
    };
    Compared names{{0, "exp_avg"}, {1, "exp_avg_sq"}};
    if (v.amsgrad) names.emplace_back(2, "max_exp_avg_sq");
    check_steps<T>(std::string(v.decoupled ? "AdamW" : "Adam") + (v.amsgrad ? " amsgrad" : ""), pair, *cpu,
                   device_step, names);
  }
}

BOOST_AUTO_TEST_CASE_TEMPLATE(rmsprop_matches_the_cpu, T, Dtypes) {
  struct Variant {
    double momentum, weight_decay;
    bool centered, maximize;
  };
  for (const Variant v : {Variant{0, 0, false, false}, Variant{0.9, 0.1, true, false}, Variant{0.5, 0, false, true},
                          Variant{0, 0.01, true, true}}) {
    Pair<T> pair(3);
    const double lr = 0.01, alpha = 0.9, eps = 1e-6;
    optim::RMSprop<T> cpu({pair.cpu}, optim::RMSpropOptions(lr)
                                          .alpha(alpha)
                                          .eps(eps)
                                          .weight_decay(v.weight_decay)
                                          .momentum(v.momentum)
                                          .centered(v.centered)
                                          .maximize(v.maximize));
    const auto device_step = [&](int) {
      const auto s = cuda::RmspropStep<T>::make(lr, alpha, eps, v.weight_decay, v.momentum, v.centered, v.maximize);
      cuda::rmsprop_step(s, pair.param.data(), pair.grad.data(), pair.state[0].data(), pair.state[1].data(),
                         pair.state[2].data(), numel(kShape));
    };
    Compared names{{0, "square_avg"}};
    if (v.centered) names.emplace_back(1, "grad_avg");
    if (v.momentum > 0) names.emplace_back(2, "momentum_buffer");
    check_steps<T>("RMSprop momentum " + std::to_string(v.momentum) + (v.centered ? " centered" : ""), pair, cpu,
                   device_step, names);
  }
}

BOOST_AUTO_TEST_CASE_TEMPLATE(adagrad_matches_the_cpu, T, Dtypes) {
  for (const bool maximize : {false, true}) {
    Pair<T> pair(1);
    const double lr = 0.1, lr_decay = 1e-2, eps = 1e-8, weight_decay = 0.1, initial = 0.25;
    optim::Adagrad<T> cpu({pair.cpu}, optim::AdagradOptions(lr)
                                          .lr_decay(lr_decay)
                                          .eps(eps)
                                          .weight_decay(weight_decay)
                                          .initial_accumulator_value(initial)
                                          .maximize(maximize));
    cuda::fill(pair.state[0].data(), numel(kShape), static_cast<T>(initial));
    const auto device_step = [&](int step) {
      const auto s = cuda::AdagradStep<T>::make(lr, lr_decay, eps, weight_decay, maximize, step);
      cuda::adagrad_step(s, pair.param.data(), pair.grad.data(), pair.state[0].data(), numel(kShape));
    };
    check_steps<T>(std::string("Adagrad") + (maximize ? " maximize" : ""), pair, cpu, device_step, {{0, "sum"}});
  }
}
