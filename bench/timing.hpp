#pragma once
// What the benchmarks report of repeated timings: the median, robust to the odd slow run a
// shared machine gives.
#include <algorithm>
#include <vector>

namespace hsi::bench {

inline double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

}  // namespace hsi::bench
