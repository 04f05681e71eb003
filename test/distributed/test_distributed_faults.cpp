// Fault behaviour of eigrad::distributed under mpirun, one scenario per run (argv[1]):
//   never-joins  ranks other than 0 reach the collective 2.5 s late: rank 0 must fail with a clear
//                DistributedError after its 1.5 s timeout, and the group then refuses new work;
//                the late ranks complete the stranded collective so the job still ends cleanly.
//   dies         rank 1 exits before the collective: every other rank must fail with the same
//                clear error within its timeout (when the launcher lets them run on:
//                `--mca orte_abort_on_non_zero_status 0`; by default mpirun ends the job itself).
//   joins-late   rank 1 starts the group 2.5 s late: rank 0's init_process_group must fail with a
//                clear error after its 1.5 s timeout (a DistributedError once MPI is up, or the
//                start-up watchdog's message and exit when MPI_Init itself waits for the rank).
// Prints "PASS: ..." on each rank that behaved as documented; exits non-zero otherwise.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>

#include "eigrad/distributed/process_group.hpp"

namespace distributed = eigrad::distributed;
using Clock = std::chrono::steady_clock;

namespace {

constexpr auto kTimeout = std::chrono::milliseconds(1500);
// Late enough to miss rank 0's deadline, early enough to complete its stranded collective before
// rank 0's group gives up on it at exit (one more timeout).
constexpr auto kLate = std::chrono::milliseconds(2500);

int fail(const std::string& why) {
  std::fprintf(stderr, "FAIL: %s\n", why.c_str());
  return 1;
}

// The waiting ranks' side: an allreduce that times out with the documented message, then a
// group that refuses new work.
int expect_timeout(distributed::ProcessGroup& group) {
  const eigrad::Tensor<float> values{1, 2, 3};
  const auto start = Clock::now();
  try {
    group.allreduce(values);
    return fail("the allreduce completed although a rank was missing");
  } catch (const distributed::DistributedError& e) {
    const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
    const std::string message = e.what();
    const std::string expected = "allreduce (sum) of 3 float32 values on rank " + std::to_string(group.rank()) +
                                 " of " + std::to_string(group.size()) + " did not complete within 1500 ms";
    std::fprintf(stderr, "rank %d after %.2f s: %s\n", group.rank(), seconds, message.c_str());
    if (message.find(expected) == std::string::npos) return fail("unexpected message");
    if (seconds < 1.4 || seconds > 3.0) return fail("the timeout did not fire after about 1.5 s");
  }
  try {
    group.barrier();
    return fail("the broken group accepted a barrier");
  } catch (const distributed::DistributedError& e) {
    if (std::string(e.what()).find("unusable after an earlier failure") == std::string::npos) {
      return fail(std::string("unexpected message: ") + e.what());
    }
  }
  return 0;
}

// Ranks are known from the launcher before MPI starts.
int joins_late() {
  const char* rank_text = std::getenv("OMPI_COMM_WORLD_RANK");
  const int rank = rank_text ? std::atoi(rank_text) : 0;
  if (rank == 1) std::this_thread::sleep_for(kLate);
  const auto start = Clock::now();
  try {
    distributed::init_process_group("mpi", distributed::ProcessGroupOptions().timeout(kTimeout));
  } catch (const distributed::DistributedError& e) {
    const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
    std::fprintf(stderr, "rank %d after %.2f s: %s\n", rank, seconds, e.what());
    if (rank != 0) return fail("a rank other than 0 failed to start");
    if (std::string(e.what()).find("not every rank joined the process group within 1500 ms") == std::string::npos) {
      return fail("unexpected message");
    }
    if (seconds < 1.4 || seconds > 3.0) return fail("the timeout did not fire after about 1.5 s");
    std::printf("PASS: rank 0 failed with a clear error within its timeout (joins-late)\n");
    std::fflush(stdout);
    return 0;
  }
  if (rank == 0) return fail("init_process_group returned although rank 1 was late");
  distributed::destroy_process_group();
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  const std::string scenario = argc > 1 ? argv[1] : "";
  if (scenario != "never-joins" && scenario != "dies" && scenario != "joins-late") {
    return fail("usage: test_distributed_faults never-joins|dies|joins-late");
  }
  if (scenario == "joins-late") return joins_late();
  auto group = distributed::init_process_group("mpi", distributed::ProcessGroupOptions().timeout(kTimeout));
  if (group->size() < 2) return fail("needs at least 2 ranks");
  int code = 0;
  if (scenario == "dies" && group->rank() == 1) std::_Exit(3);
  if (group->rank() == 0 || scenario == "dies") {
    code = expect_timeout(*group);
    if (code == 0) {
      std::printf("PASS: rank %d failed with a clear error within its timeout (%s)\n", group->rank(), scenario.c_str());
    }
  } else {
    std::this_thread::sleep_for(kLate);
    group->allreduce(eigrad::Tensor<float>{1, 2, 3});
  }
  std::fflush(stdout);
  distributed::destroy_process_group();
  return code;
}
