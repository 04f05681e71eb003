// eigrad::distributed under mpirun (2 and 4 ranks): every collective against a serial
// reference (float32, float64, odd sizes), DistributedDataParallel (rank 0's start, buckets,
// no_sync, bit-identical parameters, mismatched shapes named), checkpoints resumed, and the
// 10_distributed stage against the optim stage's golden files.
//
// The suites "collectives" and "data_parallel" take their tensors and modules on the group's
// device, so they also run on device tensors, chosen after "--": `--backend=nccl` (a CUDA
// build with NCCL and one GPU per rank; exits with kSkipped otherwise) or `--backend=staged`
// (HostStagedDeviceGroup: MPI behind tensors on cuda:0, for builds without NCCL).
#define BOOST_TEST_MODULE distributed
#include <boost/mpl/list.hpp>
#include <boost/test/unit_test.hpp>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include <unistd.h>

#include "common/distributed.hpp"
#include "eigrad/cuda/memory.hpp"
#include "eigrad/distributed/checkpoint.hpp"
#include "eigrad/distributed/process_group.hpp"
#include "eigrad/nn/modules/container.hpp"
#include "eigrad/nn/modules/linear.hpp"
#include "eigrad/nn/modules/loss.hpp"
#include "eigrad/nn/parallel/distributed.hpp"
#include "eigrad/optim/adam.hpp"
#include "eigrad/optim/sgd.hpp"
#include "eigrad/random.hpp"
#include "support/golden.hpp"

using namespace eigrad;
namespace dist = eigrad::distributed;
using Scalars = boost::mpl::list<float, double>;

namespace {

// ctest's SKIP_RETURN_CODE: the run's backend cannot start on this machine.
constexpr int kSkipped = 77;

// A completed collective: HostStagedDeviceGroup's device collectives finish before returning.
class CompletedWork final : public dist::Work {
 public:
  explicit CompletedWork(std::string description) : Work(std::move(description), std::chrono::milliseconds(0)) {}

 protected:
  bool poll() override { return true; }
  void abandon(const std::string&) override {}
};

// A device backend emulated over MPI, for builds without NCCL: a buffer on cuda:0 (memory of
// Thrust's CPU system in the OMP build) is copied to the host, sent through the MPI group and
// copied back, so the tensor collectives and DistributedDataParallel run their device paths
// (data_ptr(), device buckets, the kernel table's copies) under mpirun without a GPU.
class HostStagedDeviceGroup final : public dist::ProcessGroup {
 public:
  explicit HostStagedDeviceGroup(std::shared_ptr<dist::ProcessGroup> mpi)
      : ProcessGroup(mpi->timeout()), mpi_(std::move(mpi)) {}
  int rank() const override { return mpi_->rank(); }
  int size() const override { return mpi_->size(); }
  std::string backend() const override { return "staged"; }
  Device device() const override { return Device::cuda(0); }

  std::shared_ptr<dist::Work> allreduce_buffer(dist::Buffer buffer, dist::ReduceOp op,
                                               std::shared_ptr<const void> keep_alive) override {
    if (buffer.on_host) return mpi_->allreduce_buffer(buffer, op, std::move(keep_alive));
    return staged(buffer, buffer, [&](dist::Buffer in, dist::Buffer) { return mpi_->allreduce_buffer(in, op, nullptr); });
  }
  std::shared_ptr<dist::Work> broadcast_buffer(dist::Buffer buffer, int root,
                                               std::shared_ptr<const void> keep_alive) override {
    if (buffer.on_host) return mpi_->broadcast_buffer(buffer, root, std::move(keep_alive));
    return staged(buffer, buffer, [&](dist::Buffer in, dist::Buffer) { return mpi_->broadcast_buffer(in, root, nullptr); });
  }
  std::shared_ptr<dist::Work> allgather_buffer(dist::Buffer input, dist::Buffer output,
                                               std::shared_ptr<const void> keep_alive) override {
    if (input.on_host) return mpi_->allgather_buffer(input, output, std::move(keep_alive));
    return staged(input, output,
                  [&](dist::Buffer in, dist::Buffer out) { return mpi_->allgather_buffer(in, out, nullptr); });
  }
  std::shared_ptr<dist::Work> barrier_async() override { return mpi_->barrier_async(); }

 private:
  using Collective = std::function<std::shared_ptr<dist::Work>(dist::Buffer, dist::Buffer)>;

