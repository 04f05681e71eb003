#define BOOST_TEST_MODULE schedulers
#include <boost/test/unit_test.hpp>

#include <cmath>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <limits>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include <unistd.h>

#include "eigrad/optim/adam.hpp"
#include "eigrad/optim/schedulers.hpp"
#include "eigrad/optim/sgd.hpp"
#include "eigrad/tensor.hpp"

using namespace eigrad;
using namespace eigrad::optim;
namespace tt = boost::test_tools;

namespace {

const double kPi = 3.14159265358979323846;

Tensor<float> leaf() { return zeros<float>({2}, TensorOptions().requires_grad(true)); }

// Two groups with base lrs 0.1 and 0.05 (the scheduler must treat them independently).
struct Fixture {
  Tensor<float> a = leaf(), b = leaf();
  SGD<float> opt{{ParamGroup<float>({a}), ParamGroup<float>({b}, SGDOptions(0.05))}, SGDOptions(0.1)};
  const std::vector<double> base = {0.1, 0.05};
};

// Steps `sched` through epochs 1..epochs and checks every group's lr (in the optimizer and
// in get_last_lr()) against closed_form(base_lr, epoch), epoch 0 included.
template <class Scheduler>
void check_schedule(Fixture& f, Scheduler& sched, std::int64_t epochs,
                    const std::function<double(double, std::int64_t)>& closed_form) {
  for (std::int64_t e = 0; e <= epochs; ++e) {
    if (e > 0) sched.step();
    BOOST_TEST_CONTEXT("epoch " << e) {
      BOOST_TEST(sched.last_epoch() == e);
      const std::vector<double> lrs = group_lrs(f.opt);
      BOOST_REQUIRE_EQUAL(lrs.size(), 2u);
      BOOST_REQUIRE_EQUAL(sched.get_last_lr().size(), 2u);
      for (std::size_t g = 0; g < 2; ++g) {
        const double want = closed_form(f.base[g], e);
        BOOST_TEST(lrs[g] == want, tt::tolerance(1e-12));
        BOOST_TEST(sched.get_last_lr()[g] == lrs[g]);
      }
    }
  }
}

}  // namespace

BOOST_AUTO_TEST_CASE(step_lr_matches_closed_form) {
  Fixture f;
  StepLR<float> sched(f.opt, 3, 0.5);
  check_schedule(f, sched, 20, [](double base, std::int64_t e) { return base * std::pow(0.5, std::floor(e / 3.0)); });
}

BOOST_AUTO_TEST_CASE(multistep_lr_matches_closed_form) {
  Fixture f;
  // Unsorted, with a repeated milestone (counted twice, as PyTorch's Counter does).
  MultiStepLR<float> sched(f.opt, {7, 2, 7, 11}, 0.1);
  check_schedule(f, sched, 15, [](double base, std::int64_t e) {
    const int passed = (e >= 2) + 2 * (e >= 7) + (e >= 11);
    return base * std::pow(0.1, passed);
  });
}

BOOST_AUTO_TEST_CASE(exponential_lr_matches_closed_form) {
  Fixture f;
  ExponentialLR<float> sched(f.opt, 0.9);
  check_schedule(f, sched, 30, [](double base, std::int64_t e) { return base * std::pow(0.9, e); });
}

BOOST_AUTO_TEST_CASE(cosine_annealing_matches_closed_form_over_several_periods) {
  Fixture f;
  const double eta_min = 0.001;
  CosineAnnealingLR<float> sched(f.opt, 10, eta_min);
  // Three periods of 2·T_max, through the epochs where the recursion divides by ~0.
  check_schedule(f, sched, 60, [&](double base, std::int64_t e) {
    return eta_min + (base - eta_min) * (1 + std::cos(kPi * e / 10.0)) / 2;
  });
}

BOOST_AUTO_TEST_CASE(cosine_annealing_reaches_eta_min_at_t_max) {
  Fixture f;
  CosineAnnealingLR<float> sched(f.opt, 4);
  for (int i = 0; i < 4; ++i) sched.step();
  BOOST_TEST(sched.get_last_lr()[0] == 0.0, tt::tolerance(1e-15));
  for (int i = 0; i < 4; ++i) sched.step();
  BOOST_TEST(sched.get_last_lr()[0] == 0.1, tt::tolerance(1e-12));
}

BOOST_AUTO_TEST_CASE(lambda_lr_one_and_per_group) {
  {
    Fixture f;
    LambdaLR<float> sched(f.opt, [](std::int64_t e) { return 1.0 / (1.0 + e); });
    check_schedule(f, sched, 10, [](double base, std::int64_t e) { return base / (1.0 + e); });
  }
  {
    Fixture f;
    LambdaLR<float> sched(f.opt, std::vector<LambdaLR<float>::Lambda>{[](std::int64_t e) { return 0.95 * e + 1; },
                                                                        [](std::int64_t) { return 0.5; }});
    for (int e = 1; e <= 5; ++e) {
      sched.step();
      BOOST_TEST(group_lrs(f.opt)[0] == 0.1 * (0.95 * e + 1), tt::tolerance(1e-14));
      BOOST_TEST(group_lrs(f.opt)[1] == 0.025, tt::tolerance(1e-14));
    }
  }
}

