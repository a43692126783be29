#pragma once
// Summary statistics of a cube, ignoring non-finite values and the nodata value wherever they
// occur (per value, not only in pixels that hold them in every band).
#include <cstdint>
#include <vector>

#include "io/raster.hpp"

namespace hsi {

struct CubeStats {
  double min = 0, max = 0;
  int64_t nonfinite = 0;
  int64_t nodata_pixels = 0;          // pixels with the nodata value (or NaN, when NaN is the nodata value) in every band
  int64_t partial_nodata_pixels = 0;  // ... in some bands but not all: hsi masks these too (pipeline/scene.hpp)
  std::vector<int64_t> empty_bands;   // 1-based bands without a single valid value (NaN/Inf or nodata everywhere)
  double sum = 0;
  std::vector<double> band_mean, band_std;  // population std
};

CubeStats compute_stats(const Cube& cube, bool per_band);

}  // namespace hsi
