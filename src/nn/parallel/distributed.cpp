#include "eigrad/nn/parallel/distributed.hpp"

#include <algorithm>
#include <chrono>
#include <string>
#include <utility>

#include "eigrad/autograd/grad_mode.hpp"
#include "eigrad/autograd/hooks.hpp"
#include "eigrad/cuda/kernels.hpp"

namespace eigrad::nn {

namespace {

using distributed::DistributedError;

// Every tensor's rank and extents, one after another: [dim, extent...] per tensor.
template <class T>
std::vector<std::int64_t> shape_signature(const std::vector<typename Module<T>::NamedTensor>& tensors) {
  std::vector<std::int64_t> signature;
  for (const auto& [name, tensor] : tensors) {
    signature.push_back(tensor.dim());
    signature.insert(signature.end(), tensor.shape().begin(), tensor.shape().end());
  }
  return signature;
}

// Rank r's shape of tensor i, read from rank r's signature.
Shape shape_at(const std::vector<std::int64_t>& signature, std::size_t tensor) {
  std::size_t at = 0;
  for (std::size_t i = 0; i < tensor; ++i) at += 1 + static_cast<std::size_t>(signature[at]);
  const auto dim = static_cast<std::size_t>(signature[at]);
  return Shape(signature.begin() + static_cast<std::ptrdiff_t>(at + 1),
               signature.begin() + static_cast<std::ptrdiff_t>(at + 1 + dim));
}

// dst[0, n) = src[0, n), both in memory of \p device: the kernel table's copy on cuda, where
// data_ptr() is a device pointer.
template <class T>
void copy_elements(const Device& device, T* dst, const T* src, std::int64_t n) {
  if (device.is_cuda()) {
    cuda::copy(dst, src, n);
  } else {
    std::copy_n(src, n, dst);
  }
}

// dst[0, n) = 0 in memory of \p device.
template <class T>
void zero_elements(const Device& device, T* dst, std::int64_t n) {
  if (device.is_cuda()) {
    cuda::fill(dst, n, T(0));
  } else {
    std::fill_n(dst, n, T(0));
  }
}

}  // namespace

template <class T>
DistributedDataParallel<T>::DistributedDataParallel(std::shared_ptr<Module<T>> module,
                                                    std::shared_ptr<distributed::ProcessGroup> group,
                                                    DistributedDataParallelOptions options)
    : module_(std::move(module)),
      group_(group ? std::move(group) : distributed::default_group()),
      options_(options) {
  EIGRAD_CHECK(module_, ValueError, "DistributedDataParallel: the module is null");
  EIGRAD_CHECK(options_.bucket_cap_bytes() > 0, ValueError, "DistributedDataParallel: bucket_cap_bytes must be positive, got ",
               std::to_string(options_.bucket_cap_bytes()));
  EIGRAD_CHECK(options_.gradient_reduction() != distributed::ReduceOp::Max, ValueError,
               "DistributedDataParallel: gradients reduce by Sum or Average, not Max");
  this->register_module("module", module_);
  params_ = module_->parameters();
  check_on_the_groups_device();
  check_same_shapes_on_every_rank();
  broadcast_from_rank0(params_);
  broadcast_from_rank0(module_->buffers());
  build_buckets();
  register_gradient_hooks();
}

template <class T>
DistributedDataParallel<T>::~DistributedDataParallel() {
  for (std::size_t i = 0; i < params_.size(); ++i)
    if (hook_keys_[i]) autograd::remove_post_accumulate_grad_hook(params_[i], hook_keys_[i]);
}

template <class T>
void DistributedDataParallel<T>::register_gradient_hooks() {
  hook_keys_.assign(params_.size(), 0);  // 0: no hook (a parameter that does not require grad)
  for (std::size_t b = 0; b < bucket_params_.size(); ++b)
    for (std::size_t i : bucket_params_[b]) {
      bucket_of_[i] = b;
      hook_keys_[i] = autograd::register_post_accumulate_grad_hook<T>(
          params_[i], [this, i](const Tensor<T>&) { gradient_ready(i); });
    }
}

template <class T>
void DistributedDataParallel<T>::gradient_ready(std::size_t i) {
  if (!sync_enabled_ || group_->size() == 1) return;
  const std::size_t b = bucket_of_[i];
  if (ready_[i]) {  // a second backward before synchronize_gradients(): reduce it all afterwards
    stale_ = true;
    return;
  }
  ready_[i] = true;
  ++ready_count_[b];
  // Buckets start in order, so every rank issues its all-reduces in the same order even when a
  // parameter gets no gradient on some rank (its bucket and the later ones wait for
  // synchronize_gradients()).
  while (!stale_ && started_ < bucket_params_.size() && ready_count_[started_] == bucket_params_[started_].size())
    start_bucket(started_++);
  // Open MPI moves a non-blocking collective on only inside MPI calls: a test of each one in
  // flight, on every gradient that lands, keeps them going while backward runs.
  for (std::size_t k = 0; k < started_; ++k) (void)works_[k]->is_completed();
}

template <class T>
void DistributedDataParallel<T>::start_bucket(std::size_t b) {
  const Device device = group_->device();
  T* flat = bucket_buffers_[b].data_ptr();
  for (std::size_t i : bucket_params_[b]) {
    const Tensor<T>& grad = params_[i].grad();
    if (grad.defined()) copy_elements(device, flat, grad.data_ptr(), grad.numel());
    else zero_elements(device, flat, params_[i].numel());
    flat += params_[i].numel();
  }
  works_[b] = group_->allreduce_async(bucket_buffers_[b], options_.gradient_reduction());
}

template <class T>
void DistributedDataParallel<T>::check_on_the_groups_device() const {
  const Device device = group_->device();
  auto check = [&](const typename Module<T>::NamedTensor& named, const char* kind) {
    EIGRAD_CHECK(named.second.device() == device, DeviceError, "DistributedDataParallel: ", kind, " '", named.first,
                 "' is on ", named.second.device().str(), " but the ", group_->backend(), " process group of rank ",
                 std::to_string(group_->rank()), " takes tensors on ", device.str(),
                 device.is_cpu() ? "" : " (move the module there first, e.g. module->to(group->device()))");
  };
  for (const auto& named : module_->named_parameters()) check(named, "parameter");
  for (const auto& named : module_->named_buffers()) check(named, "buffer");
}

template <class T>
void DistributedDataParallel<T>::check_same_shapes_on_every_rank() const {
  distributed::ProcessGroup& group = *group_;
  using Named = typename Module<T>::NamedTensor;
  const std::vector<Named> params = module_->named_parameters();
  const std::vector<Named> buffers = module_->named_buffers();
  const auto counts = group.allgather(
      std::vector<std::int64_t>{static_cast<std::int64_t>(params.size()), static_cast<std::int64_t>(buffers.size())});
  for (int r = 1; r < group.size(); ++r) {
    for (int kind = 0; kind < 2; ++kind) {
      EIGRAD_CHECK(counts[2 * r + kind] == counts[kind], DistributedError, "DistributedDataParallel: rank 0 has ",
                   std::to_string(counts[kind]), kind == 0 ? " parameters" : " buffers", " but rank ", std::to_string(r),
                   " has ", std::to_string(counts[2 * r + kind]));
    }
  }
  std::vector<Named> tensors = params;
  tensors.insert(tensors.end(), buffers.begin(), buffers.end());
  // Signatures differ in length when a tensor's rank does: gathered padded to the longest.
  std::vector<std::int64_t> signature = shape_signature<T>(tensors);
  const std::vector<std::int64_t> lengths = group.allgather(std::vector<std::int64_t>{std::int64_t(signature.size())});
  const std::int64_t longest = *std::max_element(lengths.begin(), lengths.end());
  signature.resize(static_cast<std::size_t>(longest), 0);
  const std::vector<std::int64_t> all = group.allgather(signature);
  const std::vector<std::int64_t> rank0(all.begin(), all.begin() + longest);
  for (int r = 1; r < group.size(); ++r) {
    const std::vector<std::int64_t> theirs(all.begin() + r * longest, all.begin() + (r + 1) * longest);
    for (std::size_t i = 0; i < tensors.size(); ++i) {
      const Shape shape0 = shape_at(rank0, i);
      const Shape shape_r = shape_at(theirs, i);
      EIGRAD_CHECK(shape0 == shape_r, DistributedError, "DistributedDataParallel: ",
                   i < params.size() ? "parameter '" : "buffer '", tensors[i].first, "' has shape ", to_string(shape0),
                   " on rank 0 but ", to_string(shape_r), " on rank ", std::to_string(r));
    }
  }
}

template <class T>
void DistributedDataParallel<T>::broadcast_from_rank0(const std::vector<Tensor<T>>& tensors) const {
  if (group_->size() == 1) return;
  std::vector<std::shared_ptr<distributed::Work>> works;
  for (const Tensor<T>& tensor : tensors) works.push_back(group_->broadcast_async(tensor, 0));
  for (auto& work : works) work->wait();
}

template <class T>
void DistributedDataParallel<T>::build_buckets() {
  std::int64_t bytes = 0;
  for (std::size_t i = params_.size(); i-- > 0;) {
    if (!params_[i].requires_grad()) continue;
    const std::int64_t param_bytes = params_[i].numel() * static_cast<std::int64_t>(sizeof(T));
    if (bucket_params_.empty() || (bytes > 0 && bytes + param_bytes > options_.bucket_cap_bytes())) {
      bucket_params_.emplace_back();
      bytes = 0;
    }
    bucket_params_.back().push_back(i);
    bytes += param_bytes;
  }
  for (const auto& bucket : bucket_params_) {
    std::int64_t numel = 0;
    for (std::size_t i : bucket) numel += params_[i].numel();
    bucket_buffers_.push_back(empty<T>({numel}, group_->device()));
  }
  bucket_of_.assign(params_.size(), 0);
  ready_.assign(params_.size(), false);
  ready_count_.assign(bucket_params_.size(), 0);
  works_.assign(bucket_params_.size(), nullptr);
}

template <class T>
Tensor<T> DistributedDataParallel<T>::forward(const Tensor<T>& input) {
  if (options_.broadcast_buffers()) broadcast_from_rank0(module_->buffers());
  return module_->forward(input);
}

template <class T>
void DistributedDataParallel<T>::synchronize_gradients() {
  if (!sync_enabled_ || group_->size() == 1) return;
  const auto start = std::chrono::steady_clock::now();
  NoGradGuard no_grad;
  const Device device = group_->device();
  started_during_backward_ = started_;
  if (stale_) {  // a bucket went out before a later backward added to its gradients: again, all of them
    for (std::size_t b = 0; b < started_; ++b) works_[b]->wait();
    started_ = 0;
  }
  while (started_ < bucket_params_.size()) start_bucket(started_++);  // those backward did not complete
  for (std::size_t b = 0; b < bucket_params_.size(); ++b) {
    works_[b]->wait();
    works_[b].reset();
    const T* flat = bucket_buffers_[b].data_ptr();
    for (std::size_t i : bucket_params_[b]) {
      if (!params_[i].grad().defined()) params_[i].set_grad(zeros_like(params_[i]));
      copy_elements(device, params_[i].grad().data_ptr(), flat, params_[i].numel());
      params_[i].grad().mark_modified();
      flat += params_[i].numel();
    }
  }
  ready_.assign(ready_.size(), false);
  ready_count_.assign(ready_count_.size(), 0);
  started_ = 0;
  stale_ = false;
  sync_seconds_ += std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

template class DistributedDataParallel<float>;
template class DistributedDataParallel<double>;

}  // namespace eigrad::nn
