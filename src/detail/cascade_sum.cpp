#include "eigrad/detail/cascade_sum.hpp"

#include <algorithm>

namespace eigrad::detail {

namespace {
int ceil_log2(std::int64_t x) {  // c10's CeilLog2: 1 for x <= 2
  int bits = 1;
  while (bits < 62 && (std::int64_t{1} << bits) < x) ++bits;
  return bits;
}
}  // namespace

template <class T>
void CascadeSum<T>::reset(std::int64_t n) {
  width_ = n >= kLanes ? kLanes : 1;
  const std::int64_t vectors = n / width_;
  groups_end_ = vectors / 4 * group();
  vectors_end_ = vectors * width_;
  const std::int64_t groups = vectors / 4;
  power_ = std::max(4, ceil_log2(groups) / 4);
  std::fill(&level_[0][0], &level_[0][0] + 4 * kGroup, T(0));
  in_group_ = 0;
  groups_done_ = 0;
  until_cascade_ = std::int64_t{1} << power_;
  closed_ = false;
  tail_ = T(0);
  next_ = 0;
}

template <class T>
void CascadeSum<T>::add(const T* v, std::int64_t m) {
  if (in_group_ == 0 && width_ == kLanes) {  // whole groups of vectors: the hot path
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

template <class T>
T CascadeSum<T>::result() const {
  T first[kGroup];
  for (int j = 0; j < group(); ++j) first[j] = level_[0][j];
  if (!closed_)
    for (int level = 1; level < 4; ++level)
      for (int j = 0; j < group(); ++j) first[j] += level_[level][j];
  for (int k = 1; k < 4; ++k)
    for (int j = 0; j < width_; ++j) first[j] += first[k * width_ + j];
  T sum = tail_;
  for (int j = 0; j < width_; ++j) sum += first[j];
  return T(0) + sum;
}

// Whole groups: level 0 stays in registers between the cascade steps.
template <class T>
void CascadeSum<T>::add_groups(const T* v, std::int64_t groups) {
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
template <class T>
void CascadeSum<T>::add_elements(const T* v, std::int64_t m) {
  for (; m > 0 && next_ < groups_end_; --m, ++v, ++next_) {
    level_[0][in_group_] += *v;
    if (++in_group_ == group()) {
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
template <class T>
void CascadeSum<T>::cascade() {
  until_cascade_ = std::int64_t{1} << power_;
  const std::int64_t mask = until_cascade_ - 1;
  for (int level = 1; level < 4; ++level) {
    for (int j = 0; j < group(); ++j) {
      level_[level][j] += level_[level - 1][j];
      level_[level - 1][j] = T(0);
    }
    if ((groups_done_ & (mask << (level * power_))) != 0) break;
  }
}

template <class T>
void CascadeSum<T>::close_groups() {
  if (closed_) return;
  closed_ = true;
  for (int level = 1; level < 4; ++level)
    for (int j = 0; j < group(); ++j) level_[0][j] += level_[level][j];
}

template <class T>
T cascade_sum(const T* v, std::int64_t n) {
  CascadeSum<T> sum(n);
  sum.add(v, n);
  return sum.result();
}

template class CascadeSum<float>;
template class CascadeSum<double>;
template float cascade_sum(const float*, std::int64_t);
template double cascade_sum(const double*, std::int64_t);

}  // namespace eigrad::detail
