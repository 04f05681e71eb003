// The floor a fused backward cannot go under while the adjoints of one-element leaves add in
// element order (doc/design.md, "Order of the sums"): K dependent chains of float adds over n
// elements, run side by side as AdjointSums runs them, against the same sums in eight-lane
// blocks (the order a vectorised loop takes), in one interleaved run. Prints µs per pass.
// Usage: sum_order_bench [--points N,N,...] [--chains K] [--rounds R]
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <sstream>
#include <string>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;

// K chains of dependent adds, each in element order (the fused backward's sums).
template <int K>
void element_order(const float* rows, std::int64_t n, float* acc) {
  float a[K];
  for (int k = 0; k < K; ++k) a[k] = -0.0f;
  for (std::int64_t j = 0; j < n; ++j)
    for (int k = 0; k < K; ++k) a[k] += rows[k * n + j];
  for (int k = 0; k < K; ++k) acc[k] = a[k];
}

// The same sums with element j added into lane j mod 8, the lanes added at the end.
template <int K>
void eight_lanes(const float* rows, std::int64_t n, float* acc) {
  for (int k = 0; k < K; ++k) {
    const float* r = rows + k * n;
    float s = 0.0f;
#pragma omp simd reduction(+ : s) simdlen(8)
    for (std::int64_t j = 0; j < n; ++j) s += r[j];
    acc[k] = s;
  }
}

template <int K>
void run(std::int64_t n, int rounds) {
  std::vector<float> rows(static_cast<std::size_t>(K * n));
  for (std::size_t i = 0; i < rows.size(); ++i) rows[i] = 1e-3f * static_cast<float>(i % 97) - 0.04f;
  const int reps = static_cast<int>(std::max<std::int64_t>(1, 4000000 / (K * n)));
  std::vector<double> chain_us, lane_us;
  float acc[K], sink = 0;
  for (int round = 0; round < rounds; ++round) {
    auto t0 = Clock::now();
    for (int r = 0; r < reps; ++r) {
      element_order<K>(rows.data(), n, acc);
      sink += acc[0];
    }
    auto t1 = Clock::now();
    for (int r = 0; r < reps; ++r) {
      eight_lanes<K>(rows.data(), n, acc);
      sink += acc[0];
    }
    auto t2 = Clock::now();
    chain_us.push_back(std::chrono::duration<double, std::micro>(t1 - t0).count() / reps);
    lane_us.push_back(std::chrono::duration<double, std::micro>(t2 - t1).count() / reps);
  }
  std::sort(chain_us.begin(), chain_us.end());
  std::sort(lane_us.begin(), lane_us.end());
  const double chain = chain_us[chain_us.size() / 2], lanes = lane_us[lane_us.size() / 2];
  std::printf("| %lld | %d | %.3g | %.3g | %.1f |\n", static_cast<long long>(n), K, chain, lanes, chain / lanes);
  if (sink == 12345.0f) std::printf("\n");  // keeps the sums
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::int64_t> points = {2000, 2000000};
  int chains = 4, rounds = 7;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i], value = argv[i + 1];
    if (flag == "--points") {
      points.clear();
      std::istringstream list(value);
      for (std::string item; std::getline(list, item, ',');) points.push_back(std::stoll(item));
    } else if (flag == "--chains") {
      chains = std::stoi(value);
    } else if (flag == "--rounds") {
      rounds = std::max(1, std::stoi(value));
    } else {
      std::fprintf(stderr, "usage: %s [--points N,N,...] [--chains 1..5] [--rounds R]\n", argv[0]);
      return 2;
    }
  }
  std::printf("| n | leaves | element order µs | eight lanes µs | ratio |\n|---|---|---|---|---|\n");
  for (const std::int64_t n : points) {
    switch (chains) {
      case 1: run<1>(n, rounds); break;
      case 2: run<2>(n, rounds); break;
      case 3: run<3>(n, rounds); break;
      case 5: run<5>(n, rounds); break;
      default: run<4>(n, rounds); break;
    }
  }
  return 0;
}