BOOST_AUTO_TEST_CASE(schedulers_drive_any_optimizer_and_the_updates) {
  // The scheduled lr is what step() uses: SGD with constant gradient 1 moves by lr.
  auto p = zeros<double>({1}, TensorOptions().requires_grad(true));
  SGD<double> opt({p}, SGDOptions(1.0));
  StepLR<double> sched(opt, 1, 0.5);
  double want = 0;
  for (int e = 0; e < 5; ++e) {
    p.set_grad(ones<double>({1}));
    opt.step();
    want -= std::pow(0.5, e);
    sched.step();
  }
  BOOST_TEST(p.item() == want, tt::tolerance(1e-15));
  // And an Adam's groups too.
  auto q = zeros<double>({1}, TensorOptions().requires_grad(true));
  Adam<double> adam({q}, AdamOptions(0.01));
  ExponentialLR<double> exp_sched(adam, 0.5);
  exp_sched.step();
  BOOST_TEST(adam.param_groups()[0].options().get_lr() == 0.005);
}

BOOST_AUTO_TEST_CASE(schedulers_chain_like_pytorch) {
  // Two chainable schedulers on one optimizer multiply their effects (PyTorch's recursive
  // get_lr), e.g. ExponentialLR(0.9) with StepLR(2, 0.5).
  Fixture f;
  ExponentialLR<float> a(f.opt, 0.9);
  StepLR<float> b(f.opt, 2, 0.5);
  for (std::int64_t e = 1; e <= 8; ++e) {
    a.step();
    b.step();
    BOOST_TEST(group_lrs(f.opt)[0] == 0.1 * std::pow(0.9, e) * std::pow(0.5, e / 2), tt::tolerance(1e-12));
  }
}

BOOST_AUTO_TEST_CASE(invalid_scheduler_arguments) {
  Fixture f;
  BOOST_CHECK_THROW(StepLR<float>(f.opt, 0), ValueError);
  BOOST_CHECK_THROW(CosineAnnealingLR<float>(f.opt, 0), ValueError);
  BOOST_CHECK_THROW(MultiStepLR<float>(f.opt, {3, -1}), ValueError);
  BOOST_CHECK_THROW(LambdaLR<float>(f.opt, std::vector<LambdaLR<float>::Lambda>{[](std::int64_t) { return 1.0; }}),
                    ValueError);
  BOOST_CHECK_THROW(LambdaLR<float>(f.opt, LambdaLR<float>::Lambda()), ValueError);
  using R = ReduceLROnPlateau<float>;
  BOOST_CHECK_THROW(R(f.opt, R::Options().factor(1.0)), ValueError);
  BOOST_CHECK_THROW(R(f.opt, R::Options().patience(-1)), ValueError);
  BOOST_CHECK_THROW(R(f.opt, R::Options().cooldown(-1)), ValueError);
  BOOST_CHECK_THROW(R(f.opt, R::Options().threshold(-1e-4)), ValueError);
  BOOST_CHECK_THROW(R(f.opt, R::Options().min_lrs({0.0, 0.0, 0.0})), ValueError);
  try {
    StepLR<float>(f.opt, -2);
    BOOST_ERROR("no exception");
  } catch (const ValueError& e) {
    BOOST_TEST(std::string(e.what()).find("step_size = -2") != std::string::npos);
  }
  // Construction errors leave the learning rates alone.
  BOOST_TEST(group_lrs(f.opt) == f.base);
}

// ------------------------------------------------------------------ ReduceLROnPlateau

BOOST_AUTO_TEST_CASE(plateau_min_rel_patience_and_min_lr) {
  Fixture f;
  using R = ReduceLROnPlateau<float>;
  R sched(f.opt, R::Options().patience(2).factor(0.5).min_lrs({0.02, 0.0}));
  BOOST_TEST(sched.get_last_lr() == f.base);
  // Improves for 3 epochs, then flat: the 3rd bad epoch (> patience) halves the rates.
  const std::vector<double> metrics = {10, 9, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8};
  std::vector<std::vector<double>> lrs;
  for (double m : metrics) {
    sched.step(m);
    lrs.push_back(sched.get_last_lr());
  }
  // epochs 1..3 improve; bad epochs 4,5,6 -> reduce at 6; bad 7,8,9 -> reduce at 9; 12 again.
  const std::vector<double> want0 = {0.1, 0.1, 0.1, 0.1, 0.1, 0.05, 0.05, 0.05, 0.025, 0.025, 0.025, 0.02};
  const std::vector<double> want1 = {0.05, 0.05, 0.05, 0.05, 0.05, 0.025, 0.025, 0.025, 0.0125, 0.0125, 0.0125,
                                     0.00625};
  for (std::size_t i = 0; i < metrics.size(); ++i) {
    BOOST_TEST_CONTEXT("epoch " << i + 1) {
      BOOST_TEST(lrs[i][0] == want0[i], tt::tolerance(1e-15));
      BOOST_TEST(lrs[i][1] == want1[i], tt::tolerance(1e-15));
    }
  }
  BOOST_TEST(sched.best() == 8.0);
  // At the floor a further reduction is below eps and skipped.
  for (int i = 0; i < 3; ++i) sched.step(8);
  BOOST_TEST(group_lrs(f.opt)[0] == 0.02);
}

