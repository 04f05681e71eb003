#include "eigrad/expr/statement.hpp"

#include <algorithm>
#include <cstddef>
#include <limits>
#include <memory>
#include <string>
#include <type_traits>
#include <vector>

#include "../../cuda/entries.hpp"  // the op code -> op table entry switch the device interpreter uses
#include "eigrad/autograd/grad_mode.hpp"
#include "eigrad/autograd/node.hpp"
#include "eigrad/cuda/kernels.hpp"
#include "eigrad/detail/cascade_sum.hpp"
#include "eigrad/errors.hpp"
#include "eigrad/ops/pow.hpp"
#include "eigrad/tensor.hpp"

namespace eigrad::expr::detail {

namespace {

using ops::Code;
using ops::Instruction;
template <class T>
using Program = ops::Program<T>;

constexpr int kMaxValues = Program<float>::kMaxInstructions;
constexpr int kMaxLeaves = Program<float>::kMaxLeaves;

// ------------------------------------------------------------------ the CPU interpreter
// It works a block of kBlock elements at a time: each instruction leaves the block's values in
// its own buffer (a leaf read in full points at the tensor instead), then backward walks the
// instructions in reverse, each leaving its operands' adjoints in theirs. Every inner loop
// has a constant trip count (the last, short block is padded), so it vectorises without
// remainder code; the op code is dispatched once per instruction and block, never per element.
// Each value and gradient is the op table entry's, as in the eager ops and on the device.

/// Elements per block.
constexpr int kBlock = 128;
/// The alignment of a block buffer: a cache line, so that no vector store to a block is split
/// over two lines (a split store is not forwarded to the next instruction's load).
constexpr std::size_t kBlockAlign = 64;
/// Elements a one-element leaf's adjoint adds in T, in element order, before it adds their sum
/// into a double (a multiple of kBlock): a float sum of 20M terms then keeps the accuracy of
/// one of 4096. Not PyTorch's order (a statement's forward sum is): in that order the Linear
/// bias gradient takes the chaotic 06_optim golden runs outside their envelope
/// (doc/design.md, "Order of the sums").
constexpr std::int64_t kSumRun = 4096;
static_assert(kSumRun % kBlock == 0, "runs of whole blocks");

// K rows at once: K independent chains of dependent adds, each in element order.
template <int K, class T>
void add_rows(const T* const* rows, T* acc, int m) {
  T a[K];
  for (int k = 0; k < K; ++k) a[k] = acc[k];
  for (int j = 0; j < m; ++j)
    for (int k = 0; k < K; ++k) a[k] += rows[k][j];
  for (int k = 0; k < K; ++k) acc[k] = a[k];
}

/// The adjoint sums of the one-element leaves of one backward pass, in element order within
/// each run of kSumRun elements and the runs' sums in double. Each such leaf names the block
/// of adjoints it received (the interpreter's buffer, read before the next block overwrites
/// it); after each block the rows are added up together, up to four at a time: the same bits
/// as one running sum per leaf, but up to four independent chains of dependent adds at once.
template <class T>
class AdjointSums {
 public:
  /// A new row for one leaf; its number.
  int add_row() {
    acc_[count_] = -T(0);  // -0, so that a sum of -0 stays -0
    runs_[count_] = -0.0;
    return count_++;
  }
  /// Row \p r's adjoints for the current block are at \p block.
  void set_row(int r, const T* block) { rows_[r] = block; }
  /// Adds the first \p m adjoints of every row: the block that starts at element \p i0.
  void add_block(std::int64_t i0, int m) {
    if (i0 > 0 && i0 % kSumRun == 0)
      for (int r = 0; r < count_; ++r) {
        runs_[r] += static_cast<double>(acc_[r]);
        acc_[r] = -T(0);
      }
    int r = 0;
    for (; r + 4 <= count_; r += 4) add_rows<4>(rows_ + r, acc_ + r, m);
    switch (count_ - r) {
      case 3: add_rows<3>(rows_ + r, acc_ + r, m); break;
      case 2: add_rows<2>(rows_ + r, acc_ + r, m); break;
      case 1: add_rows<1>(rows_ + r, acc_ + r, m); break;
      default: break;
    }
  }
  /// Row \p r's sum (once every block is added).
  T sum(int r) const { return static_cast<T>(runs_[r] + static_cast<double>(acc_[r])); }

