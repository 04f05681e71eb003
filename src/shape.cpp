#include "eigrad/shape.hpp"

#include <ostream>
#include <sstream>
#include <stdexcept>

#include "eigrad/errors.hpp"

namespace eigrad {

void Shape::grow(size_type n) {
  const size_type capacity = std::max(n, 2 * capacity_);
  auto* bigger = new std::int64_t[capacity];
  std::copy(data_, data_ + size_, bigger);
  if (data_ != inline_) delete[] data_;
  data_ = bigger;
  capacity_ = capacity;
}

std::int64_t& Shape::at(size_type i) {
  if (i >= size_) throw std::out_of_range("eigrad::Shape::at: index " + std::to_string(i) + " past rank " + std::to_string(size_));
  return data_[i];
}

const std::int64_t& Shape::at(size_type i) const { return const_cast<Shape&>(*this).at(i); }

std::int64_t numel(const Shape& shape) {
  std::int64_t n = 1;
  for (auto e : shape)
    EIGRAD_CHECK(!__builtin_mul_overflow(n, e, &n), ShapeError, "shape ", to_string(shape),
                 " has more elements than a 64-bit count holds");
  return n;
}

std::string to_string(const Shape& shape) {
  std::ostringstream os;
  os << '[';
  for (std::size_t i = 0; i < shape.size(); ++i) os << (i ? ", " : "") << shape[i];
  os << ']';
  return os.str();
}

std::ostream& operator<<(std::ostream& os, const Shape& shape) { return os << to_string(shape); }

Shape contiguous_strides(const Shape& shape) {
  Shape strides(shape.size());
  std::int64_t s = 1;
  for (std::size_t i = shape.size(); i-- > 0;) {
    strides[i] = s;
    s *= shape[i];
  }
  return strides;
}

Shape broadcast_shapes(const Shape& a, const Shape& b) {
  const std::size_t rank = std::max(a.size(), b.size());
  Shape out(rank);
  for (std::size_t i = 0; i < rank; ++i) {
    const std::int64_t ea = i < rank - a.size() ? 1 : a[i - (rank - a.size())];
    const std::int64_t eb = i < rank - b.size() ? 1 : b[i - (rank - b.size())];
    EIGRAD_CHECK(ea == eb || ea == 1 || eb == 1, ShapeError, "shapes ", to_string(a), " and ", to_string(b),
                 " cannot be broadcast together (dimension ", i, ": ", ea, " vs ", eb, ")");
    out[i] = ea == 1 ? eb : ea;
  }
  return out;
}

int wrap_dim(std::int64_t dim, int rank) {
  const int r = rank == 0 ? 1 : rank;  // a scalar accepts dims 0 and -1, as PyTorch does
  EIGRAD_CHECK(dim >= -r && dim < r, ValueError, "dimension ", dim, " is out of range for a tensor of rank ", rank,
               " (expected in [", -r, ", ", r - 1, "])");
  return static_cast<int>(dim < 0 ? dim + r : dim);
}

void check_shape(const Shape& shape) {
  EIGRAD_CHECK(shape.size() <= static_cast<std::size_t>(kMaxRank), ShapeError, "shape ", to_string(shape),
               " has rank ", shape.size(), ", above the maximum rank ", kMaxRank);
  for (auto e : shape) EIGRAD_CHECK(e >= 0, ShapeError, "shape ", to_string(shape), " has a negative extent");
  numel(shape);  // throws on an element count past int64, before anything is allocated
}

}  // namespace eigrad
