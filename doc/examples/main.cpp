// Runs every documentation example (the code the class pages show through \snippet); the
// test `doc_examples` fails when one throws.
#include <exception>
#include <iostream>
#include <utility>

#include "check.hpp"

int main() {
  using namespace eigrad::examples;
  const std::pair<const char*, void (*)()> examples[] = {
      {"tensor", &tensor_example},         {"modules", &module_examples},
      {"losses", &loss_examples},          {"optimizers", &optimizer_examples},
      {"schedulers", &scheduler_examples}, {"dual", &dual_example},
      {"functions", &function_examples},   {"checkpoint", &checkpoint_example}};
  int failures = 0;
  for (const auto& [name, run] : examples) {
    try {
      run();
      std::cout << "ok: " << name << '\n';
    } catch (const std::exception& e) {
      std::cout << "FAILED: " << name << ": " << e.what() << '\n';
      ++failures;
    }
  }
  return failures == 0 ? 0 : 1;
}
