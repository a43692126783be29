#include "pipeline/patches.hpp"

#include <algorithm>
#include <cmath>
#include <random>

#include "common/error.hpp"

namespace hsi {

PatchExtractor::PatchExtractor(const Cube& cube, int patch) : cube_(cube), patch_(patch) {
  if (patch < 1 || patch % 2 == 0) usage_error("patch size must be a positive odd number, got " + std::to_string(patch));
}

void PatchExtractor::spectra(const int64_t* pixels, int64_t n, float* out) const {
  const int64_t B = cube_.bands;
#pragma omp parallel for schedule(static)
  for (int64_t k = 0; k < n; ++k) {
    const float* src = cube_.data.data() + pixels[k] * B;
    std::copy(src, src + B, out + k * B);
  }
}

void PatchExtractor::windows(const int64_t* pixels, int64_t n, float* out, const uint8_t* transforms) const {
  const int64_t B = cube_.bands, P = patch_, r = patch_ / 2, area = P * P;
  const int64_t rows = cube_.rows, cols = cube_.cols;
#pragma omp parallel for schedule(static)
  for (int64_t k = 0; k < n; ++k) {
    const int64_t row = pixels[k] / cols, col = pixels[k] % cols;
    const int t = transforms ? transforms[k] : 0;
    float* dst = out + k * B * area;
    for (int64_t i = 0; i < P; ++i) {
      for (int64_t j = 0; j < P; ++j) {
        // Output cell (i, j) shows source offset (di, dj) of the dihedral transform t.
        int64_t a = i - r, b = j - r;
        if (t & 4) std::swap(a, b);  // transpose
        if (t & 1) a = -a;           // vertical flip
        if (t & 2) b = -b;           // horizontal flip
        const int64_t sr = reflect_index(row + a, rows), sc = reflect_index(col + b, cols);
        const float* src = cube_.data.data() + (sr * cols + sc) * B;
        float* d = dst + i * P + j;
        for (int64_t band = 0; band < B; ++band) d[band * area] = src[band];
      }
    }
  }
}

void add_gaussian_noise(float* data, int64_t n, float sigma, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<float> noise(0.0f, sigma);
  for (int64_t i = 0; i < n; ++i) data[i] += noise(rng);
}

}  // namespace hsi
