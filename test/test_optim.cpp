#define BOOST_TEST_MODULE optim
#include <boost/test/unit_test.hpp>

#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <limits>
#include <map>
#include <string>
#include <tuple>
#include <vector>

#include <unistd.h>

#include "eigrad/autograd/grad_mode.hpp"
#include "eigrad/io/safetensors.hpp"
#include "eigrad/optim/adagrad.hpp"
#include "eigrad/optim/adam.hpp"
#include "eigrad/optim/adamw.hpp"
#include "eigrad/optim/factory.hpp"
#include "eigrad/optim/rmsprop.hpp"
#include "eigrad/optim/sgd.hpp"
#include "eigrad/tensor.hpp"

using namespace eigrad;
using namespace eigrad::optim;
using Vec = std::vector<double>;

namespace {

// ------------------------------------------------------------------ helpers

Tensor<double> leaf(const Vec& v) {
  return from_vector<double>(v, {static_cast<std::int64_t>(v.size())}, TensorOptions().requires_grad(true));
}

template <class T>
Tensor<T> leaf_t(const std::vector<T>& v, Shape shape) {
  return from_vector<T>(v, std::move(shape), TensorOptions().requires_grad(true));
}

// Gradient of step k (1-based) for element i: fixed values of mixed signs and sizes, so the
// checks do not depend on the autograd engine.
Vec grad_at(int k, std::size_t n) {
  Vec g(n);
  for (std::size_t i = 0; i < n; ++i) g[i] = std::sin(1.3 * k + 0.7 * static_cast<double>(i)) * (1.0 + 0.5 * i);
  return g;
}

void set_grad(const Tensor<double>& p, const Vec& g) {
  p.set_grad(from_vector<double>(g, p.shape()));
}

void check_close(const Vec& got, const Vec& want, double rtol = 1e-12) {
  BOOST_REQUIRE_EQUAL(got.size(), want.size());
  for (std::size_t i = 0; i < got.size(); ++i)
    BOOST_TEST(got[i] == want[i], boost::test_tools::tolerance(rtol));
}

// Runs `steps` steps of `opt` on `p` with grad_at(k) and checks p after each against
// `reference(p, g, k)`, a direct transcription of PyTorch's formulas on plain doubles.
void run_against(Optimizer<double>& opt, const Tensor<double>& p, int steps,
                 const std::function<void(Vec&, const Vec&, int)>& reference) {
  Vec ref = p.to_vector();
  for (int k = 1; k <= steps; ++k) {
    const Vec g = grad_at(k, ref.size());
    set_grad(p, g);
    opt.step();
    reference(ref, g, k);
    check_close(p.to_vector(), ref);
  }
}

// Predicate for BOOST_CHECK_EXCEPTION: the message contains every one of `parts`.
struct Mentions {
  std::vector<std::string> parts;
  template <class E>
  bool operator()(const E& e) const {
    const std::string what = e.what();
    for (const auto& part : parts)
      if (what.find(part) == std::string::npos) {
        BOOST_TEST_MESSAGE("message \"" << what << "\" lacks \"" << part << "\"");
        return false;
      }
    return true;
  }
};

template <class... S>
Mentions mentions(S... parts) {
  return Mentions{{std::string(parts)...}};
}

std::string temp_path(const std::string& stem) {
  return (std::filesystem::temp_directory_path() /
          (stem + "_" + std::to_string(::getpid()) + ".safetensors"))
      .string();
}

}  // namespace

// ==================================================================== update rules (float64)

BOOST_AUTO_TEST_CASE(sgd_plain_by_hand) {
  // p = 1, g = 2, lr = 0.1: p = 0.8, 0.6, 0.4 (no momentum: p -= lr * g).
  auto p = leaf({1.0});
  SGD<double> opt({p}, SGDOptions(0.1));
  for (double want : {0.8, 0.6, 0.4}) {
    set_grad(p, {2.0});
    opt.step();
    BOOST_TEST(p.item() == want, boost::test_tools::tolerance(1e-15));
  }
  BOOST_TEST(opt.state(p) == nullptr);  // plain SGD keeps no state
}

BOOST_AUTO_TEST_CASE(sgd_momentum_by_hand) {
  // Constant g = 1, lr = 0.1, momentum 0.9: the buffer starts as a copy of g (not 0.1·g):
  // buf = 1, 1.9, 2.71; p = 1 - 0.1, then - 0.19, then - 0.271.
  auto p = leaf({1.0});
  SGD<double> opt({p}, SGDOptions(0.1).momentum(0.9));
  const double want[] = {0.9, 0.71, 0.439};
  for (double w : want) {
    set_grad(p, {1.0});
    opt.step();
    BOOST_TEST(p.item() == w, boost::test_tools::tolerance(1e-14));
  }
  BOOST_TEST(opt.state(p)->buffers.at("momentum_buffer").item() == 2.71, boost::test_tools::tolerance(1e-14));
}

BOOST_AUTO_TEST_CASE(sgd_variants_against_formulas) {
  struct Case {
    double lr, momentum, dampening, wd;
    bool nesterov, maximize;
  };
  for (const Case c : {Case{0.05, 0, 0, 0, false, false}, Case{0.05, 0.9, 0, 0, false, false},
                       Case{0.05, 0.5, 0.3, 0, false, false}, Case{0.05, 0.9, 0, 0.1, true, false},
                       Case{0.02, 0.8, 0.1, 0.2, false, true}, Case{0.02, 0, 0, 0.3, false, false}}) {
    auto p = leaf({0.5, -1.5, 2.0, 0.25});
    SGD<double> opt({p}, SGDOptions(c.lr).momentum(c.momentum).dampening(c.dampening).weight_decay(c.wd)
                             .nesterov(c.nesterov).maximize(c.maximize));
    Vec buf;
    run_against(opt, p, 5, [&](Vec& x, const Vec& g, int k) {
      Vec d(x.size());
      for (std::size_t i = 0; i < x.size(); ++i) d[i] = (c.maximize ? -g[i] : g[i]) + c.wd * x[i];
      if (c.momentum != 0) {
        if (k == 1) buf = d;
        else for (std::size_t i = 0; i < x.size(); ++i) buf[i] = c.momentum * buf[i] + (1 - c.dampening) * d[i];
        for (std::size_t i = 0; i < x.size(); ++i) d[i] = c.nesterov ? d[i] + c.momentum * buf[i] : buf[i];
      }
      for (std::size_t i = 0; i < x.size(); ++i) x[i] -= c.lr * d[i];
    });
  }
}