BOOST_AUTO_TEST_CASE(plateau_threshold_modes_and_max_mode) {
  using R = ReduceLROnPlateau<float>;
  {
    // rel threshold 0.1: 9.5 is not better than 10·0.9 = 9, so it counts as bad.
    Fixture f;
    R sched(f.opt, R::Options().patience(0).threshold(0.1));
    sched.step(10);
    BOOST_TEST(sched.num_bad_epochs() == 0);
    sched.step(9.5);
    BOOST_TEST(group_lrs(f.opt)[0] == 0.01, tt::tolerance(1e-15));  // patience 0: reduced at once
    BOOST_TEST(sched.best() == 10.0);
  }
  {
    // abs threshold 0.6: 9.5 is not better than 10 - 0.6; 9.3 is.
    Fixture f;
    R sched(f.opt, R::Options().patience(5).threshold(0.6).threshold_mode(R::ThresholdMode::Abs));
    sched.step(10);
    sched.step(9.5);
    BOOST_TEST(sched.num_bad_epochs() == 1);
    sched.step(9.3);
    BOOST_TEST(sched.num_bad_epochs() == 0);
    BOOST_TEST(sched.best() == 9.3);
  }
  {
    // max mode: an accuracy going up is good.
    Fixture f;
    R sched(f.opt, R::Options().mode(R::Mode::Max).patience(1).factor(0.1));
    sched.step(0.5);
    sched.step(0.6);
    sched.step(0.6);
    BOOST_TEST(group_lrs(f.opt)[0] == 0.1);
    sched.step(0.55);
    BOOST_TEST(group_lrs(f.opt)[0] == 0.01, tt::tolerance(1e-15));
  }
  {
    // max mode, rel: must beat best·(1 + threshold).
    Fixture f;
    R sched(f.opt, R::Options().mode(R::Mode::Max).threshold(0.5));
    sched.step(1.0);
    sched.step(1.4);
    BOOST_TEST(sched.num_bad_epochs() == 1);
    sched.step(1.6);
    BOOST_TEST(sched.num_bad_epochs() == 0);
  }
}

BOOST_AUTO_TEST_CASE(plateau_cooldown) {
  using R = ReduceLROnPlateau<float>;
  Fixture f;
  R sched(f.opt, R::Options().patience(0).cooldown(2).factor(0.5));
  sched.step(1.0);                                       // best
  sched.step(1.0);                                       // bad -> reduce, cooldown 2
  BOOST_TEST(group_lrs(f.opt)[0] == 0.05, tt::tolerance(1e-15));
  BOOST_TEST(sched.in_cooldown());
  sched.step(1.0);                                       // in cooldown: not counted
  sched.step(1.0);                                       // in cooldown: not counted
  BOOST_TEST(group_lrs(f.opt)[0] == 0.05, tt::tolerance(1e-15));
  BOOST_TEST(!sched.in_cooldown());
  sched.step(1.0);                                       // bad again -> reduce
  BOOST_TEST(group_lrs(f.opt)[0] == 0.025, tt::tolerance(1e-15));
}

// ------------------------------------------------------------------ initial_lr, last_epoch,
// SequentialLR, ChainedScheduler: every expected row computed by PyTorch 1.13.1 (float64 lr
// lists), printed with repr().

namespace {

using Rows = std::vector<std::vector<double>>;

// Checks the groups' lrs against want[0] now and want[k] after k calls of `step`.
void check_rows(const Optimizer<float>& opt, const std::function<void()>& step, const Rows& want) {
  for (std::size_t k = 0; k < want.size(); ++k) {
    if (k > 0) step();
    BOOST_TEST_CONTEXT("after " << k << " steps") {
      const std::vector<double> lrs = group_lrs(opt);
      BOOST_REQUIRE_EQUAL(lrs.size(), want[k].size());
      for (std::size_t g = 0; g < lrs.size(); ++g) BOOST_TEST(lrs[g] == want[k][g], tt::tolerance(1e-14));
    }
  }
}

// Predicate for BOOST_CHECK_EXCEPTION: the message contains `part`.
struct Mentions {
  std::string part;
  bool operator()(const std::exception& e) const {
    const bool found = std::string(e.what()).find(part) != std::string::npos;
    if (!found) BOOST_TEST_MESSAGE("message \"" << e.what() << "\" lacks \"" << part << "\"");
    return found;
  }
};

}  // namespace