  std::shared_ptr<dist::Work> staged(dist::Buffer input, dist::Buffer output, const Collective& collective) {
    if (input.type == dist::ScalarType::Float32) return staged_as<float>(input, output, collective);
    return staged_as<double>(input, output, collective);
  }
  template <class T>
  std::shared_ptr<dist::Work> staged_as(dist::Buffer input, dist::Buffer output, const Collective& collective) {
    std::vector<T> host_input(static_cast<std::size_t>(input.count));
    std::vector<T> host_output(static_cast<std::size_t>(output.count));
    cuda::copy_to_host(host_input.data(), static_cast<const T*>(input.data), input.count);
    const bool in_place = input.data == output.data;
    const dist::Buffer host_in{host_input.data(), input.count, input.type, true};
    const dist::Buffer host_out{in_place ? host_input.data() : host_output.data(), output.count, output.type, true};
    const auto work = collective(host_in, host_out);
    work->wait();
    cuda::copy_from_host(static_cast<T*>(output.data), static_cast<const T*>(host_out.data), output.count);
    return std::make_shared<CompletedWork>(work->description());
  }

  std::shared_ptr<dist::ProcessGroup> mpi_;
};

// The backend after "--" (see the file's comment): "mpi" by default.
std::string backend_under_test() {
  const auto& suite = boost::unit_test::framework::master_test_suite();
  for (int i = 1; i < suite.argc; ++i) {
    const std::string arg = suite.argv[i];
    if (arg.rfind("--backend=", 0) == 0) return arg.substr(10);
  }
  return "mpi";
}

std::shared_ptr<dist::ProcessGroup>& the_group() {
  static std::shared_ptr<dist::ProcessGroup> group;
  return group;
}

// NCCL takes one GPU per rank; without them the run is skipped, saying why.
void skip_without_a_gpu_per_rank() {
  const char* local_size = std::getenv("OMPI_COMM_WORLD_LOCAL_SIZE");
  const int ranks_here = local_size ? std::atoi(local_size) : 1;
  if (!dist::is_available("nccl") || cuda::device_count() >= ranks_here) return;
  std::printf("SKIPPED: the NCCL run needs one GPU per rank: %d rank(s) on this node, %d CUDA device(s)\n", ranks_here,
              cuda::device_count());
  std::fflush(stdout);
  std::exit(kSkipped);
}

// One process group for the whole run (MPI starts once per process). A rank that throws
// where the others wait makes them fail after a minute instead of hanging the suite.
struct GroupFixture {
  GroupFixture() {
    const std::string backend = backend_under_test();
    if (backend == "nccl") skip_without_a_gpu_per_rank();
    const auto options = dist::ProcessGroupOptions().timeout(std::chrono::seconds(60));
    const auto group = dist::init_process_group(backend == "staged" ? "mpi" : backend, options);
    the_group() = backend == "staged" ? std::make_shared<HostStagedDeviceGroup>(group) : group;
  }
  ~GroupFixture() {
    the_group().reset();
    dist::destroy_process_group();
  }
};

dist::ProcessGroup& group() { return *the_group(); }

// \p module moved to the group's device.
template <class M>
std::shared_ptr<M> on_group_device(std::shared_ptr<M> module) {
  module->to(group().device());
  return module;
}

// Rank r's i-th value: multiples of 1/8 below 2^10, so sums over 4 ranks are exact in any order.
double exact_value(int rank, std::int64_t i) { return static_cast<double>((rank * 37 + i * 11) % 97 - 40) / 8; }
// Rank r's i-th value with a full mantissa, whose sum depends on the order only in the last bits.
double rough_value(int rank, std::int64_t i) { return std::sin(1.0 + rank * 0.731 + static_cast<double>(i) * 0.0173); }

template <class T>
Tensor<T> values_of(int rank, std::int64_t count, double (*value)(int, std::int64_t)) {
  std::vector<T> v(static_cast<std::size_t>(count));
  for (std::int64_t i = 0; i < count; ++i) v[static_cast<std::size_t>(i)] = static_cast<T>(value(rank, i));
  return from_vector<T>(v, {count}).to(group().device());
}

// The serial reference of allreduce: the ranks' values combined in rank order, in T.
template <class T>
std::vector<T> serial_reduce(std::int64_t count, double (*value)(int, std::int64_t), dist::ReduceOp op, int ranks) {
  std::vector<T> out = values_of<T>(0, count, value).to_vector();
  for (int r = 1; r < ranks; ++r) {
    const std::vector<T> theirs = values_of<T>(r, count, value).to_vector();
    for (std::size_t i = 0; i < out.size(); ++i) out[i] = op == dist::ReduceOp::Max ? std::max(out[i], theirs[i]) : out[i] + theirs[i];
  }
  if (op == dist::ReduceOp::Average) {
    for (T& x : out) x /= static_cast<T>(ranks);
  }
  return out;
}

const std::vector<std::int64_t> kSizes = {0, 1, 7, 1001, 65537};

template <class T>
std::vector<T> bits_of(const std::vector<Tensor<T>>& tensors) {
  std::vector<T> all;
  for (const auto& t : tensors) {
    const auto v = t.to_vector();
    all.insert(all.end(), v.begin(), v.end());
  }
  return all;
}

// Whether every rank holds exactly (bit for bit) the values \p mine holds here.
template <class T>
bool identical_on_every_rank(const std::vector<T>& mine) {
  const Tensor<T> gathered =
      group().allgather(from_vector<T>(mine, {static_cast<std::int64_t>(mine.size())}).to(group().device()));
  const std::vector<T> all = gathered.to_vector();
  for (int r = 0; r < group().size(); ++r) {
    if (!mine.empty() && std::memcmp(all.data() + r * mine.size(), mine.data(), mine.size() * sizeof(T)) != 0) return false;
  }
  return true;
}

}  // namespace

