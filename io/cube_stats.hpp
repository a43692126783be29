#pragma once
// Summary statistics of a cube, ignoring non-finite values and the nodata value.
#include <cstdint>
#include <vector>

#include "io/raster.hpp"

namespace hsi {

struct CubeStats {
  double min = 0, max = 0;
  int64_t nonfinite = 0;
  int64_t nodata_pixels = 0;  // pixels whose every band equals the nodata value
  double sum = 0;
  std::vector<double> band_mean, band_std;  // population std
};

CubeStats compute_stats(const Cube& cube, bool per_band);

}  // namespace hsi
