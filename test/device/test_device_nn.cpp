#define BOOST_TEST_MODULE device_nn
#include <boost/test/unit_test.hpp>

#include <cstdio>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "device_support.hpp"
#include "eigrad/nn/checkpoint.hpp"
#include "eigrad/nn/functional/loss.hpp"
#include "eigrad/nn/init.hpp"
#include "eigrad/nn/modules/container.hpp"
#include "eigrad/nn/modules/flatten.hpp"
#include "eigrad/nn/modules/linear.hpp"
#include "eigrad/optim/optim.hpp"
#include "eigrad/tensor.hpp"

// Optimizers, modules and checkpoints on "cuda" against the same work on the CPU: optimizer
// steps and elementwise passes bit for bit, matmul and sums within the suite's tolerance.

using namespace eigrad;
using test::Dtypes;

namespace {

constexpr int kSteps = 5;
const Shape kShape{3, 37};
const Device kCuda = Device::cuda(0);

/// A file name in the temporary directory, removed when the guard ends.
struct TempFile {
  std::string path;
  explicit TempFile(const std::string& name) : path("/tmp/eigrad_device_nn_" + name + ".safetensors") {}
  ~TempFile() { std::remove(path.c_str()); }
};

/// The same parameter on the CPU and on the device, each given the same gradient per step.
template <class T>
struct TwinParameters {
  Tensor<T> cpu = test::sample<T>(kShape, 0, 41).requires_grad_(true);
  Tensor<T> device = cpu.detach().to(kCuda).requires_grad_(true);
  /// Mixed signs and one exact zero, different at every step.
  void set_gradient(int step) {
    Tensor<T> g = test::sample<T>(kShape, 0, 100 + static_cast<std::uint64_t>(step));
    g.data()[5] = T(0);
    cpu.set_grad(g);
    device.set_grad(g.to(kCuda));
  }
};

/// Every state buffer of \p device_param (which must all live on the device) equals the
/// CPU's, bit for bit, as does the step count.
template <class T>
void check_same_state(const std::string& what, const optim::Optimizer<T>& on_device, const Tensor<T>& device_param,
                      const optim::Optimizer<T>& on_cpu, const Tensor<T>& cpu_param) {
  const optim::ParamState<T>* cpu_state = on_cpu.state(cpu_param);
  const optim::ParamState<T>* device_state = on_device.state(device_param);
  BOOST_TEST_REQUIRE((cpu_state == nullptr) == (device_state == nullptr), what << ": state on one side only");
  if (cpu_state == nullptr) return;
  BOOST_TEST(device_state->step == cpu_state->step, what << ": step count");
  BOOST_TEST_REQUIRE(device_state->buffers.size() == cpu_state->buffers.size(), what << ": buffer count");
  for (const auto& [name, buffer] : cpu_state->buffers) {
    const Tensor<T>& on = device_state->buffers.at(name);
    BOOST_TEST(on.is_cuda(), what << " " << name << " lives on " << on.device().str());
    test::check_same(on.to_vector(), buffer.to_vector(), what + " " + name);
  }
}

/// An optimizer over one parameter.
template <class T>
using MakeOptimizer = std::function<std::unique_ptr<optim::Optimizer<T>>(const Tensor<T>&)>;

/// kSteps of the optimizer \p make builds, on the CPU and on the device: parameter and state
/// bit for bit.
template <class T>
void check_steps(const std::string& what, const MakeOptimizer<T>& make) {
  TwinParameters<T> twins;
  auto on_cpu = make(twins.cpu);
  auto on_device = make(twins.device);
  for (int step = 1; step <= kSteps; ++step) {
    twins.set_gradient(step);
    on_cpu->step();
    on_device->step();
  }
  BOOST_TEST(twins.device.is_cuda());
  test::check_same(twins.device.to_vector(), twins.cpu.to_vector(), what + " parameter");
  check_same_state(what, *on_device, twins.device, *on_cpu, twins.cpu);
}

template <class T, class Optimizer, class Options>
MakeOptimizer<T> maker(Options options) {
  return [options](const Tensor<T>& p) { return std::make_unique<Optimizer>(std::vector<Tensor<T>>{p}, options); };
}

/// Sequential(Linear(3, 2), Flatten(0, 1)) from a fixed seed.
template <class T>
std::shared_ptr<nn::Sequential<T>> small_model() {
  manual_seed(3);
  return std::make_shared<nn::Sequential<T>>(nn::Linear<T>(3, 2), nn::Flatten<T>(0, 1));
}

template <class T>
std::vector<std::vector<T>> values_of(const std::vector<Tensor<T>>& tensors) {
  std::vector<std::vector<T>> out;
  for (const auto& t : tensors) out.push_back(t.to_vector());
  return out;
}

}  // namespace

// ============================================================================ optimizers