 private:
  const T* rows_[kMaxOperands] = {};
  T acc_[kMaxOperands];
  double runs_[kMaxOperands];
  int count_ = 0;
};

/// The program leaves as the CPU reads them.
template <class T>
struct LeafData {
  std::array<const T*, kMaxLeaves> data{};  ///< first element
  std::array<bool, kMaxLeaves> broadcast{};  ///< one element read for every element
};

/// Whether an operand of \p numel elements is read as one value broadcast over \p n elements.
bool broadcast_operand(std::int64_t numel, std::int64_t n) { return !(numel == n && n != 1); }

/// Where backward sends one occurrence's adjoint: a buffer of one adjoint per element, a row
/// of AdjointSums (a one-element leaf), or nowhere.
template <class T>
struct Sink {
  T* grad = nullptr;
  int sum_row = -1;
};

// An op table entry's flag NAME (what its gradient reads, whether it passes g on unchanged) as
// NAME_of<Op>::value, or OTHERWISE for an entry without it: read everything, copy everything.
#define EIGRAD_ENTRY_FLAG(NAME, OTHERWISE)                                  \
  template <class Op, class = void>                                         \
  struct NAME##_of : std::bool_constant<OTHERWISE> {};                      \
  template <class Op>                                                       \
  struct NAME##_of<Op, std::void_t<decltype(Op::NAME)>> : std::bool_constant<Op::NAME> {};
EIGRAD_ENTRY_FLAG(saves_input, true)
EIGRAD_ENTRY_FLAG(saves_output, true)
EIGRAD_ENTRY_FLAG(grad_a_is_g, false)
EIGRAD_ENTRY_FLAG(grad_b_is_g, false)
EIGRAD_ENTRY_FLAG(grad_is_g, false)
#undef EIGRAD_ENTRY_FLAG

/// What an instruction's gradient reads.
struct GradUse {
  bool input = false;   ///< the operands' values
  bool output = false;  ///< the instruction's own value
};

/// What instruction \p k of \p p's gradient reads (nothing when backward does not compute it).
template <class T>
GradUse grad_use(const Program<T>& p, int k) {
  const Instruction& in = p.code[k];
  if (!in.wants_adjoint || in.code == Code::Leaf || in.code == Code::Constant) return {};
  if (in.code == Code::PowScalar) return {true, false};
  const auto use = [](auto op) {
    using Op = decltype(op);
    return GradUse{saves_input_of<Op>::value, saves_output_of<Op>::value};
  };
  if (ops::is_binary(in.code)) return cuda::detail::with_binary_entry(in, p.params, use);
  return cuda::detail::with_unary_entry(cuda::detail::unary_of(in, p.params), use);
}

/// Whether computing an instruction's values costs a libm call per element (sin, exp, log,
/// tanh, sigmoid, a general power): worth keeping from the forward pass for backward.
inline bool libm_per_element(const Instruction& in) {
  switch (in.code) {
    case Code::Sin: case Code::Cos: case Code::Exp: case Code::Log: case Code::Tanh: case Code::Sigmoid:
    case Code::PowScalarBase: case Code::Pow:
      return true;
    case Code::PowScalar: return in.pow == ops::PowKind::General;
    default: return false;
  }
}

/// The values the backward pass of a program reads: those a gradient reads and what they are
/// computed from. Those that cost a libm call per element are `saved` by the forward pass
/// (when it records a node: \p save) and read back, not recomputed; the rest are recomputed
/// block by block (products and sums cost less than storing and reloading them).
struct BackwardValues {
  std::array<char, kMaxValues> compute{};  ///< recomputed by backward
  std::array<char, kMaxValues> saved{};    ///< kept by the forward pass
  int saved_count = 0;
};

template <class T>
BackwardValues backward_values(const Program<T>& p, bool save) {
  std::array<int, kMaxValues> parent{};
  for (int k = 0; k < p.size; ++k) {
    const Instruction& in = p.code[k];
    if (in.code == Code::Leaf || in.code == Code::Constant) continue;
    parent[in.a] = k;
    if (ops::is_binary(in.code)) parent[in.b] = k;
  }
  std::array<GradUse, kMaxValues> use{};
  for (int k = 0; k < p.size; ++k) use[k] = grad_use(p, k);
  BackwardValues plan;
  for (int k = p.size - 1; k >= 0; --k) {
    const int up = k == p.size - 1 ? -1 : parent[k];
    // read by the gradient of k itself, or by its reader's, or needed to compute its reader
    const bool read = use[k].output || (up >= 0 && (plan.compute[up] || use[up].input));
    const bool keep = read && save && libm_per_element(p.code[k]);
    plan.saved[k] = keep;
    plan.compute[k] = read && !keep;
    plan.saved_count += keep;
  }
  return plan;
}

/// Where the forward pass keeps each value \p plan saves: row by row of \p n elements from
/// \p base, in instruction order (null for the others).
template <class T>
std::array<T*, kMaxValues> saved_rows(const BackwardValues& plan, T* base, std::int64_t n) {
  std::array<T*, kMaxValues> rows{};
  for (int k = 0, row = 0; k < kMaxValues; ++k)
    if (plan.saved[k]) rows[k] = base + n * row++;
  return rows;
}

template <class T>
class BlockInterpreter {
 public:
  BlockInterpreter(const Program<T>& p, const LeafData<T>& leaves) : p_(p), leaves_(leaves) {
    int occurrences = 0;
    for (int k = 0; k < p_.size; ++k) {
      const Instruction& in = p_.code[k];
      vp_[k] = v_[k];
      if (in.code == Code::Leaf) {
        occurrence_[k] = occurrences++;
        if (leaves_.broadcast[in.leaf]) std::fill_n(v_[k], kBlock, leaves_.data[in.leaf][0]);
      } else if (in.code == Code::Constant) {
        std::fill_n(v_[k], kBlock, p_.params[in.param]);
      }
    }
  }

  /// Makes forward() store the values of instruction k in \p dest[k] (from element i0 on) where
  /// that is not null: the values backward() reads and does not recompute.
  void save_values(T* const* dest) {
    for (int k = 0; k < p_.size; ++k) saved_[k] = dest[k];
  }

  /// Makes forward() compute only the values backward() reads (\p plan), taking those the
  /// forward pass saved from \p saved[k] (from element i0 on) instead of computing them.
  void only_values_backward_reads(const BackwardValues& plan, T* const* saved) {
    for (int k = 0; k < p_.size; ++k) {
      skip_[k] = !plan.compute[k];
      saved_[k] = plan.saved[k] ? saved[k] : nullptr;
    }
    loading_ = true;
  }

  /// Computes every instruction's values for the \p m elements from \p i0.
  void forward(std::int64_t i0, int m) {
    for (int k = 0; k < p_.size; ++k) {
      const Instruction& in = p_.code[k];
      T* v = v_[k];
      switch (in.code) {
        case Code::Leaf: {
          if (leaves_.broadcast[in.leaf]) break;  // v holds the value
          const T* data = leaves_.data[in.leaf] + i0;
          if (m == kBlock) {
            vp_[k] = data;
          } else {  // the last, short block: padded with a value of the operand, never stored
            for (int j = 0; j < kBlock; ++j) v[j] = data[j < m ? j : 0];
            vp_[k] = v;
          }
          break;
        }
        case Code::Constant: break;
        default: {
          if (loading_ && saved_[k]) {  // computed by the forward pass
            const T* data = saved_[k] + i0;
            if (m == kBlock) {
              vp_[k] = data;
            } else {
              for (int j = 0; j < kBlock; ++j) v[j] = data[j < m ? j : 0];
              vp_[k] = v;
            }
            break;
          }
          if (skip_[k]) break;
          vp_[k] = v;
          const T* x = vp_[in.a];
          if (in.code == Code::PowScalar) {
            pow_entry(in).value_block(x, v, kBlock);
          } else if (ops::is_binary(in.code)) {
            const T* y = vp_[in.b];
            cuda::detail::with_binary_entry(in, p_.params, [&](auto op) {
              for (int j = 0; j < kBlock; ++j) v[j] = op.value(x[j], y[j]);
            });
          } else {
            cuda::detail::with_unary_entry(cuda::detail::unary_of(in, p_.params), [&](auto op) {
              for (int j = 0; j < kBlock; ++j) v[j] = op.value(x[j]);
            });
          }
          if (saved_[k]) std::copy_n(v, m, saved_[k] + i0);
        }
      }
    }
  }