BOOST_TEST_GLOBAL_FIXTURE(GroupFixture);

// ==================================================================== collectives

BOOST_AUTO_TEST_SUITE(collectives)

BOOST_AUTO_TEST_CASE(the_group_knows_its_ranks) {
  BOOST_TEST(group().backend() == backend_under_test());
  BOOST_TEST(group().size() >= 2);
  const auto ranks = group().allgather(std::vector<std::int64_t>{group().rank()});
  for (int r = 0; r < group().size(); ++r) BOOST_TEST(ranks[r] == r);
  group().barrier();
}

BOOST_AUTO_TEST_CASE_TEMPLATE(allreduce_matches_the_serial_reference, T, Scalars) {
  const int rank = group().rank(), ranks = group().size();
  for (const auto op : {dist::ReduceOp::Sum, dist::ReduceOp::Average, dist::ReduceOp::Max}) {
    for (const std::int64_t count : kSizes) {
      BOOST_TEST_CONTEXT("op " << static_cast<int>(op) << ", " << count << " values") {
        const Tensor<T> exact = values_of<T>(rank, count, exact_value);
        const std::uint64_t version = exact.version();
        group().allreduce(exact, op);
        BOOST_TEST(exact.version() > version);
        BOOST_TEST(exact.to_vector() == serial_reduce<T>(count, exact_value, op, ranks));

        const Tensor<T> rough = values_of<T>(rank, count, rough_value);
        group().allreduce(rough, op);
        const std::vector<T> expected = serial_reduce<T>(count, rough_value, op, ranks);
        const std::vector<T> got = rough.to_vector();
        const double tolerance = std::is_same_v<T, float> ? 1e-6 : 1e-14;
        for (std::size_t i = 0; i < got.size(); ++i) BOOST_TEST(std::abs(got[i] - expected[i]) <= tolerance);
        BOOST_TEST(identical_on_every_rank(got));
      }
    }
  }
}

BOOST_AUTO_TEST_CASE_TEMPLATE(broadcast_copies_the_roots_values, T, Scalars) {
  for (int root = 0; root < group().size(); ++root) {
    for (const std::int64_t count : kSizes) {
      const Tensor<T> t = values_of<T>(group().rank(), count, rough_value);
      group().broadcast(t, root);
      BOOST_TEST(t.to_vector() == values_of<T>(root, count, rough_value).to_vector());
    }
  }
  BOOST_CHECK_THROW(group().broadcast(Tensor<T>{1}, group().size()), ValueError);
}