BOOST_AUTO_TEST_CASE(a_later_scheduler_takes_its_base_from_initial_lr) {
  {
    // SGD(lr 1), ExponentialLR(0.5) stepped once (lr 0.5), then LambdaLR(lambda = 1): the
    // base is the initial_lr the first scheduler recorded, so PyTorch's lr is 1, not 0.5.
    auto p = leaf();
    SGD<float> opt({p}, SGDOptions(1.0));
    BOOST_TEST(!opt.param_groups()[0].initial_lr().has_value());
    ExponentialLR<float> decay(opt, 0.5);
    decay.step();
    BOOST_TEST(group_lrs(opt)[0] == 0.5);
    LambdaLR<float> constant(opt, [](std::int64_t) { return 1.0; });
    BOOST_TEST(group_lrs(opt)[0] == 1.0);
    BOOST_TEST(constant.base_lrs() == std::vector<double>{1.0});
    BOOST_TEST(*opt.param_groups()[0].initial_lr() == 1.0);
  }
  {
    // ExponentialLR(0.9) stepped twice, then LambdaLR(1 / (e + 1)); both step each epoch.
    Fixture f;
    ExponentialLR<float> decay(f.opt, 0.9);
    decay.step();
    decay.step();
    LambdaLR<float> inverse(f.opt, [](std::int64_t e) { return 1.0 / (static_cast<double>(e) + 1); });
    check_rows(f.opt, [&] { decay.step(); inverse.step(); },
               {{0.1, 0.05},
                {0.05, 0.025},
                {0.03333333333333333, 0.016666666666666666},
                {0.025, 0.0125},
                {0.020000000000000004, 0.010000000000000002},
                {0.016666666666666666, 0.008333333333333333},
                {0.014285714285714285, 0.007142857142857143}});
  }
  {
    // StepLR(1, 0.5) stepped twice (lr 0.025), then CosineAnnealingLR(4, 0.001): the cosine
    // swings between eta_min and the initial 0.1, not the 0.025 it found.
    Fixture f;
    StepLR<float> halve(f.opt, 1, 0.5);
    halve.step();
    halve.step();
    CosineAnnealingLR<float> cosine(f.opt, 4, 0.001);
    BOOST_TEST(cosine.base_lrs() == f.base);
    check_rows(f.opt, [&] { cosine.step(); },
               {{0.025, 0.0125},
                {0.02148528137423857, 0.010815863991822647},
                {0.012999999999999998, 0.006749999999999999},
                {0.00451471862576143, 0.0026841360081773518},
                {0.001, 0.001},
                {0.015498214331265896, 0.008175883860929585},
                {0.05050000000000001, 0.025500000000000005},
                {0.08550178566873413, 0.04282411613907043},
                {0.10000000000000003, 0.050000000000000024},
                {0.08550178566873413, 0.04282411613907044},
                {0.05050000000000003, 0.02550000000000002}});
  }
}

BOOST_AUTO_TEST_CASE(last_epoch_resumes_from_initial_lr) {
  // Groups at lr (0.07, 0.02) with initial_lr (0.1, 0.05), as a checkpoint leaves them.
  auto resumable = [](Fixture& f) {
    f.opt.param_groups()[0].set_initial_lr(0.1);
    f.opt.param_groups()[1].set_initial_lr(0.05);
    f.opt.param_groups()[0].options().set_lr(0.07);
    f.opt.param_groups()[1].options().set_lr(0.02);
  };
  {
    // CosineAnnealingLR's first step after resuming uses the closed form (epoch 5), the
    // following ones the recursion.
    Fixture f;
    resumable(f);
    CosineAnnealingLR<float> sched(f.opt, 10, 0.001, /*last_epoch=*/4);
    BOOST_TEST(sched.last_epoch() == 5);
    check_rows(f.opt, [&] { sched.step(); },
               {{0.0505, 0.025500000000000002},
                {0.03520365877844011, 0.017929083637813793},
                {0.02140463001152259, 0.011099261318834413},
                {0.010453658778440109, 0.005679083637813791},
                {0.0034227024433899004, 0.0021991153507687385},
                {0.001, 0.001},
                {0.0034227024433899004, 0.0021991153507687385},
                {0.01045365877844014, 0.005679083637813806},
                {0.02140463001152267, 0.011099261318834451},
                {0.035203658778440255, 0.017929083637813863},
                {0.05050000000000022, 0.025500000000000106}});
    BOOST_TEST(sched.last_epoch() == 15);
  }
  {
    // StepLR resumes from the current rates (chainable): epochs 5.. halve at 6 and 9.
    Fixture f;
    resumable(f);
    StepLR<float> sched(f.opt, 3, 0.5, /*last_epoch=*/4);
    check_rows(f.opt, [&] { sched.step(); },
               {{0.07, 0.02}, {0.035, 0.01}, {0.035, 0.01}, {0.035, 0.01}, {0.0175, 0.005}, {0.0175, 0.005},
                {0.0175, 0.005}});
    BOOST_TEST(sched.last_epoch() == 11);
  }
  {
    // LambdaLR resumes at base · lambda(5).
    Fixture f;
    resumable(f);
    LambdaLR<float> sched(f.opt, [](std::int64_t e) { return std::pow(0.9, static_cast<double>(e)); }, 4);
    check_rows(f.opt, [&] { sched.step(); },
               {{0.05904900000000001, 0.029524500000000006},
                {0.05314410000000001, 0.026572050000000003},
                {0.04782969000000001, 0.023914845000000004},
                {0.04304672100000001, 0.021523360500000005}});
  }
}

