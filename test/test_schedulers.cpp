#define BOOST_TEST_MODULE schedulers
#include <boost/test/unit_test.hpp>

#include <cmath>
#include <cstdint>
#include <functional>
#include <stdexcept>
#include <string>
#include <vector>

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
