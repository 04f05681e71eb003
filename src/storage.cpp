#include "eigrad/storage.hpp"

#include "eigrad/errors.hpp"

namespace eigrad {

template <class T>
Storage<T>::Storage(std::int64_t size, Device device) : size_(size), device_(device) {
  check_device_available(device);
  auto array = std::make_shared<Array>(size);
  data_ = std::shared_ptr<T>(array, array->data());
}

template <class T>
Storage<T>::Storage(Array&& array) : size_(array.size()) {
  auto owned = std::make_shared<Array>(std::move(array));
  data_ = std::shared_ptr<T>(owned, owned->data());
}

template <class T>
Storage<T> Storage<T>::borrow(T* data, std::int64_t size) {
  Storage s;
  s.data_ = std::shared_ptr<T>(data, [](T*) {});
  s.size_ = size;
  return s;
}

template class Storage<float>;
template class Storage<double>;

}  // namespace eigrad
