#pragma once
// The reference sample an accuracy assessment and an area estimate start from: stratified
// random sampling with the map's classes as strata (Olofsson et al. 2014), the design under
// which `hsi evaluate --areas` is unbiased. Knows labels only.
#include <cstdint>
#include <vector>

namespace hsi {

// Up to `per_class` pixels drawn without replacement from each class of `map` (every pixel of
// a smaller class), leaving out 0 (no data) and the ids in `skip`; the same `seed` draws the
// same pixels. Returns their row-major indices, ascending.
std::vector<int64_t> stratified_sample(const std::vector<int32_t>& map, int64_t per_class, uint64_t seed, const std::vector<int32_t>& skip = {});

}  // namespace hsi
