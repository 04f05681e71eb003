#include "eigrad/storage.hpp"

#include "eigrad/errors.hpp"

namespace eigrad {

namespace {
/// An owned buffer and its version counter in one allocation.
/// Buffers this small live inside the block itself: a one-element tensor (a 0-d weight, its
/// gradient, a loss) costs one allocation, not two.
constexpr std::int64_t kInlineElements = 4;

template <class T>
struct Block {
  Eigen::Array<T, Eigen::Dynamic, 1> array;
  std::uint64_t version = 0;
  T inline_elements[kInlineElements];
};
}  // namespace

template <class T>
Storage<T>::Storage(std::int64_t size, Device device) : size_(size), device_(device) {
  check_device_available(device);
  auto block = std::make_shared<Block<T>>();
  T* data = size == 0 ? nullptr : block->inline_elements;  // an empty buffer stays null, as Eigen's
  if (size > kInlineElements) {
    block->array.resize(size);
    data = block->array.data();
  }
  data_ = std::shared_ptr<T>(block, data);
  version_ = std::shared_ptr<std::uint64_t>(block, &block->version);
}

template <class T>
Storage<T>::Storage(Array&& array) : size_(array.size()) {
  auto block = std::make_shared<Block<T>>();
  block->array = std::move(array);  // takes the buffer, no copy
  data_ = std::shared_ptr<T>(block, block->array.data());
  version_ = std::shared_ptr<std::uint64_t>(block, &block->version);
}

template <class T>
Storage<T> Storage<T>::borrow(T* data, std::int64_t size) {
  Storage s;
  s.data_ = std::shared_ptr<T>(data, [](T*) {});
  s.version_ = std::make_shared<std::uint64_t>(0);
  s.size_ = size;
  return s;
}

template class Storage<float>;
template class Storage<double>;

}  // namespace eigrad
