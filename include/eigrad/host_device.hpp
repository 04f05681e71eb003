#pragma once
/// \file host_device.hpp
/// \brief EIGRAD_HOST_DEVICE: marks code that must run both on the host and inside device
///        functors (Thrust/CUDA).
///
/// The device backend compiles the same functors with `nvcc` (CUDA) and with `g++` (Thrust's
/// CPP/OMP systems). Only nvcc understands the CUDA execution-space qualifiers, so they are
/// spelled through this macro and vanish for every other compiler.

#if defined(__CUDACC__)
/// Host and device execution space under nvcc.
#define EIGRAD_HOST_DEVICE __host__ __device__
#else
/// Empty outside nvcc: ordinary host code.
#define EIGRAD_HOST_DEVICE
#endif