BOOST_AUTO_TEST_CASE(resuming_without_initial_lr_is_a_value_error_naming_the_group) {
  {
    // PyTorch: KeyError "param 'initial_lr' is not specified in param_groups[2] when
    // resuming an optimizer" for a group added after the first scheduler.
    Fixture f;
    StepLR<float> first(f.opt, 3);
    f.opt.add_param_group(ParamGroup<float>({leaf()}, SGDOptions(0.3)));
    BOOST_CHECK_EXCEPTION(StepLR<float>(f.opt, 3, 0.1, 2), ValueError, Mentions{"param_groups[2]"});
    BOOST_CHECK_EXCEPTION(StepLR<float>(f.opt, 3, 0.1, 2), ValueError, Mentions{"'initial_lr'"});
    BOOST_TEST(!f.opt.param_groups()[2].initial_lr().has_value());
  }
  {
    Fixture f;
    BOOST_CHECK_EXCEPTION(ExponentialLR<float>(f.opt, 0.5, 0), ValueError, Mentions{"param_groups[0]"});
    BOOST_TEST(!f.opt.param_groups()[0].initial_lr().has_value());
    BOOST_TEST(group_lrs(f.opt) == f.base);
  }
}

BOOST_AUTO_TEST_CASE(initial_lr_travels_with_the_optimizer_checkpoint) {
  // PyTorch: CosineAnnealingLR(6, 0.01) stepped 4 times, optimizer.state_dict() loaded into
  // a fresh optimizer, CosineAnnealingLR(..., last_epoch=4) continues exactly as the
  // uninterrupted scheduler's epochs 5 to 9.
  const Rows epochs_5_to_9 = {{0.01602885682970026, 0.012679491924311226},
                              {0.01, 0.01},
                              {0.01602885682970026, 0.012679491924311226},
                              {0.03250000000000001, 0.019999999999999997},
                              {0.05500000000000004, 0.030000000000000006}};
  const std::string path = (std::filesystem::temp_directory_path() /
                            ("eigrad_schedulers_" + std::to_string(::getpid()) + ".safetensors"))
                               .string();
  Fixture f;
  CosineAnnealingLR<float> sched(f.opt, 6, 0.01);
  for (int i = 0; i < 4; ++i) sched.step();
  f.opt.save(path);

  Fixture g;
  g.opt.load(path);
  std::filesystem::remove(path);
  BOOST_TEST(*g.opt.param_groups()[0].initial_lr() == 0.1);
  BOOST_TEST(*g.opt.param_groups()[1].initial_lr() == 0.05);
  CosineAnnealingLR<float> resumed(g.opt, 6, 0.01, 4);
  check_rows(g.opt, [&] { resumed.step(); }, epochs_5_to_9);
  Rows uninterrupted = {{0.032500000000000015, 0.020000000000000004}};  // epoch 4, as saved
  uninterrupted.insert(uninterrupted.end(), epochs_5_to_9.begin(), epochs_5_to_9.end());
  check_rows(f.opt, [&] { sched.step(); }, uninterrupted);

  // A checkpoint without initial_lr clears it, as PyTorch's load_state_dict replaces the groups.
  Fixture plain;
  plain.opt.save(path);
  g.opt.load(path);
  std::filesystem::remove(path);
  BOOST_TEST(!g.opt.param_groups()[0].initial_lr().has_value());
}

