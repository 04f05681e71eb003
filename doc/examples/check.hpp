#pragma once
// What every example ends with: a check of the value it printed against PyTorch 1.13's, so
// that an example that stops compiling or starts computing something else fails the build
// or the `doc_examples` test.
#include <cmath>
#include <string>

#include "eigrad/errors.hpp"

namespace eigrad::examples {

/// Throws ValueError naming \p what unless |got - want| <= tolerance.
inline void expect_near(double got, double want, const std::string& what, double tolerance = 1e-6) {
  EIGRAD_CHECK(std::abs(got - want) <= tolerance, ValueError, what, ": got ", got, ", expected ", want);
}

void tensor_example();
void module_examples();
void loss_examples();
void optimizer_examples();
void scheduler_examples();
void dual_example();
void function_examples();
void checkpoint_example();

}  // namespace eigrad::examples
