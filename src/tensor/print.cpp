// operator<< for tensors, following PyTorch's repr (torch/_tensor_str.py, default print options:
// precision 4, threshold 1000, edgeitems 3, linewidth 80).
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <ostream>
#include <sstream>

#include "eigrad/autograd/node.hpp"
#include "eigrad/tensor.hpp"

namespace eigrad {

namespace {

constexpr int kPrecision = 4;
constexpr std::int64_t kThreshold = 1000;
constexpr std::int64_t kEdgeItems = 3;
constexpr int kLineWidth = 80;

std::string printf_string(const char* fmt, int width, int precision, double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, fmt, width, precision, v);
  return buf;
}

/// Chooses one format for every element: integers ("1."), fixed ("1.0000") or scientific.
class Formatter {
 public:
  explicit Formatter(const std::vector<double>& values) {
    std::vector<double> finite;
    for (double v : values)
      if (std::isfinite(v) && v != 0) finite.push_back(std::abs(v));
    if (finite.empty()) return;
    const double lo = *std::min_element(finite.begin(), finite.end());
    const double hi = *std::max_element(finite.begin(), finite.end());
    for (double v : values)
      if (std::isfinite(v) && v != std::ceil(v)) int_mode_ = false;
    if (int_mode_) {
      sci_mode_ = hi / lo > 1000. || hi > 1.e8;
    } else {
      sci_mode_ = hi / lo > 1000. || hi > 1.e8 || lo < 1.e-4;
    }
    for (double v : values) {
      if (!std::isfinite(v) || v == 0) continue;
      std::size_t len;
      if (sci_mode_) len = printf_string("%*.*e", 0, kPrecision, v).size();
      else if (int_mode_) len = printf_string("%*.*f", 0, 0, v).size() + 1;
      else len = printf_string("%*.*f", 0, kPrecision, v).size();
      width_ = std::max(width_, len);
    }
  }
  std::size_t width() const { return width_; }
  std::string format(double v) const {
    std::string s;
    if (std::isnan(v)) {
      s = "nan";  // Python prints no sign on NaN, whatever its sign bit
    } else if (sci_mode_) {
      s = printf_string("%*.*e", static_cast<int>(width_), kPrecision, v);
    } else if (int_mode_) {
      s = printf_string("%*.*f", 0, 0, v);
      if (std::isfinite(v)) s += '.';
    } else {
      s = printf_string("%*.*f", 0, kPrecision, v);
    }
    if (s.size() < width_) s.insert(0, width_ - s.size(), ' ');
    return s;
  }

 private:
  bool int_mode_ = true;
  bool sci_mode_ = false;
  std::size_t width_ = 1;
};

struct Printer {
  const double* data;
  const Shape& shape;
  const Formatter& fmt;
  bool summarize;

  std::string vector_str(std::int64_t offset, int indent) const {
    const std::int64_t n = shape.back();
    const std::size_t element_length = fmt.width() + 2;
    const std::size_t per_line =
        std::max<std::size_t>(1, static_cast<std::size_t>(kLineWidth - indent) / element_length);
    std::vector<std::string> items;
    if (summarize && n > 2 * kEdgeItems) {
      for (std::int64_t i = 0; i < kEdgeItems; ++i) items.push_back(fmt.format(data[offset + i]));
      items.push_back(" ...");
      for (std::int64_t i = n - kEdgeItems; i < n; ++i) items.push_back(fmt.format(data[offset + i]));
    } else {
      for (std::int64_t i = 0; i < n; ++i) items.push_back(fmt.format(data[offset + i]));
    }
    std::string out = "[";
    for (std::size_t i = 0; i < items.size(); ++i) {
      if (i > 0) out += (i % per_line == 0) ? ",\n" + std::string(indent + 1, ' ') : ", ";
      out += items[i];
    }
    return out + "]";
  }

