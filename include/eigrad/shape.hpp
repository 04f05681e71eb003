#pragma once
/// \file shape.hpp
/// \brief Shapes: row-major extents of rank 0 to 8, and NumPy broadcasting.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <initializer_list>
#include <iosfwd>
#include <iterator>
#include <string>
#include <type_traits>
#include <vector>

namespace eigrad {

/// Highest rank a tensor may have.
constexpr int kMaxRank = 8;

/// A tensor's extents, outermost first (row-major); empty for a scalar (rank 0).
///
/// A vector of `std::int64_t` with std::vector's interface (and implicit conversions to and
/// from `std::vector<std::int64_t>`) that keeps up to kMaxRank values inside itself, so making
/// a tensor allocates no shape; longer lists (as a list of sizes may be) go to the heap.
class Shape {
 public:
  using value_type = std::int64_t;                                    ///< element type
  using size_type = std::size_t;                                      ///< size type
  using difference_type = std::ptrdiff_t;                             ///< iterator distance
  using reference = std::int64_t&;                                    ///< element reference
  using const_reference = const std::int64_t&;                        ///< element reference
  using pointer = std::int64_t*;                                      ///< element pointer
  using const_pointer = const std::int64_t*;                          ///< element pointer
  using iterator = std::int64_t*;                                     ///< iterator
  using const_iterator = const std::int64_t*;                         ///< iterator
  using reverse_iterator = std::reverse_iterator<iterator>;             ///< reverse iterator
  using const_reverse_iterator = std::reverse_iterator<const_iterator>; ///< reverse iterator

  /// Rank 0.
  Shape() noexcept = default;
  /// The extents \p values.
  Shape(std::initializer_list<std::int64_t> values) { assign(values.begin(), values.end()); }
  /// \p count extents of \p value.
  explicit Shape(size_type count, std::int64_t value = 0) { assign(count, value); }
  /// The extents in [\p first, \p last).
  template <class It, class = typename std::iterator_traits<It>::iterator_category>
  Shape(It first, It last) {
    assign(first, last);
  }
  /// The extents of \p values.
  Shape(const std::vector<std::int64_t>& values) { assign(values.begin(), values.end()); }  // NOLINT: implicit by design
  /// A copy.
  Shape(const Shape& other) { assign(other.begin(), other.end()); }
  /// Takes \p other's extents (a heap list is handed over).
  Shape(Shape&& other) noexcept { take(other); }
  ~Shape() { release(); }
  /// A copy.
  Shape& operator=(const Shape& other) {
    if (this != &other) assign(other.begin(), other.end());
    return *this;
  }
  /// Takes \p other's extents.
  Shape& operator=(Shape&& other) noexcept {
    if (this != &other) {
      release();
      take(other);
    }
    return *this;
  }
  /// The extents \p values.
  Shape& operator=(std::initializer_list<std::int64_t> values) {
    assign(values.begin(), values.end());
    return *this;
  }
  /// As a std::vector.
  operator std::vector<std::int64_t>() const { return std::vector<std::int64_t>(begin(), end()); }  // NOLINT

  /// Replaces the extents with [\p first, \p last).
  template <class It, class = typename std::iterator_traits<It>::iterator_category>
  void assign(It first, It last) {
    if constexpr (std::is_base_of_v<std::forward_iterator_tag, typename std::iterator_traits<It>::iterator_category>) {
      const auto n = static_cast<size_type>(std::distance(first, last));
      size_ = 0;
      reserve(n);
      std::copy(first, last, data_);
      size_ = n;
    } else {
      clear();
      for (; first != last; ++first) push_back(*first);
    }
  }
  /// Replaces the extents with \p count copies of \p value.
  void assign(size_type count, std::int64_t value) {
    size_ = 0;
    reserve(count);
    std::fill(data_, data_ + count, value);
    size_ = count;
  }

  /// Number of extents (the rank).
  size_type size() const noexcept { return size_; }
  /// Whether the rank is 0.
  bool empty() const noexcept { return size_ == 0; }
  /// Extents held without a reallocation.
  size_type capacity() const noexcept { return capacity_; }
  /// The first extent.
  std::int64_t* data() noexcept { return data_; }
  /// The first extent.
  const std::int64_t* data() const noexcept { return data_; }
  /// Extent \p i.
  std::int64_t& operator[](size_type i) { return data_[i]; }
  /// Extent \p i.
  const std::int64_t& operator[](size_type i) const { return data_[i]; }
  /// Extent \p i; std::out_of_range past the end.
  std::int64_t& at(size_type i);
  /// Extent \p i; std::out_of_range past the end.
  const std::int64_t& at(size_type i) const;
  /// The first extent.
  std::int64_t& front() { return data_[0]; }
  /// The first extent.
  const std::int64_t& front() const { return data_[0]; }
  /// The last extent.
  std::int64_t& back() { return data_[size_ - 1]; }
  /// The last extent.
  const std::int64_t& back() const { return data_[size_ - 1]; }

  /// Iterators.
  iterator begin() noexcept { return data_; }
  /// \copydoc begin()
  iterator end() noexcept { return data_ + size_; }
  /// \copydoc begin()
  const_iterator begin() const noexcept { return data_; }
  /// \copydoc begin()
  const_iterator end() const noexcept { return data_ + size_; }
  /// \copydoc begin()
  const_iterator cbegin() const noexcept { return data_; }
  /// \copydoc begin()
  const_iterator cend() const noexcept { return data_ + size_; }
  /// \copydoc begin()
  reverse_iterator rbegin() noexcept { return reverse_iterator(end()); }
  /// \copydoc begin()
  reverse_iterator rend() noexcept { return reverse_iterator(begin()); }
  /// \copydoc begin()
  const_reverse_iterator rbegin() const noexcept { return const_reverse_iterator(end()); }
  /// \copydoc begin()
  const_reverse_iterator rend() const noexcept { return const_reverse_iterator(begin()); }

