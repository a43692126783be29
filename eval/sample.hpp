#pragma once
// The reference sample an accuracy assessment and an area estimate start from: stratified
// random sampling with the map's classes as strata (Olofsson et al. 2014), the design under
// which `hsi evaluate --areas` is unbiased. Knows labels only.
#include <cstdint>
#include <map>
#include <vector>

namespace hsi {

// Up to `per_class` pixels drawn without replacement from each class of `map` (every pixel of
// a smaller class), leaving out 0 (no data) and the ids in `skip`; the same `seed` draws the
// same pixels. Returns their row-major indices, ascending.
std::vector<int64_t> stratified_sample(const std::vector<int32_t>& map, int64_t per_class, uint64_t seed, const std::vector<int32_t>& skip = {});
// The same with each class's own number (a class not listed is not sampled).
std::vector<int64_t> stratified_sample(const std::vector<int32_t>& map, const std::map<int32_t, int64_t>& per_class, uint64_t seed);

// How large a sample must be, and how to spread it over the map's classes, for the overall
// accuracy's standard error to come out at `target_se` (Olofsson et al. 2014, section 5.1.1):
// n = (sum_i W_i S_i / target_se)^2 with S_i = sqrt(U (1 - U)), U the user's accuracy one
// expects of every class; then every class gets at least `min_per_class` pixels (all of a
// smaller class: rare classes need enough pixels for their own accuracy) and the rest go in
// proportion to the classes' areas. Moving pixels to rare classes widens the overall error, so
// n grows until the allocation's own standard error (eq. 5 with U) reaches the target.
struct SamplePlan {
  std::map<int32_t, int64_t> per_class;
  int64_t total = 0;
  int64_t proportional_total = 0;  // n of the formula, before the minimum per class
  double expected_se = 0;          // the allocation's standard error of the overall accuracy, by eq. 5
};
// `mapped`: map class id -> its pixels (the population); 0 < expected_accuracy < 1, target_se > 0.
SamplePlan plan_sample(const std::map<int32_t, int64_t>& mapped, double expected_accuracy, double target_se, int64_t min_per_class);

}  // namespace hsi