BOOST_AUTO_TEST_CASE(rmsprop_by_hand) {
  // First step from v = 0 with alpha 0.99: v = 0.01 g², so p -= lr · g / (0.1 |g| + eps).
  auto p = leaf({1.0, -1.0});
  RMSprop<double> opt({p}, RMSpropOptions(0.01));
  set_grad(p, {2.0, -0.5});
  opt.step();
  BOOST_TEST(p.to_vector()[0] == 1.0 - 0.01 * 2.0 / (0.2 + 1e-8), boost::test_tools::tolerance(1e-14));
  BOOST_TEST(p.to_vector()[1] == -1.0 + 0.01 * 0.5 / (0.05 + 1e-8), boost::test_tools::tolerance(1e-14));
  BOOST_TEST(opt.state(p)->step == 1);
}

BOOST_AUTO_TEST_CASE(rmsprop_variants_against_formulas) {
  struct Case {
    double lr, alpha, eps, wd, momentum;
    bool centered, maximize;
  };
  for (const Case c : {Case{1e-2, 0.99, 1e-8, 0, 0, false, false}, Case{1e-2, 0.9, 1e-6, 0.01, 0.5, true, false},
                       Case{1e-3, 0.8, 1e-4, 0, 0.9, false, true}, Case{1e-2, 0.95, 1e-8, 0.1, 0, true, false}}) {
    auto p = leaf({0.5, -1.5, 2.0});
    RMSprop<double> opt({p}, RMSpropOptions(c.lr).alpha(c.alpha).eps(c.eps).weight_decay(c.wd).momentum(c.momentum)
                                 .centered(c.centered).maximize(c.maximize));
    Vec v(3, 0.0), m(3, 0.0), buf(3, 0.0);
    run_against(opt, p, 6, [&](Vec& x, const Vec& gin, int) {
      for (std::size_t i = 0; i < x.size(); ++i) {
        const double g = (c.maximize ? -gin[i] : gin[i]) + c.wd * x[i];
        v[i] = c.alpha * v[i] + (1 - c.alpha) * g * g;
        double avg;
        if (c.centered) {
          m[i] = c.alpha * m[i] + (1 - c.alpha) * g;
          avg = std::sqrt(v[i] - m[i] * m[i]) + c.eps;
        } else {
          avg = std::sqrt(v[i]) + c.eps;
        }
        if (c.momentum > 0) {
          buf[i] = c.momentum * buf[i] + g / avg;
          x[i] -= c.lr * buf[i];
        } else {
          x[i] -= c.lr * g / avg;
        }
      }
    });
    BOOST_TEST(opt.state(p)->buffers.count("grad_avg") == (c.centered ? 1u : 0u));
    BOOST_TEST(opt.state(p)->buffers.count("momentum_buffer") == (c.momentum > 0 ? 1u : 0u));
  }
}

BOOST_AUTO_TEST_CASE(adam_first_step_by_hand) {
  // With both bias corrections the first step is lr · g / (|g| + eps) per element.
  auto p = leaf({1.0, 2.0});
  Adam<double> opt({p}, AdamOptions(0.1));
  set_grad(p, {3.0, -0.25});
  opt.step();
  BOOST_TEST(p.to_vector()[0] == 1.0 - 0.1 * 3.0 / (3.0 + 1e-8), boost::test_tools::tolerance(1e-12));
  BOOST_TEST(p.to_vector()[1] == 2.0 + 0.1 * 0.25 / (0.25 + 1e-8), boost::test_tools::tolerance(1e-12));
}

BOOST_AUTO_TEST_CASE(adam_and_adamw_against_formulas) {
  struct Case {
    bool decoupled;
    double lr, beta1, beta2, eps, wd;
    bool amsgrad, maximize;
  };
  for (const Case c : {Case{false, 1e-3, 0.9, 0.999, 1e-8, 0, false, false},
                       Case{false, 1e-2, 0.8, 0.95, 1e-8, 0.1, true, false},
                       Case{false, 1e-2, 0.5, 0.9, 1e-3, 0, false, true},
                       Case{true, 1e-2, 0.9, 0.999, 1e-8, 1e-2, false, false},
                       Case{true, 5e-2, 0.7, 0.8, 1e-6, 0.3, true, true}}) {
    auto p = leaf({0.5, -1.5, 2.0});
    std::unique_ptr<Optimizer<double>> opt;
    if (c.decoupled)
      opt = std::make_unique<AdamW<double>>(std::vector<Tensor<double>>{p},
                                            AdamWOptions(c.lr).betas({c.beta1, c.beta2}).eps(c.eps).weight_decay(c.wd)
                                                .amsgrad(c.amsgrad).maximize(c.maximize));
    else
      opt = std::make_unique<Adam<double>>(std::vector<Tensor<double>>{p},
                                           AdamOptions(c.lr).betas({c.beta1, c.beta2}).eps(c.eps).weight_decay(c.wd)
                                               .amsgrad(c.amsgrad).maximize(c.maximize));
    Vec m(3, 0.0), v(3, 0.0), vmax(3, 0.0);
    run_against(*opt, p, 7, [&](Vec& x, const Vec& gin, int k) {
      const double bc1 = 1 - std::pow(c.beta1, k), bc2 = 1 - std::pow(c.beta2, k);
      for (std::size_t i = 0; i < x.size(); ++i) {
        double g = c.maximize ? -gin[i] : gin[i];
        if (c.decoupled) x[i] *= 1 - c.lr * c.wd;
        else g += c.wd * x[i];
        m[i] = c.beta1 * m[i] + (1 - c.beta1) * g;
        v[i] = c.beta2 * v[i] + (1 - c.beta2) * g * g;
        vmax[i] = std::max(vmax[i], v[i]);
        const double second = c.amsgrad ? vmax[i] : v[i];
        x[i] -= (c.lr / bc1) * m[i] / (std::sqrt(second) / std::sqrt(bc2) + c.eps);
      }
    });
    const ParamState<double>* s = opt->state(p);
    BOOST_TEST(s->step == 7);
    BOOST_TEST(s->buffers.count("max_exp_avg_sq") == (c.amsgrad ? 1u : 0u));
    check_close(s->buffers.at("exp_avg").to_vector(), m);
  }
}

