#pragma once
/// \file checkpoint.hpp
/// \brief Checkpoints of a data-parallel job: rank 0 writes (atomically, as nn::save and
///        Optimizer::save do), every rank reads, and all ranks agree on success.
#include <functional>
#include <string>

#include "eigrad/distributed/process_group.hpp"
#include "eigrad/nn/checkpoint.hpp"

namespace eigrad::distributed {

/// Runs \p write on rank 0 only, then tells every rank whether it succeeded, so that no rank
/// reads a file that is not there: rank 0 rethrows its own error, the others throw IoError
/// "rank 0 failed to write WHAT". Every rank must call it.
void write_on_rank0(ProcessGroup& group, const std::function<void()>& write, const std::string& what);

/// Runs \p read on every rank, then checks that it succeeded everywhere: a rank that failed
/// rethrows its own error, the others throw IoError naming the failed ranks, so no rank
/// trains on while another stopped. Every rank must call it.
void read_on_every_rank(ProcessGroup& group, const std::function<void()>& read, const std::string& what);

/// nn::save(module, path) on rank 0 (see write_on_rank0()).
template <class T>
void save(ProcessGroup& group, const nn::Module<T>& module, const std::string& path) {
  write_on_rank0(group, [&] { nn::save(module, path); }, path);
}

/// nn::load(module, path) (strict) on every rank (see read_on_every_rank()).
template <class T>
void load(ProcessGroup& group, nn::Module<T>& module, const std::string& path) {
  read_on_every_rank(group, [&] { nn::load(module, path); }, path);
}

}  // namespace eigrad::distributed