BOOST_AUTO_TEST_CASE_TEMPLATE(sgd_steps_match_the_cpu, T, Dtypes) {
  using optim::SGDOptions;
  check_steps<T>("sgd", maker<T, optim::SGD<T>>(SGDOptions(0.1)));
  check_steps<T>("sgd momentum dampening wd",
                 maker<T, optim::SGD<T>>(SGDOptions(0.1).momentum(0.9).dampening(0.1).weight_decay(0.01)));
  check_steps<T>(
      "sgd nesterov maximize",
      maker<T, optim::SGD<T>>(SGDOptions(0.05).momentum(0.9).nesterov(true).weight_decay(0.05).maximize(true)));
}

BOOST_AUTO_TEST_CASE_TEMPLATE(adam_family_steps_match_the_cpu, T, Dtypes) {
  using optim::AdamOptions;
  using optim::AdamWOptions;
  check_steps<T>("adam", maker<T, optim::Adam<T>>(AdamOptions(0.01)));
  check_steps<T>("amsgrad wd maximize",
                 maker<T, optim::Adam<T>>(AdamOptions(0.01).amsgrad(true).weight_decay(0.1).maximize(true)));
  check_steps<T>("adamw", maker<T, optim::AdamW<T>>(AdamWOptions(0.01).weight_decay(0.05)));
  check_steps<T>("adamw amsgrad", maker<T, optim::AdamW<T>>(AdamWOptions(0.02).amsgrad(true).betas({0.8, 0.9})));
}

BOOST_AUTO_TEST_CASE_TEMPLATE(rmsprop_and_adagrad_steps_match_the_cpu, T, Dtypes) {
  using optim::AdagradOptions;
  using optim::RMSpropOptions;
  check_steps<T>("rmsprop", maker<T, optim::RMSprop<T>>(RMSpropOptions(0.01)));
  check_steps<T>("rmsprop centered momentum wd",
                 maker<T, optim::RMSprop<T>>(RMSpropOptions(0.01).centered(true).momentum(0.5).weight_decay(0.1)));
  check_steps<T>("adagrad", maker<T, optim::Adagrad<T>>(AdagradOptions(0.1)));
  check_steps<T>(
      "adagrad decay accumulator wd maximize",
      maker<T, optim::Adagrad<T>>(
          AdagradOptions(0.1).lr_decay(0.01).initial_accumulator_value(0.5).weight_decay(0.1).maximize(true)));
}

BOOST_AUTO_TEST_CASE_TEMPLATE(zero_grad_clears_device_gradients, T, Dtypes) {
  TwinParameters<T> twins;
  optim::SGD<T> sgd({twins.device}, optim::SGDOptions(0.1));
  twins.set_gradient(1);
  sgd.zero_grad(false);
  BOOST_TEST(twins.device.grad().is_cuda());
  test::check_same(twins.device.grad().to_vector(), std::vector<T>(static_cast<std::size_t>(numel(kShape)), T(0)),
                   "zeroed gradient");
  sgd.zero_grad();
  BOOST_TEST(!twins.device.grad().defined());
}

BOOST_AUTO_TEST_CASE_TEMPLATE(a_gradient_on_another_device_is_refused, T, Dtypes) {
  TwinParameters<T> twins;
  optim::Adam<T> adam({twins.device}, optim::AdamOptions(0.1));
  twins.device.set_grad(test::sample<T>(kShape));
  BOOST_CHECK_EXCEPTION(adam.step(), DeviceError, test::mentions({"Adam", "cuda:0", "cpu"}));
}

BOOST_AUTO_TEST_CASE_TEMPLATE(optimizer_checkpoint_moves_between_devices, T, Dtypes) {
  const auto options = optim::AdamOptions(0.01).amsgrad(true);
  TwinParameters<T> twins;
  optim::Adam<T> on_device({twins.device}, options);
  optim::Adam<T> on_cpu({twins.cpu}, options);
  for (int step = 1; step <= 2; ++step) {
    twins.set_gradient(step);
    on_device.step();
    on_cpu.step();
  }
  TempFile file("adam_" + std::string(dtype_name<T>()));
  on_device.save(file.path);

  // Onto the CPU: the state the CPU run has.
  Tensor<T> cpu_param = twins.cpu.detach().clone().requires_grad_(true);
  optim::Adam<T> loaded_on_cpu({cpu_param}, options);
  loaded_on_cpu.load(file.path);
  for (const auto& [name, buffer] : on_cpu.state(twins.cpu)->buffers) {
    const Tensor<T>& loaded = loaded_on_cpu.state(cpu_param)->buffers.at(name);
    BOOST_TEST(loaded.device().is_cpu());
    test::check_same(loaded.to_vector(), buffer.to_vector(), "loaded on the CPU: " + name);
  }

  // Back onto the device: the buffers live there and the run goes on as the CPU's does.
  Tensor<T> device_param = twins.device.detach().clone().requires_grad_(true);
  optim::Adam<T> loaded_on_device({device_param}, options);
  loaded_on_device.load(file.path);
  for (int step = 3; step <= kSteps; ++step) {
    twins.set_gradient(step);
    device_param.set_grad(twins.device.grad());
    loaded_on_device.step();
    on_cpu.step();
  }
  test::check_same(device_param.to_vector(), twins.cpu.to_vector(), "resumed on the device");
  check_same_state("resumed on the device", loaded_on_device, device_param, on_cpu, twins.cpu);
}

