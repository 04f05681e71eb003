// The classification losses: nll_loss and cross_entropy composed of recorded tensor ops (as
// PyTorch 1.13 composes cross_entropy from log_softmax and nll_loss), and
// binary_cross_entropy_with_logits as one node with PyTorch's forward and backward formulas.
#include "eigrad/nn/functional/classification.hpp"

#include <cmath>
#include <memory>
#include <string>

#include "eigrad/autograd/grad_mode.hpp"
#include "eigrad/autograd/node.hpp"
#include "eigrad/errors.hpp"
#include "eigrad/tensor/compare.hpp"
#include "eigrad/tensor/shape_ops.hpp"

namespace eigrad::nn::functional {
namespace {

/// The class dimension of \p input (0 for an unbatched [C] input, else 1), after checking
/// that \p target has input's shape without it.
template <class T>
int class_dim(const char* loss, const Tensor<T>& input, const Tensor<T>& target) {
  EIGRAD_CHECK(input.defined() && target.defined(), ValueError, loss, ": ", input.defined() ? "target" : "input",
               " is undefined");
  EIGRAD_CHECK(input.dim() >= 1, ShapeError, loss, ": input must have a class dimension, got shape ",
               eigrad::to_string(input.shape()));
  const int c = input.dim() == 1 ? 0 : 1;
  Shape expected = input.shape();
  expected.erase(expected.begin() + c);
  EIGRAD_CHECK(target.shape() == expected, ShapeError, loss, ": target of shape ", eigrad::to_string(target.shape()),
               " for input of shape ", eigrad::to_string(input.shape()), " (expected ", eigrad::to_string(expected),
               ")");
  return c;
}

/// 1 where \p target is not \p ignore_index, else 0; ValueError for a target that is not a
/// class index of [0, classes).
template <class T>
Tensor<T> valid_targets(const char* loss, const Tensor<T>& target, std::int64_t ignore_index, std::int64_t classes) {
  const Tensor<T> valid = target.ne(static_cast<T>(ignore_index));
  // The check reads every element: on a device, from host copies.
  const Tensor<T> host_target = target.is_cuda() ? target.detach().cpu() : target;
  const Tensor<T> host_valid = valid.is_cuda() ? valid.cpu() : valid;
  const T* t = host_target.data();
  const T* v = host_valid.data();
  for (std::int64_t i = 0; i < target.numel(); ++i) {
    if (v[i] == T(0)) continue;
    EIGRAD_CHECK(t[i] == std::floor(t[i]) && t[i] >= 0 && t[i] < static_cast<T>(classes), ValueError, loss,
                 ": target ", std::to_string(t[i]), " is not a class index in [0, ", classes, ")");
  }
  return valid;
}

template <class T>
Tensor<T> reduce_over_valid(const Tensor<T>& per_target, const Tensor<T>& valid, Reduction reduction) {
  switch (reduction) {
    case Reduction::None: return per_target;
    case Reduction::Sum: return per_target.sum();
    case Reduction::Mean: return per_target.sum() / valid.sum();
  }
  EIGRAD_FAIL(ValueError, "unknown loss reduction");
}

/// -input at the target classes (0 where ignored), in target's shape.
template <class T>
Tensor<T> nll_per_target(const Tensor<T>& input, const Tensor<T>& target, const Tensor<T>& valid, int c) {
  const Tensor<T> index = where(valid, target, zeros_like(target)).unsqueeze(c);
  const Tensor<T> picked = gather(input, c, index).squeeze(c);
  return where(valid, -picked, zeros_like(picked));
}

template <class T>
Tensor<T> log_sigmoid(const Tensor<T>& x) {
  return minimum(x, zeros_like(x)) - ((-x.abs()).exp() + T(1)).log();
}

template <class T>
class BinaryCrossEntropyWithLogitsBackward final : public Node<T> {
 public:
  BinaryCrossEntropyWithLogitsBackward(const Tensor<T>& input, const Tensor<T>& target, const Tensor<T>& pos_weight,
                                       Reduction reduction)
      : reduction_(reduction) {
    this->save(input);
    this->save(target);
    this->save(pos_weight);
  }
  std::string name() const override { return "BinaryCrossEntropyWithLogitsBackward0"; }

