#include "eigrad/distributed/process_group.hpp"

#include <algorithm>
#include <thread>
#include <utility>

#include "mpi_backend.hpp"
#include "nccl_backend.hpp"

namespace eigrad::distributed {

const char* scalar_type_name(ScalarType type) {
  switch (type) {
    case ScalarType::Float32: return "float32";
    case ScalarType::Float64: return "float64";
    case ScalarType::Int64: return "int64";
  }
  return "?";
}

// ---------------------------------------------------------------------------- Work

bool Work::finish() {
  if (done_) return true;
  if (!poll()) return false;
  done_ = true;
  for (auto& step : then_) step();
  then_.clear();
  return true;
}

bool Work::is_completed() {
  if (!failure_.empty()) EIGRAD_FAIL(DistributedError, failure_);
  try {
    return finish();
  } catch (const std::exception& e) {
    failure_ = e.what();
    throw;
  }
}

void Work::wait() {
  using Clock = std::chrono::steady_clock;
  const auto start = Clock::now();
  const auto deadline = start + timeout_;
  // Yield while a collective is likely to finish soon (ranks may share cores), then sleep in
  // short steps so a long wait leaves the cores to the ranks still computing.
  const auto spin_for = std::chrono::milliseconds(2);
  while (!is_completed()) {
    const auto now = Clock::now();
    if (now >= deadline) {
      failure_ = eigrad::detail::str_cat("eigrad::distributed: ", description_, " did not complete within ",
                                 std::to_string(timeout_.count()),
                                 " ms: another rank died, hung or never joined it; the process group "
                                 "is unusable from now on");
      abandon(failure_);
      EIGRAD_FAIL(DistributedError, failure_);
    }
    if (now - start < spin_for) {
      std::this_thread::yield();
    } else {
      std::this_thread::sleep_for(std::chrono::microseconds(200));
    }
  }
}

// ---------------------------------------------------------------------------- typed collectives

namespace {

template <class T>
Buffer buffer_of(const ProcessGroup& group, const Tensor<T>& tensor, const char* what) {
  EIGRAD_CHECK(tensor.defined(), ValueError, what, ": the tensor is undefined");
  EIGRAD_CHECK(tensor.device() == group.device(), DeviceError, what, ": the ", group.backend(), " backend of rank ",
               std::to_string(group.rank()), " takes tensors on ", group.device().str(), ", not on ",
               tensor.device().str(), " (shape ", to_string(tensor.shape()), ")");
  return Buffer{tensor.data_ptr(), tensor.numel(), scalar_type_of<T>()};
}

// The collective writes the tensor's elements behind autograd's back: views see the change
// through the shared version counter.
template <class T>
std::shared_ptr<Work> marking_modified(std::shared_ptr<Work> work, const Tensor<T>& tensor) {
  work->then([tensor] { tensor.mark_modified(); });
  return work;
}

}  // namespace

template <class T>
std::shared_ptr<Work> ProcessGroup::allreduce_async(const Tensor<T>& tensor, ReduceOp op) {
  const Buffer buffer = buffer_of(*this, tensor, "allreduce");
  return marking_modified(allreduce_buffer(buffer, op, std::make_shared<Tensor<T>>(tensor)), tensor);
}

template <class T>
std::shared_ptr<Work> ProcessGroup::broadcast_async(const Tensor<T>& tensor, int root) {
  EIGRAD_CHECK(root >= 0 && root < size(), ValueError, "broadcast: root ", std::to_string(root),
               " is not a rank of a group of ", std::to_string(size()));
  const Buffer buffer = buffer_of(*this, tensor, "broadcast");
  return marking_modified(broadcast_buffer(buffer, root, std::make_shared<Tensor<T>>(tensor)), tensor);
}

template <class T>
std::shared_ptr<Work> ProcessGroup::allgather_async(const Tensor<T>& tensor, const Tensor<T>& output) {
  Shape expected{size()};
  expected.insert(expected.end(), tensor.shape().begin(), tensor.shape().end());
  EIGRAD_CHECK(output.defined() && output.shape() == expected, ShapeError, "allgather: the output must have shape ",
               to_string(expected), ", not ", output.defined() ? to_string(output.shape()) : "undefined");
  const Buffer input = buffer_of(*this, tensor, "allgather");
  const Buffer gathered = buffer_of(*this, output, "allgather");
  auto keep = std::make_shared<std::pair<Tensor<T>, Tensor<T>>>(tensor, output);
  return marking_modified(allgather_buffer(input, gathered, std::move(keep)), output);
}

template <class T>
Tensor<T> ProcessGroup::allgather(const Tensor<T>& tensor) {
  Shape shape{size()};
  shape.insert(shape.end(), tensor.shape().begin(), tensor.shape().end());
  Tensor<T> output = empty<T>(shape, tensor.device());
  allgather_async(tensor, output)->wait();
  return output;
}

std::vector<std::int64_t> ProcessGroup::allgather(const std::vector<std::int64_t>& values) {
  // Held by the collectives: after a timeout a late rank may still write into them.
  using Values = std::vector<std::int64_t>;
  const auto count = std::make_shared<Values>(1, static_cast<std::int64_t>(values.size()));
  const auto counts = std::make_shared<Values>(static_cast<std::size_t>(size()));
  allgather_buffer(Buffer{count->data(), 1, ScalarType::Int64, true},
                   Buffer{counts->data(), size(), ScalarType::Int64, true},
                   std::make_shared<std::pair<std::shared_ptr<Values>, std::shared_ptr<Values>>>(count, counts))
      ->wait();
  for (int r = 0; r < size(); ++r) {
    EIGRAD_CHECK((*counts)[r] == (*count)[0], DistributedError, "allgather: rank ", std::to_string(rank()), " gives ",
                 std::to_string((*count)[0]), " values but rank ", std::to_string(r), " gives ",
                 std::to_string((*counts)[r]));
  }
  const auto input = std::make_shared<Values>(values);
  const auto gathered = std::make_shared<Values>(values.size() * counts->size());
  allgather_buffer(Buffer{input->data(), (*count)[0], ScalarType::Int64, true},
                   Buffer{gathered->data(), static_cast<std::int64_t>(gathered->size()), ScalarType::Int64, true},
                   std::make_shared<std::pair<std::shared_ptr<Values>, std::shared_ptr<Values>>>(input, gathered))
      ->wait();
  return *gathered;
}

template std::shared_ptr<Work> ProcessGroup::allreduce_async(const Tensor<float>&, ReduceOp);
template std::shared_ptr<Work> ProcessGroup::allreduce_async(const Tensor<double>&, ReduceOp);
template std::shared_ptr<Work> ProcessGroup::broadcast_async(const Tensor<float>&, int);
template std::shared_ptr<Work> ProcessGroup::broadcast_async(const Tensor<double>&, int);
template std::shared_ptr<Work> ProcessGroup::allgather_async(const Tensor<float>&, const Tensor<float>&);
template std::shared_ptr<Work> ProcessGroup::allgather_async(const Tensor<double>&, const Tensor<double>&);
template Tensor<float> ProcessGroup::allgather(const Tensor<float>&);
template Tensor<double> ProcessGroup::allgather(const Tensor<double>&);

// ---------------------------------------------------------------------------- the default group

namespace {
std::shared_ptr<ProcessGroup>& default_slot() {
  static std::shared_ptr<ProcessGroup> group;
  return group;
}
}  // namespace

bool is_available(const std::string& backend) {
  return (backend == "mpi" && mpi::built()) || (backend == "nccl" && nccl::built());
}

std::shared_ptr<ProcessGroup> init_process_group(const std::string& backend, ProcessGroupOptions options) {
  EIGRAD_CHECK(!default_slot(), DistributedError, "init_process_group: the default process group exists already");
  if (backend == "mpi") {
    EIGRAD_CHECK(mpi::built(), ValueError,
                 "init_process_group: eigrad was built without MPI (EIGRAD_WITH_MPI is OFF)");
    default_slot() = mpi::make_process_group(options.timeout());
    return default_slot();
  }
  if (backend == "nccl") {
    default_slot() = nccl::make_process_group(options.timeout());
    return default_slot();
  }
  EIGRAD_FAIL(ValueError, "init_process_group: unknown backend '", backend, "' (expected mpi or nccl)");
}

bool is_initialized() { return static_cast<bool>(default_slot()); }

std::shared_ptr<ProcessGroup> default_group() {
  EIGRAD_CHECK(default_slot(), DistributedError, "no default process group: call init_process_group() first");
  return default_slot();
}

void destroy_process_group() { default_slot().reset(); }

}  // namespace eigrad::distributed
