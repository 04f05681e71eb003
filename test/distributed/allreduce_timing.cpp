// Not a test: measures the all-reduce time t(bytes) of float32 buffers under mpirun, for the
// alpha + beta * bytes model in bench/README.md ("## Distributed"). Prints one line per size:
// "bytes seconds_per_allreduce" (the median of 5 rounds, each the mean of a batch). The first
// argument names the backend: "mpi" (default, CPU tensors) or "nccl" (tensors on each rank's GPU).
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

#include "eigrad/distributed/process_group.hpp"

namespace distributed = eigrad::distributed;

int main(int argc, char** argv) {
  auto group = distributed::init_process_group(argc > 1 ? argv[1] : "mpi");
  for (const std::int64_t count : {1, 1024, 65536, 1 << 20, 4 << 20}) {
    const eigrad::Tensor<float> buffer = eigrad::zeros<float>({count}, eigrad::TensorOptions(group->device()));
    const int batch = count >= (1 << 20) ? 5 : 200;
    std::vector<double> rounds;
    for (int round = 0; round < 5; ++round) {
      group->barrier();
      const auto start = std::chrono::steady_clock::now();
      for (int i = 0; i < batch; ++i) group->allreduce(buffer);
      rounds.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count() / batch);
    }
    std::sort(rounds.begin(), rounds.end());
    if (group->rank() == 0) std::printf("%lld %.3e\n", static_cast<long long>(count * 4), rounds[2]);
  }
  distributed::destroy_process_group();
}
