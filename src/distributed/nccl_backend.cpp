#include "nccl_backend.hpp"

#ifdef EIGRAD_WITH_NCCL

#include <cuda_runtime.h>
#include <nccl.h>

#include <array>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "eigrad/cuda/kernels.hpp"
#include "mpi_backend.hpp"

namespace eigrad::distributed::nccl {

namespace {

void check_cuda(cudaError_t code, const std::string& what) {
  EIGRAD_CHECK(code == cudaSuccess, DistributedError, "eigrad::distributed (nccl): ", what, " failed: ",
               cudaGetErrorString(code));
}

void check_nccl(ncclResult_t code, const std::string& what, ncclComm_t comm) {
  if (code == ncclSuccess) return;
  const char* last = comm ? ncclGetLastError(comm) : nullptr;
  EIGRAD_FAIL(DistributedError, "eigrad::distributed (nccl): ", what, " failed: ", ncclGetErrorString(code),
              last && *last ? eigrad::detail::str_cat(" (", last, ")") : std::string());
}

ncclDataType_t datatype(ScalarType type) {
  switch (type) {
    case ScalarType::Float32: return ncclFloat32;
    case ScalarType::Float64: return ncclFloat64;
    case ScalarType::Int64: return ncclInt64;
  }
  EIGRAD_FAIL(ValueError, "eigrad::distributed: unknown scalar type");
}

// What the group and its outstanding collectives share. A collective that timed out is ended
// by aborting the communicator (ncclCommAbort ends its kernels), after which the group refuses
// new collectives; the buffers of those still pending are kept until the group ends.
struct State {
  // MPI started the ranks and sends the control values (on_host buffers); it is finalised
  // after the communicator is destroyed.
  std::shared_ptr<ProcessGroup> bootstrap;
  ncclComm_t comm = nullptr;
  int device = 0;
  int rank = 0;
  int size = 1;
  cudaStream_t stream = nullptr;
  // Recorded on the legacy default stream, where the kernel table's Thrust launches run, so a
  // collective starts after the kernels that wrote its buffer.
  cudaEvent_t inputs_ready = nullptr;
  float* barrier_value = nullptr;
  std::string broken;
  std::vector<std::shared_ptr<const void>> stranded;
  std::chrono::milliseconds timeout{0};

  State() = default;
  State(const State&) = delete;
  State& operator=(const State&) = delete;

  void abort(const std::string& message) {
    broken = message;
    if (comm) ncclCommAbort(comm);
    comm = nullptr;
  }

  // Collectives nobody waited for get one timeout to finish (a late rank may still join them);
  // then the communicator is aborted rather than destroyed, which would wait for them forever.
  ~State() {
    if (comm) {
      cudaSetDevice(device);
      const auto deadline = std::chrono::steady_clock::now() + timeout;
      while (cudaStreamQuery(stream) == cudaErrorNotReady && std::chrono::steady_clock::now() < deadline) {
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
      }
      if (cudaStreamQuery(stream) == cudaSuccess && ncclCommFinalize(comm) == ncclSuccess) {
        ncclCommDestroy(comm);
      } else {
        ncclCommAbort(comm);
      }
    }
    stranded.clear();
    if (barrier_value) cudaFree(barrier_value);
    if (inputs_ready) cudaEventDestroy(inputs_ready);
    if (stream) cudaStreamDestroy(stream);
    bootstrap.reset();
  }
};

class NcclWork final : public Work {
 public:
  NcclWork(std::string description, std::chrono::milliseconds timeout, std::shared_ptr<State> state,
           std::shared_ptr<const void> keep_alive)
      : Work(std::move(description), timeout), state_(std::move(state)), keep_alive_(std::move(keep_alive)) {
    check_cuda(cudaEventCreateWithFlags(&completed_, cudaEventDisableTiming), this->description());
  }
  ~NcclWork() override { cudaEventDestroy(completed_); }
  NcclWork(const NcclWork&) = delete;
  NcclWork& operator=(const NcclWork&) = delete;

  // Marks the end of the collective just enqueued on the group's stream.
  void record_completion() { check_cuda(cudaEventRecord(completed_, state_->stream), description()); }