BOOST_AUTO_TEST_CASE_TEMPLATE(state_made_before_the_module_moved_follows_it, T, Dtypes) {
  // Adagrad fills its sums when built, SGD's momentum buffer comes at the first step: both on
  // the CPU, then the module moves and the state must follow its parameters.
  auto stays = small_model<T>();
  auto moves = small_model<T>();
  auto make = [](nn::Module<T>& model) {
    std::vector<std::unique_ptr<optim::Optimizer<T>>> optimizers;
    const auto params = model.parameters();
    optimizers.push_back(std::make_unique<optim::Adagrad<T>>(
        std::vector<Tensor<T>>{params[0]}, optim::AdagradOptions(0.1).initial_accumulator_value(0.25)));
    optimizers.push_back(
        std::make_unique<optim::SGD<T>>(std::vector<Tensor<T>>{params[1]}, optim::SGDOptions(0.1).momentum(0.9)));
    return optimizers;
  };
  auto on_cpu = make(*stays);
  auto on_device = make(*moves);
  for (int step = 1; step <= 3; ++step) {
    if (step == 2) moves->to(kCuda);
    const auto cpu_params = stays->parameters();
    const auto device_params = moves->parameters();
    for (std::size_t i = 0; i < cpu_params.size(); ++i) {
      const Tensor<T> g = test::sample<T>(cpu_params[i].shape(), 0, 200 + 10 * static_cast<std::uint64_t>(step) + i);
      cpu_params[i].set_grad(g);
      device_params[i].set_grad(g.to(device_params[i].device()));
    }
    for (auto& o : on_cpu) o->step();
    for (auto& o : on_device) o->step();
  }
  const auto cpu_params = stays->parameters();
  const auto device_params = moves->parameters();
  for (std::size_t i = 0; i < cpu_params.size(); ++i) {
    BOOST_TEST(device_params[i].is_cuda());
    test::check_same(device_params[i].to_vector(), cpu_params[i].to_vector(), "parameter " + std::to_string(i));
    check_same_state("optimizer " + std::to_string(i), *on_device[i], device_params[i], *on_cpu[i], cpu_params[i]);
  }
}

// ============================================================================ modules

BOOST_AUTO_TEST_CASE_TEMPLATE(module_to_keeps_the_parameters_and_round_trips, T, Dtypes) {
  auto model = small_model<T>();
  const std::vector<Tensor<T>> handles = model->parameters();
  const auto before = values_of(handles);
  for (const auto& p : handles) p.set_grad(ones_like(p));

  model->to(kCuda);
  const std::vector<Tensor<T>> moved = model->parameters();
  BOOST_TEST_REQUIRE(moved.size() == handles.size());
  for (std::size_t i = 0; i < handles.size(); ++i) {
    BOOST_TEST(moved[i].is_same(handles[i]), "parameter " << i << " is another tensor after to()");
    BOOST_TEST(handles[i].is_cuda(), "parameter " << i << " on " << handles[i].device().str());
    BOOST_TEST(handles[i].grad().is_cuda(), "gradient " << i << " on " << handles[i].grad().device().str());
    BOOST_TEST(handles[i].requires_grad());
  }

  model->to(Device::cpu());
  const auto after = values_of(handles);
  for (std::size_t i = 0; i < handles.size(); ++i) {
    BOOST_TEST(handles[i].device().is_cpu());
    test::check_same(after[i], before[i], "round trip of parameter " + std::to_string(i));
    test::check_same(handles[i].grad().to_vector(), std::vector<T>(before[i].size(), T(1)), "round trip gradient");
  }
}

