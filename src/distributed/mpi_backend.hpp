#pragma once
// Internal: the MPI backend of eigrad::distributed (src/distributed/mpi_backend.cpp). Every
// source compiles without MPI; the backend's body needs EIGRAD_WITH_MPI.
#include <chrono>
#include <memory>

#include "eigrad/distributed/process_group.hpp"

namespace eigrad::distributed::mpi {

/// Whether this build has the MPI backend.
bool built();

/// Initialises MPI (unless the program did), checks the launcher's rank and size against MPI's
/// and waits for every rank to join, each within \p timeout. The group finalises MPI when it
/// initialised it.
std::shared_ptr<ProcessGroup> make_process_group(std::chrono::milliseconds timeout);

}  // namespace eigrad::distributed::mpi