 protected:
  bool poll() override {
    const cudaError_t status = cudaEventQuery(completed_);
    if (status == cudaSuccess) {
      keep_alive_.reset();
      return true;
    }
    if (status != cudaErrorNotReady) check_cuda(status, description());
    EIGRAD_CHECK(state_->comm, DistributedError, description(), ": the communicator was aborted: ", state_->broken);
    ncclResult_t async_error = ncclSuccess;
    check_nccl(ncclCommGetAsyncError(state_->comm, &async_error), description(), state_->comm);
    check_nccl(async_error, description(), state_->comm);
    return false;
  }
  void abandon(const std::string& message) override {
    state_->stranded.push_back(std::move(keep_alive_));
    state_->abort(message);
  }

 private:
  std::shared_ptr<State> state_;
  std::shared_ptr<const void> keep_alive_;
  cudaEvent_t completed_ = nullptr;
};

template <class T>
void divide_on_device(void* values, std::int64_t count, int ranks) {
  // The op table's x / s, as the MPI backend's average divides on the host.
  cuda::unary(cuda::Unary<T>::with_scalar(ops::Code::DivScalar, static_cast<T>(ranks)), static_cast<const T*>(values),
              static_cast<T*>(values), count);
}

class NcclProcessGroup final : public ProcessGroup {
 public:
  NcclProcessGroup(std::shared_ptr<State> state, std::chrono::milliseconds timeout)
      : ProcessGroup(timeout), state_(std::move(state)) {}

  int rank() const override { return state_->rank; }
  int size() const override { return state_->size; }
  std::string backend() const override { return "nccl"; }
  Device device() const override { return Device::cuda(state_->device); }

  std::shared_ptr<Work> allreduce_buffer(Buffer buffer, ReduceOp op, std::shared_ptr<const void> keep_alive) override {
    if (buffer.on_host) return host_group().allreduce_buffer(buffer, op, std::move(keep_alive));
    EIGRAD_CHECK(!(op == ReduceOp::Average && buffer.type == ScalarType::Int64), ValueError,
                 "allreduce: average of int64 values is not defined");
    static const char* const names[] = {"sum", "average", "max"};
    auto work = start(eigrad::detail::str_cat("allreduce (", names[static_cast<int>(op)], ") of ",
                                              std::to_string(buffer.count), " ", scalar_type_name(buffer.type),
                                              " values"),
                      std::move(keep_alive));
    // Average is NCCL's sum divided by the rank count in T once it arrives, as the MPI
    // backend's: ncclAvg scales each rank's values before summing, which rounds differently.
    enqueue(work, [&] {
      return ncclAllReduce(buffer.data, buffer.data, static_cast<std::size_t>(buffer.count), datatype(buffer.type),
                           op == ReduceOp::Max ? ncclMax : ncclSum, state_->comm, state_->stream);
    }, buffer.count);
    if (op == ReduceOp::Average) {
      const int ranks = size();
      work->then([buffer, ranks] {
        if (buffer.type == ScalarType::Float32) {
          divide_on_device<float>(buffer.data, buffer.count, ranks);
        } else {
          divide_on_device<double>(buffer.data, buffer.count, ranks);
        }
      });
    }
    return work;
  }

  std::shared_ptr<Work> broadcast_buffer(Buffer buffer, int root, std::shared_ptr<const void> keep_alive) override {
    if (buffer.on_host) return host_group().broadcast_buffer(buffer, root, std::move(keep_alive));
    auto work = start(eigrad::detail::str_cat("broadcast from rank ", std::to_string(root), " of ",
                                              std::to_string(buffer.count), " ", scalar_type_name(buffer.type),
                                              " values"),
                      std::move(keep_alive));
    enqueue(work, [&] {
      return ncclBroadcast(buffer.data, buffer.data, static_cast<std::size_t>(buffer.count), datatype(buffer.type), root,
                           state_->comm, state_->stream);
    }, buffer.count);
    return work;
  }

