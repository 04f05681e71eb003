#pragma once
/// \file arg.hpp
/// \brief EIGRAD_ARG: one line declares an option's member, its chained setter and its getter,
///        as LibTorch's `TORCH_ARG`.
///
/// \code
/// struct SGDOptions {
///   explicit SGDOptions(double lr) : lr_(lr) {}
///   EIGRAD_ARG(double, lr);          // lr(0.1) sets and returns *this; lr() reads
///   EIGRAD_ARG(double, momentum) = 0;
/// };
/// \endcode

/// Declares option \p name of type \p T: a setter `name(value)` returning `*this` for chaining,
/// getters `name()` (const and mutable), and the member `name_`, which the declaration ends
/// with so that `= default_value;` may follow.
#define EIGRAD_ARG(T, name)                                                  \
 public:                                                                     \
  auto& name(const T& new_##name) {                                          \
    this->name##_ = new_##name;                                              \
    return *this;                                                            \
  }                                                                          \
  const T& name() const noexcept { return this->name##_; }                  \
  T& name() noexcept { return this->name##_; }                              \
                                                                             \
 private:                                                                    \
  T name##_
