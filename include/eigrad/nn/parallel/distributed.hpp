#pragma once
/// \file distributed.hpp
/// \brief nn::DistributedDataParallel: data-parallel training of one module over the ranks of
///        a distributed::ProcessGroup, as `torch.nn.parallel.DistributedDataParallel`.
///
/// \code
/// auto group = eigrad::distributed::init_process_group("mpi");
/// auto ddp = std::make_shared<nn::DistributedDataParallel<float>>(model);  // rank 0's weights everywhere
/// optim::SGD<float> opt(ddp->parameters(), ...);
/// for (...) {
///   opt.zero_grad();
///   loss_fn((*ddp)(x_of_this_rank), y_of_this_rank).backward();
///   ddp->synchronize_gradients();   // all-reduce, bucket by bucket
///   opt.step();                     // the same update on every rank
/// }
/// \endcode
#include <cstdint>
#include <memory>
#include <vector>

#include "eigrad/arg.hpp"
#include "eigrad/distributed/process_group.hpp"
#include "eigrad/nn/module.hpp"

namespace eigrad::nn {

/// Options of DistributedDataParallel.
struct DistributedDataParallelOptions {
  /// Largest bucket of gradients all-reduced as one flat buffer, in bytes (PyTorch's
  /// bucket_cap_mb = 25); a parameter larger than it gets a bucket of its own.
  EIGRAD_ARG(std::int64_t, bucket_cap_bytes) = std::int64_t{25} << 20;
  /// How the ranks' gradients combine: ReduceOp::Average (PyTorch's DDP) or ReduceOp::Sum
  /// (the gradient of a loss summed over every rank's samples).
  EIGRAD_ARG(distributed::ReduceOp, gradient_reduction) = distributed::ReduceOp::Average;
  /// Copy rank 0's buffers to every rank before each forward, as PyTorch's broadcast_buffers.
  EIGRAD_ARG(bool, broadcast_buffers) = true;
};

/// Wraps \p module (registered as child "module", so state_dict() names read "module.0.weight"
/// as PyTorch's DDP) and keeps its parameters identical on every rank of a process group.
///
/// Parameters and buffers live on the group's device (ProcessGroup::device(): cpu for "mpi",
/// this rank's GPU for "nccl"; DeviceError naming the first one elsewhere), and so do the
/// bucket buffers the gradients are flattened into. At construction every rank checks that all
/// ranks hold parameters and buffers of the same shapes (DistributedError naming the first one
/// that differs and both ranks' shapes), then takes rank 0's parameters and buffers.
///
/// The gradients are flattened into buckets in reverse registration order (the order backward
/// produces them). A post-accumulate-grad hook on every parameter (autograd/hooks.hpp) starts
/// a bucket's all-reduce as soon as backward has accumulated all of its gradients, while
/// backward goes on with the rest of the graph; buckets start in order, so every rank issues
/// the same sequence of collectives. synchronize_gradients(), after backward(), starts any
/// bucket backward did not complete (a parameter without a gradient), waits for all of them
/// and writes the reduced gradients back.
template <class T>
class DistributedDataParallel : public Module<T> {
 public:
  /// Wraps \p module over \p group (the default group when null).
  explicit DistributedDataParallel(std::shared_ptr<Module<T>> module,
                                   std::shared_ptr<distributed::ProcessGroup> group = nullptr,
                                   DistributedDataParallelOptions options = {});
  /// Removes its gradient hooks from the parameters.
  ~DistributedDataParallel() override;
  DistributedDataParallel(const DistributedDataParallel&) = delete;             ///< the hooks name this object
  DistributedDataParallel& operator=(const DistributedDataParallel&) = delete;  ///< the hooks name this object

  /// The wrapped module's forward (after broadcasting buffers, see the options).
  Tensor<T> forward(const Tensor<T>& input) override;

  /// All-reduces every parameter's gradient (a parameter without one counts as zeros and gets
  /// one, so every rank steps the same parameters); a no-op while a no_sync() guard lives.
  void synchronize_gradients();

  /// While the returned guard lives, synchronize_gradients() does nothing, so gradients
  /// accumulate locally; the first call after it reduces the accumulated sum (PyTorch's no_sync()).
  class NoSyncGuard {
   public:
    /// Re-enables synchronisation, unless an outer guard still holds it off.
    ~NoSyncGuard() { ddp_->sync_enabled_ = previous_; }
    NoSyncGuard(const NoSyncGuard&) = delete;             ///< not copyable
    NoSyncGuard& operator=(const NoSyncGuard&) = delete;  ///< not copyable

   private:
    friend class DistributedDataParallel;
    explicit NoSyncGuard(DistributedDataParallel* ddp) : ddp_(ddp), previous_(ddp->sync_enabled_) {
      ddp->sync_enabled_ = false;
    }
    DistributedDataParallel* ddp_;
    bool previous_;
  };
  /// Turns gradient synchronisation off for the guard's lifetime.
  [[nodiscard]] NoSyncGuard no_sync() { return NoSyncGuard(this); }

  /// The wrapped module.
  Module<T>& module() { return *module_; }
  /// The wrapped module.
  const Module<T>& module() const { return *module_; }
  /// The process group.
  distributed::ProcessGroup& process_group() const { return *group_; }
  /// The buckets: each lists indices into parameters() in the order they are flattened.
  const std::vector<std::vector<std::size_t>>& buckets() const { return bucket_params_; }
  /// Wall time spent in synchronize_gradients() so far, in seconds (copies and all-reduce).
  double synchronization_seconds() const { return sync_seconds_; }
  /// How many buckets' all-reduces the last synchronize_gradients() found already started
  /// during backward (all of them when every parameter got a gradient and the graph ran once).
  std::size_t buckets_started_during_backward() const { return started_during_backward_; }
  /// "DistributedDataParallel".
  std::string name() const override { return "DistributedDataParallel"; }

 private:
  void check_on_the_groups_device() const;
  void check_same_shapes_on_every_rank() const;
  void broadcast_from_rank0(const std::vector<Tensor<T>>& tensors) const;
  void build_buckets();
  void register_gradient_hooks();
  void gradient_ready(std::size_t param);
  void start_bucket(std::size_t bucket);

  std::shared_ptr<Module<T>> module_;
  std::shared_ptr<distributed::ProcessGroup> group_;
  DistributedDataParallelOptions options_;
  std::vector<Tensor<T>> params_;
  std::vector<std::vector<std::size_t>> bucket_params_;
  std::vector<Tensor<T>> bucket_buffers_;
  std::vector<std::size_t> bucket_of_;           // each parameter's bucket
  std::vector<std::uint64_t> hook_keys_;          // each parameter's gradient hook (0: none)
  std::vector<bool> ready_;                       // gradient accumulated since the last synchronisation
  std::vector<std::size_t> ready_count_;          // per bucket
  std::vector<std::shared_ptr<distributed::Work>> works_;  // per bucket, once started
  std::size_t started_ = 0;                       // buckets started, in order
  std::size_t started_during_backward_ = 0;
  bool stale_ = false;                            // a gradient came in after its bucket went out
  bool sync_enabled_ = true;
  double sync_seconds_ = 0;
};

extern template class DistributedDataParallel<float>;
extern template class DistributedDataParallel<double>;

}  // namespace eigrad::nn