 protected:
  std::vector<Tensor<T>> backward(const Tensor<T>& g) override {
    const Tensor<T>& x = this->saved(0);
    const Tensor<T>& t = this->saved(1);
    const Tensor<T>& pw = this->saved(2);
    const T n = static_cast<T>(x.numel());
    Tensor<T> gx, gt;
    if (this->needs_input_grad(0)) {
      if (pw.defined()) {
        const Tensor<T> wt = pw * t;
        gx = (((wt + T(1)) - t) * x.sigmoid() - wt) * g;
      } else {
        gx = (x.sigmoid() - t) * g;
      }
      if (reduction_ == Reduction::Mean) gx = gx / n;
    }
    if (this->needs_input_grad(1)) {
      gt = pw.defined() ? Tensor<T>((log_sigmoid(-x) - log_sigmoid(x) * pw) * g) : Tensor<T>(x * -g);
      if (reduction_ == Reduction::Mean) gt = gt / n;
    }
    return {gx, gt};
  }

 private:
  Reduction reduction_;
};

}  // namespace

template <class T>
Tensor<T> nll_loss(const Tensor<T>& input, const Tensor<T>& target, Reduction reduction, std::int64_t ignore_index) {
  const int c = class_dim("nll_loss", input, target);
  const Tensor<T> valid = valid_targets("nll_loss", target, ignore_index, input.size(c));
  return reduce_over_valid(nll_per_target(input, target, valid, c), valid, reduction);
}

template <class T>
Tensor<T> cross_entropy(const Tensor<T>& input, const Tensor<T>& target, Reduction reduction,
                        std::int64_t ignore_index, double label_smoothing) {
  EIGRAD_CHECK(label_smoothing >= 0.0 && label_smoothing <= 1.0, ValueError,
               "cross_entropy: label_smoothing must be in [0, 1], got ", std::to_string(label_smoothing));
  const int c = class_dim("cross_entropy", input, target);
  const Tensor<T> valid = valid_targets("cross_entropy", target, ignore_index, input.size(c));
  const Tensor<T> log_p = input.log_softmax(c);
  const Tensor<T> nll = reduce_over_valid(nll_per_target(log_p, target, valid, c), valid, reduction);
  if (label_smoothing == 0.0) return nll;
  const Tensor<T> smooth_per_target = -log_p.sum(c);
  const Tensor<T> smooth =
      reduce_over_valid(where(valid, smooth_per_target, zeros_like(smooth_per_target)), valid, reduction);
  const auto classes = static_cast<double>(input.size(c));
  return nll * static_cast<T>(1.0 - label_smoothing) + smooth * static_cast<T>(label_smoothing / classes);
}

template <class T>
Tensor<T> binary_cross_entropy_with_logits(const Tensor<T>& input, const Tensor<T>& target, Reduction reduction,
                                           const Tensor<T>& pos_weight) {
  EIGRAD_CHECK(input.defined() && target.defined() && input.shape() == target.shape(), ShapeError,
               "binary_cross_entropy_with_logits: input shape ",
               input.defined() ? eigrad::to_string(input.shape()) : "undefined", " and target shape ",
               target.defined() ? eigrad::to_string(target.shape()) : "undefined", " differ");
  Tensor<T> loss;
  {
    NoGradGuard no_grad;
    const Tensor<T> max_val = (-input).clamp_min(T(0));
    const Tensor<T> log_term = ((-max_val).exp() + (-input - max_val).exp()).log();
    if (pos_weight.defined()) {
      const Tensor<T> log_weight = (pos_weight - T(1)) * target + T(1);
      loss = (T(1) - target) * input + log_weight * (log_term + max_val);
    } else {
      loss = (T(1) - target) * input + max_val + log_term;
    }
    EIGRAD_CHECK(loss.shape() == input.shape(), ShapeError, "binary_cross_entropy_with_logits: pos_weight of shape ",
                 eigrad::to_string(pos_weight.shape()), " does not broadcast to the input's ",
                 eigrad::to_string(input.shape()));
    if (reduction == Reduction::Mean) loss = loss.mean();
    if (reduction == Reduction::Sum) loss = loss.sum();
  }
  if (!autograd::any_requires_grad<T>({&input, &target})) return loss;
  return autograd::record<T>(
      loss, std::make_shared<BinaryCrossEntropyWithLogitsBackward<T>>(input, target, pos_weight, reduction),
      {&input, &target});
}

#define EIGRAD_INSTANTIATE_CLASSIFICATION(T)                                                             \
  template Tensor<T> nll_loss<T>(const Tensor<T>&, const Tensor<T>&, Reduction, std::int64_t);          \
  template Tensor<T> cross_entropy<T>(const Tensor<T>&, const Tensor<T>&, Reduction, std::int64_t, double); \
  template Tensor<T> binary_cross_entropy_with_logits<T>(const Tensor<T>&, const Tensor<T>&, Reduction,  \
                                                         const Tensor<T>&);

EIGRAD_INSTANTIATE_CLASSIFICATION(float)
EIGRAD_INSTANTIATE_CLASSIFICATION(double)

}  // namespace eigrad::nn::functional
