#include "pipeline/patches.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
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

const float* PatchExtractor::cell_source(int64_t row, int64_t col, int64_t i, int64_t j, int t) const {
  const int64_t r = patch_ / 2;
  // Output cell (i, j) shows source offset (a, b) of the dihedral transform t.
  int64_t a = i - r, b = j - r;
  if (t & 4) std::swap(a, b);  // transpose
  if (t & 1) a = -a;           // vertical flip
  if (t & 2) b = -b;           // horizontal flip
  const int64_t sr = reflect_index(row + a, cube_.rows), sc = reflect_index(col + b, cube_.cols);
  return cube_.data.data() + (sr * cube_.cols + sc) * cube_.bands;
}

void PatchExtractor::windows(const int64_t* pixels, int64_t n, float* out, const uint8_t* transforms) const {
  const int64_t B = cube_.bands, P = patch_, area = P * P, cols = cube_.cols;
#pragma omp parallel for schedule(static)
  for (int64_t k = 0; k < n; ++k) {
    const int64_t row = pixels[k] / cols, col = pixels[k] % cols;
    const int t = transforms ? transforms[k] : 0;
    float* dst = out + k * B * area;
    for (int64_t i = 0; i < P; ++i)
      for (int64_t j = 0; j < P; ++j) {
        const float* src = cell_source(row, col, i, j, t);
        float* d = dst + i * P + j;
        for (int64_t band = 0; band < B; ++band) d[band * area] = src[band];
      }
  }
}

void PatchExtractor::windows_channels_last(const int64_t* pixels, int64_t n, float* out, const uint8_t* transforms) const {
  const int64_t B = cube_.bands, P = patch_, cols = cube_.cols;
#pragma omp parallel for schedule(static)
  for (int64_t k = 0; k < n; ++k) {
    const int64_t row = pixels[k] / cols, col = pixels[k] % cols;
    const int t = transforms ? transforms[k] : 0;
    float* dst = out + k * B * P * P;
    // Without a transpose or horizontal flip, a window row away from the left and right border
    // is one contiguous run of the BIP cube.
    const bool whole_rows = (t & 6) == 0 && col - P / 2 >= 0 && col + P / 2 < cols;
    for (int64_t i = 0; i < P; ++i) {
      if (whole_rows) {
        std::memcpy(dst + i * P * B, cell_source(row, col, i, 0, t), sizeof(float) * B * P);
        continue;
      }
      for (int64_t j = 0; j < P; ++j) std::memcpy(dst + (i * P + j) * B, cell_source(row, col, i, j, t), sizeof(float) * B);
    }
  }
}

void add_gaussian_noise(float* data, int64_t n, float sigma, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<float> noise(0.0f, sigma);
  for (int64_t i = 0; i < n; ++i) data[i] += noise(rng);
}

}  // namespace hsi