BOOST_AUTO_TEST_CASE(sequential_lr_switches_at_milestones_like_pytorch) {
  {
    // ExponentialLR(0.9) until epoch 3, then StepLR(2, 0.5) restarted at its epoch 0 (lr
    // back to the initial 0.1).
    Fixture f;
    ExponentialLR<float> s1(f.opt, 0.9);
    StepLR<float> s2(f.opt, 2, 0.5);
    SequentialLR<float> sched(f.opt, {s1, s2}, {3});
    BOOST_TEST(sched.last_epoch() == 0);
    check_rows(f.opt, [&] { sched.step(); BOOST_TEST(sched.get_last_lr() == group_lrs(f.opt)); },
               {{0.1, 0.05},
                {0.09000000000000001, 0.045000000000000005},
                {0.08100000000000002, 0.04050000000000001},
                {0.1, 0.05},
                {0.1, 0.05},
                {0.05, 0.025},
                {0.05, 0.025},
                {0.025, 0.0125},
                {0.025, 0.0125},
                {0.0125, 0.00625},
                {0.0125, 0.00625}});
    BOOST_TEST(sched.last_epoch() == 10);
    BOOST_TEST(s1.last_epoch() == 2);
    BOOST_TEST(s2.last_epoch() == 7);
  }
  {
    // A LambdaLR warm-up ((e + 1) / 4: building it set lr to 0.025), then
    // CosineAnnealingLR(5, 0.01) from epoch 3: its epoch 0 is the closed form, the base rate.
    Fixture f;
    LambdaLR<float> warmup(f.opt, [](std::int64_t e) { return (static_cast<double>(e) + 1) / 4.0; });
    CosineAnnealingLR<float> cosine(f.opt, 5, 0.01);
    BOOST_TEST(group_lrs(f.opt) == (std::vector<double>{0.025, 0.0125}));
    SequentialLR<float> sched(f.opt, {warmup, cosine}, {3});
    check_rows(f.opt, [&] { sched.step(); },
               {{0.025, 0.0125},
                {0.05, 0.025},
                {0.07500000000000001, 0.037500000000000006},
                {0.1, 0.05},
                {0.09140576474687263, 0.04618033988749895},
                {0.06890576474687263, 0.03618033988749895},
                {0.04109423525312736, 0.02381966011250105},
                {0.018594235253127367, 0.013819660112501053},
                {0.01, 0.01},
                {0.018594235253127367, 0.013819660112501051},
                {0.04109423525312739, 0.023819660112501057},
                {0.06890576474687267, 0.03618033988749896},
                {0.09140576474687269, 0.04618033988749897}});
  }
  {
    // Three schedulers, milestones 2 and 5; the MultiStepLR restarts at its epoch 0 and then
    // passes its milestones 1 and 3 (twice) on its own count.
    Fixture f;
    ExponentialLR<float> s1(f.opt, 0.5);
    StepLR<float> s2(f.opt, 2, 0.1);
    MultiStepLR<float> s3(f.opt, {1, 3, 3}, 0.5);
    SequentialLR<float> sched(f.opt, {s1, s2, s3}, {2, 5});
    check_rows(f.opt, [&] { sched.step(); },
               {{0.1, 0.05},
                {0.05, 0.025},
                {0.1, 0.05},
                {0.1, 0.05},
                {0.010000000000000002, 0.005000000000000001},
                {0.1, 0.05},
                {0.05, 0.025},
                {0.05, 0.025},
                {0.0125, 0.00625},
                {0.0125, 0.00625},
                {0.0125, 0.00625}});
  }
  {
    // A LambdaLR (no closed form) taking over at epoch 2 starts at base · lambda(0).
    Fixture f;
    ExponentialLR<float> s1(f.opt, 0.5);
    LambdaLR<float> s2(f.opt, [](std::int64_t e) { return std::pow(0.8, static_cast<double>(e)) + 1.0; });
    SequentialLR<float> sched(f.opt, {s1, s2}, {2});
    check_rows(f.opt, [&] { sched.step(); },
               {{0.1, 0.05},
                {0.05, 0.025},
                {0.2, 0.1},
                {0.18000000000000002, 0.09000000000000001},
                {0.16400000000000003, 0.08200000000000002},
                {0.1512, 0.0756},
                {0.14096000000000003, 0.07048000000000001}});
  }
  {
    // last_epoch = 1 shifts SequentialLR's own count: the milestone 4 comes two steps early.
    Fixture f;
    ExponentialLR<float> s1(f.opt, 0.9);
    ExponentialLR<float> s2(f.opt, 0.5);
    SequentialLR<float> sched(f.opt, {s1, s2}, {4}, 1);
    BOOST_TEST(sched.last_epoch() == 2);
    check_rows(f.opt, [&] { sched.step(); },
               {{0.1, 0.05},
                {0.09000000000000001, 0.045000000000000005},
                {0.1, 0.05},
                {0.05, 0.025},
                {0.025, 0.0125},
                {0.0125, 0.00625},
                {0.00625, 0.003125}});
    BOOST_TEST(sched.last_epoch() == 8);
  }
}

BOOST_AUTO_TEST_CASE(sequential_lr_errors) {
  Fixture f;
  ExponentialLR<float> s1(f.opt, 0.9);
  StepLR<float> s2(f.opt, 2);
  BOOST_CHECK_EXCEPTION(SequentialLR<float>(f.opt, {s1, s2}, {3, 5}), ValueError,
                        Mentions{"number of schedulers 2 and the number of milestones to be equal to 2"});
  BOOST_CHECK_EXCEPTION(SequentialLR<float>(f.opt, {}, {}), ValueError, Mentions{"number of schedulers 0"});
  Fixture other;
  ExponentialLR<float> foreign(other.opt, 0.9);
  BOOST_CHECK_EXCEPTION(SequentialLR<float>(f.opt, {s1, foreign}, {3}), ValueError, Mentions{"index 1"});
  f.opt.add_param_group(ParamGroup<float>({leaf()}, SGDOptions(0.3)));
  BOOST_CHECK_EXCEPTION(SequentialLR<float>(f.opt, {s1, s2}, {3}), ValueError, Mentions{"param_groups[2]"});
  BOOST_TEST(group_lrs(f.opt) == (std::vector<double>{0.1, 0.05, 0.3}));
}

