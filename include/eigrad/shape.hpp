#pragma once
/// \file shape.hpp
/// \brief Shapes: row-major extents of rank 0 to 8, and NumPy broadcasting.
#include <cstdint>
#include <initializer_list>
#include <iosfwd>
#include <string>
#include <vector>

namespace eigrad {

/// Highest rank a tensor may have.
constexpr int kMaxRank = 8;

/// A tensor's extents, outermost first (row-major). Empty for a scalar (rank 0).
using Shape = std::vector<std::int64_t>;

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
/// Prints to_string(\p shape), "[2, 3]". Shape is a std::vector, so argument-dependent
/// lookup does not find this operator: it is found inside namespace eigrad or after
/// `using namespace eigrad;` / `using eigrad::operator<<;`.
std::ostream& operator<<(std::ostream& os, const Shape& shape);

}  // namespace eigrad
