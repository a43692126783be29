#include "io/cube_stats.hpp"

#include <omp.h>

#include <cmath>
#include <limits>

namespace hsi {

CubeStats compute_stats(const Cube& cube, bool per_band) {
  CubeStats s;
  const int64_t B = cube.bands, P = cube.pixels();
  const bool has_nodata = cube.geo.nodata.has_value();
  const bool nan_nodata = has_nodata && std::isnan(*cube.geo.nodata);
  const float nodata = has_nodata ? static_cast<float>(*cube.geo.nodata) : 0.0f;
  auto is_nodata = [&](float v) { return has_nodata && (nan_nodata ? std::isnan(v) : v == nodata); };
  double gmin = std::numeric_limits<double>::infinity(), gmax = -gmin, gsum = 0;
  int64_t nonfinite = 0, nodata_pixels = 0, partial_pixels = 0;
  std::vector<double> sum(per_band ? B : 0, 0.0), sumsq(per_band ? B : 0, 0.0);
  std::vector<int64_t> count(per_band ? B : 0, 0);
  std::vector<int64_t> valid(B, 0);  // valid values per band
#pragma omp parallel
  {
    double lmin = std::numeric_limits<double>::infinity(), lmax = -lmin, lsum = 0;
    int64_t lnonfinite = 0, lnodata = 0, lpartial = 0;
    std::vector<double> ls(sum.size(), 0.0), lsq(sum.size(), 0.0);
    std::vector<int64_t> lc(sum.size(), 0), lvalid(B, 0);
#pragma omp for nowait
    for (int64_t p = 0; p < P; ++p) {
      const float* x = cube.data.data() + p * B;
      int64_t missing = 0;
      for (int64_t b = 0; b < B; ++b) missing += is_nodata(x[b]);
      if (missing == B) {
        ++lnodata;
        continue;
      }
      lpartial += missing > 0;
      for (int64_t b = 0; b < B; ++b) {
        const double v = x[b];
        if (is_nodata(x[b])) continue;
        if (!std::isfinite(v)) {
          ++lnonfinite;
          continue;
        }
        ++lvalid[b];
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
      partial_pixels += lpartial;
      for (int64_t b = 0; b < B; ++b) valid[b] += lvalid[b];
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
  s.partial_nodata_pixels = partial_pixels;
  for (int64_t b = 0; b < B; ++b)
    if (valid[b] == 0) s.empty_bands.push_back(b + 1);
  for (size_t b = 0; b < sum.size(); ++b) {
    const double n = std::max<int64_t>(count[b], 1);
    const double mean = sum[b] / n;
    s.band_mean.push_back(mean);
    s.band_std.push_back(std::sqrt(std::max(0.0, sumsq[b] / n - mean * mean)));
  }
  return s;
}

}  // namespace hsi
