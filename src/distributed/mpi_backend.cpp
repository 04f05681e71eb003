#include "mpi_backend.hpp"

#ifdef EIGRAD_WITH_MPI

#include <mpi.h>

#include <climits>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace eigrad::distributed::mpi {

namespace {

std::string error_text(int code) {
  char text[MPI_MAX_ERROR_STRING];
  int length = 0;
  MPI_Error_string(code, text, &length);
  return std::string(text, static_cast<std::size_t>(length));
}

void check_mpi(int code, const std::string& what) {
  EIGRAD_CHECK(code == MPI_SUCCESS, DistributedError, "eigrad::distributed: ", what, " failed: ", error_text(code));
}

MPI_Datatype datatype(ScalarType type) {
  switch (type) {
    case ScalarType::Float32: return MPI_FLOAT;
    case ScalarType::Float64: return MPI_DOUBLE;
    case ScalarType::Int64: return MPI_INT64_T;
  }
  EIGRAD_FAIL(ValueError, "eigrad::distributed: unknown scalar type");
}

int mpi_count(const Buffer& buffer, const char* what) {
  EIGRAD_CHECK(buffer.count >= 0 && buffer.count <= INT_MAX, ValueError, what, ": ", std::to_string(buffer.count),
               " elements exceed MPI's int count; split the tensor");
  return static_cast<int>(buffer.count);
}

// What the group and its outstanding collectives share. A collective that timed out cannot be
// cancelled in MPI (MPI_Cancel does not apply to collectives), so its request and buffers are
// kept here, and the group refuses new collectives.
struct State {
  MPI_Comm comm = MPI_COMM_NULL;
  int rank = 0;
  int size = 1;
  bool owns_mpi = false;
  std::string broken;
  std::vector<std::pair<MPI_Request, std::shared_ptr<const void>>> stranded;
};

class MpiWork final : public Work {
 public:
  MpiWork(std::string description, std::chrono::milliseconds timeout, std::shared_ptr<State> state,
          std::shared_ptr<const void> keep_alive)
      : Work(std::move(description), timeout), state_(std::move(state)), keep_alive_(std::move(keep_alive)) {}
  MPI_Request request = MPI_REQUEST_NULL;

 protected:
  bool poll() override {
    int flag = 0;
    check_mpi(MPI_Test(&request, &flag, MPI_STATUS_IGNORE), description());
    if (flag) keep_alive_.reset();
    return flag != 0;
  }
  void abandon(const std::string& message) override {
    state_->broken = message;
    state_->stranded.emplace_back(request, std::move(keep_alive_));
  }

 private:
  std::shared_ptr<State> state_;
  std::shared_ptr<const void> keep_alive_;
};

class MpiProcessGroup final : public ProcessGroup {
 public:
  MpiProcessGroup(std::shared_ptr<State> state, std::chrono::milliseconds timeout)
      : ProcessGroup(timeout), state_(std::move(state)) {}
  ~MpiProcessGroup() override { finalize(); }

  int rank() const override { return state_->rank; }
  int size() const override { return state_->size; }
  std::string backend() const override { return "mpi"; }
  Device device() const override { return Device::cpu(); }

  std::shared_ptr<Work> allreduce_buffer(Buffer buffer, ReduceOp op, std::shared_ptr<const void> keep_alive) override {
    const int count = mpi_count(buffer, "allreduce");
    EIGRAD_CHECK(!(op == ReduceOp::Average && buffer.type == ScalarType::Int64), ValueError,
                 "allreduce: average of int64 values is not defined");
    static const char* const names[] = {"sum", "average", "max"};
    auto work = start(eigrad::detail::str_cat("allreduce (", names[static_cast<int>(op)], ") of ",
                                              std::to_string(count), " ", scalar_type_name(buffer.type), " values"),
                      std::move(keep_alive));
    check_mpi(MPI_Iallreduce(MPI_IN_PLACE, buffer.data, count, datatype(buffer.type),
                             op == ReduceOp::Max ? MPI_MAX : MPI_SUM, state_->comm, &work->request),
              work->description());
    if (op == ReduceOp::Average) {
      const int ranks = size();
      work->then([buffer, ranks] {
        if (buffer.type == ScalarType::Float32) {
          divide(static_cast<float*>(buffer.data), buffer.count, static_cast<float>(ranks));
        } else {
          divide(static_cast<double*>(buffer.data), buffer.count, static_cast<double>(ranks));
        }
      });
    }
    return work;
  }

  std::shared_ptr<Work> broadcast_buffer(Buffer buffer, int root, std::shared_ptr<const void> keep_alive) override {
    const int count = mpi_count(buffer, "broadcast");
    auto work = start(eigrad::detail::str_cat("broadcast from rank ", std::to_string(root), " of ",
                                              std::to_string(count), " ", scalar_type_name(buffer.type), " values"),
                      std::move(keep_alive));
    check_mpi(MPI_Ibcast(buffer.data, count, datatype(buffer.type), root, state_->comm, &work->request),
              work->description());
    return work;
  }

  std::shared_ptr<Work> allgather_buffer(Buffer input, Buffer output, std::shared_ptr<const void> keep_alive) override {
    const int count = mpi_count(input, "allgather");
    EIGRAD_CHECK(output.type == input.type && output.count == input.count * size(), ValueError,
                 "allgather: the output must hold ", std::to_string(input.count * size()), " ",
                 scalar_type_name(input.type), " values");
    auto work = start(eigrad::detail::str_cat("allgather of ", std::to_string(count), " ",
                                              scalar_type_name(input.type), " values per rank"),
                      std::move(keep_alive));
    check_mpi(MPI_Iallgather(input.data, count, datatype(input.type), output.data, count, datatype(input.type),
                             state_->comm, &work->request),
              work->description());
    return work;
  }

