#pragma once
/// \file process_group.hpp
/// \brief eigrad::distributed: a ProcessGroup of ranks running one program, with the
///        collectives data-parallel training needs (allreduce, broadcast, allgather, barrier),
///        each blocking or asynchronous, as `torch.distributed`.
///
/// A backend implements the type-erased buffer collectives (`*_buffer`); the typed tensor
/// calls and the waiting with a deadline are shared. Backends: "mpi" (CPU tensors) and, in a
/// CUDA build with NCCL, "nccl" (tensors on this rank's CUDA device; see doc/distributed.md).
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "eigrad/arg.hpp"
#include "eigrad/errors.hpp"
#include "eigrad/tensor.hpp"

namespace eigrad::distributed {

/// A collective that failed: a rank died, hung or never joined within the group's timeout,
/// the transport reported an error, or the ranks disagree (shapes, counts).
class DistributedError : public Error {
 public:
  using Error::Error;
};

/// How allreduce combines the ranks' values.
enum class ReduceOp {
  Sum,      ///< the sum over ranks
  Average,  ///< the sum over ranks divided by the number of ranks
  Max       ///< the largest value over ranks
};

/// The element type of a buffer handed to a backend.
enum class ScalarType {
  Float32,  ///< float
  Float64,  ///< double
  Int64     ///< std::int64_t (shape signatures, counts)
};

/// ScalarType of \p T.
template <class T>
constexpr ScalarType scalar_type_of();
/// float is Float32.
template <>
constexpr ScalarType scalar_type_of<float>() { return ScalarType::Float32; }
/// double is Float64.
template <>
constexpr ScalarType scalar_type_of<double>() { return ScalarType::Float64; }
/// std::int64_t is Int64.
template <>
constexpr ScalarType scalar_type_of<std::int64_t>() { return ScalarType::Int64; }

/// "float32", "float64" or "int64".
const char* scalar_type_name(ScalarType type);

/// Contiguous elements that a collective reads and writes: in the memory of the group's
/// device() (a device pointer for "nccl"), or in host memory when on_host is set.
struct Buffer {
  void* data = nullptr;     ///< first element
  std::int64_t count = 0;   ///< number of elements
  ScalarType type = ScalarType::Float32;  ///< element type
  /// Host memory whatever the group's device: the control values a group exchanges (counts,
  /// shape signatures, success flags), which a device backend stages or sends another way.
  bool on_host = false;
};

/// A started collective. wait() blocks until it completes, or throws DistributedError once
/// the group's timeout has passed (a rank died, hung or never joined), after which the group
/// is unusable. The buffers stay alive as long as the collective may still write them.
class Work {
 public:
  /// Polls without blocking; runs the completion steps (e.g. the division of an average) once.
  bool is_completed();
  /// Blocks until completion (polling with a deadline); rethrows a failure every time.
  void wait();
  /// What the collective does, for messages ("allreduce (sum) of 5 float32 values").
  const std::string& description() const { return description_; }
  /// Adds a step run once after completion (in order), before wait() returns.
  void then(std::function<void()> step) { then_.push_back(std::move(step)); }
  virtual ~Work() = default;

 protected:
  /// A collective described by \p description whose wait() gives up after \p timeout.
  Work(std::string description, std::chrono::milliseconds timeout)
      : description_(std::move(description)), timeout_(timeout) {}
  /// Progresses the transport once; true when the collective has completed. Throws
  /// DistributedError on a transport error.
  virtual bool poll() = 0;
  /// Called once when wait() gives up: a backend that cannot cancel the collective keeps its
  /// buffers alive and marks its group unusable.
  virtual void abandon(const std::string& message) = 0;

 private:
  bool finish();
  std::string description_;
  std::chrono::milliseconds timeout_;
  std::vector<std::function<void()>> then_;
  bool done_ = false;
  std::string failure_;
};

/// Options of init_process_group().
struct ProcessGroupOptions {
  /// How long a collective (and the start-up, see doc/distributed.md) may wait for the other
  /// ranks before failing with DistributedError (torch.distributed's default: 30 minutes).
  EIGRAD_ARG(std::chrono::milliseconds, timeout) = std::chrono::minutes(30);
};

/// The ranks of one job and their collectives. In-place collectives write into the tensors
/// they are given (every handle sees the result) and bump their version counters.
class ProcessGroup {
 public:
  virtual ~ProcessGroup() = default;
  /// This process's rank, 0 .. size() - 1.
  virtual int rank() const = 0;
  /// The number of ranks.
  virtual int size() const = 0;
  /// "mpi" or "nccl".
  virtual std::string backend() const = 0;
  /// The device of the tensors the collectives take: cpu for "mpi", this rank's cuda:K for
  /// "nccl". A tensor elsewhere is a DeviceError naming both devices.
  virtual Device device() const = 0;
  /// The deadline of every wait.
  std::chrono::milliseconds timeout() const { return timeout_; }
  /// Changes the deadline of collectives started from now on.
  void set_timeout(std::chrono::milliseconds timeout) { timeout_ = timeout; }