BOOST_AUTO_TEST_CASE(adamw_default_weight_decay_is_decoupled) {
  // A zero gradient leaves Adam's parameter alone, but AdamW still shrinks it by 1 - lr·0.01.
  BOOST_TEST(AdamWOptions().weight_decay() == 1e-2);
  auto p = leaf({2.0});
  AdamW<double> opt({p}, AdamWOptions(0.1));
  set_grad(p, {0.0});
  opt.step();
  BOOST_TEST(p.item() == 2.0 * (1 - 0.1 * 0.01), boost::test_tools::tolerance(1e-15));
}

BOOST_AUTO_TEST_CASE(adagrad_by_hand) {
  // lr 0.1, initial sum 0.5: s = 0.5 + g², clr = lr / (1 + (t-1)·lr_decay).
  auto p = leaf({1.0});
  Adagrad<double> opt({p}, AdagradOptions(0.1).lr_decay(0.5).initial_accumulator_value(0.5));
  BOOST_TEST(opt.state(p)->buffers.at("sum").item() == 0.5);  // filled at construction
  set_grad(p, {1.0});
  opt.step();
  const double p1 = 1.0 - 0.1 * 1.0 / (std::sqrt(1.5) + 1e-10);
  BOOST_TEST(p.item() == p1, boost::test_tools::tolerance(1e-14));
  set_grad(p, {2.0});
  opt.step();
  const double p2 = p1 - (0.1 / 1.5) * 2.0 / (std::sqrt(5.5) + 1e-10);
  BOOST_TEST(p.item() == p2, boost::test_tools::tolerance(1e-14));
}

BOOST_AUTO_TEST_CASE(adagrad_variants_against_formulas) {
  struct Case {
    double lr, lr_decay, wd, init, eps;
    bool maximize;
  };
  for (const Case c : {Case{1e-2, 0, 0, 0, 1e-10, false}, Case{0.1, 0.01, 0.1, 0.2, 1e-6, false},
                       Case{0.05, 0.2, 0, 1.0, 1e-10, true}}) {
    auto p = leaf({0.5, -1.5, 2.0});
    Adagrad<double> opt({p}, AdagradOptions(c.lr).lr_decay(c.lr_decay).weight_decay(c.wd)
                                 .initial_accumulator_value(c.init).eps(c.eps).maximize(c.maximize));
    Vec s(3, c.init);
    run_against(opt, p, 6, [&](Vec& x, const Vec& gin, int k) {
      const double clr = c.lr / (1 + (k - 1) * c.lr_decay);
      for (std::size_t i = 0; i < x.size(); ++i) {
        const double g = (c.maximize ? -gin[i] : gin[i]) + c.wd * x[i];
        s[i] += g * g;
        x[i] -= clr * g / (std::sqrt(s[i]) + c.eps);
      }
    });
  }
}

BOOST_AUTO_TEST_CASE(adagrad_sums_start_from_the_constructors_value_not_the_groups) {
  // PyTorch 1.13: Adagrad([{'params': [p], 'initial_accumulator_value': 1.0}], lr=0.1) fills
  // the sum from the constructor's initial_accumulator_value (0), not the group's: from p = 1
  // one step with g = 2 gives 0.900000000005 (float64) and 0.8999999761581421 (float32),
  // the sum 4 (with the group's value it would be 0.910557280904).
  {
    auto p = leaf({1.0});
    Adagrad<double> opt({ParamGroup<double>({p}, AdagradOptions(0.1).initial_accumulator_value(1.0))},
                        AdagradOptions(0.1));
    BOOST_TEST(opt.state(p)->buffers.at("sum").item() == 0.0);
    set_grad(p, {2.0});
    opt.step();
    BOOST_TEST(p.item() == 0.900000000005, boost::test_tools::tolerance(1e-15));
    BOOST_TEST(opt.state(p)->buffers.at("sum").item() == 4.0);
  }
  {
    auto p = leaf_t<float>({1.0f}, {1});
    Adagrad<float> opt({ParamGroup<float>({p}, AdagradOptions(0.1).initial_accumulator_value(1.0))},
                       AdagradOptions(0.1));
    p.set_grad(from_vector<float>({2.0f}, {1}));
    opt.step();
    BOOST_TEST(p.item() == 0.8999999761581421f);
  }
  {
    // Defaults 0.5, a group of its own (lr 0.2, initial_accumulator_value 2): PyTorch's sums
    // start at 0.5 and p = [1, -2] moves to these after gradients [1, 0.5] and [-2, 3].
    auto p = leaf({1.0, -2.0});
    Adagrad<double> opt({ParamGroup<double>({p}, AdagradOptions(0.2).initial_accumulator_value(2.0))},
                        AdagradOptions(0.1).initial_accumulator_value(0.5));
    check_close(opt.state(p)->buffers.at("sum").to_vector(), {0.5, 0.5});
    set_grad(p, {1.0, 0.5});
    opt.step();
    check_close(p.to_vector(), {0.8367006838277882, -2.1154700538245916}, 1e-15);
    set_grad(p, {-2.0, 3.0});
    opt.step();
    check_close(p.to_vector(), {1.0072612569050037, -2.307623838384542}, 1e-15);
    // A group added later (PyTorch leaves it without state, and its step fails) starts from
    // the defaults' value too.
    auto q = leaf({1.0});
    opt.add_param_group(ParamGroup<double>({q}, AdagradOptions(0.2).initial_accumulator_value(2.0)));
    BOOST_TEST(opt.state(q)->buffers.at("sum").item() == 0.5);
  }
}

