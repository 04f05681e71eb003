#pragma once
// Internal: the order in which the CPU sums a contiguous run of elements (eager sums, a fused
// statement's sum and the adjoints of its one-element leaves).
#include <algorithm>
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
  void reset(std::int64_t n) {
    width_ = n >= kLanes ? kLanes : 1;
    group_ = 4 * width_;
    const std::int64_t vectors = n / width_;
    groups_end_ = vectors / 4 * group_;
    vectors_end_ = vectors * width_;
    const std::int64_t groups = vectors / 4;
    power_ = std::max(4, ceil_log2(groups) / 4);
    mask_ = (std::int64_t{1} << power_) - 1;
    std::fill(&level_[0][0], &level_[0][0] + 4 * kGroup, T(0));
    in_group_ = 0;
    groups_done_ = 0;
    until_cascade_ = std::int64_t{1} << power_;
    closed_ = false;
    tail_ = T(0);
    next_ = 0;
  }

  /// Adds the next \p m elements, \p v[0 .. m).
  void add(const T* v, std::int64_t m) {
    if (in_group_ == 0 && group_ == kGroup) {  // whole groups of vectors: the hot path
      const std::int64_t groups = std::min(m, groups_end_ - next_) / kGroup;
      if (groups > 0) {
        add_groups(v, groups);
        v += groups * kGroup;
        m -= groups * kGroup;
        next_ += groups * kGroup;
      }
    }
    if (m > 0) add_elements(v, m);
  }

  /// The sum of the n elements (once all are added).
  T result() const {
    T first[kGroup];
    for (int j = 0; j < group_; ++j) first[j] = level_[0][j];
    if (!closed_)
      for (int level = 1; level < 4; ++level)
        for (int j = 0; j < group_; ++j) first[j] += level_[level][j];
    for (int k = 1; k < 4; ++k)
      for (int j = 0; j < width_; ++j) first[j] += first[k * width_ + j];
    T sum = tail_;
    for (int j = 0; j < width_; ++j) sum += first[j];
    return T(0) + sum;
  }

 private:
  static int ceil_log2(std::int64_t x) {  // c10's CeilLog2: 1 for x <= 2
    int bits = 1;
    while (bits < 62 && (std::int64_t{1} << bits) < x) ++bits;
    return bits;
  }

  // Whole groups: level 0 stays in registers between the cascade steps.
  void add_groups(const T* v, std::int64_t groups) {
    while (groups > 0) {
      const std::int64_t run = std::min(groups, until_cascade_);
      T acc[kGroup];
      for (int j = 0; j < kGroup; ++j) acc[j] = level_[0][j];
      for (std::int64_t g = 0; g < run; ++g, v += kGroup)
        for (int j = 0; j < kGroup; ++j) acc[j] += v[j];
      for (int j = 0; j < kGroup; ++j) level_[0][j] = acc[j];
      groups -= run;
      groups_done_ += run;
      until_cascade_ -= run;
      if (until_cascade_ == 0) cascade();
    }
  }

  // Any elements, one at a time, wherever they fall: within a group, in the vectors left over
  // after the last whole group, or in the tail.
  void add_elements(const T* v, std::int64_t m) {
    for (; m > 0 && next_ < groups_end_; --m, ++v, ++next_) {
      level_[0][in_group_] += *v;
      if (++in_group_ == group_) {
        in_group_ = 0;
        ++groups_done_;
        if (--until_cascade_ == 0) cascade();
      }
    }
    if (m <= 0) return;
    close_groups();
    for (; m > 0 && next_ < vectors_end_; --m, ++v, ++next_) level_[0][(next_ - groups_end_) % width_] += *v;
    for (; m > 0; --m, ++v, ++next_) tail_ += *v;
  }

  // Level 0 into level 1 after every 2^p groups, level 1 into 2 after every 2^2p, ...
  void cascade() {
    until_cascade_ = std::int64_t{1} << power_;
    for (int level = 1; level < 4; ++level) {
      for (int j = 0; j < group_; ++j) {
        level_[level][j] += level_[level - 1][j];
        level_[level - 1][j] = T(0);
      }
      if ((groups_done_ & (mask_ << (level * power_))) != 0) break;
    }
  }

  void close_groups() {
    if (closed_) return;
    closed_ = true;
    for (int level = 1; level < 4; ++level)
      for (int j = 0; j < group_; ++j) level_[0][j] += level_[level][j];
  }

  int width_ = 1;  // lanes of a vector
  int group_ = 4;  // elements of a group
  std::int64_t groups_end_ = 0, vectors_end_ = 0;
  int power_ = 4;
  std::int64_t mask_ = 15;
  T level_[4][kGroup];
  int in_group_ = 0;
  std::int64_t groups_done_ = 0, until_cascade_ = 16;
  bool closed_ = false;
  T tail_ = T(0);
  std::int64_t next_ = 0;
};

/// The sum of \p v[0 .. n) in CascadeSum's order.
template <class T>
T cascade_sum(const T* v, std::int64_t n) {
  CascadeSum<T> sum(n);
  sum.add(v, n);
  return sum.result();
}

}  // namespace eigrad::detail
