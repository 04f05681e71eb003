#include <cstddef>
#include <functional>
#include <string>
#include <vector>

#include "check.hpp"
#include "eigrad/eigrad.hpp"
#include "eigrad/optim/optim.hpp"

namespace eigrad::examples {

namespace {

using optim::SGD;
using optim::SGDOptions;

// [epochs]
// Six epochs: each trains (optimizer.step()), then moves the schedule on one epoch, as
// PyTorch orders them. Returns the rate after each epoch.
std::vector<double> six_epochs(optim::Optimizer<double>& optimizer, const std::function<void()>& scheduler_step) {
  std::vector<double> rates;
  for (int epoch = 0; epoch < 6; ++epoch) {
    optimizer.step();
    scheduler_step();
    rates.push_back(optimizer.param_groups()[0].options().get_lr());
  }
  return rates;
}
// [epochs]

Tensor<double> weight() { return zeros<double>({1}, TensorOptions().requires_grad(true)); }

void expect_rates(const std::vector<double>& got, const std::vector<double>& want, const std::string& what) {
  for (std::size_t i = 0; i < want.size(); ++i) expect_near(got.at(i), want[i], what + " epoch " + std::to_string(i), 1e-10);
}

}  // namespace

void scheduler_examples() {
  {
    // [steplr]
    SGD<double> sgd({weight()}, SGDOptions(0.1));
    optim::StepLR<double> scheduler(sgd, /*step_size=*/2, /*gamma=*/0.5);  // StepLR(sgd, 2, gamma=0.5)
    const std::vector<double> rates = six_epochs(sgd, [&] { scheduler.step(); });
    // rates: 0.1, 0.05, 0.05, 0.025, 0.025, 0.0125
    // [steplr]
    expect_rates(rates, {0.1, 0.05, 0.05, 0.025, 0.025, 0.0125}, "StepLR");
  }
  {
    // [multisteplr]
    SGD<double> sgd({weight()}, SGDOptions(0.1));
    optim::MultiStepLR<double> scheduler(sgd, /*milestones=*/{2, 5}, /*gamma=*/0.1);
    const std::vector<double> rates = six_epochs(sgd, [&] { scheduler.step(); });
    // rates: 0.1, 0.01, 0.01, 0.01, 0.001, 0.001
    // [multisteplr]
    expect_rates(rates, {0.1, 0.01, 0.01, 0.01, 0.001, 0.001}, "MultiStepLR");
  }
  {
    // [exponentiallr]
    SGD<double> sgd({weight()}, SGDOptions(0.1));
    optim::ExponentialLR<double> scheduler(sgd, /*gamma=*/0.9);
    const std::vector<double> rates = six_epochs(sgd, [&] { scheduler.step(); });
    // rates: 0.09, 0.081, 0.0729, ...
    // [exponentiallr]
    expect_rates(rates, {0.09, 0.081, 0.0729, 0.06561, 0.059049, 0.0531441}, "ExponentialLR");
  }
  {
    // [cosineannealinglr]
    SGD<double> sgd({weight()}, SGDOptions(0.1));
    optim::CosineAnnealingLR<double> scheduler(sgd, /*T_max=*/4);  // down to eta_min = 0 in 4 epochs, then up
    const std::vector<double> rates = six_epochs(sgd, [&] { scheduler.step(); });
    // rates: 0.0854, 0.05, 0.0146, 0, 0.0146, 0.05
    // [cosineannealinglr]
    expect_rates(rates, {0.0853553391, 0.05, 0.0146446609, 0.0, 0.0146446609, 0.05}, "CosineAnnealingLR");
  }
  {
    // [lambdalr]
    SGD<double> sgd({weight()}, SGDOptions(0.1));
    optim::LambdaLR<double> scheduler(sgd, [](std::int64_t epoch) { return 1.0 / (epoch + 1); });
    const std::vector<double> rates = six_epochs(sgd, [&] { scheduler.step(); });
    // rates: 0.05, 0.0333, 0.025, 0.02, ...
    // [lambdalr]
    expect_rates(rates, {0.05, 0.0333333333, 0.025, 0.02, 0.0166666667, 0.0142857143}, "LambdaLR");
  }
  {
    // [sequentiallr]
    SGD<double> sgd({weight()}, SGDOptions(0.1));
    optim::LambdaLR<double> warmup(sgd, [](std::int64_t epoch) { return (epoch + 1) / 3.0; });
    optim::ExponentialLR<double> decay(sgd, 0.9);
    optim::SequentialLR<double> scheduler(sgd, {warmup, decay}, /*milestones=*/{2});  // warm-up, then decay
    const std::vector<double> rates = six_epochs(sgd, [&] { scheduler.step(); });
    // rates: 0.0667, 0.1, 0.09, 0.081, ...
    // [sequentiallr]
    expect_rates(rates, {0.0666666667, 0.1, 0.09, 0.081, 0.0729, 0.06561}, "SequentialLR");
  }
  {
    // [chainedscheduler]
    SGD<double> sgd({weight()}, SGDOptions(0.1));
    optim::StepLR<double> halve(sgd, 2, 0.5);
    optim::ExponentialLR<double> decay(sgd, 0.9);
    optim::ChainedScheduler<double> scheduler({halve, decay});  // both, every epoch
    const std::vector<double> rates = six_epochs(sgd, [&] { scheduler.step(); });
    // rates: 0.09, 0.0405, 0.03645, ...
    // [chainedscheduler]
    expect_rates(rates, {0.09, 0.0405, 0.03645, 0.0164025, 0.01476225, 0.0066430125}, "ChainedScheduler");
  }
  {
    // [reducelronplateau]
    SGD<double> sgd({weight()}, SGDOptions(0.1));
    using Plateau = optim::ReduceLROnPlateau<double>;
    Plateau scheduler(sgd, Plateau::Options().patience(1).factor(0.5));
    const double validation_loss = 1.0;  // never improves
    const std::vector<double> rates = six_epochs(sgd, [&] { scheduler.step(validation_loss); });
    // rates: 0.1, 0.1, 0.05, 0.05, 0.025, 0.025
    // [reducelronplateau]
    expect_rates(rates, {0.1, 0.1, 0.05, 0.05, 0.025, 0.025}, "ReduceLROnPlateau");
  }
}

}  // namespace eigrad::examples
