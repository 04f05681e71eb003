/// \file 10_distributed.cpp
/// \brief Tutorial stage 10 (beyond the tutorial): 06_optim trained data-parallel over MPI.
///        Each rank holds every `size`-th point (a DistributedSampler without shuffling), the
///        model is wrapped in nn::DistributedDataParallel with summed gradients, and the
///        printed loss is the MSELoss(sum) of all the points, all-reduced; so with
///        `mpirun -np 1, 2 or 4` the run is 06_optim's up to summation order. Rank 0 prints and
///        writes `--csv FILE`.
///        EIGRAD_DDP_TIMING=1 prints the step time and its share in all-reduce to stderr.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <memory>
#include <ostream>
#include <string>
#include <utility>
#include <vector>

#include "common/distributed.hpp"
#include "common/stage.hpp"
#include "common/stages.hpp"
#include "common/training.hpp"
#include "eigrad/data/distributed_sampler.hpp"
#include "eigrad/distributed/process_group.hpp"
#include "eigrad/nn/modules/container.hpp"
#include "eigrad/nn/modules/flatten.hpp"
#include "eigrad/nn/modules/linear.hpp"
#include "eigrad/nn/modules/loss.hpp"
#include "eigrad/nn/parallel/distributed.hpp"
#include "eigrad/optim/factory.hpp"
#include "eigrad/tensor.hpp"

namespace eigrad::samples {

namespace {

template <class T>
StageRun train(const StageOptions& opts, std::ostream& out) {
  // [training]
  const std::shared_ptr<distributed::ProcessGroup> group = distributed::default_group();
  const auto [x, y] = sine_data<T>(opts);
  const Tensor<T> xx = cubic_features(x);

  // This rank's points. Padding would count some points twice in the summed loss.
  const data::DistributedSampler sampler(opts.n, group->size(), group->rank(),
                                         data::DistributedSamplerOptions().shuffle(false));
  EIGRAD_CHECK(sampler.total_size() == opts.n, ValueError, "10_distributed: ", std::to_string(opts.n),
               " points do not split evenly among ", std::to_string(group->size()), " ranks");
  const std::vector<std::int64_t> mine = sampler.indices();
  const Tensor<T> xx_mine = select_rows(xx, mine);
  const Tensor<T> y_mine = select_rows(y, mine);

  seed_run(opts);
  auto model = std::make_shared<nn::Sequential<T>>(nn::Linear<T>(3, 1), nn::Flatten<T>(0, 1));
  start_cubic_model(*model, opts);
  // Rank 0's weights on every rank; the gradients of every rank's part of the loss summed.
  nn::DistributedDataParallel<T> ddp(
      model, group, nn::DistributedDataParallelOptions().gradient_reduction(distributed::ReduceOp::Sum));
  nn::MSELoss<T> loss_fn(nn::Reduction::Sum);
  const std::unique_ptr<optim::Optimizer<T>> optimizer =
      optim::make_optimizer<T>(opts.optimizer, ddp.parameters(), optimizer_options(opts));

  StageRun run;
  double loss_reduce_seconds = 0;
  const auto start = std::chrono::steady_clock::now();
  for (std::int64_t t = 0; t < opts.iters; ++t) {
    const Tensor<T> loss = loss_fn(ddp(xx_mine), y_mine);
    const auto reduce_start = std::chrono::steady_clock::now();
    const Tensor<T> total_loss = loss.detach().clone();
    group->allreduce(total_loss);
    loss_reduce_seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - reduce_start).count();
    trace_loss(out, run, opts, t, total_loss.template item<double>());

    optimizer->zero_grad(/*set_to_none=*/false);
    loss.backward();
    ddp.synchronize_gradients();
    optimizer->step();
  }
  // [training]
  if (std::getenv("EIGRAD_DDP_TIMING") && opts.iters > 0) {
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    const double reduce = ddp.synchronization_seconds() + loss_reduce_seconds;
    std::fprintf(stderr, "rank %d of %d: n %lld, %lld steps, %.6f s per step, %.6f s per step in all-reduce (%.1f%%)\n",
                 group->rank(), group->size(), static_cast<long long>(opts.n), static_cast<long long>(opts.iters),
                 seconds / opts.iters, reduce / opts.iters, 100 * reduce / seconds);
  }
  return finish_linear_run(out, std::move(run), *model);
}

}  // namespace