BOOST_AUTO_TEST_CASE(chained_scheduler_steps_every_scheduler_in_order) {
  {
    Fixture f;
    ExponentialLR<float> decay(f.opt, 0.9);
    StepLR<float> halve(f.opt, 3, 0.5);
    ChainedScheduler<float> sched({decay, halve});
    BOOST_TEST(sched.get_last_lr() == f.base);
    check_rows(f.opt, [&] { sched.step(); BOOST_TEST(sched.get_last_lr() == group_lrs(f.opt)); },
               {{0.1, 0.05},
                {0.09000000000000001, 0.045000000000000005},
                {0.08100000000000002, 0.04050000000000001},
                {0.03645000000000001, 0.018225000000000005},
                {0.03280500000000001, 0.016402500000000004},
                {0.02952450000000001, 0.014762250000000005},
                {0.013286025000000005, 0.0066430125000000026},
                {0.011957422500000005, 0.005978711250000003},
                {0.010761680250000006, 0.005380840125000003},
                {0.0048427561125000025, 0.0024213780562500013},
                {0.004358480501250002, 0.002179240250625001}});
  }
  // A LambdaLR sets its rates from the base: after ExponentialLR it overrides it, before it
  // it is multiplied by it.
  const auto inverse = [](std::int64_t e) { return 1.0 / (static_cast<double>(e) + 1); };
  {
    Fixture f;
    ExponentialLR<float> decay(f.opt, 0.5);
    LambdaLR<float> lambda(f.opt, inverse);
    ChainedScheduler<float> sched({decay, lambda});
    check_rows(f.opt, [&] { sched.step(); },
               {{0.1, 0.05},
                {0.05, 0.025},
                {0.03333333333333333, 0.016666666666666666},
                {0.025, 0.0125},
                {0.020000000000000004, 0.010000000000000002},
                {0.016666666666666666, 0.008333333333333333}});
  }
  {
    Fixture f;
    ExponentialLR<float> decay(f.opt, 0.5);
    LambdaLR<float> lambda(f.opt, inverse);
    ChainedScheduler<float> sched({lambda, decay});
    check_rows(f.opt, [&] { sched.step(); },
               {{0.1, 0.05},
                {0.025, 0.0125},
                {0.016666666666666666, 0.008333333333333333},
                {0.0125, 0.00625},
                {0.010000000000000002, 0.005000000000000001},
                {0.008333333333333333, 0.004166666666666667}});
  }
  {
    // A SequentialLR (LambdaLR(0.5), then StepLR(2, 0.1) from epoch 2) chained with an
    // ExponentialLR(0.9).
    Fixture f;
    LambdaLR<float> half(f.opt, [](std::int64_t) { return 0.5; });
    StepLR<float> step(f.opt, 2, 0.1);
    SequentialLR<float> sequence(f.opt, {half, step}, {2});
    ExponentialLR<float> decay(f.opt, 0.9);
    ChainedScheduler<float> sched({sequence, decay});
    check_rows(f.opt, [&] { sched.step(); },
               {{0.05, 0.025},
                {0.045000000000000005, 0.022500000000000003},
                {0.09000000000000001, 0.045000000000000005},
                {0.08100000000000002, 0.04050000000000001},
                {0.007290000000000001, 0.0036450000000000007},
                {0.006561000000000002, 0.003280500000000001},
                {0.0005904900000000002, 0.0002952450000000001},
                {0.0005314410000000001, 0.00026572050000000006},
                {4.782969000000001e-05, 2.3914845000000007e-05}});
  }
}

BOOST_AUTO_TEST_CASE(chained_scheduler_errors) {
  Fixture f, other;
  ExponentialLR<float> mine(f.opt, 0.9);
  ExponentialLR<float> foreign(other.opt, 0.9);
  BOOST_CHECK_EXCEPTION(ChainedScheduler<float>({}), ValueError, Mentions{"at least one"});
  BOOST_CHECK_EXCEPTION(ChainedScheduler<float>({mine, foreign}), ValueError, Mentions{"index 0 and 1"});
}

// ------------------------------------------------------------------ misuse and extreme arguments

BOOST_AUTO_TEST_CASE(a_scheduler_used_after_its_optimizer_is_destroyed_is_a_value_error) {
  auto opt = std::make_unique<SGD<float>>(std::vector<Tensor<float>>{leaf()}, SGDOptions(0.1));
  StepLR<float> step(*opt, 1, 0.5);
  ExponentialLR<float> decay(*opt, 0.9);
  ChainedScheduler<float> chain({step, decay});
  ReduceLROnPlateau<float> plateau(*opt);
  step.step();
  opt.reset();
  BOOST_CHECK_EXCEPTION(step.step(), ValueError, Mentions{"StepLR: its optimizer was destroyed"});
  BOOST_CHECK_EXCEPTION(step.optimizer(), ValueError, Mentions{"StepLR: its optimizer was destroyed"});
  BOOST_CHECK_EXCEPTION(decay.step(), ValueError, Mentions{"ExponentialLR: its optimizer was destroyed"});
  BOOST_CHECK_EXCEPTION(chain.step(), ValueError, Mentions{"its optimizer was destroyed"});
  BOOST_CHECK_EXCEPTION(plateau.step(1.0), ValueError, Mentions{"ReduceLROnPlateau: its optimizer was destroyed"});
  // What does not need the optimizer still works.
  BOOST_TEST(step.get_last_lr() == (std::vector<double>{0.05}));
  BOOST_TEST(step.last_epoch() == 1);
}