BOOST_AUTO_TEST_CASE(adagrad_checkpoint_keeps_the_sums_whatever_the_initial_values) {
  // The sums are saved as they are; the group's initial_accumulator_value is saved with its
  // options (PyTorch's state_dict keeps it in param_groups too) but does not refill them. A
  // resumed optimizer built with another constructor value continues as PyTorch's does after
  // load_state_dict: p = 0.8552786404570042 after a second step with g = 1.
  const std::string path = temp_path("eigrad_optim_adagrad_init");
  auto p = leaf({1.0});
  Adagrad<double> opt({ParamGroup<double>({p}, AdagradOptions(0.1).initial_accumulator_value(1.0))},
                      AdagradOptions(0.1));
  set_grad(p, {2.0});
  opt.step();
  opt.save(path);

  auto q = leaf({p.item()});
  Adagrad<double> resumed({ParamGroup<double>({q}, AdagradOptions(0.1).initial_accumulator_value(1.0))},
                          AdagradOptions(0.1).initial_accumulator_value(3.0));
  BOOST_TEST(resumed.state(q)->buffers.at("sum").item() == 3.0);
  resumed.load(path);
  std::filesystem::remove(path);
  BOOST_TEST(resumed.state(q)->buffers.at("sum").item() == 4.0);
  BOOST_TEST(resumed.state(q)->step == 1);
  BOOST_TEST(static_cast<const AdagradOptions&>(resumed.param_groups()[0].options()).initial_accumulator_value() ==
             1.0);
  set_grad(q, {1.0});
  resumed.step();
  BOOST_TEST(q.item() == 0.8552786404570042, boost::test_tools::tolerance(1e-15));
}

// ==================================================================== float32 operation order

BOOST_AUTO_TEST_CASE(float32_follows_pytorch_rounding_order) {
  // The float32 results must be those of PyTorch's sequence of float32 operations (each
  // Python float cast to float first), not of a double computation rounded at the end.
  const std::vector<float> p0 = {0.123456f, -3.5f, 7.25e-3f};
  const std::vector<float> g = {1.0e-3f, 2.5f, -0.75f};
  auto p = leaf_t<float>(p0, {3});
  Adam<float> opt({p}, AdamOptions(1e-3).betas({0.8, 0.95}).weight_decay(0.1).amsgrad(true));
  p.set_grad(from_vector<float>(g, {3}));
  opt.step();
  const std::vector<float> got = p.to_vector();
  for (int i = 0; i < 3; ++i) {
    float gi = g[i] + 0.1f * p0[i];
    float m = 0.0f * 0.8f;
    m = m + static_cast<float>(1 - 0.8) * gi;
    float v = 0.0f * 0.95f;
    v = v + static_cast<float>(1 - 0.95) * gi * gi;
    const float vmax = std::max(0.0f, v);
    const double bc2 = 1 - 0.95;
    const float denom = std::sqrt(vmax) / static_cast<float>(std::sqrt(bc2)) + 1e-8f;
    const float want = p0[i] + static_cast<float>(-(1e-3 / (1 - 0.8))) * m / denom;
    BOOST_TEST(got[i] == want);  // bit for bit
  }
}

// ==================================================================== validation

BOOST_AUTO_TEST_CASE(invalid_options_are_errors_naming_option_and_value) {
  auto p = leaf({1.0});
  using P = std::vector<Tensor<double>>;
  auto check = [&](const std::function<void()>& make, std::vector<std::string> parts) {
    BOOST_CHECK_EXCEPTION(make(), ValueError, Mentions{std::move(parts)});
  };
  check([&] { SGD<double>(P{p}, SGDOptions(-0.1)); }, {"SGD", "lr", "-0.1"});
  check([&] { SGD<double>(P{p}, SGDOptions(0.1).momentum(-0.5)); }, {"SGD", "momentum", "-0.5"});
  check([&] { SGD<double>(P{p}, SGDOptions(0.1).weight_decay(-1e-3)); }, {"SGD", "weight_decay", "-0.001"});
  check([&] { SGD<double>(P{p}, SGDOptions(0.1).nesterov(true)); }, {"SGD", "nesterov", "momentum = 0"});
  check([&] { SGD<double>(P{p}, SGDOptions(0.1).nesterov(true).momentum(0.9).dampening(0.1)); },
        {"SGD", "nesterov", "dampening = 0.1"});
  check([&] { SGD<double>(P{p}, SGDOptions(std::nan(""))); }, {"SGD", "lr", "nan"});

  check([&] { RMSprop<double>(P{p}, RMSpropOptions(-1e-2)); }, {"RMSprop", "lr", "-0.01"});
  check([&] { RMSprop<double>(P{p}, RMSpropOptions().alpha(-0.5)); }, {"RMSprop", "alpha", "-0.5"});
  check([&] { RMSprop<double>(P{p}, RMSpropOptions().eps(-1e-8)); }, {"RMSprop", "eps", "-1e-08"});
  check([&] { RMSprop<double>(P{p}, RMSpropOptions().momentum(-0.9)); }, {"RMSprop", "momentum", "-0.9"});
  check([&] { RMSprop<double>(P{p}, RMSpropOptions().weight_decay(-2)); }, {"RMSprop", "weight_decay", "-2"});

  check([&] { Adam<double>(P{p}, AdamOptions(-1e-3)); }, {"Adam", "lr", "-0.001"});
  check([&] { Adam<double>(P{p}, AdamOptions().eps(-1)); }, {"Adam", "eps", "-1"});
  check([&] { Adam<double>(P{p}, AdamOptions().betas({1.0, 0.999})); }, {"Adam", "beta1", "1"});
  check([&] { Adam<double>(P{p}, AdamOptions().betas({-0.1, 0.999})); }, {"Adam", "beta1", "-0.1"});
  check([&] { Adam<double>(P{p}, AdamOptions().betas({0.9, 1.5})); }, {"Adam", "beta2", "1.5"});
  check([&] { Adam<double>(P{p}, AdamOptions().weight_decay(-0.1)); }, {"Adam", "weight_decay", "-0.1"});

  check([&] { AdamW<double>(P{p}, AdamWOptions(-1)); }, {"AdamW", "lr", "-1"});
  check([&] { AdamW<double>(P{p}, AdamWOptions().betas({0.9, 1.0})); }, {"AdamW", "beta2", "1"});
  check([&] { AdamW<double>(P{p}, AdamWOptions().eps(-1e-8)); }, {"AdamW", "eps", "-1e-08"});
  check([&] { AdamW<double>(P{p}, AdamWOptions().weight_decay(-0.01)); }, {"AdamW", "weight_decay", "-0.01"});

  check([&] { Adagrad<double>(P{p}, AdagradOptions(-0.1)); }, {"Adagrad", "lr", "-0.1"});
  check([&] { Adagrad<double>(P{p}, AdagradOptions().lr_decay(-0.5)); }, {"Adagrad", "lr_decay", "-0.5"});
  check([&] { Adagrad<double>(P{p}, AdagradOptions().weight_decay(-0.5)); }, {"Adagrad", "weight_decay", "-0.5"});
  check([&] { Adagrad<double>(P{p}, AdagradOptions().initial_accumulator_value(-1)); },
        {"Adagrad", "initial_accumulator_value", "-1"});
  check([&] { Adagrad<double>(P{p}, AdagradOptions().eps(-1e-10)); }, {"Adagrad", "eps", "-1e-10"});

  // Boundary values PyTorch accepts.
  BOOST_CHECK_NO_THROW(SGD<double>(P{p}, SGDOptions(0).momentum(0).nesterov(false)));
  BOOST_CHECK_NO_THROW(Adam<double>(P{p}, AdamOptions(0).betas({0.0, 0.0}).eps(0)));
  BOOST_CHECK_NO_THROW(RMSprop<double>(P{p}, RMSpropOptions(0).alpha(0)));
}