StageDefaults defaults_distributed() {
  StageDefaults d = defaults_optim();
  d.title = "Tutorial stage 10, beyond the tutorial: the optim stage trained data-parallel over MPI "
            "(mpirun -np N; RMSprop by default).";
  return d;
}

StageRun run_distributed(const StageOptions& opts, std::ostream& out) {
  return run_in_dtype("10_distributed", opts, out, &train<float>, &train<double>);
}

}  // namespace eigrad::samples

namespace {

// The arguments without `--csv FILE` and `--csv=FILE`: the ranks other than 0 write no CSV file.
// A `--csv` without a value stays, so that every rank rejects the command line alike.
std::vector<char*> without_csv(int argc, char** argv) {
  std::vector<char*> kept(argv, argv + argc);
  for (auto word = kept.begin() + (argc > 0 ? 1 : 0); word != kept.end();) {
    const std::string text = *word;
    const bool has_value = word + 1 != kept.end() && std::string(word[1]).rfind("--", 0) != 0;
    if (text == "--csv" && has_value) {
      word = kept.erase(word, word + 2);
    } else if (text.rfind("--csv=", 0) == 0) {
      word = kept.erase(word);
    } else {
      ++word;
    }
  }
  kept.push_back(nullptr);
  return kept;
}

// Whether rank 0 can write the --csv file (true without one), on every rank: were rank 0 alone
// to refuse it, the others would wait for it in the stage's first collective until the group's
// timeout. A command line that does not parse is left to stage_main, which refuses it on every
// rank alike.
bool rank0_can_write_csv(eigrad::distributed::ProcessGroup& group, int argc, char** argv) {
  std::vector<double> writable{1};
  if (group.rank() == 0) {
    try {
      bool help = false;
      const eigrad::samples::StageOptions opts =
          eigrad::samples::parse_stage_options(argc, argv, eigrad::samples::defaults_distributed(), &help);
      if (!help && opts.csv && !std::ofstream(*opts.csv)) writable[0] = 0;
    } catch (const eigrad::samples::UsageError&) {
    }
  }
  const eigrad::Tensor<double> flag = eigrad::from_vector<double>(writable, {1});
  group.broadcast(flag, 0);
  return flag.item<double>() != 0;
}

}  // namespace

// Every rank runs the stage; only rank 0's printout reaches stdout, and only rank 0 writes --csv.
EIGRAD_SAMPLE_MAIN(int argc, char** argv) {
  namespace distributed = eigrad::distributed;
  try {
    // [init]
    distributed::init_process_group("mpi", distributed::ProcessGroupOptions().timeout(std::chrono::seconds(120)));
    // [init]
  } catch (const std::exception& e) {
    std::cerr << "10_distributed: error: " << e.what() << '\n';
    return 1;
  }
  distributed::ProcessGroup& group = *distributed::default_group();
  bool csv_writable = false;
  try {
    csv_writable = rank0_can_write_csv(group, argc, argv);
  } catch (const std::exception& e) {
    std::cerr << "10_distributed: error: " << e.what() << '\n';
    distributed::destroy_process_group();
    return 1;
  }
  int code = 2;  // rank 0's stage_main reports the unwritable --csv file
  if (group.rank() == 0) {
    code = eigrad::samples::stage_main(argc, argv, "10_distributed", eigrad::samples::defaults_distributed(),
                                       &eigrad::samples::run_distributed);
  } else if (csv_writable) {
    std::streambuf* const stdout_buffer = std::cout.rdbuf(nullptr);
    std::vector<char*> args = without_csv(argc, argv);
    code = eigrad::samples::stage_main(static_cast<int>(args.size()) - 1, args.data(), "10_distributed",
                                       eigrad::samples::defaults_distributed(), &eigrad::samples::run_distributed);
    std::cout.rdbuf(stdout_buffer);
  }
  distributed::destroy_process_group();
  return code;
}