BOOST_AUTO_TEST_CASE_TEMPLATE(allgather_stacks_every_ranks_tensor, T, Scalars) {
  for (const std::int64_t count : kSizes) {
    const Tensor<T> mine = values_of<T>(group().rank(), count, rough_value).reshape({1, count});
    const Tensor<T> all = group().allgather(mine);
    BOOST_TEST((all.shape() == Shape{group().size(), 1, count}));
    std::vector<T> expected;
    for (int r = 0; r < group().size(); ++r) {
      const auto v = values_of<T>(r, count, rough_value).to_vector();
      expected.insert(expected.end(), v.begin(), v.end());
    }
    BOOST_TEST(all.to_vector() == expected);
  }
  BOOST_CHECK_THROW(group().allgather_async(Tensor<T>{1, 2}, zeros<T>({group().size(), 3})), ShapeError);
}

BOOST_AUTO_TEST_CASE_TEMPLATE(async_collectives_complete_in_any_wait_order, T, Scalars) {
  const Tensor<T> a = values_of<T>(group().rank(), 1001, exact_value);
  const Tensor<T> b = values_of<T>(group().rank(), 7, exact_value);
  const auto work_a = group().allreduce_async(a, dist::ReduceOp::Sum);
  const auto work_b = group().allreduce_async(b, dist::ReduceOp::Max);
  const auto barrier = group().barrier_async();
  work_b->wait();
  work_a->wait();
  barrier->wait();
  BOOST_TEST(work_a->is_completed());
  BOOST_TEST(a.to_vector() == serial_reduce<T>(1001, exact_value, dist::ReduceOp::Sum, group().size()));
  BOOST_TEST(b.to_vector() == serial_reduce<T>(7, exact_value, dist::ReduceOp::Max, group().size()));
  BOOST_TEST(work_a->description().find("allreduce (sum) of 1001") == 0u, work_a->description());
}

BOOST_AUTO_TEST_CASE(int64_allgather_names_ranks_that_disagree_on_the_count) {
  std::vector<std::int64_t> mine(group().rank() == 1 ? 3 : 2, 5);
  BOOST_CHECK_EXCEPTION(group().allgather(mine), dist::DistributedError, [](const dist::DistributedError& e) {
    return std::string(e.what()).find("rank 1 gives 3") != std::string::npos;
  });
}

// A tensor on another device than the group's is refused before any rank communicates.
BOOST_AUTO_TEST_CASE(a_tensor_off_the_groups_device_is_a_device_error) {
  const Device elsewhere = group().device().is_cpu() ? Device::cuda(0) : Device::cpu();
  if (elsewhere.is_cuda() && !cuda::is_available()) {
    BOOST_TEST_MESSAGE("skipped: this build has no cuda tensors to give the " << group().backend() << " backend");
    return;
  }
  const Tensor<float> misplaced = Tensor<float>{1, 2, 3}.to(elsewhere);
  const Tensor<float> placed = Tensor<float>{1, 2, 3}.to(group().device());
  const std::string expected = "allreduce: the " + group().backend() + " backend of rank " + std::to_string(group().rank()) +
                               " takes tensors on " + group().device().str() + ", not on " + elsewhere.str() + " (shape [3])";
  BOOST_CHECK_EXCEPTION(group().allreduce(misplaced), DeviceError,
                        [&](const DeviceError& e) { return std::string(e.what()) == expected; });
  BOOST_CHECK_THROW(group().broadcast(misplaced), DeviceError);
  BOOST_CHECK_THROW(group().allgather(misplaced), DeviceError);
  BOOST_CHECK_THROW(group().allgather_async(placed, zeros<float>({group().size(), 3}, TensorOptions(elsewhere))),
                    DeviceError);
  group().barrier();
}

BOOST_AUTO_TEST_SUITE_END()

// ==================================================================== DistributedDataParallel