BOOST_AUTO_TEST_CASE(invalid_group_options_and_parameters) {
  auto a = leaf({1.0});
  auto b = leaf({2.0});
  SGD<double> opt({a}, SGDOptions(0.1));
  // A group's own options are validated too, and must be this optimizer's kind.
  BOOST_CHECK_EXCEPTION(opt.add_param_group(ParamGroup<double>({b}, SGDOptions(-1))), ValueError,
                        mentions("lr", "-1"));
  BOOST_CHECK_EXCEPTION(opt.add_param_group(ParamGroup<double>({b}, AdamOptions())), ValueError,
                        mentions("SGDOptions"));
  // A parameter may appear once; it must be a defined leaf.
  BOOST_CHECK_EXCEPTION(opt.add_param_group(ParamGroup<double>({a})), ValueError, mentions("more than one"));
  BOOST_CHECK_EXCEPTION(opt.add_param_group(ParamGroup<double>({b * 2.0})), ValueError, mentions("leaf"));
  BOOST_CHECK_EXCEPTION(opt.add_param_group(ParamGroup<double>({Tensor<double>()})), ValueError,
                        mentions("undefined"));
  BOOST_TEST(opt.param_groups().size() == 1u);  // failed additions leave nothing behind
  // A gradient of the wrong shape is refused at step time.
  a.grad() = from_vector<double>({1.0, 2.0}, {2});  // bypasses set_grad's own check
  BOOST_CHECK_EXCEPTION(opt.step(), ShapeError, mentions("[2]", "[1]"));
}

// ==================================================================== groups, zero_grad, closure

BOOST_AUTO_TEST_CASE(param_groups_with_different_lrs) {
  auto a = leaf({1.0, 1.0});
  auto b = leaf({1.0});
  auto c = leaf({1.0});
  SGD<double> opt({ParamGroup<double>({a}), ParamGroup<double>({b}, SGDOptions(0.5))}, SGDOptions(0.1));
  opt.add_param_group(ParamGroup<double>({c}, SGDOptions(1.0).momentum(0.9)));
  BOOST_TEST(group_lrs(opt) == Vec({0.1, 0.5, 1.0}));
  BOOST_TEST(opt.size() == 3u);
  BOOST_TEST(opt.parameters()[2].is_same(c));
  set_grad(a, {1.0, 2.0});
  set_grad(b, {1.0});
  set_grad(c, {1.0});
  opt.step();
  check_close(a.to_vector(), {0.9, 0.8});
  check_close(b.to_vector(), {0.5});
  check_close(c.to_vector(), {0.0});
  BOOST_TEST(opt.state(a) == nullptr);  // group 0 has no momentum
  BOOST_TEST(opt.state(c) != nullptr);
  // Changing a group's lr (what schedulers do) affects only that group.
  opt.param_groups()[0].options().set_lr(1.0);
  set_grad(b, {1.0});
  a.set_grad({});
  c.set_grad({});
  opt.step();
  check_close(a.to_vector(), {0.9, 0.8});  // no gradient: untouched
  check_close(b.to_vector(), {0.0});
}

BOOST_AUTO_TEST_CASE(zero_grad_both_ways) {
  auto a = leaf({1.0, 2.0});
  SGD<double> opt({a}, SGDOptions(0.1));
  (a * a).sum().backward();
  BOOST_REQUIRE(a.grad().defined());
  const Tensor<double> old = a.grad();
  opt.zero_grad(false);
  BOOST_REQUIRE(a.grad().defined());
  check_close(a.grad().to_vector(), {0.0, 0.0});
  BOOST_TEST(a.grad().is_same(old));  // zeroed in place
  (a * a).sum().backward();
  check_close(a.grad().to_vector(), {2.0, 4.0});
  opt.zero_grad();  // set_to_none = true by default
  BOOST_TEST(!a.grad().defined());
  opt.zero_grad();  // nothing to clear: fine
  BOOST_TEST(!a.grad().defined());
}

BOOST_AUTO_TEST_CASE(step_with_closure_returns_loss_and_runs_with_grad_mode) {
  auto w = leaf({3.0});
  SGD<double> opt({w}, SGDOptions(0.25));
  int calls = 0;
  auto closure = [&] {
    ++calls;
    opt.zero_grad();
    Tensor<double> loss = (w * w).sum();  // gradient 2w
    loss.backward();
    return loss;
  };
  NoGradGuard outside;  // the closure must still record its graph
  Tensor<double> loss = opt.step(closure);
  BOOST_TEST(calls == 1);
  BOOST_TEST(loss.item() == 9.0);
  BOOST_TEST(w.item() == 1.5);  // 3 - 0.25 · 6
  BOOST_TEST(!GradMode::is_enabled());
  loss = opt.step(closure);
  BOOST_TEST(loss.item() == 2.25);
  BOOST_TEST(w.item() == 0.75);
  BOOST_TEST(!opt.step().defined());  // no closure, no loss
}

BOOST_AUTO_TEST_CASE(step_bumps_the_parameter_version) {
  auto w = leaf({1.0});
  Adam<double> opt({w});
  const auto before = w.version();
  set_grad(w, {1.0});
  opt.step();
  BOOST_TEST(w.version() > before);
}

