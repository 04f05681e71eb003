#pragma once
// Internal: the order in which the CPU sums a contiguous run of elements (eager sums, a fused
// statement's sum and the adjoints of its one-element leaves).
#include <cstdint>

namespace eigrad::detail {

/// Sums n contiguous elements, fed in element order, in the order of PyTorch's CPU sum
/// (ATen's cascade_sum over a contiguous row as built for AVX2: 256-bit vectors, four of them
/// at a time, partial sums cascaded over four levels). Why PyTorch's order: the golden traces
/// are PyTorch's, and a chaotic run (RMSprop at its loss floor) leaves PyTorch's own envelope
/// when only the order of its sums changes (scripts/chaos-permutations.py); summing in
/// PyTorch's order keeps eigrad on PyTorch's trajectory wherever the elementwise math matches.
/// The order is a fixed function of n (the same result on every machine), its lanes
/// vectorise, and its error grows with log n, not n.
///
/// The order: the elements are read as U = n / L vectors of L = 32 / sizeof(T) lanes (as
/// single elements, L = 1, when n < 32 / sizeof(T)), and the vectors as G = U / 4 groups of
/// four. Each group is added lanewise into level 0; after every 2^p groups level 0 is added
/// into level 1 and cleared, and so on up to level 3 while the group count is a multiple of
/// 2^(p·level), where p = max(4, ⌈log2 G⌉ / 4). Then level 0 += levels 1, 2, 3; the U − 4G
/// vectors left over are added into the group's first vector, and the group's other three
/// vectors into that one. The last n − L·U elements are summed one by one from zero, the
/// lanes of that vector added to the result in order, and the result added to zero.
template <class T>
class CascadeSum {
 public:
  static constexpr int kLanes = static_cast<int>(32 / sizeof(T));
  static constexpr int kGroup = 4 * kLanes;

  /// A sum to be started by reset().
  CascadeSum() = default;
  /// A sum of \p n elements.
  explicit CascadeSum(std::int64_t n) { reset(n); }

  /// Starts a new sum of \p n elements.
  void reset(std::int64_t n);
  /// Adds the next \p m elements, \p v[0 .. m).
  void add(const T* v, std::int64_t m);
  /// The sum of the n elements (once all are added).
  T result() const;

 private:
  void add_groups(const T* v, std::int64_t groups);
  void add_elements(const T* v, std::int64_t m);
  void cascade();
  void close_groups();

  int group() const { return 4 * width_; }  // elements of a group

  int width_ = 1;  // lanes of a vector
  std::int64_t groups_end_ = 0, vectors_end_ = 0;
  int power_ = 4;  // a cascade step every 2^power_ groups
  T level_[4][kGroup];
  int in_group_ = 0;
  std::int64_t groups_done_ = 0, until_cascade_ = 16;
  bool closed_ = false;
  T tail_ = T(0);
  std::int64_t next_ = 0;
};

/// The sum of \p v[0 .. n) in CascadeSum's order.
template <class T>
T cascade_sum(const T* v, std::int64_t n);

// Compiled once, in src/detail/cascade_sum.cpp.
extern template class CascadeSum<float>;
extern template class CascadeSum<double>;
extern template float cascade_sum(const float*, std::int64_t);
extern template double cascade_sum(const double*, std::int64_t);

}  // namespace eigrad::detail
