#define BOOST_TEST_MODULE memory
#include <boost/test/unit_test.hpp>

#include <malloc.h>

#include <atomic>
#include <cstdint>
#include <cstdlib>
#include <new>
#include <sstream>

#include "common/stages.hpp"

// Flat memory (issue 13, item 7): the step loops of stages 03 (autograd) and 06 (optimizers)
// run 100k steps without growing. Global operator new/delete of this executable count the
// live bytes and their peak (graph nodes, tensor handles, optimizer state, bookkeeping); the
// allocator's own count covers the tensor buffers Eigen takes from malloc directly.

#if defined(__SANITIZE_ADDRESS__)
#define EIGRAD_TEST_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define EIGRAD_TEST_ASAN 1
#endif
#endif
#ifdef EIGRAD_TEST_ASAN
#include <sanitizer/allocator_interface.h>
#endif

namespace {
std::atomic<std::int64_t> g_live{0};
std::atomic<std::int64_t> g_peak{0};

void note_allocated(void* p) {
  const auto size = static_cast<std::int64_t>(malloc_usable_size(p));
  const std::int64_t live = g_live.fetch_add(size, std::memory_order_relaxed) + size;
  std::int64_t peak = g_peak.load(std::memory_order_relaxed);
  while (live > peak && !g_peak.compare_exchange_weak(peak, live, std::memory_order_relaxed)) {
  }
}
}  // namespace

void* operator new(std::size_t size) {
  void* p = std::malloc(size == 0 ? 1 : size);
  if (!p) throw std::bad_alloc();
  note_allocated(p);
  return p;
}
void* operator new[](std::size_t size) { return operator new(size); }
void operator delete(void* p) noexcept {
  if (!p) return;
  g_live.fetch_sub(static_cast<std::int64_t>(malloc_usable_size(p)), std::memory_order_relaxed);
  std::free(p);
}
void operator delete[](void* p) noexcept { operator delete(p); }
void operator delete(void* p, std::size_t) noexcept { operator delete(p); }
void operator delete[](void* p, std::size_t) noexcept { operator delete(p); }

using namespace eigrad::samples;

namespace {

/// Bytes the C allocator holds for the program (every malloc, operator new's included).
std::int64_t allocator_bytes() {
#ifdef EIGRAD_TEST_ASAN
  return static_cast<std::int64_t>(__sanitizer_get_current_allocated_bytes());
#else
  const struct mallinfo2 info = mallinfo2();
  return static_cast<std::int64_t>(info.uordblks + info.hblkhd);
#endif
}

struct Usage {
  std::int64_t peak;    // peak live operator-new bytes during the run, above the start
  std::int64_t after;   // live operator-new bytes after the run, above the start
  std::int64_t malloc;  // the allocator's bytes after the run, above the start
};

/// Runs \p run for \p steps steps with no trace lines (a trace grows with the steps by design).
Usage measure(StageFunction run, StageOptions options, std::int64_t steps) {
  options.iters = steps;
  options.print_every = std::int64_t{1} << 62;
  const std::int64_t start = g_live.load(), start_malloc = allocator_bytes();
  g_peak.store(start);
  bool finished = false;
  {
    std::ostringstream out;
    finished = !run(options, out).result.empty();
  }
  BOOST_TEST(finished);
  return {g_peak.load() - start, g_live.load() - start, allocator_bytes() - start_malloc};
}

void check_flat(const char* stage, StageFunction run, StageOptions options) {
  options.n = 16;
  options.seed = 7;
  measure(run, options, 1000);  // warm-up: per-thread caches reach their size
  const Usage warm = measure(run, options, 1000);
  const Usage long_run = measure(run, options, 100000);
  BOOST_TEST_MESSAGE(stage << ": peak live operator-new bytes " << warm.peak << " over 1k steps, " << long_run.peak
                           << " over 100k; left after the runs " << warm.after << " and " << long_run.after
                           << "; allocator bytes left " << warm.malloc << " and " << long_run.malloc);
  // The peak may also fall at the end of a run, when the result is formatted: its strings
  // differ by a few bytes between runs (the digits of other weights). A growth per step would
  // show as 100k times its size.
  constexpr std::int64_t kResultTextSlack = 64;
  BOOST_TEST(long_run.peak <= warm.peak + kResultTextSlack, stage << ": the step loop's live memory grows with the steps");
  BOOST_TEST(warm.after == 0);
  BOOST_TEST(long_run.after == 0);
  // A byte leaked a step would leave 100 kB; the allocator's count also holds its own caches.
  constexpr std::int64_t kAllocatorSlack = 16 << 10;
  BOOST_TEST(long_run.malloc <= kAllocatorSlack, stage << ": " << long_run.malloc << " bytes left after 100k steps");
}

}  // namespace

BOOST_AUTO_TEST_CASE(stage03_step_loop_runs_100k_steps_in_flat_memory) {
  for (const char* dtype : {"float32", "float64"}) {
    StageOptions o = default_options(defaults_autograd());
    o.dtype = dtype;
    check_flat(dtype, &run_autograd, o);
  }
}

BOOST_AUTO_TEST_CASE(stage06_step_loop_runs_100k_steps_in_flat_memory) {
  for (const char* optimizer : {"rmsprop", "adam", "sgd"}) {
    StageOptions o = default_options(defaults_optim());
    o.optimizer = optimizer;
    if (o.optimizer == "sgd") o.lr = 1e-4;
    check_flat(optimizer, &run_optim, o);
  }
}
