#include <iostream>

#include "check.hpp"
#include "eigrad/dual.hpp"
#include "eigrad/forward.hpp"

namespace eigrad::examples {

void dual_example() {
  // [dual]
  using D = Dual<double, 2>;                            // a value and 2 tangents
  const D x = D::variable(1.0, 0), y = D::variable(2.0, 1);
  const D f = x * x * y + sin(y);                       // f(x, y) = x^2 y + sin(y)
  std::cout << f.value() << ' '                         // 2 + sin(2)
            << f.tangent(0) << ' ' << f.tangent(1) << '\n';  // df/dx = 2xy = 4, df/dy = x^2 + cos(2)
  // One call for a derivative: f'(2) for f(t) = t^3.
  const double slope = forward::derivative([](const auto& t) { return t * t * t; }, 2.0);  // 12
  // [dual]
  expect_near(f.tangent(0), 4.0, "df/dx");
  expect_near(f.tangent(1), 1.0 + std::cos(2.0), "df/dy");
  expect_near(slope, 12.0, "derivative");
}

}  // namespace eigrad::examples