  /// The statement's values of the block forward() computed.
  const T* result() const { return vp_[p_.size - 1]; }

  /// Sends the adjoints \p adj of the block's results (forward() computed what they read) down
  /// to the leaves: occurrence r's to \p sinks[r] (its first \p m elements to a buffer, or the
  /// block to its row of \p sums, which adds the first m).
  void backward(std::int64_t i0, int m, const T* adj, const Sink<T>* sinks, AdjointSums<T>& sums) {
    gp_[p_.size - 1] = adj;
    for (int k = p_.size - 1; k >= 0; --k) {
      const Instruction& in = p_.code[k];
      if (!in.wants_adjoint) continue;
      const T* g = gp_[k];
      switch (in.code) {
        case Code::Leaf: {
          const Sink<T>& sink = sinks[occurrence_[k]];
          if (sink.grad) {
            T* out = sink.grad + i0;
            for (int j = 0; j < m; ++j) out[j] = g[j];
          } else if (sink.sum_row >= 0) {
            sums.set_row(sink.sum_row, g);
          }
          break;
        }
        case Code::Constant: break;
        case Code::PowScalar: pow_entry(in).grad_block(g, vp_[in.a], take(in.a), kBlock); break;
        default: {
          const T* x = vp_[in.a];
          const T* y = vp_[k];
          if (ops::is_binary(in.code)) {
            const T* b = vp_[in.b];
            const bool wants_a = p_.code[in.a].wants_adjoint, wants_b = p_.code[in.b].wants_adjoint;
            cuda::detail::with_binary_entry(in, p_.params, [&](auto op) {
              constexpr bool a_is_g = grad_a_is_g_of<decltype(op)>::value;
              constexpr bool b_is_g = grad_b_is_g_of<decltype(op)>::value;
              if (wants_a && a_is_g) gp_[in.a] = g;  // each value has one reader: its adjoint is g itself
              if (wants_b && b_is_g) gp_[in.b] = g;
              if (wants_a && !a_is_g) {
                T* ga = take(in.a);
                for (int j = 0; j < kBlock; ++j) ga[j] = op.grad_a(g[j], x[j], b[j], y[j]);
              }
              if (wants_b && !b_is_g) {
                T* gb = take(in.b);
                for (int j = 0; j < kBlock; ++j) gb[j] = op.grad_b(g[j], x[j], b[j], y[j]);
              }
            });
          } else {
            cuda::detail::with_unary_entry(cuda::detail::unary_of(in, p_.params), [&](auto op) {
              if (grad_is_g_of<decltype(op)>::value) {
                gp_[in.a] = g;
                return;
              }
              T* ga = take(in.a);
              for (int j = 0; j < kBlock; ++j) ga[j] = op.grad(g[j], x[j], y[j]);
            });
          }
        }
      }
    }
  }

 private:
  /// x ^ e with its kernels as the program keeps them, in its block form.
  ops::PowScalarRuntime<T> pow_entry(const Instruction& in) const {
    return ops::PowScalarRuntime<T>(in.pow, in.pow_m1, p_.params[in.param], p_.params[in.param + 1]);
  }
  /// The adjoint buffer of value \p a (each value but the last is one instruction's operand).
  T* take(int a) {
    gp_[a] = g_[a];
    return g_[a];
  }

