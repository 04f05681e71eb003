// The fused-statement interpreter: one precompiled kernel that runs any ops::Program per
// element, forward (its value, optionally summed) and backward (every leaf's adjoint).
#include "backend.hpp"
#include "entries.hpp"
#include "eigrad/cuda/kernels.hpp"
#include "eigrad/errors.hpp"

namespace eigrad::cuda {

namespace {
using detail::Index;
using ops::Code;
using ops::Instruction;

template <class T>
using Program = ops::Program<T>;

/// The leaves as the kernel reads them (a fixed array, copied into the launch).
template <class T>
struct Leaves {
  const T* data[Program<T>::kMaxLeaves] = {};
  T* adjoint[Program<T>::kMaxLeaves] = {};
  bool scalar[Program<T>::kMaxLeaves] = {};
};

/// One value per leaf: a scalar leaf's adjoint summed over the elements.
template <class T>
struct LeafSums {
  T v[Program<T>::kMaxLeaves];
};

template <class T>
struct AddLeafSums {
  EIGRAD_HOST_DEVICE LeafSums<T> operator()(const LeafSums<T>& a, const LeafSums<T>& b) const {
    LeafSums<T> r;
    for (int l = 0; l < Program<T>::kMaxLeaves; ++l) r.v[l] = a.v[l] + b.v[l];
    return r;
  }
};

/// Every instruction's value at element \p i, into \p v.
template <class T>
EIGRAD_HOST_DEVICE void evaluate(const Program<T>& p, const Leaves<T>& leaves, Index i, T* v) {
  for (int k = 0; k < p.size; ++k) {
    const Instruction& in = p.code[k];
    if (in.code == Code::Leaf) {
      v[k] = leaves.scalar[in.leaf] ? leaves.data[in.leaf][0] : leaves.data[in.leaf][i];
    } else if (in.code == Code::Constant) {
      v[k] = p.params[in.param];
    } else if (ops::is_binary(in.code)) {
      const T a = v[in.a], b = v[in.b];
      v[k] = detail::with_binary_entry(in, p.params, [&](auto entry) { return entry.value(a, b); });
    } else {
      const T a = v[in.a];
      v[k] = detail::with_unary_entry(detail::unary_of(in, p.params), [&](auto entry) { return entry.value(a); });
    }
  }
}

template <class T>
struct ForwardElement {
  Program<T> program;
  Leaves<T> leaves;
  T* out;
  EIGRAD_HOST_DEVICE T operator()(Index i) const {
    T v[Program<T>::kMaxInstructions];
    evaluate(program, leaves, i, v);
    const T y = v[program.size - 1];
    if (out) out[i] = y;
    return y;
  }
};

/// Recomputes element i's values, walks the program in reverse with the entries' gradient
/// formulas from the output adjoint, writes each full leaf's adjoint and returns the scalar
/// leaves' contributions (to be summed over the elements).
template <class T>
struct BackwardElement {
  Program<T> program;
  Leaves<T> leaves;
  const T* grad_out;
  bool grad_out_scalar;

