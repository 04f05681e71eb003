#pragma once
/// \file random.hpp
/// \brief The seedable global random generator behind randn, rand and nn::init.
#include <cstdint>
#include <random>

namespace eigrad {

/// A 64-bit Mersenne Twister with its own (portable) uniform and normal transforms, so a
/// seed gives the same numbers with every standard library.
class Generator {
 public:
  /// Seeded with \p seed.
  explicit Generator(std::uint64_t seed = 0) : engine_(seed) {}
  /// Restarts the sequence from \p seed.
  void seed(std::uint64_t seed) { engine_.seed(seed); has_spare_ = false; }
  /// Uniform in [0, 1) with 53 random bits.
  double uniform();
  /// Standard normal (Box–Muller).
  double normal();
  /// Uniform integer in [lo, hi] inclusive.
  std::int64_t randint(std::int64_t lo, std::int64_t hi);

 private:
  std::mt19937_64 engine_;
  bool has_spare_ = false;
  double spare_ = 0;
};

/// The generator used by factories when none is given (thread-local).
Generator& default_generator();

/// Seeds the default generator, as `torch.manual_seed`.
void manual_seed(std::uint64_t seed);

}  // namespace eigrad