  const Program<T>& p_;
  const LeafData<T>& leaves_;
  std::array<int, kMaxValues> occurrence_{};  // a Leaf instruction's occurrence
  std::array<char, kMaxValues> skip_{};       // values forward() leaves uncomputed
  std::array<T*, kMaxValues> saved_{};        // where forward() stores or (loading_) finds values
  bool loading_ = false;
  std::array<const T*, kMaxValues> vp_{};     // each value's block
  std::array<const T*, kMaxValues> gp_{};     // each value's adjoints
  alignas(kBlockAlign) T v_[kMaxValues][kBlock];
  alignas(kBlockAlign) T g_[kMaxValues][kBlock];
};

/// Runs \p p forward over \p n elements: the results into \p out when not null, into \p sum
/// (PyTorch's order, fed eight blocks at a time) when not null, and instruction k's values into
/// \p save[k] where \p save and it are not null.
template <class T>
void run_forward_cpu(const Program<T>& p, const LeafData<T>& leaves, std::int64_t n, T* out,
                     eigrad::detail::CascadeSum<T>* sum, T* const* save = nullptr) {
  BlockInterpreter<T> interpreter(p, leaves);
  if (save) interpreter.save_values(save);
  constexpr int kChunk = 8 * kBlock;
  alignas(kBlockAlign) T chunk[kChunk];
  int filled = 0;
  for (std::int64_t i0 = 0; i0 < n; i0 += kBlock) {
    const int m = static_cast<int>(std::min<std::int64_t>(kBlock, n - i0));
    interpreter.forward(i0, m);
    const T* v = interpreter.result();
    if (out)  // each block computed before it is stored: out may be a leaf's buffer
      for (int j = 0; j < m; ++j) out[i0 + j] = v[j];
    if (sum) {
      for (int j = 0; j < kBlock; ++j) chunk[filled + j] = v[j];  // the whole block: a fixed trip count
      filled += m;
      if (filled == kChunk || i0 + m == n) {
        sum->add(chunk, filled);
        filled = 0;
      }
    }
  }
}

/// The program leaves of \p s on the CPU over \p n elements.
template <class T>
LeafData<T> cpu_leaves(const Program<T>& p, const Tensor<T>* const* operands, const int* first, std::int64_t n) {
  LeafData<T> leaves;
  for (int j = 0; j < p.leaf_count; ++j) {
    const Tensor<T>& t = *operands[first[j]];
    leaves.data[static_cast<std::size_t>(j)] = t.data();
    leaves.broadcast[static_cast<std::size_t>(j)] = broadcast_operand(t.numel(), n);
  }
  return leaves;
}

// ------------------------------------------------------------------ on the device
// A statement whose operands live on "cuda" runs as one interpreter launch forward, one
// backward, over the operands' device memory.

/// \p t as the program reads it on \p device: itself, or a copy of a one-element CPU operand.
template <class T>
Tensor<T> device_operand(const Tensor<T>& t, const Device& device) {
  if (t.device() == device) return t;
  NoGradGuard no_grad;
  return t.detach().to(device);
}

/// mean's division of the 0-d device tensor \p sum by \p n (in T, as the CPU path divides),
/// into a new 0-d tensor: one launch, no host wait. NaN for n = 0.
template <class T>
Tensor<T> divided_on_device(const Tensor<T>& sum, std::int64_t n) {
  Tensor<T> out = empty<T>({}, sum.device());
  const auto by_n = cuda::Unary<T>::with_scalar(ops::Code::DivScalar, static_cast<T>(n));
  cuda::unary(by_n, sum.data_ptr(), out.data_ptr(), 1);
  return out;
}

/// The program leaves of \p p (operands \p operands, program leaf j first read by occurrence
/// \p first[j]) on \p device over \p n elements; \p keep holds each leaf's tensor there while
/// the program runs.
template <class T>
std::array<cuda::ProgramLeaf<T>, kMaxLeaves> device_leaves(const Program<T>& p, const Tensor<T>* const* operands,
                                                           const int* first, std::int64_t n, const Device& device,
                                                           Tensor<T>* keep) {
  std::array<cuda::ProgramLeaf<T>, kMaxLeaves> leaves{};
  for (int j = 0; j < p.leaf_count; ++j) {
    const std::size_t u = static_cast<std::size_t>(j);
    keep[u] = device_operand(*operands[first[j]], device);
    leaves[u].data = keep[u].data_ptr();
    leaves[u].scalar = broadcast_operand(keep[u].numel(), n);
  }
  return leaves;
}

/// Runs \p s forward on \p device: its elements into \p out (a device buffer of its shape)
/// when not null, and their sum into \p sum (one device element) when not null, where the host
/// does not wait for it.
template <class T>
void run_on_device(const Statement<T>& s, std::int64_t n, const Device& device, T* out, T* sum) {
  if (n == 0) {  // no launch (and no memory to point the program at)
    const T zero = T(0);
    if (sum) cuda::copy_from_host(sum, &zero, 1);
    return;
  }
  std::array<Tensor<T>, kMaxLeaves> keep;
  const auto leaves = device_leaves(s.program, s.operands.data(), s.first.data(), n, device, keep.data());
  if (sum) cuda::run_forward_into(s.program, leaves.data(), n, out, sum);
  else cuda::run_forward(s.program, leaves.data(), n, out, false);
}

// ------------------------------------------------------------------ the node
/// The one node of an evaluated statement: keeps its leaves and its program, and computes
/// every leaf's adjoint in one pass over the elements (the forward values recomputed on the
/// way). Its name is PyTorch's for the statement's last op (AddBackward0, SumBackward0,
/// MseLossBackward0...). It keeps its leaves (see saved_leaf) and checks and frees them
/// itself, as Node does with saved tensors: a leaf whose values enter the gradients is refused
/// once changed in place (the message names the op reading it), and after a backward without
/// retain_graph the node cannot run again; a statement whose ops read no values (a + b) keeps
/// its leaves and can, as PyTorch's AddBackward0. Each occurrence of a tensor is an input of
/// its own with its own adjoint. A statement on "cuda" runs its backward as one interpreter
/// launch and gives each program leaf's adjoint to its first occurrence.
template <class T>
class StatementBackward final : public Node<T> {
 public:
  StatementBackward(const Statement<T>& s, std::int64_t n, Reduction reduction, const char* name,
                    const Device& device, Tensor<T> saved)
      : program_(s.program),
        first_(s.first),
        n_(n),
        reduction_(reduction),
        name_(name),
        device_(device),
        saved_values_(std::move(saved)) {
    for (int k = 0; k < s.count; ++k) {
      const std::size_t u = static_cast<std::size_t>(k);
      const Tensor<T>& t = *s.operands[u];
      leaves_[u] = saved_leaf(t);
      buffers_[u] = t.data_ptr();
      versions_[u] = t.version();
      readers_[u] = s.readers[u];
      needed_[u] = s.needed[u];
      leaf_[u] = s.leaf[u];
      any_needed_ = any_needed_ || s.needed[u];
      ++count_;
    }
  }

  std::string name() const override { return name_; }

