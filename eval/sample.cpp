#include "eval/sample.hpp"

#include <algorithm>
#include <map>
#include <random>

namespace hsi {

std::vector<int64_t> stratified_sample(const std::vector<int32_t>& map, int64_t per_class, uint64_t seed, const std::vector<int32_t>& skip) {
  std::map<int32_t, std::vector<int64_t>> strata;
  for (size_t i = 0; i < map.size(); ++i) {
    const int32_t id = map[i];
    if (id == 0 || std::find(skip.begin(), skip.end(), id) != skip.end()) continue;
    strata[id].push_back(static_cast<int64_t>(i));
  }
  std::vector<int64_t> out;
  std::mt19937_64 rng(seed);
  for (auto& [id, pixels] : strata) {
    // A partial Fisher-Yates shuffle: the first `take` entries are a uniform draw without replacement.
    const int64_t take = std::min<int64_t>(per_class, static_cast<int64_t>(pixels.size()));
    for (int64_t k = 0; k < take; ++k) {
      std::uniform_int_distribution<int64_t> pick(k, static_cast<int64_t>(pixels.size()) - 1);
      std::swap(pixels[static_cast<size_t>(k)], pixels[static_cast<size_t>(pick(rng))]);
    }
    out.insert(out.end(), pixels.begin(), pixels.begin() + take);
  }
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace hsi