namespace {

template <class T>
std::shared_ptr<nn::Sequential<T>> two_layers(std::int64_t hidden = 5) {
  return on_group_device(std::make_shared<nn::Sequential<T>>(nn::Linear<T>(4, hidden), nn::Linear<T>(hidden, 2)));
}

// The mean squared error in eager ops, which run on every device; nn::MSELoss and fused
// statements such as `output - target` read host memory until they run on the device too.
template <class T>
Tensor<T> squared_error(const Tensor<T>& output, const Tensor<T>& target) {
  const Tensor<T> error = eigrad::detail::eager_binary<T, ops::Sub>(output, target);
  return eigrad::detail::eager_binary<T, ops::Mul>(error, error).mean();
}

// One plain gradient step in in-place ops, which run on every device (the optimizers' steps
// read host memory until they run on the device too).
template <class T>
void descend(const std::vector<Tensor<T>>& params, T lr) {
  NoGradGuard no_grad;
  for (Tensor<T> param : params) param -= mul_scalar(param.grad(), lr);
}

// Each rank's own batch.
template <class T>
std::pair<Tensor<T>, Tensor<T>> batch_of(int rank, std::int64_t step) {
  manual_seed(1000 + 17 * static_cast<std::uint64_t>(rank) + static_cast<std::uint64_t>(step));
  const Tensor<T> x = randn<T>({6, 4});
  const Tensor<T> y = randn<T>({6, 2});
  return {x.to(group().device()), y.to(group().device())};
}

template <class T>
std::vector<Tensor<T>> grads_of(const nn::Module<T>& m) {
  std::vector<Tensor<T>> g;
  for (const auto& p : m.parameters()) g.push_back(p.grad().clone());
  return g;
}

// Synchronises \p ddp's gradients and checks them against the reference: every rank's
// gradient gathered, then summed or averaged here in rank order; and the same bits everywhere.
template <class T>
void synchronize_and_check_against_reference(nn::DistributedDataParallel<T>& ddp, const nn::Module<T>& model,
                                             dist::ReduceOp op) {
  std::vector<Tensor<T>> expected;
  for (const auto& g : grads_of(model)) {
    const Tensor<T> all = group().allgather(g);
    expected.push_back(op == dist::ReduceOp::Sum ? all.sum(0) : all.mean(0));
  }
  ddp.synchronize_gradients();
  // every bucket's all-reduce went out from the gradient hooks, while backward ran
  BOOST_TEST(ddp.buckets_started_during_backward() == ddp.buckets().size());
  const auto got = grads_of(model);
  for (std::size_t i = 0; i < got.size(); ++i) BOOST_TEST(allclose(got[i], expected[i], 1e-5, 1e-6));
  BOOST_TEST(identical_on_every_rank(bits_of(got)));
}

}  // namespace

BOOST_AUTO_TEST_SUITE(data_parallel)

BOOST_AUTO_TEST_CASE_TEMPLATE(construction_takes_rank_0s_parameters, T, Scalars) {
  manual_seed(50 + static_cast<std::uint64_t>(group().rank()));  // a different start on each rank
  auto model = two_layers<T>();
  BOOST_TEST(!identical_on_every_rank(bits_of(model->parameters())));
  nn::DistributedDataParallel<T> ddp(model, the_group());
  BOOST_TEST(identical_on_every_rank(bits_of(model->parameters())));
  manual_seed(50);
  BOOST_TEST(bits_of(model->parameters()) == bits_of(two_layers<T>()->parameters()));
  BOOST_TEST(ddp.state_dict().front().first == "module.0.weight");
}

BOOST_AUTO_TEST_CASE_TEMPLATE(training_keeps_parameters_bit_identical_and_averages_gradients, T, Scalars) {
  manual_seed(7 + static_cast<std::uint64_t>(group().rank()));
  auto model = two_layers<T>();
  nn::DistributedDataParallel<T> ddp(model, the_group());
  optim::SGD<T> sgd(ddp.parameters(), optim::SGDOptions(0.05));
  for (std::int64_t step = 0; step < 5; ++step) {
    const auto [x, y] = batch_of<T>(group().rank(), step);
    sgd.zero_grad();
    squared_error(ddp(x), y).backward();
    synchronize_and_check_against_reference(ddp, *model, dist::ReduceOp::Average);
    descend(ddp.parameters(), T(0.05));
    BOOST_TEST(identical_on_every_rank(bits_of(model->parameters())));
  }
}

BOOST_AUTO_TEST_CASE_TEMPLATE(bucket_size_changes_the_buckets_not_the_gradients, T, Scalars) {
  manual_seed(3);
  auto one_bucket = two_layers<T>();
  manual_seed(3);
  auto per_parameter = two_layers<T>();
  nn::DistributedDataParallel<T> a(one_bucket, the_group());
  nn::DistributedDataParallel<T> b(per_parameter, the_group(), nn::DistributedDataParallelOptions().bucket_cap_bytes(1));
  BOOST_TEST(a.buckets().size() == 1u);
  BOOST_TEST(b.buckets().size() == 4u);
  BOOST_TEST(b.buckets().front() == std::vector<std::size_t>{3});  // the last parameter's gradient comes first
  BOOST_TEST((a.buckets().front() == std::vector<std::size_t>{3, 2, 1, 0}));
  const auto [x, y] = batch_of<T>(group().rank(), 0);
  for (auto* ddp : {&a, &b}) {
    squared_error((*ddp)(x), y).backward();
    ddp->synchronize_gradients();
  }
  BOOST_TEST(bits_of(grads_of(*one_bucket)) == bits_of(grads_of(*per_parameter)));
}