 protected:
  std::vector<Tensor<T>> backward(const Tensor<T>& g) override {
    std::vector<Tensor<T>> grads;
    backward_into(g, grads);
    return grads;
  }
  void backward_into(const Tensor<T>& g, std::vector<Tensor<T>>& grads) override {
    EIGRAD_CHECK(!released_, AutogradError, "Trying to backward through the graph a second time (node ", name_,
                 "): its saved tensors were freed by the first backward(). Pass retain_graph = true to "
                 "the first backward() call to backward through the graph again");
    for (std::size_t k = 0; k < count_; ++k)
      EIGRAD_CHECK(leaves_[k].data_ptr() == buffers_[k], AutogradError, "a tensor of shape ",
                   to_string(leaves_[k].shape()), " read by ", readers_[k],
                   " was given other data (set_data) after the statement that ", name_,
                   " differentiates was recorded; compute the gradient before replacing its data");
    for (std::size_t k = 0; k < count_; ++k)
      EIGRAD_CHECK(!needed_[k] || leaves_[k].version() == versions_[k], AutogradError, "a tensor of shape ",
                   to_string(leaves_[k].shape()), " saved by ", readers_[k],
                   " for backward was modified in place afterwards (version ", versions_[k], ", now ",
                   leaves_[k].version(), "); compute the gradient before changing it, or change a clone()");
    if (device_.is_cuda()) {
      grads = backward_on_device(g);
      return;
    }
    const std::int64_t n = n_;
    const auto operands = leaf_pointers();
    const LeafData<T> data = cpu_leaves(program_, operands.data(), first_.data(), n);
    grads.clear();
    grads.resize(count_);
    std::array<Sink<T>, kMaxOperands> sinks{};
    AdjointSums<T> sums;
    for (std::size_t k = 0; k < count_; ++k) {
      if (!this->needs_input_grad(k) || !program_.leaf_wants_adjoint[leaf_[k]]) continue;
      if (data.broadcast[static_cast<std::size_t>(leaf_[k])]) {
        sinks[k].sum_row = sums.add_row();
      } else {
        grads[k] = empty<T>(leaves_[k].shape(), leaves_[k].device());  // every element is stored once
        sinks[k].grad = grads[k].data();
      }
    }
    BlockInterpreter<T> interpreter(program_, data);  // a block of kBlock values per instruction
    const BackwardValues plan = backward_values(program_, saved_values_.defined());
    const auto saved = saved_rows(plan, saved_values_.defined() ? saved_values_.data() : nullptr, n);
    interpreter.only_values_backward_reads(plan, saved.data());
    const T* pg = g.data();
    alignas(kBlockAlign) T same[kBlock];  // sum: grad.expand(sizes); mean: grad.expand(sizes) / numel, as the eager nodes
    if (reduction_ != Reduction::None)
      for (T& a : same) a = reduction_ == Reduction::Mean ? pg[0] / static_cast<T>(n) : pg[0];
    alignas(kBlockAlign) T tail[kBlock];  // the last block's incoming gradients, padded with zeros
    for (std::int64_t i0 = 0; i0 < n; i0 += kBlock) {
      const int m = static_cast<int>(std::min<std::int64_t>(kBlock, n - i0));
      interpreter.forward(i0, m);
      const T* adj = same;
      if (reduction_ == Reduction::None) {
        adj = pg + i0;
        if (m < kBlock) {
          for (int j = 0; j < kBlock; ++j) tail[j] = j < m ? pg[i0 + j] : T(0);
          adj = tail;
        }
      }
      interpreter.backward(i0, m, adj, sinks.data(), sums);
      sums.add_block(i0, m);
    }
    for (std::size_t k = 0; k < count_; ++k)
      if (sinks[k].sum_row >= 0) grads[k] = full<T>(leaves_[k].shape(), sums.sum(sinks[k].sum_row), leaves_[k].device());
  }
  /// The backward of a statement on "cuda": one run_backward over the leaves' device memory;
  /// a leaf read twice is one program leaf, whose whole adjoint goes to its first occurrence.
  std::vector<Tensor<T>> backward_on_device(const Tensor<T>& g) {
    const std::int64_t n = n_;
    std::array<int, kMaxLeaves> receiver{};  // the occurrence given each program leaf's adjoint
    std::array<bool, kMaxLeaves> wants{};
    for (std::size_t k = count_; k-- > 0;) {
      if (!this->needs_input_grad(k) || !program_.leaf_wants_adjoint[leaf_[k]]) continue;
      const std::size_t j = static_cast<std::size_t>(leaf_[k]);
      wants[j] = true;
      receiver[j] = static_cast<int>(k);
    }
    const auto operands = leaf_pointers();
    std::array<Tensor<T>, kMaxLeaves> keep, adjoints;
    auto leaves = device_leaves(program_, operands.data(), first_.data(), n, device_, keep.data());
    for (int j = 0; j < program_.leaf_count; ++j) {
      const std::size_t u = static_cast<std::size_t>(j);
      if (!program_.leaf_wants_adjoint[j]) continue;
      const Tensor<T>& leaf = leaves_[static_cast<std::size_t>(first_[u])];
      // an empty statement's one-element adjoint is the CPU path's empty sum, -0
      adjoints[u] =
          n == 0 && leaves[u].scalar ? full<T>(leaf.shape(), -T(0), device_) : empty<T>(leaf.shape(), device_);
      leaves[u].adjoint = adjoints[u].data_ptr();
    }
    if (n > 0) {
      EIGRAD_CHECK(g.device() == device_, DeviceError, name_, ": the gradient of its output is on ", g.device(),
                   ", the statement on ", device_);
      // mean: grad.expand(sizes) / numel, the division in T on the host as the CPU path does it
      const Tensor<T> adjoint_out = reduction_ == Reduction::Mean ? divided_on_device(g, n) : g;
      cuda::run_backward(program_, leaves.data(), n,
                         cuda::ProgramLeaf<T>{adjoint_out.data_ptr(), reduction_ != Reduction::None, nullptr});
    }
    std::vector<Tensor<T>> grads(count_);
    for (int j = 0; j < program_.leaf_count; ++j) {
      const std::size_t u = static_cast<std::size_t>(j);
      if (!wants[u]) continue;
      const std::size_t k = static_cast<std::size_t>(receiver[u]);
      const Device& home = leaves_[k].device();
      grads[k] = home == device_ ? adjoints[u] : adjoints[u].to(home);  // a 0-d CPU leaf's adjoint goes back
    }
    return grads;
  }
  void release_extra() override {
    if (!any_needed_) return;  // nothing read: it may run again
    for (auto& t : leaves_) t = Tensor<T>();
    saved_values_ = Tensor<T>();
    released_ = true;
  }

 private:
  /// The saved leaves as the program's operands.
  std::array<const Tensor<T>*, kMaxOperands> leaf_pointers() const {
    std::array<const Tensor<T>*, kMaxOperands> operands{};
    for (std::size_t k = 0; k < count_; ++k) operands[k] = &leaves_[k];
    return operands;
  }
  /// How the node keeps leaf \p t. A tensor with a producer is kept as a detached view (its
  /// data and version, not the producer: a chain of a million statements is then freed by
  /// ~Node's loop, not one destructor inside another); one without is kept by handle, which
  /// costs no allocation, and a leaf met again shares the handle kept for it.
  Tensor<T> saved_leaf(const Tensor<T>& t) {
    for (std::size_t k = 0; k < count_; ++k)
      if (ids_[k] == t.id()) return leaves_[k];
    ids_[count_] = t.id();
    return t.grad_fn() ? t.detach() : t;
  }