  std::shared_ptr<Work> allgather_buffer(Buffer input, Buffer output, std::shared_ptr<const void> keep_alive) override {
    EIGRAD_CHECK(input.on_host == output.on_host, ValueError,
                 "allgather: the input and the output must both be in host memory or both on the device");
    if (input.on_host) return host_group().allgather_buffer(input, output, std::move(keep_alive));
    EIGRAD_CHECK(output.type == input.type && output.count == input.count * size(), ValueError,
                 "allgather: the output must hold ", std::to_string(input.count * size()), " ",
                 scalar_type_name(input.type), " values");
    auto work = start(eigrad::detail::str_cat("allgather of ", std::to_string(input.count), " ",
                                              scalar_type_name(input.type), " values per rank"),
                      std::move(keep_alive));
    enqueue(work, [&] {
      return ncclAllGather(input.data, output.data, static_cast<std::size_t>(input.count), datatype(input.type),
                           state_->comm, state_->stream);
    }, input.count);
    return work;
  }

  // An allreduce of one value on the device: it completes once every rank has started it.
  std::shared_ptr<Work> barrier_async() override {
    auto work = start("barrier", nullptr);
    enqueue(work, [&] {
      return ncclAllReduce(state_->barrier_value, state_->barrier_value, 1, ncclFloat32, ncclSum, state_->comm,
                           state_->stream);
    }, 1);
    return work;
  }

 private:
  std::shared_ptr<NcclWork> start(const std::string& what, std::shared_ptr<const void> keep_alive) {
    EIGRAD_CHECK(state_->broken.empty(), DistributedError,
                 "eigrad::distributed: the process group is unusable after an earlier failure: ", state_->broken);
    // The completion event belongs to the current device: the group's.
    check_cuda(cudaSetDevice(state_->device), what);
    return std::make_shared<NcclWork>(eigrad::detail::str_cat(what, " on rank ", std::to_string(rank()), " of ",
                                                               std::to_string(size()), " (", device().str(), ")"),
                                      timeout(), state_, std::move(keep_alive));
  }

  // Enqueues \p call on the group's stream behind the kernels already launched, then the
  // completion event. Zero elements enqueue nothing: every rank gives the same count.
  template <class Call>
  void enqueue(const std::shared_ptr<NcclWork>& work, Call call, std::int64_t count) {
    if (count > 0) {
      check_cuda(cudaEventRecord(state_->inputs_ready, cudaStreamLegacy), work->description());
      check_cuda(cudaStreamWaitEvent(state_->stream, state_->inputs_ready, 0), work->description());
      check_nccl(call(), work->description(), state_->comm);
    }
    work->record_completion();
  }

  // The control values go through MPI, which reads host memory, with this group's deadline.
  ProcessGroup& host_group() {
    EIGRAD_CHECK(state_->broken.empty(), DistributedError,
                 "eigrad::distributed: the process group is unusable after an earlier failure: ", state_->broken);
    state_->bootstrap->set_timeout(timeout());
    return *state_->bootstrap;
  }

