#pragma once
// Internal: a result whose element i is input element positions[i] (gather, index_select, the
// values of max/min over a dimension), and its gradient, the matching scatter-add.
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "eigrad/autograd/node.hpp"
#include "eigrad/tensor/factories.hpp"

namespace eigrad::detail {

/// g added into zeros of the input's shape at the positions the result was taken from.
template <class T>
class TakeBackward final : public Node<T> {
 public:
  TakeBackward(Shape input_shape, std::vector<std::int64_t> positions, const char* name)
      : input_shape_(std::move(input_shape)), positions_(std::move(positions)), name_(name) {}
  std::string name() const override { return name_; }

 protected:
  std::vector<Tensor<T>> backward(const Tensor<T>& g) override {
    if (g.is_cuda()) return {backward(g.cpu()).front().to(g.device())};  // no kernel: on a host copy
    Tensor<T> out = zeros<T>(input_shape_, g.device());
    T* o = out.data();
    const T* pg = g.data();
    for (std::size_t i = 0; i < positions_.size(); ++i) o[positions_[i]] += pg[i];
    return {out};
  }

 private:
  Shape input_shape_;
  std::vector<std::int64_t> positions_;
  const char* name_;
};

/// The elements of \p a at \p positions (flat, row-major) as a tensor of \p shape, recorded
/// with TakeBackward named \p name.
template <class T>
Tensor<T> take_positions(const Tensor<T>& a, const Shape& shape, std::vector<std::int64_t> positions,
                         const char* name) {
  if (a.is_cuda())  // no kernel-table entry: on a host copy, recorded through to()
    return take_positions(a.cpu(), shape, std::move(positions), name).to(a.device());
  Tensor<T> out = empty<T>(shape, a.device());
  const T* in = a.data();
  T* o = out.data();
  for (std::size_t i = 0; i < positions.size(); ++i) o[i] = in[positions[i]];
  if (!autograd::any_requires_grad<T>({&a})) return out;
  return autograd::record<T>(out, std::make_shared<TakeBackward<T>>(a.shape(), std::move(positions), name), {&a});
}

}  // namespace eigrad::detail
