// The device kernel table of a build without a device backend (EIGRAD_DEVICE_BACKEND=NONE):
// tensor code calls the table behind a device check, and no tensor can be on "cuda" in such a
// build (check_device_available refuses it), so these entries are reached only by a direct call.
// Each says so instead of leaving the library unlinkable.
#include "eigrad/cuda/kernels.hpp"
#include "eigrad/errors.hpp"

#if !EIGRAD_DEVICE_BACKEND_BUILT
namespace eigrad::cuda {

namespace {
[[noreturn]] void unavailable(const char* entry) {
  EIGRAD_FAIL(DeviceError, "cuda::", entry, " called, but this eigrad was built without a device backend "
              "(EIGRAD_DEVICE_BACKEND=NONE)");
}
}  // namespace

template <class T>
void copy_from_host(T*, const T*, std::int64_t) { unavailable("copy_from_host"); }
template <class T>
void copy_to_host(T*, const T*, std::int64_t) { unavailable("copy_to_host"); }
template <class T>
void fill(T*, std::int64_t, T) { unavailable("fill"); }
template <class T>
void copy(T*, const T*, std::int64_t) { unavailable("copy"); }
template <class T>
void transpose(const T*, T*, std::int64_t, std::int64_t) { unavailable("transpose"); }
template <class T>
void unary(const Unary<T>&, const T*, T*, std::int64_t) { unavailable("unary"); }
template <class T>
void unary_grad(const Unary<T>&, const T*, const T*, const T*, T*, std::int64_t) { unavailable("unary_grad"); }
template <class T>
void binary(ops::Code, const Operand<T>&, const Operand<T>&, T*, const Shape&) { unavailable("binary"); }
template <class T>
void binary_grad(ops::Code, int, const T*, const Operand<T>&, const Operand<T>&, const T*, T*, const Shape&) {
  unavailable("binary_grad");
}
template <class T>
T sum(const T*, std::int64_t) { unavailable("sum"); }
template <class T>
void sum_to(const T*, const Shape&, T*, const Shape&) { unavailable("sum_to"); }
template <class T>
void sum_dim(const T*, const Shape&, std::int64_t, T*) { unavailable("sum_dim"); }
template <class T>
void matmul(const T*, const T*, T*, std::int64_t, std::int64_t, std::int64_t) { unavailable("matmul"); }
template <class T>
void sgd_step(const SgdStep<T>&, T*, const T*, T*, std::int64_t) { unavailable("sgd_step"); }
template <class T>
void adam_step(const AdamStep<T>&, T*, const T*, T*, T*, T*, std::int64_t) { unavailable("adam_step"); }
template <class T>
void rmsprop_step(const RmspropStep<T>&, T*, const T*, T*, T*, T*, std::int64_t) { unavailable("rmsprop_step"); }
template <class T>
void adagrad_step(const AdagradStep<T>&, T*, const T*, T*, std::int64_t) { unavailable("adagrad_step"); }
template <class T>
T run_forward(const ops::Program<T>&, const ProgramLeaf<T>*, std::int64_t, T*, bool) { unavailable("run_forward"); }
template <class T>
void run_backward(const ops::Program<T>&, const ProgramLeaf<T>*, std::int64_t, const ProgramLeaf<T>&) {
  unavailable("run_backward");
}

#define EIGRAD_INSTANTIATE(T)                                                                                   \
  template void copy_from_host<T>(T*, const T*, std::int64_t);                                                  \
  template void copy_to_host<T>(T*, const T*, std::int64_t);                                                    \
  template void fill<T>(T*, std::int64_t, T);                                                                   \
  template void copy<T>(T*, const T*, std::int64_t);                                                            \
  template void transpose<T>(const T*, T*, std::int64_t, std::int64_t);                                        \
  template void unary<T>(const Unary<T>&, const T*, T*, std::int64_t);                                          \
  template void unary_grad<T>(const Unary<T>&, const T*, const T*, const T*, T*, std::int64_t);                 \
  template void binary<T>(ops::Code, const Operand<T>&, const Operand<T>&, T*, const Shape&);                   \
  template void binary_grad<T>(ops::Code, int, const T*, const Operand<T>&, const Operand<T>&, const T*, T*,     \
                               const Shape&);                                                                   \
  template T sum<T>(const T*, std::int64_t);                                                                    \
  template void sum_to<T>(const T*, const Shape&, T*, const Shape&);                                            \
  template void sum_dim<T>(const T*, const Shape&, std::int64_t, T*);                                           \
  template void matmul<T>(const T*, const T*, T*, std::int64_t, std::int64_t, std::int64_t);                    \
  template void sgd_step<T>(const SgdStep<T>&, T*, const T*, T*, std::int64_t);                                 \
  template void adam_step<T>(const AdamStep<T>&, T*, const T*, T*, T*, T*, std::int64_t);                       \
  template void rmsprop_step<T>(const RmspropStep<T>&, T*, const T*, T*, T*, T*, std::int64_t);                 \
  template void adagrad_step<T>(const AdagradStep<T>&, T*, const T*, T*, std::int64_t);                         \
  template T run_forward<T>(const ops::Program<T>&, const ProgramLeaf<T>*, std::int64_t, T*, bool);            \
  template void run_backward<T>(const ops::Program<T>&, const ProgramLeaf<T>*, std::int64_t,                   \
                                const ProgramLeaf<T>&);
EIGRAD_INSTANTIATE(float)
EIGRAD_INSTANTIATE(double)
#undef EIGRAD_INSTANTIATE

}  // namespace eigrad::cuda
#endif
