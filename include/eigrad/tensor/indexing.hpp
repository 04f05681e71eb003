#pragma once
/// \file tensor/indexing.hpp
/// \brief LibTorch-style multi-indices for Tensor::index(): `t.index({Slice(0, 3), 1})`.
#include <cstdint>
#include <optional>

#include "eigrad/tensor/options.hpp"

namespace eigrad::indexing {

/// A Python slice `start:stop:step` along one dimension. An absent bound means the start or
/// the end of the dimension; negative bounds count from the end, and bounds past either end
/// are clamped, as in Python.
struct Slice {
  /// `start:stop:step`; `Slice()` is `:`, `Slice(None, 3)` is `:3`.
  Slice(std::optional<std::int64_t> start = std::nullopt, std::optional<std::int64_t> stop = std::nullopt,
        std::optional<std::int64_t> step = std::nullopt)
      : start(start), stop(stop), step(step) {}
  std::optional<std::int64_t> start;  ///< first index (absent: 0)
  std::optional<std::int64_t> stop;   ///< one past the last (absent: the extent)
  std::optional<std::int64_t> step;   ///< stride, positive (absent: 1)
};

/// The type of `Ellipsis`.
struct EllipsisIndexType {};
/// `...`: as many full slices as the other indices leave dimensions.
inline constexpr EllipsisIndexType Ellipsis{};
/// `None`: a new dimension of extent 1 (and an absent Slice bound).
inline constexpr std::nullopt_t None = std::nullopt;

/// One entry of a multi-index: an integer (selects and drops the dimension), a Slice, None
/// or Ellipsis (also spelled "...").
class TensorIndex {
 public:
  /// What the entry is.
  enum class Kind { Integer, Slice, None, Ellipsis };
  /// An integer index (negative counts from the end).
  TensorIndex(std::int64_t i) : kind_(Kind::Integer), integer_(i) {}  // NOLINT: implicit as LibTorch
  /// An integer index.
  TensorIndex(int i) : TensorIndex(static_cast<std::int64_t>(i)) {}  // NOLINT
  /// A slice.
  TensorIndex(Slice s) : kind_(Kind::Slice), slice_(s) {}  // NOLINT
  /// A new dimension.
  TensorIndex(std::nullopt_t) : kind_(Kind::None) {}  // NOLINT
  /// An ellipsis.
  TensorIndex(EllipsisIndexType) : kind_(Kind::Ellipsis) {}  // NOLINT
  /// "..." (ValueError for any other string).
  TensorIndex(const char* text);  // NOLINT
  /// What the entry is.
  Kind kind() const { return kind_; }
  /// The integer of an Integer entry.
  std::int64_t integer() const { return integer_; }
  /// The slice of a Slice entry.
  const Slice& slice() const { return slice_; }

 private:
  Kind kind_;
  std::int64_t integer_ = 0;
  Slice slice_;
};

}  // namespace eigrad::indexing