// ==================================================================== checkpoints

namespace {

// A small least-squares problem in T: loss = sum((X w + b - y)^2) over 16 points.
template <class T>
struct Problem {
  Tensor<T> x, y, w, b;
  Problem(const std::vector<T>& w0, T b0) {
    std::vector<T> xs, ys;
    for (int i = 0; i < 16; ++i) {
      const double t = -1.0 + 2.0 * i / 15.0;
      xs.insert(xs.end(), {static_cast<T>(t), static_cast<T>(t * t), static_cast<T>(t * t * t)});
      ys.push_back(static_cast<T>(std::sin(3 * t)));
    }
    x = from_vector<T>(xs, {16, 3});
    y = from_vector<T>(ys, {16, 1});
    w = leaf_t<T>(w0, {3, 1});
    b = leaf_t<T>({b0}, {1});
  }
  Tensor<T> loss() const { return (x.matmul(w) + b - y).pow(2).sum(); }
};

// Runs `steps` closure steps; returns the losses.
template <class T>
std::vector<T> train(Optimizer<T>& opt, const Problem<T>& prob, int steps) {
  std::vector<T> losses;
  for (int i = 0; i < steps; ++i) {
    Tensor<T> l = opt.step([&] {
      opt.zero_grad();
      Tensor<T> loss = prob.loss();
      loss.backward();
      return loss;
    });
    losses.push_back(l.item());
  }
  return losses;
}

template <class T>
bool same_bits(const std::vector<T>& a, const std::vector<T>& b) {
  return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(T)) == 0;
}

using Factory = std::function<std::unique_ptr<Optimizer<float>>(std::vector<ParamGroup<float>>)>;

// Training resumed from a checkpoint after `first` steps equals an uninterrupted run, bit
// for bit (float32, where any difference in state would show).
void check_resume(const Factory& make, const std::string& label) {
  BOOST_TEST_CONTEXT(label) {
    const std::vector<float> w0 = {0.3f, -0.2f, 0.1f};
    Problem<float> whole(w0, 0.05f);
    auto opt_whole = make({ParamGroup<float>({whole.w}), ParamGroup<float>({whole.b})});
    const std::vector<float> losses_whole = train(*opt_whole, whole, 40);

    Problem<float> part(w0, 0.05f);
    auto opt_part = make({ParamGroup<float>({part.w}), ParamGroup<float>({part.b})});
    std::vector<float> losses = train(*opt_part, part, 25);
    const std::string path = temp_path("eigrad_optim_resume");
    opt_part->save(path);

    // A fresh model (from the saved weights) and a fresh optimizer.
    Problem<float> resumed(part.w.to_vector(), part.b.item());
    auto opt_resumed = make({ParamGroup<float>({resumed.w}), ParamGroup<float>({resumed.b})});
    opt_resumed->load(path);
    std::filesystem::remove(path);
    const std::vector<float> rest = train(*opt_resumed, resumed, 15);
    losses.insert(losses.end(), rest.begin(), rest.end());

    BOOST_TEST(same_bits(losses, losses_whole));
    BOOST_TEST(same_bits(resumed.w.to_vector(), whole.w.to_vector()));
    BOOST_TEST(same_bits(resumed.b.to_vector(), whole.b.to_vector()));
  }
}

}  // namespace

BOOST_AUTO_TEST_CASE(resumed_training_equals_uninterrupted) {
  check_resume([](auto g) { return std::make_unique<SGD<float>>(g, SGDOptions(1e-3).momentum(0.9).nesterov(true)); },
               "SGD nesterov");
  check_resume([](auto g) { return std::make_unique<SGD<float>>(g, SGDOptions(1e-3).momentum(0.5).dampening(0.3)); },
               "SGD dampening");
  check_resume([](auto g) {
    return std::make_unique<RMSprop<float>>(g, RMSpropOptions(1e-3).centered(true).momentum(0.5).weight_decay(0.01));
  }, "RMSprop centered");
  check_resume([](auto g) { return std::make_unique<Adam<float>>(g, AdamOptions(1e-2).amsgrad(true)); }, "Adam amsgrad");
  check_resume([](auto g) { return std::make_unique<AdamW<float>>(g, AdamWOptions(1e-2)); }, "AdamW");
  check_resume([](auto g) {
    return std::make_unique<Adagrad<float>>(g, AdagradOptions(0.1).lr_decay(0.01).initial_accumulator_value(0.1));
  }, "Adagrad");
}

BOOST_AUTO_TEST_CASE(checkpoint_restores_group_options) {
  auto a = leaf({1.0});
  Adam<double> opt({a}, AdamOptions(1e-2).betas({0.8, 0.95}));
  opt.param_groups()[0].options().set_lr(0.123);  // e.g. set by a scheduler
  const std::string path = temp_path("eigrad_optim_options");
  opt.save(path);
  auto b = leaf({1.0});
  Adam<double> fresh({b}, AdamOptions(1e-3));
  fresh.load(path);
  std::filesystem::remove(path);
  const auto& o = static_cast<const AdamOptions&>(fresh.param_groups()[0].options());
  BOOST_TEST(o.lr() == 0.123);
  BOOST_TEST(std::get<0>(o.betas()) == 0.8);
  BOOST_TEST(std::get<1>(o.betas()) == 0.95);
  BOOST_TEST(fresh.state(b) == nullptr);  // no step was taken: no state
}