  Program<T> program_;
  std::array<int, kMaxLeaves> first_;  // each program leaf's first occurrence
  std::int64_t n_;
  Reduction reduction_;
  const char* name_;
  Device device_;  // where the statement ran
  Tensor<T> saved_values_;  // values the forward pass kept for backward (backward_values), row by row
  std::array<Tensor<T>, kMaxOperands> leaves_;
  std::array<int, kMaxOperands> leaf_{};               // each occurrence's program leaf
  std::array<const T*, kMaxOperands> buffers_{};       // each leaf's data when saved: set_data is refused
  std::array<const void*, kMaxOperands> ids_{};        // each leaf's id() when saved
  std::array<std::uint64_t, kMaxOperands> versions_{};
  std::array<const char*, kMaxOperands> readers_{};
  std::array<bool, kMaxOperands> needed_{};
  std::size_t count_ = 0;
  bool any_needed_ = false;
  bool released_ = false;
};

/// Records \p out, the value of \p s computed on \p device: one StatementBackward node (named
/// \p node_name when given) when grad mode is on and an operand requires grad; returns \p out.
/// Whether evaluating \p s records a node: grad mode is on and an operand requires grad.
template <class T>
bool records(const Statement<T>& s) {
  if (!GradMode::is_enabled()) return false;
  for (int k = 0; k < s.count; ++k)
    if (s.operands[static_cast<std::size_t>(k)]->requires_grad()) return true;
  return false;
}

template <class T>
Tensor<T> record_statement(const Statement<T>& s, std::int64_t n, const Tensor<T>& out, Reduction reduction,
                           const char* node_name, const Device& device, Tensor<T> saved = {}) {
  if (!records(s)) return out;
  const char* name = node_name                      ? node_name
                     : reduction == Reduction::Sum  ? "SumBackward0"
                     : reduction == Reduction::Mean ? "MeanBackward0"
                                                    : s.root_name;
  std::array<Tensor<T>, kMaxOperands> inputs;
  for (int k = 0; k < s.count; ++k) inputs[static_cast<std::size_t>(k)] = *s.operands[static_cast<std::size_t>(k)];
  return autograd::record<T>(
      out, std::make_shared<StatementBackward<T>>(s, n, reduction, name, device, std::move(saved)), inputs.data(),
      static_cast<std::size_t>(s.count));
}

/// The device a statement runs on: the "cuda" device of its operands, or \p cpu when all are on
/// the CPU. Operands on two devices are a DeviceError naming both (named \p what); a
/// one-element CPU operand goes with "cuda" operands (PyTorch allows a 0-d CPU tensor among
/// them): it is copied to the device.
template <class T>
Device statement_device(const Statement<T>& s, const char* what, const Device& cpu) {
  const Tensor<T>* cuda_operand = nullptr;
  const Tensor<T>* full_cpu = nullptr;  // a CPU operand that cannot be copied along
  for (int k = 0; k < s.count; ++k) {
    const Tensor<T>& t = *s.operands[static_cast<std::size_t>(k)];
    if (!t.device().is_cuda()) {
      if (!full_cpu && t.numel() != 1) full_cpu = &t;
      continue;
    }
    EIGRAD_CHECK(!cuda_operand || cuda_operand->device() == t.device(), DeviceError, what,
                 ": expected all tensors to be on the same device, but found at least two devices, ",
                 cuda_operand->device(), " and ", t.device());
    cuda_operand = &t;
  }
  if (!cuda_operand) return cpu;
  EIGRAD_CHECK(!full_cpu, DeviceError, what, ": expected all tensors to be on the same device, but found at least "
               "two devices, ", cuda_operand->device(), " and cpu (a tensor of shape ", to_string(full_cpu->shape()),
               "; only a one-element CPU tensor may join cuda tensors)");
  return cuda_operand->device();
}

/// Scalar parameters op code \p c takes in a program.
constexpr int program_params(Code c) {
  if (c >= Code::AddScalar && c <= Code::RDivScalar) return 1;
  if (c == Code::PowScalarBase || c == Code::Clamp || c == Code::PowScalar) return 2;
  return ops::is_loss(c) ? 1 : 0;
}

/// Appends tape node \p node (whose operands are values \p a and \p b) to \p p; returns its value.
template <class T>
int append_node(Program<T>& p, const TapeNode<T>& node, int a, int b) {
  const Code c = node.code;
  if (ops::is_loss(c)) return p.loss(c, a, b, node.s);
  if (ops::is_binary(c)) return p.binary(c, a, b);
  if (c <= Code::Relu) return p.unary(c, a);
  if (c <= Code::RDivScalar) return p.scalar(c, a, node.s);
  if (c == Code::PowScalarBase) return p.pow_scalar_base(node.s, a);
  if (c == Code::Clamp) return p.clamp(a, node.s, node.s2);
  const int k = p.pow(a, static_cast<double>(node.s));  // then the entry's own kernels and exponents
  Instruction& in = p.code[k];
  in.pow = node.pow;
  in.pow_m1 = node.pow_m1;
  p.params[in.param] = node.s;
  p.params[in.param + 1] = node.s2;
  return k;
}

/// The first node of the subtree that ends at node \p end - 1 of \p tape.
template <class T>
int subtree_begin(const Tape<T>& tape, int end) {
  return end - tape[end - 1].size;
}

}  // namespace

template <class T>
void Tape<T>::grow() {
  heap_.assign(nodes_, nodes_ + count_);
  heap_.resize(static_cast<std::size_t>(2 * capacity_));
  capacity_ *= 2;
  nodes_ = heap_.data();
}

template <class T>
bool Tape<T>::fits(int begin, const TapeNode<T>& root) const {
  int params = program_params(root.code);
  int leaves = 0;
  std::array<const void*, Program<T>::kMaxLeaves + 1> ids{};
  for (int i = begin; i < count_; ++i) {
    const TapeNode<T>& node = nodes_[i];
    if (node.code != Code::Leaf) {
      params += program_params(node.code);
      continue;
    }
    const void* id = node.self->id();
    bool seen = false;
    for (int j = 0; j < leaves && !seen; ++j) seen = ids[static_cast<std::size_t>(j)] == id;
    if (!seen && leaves <= Program<T>::kMaxLeaves) ids[static_cast<std::size_t>(leaves++)] = id;
  }
  return count_ - begin + 1 <= Program<T>::kMaxInstructions && params <= Program<T>::kMaxParams &&
         leaves <= Program<T>::kMaxLeaves;
}

template <class T>
void Tape<T>::evaluate_subtree(int begin, int end) {
  const Tensor<T>* self = nodes_[end - 1].self;
  (void)self->defined();  // evaluates the expression: a statement of its own
  TapeNode<T> leaf;
  leaf.self = self;
  nodes_[begin] = leaf;
  std::copy(nodes_ + end, nodes_ + count_, nodes_ + begin + 1);
  count_ -= end - begin - 1;
}

template <class T>
void Tape<T>::op(const Tensor<T>& self, TapeNode<T> node, int operands) {
  const int b_begin = subtree_begin(*this, count_);
  const int begin = operands == 1 ? b_begin : subtree_begin(*this, b_begin);
  if (!fits(begin, node)) {
    if (operands == 1) {
      evaluate_subtree(begin, count_);
    } else {
      // the bigger operand first, then if need be the other
      const bool left_first = b_begin - begin >= count_ - b_begin;
      if (left_first) evaluate_subtree(begin, b_begin);
      else evaluate_subtree(b_begin, count_);
      if (!fits(begin, node)) {
        if (left_first) evaluate_subtree(begin + 1, count_);
        else evaluate_subtree(begin, count_ - 1);
      }
    }
  }
  node.self = &self;
  node.size = count_ - begin + 1;
  push(node);
}

template <class T>
Statement<T> lower_tape(const Tape<T>& tape, const Shape& shape) {
  Statement<T> s;
  const int size = tape.size();
  // Each node's parent, then who reads each operand and whether its values enter the gradients.
  std::array<int, kMaxValues> parent{};
  std::array<bool, kMaxValues> needed{};
  std::array<int, kMaxValues> pending{};  // values not yet taken by an op, a stack
  int top = 0;
  for (int i = 0; i < size; ++i) {
    const TapeNode<T>& node = tape[i];
    if (node.code != Code::Leaf)
      for (int k = ops::is_binary(node.code) ? 2 : 1; k > 0; --k) parent[static_cast<std::size_t>(pending[--top])] = i;
    pending[static_cast<std::size_t>(top++)] = i;
  }
  parent[static_cast<std::size_t>(size - 1)] = -1;
  for (int i = size - 1; i >= 0; --i) {
    const int up = parent[static_cast<std::size_t>(i)];
    needed[static_cast<std::size_t>(i)] =
        up >= 0 && (needed[static_cast<std::size_t>(up)] || tape[up].reads_values);
  }
  // The operands, numbered by identity in order of first occurrence (a tensor read twice is
  // one program leaf).
  std::array<int, kMaxValues> leaf_of_node{};
  int distinct = 0;
  for (int i = 0; i < size; ++i) {
    const TapeNode<T>& node = tape[i];
    if (node.code != Code::Leaf) continue;
    const std::size_t k = static_cast<std::size_t>(s.count++);
    s.operands[k] = node.self;
    const int up = parent[static_cast<std::size_t>(i)];
    s.readers[k] = up >= 0 ? tape[up].name : "";
    s.needed[k] = needed[static_cast<std::size_t>(i)];
    int j = 0;
    while (j < distinct && s.operands[static_cast<std::size_t>(s.first[static_cast<std::size_t>(j)])]->id() !=
                               node.self->id())
      ++j;
    if (j == distinct) s.first[static_cast<std::size_t>(distinct++)] = static_cast<int>(k);
    s.leaf[k] = j;
    leaf_of_node[static_cast<std::size_t>(i)] = j;
  }
  std::array<bool, kMaxLeaves> wants{};
  const bool recording = GradMode::is_enabled();
  for (int j = 0; j < distinct; ++j)
    wants[static_cast<std::size_t>(j)] =
        recording && s.operands[static_cast<std::size_t>(s.first[static_cast<std::size_t>(j)])]->requires_grad();
  // The program: one instruction per node, so each node's value is its position.
  for (int i = 0; i < size; ++i) {
    const TapeNode<T>& node = tape[i];
    if (node.code == Code::Leaf) {
      const int j = leaf_of_node[static_cast<std::size_t>(i)];
      s.program.leaf(j, wants[static_cast<std::size_t>(j)]);
    } else if (ops::is_binary(node.code)) {
      append_node(s.program, node, subtree_begin(tape, i) - 1, i - 1);  // each operand's root
    } else {
      append_node(s.program, node, i - 1, 0);
    }
  }
  s.shape = &shape;
  s.root_name = tape[size - 1].name;
  return s;
}

namespace {

// ------------------------------------------------------------------ small statements
// A statement of a few elements with nothing to record (the 0-d updates `a -= lr * grad`) runs
// straight from its tape: each node over every element, the same op table entries as the
// interpreter, without building a program or a block of kBlock lanes.

/// The most elements a statement runs element by element.
constexpr std::int64_t kSmallStatement = 16;

/// Whether the statement of \p tape over \p n elements runs element by element: every operand
/// on the CPU, and a node to record only when \p may_record.
template <class T>
bool runs_small(const Tape<T>& tape, std::int64_t n, bool may_record) {
  if (n < 1 || n > kSmallStatement || tape.size() > kMaxValues) return false;
  const bool recording = may_record && GradMode::is_enabled();
  for (int i = 0; i < tape.size(); ++i) {
    const TapeNode<T>& node = tape[i];
    if (node.code != Code::Leaf) continue;
    if (node.self->is_cuda() || (recording && node.self->requires_grad())) return false;
  }
  return true;
}

/// The values of the statement of \p tape over its \p n elements (runs_small() holds) into
/// \p out; reads every operand before it writes, so \p out may be one.
template <class T>
void run_small(const Tape<T>& tape, std::int64_t n, T* out) {
  const int m = static_cast<int>(n);
  T values[kMaxValues][kSmallStatement];  // a stack: each node replaces its operands by its value
  int top = 0;
  for (int i = 0; i < tape.size(); ++i) {
    const TapeNode<T>& node = tape[i];
    if (node.code == Code::Leaf) {
      const T* data = node.self->data();
      const bool broadcast = broadcast_operand(node.self->numel(), n);
      T* v = values[top++];
      for (int j = 0; j < m; ++j) v[j] = data[broadcast ? 0 : j];
      continue;
    }
    // The instruction and parameters a program holds for the node (append_node).
    Instruction in;
    in.code = node.code;
    in.pow = node.pow;
    in.pow_m1 = node.pow_m1;
    T params[2] = {node.s, node.s2};
    if (node.code == Code::PowScalarBase) {
      const ops::PowScalarBase<T> entry(node.s);
      params[0] = entry.s;
      params[1] = entry.log_base;
    }
    if (ops::is_binary(node.code)) {
      T* x = values[top - 2];
      const T* y = values[top - 1];
      --top;
      cuda::detail::with_binary_entry(in, params, [&](auto op) {
        for (int j = 0; j < m; ++j) x[j] = op.value(x[j], y[j]);
      });
    } else if (node.code == Code::PowScalar) {
      ops::PowScalarRuntime<T>(in.pow, in.pow_m1, params[0], params[1]).value_block(values[top - 1], values[top - 1], m);
    } else {
      T* x = values[top - 1];
      cuda::detail::with_unary_entry(cuda::detail::unary_of(in, params), [&](auto op) {
        for (int j = 0; j < m; ++j) x[j] = op.value(x[j]);
      });
    }
  }
  std::copy_n(values[0], m, out);
}

template <class T>
Tensor<T> evaluate_statement(const Statement<T>& s, Reduction reduction, const char* node_name) {
  const Device device = statement_device(s, node_name ? node_name : s.root_name, s.operands[0]->device());
  const std::int64_t n = eigrad::numel(*s.shape);
  Tensor<T> out;
  if (device.is_cuda()) {
    if (reduction == Reduction::None) {
      out = empty<T>(*s.shape, device);
      run_on_device(s, n, device, out.data_ptr(), static_cast<T*>(nullptr));
    } else {  // the sum stays on the device: item() is the only host wait of a step
      out = empty<T>({}, device);
      run_on_device(s, n, device, static_cast<T*>(nullptr), out.data_ptr());
      if (reduction == Reduction::Mean) out = divided_on_device(out, n);
    }
    return record_statement(s, n, out, reduction, node_name, device);
  }
  const LeafData<T> leaves = cpu_leaves(s.program, s.operands.data(), s.first.data(), n);
  // The values backward would recompute with a libm call per element are kept instead.
  Tensor<T> saved;
  std::array<T*, kMaxValues> save{};
  bool libm = false;
  for (int k = 0; k < s.program.size; ++k) libm = libm || libm_per_element(s.program.code[k]);
  if (libm && records(s)) {
    const BackwardValues plan = backward_values(s.program, true);
    if (plan.saved_count > 0) {
      saved = empty<T>({plan.saved_count * n}, device);
      save = saved_rows(plan, saved.data(), n);
    }
  }
  T* const* keep = saved.defined() ? save.data() : nullptr;
  if (reduction == Reduction::None) {
    out = empty<T>(*s.shape, device);
    run_forward_cpu(s.program, leaves, n, out.data(), static_cast<eigrad::detail::CascadeSum<T>*>(nullptr), keep);
  } else {  // PyTorch's order (detail/cascade_sum.hpp)
    eigrad::detail::CascadeSum<T> total(n);
    run_forward_cpu(s.program, leaves, n, static_cast<T*>(nullptr), &total, keep);
    const T sum = total.result();
    out = scalar_tensor<T>(
        reduction == Reduction::Mean ? (n ? sum / static_cast<T>(n) : std::numeric_limits<T>::quiet_NaN()) : sum,
        device);
  }
  return record_statement(s, n, out, reduction, node_name, device, std::move(saved));
}

template <class T>
void evaluate_statement_into(const Statement<T>& s, const Tensor<T>& target) {
  const Device device = statement_device(s, "in-place update", target.device());
  EIGRAD_CHECK(target.device() == device, DeviceError, "in-place update: expected all tensors to be on the same "
               "device, but found at least two devices, ", target.device(), " and ", device);
  const std::int64_t n = eigrad::numel(*s.shape);
  if (device.is_cuda()) return run_on_device(s, n, device, target.data_ptr(), static_cast<T*>(nullptr));
  const LeafData<T> leaves = cpu_leaves(s.program, s.operands.data(), s.first.data(), n);
  run_forward_cpu(s.program, leaves, n, target.data(), static_cast<eigrad::detail::CascadeSum<T>*>(nullptr));
}

}  // namespace

template <class T>
Tensor<T> evaluate_tape(const Tape<T>& tape, const Shape& shape, Reduction reduction, const char* node_name) {
  const std::int64_t n = eigrad::numel(shape);
  if (!runs_small(tape, n, true)) return evaluate_statement(lower_tape(tape, shape), reduction, node_name);
  const Device device = tape[0].self->device();
  if (reduction == Reduction::None) {
    Tensor<T> out = empty<T>(shape, device);
    run_small(tape, n, out.data());
    return out;
  }
  T values[kSmallStatement];
  run_small(tape, n, values);
  eigrad::detail::CascadeSum<T> total(n);  // PyTorch's order, as every statement's sum
  total.add(values, n);
  const T sum = total.result();
  return scalar_tensor<T>(reduction == Reduction::Mean ? sum / static_cast<T>(n) : sum, device);
}

template <class T>
void evaluate_tape_into(const Tape<T>& tape, const Shape& shape, const Tensor<T>& target) {
  const std::int64_t n = eigrad::numel(shape);
  if (target.is_cuda() || !runs_small(tape, n, false)) return evaluate_statement_into(lower_tape(tape, shape), target);
  run_small(tape, n, target.data());
}

#define EIGRAD_INSTANTIATE(T)                                                                 \
  template class Tape<T>;                                                                     \
  template Statement<T> lower_tape(const Tape<T>&, const Shape&);                             \
  template Tensor<T> evaluate_tape(const Tape<T>&, const Shape&, Reduction, const char*);   \
  template void evaluate_tape_into(const Tape<T>&, const Shape&, const Tensor<T>&);
EIGRAD_INSTANTIATE(float)
EIGRAD_INSTANTIATE(double)
#undef EIGRAD_INSTANTIATE

}  // namespace eigrad::expr::detail
