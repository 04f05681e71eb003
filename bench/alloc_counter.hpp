#pragma once
// Counts heap allocations in the benchmark executable: alloc_counter.cpp replaces the global
// operator new (every form) and interposes malloc, calloc, realloc, posix_memalign,
// aligned_alloc and memalign, forwarding them to glibc's allocator. Eigen (and so eigrad's
// tensor buffers) allocates with malloc, not operator new, so both are counted.
#include <cstdint>

namespace eigrad_bench {

/// Allocation calls made so far by the whole process (every thread).
struct AllocCount {
  std::uint64_t heap = 0;          ///< malloc-family calls, those made by operator new included
  std::uint64_t operator_new = 0;  ///< calls of a global operator new
};

/// The counts now; subtract two of them to count a stretch of code.
AllocCount alloc_count();

}  // namespace eigrad_bench
