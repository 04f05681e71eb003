// Choosing a backend, in every build and without a launcher: a backend this build lacks is a
// ValueError that says why (for "nccl", the reason CMake gave), and an unknown one names the
// backends there are.
#define BOOST_TEST_MODULE distributed_backends
#include <boost/test/unit_test.hpp>

#include <string>

#include "eigrad/device.hpp"
#include "eigrad/distributed/process_group.hpp"

using namespace eigrad;
namespace dist = eigrad::distributed;

namespace {

bool starts_with(const std::string& text, const std::string& prefix) { return text.rfind(prefix, 0) == 0; }

}  // namespace

BOOST_AUTO_TEST_CASE(nccl_without_nccl_is_a_value_error_saying_why) {
  if (dist::is_available("nccl")) {
    BOOST_TEST_MESSAGE("skipped: this build has NCCL (test_distributed_nccl_np2 runs it)");
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