  std::string str(std::size_t d, std::int64_t offset, int indent) const {
    if (d + 1 == shape.size()) return vector_str(offset, indent);
    std::int64_t inner = 1;
    for (std::size_t i = d + 1; i < shape.size(); ++i) inner *= shape[i];
    const std::int64_t n = shape[d];
    std::vector<std::string> slices;
    auto add = [&](std::int64_t i) { slices.push_back(str(d + 1, offset + i * inner, indent + 1)); };
    if (summarize && n > 2 * kEdgeItems) {
      for (std::int64_t i = 0; i < kEdgeItems; ++i) add(i);
      slices.push_back("...");
      for (std::int64_t i = n - kEdgeItems; i < n; ++i) add(i);
    } else {
      for (std::int64_t i = 0; i < n; ++i) add(i);
    }
    const std::string sep = "," + std::string(shape.size() - d - 1, '\n') + std::string(indent + 1, ' ');
    std::string out = "[";
    for (std::size_t i = 0; i < slices.size(); ++i) out += (i ? sep : "") + slices[i];
    return out + "]";
  }
};

/// The values the formatter looks at: all of them, or only the edges when summarizing.
void summarized_values(const double* data, const Shape& shape, std::size_t d, std::int64_t offset,
                       bool summarize, std::vector<double>& out) {
  if (shape.empty()) {
    out.push_back(data[0]);
    return;
  }
  std::int64_t inner = 1;
  for (std::size_t i = d + 1; i < shape.size(); ++i) inner *= shape[i];
  const std::int64_t n = shape[d];
  auto visit = [&](std::int64_t i) {
    if (d + 1 == shape.size()) out.push_back(data[offset + i]);
    else summarized_values(data, shape, d + 1, offset + i * inner, summarize, out);
  };
  if (summarize && n > 2 * kEdgeItems) {
    for (std::int64_t i = 0; i < kEdgeItems; ++i) visit(i);
    for (std::int64_t i = n - kEdgeItems; i < n; ++i) visit(i);
  } else {
    for (std::int64_t i = 0; i < n; ++i) visit(i);
  }
}

}  // namespace

template <class T>
std::ostream& operator<<(std::ostream& os, const Tensor<T>& t) {
  if (!t.defined()) return os << "tensor(undefined)";
  const std::string prefix = "tensor(";
  const int indent = static_cast<int>(prefix.size());
  std::vector<std::string> suffixes;
  std::string body;
  // PyTorch's order: device, then size (empty tensors), dtype, grad_fn or requires_grad.
  if (!t.device().is_cpu()) suffixes.push_back("device='" + t.device().str() + "'");
  if (t.numel() == 0) {
    body = "[]";
    if (t.dim() != 1) {
      std::string size = "size=(";
      for (int i = 0; i < t.dim(); ++i) size += (i ? ", " : "") + std::to_string(t.shape()[i]);
      suffixes.push_back(size + (t.dim() == 1 ? ",)" : ")"));
    }
  } else {
    const std::vector<T> elements = t.to_vector();  // copied from the device when there
    std::vector<double> values(elements.begin(), elements.end());
    const bool summarize = t.numel() > kThreshold;
    std::vector<double> shown;
    summarized_values(values.data(), t.shape(), 0, 0, summarize, shown);
    const Formatter fmt(shown);
    if (t.dim() == 0) body = fmt.format(values[0]);
    else body = Printer{values.data(), t.shape(), fmt, summarize}.str(0, 0, indent);
  }
  if (std::is_same_v<T, double>) suffixes.push_back("dtype=torch.float64");
  if (t.grad_fn()) suffixes.push_back("grad_fn=<" + t.grad_fn()->name() + ">");
  else if (t.requires_grad()) suffixes.push_back("requires_grad=True");

  std::string out = prefix + body;
  // _add_suffixes: len(s) - s.rfind('\n') + 1, where rfind gives -1 on a single line.
  const std::size_t newline = out.rfind('\n');
  std::size_t last_line = newline == std::string::npos ? out.size() + 2 : out.size() - newline + 1;
  for (const auto& s : suffixes) {
    if (last_line + s.size() + 2 > static_cast<std::size_t>(kLineWidth)) {
      out += ",\n" + std::string(indent, ' ') + s;
      last_line = indent + s.size();
    } else {
      out += ", " + s;
      last_line += s.size() + 2;
    }
  }
  return os << out << ')';
}

template std::ostream& operator<< <float>(std::ostream&, const Tensor<float>&);
template std::ostream& operator<< <double>(std::ostream&, const Tensor<double>&);

template <class T>
bool allclose(const Tensor<T>& a, const Tensor<T>& b, double rtol, double atol) {
  if (a.shape() != b.shape()) return false;
  const std::vector<T> av = a.to_vector(), bv = b.to_vector();  // any devices
  for (std::size_t i = 0; i < av.size(); ++i) {
    const double x = av[i], y = bv[i];
    if (!(std::abs(x - y) <= atol + rtol * std::abs(y))) return false;
  }
  return true;
}

template bool allclose<float>(const Tensor<float>&, const Tensor<float>&, double, double);
template bool allclose<double>(const Tensor<double>&, const Tensor<double>&, double, double);

}  // namespace eigrad