  std::shared_ptr<State> state_;
};

// The first of the launchers' node-local rank variables present (Open MPI, MPICH's Hydra,
// Slurm); \p fallback (the global rank) without one.
int local_rank(int fallback) {
  for (const char* name : {"OMPI_COMM_WORLD_LOCAL_RANK", "MPI_LOCALRANKID", "SLURM_LOCALID"}) {
    if (const char* text = std::getenv(name)) return std::atoi(text);
  }
  return fallback;
}

// Every rank learns which ranks have no CUDA device, so all of them fail alike instead of the
// others waiting for the communicator.
void check_every_rank_has_a_device(ProcessGroup& bootstrap, int device_count, cudaError_t count_status) {
  const std::vector<std::int64_t> counts =
      bootstrap.allgather(std::vector<std::int64_t>{count_status == cudaSuccess ? device_count : 0});
  std::string missing;
  for (std::size_t r = 0; r < counts.size(); ++r) {
    if (counts[r] <= 0) missing += (missing.empty() ? "" : ", ") + std::to_string(r);
  }
  EIGRAD_CHECK(missing.empty(), DeviceError, "init_process_group(\"nccl\"): no CUDA device on rank(s) ", missing,
               " of ", std::to_string(bootstrap.size()), " (rank ", std::to_string(bootstrap.rank()), ": ",
               count_status == cudaSuccess ? std::to_string(device_count) + " devices"
                                           : std::string(cudaGetErrorString(count_status)),
               "); NCCL needs one GPU per rank");
}

// Rank 0's ncclUniqueId on every rank, through MPI, with a leading word saying whether rank 0
// could make one (so the others fail too instead of waiting in ncclCommInitRank).
ncclUniqueId unique_id_of_rank0(ProcessGroup& bootstrap) {
  static_assert(sizeof(ncclUniqueId) % sizeof(std::int64_t) == 0, "ncclUniqueId is a whole number of words");
  constexpr std::size_t kWords = 1 + sizeof(ncclUniqueId) / sizeof(std::int64_t);
  auto words = std::make_shared<std::array<std::int64_t, kWords>>();
  words->fill(0);
  ncclUniqueId id{};
  ncclResult_t made = ncclSuccess;
  if (bootstrap.rank() == 0) {
    made = ncclGetUniqueId(&id);
    (*words)[0] = made == ncclSuccess ? 1 : 0;
    std::memcpy(words->data() + 1, &id, sizeof(id));
  }
  bootstrap.broadcast_buffer(Buffer{words->data(), kWords, ScalarType::Int64, true}, 0, words)->wait();
  check_nccl(made, "ncclGetUniqueId", nullptr);
  EIGRAD_CHECK((*words)[0] == 1, DistributedError, "init_process_group(\"nccl\"): rank 0 could not make NCCL's unique id");
  std::memcpy(&id, words->data() + 1, sizeof(id));
  return id;
}

}  // namespace

bool built() { return true; }

std::shared_ptr<ProcessGroup> make_process_group(std::chrono::milliseconds timeout) {
  auto state = std::make_shared<State>();
  state->timeout = timeout;
  state->bootstrap = mpi::make_process_group(timeout);
  ProcessGroup& bootstrap = *state->bootstrap;
  state->rank = bootstrap.rank();
  state->size = bootstrap.size();
  int device_count = 0;
  const cudaError_t count_status = cudaGetDeviceCount(&device_count);
  check_every_rank_has_a_device(bootstrap, device_count, count_status);
  state->device = local_rank(state->rank) % device_count;
  const std::string where = eigrad::detail::str_cat("init_process_group(\"nccl\") on rank ", std::to_string(state->rank),
                                                    " (cuda:", std::to_string(state->device), ")");
  check_cuda(cudaSetDevice(state->device), where + ": cudaSetDevice");
  const ncclUniqueId id = unique_id_of_rank0(bootstrap);
  // Its own stream, not blocking on the legacy default stream: kernels launched while a
  // collective waits for a late rank must not wait with it (enqueue orders the other way).
  check_cuda(cudaStreamCreateWithFlags(&state->stream, cudaStreamNonBlocking), where + ": cudaStreamCreate");
  check_cuda(cudaEventCreateWithFlags(&state->inputs_ready, cudaEventDisableTiming), where + ": cudaEventCreate");
  check_cuda(cudaMalloc(reinterpret_cast<void**>(&state->barrier_value), sizeof(float)), where + ": cudaMalloc");
  check_cuda(cudaMemset(state->barrier_value, 0, sizeof(float)), where + ": cudaMemset");
  check_nccl(ncclCommInitRank(&state->comm, state->size, id, state->rank), where + ": ncclCommInitRank", nullptr);
  auto group = std::make_shared<NcclProcessGroup>(state, timeout);
  try {
    group->barrier();
  } catch (const DistributedError&) {
    EIGRAD_FAIL(DistributedError, where, ": not every rank joined the NCCL communicator within ",
                std::to_string(timeout.count()), " ms");
  }
  return group;
}

}  // namespace eigrad::distributed::nccl

#else  // EIGRAD_WITH_NCCL

// CMake says why on this source (EIGRAD_NCCL_MISSING).
#ifndef EIGRAD_NCCL_MISSING
#define EIGRAD_NCCL_MISSING "not configured by eigrad's CMakeLists.txt"
#endif

namespace eigrad::distributed::nccl {

bool built() { return false; }

std::shared_ptr<ProcessGroup> make_process_group(std::chrono::milliseconds) {
  EIGRAD_FAIL(ValueError, "init_process_group: eigrad was built without NCCL (EIGRAD_WITH_NCCL is OFF: ",
              EIGRAD_NCCL_MISSING, ")");
}

}  // namespace eigrad::distributed::nccl

#endif  // EIGRAD_WITH_NCCL
