#include "eigrad/storage.hpp"

#include "eigrad/errors.hpp"

namespace eigrad {

namespace {
/// An owned buffer and its version counter in one allocation.
template <class T>
struct Block {
  Eigen::Array<T, Eigen::Dynamic, 1> array;
  std::uint64_t version = 0;
};
}  // namespace

template <class T>
Storage<T>::Storage(std::int64_t size, Device device) : size_(size), device_(device) {
  check_device_available(device);
  auto block = std::make_shared<Block<T>>();
  block->array.resize(size);
  data_ = std::shared_ptr<T>(block, block->array.data());
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