BOOST_AUTO_TEST_CASE_TEMPLATE(sum_reduction_and_no_sync_accumulation, T, Scalars) {
  manual_seed(11);
  auto model = two_layers<T>();
  nn::DistributedDataParallel<T> ddp(model, the_group(),
                                     nn::DistributedDataParallelOptions().gradient_reduction(dist::ReduceOp::Sum));
  {
    auto guard = ddp.no_sync();
    for (std::int64_t step = 0; step < 2; ++step) {
      const auto [x, y] = batch_of<T>(group().rank(), step);
      squared_error(ddp(x), y).backward();
    }
    const auto local = bits_of(grads_of(*model));
    ddp.synchronize_gradients();  // a no-op under the guard
    BOOST_TEST(bits_of(grads_of(*model)) == local);
    BOOST_TEST(!identical_on_every_rank(local));
  }
  const auto [x, y] = batch_of<T>(group().rank(), 2);
  squared_error(ddp(x), y).backward();
  synchronize_and_check_against_reference(ddp, *model, dist::ReduceOp::Sum);
}

BOOST_AUTO_TEST_CASE(mismatched_shapes_are_named_at_construction) {
  auto wider_on_rank_1 =
      on_group_device(std::make_shared<nn::Sequential<float>>(nn::Linear<float>(4, group().rank() == 1 ? 6 : 5)));
  BOOST_CHECK_EXCEPTION((nn::DistributedDataParallel<float>{wider_on_rank_1, the_group()}), dist::DistributedError,
                        [](const dist::DistributedError& e) {
                          return std::string(e.what()) ==
                                 "DistributedDataParallel: parameter '0.weight' has shape [5, 4] on rank 0 but [6, 4] on rank 1";
                        });
  auto deeper_on_rank_1 = group().rank() == 1 ? two_layers<float>()
                                              : on_group_device(std::make_shared<nn::Sequential<float>>(nn::Linear<float>(4, 5)));
  BOOST_CHECK_EXCEPTION((nn::DistributedDataParallel<float>{deeper_on_rank_1, the_group()}), dist::DistributedError,
                        [](const dist::DistributedError& e) {
                          return std::string(e.what()) == "DistributedDataParallel: rank 0 has 2 parameters but rank 1 has 4";
                        });
  auto bias_free_on_rank_1 =
      on_group_device(std::make_shared<nn::Sequential<float>>(nn::Linear<float>(4, 5, group().rank() != 1)));
  BOOST_CHECK_THROW((nn::DistributedDataParallel<float>{bias_free_on_rank_1, the_group()}), dist::DistributedError);
  // The group is still usable after a refused construction.
  group().barrier();
}

BOOST_AUTO_TEST_SUITE_END()

// The MPI backend reads host memory: a module on cuda is refused by name before any rank
// communicates (instead of staging it through host copies).
BOOST_AUTO_TEST_CASE(a_cuda_module_is_a_device_error_for_the_mpi_backend) {
  if (!cuda::is_available()) {
    BOOST_TEST_MESSAGE("skipped: this build has no cuda tensors");
    return;
  }
  auto on_cuda = std::make_shared<nn::Sequential<float>>(nn::Linear<float>(4, 5));
  on_cuda->to(Device::cuda(0));
  BOOST_CHECK_EXCEPTION((nn::DistributedDataParallel<float>{on_cuda, dist::default_group()}), DeviceError,
                        [](const DeviceError& e) {
                          return std::string(e.what()).find("DistributedDataParallel: parameter '0.weight' is on cuda:0 "
                                                            "but the mpi process group of rank ") == 0;
                        });
  group().barrier();
}

// ==================================================================== checkpoints