  std::shared_ptr<Work> barrier_async() override {
    auto work = start("barrier", nullptr);
    check_mpi(MPI_Ibarrier(state_->comm, &work->request), work->description());
    return work;
  }

 private:
  template <class T>
  static void divide(T* values, std::int64_t count, T ranks) {
    for (std::int64_t i = 0; i < count; ++i) values[i] /= ranks;
  }

  std::shared_ptr<MpiWork> start(const std::string& what, std::shared_ptr<const void> keep_alive) {
    EIGRAD_CHECK(state_->broken.empty(), DistributedError,
                 "eigrad::distributed: the process group is unusable after an earlier failure: ", state_->broken);
    return std::make_shared<MpiWork>(eigrad::detail::str_cat(what, " on rank ", std::to_string(rank()), " of ",
                                                              std::to_string(size())),
                                     timeout(), state_, std::move(keep_alive));
  }

  // A stranded collective may still complete when the late rank arrives (given one more
  // timeout); MPI_Finalize with one pending is erroneous (and may hang), so MPI is left
  // unfinalised when any stays pending, and the launcher reports the process as failed.
  void finalize() {
    const auto deadline = std::chrono::steady_clock::now() + timeout();
    for (auto& [request, keep] : state_->stranded) {
      int flag = 0;
      while (MPI_Test(&request, &flag, MPI_STATUS_IGNORE) == MPI_SUCCESS && !flag &&
             std::chrono::steady_clock::now() < deadline) {
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
      }
      if (!flag) return;
    }
    MPI_Comm_free(&state_->comm);
    if (state_->owns_mpi) MPI_Finalize();
  }

  std::shared_ptr<State> state_;
};

// The first of the launcher variables present: Open MPI's, then PMI's (MPICH's Hydra, Slurm).
int launcher_value(const char* open_mpi, const char* pmi, int fallback) {
  for (const char* name : {open_mpi, pmi}) {
    if (const char* text = std::getenv(name)) return std::atoi(text);
  }
  return fallback;
}

// MPI_Init waits for the launcher's start-up exchange; if a rank never starts it never returns,
// and nothing in MPI can interrupt it. A watchdog thread then reports and ends the process.
void init_mpi_with_watchdog(std::chrono::milliseconds timeout, int launcher_rank, int launcher_size) {
  std::mutex mutex;
  std::condition_variable done_signal;
  bool done = false;
  std::thread watchdog([&] {
    std::unique_lock<std::mutex> lock(mutex);
    if (!done_signal.wait_for(lock, timeout, [&] { return done; })) {
      std::fprintf(stderr,
                   "eigrad::distributed: rank %d of %d: MPI_Init did not return within %lld ms (a rank never "
                   "started or the launcher is unreachable); exiting\n",
                   launcher_rank, launcher_size, static_cast<long long>(timeout.count()));
      std::fflush(stderr);
      std::_Exit(EXIT_FAILURE);
    }
  });
  int provided = 0;
  const int code = MPI_Init_thread(nullptr, nullptr, MPI_THREAD_FUNNELED, &provided);
  {
    std::lock_guard<std::mutex> lock(mutex);
    done = true;
  }
  done_signal.notify_one();
  watchdog.join();
  check_mpi(code, "MPI_Init_thread");
}

}  // namespace

bool built() { return true; }

std::shared_ptr<ProcessGroup> make_process_group(std::chrono::milliseconds timeout) {
  int finalized = 0;
  MPI_Finalized(&finalized);
  EIGRAD_CHECK(!finalized, DistributedError,
               "init_process_group: MPI was finalised in this process and cannot start again");
  const int launcher_rank = launcher_value("OMPI_COMM_WORLD_RANK", "PMI_RANK", 0);
  const int launcher_size = launcher_value("OMPI_COMM_WORLD_SIZE", "PMI_SIZE", 1);
  auto state = std::make_shared<State>();
  int initialized = 0;
  MPI_Initialized(&initialized);
  if (!initialized) {
    init_mpi_with_watchdog(timeout, launcher_rank, launcher_size);
    state->owns_mpi = true;
  }
  check_mpi(MPI_Comm_dup(MPI_COMM_WORLD, &state->comm), "MPI_Comm_dup");
  // Errors come back as codes (DistributedError) instead of aborting the job.
  MPI_Comm_set_errhandler(state->comm, MPI_ERRORS_RETURN);
  MPI_Comm_rank(state->comm, &state->rank);
  MPI_Comm_size(state->comm, &state->size);
  auto group = std::make_shared<MpiProcessGroup>(state, timeout);
  EIGRAD_CHECK(state->rank == launcher_rank && state->size == launcher_size, DistributedError,
               "init_process_group: MPI says rank ", std::to_string(state->rank), " of ", std::to_string(state->size),
               " but the launcher's environment says rank ", std::to_string(launcher_rank), " of ",
               std::to_string(launcher_size));
  try {
    group->barrier();
  } catch (const DistributedError&) {
    EIGRAD_FAIL(DistributedError, "init_process_group: rank ", std::to_string(state->rank), " of ",
                std::to_string(state->size), ": not every rank joined the process group within ",
                std::to_string(timeout.count()), " ms");
  }
  return group;
}

}  // namespace eigrad::distributed::mpi

#else  // EIGRAD_WITH_MPI

namespace eigrad::distributed::mpi {

bool built() { return false; }

std::shared_ptr<ProcessGroup> make_process_group(std::chrono::milliseconds) {
  EIGRAD_FAIL(ValueError, "init_process_group: eigrad was built without MPI (EIGRAD_WITH_MPI is OFF)");
}

}  // namespace eigrad::distributed::mpi

#endif  // EIGRAD_WITH_MPI
