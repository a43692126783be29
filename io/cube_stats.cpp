#include "io/cube_stats.hpp"

#include <omp.h>

#include <cmath>
#include <limits>

namespace hsi {

CubeStats compute_stats(const Cube& cube, bool per_band) {
  CubeStats s;
  const int64_t B = cube.bands, P = cube.pixels();
  const bool has_nodata = cube.geo.nodata.has_value();
  const float nodata = has_nodata ? static_cast<float>(*cube.geo.nodata) : 0.0f;
  double gmin = std::numeric_limits<double>::infinity(), gmax = -gmin, gsum = 0;
  int64_t nonfinite = 0, nodata_pixels = 0;
  std::vector<double> sum(per_band ? B : 0, 0.0), sumsq(per_band ? B : 0, 0.0);
  std::vector<int64_t> count(per_band ? B : 0, 0);
#pragma omp parallel
  {
    double lmin = std::numeric_limits<double>::infinity(), lmax = -lmin, lsum = 0;
    int64_t lnonfinite = 0, lnodata = 0;
    std::vector<double> ls(sum.size(), 0.0), lsq(sum.size(), 0.0);
    std::vector<int64_t> lc(sum.size(), 0);
#pragma omp for nowait
    for (int64_t p = 0; p < P; ++p) {
      const float* x = cube.data.data() + p * B;
      bool all_nodata = has_nodata;
      for (int64_t b = 0; b < B; ++b) {
        if (!has_nodata || x[b] != nodata) all_nodata = false;
      }
      if (all_nodata) {
        ++lnodata;
        continue;
      }
      for (int64_t b = 0; b < B; ++b) {
        const double v = x[b];
        if (!std::isfinite(v)) {
          ++lnonfinite;
          continue;
        }
        lmin = std::min(lmin, v);
        lmax = std::max(lmax, v);
        lsum += v;
        if (per_band) {
          ls[b] += v;
          lsq[b] += v * v;
          ++lc[b];
        }
      }
    }
#pragma omp critical
    {
      gmin = std::min(gmin, lmin);
      gmax = std::max(gmax, lmax);
      gsum += lsum;
      nonfinite += lnonfinite;
      nodata_pixels += lnodata;
      for (size_t b = 0; b < sum.size(); ++b) {
        sum[b] += ls[b];
        sumsq[b] += lsq[b];
        count[b] += lc[b];
      }
    }
  }
  s.min = gmin;
  s.max = gmax;
  s.sum = gsum;
  s.nonfinite = nonfinite;
  s.nodata_pixels = nodata_pixels;
  for (size_t b = 0; b < sum.size(); ++b) {
    const double n = std::max<int64_t>(count[b], 1);
    const double mean = sum[b] / n;
    s.band_mean.push_back(mean);
    s.band_std.push_back(std::sqrt(std::max(0.0, sumsq[b] / n - mean * mean)));
  }
  return s;
}

}  // namespace hsi