BOOST_AUTO_TEST_CASE(checkpoint_mismatches_are_typed_errors_and_change_nothing) {
  const std::string path = temp_path("eigrad_optim_bad");
  auto w = leaf({1.0, 2.0});
  auto b = leaf({0.5});
  Adam<double> saved({ParamGroup<double>({w}), ParamGroup<double>({b})}, AdamOptions(1e-2));
  set_grad(w, {1.0, -1.0});
  set_grad(b, {2.0});
  saved.step();
  saved.save(path);

  // The target: an Adam with one step of its own; any failed load must leave it as it is.
  auto w2 = leaf({1.0, 2.0});
  auto b2 = leaf({0.5});
  Adam<double> target({ParamGroup<double>({w2}), ParamGroup<double>({b2})}, AdamOptions(0.5));
  set_grad(w2, {3.0, 3.0});
  set_grad(b2, {3.0});
  target.step();
  const Vec exp_avg_before = target.state(w2)->buffers.at("exp_avg").to_vector();
  auto unchanged = [&] {
    BOOST_TEST(target.param_groups()[0].options().get_lr() == 0.5);
    BOOST_TEST(target.state(w2)->step == 1);
    BOOST_TEST(target.state(w2)->buffers.at("exp_avg").to_vector() == exp_avg_before);
  };

  {  // another optimizer kind
    auto x = leaf({1.0, 2.0});
    auto y = leaf({0.5});
    SGD<double> sgd({ParamGroup<double>({x}), ParamGroup<double>({y})}, SGDOptions(0.1));
    BOOST_CHECK_EXCEPTION(sgd.load(path), ValueError, mentions("Adam", "SGD"));
  }
  {  // another dtype
    auto x = leaf_t<float>({1, 2}, {2});
    auto y = leaf_t<float>({0.5f}, {1});
    Adam<float> f({ParamGroup<float>({x}), ParamGroup<float>({y})});
    BOOST_CHECK_EXCEPTION(f.load(path), ValueError, mentions("float64", "float32"));
  }
  {  // another number of groups
    auto x = leaf({1.0, 2.0});
    auto y = leaf({0.5});
    Adam<double> one({x, y});
    BOOST_CHECK_EXCEPTION(one.load(path), ValueError, mentions("2 parameter groups", "has 1"));
  }
  {  // another number of parameters in a group
    auto x = leaf({1.0, 2.0});
    auto y = leaf({0.5});
    auto z = leaf({0.5});
    Adam<double> more({ParamGroup<double>({x}), ParamGroup<double>({y, z})});
    BOOST_CHECK_EXCEPTION(more.load(path), ValueError, mentions("group 1", "1 parameters"));
  }
  {  // another shape: the target itself, so unchanged() checks it stays intact
    auto x = leaf({1.0, 2.0, 3.0});
    auto y = leaf({0.5});
    Adam<double> wide({ParamGroup<double>({x}), ParamGroup<double>({y})});
    BOOST_CHECK_EXCEPTION(wide.load(path), ShapeError, mentions("[2]", "[3]"));
  }

  // Corrupt files for the target itself.
  auto expect_unchanged_after = [&](const io::TensorDict& tensors, const std::map<std::string, std::string>& meta,
                                    auto error_tag, std::vector<std::string> parts) {
    using E = decltype(error_tag);
    io::save_safetensors(path, tensors, meta);
    BOOST_CHECK_EXCEPTION(target.load(path), E, Mentions{std::move(parts)});
    unchanged();
  };
  std::map<std::string, std::string> meta;
  const io::TensorDict good = io::load_safetensors(path, &meta);
  {
    auto m = meta;
    m.erase("param_groups.0.lr");
    expect_unchanged_after(good, m, IoError("x"), {"param_groups.0.lr", "missing"});
  }
  {
    auto m = meta;
    m["param_groups.1.beta1"] = "0.9x";
    expect_unchanged_after(good, m, IoError("x"), {"param_groups.1.beta1", "0.9x"});
  }
  {
    auto m = meta;
    m["param_groups.0.lr"] = "-1";
    expect_unchanged_after(good, m, IoError("x"), {"lr", "-1"});
  }
  {
    auto t = good;
    t.emplace_back("state.0.bogus", io::to_entry(zeros<double>({2})));
    expect_unchanged_after(t, meta, IoError("x"), {"bogus"});
  }
  {
    auto t = good;
    for (auto& [name, entry] : t)
      if (name == "state.1.exp_avg") entry = io::to_entry(zeros<double>({2}));
    expect_unchanged_after(t, meta, ShapeError("x"), {"state.1.exp_avg", "[2]", "[1]"});
  }
  {
    auto t = good;
    for (auto& [name, entry] : t)
      if (name == "state.0.exp_avg_sq") entry = io::to_entry(zeros<float>({2}));
    expect_unchanged_after(t, meta, IoError("x"), {path, "state.0.exp_avg_sq", "F32", "F64"});
  }
  {
    auto m = meta;
    m.erase("state.1.step");
    expect_unchanged_after(good, m, IoError("x"), {"state.1.step"});
  }
  {  // truncated file
    std::filesystem::resize_file(path, std::filesystem::file_size(path) - 3);
    BOOST_CHECK_THROW(target.load(path), IoError);
    unchanged();
  }
  BOOST_CHECK_THROW(target.load(path + ".missing"), IoError);
  unchanged();
  std::filesystem::remove(path);

  // Loading the good file succeeds and replaces everything.
  saved.save(path);
  target.load(path);
  std::filesystem::remove(path);
  BOOST_TEST(target.param_groups()[0].options().get_lr() == 1e-2);
  BOOST_TEST(target.state(w2)->buffers.at("exp_avg").to_vector() == saved.state(w)->buffers.at("exp_avg").to_vector());
}

// ==================================================================== factory

BOOST_AUTO_TEST_CASE(make_optimizer_by_name_with_pytorch_option_names) {
  auto p = leaf({1.0});
  auto adam = make_optimizer<double>("Adam", {p}, {{"lr", 0.01}, {"beta1", 0.8}, {"amsgrad", 1}});
  BOOST_TEST(adam->name() == "Adam");
  const auto& o = dynamic_cast<const AdamOptions&>(adam->param_groups()[0].options());
  BOOST_TEST(o.lr() == 0.01);
  BOOST_TEST(std::get<0>(o.betas()) == 0.8);
  BOOST_TEST(std::get<1>(o.betas()) == 0.999);  // PyTorch's default for what is not given
  BOOST_TEST(o.amsgrad());
  for (const auto& name : optimizer_names()) {
    auto q = leaf({1.0});
    BOOST_TEST(make_optimizer<double>(name, {q}, {{"lr", 0.1}})->name().size() > 0u);
  }
  BOOST_TEST(make_optimizer<double>("adamw", {leaf({1.0})}, {})->param_groups()[0].options().get_lr() == 1e-3);
  BOOST_TEST(make_optimizer<double>("rmsprop", {leaf({1.0})}, {})->param_groups()[0].options().get_lr() == 1e-2);

  BOOST_CHECK_EXCEPTION(make_optimizer<double>("lbfgs", {p}, {}), ValueError, mentions("lbfgs"));
  BOOST_CHECK_EXCEPTION(make_optimizer<double>("sgd", {leaf({1.0})}, {{"momentum", 0.9}}), ValueError,
                        mentions("lr"));
  BOOST_CHECK_EXCEPTION(make_optimizer<double>("sgd", {leaf({1.0})}, {{"lr", 0.1}, {"beta1", 0.9}}),
                        ValueError, mentions("SGD", "beta1"));
  BOOST_CHECK_EXCEPTION(make_optimizer<double>("adagrad", {leaf({1.0})}, {{"lr_decay", -1}}), ValueError,
                        mentions("lr_decay", "-1"));
}

