// Comparisons (the ops/compare.hpp entries in the broadcasting loop), where(), clamp members.
#include "eigrad/tensor/compare.hpp"

#include <limits>

#include "../detail/device.hpp"
#include "../detail/kernels.hpp"
#include "eigrad/autograd/node.hpp"
#include "eigrad/errors.hpp"
#include "eigrad/ops/compare.hpp"
#include "eigrad/tensor/factories.hpp"
#include "eigrad/tensor/operators.hpp"

namespace eigrad {

namespace {

template <class Op, class T>
Tensor<T> compare(const Tensor<T>& a, const Tensor<T>& b) {
  detail::check_same_device(Op::name, a, b);
  if (detail::on_device(a))
    return detail::on_host(a.device(), [](const Tensor<T>& x, const Tensor<T>& y) { return compare<Op>(x, y); }, a, b);
  const Shape out_shape = broadcast_shapes(a.shape(), b.shape());
  Tensor<T> out = empty<T>(out_shape, a.device());
  detail::broadcast_binary(a.data(), a.shape(), b.data(), b.shape(), out.data(), out_shape,
                           [](T x, T y) { return Op{}.value(x, y); });
  return out;
}

template <class Op, class T>
Tensor<T> compare(const Tensor<T>& a, T value) {
  if (detail::on_device(a))
    return detail::on_host(a.device(), [value](const Tensor<T>& x) { return compare<Op>(x, value); }, a);
  Tensor<T> out = empty<T>(a.shape(), a.device());
  detail::unary(a.data(), out.data(), a.numel(), [value](T x) { return Op{}.value(x, value); });
  return out;
}

/// f(x, y, z) elementwise over three operands broadcast together.
template <class T, class F>
Tensor<T> map3(F f, const Tensor<T>& x, const Tensor<T>& y, const Tensor<T>& z) {
  const Shape out_shape = broadcast_shapes(broadcast_shapes(x.shape(), y.shape()), z.shape());
  Tensor<T> out = empty<T>(out_shape, x.device());
  detail::broadcast_map(out.data(), out_shape, f, detail::Operand<T>{x.data(), x.shape()},
                        detail::Operand<T>{y.data(), y.shape()}, detail::Operand<T>{z.data(), z.shape()});
  return out;
}

template <class T>
class WhereBackward final : public Node<T> {
 public:
  WhereBackward(const Tensor<T>& cond, Shape a_shape, Shape b_shape)
      : a_shape_(std::move(a_shape)), b_shape_(std::move(b_shape)) {
    this->save(cond);
  }
  std::string name() const override { return ops::Where::name; }

 protected:
  std::vector<Tensor<T>> backward(const Tensor<T>& g) override {
    const Tensor<T>& cond = this->saved(0);
    Tensor<T> ga, gb;
    // map3's third operand is g again: the loop takes three, the formulas read two.
    if (this->needs_input_grad(1))
      ga = map3([](T gi, T c, T) { return ops::Where{}.grad_a(gi, c); }, g, cond, g).sum_to(a_shape_);
    if (this->needs_input_grad(2))
      gb = map3([](T gi, T c, T) { return ops::Where{}.grad_b(gi, c); }, g, cond, g).sum_to(b_shape_);
    return {Tensor<T>(), ga, gb};
  }

 private:
  Shape a_shape_, b_shape_;
};

}  // namespace

template <class T>
Tensor<T> where(const Tensor<T>& cond, const Tensor<T>& a, const Tensor<T>& b) {
  detail::check_same_device("where()", cond, a);
  detail::check_same_device("where()", a, b);
  if (detail::on_device(a))
    return detail::on_host(a.device(), [](const auto& c, const auto& x, const auto& y) { return where(c, x, y); },
                           cond, a, b);
  Tensor<T> out = map3([](T c, T x, T y) { return ops::Where{}.value(c, x, y); }, cond, a, b);
  if (!autograd::any_requires_grad<T>({&a, &b})) return out;
  return autograd::record<T>(out, std::make_shared<WhereBackward<T>>(cond, a.shape(), b.shape()), {&cond, &a, &b});
}

template <class T> Tensor<T> Tensor<T>::eq(const Tensor& o) const { return compare<ops::Eq>(*this, o); }
template <class T> Tensor<T> Tensor<T>::ne(const Tensor& o) const { return compare<ops::Ne>(*this, o); }
template <class T> Tensor<T> Tensor<T>::lt(const Tensor& o) const { return compare<ops::Lt>(*this, o); }
template <class T> Tensor<T> Tensor<T>::le(const Tensor& o) const { return compare<ops::Le>(*this, o); }
template <class T> Tensor<T> Tensor<T>::gt(const Tensor& o) const { return compare<ops::Gt>(*this, o); }
template <class T> Tensor<T> Tensor<T>::ge(const Tensor& o) const { return compare<ops::Ge>(*this, o); }
template <class T> Tensor<T> Tensor<T>::eq(T v) const { return compare<ops::Eq>(*this, v); }
template <class T> Tensor<T> Tensor<T>::ne(T v) const { return compare<ops::Ne>(*this, v); }
template <class T> Tensor<T> Tensor<T>::lt(T v) const { return compare<ops::Lt>(*this, v); }
template <class T> Tensor<T> Tensor<T>::le(T v) const { return compare<ops::Le>(*this, v); }
template <class T> Tensor<T> Tensor<T>::gt(T v) const { return compare<ops::Gt>(*this, v); }
template <class T> Tensor<T> Tensor<T>::ge(T v) const { return compare<ops::Ge>(*this, v); }

template <class T>
Tensor<T> Tensor<T>::clamp(T min, T max) const { return eigrad::clamp(*this, min, max); }
template <class T>
Tensor<T> Tensor<T>::clamp_min(T min) const { return eigrad::clamp(*this, min, std::numeric_limits<T>::infinity()); }
template <class T>
Tensor<T> Tensor<T>::clamp_max(T max) const { return eigrad::clamp(*this, -std::numeric_limits<T>::infinity(), max); }

#define EIGRAD_INSTANTIATE_COMPARE(T)                              \
  template Tensor<T> where<T>(const Tensor<T>&, const Tensor<T>&, const Tensor<T>&); \
  template Tensor<T> Tensor<T>::eq(const Tensor<T>&) const;        \
  template Tensor<T> Tensor<T>::ne(const Tensor<T>&) const;        \
  template Tensor<T> Tensor<T>::lt(const Tensor<T>&) const;        \
  template Tensor<T> Tensor<T>::le(const Tensor<T>&) const;        \
  template Tensor<T> Tensor<T>::gt(const Tensor<T>&) const;        \
  template Tensor<T> Tensor<T>::ge(const Tensor<T>&) const;        \
  template Tensor<T> Tensor<T>::eq(T) const;                       \
  template Tensor<T> Tensor<T>::ne(T) const;                       \
  template Tensor<T> Tensor<T>::lt(T) const;                       \
  template Tensor<T> Tensor<T>::le(T) const;                       \
  template Tensor<T> Tensor<T>::gt(T) const;                       \
  template Tensor<T> Tensor<T>::ge(T) const;                       \
  template Tensor<T> Tensor<T>::clamp(T, T) const;                 \
  template Tensor<T> Tensor<T>::clamp_min(T) const;                \
  template Tensor<T> Tensor<T>::clamp_max(T) const;

EIGRAD_INSTANTIATE_COMPARE(float)
EIGRAD_INSTANTIATE_COMPARE(double)

}  // namespace eigrad