  EIGRAD_HOST_DEVICE LeafSums<T> operator()(Index i) const {
    const Program<T>& p = program;
    T v[Program<T>::kMaxInstructions];
    T adj[Program<T>::kMaxInstructions];
    evaluate(p, leaves, i, v);
    LeafSums<T> leaf_adjoint;
    for (int l = 0; l < Program<T>::kMaxLeaves; ++l) leaf_adjoint.v[l] = T(0);
    adj[p.size - 1] = grad_out_scalar ? grad_out[0] : grad_out[i];
    for (int k = p.size - 1; k >= 0; --k) {
      const Instruction& in = p.code[k];
      if (!in.wants_adjoint || in.code == Code::Constant) continue;
      const T g = adj[k], y = v[k];
      if (in.code == Code::Leaf) {
        leaf_adjoint.v[in.leaf] = leaf_adjoint.v[in.leaf] + g;
      } else if (ops::is_binary(in.code)) {
        const bool want_a = p.code[in.a].wants_adjoint, want_b = p.code[in.b].wants_adjoint;
        const T a = v[in.a], b = v[in.b];
        detail::with_binary_entry(in, p.params, [&](auto entry) {
          if (want_a) adj[in.a] = entry.grad_a(g, a, b, y);
          if (want_b) adj[in.b] = entry.grad_b(g, a, b, y);
        });
      } else {
        const T a = v[in.a];
        adj[in.a] = detail::with_unary_entry(detail::unary_of(in, p.params),
                                             [&](auto entry) { return entry.grad(g, a, y); });
      }
    }
    for (int l = 0; l < p.leaf_count; ++l) {
      if (!p.leaf_wants_adjoint[l] || leaves.scalar[l]) continue;
      leaves.adjoint[l][i] = leaf_adjoint.v[l];
    }
    return leaf_adjoint;
  }
};

/// Writes each scalar leaf's summed adjoint to its adjoint buffer on the device.
template <class T>
struct ScatterLeafSums {
  T* adjoint[Program<T>::kMaxLeaves] = {};  // null: no summed adjoint wanted for that leaf
  EIGRAD_HOST_DEVICE LeafSums<T> operator()(const LeafSums<T>& sums) const {
    for (int l = 0; l < Program<T>::kMaxLeaves; ++l)
      if (adjoint[l]) adjoint[l][0] = sums.v[l];
    return sums;
  }
};

template <class T>
Leaves<T> leaves_of(const Program<T>& program, const ProgramLeaf<T>* leaves, bool backward) {
  program.check_tree();
  Leaves<T> r;
  for (int l = 0; l < program.leaf_count; ++l) {
    EIGRAD_CHECK(leaves[l].data != nullptr, ValueError, "fused statement: leaf ", l, " has no data");
    EIGRAD_CHECK(!backward || !program.leaf_wants_adjoint[l] || leaves[l].adjoint != nullptr, ValueError,
                 "fused statement: leaf ", l, " wants an adjoint but has no adjoint buffer");
    r.data[l] = leaves[l].data;
    r.adjoint[l] = leaves[l].adjoint;
    r.scalar[l] = leaves[l].scalar;
  }
  return r;
}
}  // namespace

template <class T>
T run_forward(const ops::Program<T>& program, const ProgramLeaf<T>* leaves, std::int64_t n, T* out, bool sum) {
  const ForwardElement<T> f{program, leaves_of(program, leaves, false), out};
  if (sum) return detail::reduce_index("fused_forward_sum", n, f, T(0), detail::Plus<T>{});
  detail::for_each_index("fused_forward", n, f);
  return T(0);
}

template <class T>
void run_forward_into(const ops::Program<T>& program, const ProgramLeaf<T>* leaves, std::int64_t n, T* out, T* sum) {
  EIGRAD_CHECK(sum != nullptr, ValueError, "fused statement: no element for the sum");
  const ForwardElement<T> f{program, leaves_of(program, leaves, false), out};
  detail::reduce_index_to_device("fused_forward_sum", n, f, T(0), detail::Plus<T>{}, detail::WriteTo<T>{sum});
}

template <class T>
void run_backward(const ops::Program<T>& program, const ProgramLeaf<T>* leaves, std::int64_t n,
                  const ProgramLeaf<T>& grad_out) {
  const Leaves<T> l = leaves_of(program, leaves, true);
  bool any = false, any_scalar = false;
  for (int k = 0; k < program.leaf_count; ++k) {
    any = any || program.leaf_wants_adjoint[k];
    any_scalar = any_scalar || (program.leaf_wants_adjoint[k] && leaves[k].scalar);
  }
  if (!any) return;
  EIGRAD_CHECK(grad_out.data != nullptr, ValueError, "fused statement: no output adjoint");
  const BackwardElement<T> f{program, l, grad_out.data, grad_out.scalar};
  if (!any_scalar) return detail::for_each_index("fused_backward", n, f);
  LeafSums<T> zero;
  for (T& z : zero.v) z = T(0);
  ScatterLeafSums<T> scatter;
  for (int k = 0; k < program.leaf_count; ++k)
    if (program.leaf_wants_adjoint[k] && leaves[k].scalar) scatter.adjoint[k] = leaves[k].adjoint;
  detail::reduce_index_to_device("fused_backward_sum", n, f, zero, AddLeafSums<T>{}, scatter);
}

#define EIGRAD_INSTANTIATE(T)                                                                             \
  template T run_forward<T>(const ops::Program<T>&, const ProgramLeaf<T>*, std::int64_t, T*, bool);       \
  template void run_forward_into<T>(const ops::Program<T>&, const ProgramLeaf<T>*, std::int64_t, T*, T*); \
  template void run_backward<T>(const ops::Program<T>&, const ProgramLeaf<T>*, std::int64_t,              \
                                const ProgramLeaf<T>&);
EIGRAD_INSTANTIATE(float)
EIGRAD_INSTANTIATE(double)
#undef EIGRAD_INSTANTIATE

}  // namespace eigrad::cuda
