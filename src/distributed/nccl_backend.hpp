#pragma once
// Internal: the NCCL backend of eigrad::distributed (src/distributed/nccl_backend.cpp). Every
// source compiles without NCCL; the backend's body needs EIGRAD_WITH_NCCL (a CUDA build with
// MPI and NCCL, see CMakeLists.txt), and without it the source says why it is missing.
#include <chrono>
#include <memory>

#include "eigrad/distributed/process_group.hpp"

namespace eigrad::distributed::nccl {

/// Whether this build has the NCCL backend.
bool built();

/// Starts the ranks through MPI (mpi::make_process_group), puts this rank on
/// cuda:(local rank % device count), and makes the NCCL communicator from rank 0's unique id.
/// DeviceError on every rank when any rank has no CUDA device. Without NCCL built, ValueError
/// saying why (the reason CMake gave).
std::shared_ptr<ProcessGroup> make_process_group(std::chrono::milliseconds timeout);

}  // namespace eigrad::distributed::nccl