BOOST_AUTO_TEST_CASE_TEMPLATE(linear_forward_and_backward_match_the_cpu, T, Dtypes) {
  auto cpu_model = small_model<T>();
  auto device_model = small_model<T>();
  device_model->to(kCuda);
  const Tensor<T> x = test::sample<T>({17, 3}, 0, 5);
  const Tensor<T> target = test::sample<T>({34}, 0, 6);

  const Tensor<T> cpu_y = (*cpu_model)(x);
  const Tensor<T> device_y = (*device_model)(x.to(kCuda));
  BOOST_TEST(device_y.is_cuda());
  test::check_close(device_y.to_vector(), cpu_y.to_vector(), "forward");

  const Tensor<T> cpu_loss = nn::functional::mse_loss(cpu_y, target, nn::Reduction::Sum);
  const Tensor<T> device_loss = nn::functional::mse_loss(device_y, target.to(kCuda), nn::Reduction::Sum);
  BOOST_TEST(device_loss.is_cuda());
  test::check_close(device_loss.to_vector(), cpu_loss.to_vector(), "mse loss");
  cpu_loss.backward();
  device_loss.backward();
  const auto cpu_params = cpu_model->named_parameters();
  const auto device_params = device_model->named_parameters();
  for (std::size_t i = 0; i < cpu_params.size(); ++i) {
    const Tensor<T>& grad = device_params[i].second.grad();
    BOOST_TEST(grad.is_cuda(), device_params[i].first << " gradient on " << grad.device().str());
    test::check_close(grad.to_vector(), cpu_params[i].second.grad().to_vector(), device_params[i].first + " gradient");
  }
}

BOOST_AUTO_TEST_CASE_TEMPLATE(pointwise_losses_match_the_cpu_elementwise, T, Dtypes) {
  const Tensor<T> input = test::sample<T>({4, 9}, 0, 8).requires_grad_(true);
  const Tensor<T> target = test::sample<T>({4, 9}, 0, 9);
  const Tensor<T> device_input = input.detach().to(kCuda).requires_grad_(true);
  using Loss = std::function<Tensor<T>(const Tensor<T>&, const Tensor<T>&)>;
  const std::vector<std::pair<std::string, Loss>> losses = {
      {"mse",
       [](const Tensor<T>& a, const Tensor<T>& b) { return nn::functional::mse_loss(a, b, nn::Reduction::None); }},
      {"huber", [](const Tensor<T>& a,
                   const Tensor<T>& b) { return nn::functional::huber_loss(a, b, nn::Reduction::None, 0.5); }},
      {"smooth_l1", [](const Tensor<T>& a,
                       const Tensor<T>& b) { return nn::functional::smooth_l1_loss(a, b, nn::Reduction::None, 0.7); }},
  };
  for (const auto& [name, loss] : losses) {
    const Tensor<T> on_cpu = loss(input, target);
    const Tensor<T> on_device = loss(device_input, target.to(kCuda));
    BOOST_TEST(on_device.is_cuda());
    test::check_same(on_device.to_vector(), on_cpu.to_vector(), name + " values");
    const Tensor<T> seed = test::sample<T>({4, 9}, 0, 10);
    on_cpu.backward(seed);
    on_device.backward(seed.to(kCuda));
    test::check_same(device_input.grad().to_vector(), input.grad().to_vector(), name + " gradient");
    input.set_grad({});
    device_input.set_grad({});
  }
}

BOOST_AUTO_TEST_CASE_TEMPLATE(init_on_the_device_draws_the_cpus_numbers, T, Dtypes) {
  Tensor<T> cpu = empty<T>({5, 7});
  Tensor<T> device = empty<T>({5, 7}, TensorOptions(kCuda));
  manual_seed(11);
  nn::init::kaiming_uniform_(cpu, 0.3);
  nn::init::normal_(cpu, 1.0, 2.0);
  manual_seed(11);
  nn::init::kaiming_uniform_(device, 0.3);
  nn::init::normal_(device, 1.0, 2.0);
  BOOST_TEST(device.is_cuda());
  test::check_same(device.to_vector(), cpu.to_vector(), "kaiming_uniform_ then normal_");
}

BOOST_AUTO_TEST_CASE_TEMPLATE(module_checkpoint_moves_between_devices, T, Dtypes) {
  auto saved = small_model<T>();
  saved->to(kCuda);
  TempFile file("module_" + std::string(dtype_name<T>()));
  nn::save(*saved, file.path);

  manual_seed(99);
  nn::Sequential<T> on_cpu(nn::Linear<T>(3, 2), nn::Flatten<T>(0, 1));
  nn::load(on_cpu, file.path);
  manual_seed(98);
  nn::Sequential<T> on_device(nn::Linear<T>(3, 2), nn::Flatten<T>(0, 1));
  on_device.to(kCuda);
  nn::load(on_device, file.path);

  const auto expected = saved->parameters();
  const auto cpu_params = on_cpu.parameters();
  const auto device_params = on_device.parameters();
  for (std::size_t i = 0; i < expected.size(); ++i) {
    BOOST_TEST(cpu_params[i].device().is_cpu());
    BOOST_TEST(device_params[i].is_cuda());
    test::check_same(cpu_params[i].to_vector(), expected[i].to_vector(), "loaded on the CPU");
    test::check_same(device_params[i].to_vector(), expected[i].to_vector(), "loaded on the device");
  }
}
