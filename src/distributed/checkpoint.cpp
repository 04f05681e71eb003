#include "eigrad/distributed/checkpoint.hpp"

#include <exception>
#include <vector>

namespace eigrad::distributed {

namespace {

// Runs \p action where \p runs_here, then gathers who failed; returns the failed ranks.
std::vector<int> failed_ranks(ProcessGroup& group, bool runs_here, const std::function<void()>& action,
                              std::exception_ptr& error) {
  if (runs_here) {
    try {
      action();
    } catch (...) {
      error = std::current_exception();
    }
  }
  const std::vector<std::int64_t> failed = group.allgather(std::vector<std::int64_t>{error ? 1 : 0});
  std::vector<int> ranks;
  for (std::size_t r = 0; r < failed.size(); ++r) {
    if (failed[r]) ranks.push_back(static_cast<int>(r));
  }
  return ranks;
}

}  // namespace

void write_on_rank0(ProcessGroup& group, const std::function<void()>& write, const std::string& what) {
  std::exception_ptr error;
  const std::vector<int> failed = failed_ranks(group, group.rank() == 0, write, error);
  if (error) std::rethrow_exception(error);
  EIGRAD_CHECK(failed.empty(), IoError, "rank 0 failed to write ", what);
}

void read_on_every_rank(ProcessGroup& group, const std::function<void()>& read, const std::string& what) {
  std::exception_ptr error;
  const std::vector<int> failed = failed_ranks(group, true, read, error);
  if (error) std::rethrow_exception(error);
  if (failed.empty()) return;
  std::string ranks;
  for (int r : failed) ranks += (ranks.empty() ? "" : ", ") + std::to_string(r);
  EIGRAD_FAIL(IoError, "rank(s) ", ranks, " failed to read ", what);
}

}  // namespace eigrad::distributed