BOOST_AUTO_TEST_CASE(sequential_and_chained_used_after_a_scheduler_is_destroyed_are_value_errors) {
  Fixture f;
  auto warmup = std::make_unique<LambdaLR<float>>(f.opt, [](std::int64_t) { return 0.5; });
  StepLR<float> decay(f.opt, 2, 0.1);
  SequentialLR<float> sequence(f.opt, {*warmup, decay}, {2});
  auto halve = std::make_unique<ExponentialLR<float>>(f.opt, 0.5);
  ChainedScheduler<float> chain({decay, *halve});
  const std::vector<double> before = group_lrs(f.opt);
  const std::int64_t decay_epoch = decay.last_epoch();
  warmup.reset();
  halve.reset();
  BOOST_CHECK_EXCEPTION(sequence.step(), ValueError, Mentions{"SequentialLR: its scheduler at index 0 was destroyed"});
  BOOST_CHECK_EXCEPTION(chain.step(), ValueError, Mentions{"ChainedScheduler: its scheduler at index 1 was destroyed"});
  // Refused before anything moved: not even the chain's first scheduler stepped.
  BOOST_TEST(group_lrs(f.opt) == before);
  BOOST_TEST(sequence.last_epoch() == 0);
  BOOST_TEST(decay.last_epoch() == decay_epoch);
  // The schedulers still alive go on as usual.
  decay.step();
  BOOST_TEST(decay.last_epoch() == decay_epoch + 1);
}

BOOST_AUTO_TEST_CASE(gamma_eta_min_and_factor_must_be_finite_and_non_negative) {
  // PyTorch 1.13 accepts all of these; each makes the rates NaN, negative or infinite.
  Fixture f;
  using R = ReduceLROnPlateau<float>;
  for (double bad : {std::nan(""), -0.5, std::numeric_limits<double>::infinity()}) {
    const std::string value = optim::detail::format_number(bad);
    BOOST_TEST_CONTEXT("value " << value) {
      BOOST_CHECK_EXCEPTION(StepLR<float>(f.opt, 3, bad), ValueError, Mentions{"StepLR: invalid gamma = " + value});
      BOOST_CHECK_EXCEPTION(MultiStepLR<float>(f.opt, {2}, bad), ValueError,
                            Mentions{"MultiStepLR: invalid gamma = " + value});
      BOOST_CHECK_EXCEPTION(ExponentialLR<float>(f.opt, bad), ValueError,
                            Mentions{"ExponentialLR: invalid gamma = " + value});
      BOOST_CHECK_EXCEPTION(CosineAnnealingLR<float>(f.opt, 10, bad), ValueError,
                            Mentions{"CosineAnnealingLR: invalid eta_min = " + value});
      BOOST_CHECK_EXCEPTION(R(f.opt, R::Options().factor(bad)), ValueError,
                            Mentions{"ReduceLROnPlateau: invalid factor = " + value});
    }
  }
  BOOST_TEST(group_lrs(f.opt) == f.base);
  // Zero and growth stay allowed.
  BOOST_CHECK_NO_THROW(StepLR<float>(f.opt, 3, 0.0));
  BOOST_CHECK_NO_THROW(ExponentialLR<float>(f.opt, 1.5));
  BOOST_CHECK_NO_THROW(R(f.opt, R::Options().factor(0.0)));
}

BOOST_AUTO_TEST_CASE(cosine_annealing_with_t_max_up_to_int64_max) {
  // The rates of PyTorch 1.13 (Python ints never overflow), one group with lr 0.1, eta_min 0.
  constexpr std::int64_t k2to62 = std::int64_t{1} << 62;
  constexpr std::int64_t kMax = std::numeric_limits<std::int64_t>::max();
  auto run = [](std::int64_t t_max, std::int64_t last_epoch, int steps) {
    SGD<float> opt({leaf()}, SGDOptions(0.1));
    if (last_epoch != -1) opt.param_groups()[0].set_initial_lr(0.1);
    CosineAnnealingLR<float> sched(opt, t_max, 0.0, last_epoch);
    std::vector<double> lrs = group_lrs(opt);
    for (int i = 0; i < steps; ++i) {
      sched.step();
      lrs.push_back(group_lrs(opt)[0]);
    }
    return lrs;
  };
  using V = std::vector<double>;
  BOOST_TEST(run(k2to62, -1, 3) == (V{0.1, 0.1, 0.1, 0.1}));
  BOOST_TEST(run(kMax, -1, 3) == (V{0.1, 0.1, 0.1, 0.1}));
  // Epoch T_max + 1: e - 1 is an odd multiple of T_max (once found from 2·T_max, which overflowed).
  BOOST_TEST(run(k2to62, k2to62 - 1, 1) == (V{0.0, 0.0}));
  // With T_max = INT64_MAX, 2·T_max wrapped to -2 and every even epoch took that branch:
  // epoch 2^62 + 1536 kept the rate instead of scaling it.
  BOOST_TEST(run(kMax, k2to62 + 1534, 3) ==
             (V{0.04999999999999999, 0.049999999999999975, 0.049999999999999975, 0.049999999999999975}));
  // Where the cosines of two epochs round to -1 alike, PyTorch raises ZeroDivisionError.
  BOOST_CHECK_EXCEPTION(run(k2to62, k2to62, 1), ValueError, Mentions{"CosineAnnealingLR: division by zero"});
  BOOST_CHECK_EXCEPTION(run(kMax, kMax - 3, 1), ValueError, Mentions{"CosineAnnealingLR: division by zero"});
  // No epoch after INT64_MAX.
  BOOST_CHECK_EXCEPTION(run(kMax, kMax - 1, 1), ValueError, Mentions{"cannot step past epoch 9223372036854775807"});
  BOOST_CHECK_EXCEPTION(run(kMax, kMax, 0), ValueError, Mentions{"cannot step past epoch 9223372036854775807"});
}