  /// Makes room for \p n extents.
  void reserve(size_type n) {
    if (n > capacity_) grow(n);
  }
  /// Rank 0 (the room stays).
  void clear() noexcept { size_ = 0; }
  /// Appends \p value.
  void push_back(std::int64_t value) {
    if (size_ == capacity_) grow(2 * capacity_);
    data_[size_++] = value;
  }
  /// Removes the last extent.
  void pop_back() { --size_; }
  /// \p n extents: new ones are \p value.
  void resize(size_type n, std::int64_t value = 0) {
    reserve(n);
    if (n > size_) std::fill(data_ + size_, data_ + n, value);
    size_ = n;
  }
  /// Inserts \p value before \p pos; returns its position.
  iterator insert(const_iterator pos, std::int64_t value) { return insert(pos, size_type{1}, value); }
  /// Inserts \p count copies of \p value before \p pos; returns the first's position.
  iterator insert(const_iterator pos, size_type count, std::int64_t value) {
    const size_type at = open_gap(pos, count);
    std::fill(data_ + at, data_ + at + count, value);
    return data_ + at;
  }
  /// Inserts [\p first, \p last) before \p pos (not a range of this shape); returns the first's
  /// position.
  template <class It, class = typename std::iterator_traits<It>::iterator_category>
  iterator insert(const_iterator pos, It first, It last) {
    const std::vector<std::int64_t> values(first, last);  // first may point into this shape
    const size_type at = open_gap(pos, values.size());
    std::copy(values.begin(), values.end(), data_ + at);
    return data_ + at;
  }
  /// Inserts \p values before \p pos.
  iterator insert(const_iterator pos, std::initializer_list<std::int64_t> values) {
    return insert(pos, values.begin(), values.end());
  }
  /// Removes the extent at \p pos; returns the position after it.
  iterator erase(const_iterator pos) { return erase(pos, pos + 1); }
  /// Removes [\p first, \p last); returns the position after them.
  iterator erase(const_iterator first, const_iterator last) {
    const auto at = static_cast<size_type>(first - data_);
    const auto count = static_cast<size_type>(last - first);
    std::copy(data_ + at + count, data_ + size_, data_ + at);
    size_ -= count;
    return data_ + at;
  }
  /// Exchanges the extents of two shapes.
  void swap(Shape& other) noexcept {
    Shape t(std::move(other));
    other = std::move(*this);
    *this = std::move(t);
  }

  /// Equal ranks and extents.
  friend bool operator==(const Shape& a, const Shape& b) {
    return a.size_ == b.size_ && std::equal(a.begin(), a.end(), b.begin());
  }
  /// Not ==.
  friend bool operator!=(const Shape& a, const Shape& b) { return !(a == b); }
  /// Lexicographic order, as std::vector's.
  friend bool operator<(const Shape& a, const Shape& b) {
    return std::lexicographical_compare(a.begin(), a.end(), b.begin(), b.end());
  }
  /// The same extents as \p b.
  friend bool operator==(const Shape& a, const std::vector<std::int64_t>& b) {
    return a.size_ == b.size() && std::equal(a.begin(), a.end(), b.begin());
  }
  /// The same extents as \p a.
  friend bool operator==(const std::vector<std::int64_t>& a, const Shape& b) { return b == a; }
  /// Not ==.
  friend bool operator!=(const Shape& a, const std::vector<std::int64_t>& b) { return !(a == b); }
  /// Not ==.
  friend bool operator!=(const std::vector<std::int64_t>& a, const Shape& b) { return !(b == a); }

 private:
  void grow(size_type n);
  void release() noexcept {
    if (data_ != inline_) delete[] data_;
    data_ = inline_;
    capacity_ = kMaxRank;
  }
  void take(Shape& other) noexcept {
    if (other.data_ == other.inline_) {
      std::memcpy(inline_, other.inline_, other.size_ * sizeof(std::int64_t));
      data_ = inline_;
      capacity_ = kMaxRank;
    } else {
      data_ = other.data_;
      capacity_ = other.capacity_;
      other.data_ = other.inline_;
      other.capacity_ = kMaxRank;
    }
    size_ = other.size_;
    other.size_ = 0;
  }
  size_type open_gap(const_iterator pos, size_type count) {
    const auto at = static_cast<size_type>(pos - data_);
    reserve(size_ + count);
    std::copy_backward(data_ + at, data_ + size_, data_ + size_ + count);
    size_ += count;
    return at;
  }

  std::int64_t* data_ = inline_;
  size_type size_ = 0;
  size_type capacity_ = kMaxRank;
  std::int64_t inline_[kMaxRank];
};

/// Number of elements of \p shape (1 for a scalar); throws ShapeError when the count
/// overflows a 64-bit integer.
std::int64_t numel(const Shape& shape);
/// "[2000, 3]" style text, as in PyTorch's error messages.
std::string to_string(const Shape& shape);
/// Row-major strides (in elements) of a contiguous tensor of \p shape.
Shape contiguous_strides(const Shape& shape);
/// NumPy broadcasting of two shapes; throws ShapeError naming both when they do not fit.
Shape broadcast_shapes(const Shape& a, const Shape& b);
/// Wraps a possibly negative dimension index into [0, rank); throws ValueError when out of range.
int wrap_dim(std::int64_t dim, int rank);
/// Throws ShapeError when \p shape has a negative extent, a rank above kMaxRank, or more
/// elements than a 64-bit count holds.
void check_shape(const Shape& shape);
/// Prints to_string(\p shape), "[2, 3]".
std::ostream& operator<<(std::ostream& os, const Shape& shape);

}  // namespace eigrad
