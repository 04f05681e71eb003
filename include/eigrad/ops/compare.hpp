#pragma once
/// \file ops/compare.hpp
/// \brief Op-table entries of the comparisons and of where(): values only, since a
///        comparison has no gradient (PyTorch's are not differentiable either), and where()'s
///        gradient is a selection of g (see Where).
#include "eigrad/host_device.hpp"

namespace eigrad::ops {

/// a == b as 1 or 0.
struct Eq {
  /// Name in messages.
  static constexpr const char* name = "eq";
  /// 1 when a == b, else 0 (0 when either is NaN).
  template <class T> EIGRAD_HOST_DEVICE T value(T a, T b) const { return a == b ? T(1) : T(0); }
};
/// a != b as 1 or 0.
struct Ne {
  /// Name in messages.
  static constexpr const char* name = "ne";
  /// 1 when a != b (also when either is NaN), else 0.
  template <class T> EIGRAD_HOST_DEVICE T value(T a, T b) const { return a != b ? T(1) : T(0); }
};
/// a < b as 1 or 0.
struct Lt {
  /// Name in messages.
  static constexpr const char* name = "lt";
  /// 1 when a < b, else 0.
  template <class T> EIGRAD_HOST_DEVICE T value(T a, T b) const { return a < b ? T(1) : T(0); }
};
/// a <= b as 1 or 0.
struct Le {
  /// Name in messages.
  static constexpr const char* name = "le";
  /// 1 when a <= b, else 0.
  template <class T> EIGRAD_HOST_DEVICE T value(T a, T b) const { return a <= b ? T(1) : T(0); }
};
/// a > b as 1 or 0.
struct Gt {
  /// Name in messages.
  static constexpr const char* name = "gt";
  /// 1 when a > b, else 0.
  template <class T> EIGRAD_HOST_DEVICE T value(T a, T b) const { return a > b ? T(1) : T(0); }
};
/// a >= b as 1 or 0.
struct Ge {
  /// Name in messages.
  static constexpr const char* name = "ge";
  /// 1 when a >= b, else 0.
  template <class T> EIGRAD_HOST_DEVICE T value(T a, T b) const { return a >= b ? T(1) : T(0); }
};

/// where(cond, a, b): a where cond is nonzero, else b.
struct Where {
  /// Backward node name.
  static constexpr const char* name = "WhereBackward0";
  /// a if c != 0, else b.
  template <class T> EIGRAD_HOST_DEVICE T value(T c, T a, T b) const { return c != T(0) ? a : b; }
  /// where(cond, grad, 0).
  template <class T> EIGRAD_HOST_DEVICE T grad_a(T g, T c) const { return c != T(0) ? g : T(0); }
  /// where(cond, 0, grad).
  template <class T> EIGRAD_HOST_DEVICE T grad_b(T g, T c) const { return c != T(0) ? T(0) : g; }
};

}  // namespace eigrad::ops
