// Choosing a backend, in every build and without a launcher: a backend this build lacks is a
// ValueError that says why (for "nccl", the reason CMake gave), and an unknown one names the
// backends there are. With NCCL built, a process started alone (MPI's singleton) starts the
// NCCL group on its GPU, or fails with a DeviceError when it has none.
#define BOOST_TEST_MODULE distributed_backends
#include <boost/test/unit_test.hpp>

#include <string>

#include "eigrad/device.hpp"
#include "eigrad/distributed/process_group.hpp"
#include "eigrad/tensor.hpp"

using namespace eigrad;
namespace dist = eigrad::distributed;

namespace {

bool starts_with(const std::string& text, const std::string& prefix) { return text.rfind(prefix, 0) == 0; }

}  // namespace

BOOST_AUTO_TEST_CASE(nccl_without_nccl_is_a_value_error_saying_why) {
  if (dist::is_available("nccl")) {
    BOOST_TEST_MESSAGE("skipped: this build has NCCL (the next case starts it)");
    return;
  }
  const std::string backend = device_backend_name();
  BOOST_CHECK_EXCEPTION(dist::init_process_group("nccl"), ValueError, [&](const ValueError& e) {
    const std::string message = e.what();
    BOOST_TEST_MESSAGE(message);
    const std::string prefix = "init_process_group: eigrad was built without NCCL (EIGRAD_WITH_NCCL is OFF: ";
    if (backend != "CUDA") return message == prefix + "the device backend is " + backend + ", not CUDA)";
    return starts_with(message, prefix) && message.size() > prefix.size() + 1;
  });
  BOOST_TEST(!dist::is_initialized());
}

BOOST_AUTO_TEST_CASE(an_unknown_backend_names_the_known_ones) {
  BOOST_CHECK_EXCEPTION(dist::init_process_group("gloo"), ValueError, [](const ValueError& e) {
    return std::string(e.what()) == "init_process_group: unknown backend 'gloo' (expected mpi or nccl)";
  });
  BOOST_TEST(!dist::is_available("gloo"));
  BOOST_TEST(!dist::is_initialized());
}

BOOST_AUTO_TEST_CASE(nccl_starts_on_this_ranks_gpu_or_names_the_ranks_without_one) {
  if (!dist::is_available("nccl")) {
    BOOST_TEST_MESSAGE("skipped: this build has no NCCL (the case above checks the error)");
    return;
  }
  if (!cuda::is_available()) {
    BOOST_CHECK_EXCEPTION(dist::init_process_group("nccl"), DeviceError, [](const DeviceError& e) {
      BOOST_TEST_MESSAGE(e.what());
      return starts_with(e.what(), "init_process_group(\"nccl\"): no CUDA device on rank(s) 0 of 1 (rank 0: ");
    });
    BOOST_TEST(!dist::is_initialized());
    return;
  }
  const auto group = dist::init_process_group("nccl");
  BOOST_TEST(group->backend() == "nccl");
  BOOST_TEST(group->device() == Device::cuda(0));
  const Tensor<double> values = Tensor<double>{1.5, -2, 3}.to(group->device());
  group->allreduce(values, dist::ReduceOp::Average);
  BOOST_TEST(values.to_vector() == (std::vector<double>{1.5, -2, 3}));
  group->barrier();
  dist::destroy_process_group();
}