  // ------------------------------------------------------------------ backend interface
  /// Starts an elementwise reduction of \p buffer over all ranks, in place. \p keep_alive
  /// owns the memory until the collective can no longer write it.
  virtual std::shared_ptr<Work> allreduce_buffer(Buffer buffer, ReduceOp op, std::shared_ptr<const void> keep_alive) = 0;
  /// Starts copying \p buffer of rank \p root to every rank, in place.
  virtual std::shared_ptr<Work> broadcast_buffer(Buffer buffer, int root, std::shared_ptr<const void> keep_alive) = 0;
  /// Starts gathering every rank's \p input into \p output (size() * input.count elements,
  /// rank r's at r * input.count). Every rank must give the same count.
  virtual std::shared_ptr<Work> allgather_buffer(Buffer input, Buffer output, std::shared_ptr<const void> keep_alive) = 0;
  /// Starts a barrier.
  virtual std::shared_ptr<Work> barrier_async() = 0;

  // ------------------------------------------------------------------ tensors
  /// Starts allreduce of \p tensor (on device()) in place.
  template <class T>
  std::shared_ptr<Work> allreduce_async(const Tensor<T>& tensor, ReduceOp op = ReduceOp::Sum);
  /// allreduce_async(), then wait().
  template <class T>
  void allreduce(const Tensor<T>& tensor, ReduceOp op = ReduceOp::Sum) { allreduce_async(tensor, op)->wait(); }
  /// Starts copying rank \p root's \p tensor into every rank's \p tensor (same shape everywhere).
  template <class T>
  std::shared_ptr<Work> broadcast_async(const Tensor<T>& tensor, int root = 0);
  /// broadcast_async(), then wait().
  template <class T>
  void broadcast(const Tensor<T>& tensor, int root = 0) { broadcast_async(tensor, root)->wait(); }
  /// Starts gathering every rank's \p tensor (one shape on every rank) into \p output of shape
  /// [size(), tensor's shape...] (ShapeError otherwise).
  template <class T>
  std::shared_ptr<Work> allgather_async(const Tensor<T>& tensor, const Tensor<T>& output);
  /// Every rank's \p tensor stacked: shape [size(), tensor's shape...].
  template <class T>
  Tensor<T> allgather(const Tensor<T>& tensor);
  /// Every rank's \p values concatenated (rank order); DistributedError when the ranks give
  /// different counts.
  std::vector<std::int64_t> allgather(const std::vector<std::int64_t>& values);
  /// Waits until every rank has called barrier().
  void barrier() { barrier_async()->wait(); }

 protected:
  /// A group whose waits give up after \p timeout.
  explicit ProcessGroup(std::chrono::milliseconds timeout) : timeout_(timeout) {}

 private:
  std::chrono::milliseconds timeout_;
};

/// Starts this process's part of a job and makes it the default group: \p backend "mpi"
/// or "nccl" (rank and size from the launcher, e.g. `mpirun -np 4`; a process started alone is
/// rank 0 of 1; "nccl" puts rank r on cuda:(local rank % device count)). The ranks must all
/// call it; it returns once they all have, or throws DistributedError after
/// options.timeout(). ValueError for an unknown backend or one this build lacks (the message
/// says why); DeviceError for "nccl" without a CUDA device; DistributedError when a default
/// group exists already.
std::shared_ptr<ProcessGroup> init_process_group(const std::string& backend, ProcessGroupOptions options = {});

/// Whether init_process_group() has made a default group (and destroy_process_group() has not
/// ended it).
bool is_initialized();

/// The default group; DistributedError before init_process_group().
std::shared_ptr<ProcessGroup> default_group();

/// Ends the default group (MPI_Finalize). MPI cannot start again in the same process.
void destroy_process_group();

/// Whether this build has \p backend ("mpi": built with EIGRAD_WITH_MPI; "nccl": built with
/// EIGRAD_WITH_NCCL). Says nothing of the devices: "nccl" also needs a GPU to start.
bool is_available(const std::string& backend);

#ifndef EIGRAD_DOXYGEN  // Doxygen takes these for members it cannot match
extern template std::shared_ptr<Work> ProcessGroup::allreduce_async(const Tensor<float>&, ReduceOp);
extern template std::shared_ptr<Work> ProcessGroup::allreduce_async(const Tensor<double>&, ReduceOp);
extern template std::shared_ptr<Work> ProcessGroup::broadcast_async(const Tensor<float>&, int);
extern template std::shared_ptr<Work> ProcessGroup::broadcast_async(const Tensor<double>&, int);
extern template std::shared_ptr<Work> ProcessGroup::allgather_async(const Tensor<float>&, const Tensor<float>&);
extern template std::shared_ptr<Work> ProcessGroup::allgather_async(const Tensor<double>&, const Tensor<double>&);
extern template Tensor<float> ProcessGroup::allgather(const Tensor<float>&);
extern template Tensor<double> ProcessGroup::allgather(const Tensor<double>&);
#endif

}  // namespace eigrad::distributed
