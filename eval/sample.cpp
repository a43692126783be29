#include "eval/sample.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <random>
#include <stdexcept>
#include <utility>

namespace hsi {

namespace {

// Strata of `map` (0 and `skip` left out) and `take_of(id, pixels)` drawn uniformly from each.
template <typename TakeOf>
std::vector<int64_t> draw(const std::vector<int32_t>& map, uint64_t seed, const std::vector<int32_t>& skip, TakeOf take_of) {
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
    const int64_t take = std::clamp<int64_t>(take_of(id), 0, static_cast<int64_t>(pixels.size()));
    for (int64_t k = 0; k < take; ++k) {
      std::uniform_int_distribution<int64_t> pick(k, static_cast<int64_t>(pixels.size()) - 1);
      std::swap(pixels[static_cast<size_t>(k)], pixels[static_cast<size_t>(pick(rng))]);
    }
    out.insert(out.end(), pixels.begin(), pixels.begin() + take);
  }
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace

std::vector<int64_t> stratified_sample(const std::vector<int32_t>& map, int64_t per_class, uint64_t seed, const std::vector<int32_t>& skip) {
  return draw(map, seed, skip, [per_class](int32_t) { return per_class; });
}

std::vector<int64_t> stratified_sample(const std::vector<int32_t>& map, const std::map<int32_t, int64_t>& per_class, uint64_t seed) {
  return draw(map, seed, {}, [&per_class](int32_t id) {
    const auto it = per_class.find(id);
    return it == per_class.end() ? int64_t{0} : it->second;
  });
}

namespace {

// Every class min(min_per_class, its pixels); the rest of `total` in proportion to the pixels of
// the classes whose share is larger (largest remainders rounded up), none beyond its pixels.
std::map<int32_t, int64_t> allocate(const std::map<int32_t, int64_t>& mapped, int64_t total, int64_t min_per_class) {
  std::map<int32_t, int64_t> fixed;
  for (;;) {
    int64_t rest = total, rest_pixels = 0;
    for (const auto& [id, n] : fixed) rest -= n;
    for (const auto& [id, pixels] : mapped)
      if (!fixed.count(id)) rest_pixels += pixels;
    // A class's proportional share of what the fixed classes leave.
    const auto share_of = [&](int64_t pixels) {
      return rest_pixels > 0 ? static_cast<double>(std::max<int64_t>(rest, 0)) * static_cast<double>(pixels) / static_cast<double>(rest_pixels) : 0.0;
    };
    bool changed = false;
    for (const auto& [id, pixels] : mapped) {
      if (fixed.count(id)) continue;
      const double share = share_of(pixels);
      const int64_t floor_at = std::min(min_per_class, pixels);
      if (share < static_cast<double>(floor_at) || share >= static_cast<double>(pixels)) {
        fixed[id] = share >= static_cast<double>(pixels) ? pixels : floor_at;
        changed = true;
      }
    }
    if (changed) continue;
    // Proportional shares of the rest, rounded by largest remainder.
    std::map<int32_t, int64_t> out = fixed;
    std::vector<std::pair<double, int32_t>> remainders;
    int64_t given = 0;
    for (const auto& [id, pixels] : mapped) {
      if (fixed.count(id)) continue;
      const double share = share_of(pixels);
      out[id] = static_cast<int64_t>(std::floor(share));
      given += out[id];
      remainders.push_back({share - std::floor(share), id});
    }
    std::sort(remainders.begin(), remainders.end(), [](const auto& a, const auto& b) { return a.first > b.first || (a.first == b.first && a.second < b.second); });
    for (size_t k = 0; k < remainders.size() && given < rest; ++k, ++given) ++out[remainders[k].second];
    return out;
  }
}

// Olofsson et al. (2014) eq. 5 with every class's user's accuracy U: the standard error of the
// stratified overall accuracy.
double overall_se(const std::map<int32_t, int64_t>& mapped, const std::map<int32_t, int64_t>& per_class, double u) {
  double population = 0, variance = 0;
  for (const auto& [id, pixels] : mapped) population += static_cast<double>(pixels);
  for (const auto& [id, pixels] : mapped) {
    const int64_t n = per_class.at(id);
    const double w = static_cast<double>(pixels) / population;
    if (n >= pixels && n < 2) continue;  // a class of one pixel, sampled whole: nothing left to estimate
    if (n < 2) return std::numeric_limits<double>::infinity();
    variance += w * w * u * (1 - u) / static_cast<double>(n - 1);
  }
  return std::sqrt(variance);
}

}  // namespace

SamplePlan plan_sample(const std::map<int32_t, int64_t>& mapped, double expected_accuracy, double target_se, int64_t min_per_class) {
  if (mapped.empty()) throw std::invalid_argument("plan_sample: no map class");
  if (!(expected_accuracy > 0 && expected_accuracy < 1) || !(target_se > 0) || min_per_class < 0)
    throw std::invalid_argument("plan_sample: expected accuracy in (0, 1), a positive target and a minimum of at least 0");
  int64_t population = 0;
  for (const auto& [id, pixels] : mapped) population += pixels;
  const double u = expected_accuracy;
  SamplePlan plan;
  // With one U for every class, sum_i W_i S_i is S itself.
  const double formula = std::ceil(u * (1 - u) / (target_se * target_se));  // compared as a double: a tiny target overflows int64
  plan.proportional_total = formula >= static_cast<double>(population) ? population : static_cast<int64_t>(formula);
  int64_t total = plan.proportional_total;
  for (;;) {
    plan.per_class = allocate(mapped, total, min_per_class);
    plan.expected_se = overall_se(mapped, plan.per_class, u);
    if (plan.expected_se <= target_se || total >= population) break;
    total = std::min(population, total + std::max<int64_t>(1, total / 200));
  }
  plan.total = 0;
  for (const auto& [id, n] : plan.per_class) plan.total += n;
  return plan;
}

}  // namespace hsi