namespace {

// Trains \p ddp's model on each rank's batches of steps [from, to).
template <class T>
void train_steps(nn::DistributedDataParallel<T>& ddp, optim::Optimizer<T>& opt, std::int64_t from, std::int64_t to) {
  nn::MSELoss<T> loss_fn;
  for (std::int64_t step = from; step < to; ++step) {
    const auto [x, y] = batch_of<T>(group().rank(), step);
    opt.zero_grad();
    loss_fn(ddp(x), y).backward();
    ddp.synchronize_gradients();
    opt.step();
  }
}

// A path every rank agrees on (rank 0's process id in it).
std::string shared_temp_path(const std::string& stem) {
  const auto pids = group().allgather(std::vector<std::int64_t>{static_cast<std::int64_t>(::getpid())});
  return (std::filesystem::temp_directory_path() / (stem + "_" + std::to_string(pids[0]) + ".safetensors")).string();
}

}  // namespace

BOOST_AUTO_TEST_CASE_TEMPLATE(a_resumed_run_equals_an_uninterrupted_one, T, Scalars) {
  manual_seed(21);
  auto whole_model = two_layers<T>();
  nn::DistributedDataParallel<T> whole(whole_model);
  optim::Adam<T> whole_opt(whole.parameters(), optim::AdamOptions(1e-2));
  train_steps(whole, whole_opt, 0, 6);

  const std::string model_path = shared_temp_path("eigrad_ddp_model");
  const std::string optim_path = shared_temp_path("eigrad_ddp_optim");
  {
    manual_seed(21);
    auto first_model = two_layers<T>();
    nn::DistributedDataParallel<T> first(first_model);
    optim::Adam<T> first_opt(first.parameters(), optim::AdamOptions(1e-2));
    train_steps(first, first_opt, 0, 3);
    dist::save(group(), first, model_path);
    dist::write_on_rank0(group(), [&] { first_opt.save(optim_path); }, optim_path);
  }
  manual_seed(99 + static_cast<std::uint64_t>(group().rank()));  // another start, different on each rank
  auto second_model = two_layers<T>();
  nn::DistributedDataParallel<T> second(second_model);
  optim::Adam<T> second_opt(second.parameters(), optim::AdamOptions(1e-2));
  dist::load(group(), second, model_path);
  dist::read_on_every_rank(group(), [&] { second_opt.load(optim_path); }, optim_path);
  group().barrier();  // every rank has read the files before rank 0 removes them
  if (group().rank() == 0) {
    std::filesystem::remove(model_path);
    std::filesystem::remove(optim_path);
  }
  train_steps(second, second_opt, 3, 6);
  BOOST_TEST(bits_of(second_model->parameters()) == bits_of(whole_model->parameters()));
  BOOST_TEST(identical_on_every_rank(bits_of(second_model->parameters())));
}

BOOST_AUTO_TEST_CASE(a_failed_read_fails_on_every_rank) {
  const std::string missing = shared_temp_path("eigrad_ddp_missing");
  auto model = two_layers<float>();
  nn::DistributedDataParallel<float> ddp(model);
  // Only rank 1 finds no file: it rethrows its own IoError, the others name it.
  const std::string path = group().rank() == 1 ? missing : missing + ".there";
  if (group().rank() != 1) nn::save(ddp, path);
  BOOST_CHECK_EXCEPTION(dist::load(group(), ddp, path), IoError, [&](const IoError& e) {
    return group().rank() == 1 || std::string(e.what()) == "rank(s) 1 failed to read " + path;
  });
  if (group().rank() != 1) std::filesystem::remove(path);
  BOOST_CHECK_EXCEPTION(dist::write_on_rank0(group(), [] { throw IoError("disk full"); }, "x.safetensors"), IoError,
                        [&](const IoError& e) {
                          return std::string(e.what()) == (group().rank() == 0 ? "disk full" : "rank 0 failed to write x.safetensors");
                        });
}

// ==================================================================== the 10_distributed stage

BOOST_AUTO_TEST_CASE(the_distributed_stage_reproduces_the_optim_golden_files) {
  for (const std::string file : {"06_optim_sgd.json", "06_optim_adam.json", "06_optim_rmsprop.json",
                                 "float64/06_optim_sgd.json", "float64/06_optim_adam.json", "float64/06_optim_rmsprop.json"}) {
    BOOST_TEST_CONTEXT(file << " on " << group().size() << " ranks") {
      test::check_stage_against_golden(&samples::run_distributed, samples::defaults_distributed(), file);
    }
  }
}
