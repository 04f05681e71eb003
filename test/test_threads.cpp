#define BOOST_TEST_MODULE threads
#include <boost/test/unit_test.hpp>

#include <atomic>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "common/stages.hpp"
#include "eigrad/autograd/anomaly_mode.hpp"
#include "eigrad/autograd/grad_mode.hpp"
#include "eigrad/tensor.hpp"

// Grad mode, anomaly mode, graphs and the random generator are per thread (issue 13, item 6):
// threads training independent models at once each get exactly what they get alone. Run
// under ThreadSanitizer by scripts/tsan.sh.

using namespace eigrad;
using namespace eigrad::samples;

namespace {

struct Job {
  StageFunction run;
  StageOptions options;
};

StageOptions options(const StageDefaults& defaults, std::uint64_t seed, const std::string& dtype,
                     const std::string& optimizer = "") {
  StageOptions o = default_options(defaults);
  o.seed = seed;
  o.dtype = dtype;
  o.n = 200;
  o.iters = 1500;
  if (!optimizer.empty()) o.optimizer = optimizer;
  if (optimizer == "sgd") o.lr = 1e-5;
  return o;
}

// Two runs of stage 03 (autograd) and two of stage 06 (optimizers), in both dtypes.
std::vector<Job> jobs() {
  return {{&run_autograd, options(defaults_autograd(), 1, "float32")},
          {&run_optim, options(defaults_optim(), 2, "float32", "adam")},
          {&run_autograd, options(defaults_autograd(), 3, "float64")},
          {&run_optim, options(defaults_optim(), 4, "float64", "sgd")}};
}

struct Outcome {
  StageRun run;
  std::string printed;
};

Outcome run_job(const Job& job) {
  std::ostringstream out;
  Outcome o;
  o.run = job.run(job.options, out);
  o.printed = out.str();
  return o;
}

}  // namespace

BOOST_AUTO_TEST_CASE(grad_mode_and_anomaly_mode_are_per_thread) {
  NoGradGuard no_grad;
  autograd::DetectAnomalyGuard anomaly;
  bool other_grad = false, other_anomaly = true, other_records = false;
  std::thread([&] {
    other_grad = GradMode::is_enabled();
    other_anomaly = autograd::AnomalyMode::is_enabled();
    const Tensor<float> x = ones<float>({2}, TensorOptions().requires_grad(true));
    other_records = (x * x).grad_fn() != nullptr;
  }).join();
  BOOST_TEST(other_grad);
  BOOST_TEST(!other_anomaly);
  BOOST_TEST(other_records);
  BOOST_TEST(!GradMode::is_enabled());
  BOOST_TEST(autograd::AnomalyMode::is_enabled());
}

BOOST_AUTO_TEST_CASE(threads_training_independent_models_at_once_each_get_their_single_threaded_result) {
  const std::vector<Job> all = jobs();
  std::vector<Outcome> alone;
  for (const auto& job : all) alone.push_back(run_job(job));

  std::vector<Outcome> together(all.size());
  std::vector<std::string> errors(all.size());
  std::atomic<std::size_t> started{0};
  std::vector<std::thread> threads;
  for (std::size_t i = 0; i < all.size(); ++i)
    threads.emplace_back([&, i] {
      ++started;
      while (started.load() < all.size()) std::this_thread::yield();  // start the runs together
      try {
        together[i] = run_job(all[i]);
      } catch (const std::exception& e) {
        errors[i] = e.what();
      }
    });
  for (auto& t : threads) t.join();

  for (std::size_t i = 0; i < all.size(); ++i) {
    BOOST_TEST_CONTEXT("job " << i) {
      BOOST_TEST(errors[i] == "");
      BOOST_TEST(!alone[i].run.trace.empty());
      BOOST_TEST(together[i].printed == alone[i].printed);
      BOOST_TEST_REQUIRE(together[i].run.trace.size() == alone[i].run.trace.size());
      for (std::size_t k = 0; k < alone[i].run.trace.size(); ++k) {
        BOOST_TEST(together[i].run.trace[k].t == alone[i].run.trace[k].t);
        BOOST_TEST(together[i].run.trace[k].loss == alone[i].run.trace[k].loss);  // exactly
      }
      BOOST_TEST((together[i].run.result == alone[i].run.result));
    }
  }
  // The four runs differ from one another (different seeds, stages and dtypes).
  BOOST_TEST(alone[0].printed != alone[2].printed);
  BOOST_TEST(alone[1].printed != alone[3].printed);
}

BOOST_AUTO_TEST_CASE(tensors_made_on_one_thread_and_freed_on_another) {
  // Each thread keeps the tensor blocks it frees for its next tensors (src/detail/block_cache.hpp):
  // blocks made by a worker and freed by this thread, or the other way round, must be usable
  // and freed once (AddressSanitizer and LeakSanitizer check this in the sanitizer build).
  constexpr int kTensors = 300;  // more than one thread keeps
  std::vector<Tensor<float>> from_worker;
  std::thread worker([&from_worker] {
    for (int i = 0; i < kTensors; ++i) from_worker.push_back(scalar_tensor<float>(static_cast<float>(i)));
  });
  worker.join();
  float sum = 0;
  for (const auto& t : from_worker) sum += t.item();
  BOOST_TEST(sum == kTensors * (kTensors - 1) / 2);
  from_worker.clear();  // kept here, then reused below
  std::vector<Tensor<float>> from_main;
  for (int i = 0; i < kTensors; ++i) from_main.push_back(full<float>({2}, static_cast<float>(i)));
  std::thread freer([&from_main] {
    float last = -1;
    for (const auto& t : from_main) last = t.to_vector()[1];
    BOOST_TEST(last == kTensors - 1);
    from_main.clear();  // freed on a thread that ends right after: its cleanup frees what it kept
  });
  freer.join();
  BOOST_TEST(from_main.empty());
}