// ==================================================================== refused though once accepted

BOOST_AUTO_TEST_CASE(an_optimizer_without_parameters_is_a_value_error) {
  using P = std::vector<Tensor<double>>;
  // PyTorch 1.13: SGD([], lr=0.1) raises "optimizer got an empty parameter list".
  BOOST_CHECK_EXCEPTION(SGD<double>(P{}, SGDOptions(0.1)), ValueError, mentions("SGD", "empty parameter list"));
  BOOST_CHECK_EXCEPTION(Adam<double>(std::vector<ParamGroup<double>>{}), ValueError,
                        mentions("Adam", "empty parameter list"));
  BOOST_CHECK_EXCEPTION(RMSprop<double>({ParamGroup<double>(P{}), ParamGroup<double>(P{})}), ValueError,
                        mentions("RMSprop", "empty parameter list"));
  BOOST_CHECK_EXCEPTION(Adagrad<double>(P{}), ValueError, mentions("Adagrad", "empty parameter list"));
  BOOST_CHECK_EXCEPTION(make_optimizer<double>("adamw", P{}, {}), ValueError, mentions("AdamW", "empty parameter list"));
  // As in PyTorch (SGD([], lr=-1): "Invalid learning rate: -1"), the options are checked first.
  BOOST_CHECK_EXCEPTION(SGD<double>(P{}, SGDOptions(-1)), ValueError, mentions("lr", "-1"));
  // An empty group beside a non-empty one, or added later, stays allowed, as in PyTorch.
  BOOST_CHECK_NO_THROW(SGD<double>({ParamGroup<double>({leaf({1.0})}), ParamGroup<double>(P{})}, SGDOptions(0.1)));
  SGD<double> opt({leaf({1.0})}, SGDOptions(0.1));
  BOOST_CHECK_NO_THROW(opt.add_param_group(ParamGroup<double>(P{})));
}

BOOST_AUTO_TEST_CASE(a_negative_dampening_is_a_value_error) {
  // PyTorch accepts it, but the new gradient would enter the buffer scaled by more than 1.
  BOOST_CHECK_EXCEPTION(SGD<double>({leaf({1.0})}, SGDOptions(0.1).momentum(0.9).dampening(-0.5)), ValueError,
                        mentions("SGD", "dampening", "-0.5"));
  BOOST_CHECK_NO_THROW(SGD<double>({leaf({1.0})}, SGDOptions(0.1).momentum(0.9).dampening(0.5)));
}

BOOST_AUTO_TEST_CASE(stored_options_must_read_as_save_writes_them) {
  const std::string path = temp_path("eigrad_optim_strict");
  auto w = leaf({1.0, 2.0});
  SGD<double> saved({w}, SGDOptions(0.1).momentum(0.9).nesterov(true));
  set_grad(w, {1.0, -1.0});
  saved.step();
  saved.save(path);
  std::map<std::string, std::string> meta;
  const io::TensorDict tensors = io::load_safetensors(path, &meta);

  auto w2 = leaf({1.0, 2.0});
  SGD<double> target({w2}, SGDOptions(0.5));
  struct Case {
    std::string key, text;
  };
  const std::vector<Case> refused = {
      {"param_groups.0.lr", "0x10"},       {"param_groups.0.lr", " 0.1"},      {"param_groups.0.lr", "0.1 "},
      {"param_groups.0.lr", "+0.1"},       {"param_groups.0.lr", ".1"},        {"param_groups.0.lr", "1."},
      {"param_groups.0.lr", "1e5"},        {"param_groups.0.lr", "1E+05"},     {"param_groups.0.lr", "infinity"},
      {"param_groups.0.lr", ""},           {"param_groups.0.lr", "nan"},       {"param_groups.0.nesterov", "nan"},
      {"param_groups.0.nesterov", "2"},    {"param_groups.0.maximize", "1.0"}, {"param_groups.0.maximize", "-0"},
      {"param_groups.0.dampening", "-0.5"}, {"param_groups.0.initial_lr", "-0.1"}};
  for (const auto& [key, text] : refused) {
    BOOST_TEST_CONTEXT(key << " = \"" << text << "\"") {
      auto m = meta;
      m[key] = text;
      io::save_safetensors(path, tensors, m);
      BOOST_CHECK_EXCEPTION(target.load(path), IoError, mentions(path, key));
      BOOST_TEST(target.param_groups()[0].options().get_lr() == 0.5);
      BOOST_TEST(target.state(w2) == nullptr);
    }
  }
  // The forms %g writes are read, whatever their number of digits.
  for (const auto& [key, text, value] : std::vector<std::tuple<std::string, std::string, double>>{
           {"param_groups.0.lr", "0.10000000000000001", 0.1},
           {"param_groups.0.lr", "1e-08", 1e-8},
           {"param_groups.0.lr", "2.5e+30", 2.5e30},
           {"param_groups.0.lr", "inf", std::numeric_limits<double>::infinity()},
           {"param_groups.0.weight_decay", "-0", 0.0}}) {
    BOOST_TEST_CONTEXT(key << " = \"" << text << "\"") {
      auto m = meta;
      m[key] = text;
      io::save_safetensors(path, tensors, m);
      BOOST_CHECK_NO_THROW(target.load(path));
      const auto values = target.param_groups()[0].options().values();
      const std::string option = key.substr(std::string("param_groups.0.").size());
      for (const auto& [name, v] : values)
        if (name == option) BOOST_TEST(v == value);
    }
  }
  std::filesystem::remove(path);
}
