#pragma once
// Spectral-spatial samples cut straight from the BIP cube into a model's input buffer: one
// write per value, no intermediate per-pixel copies, in parallel over samples. Torch-free so
// the benchmarks and tests can use it on plain buffers; the trainer points it at tensor memory.
#include <cstdint>
#include <vector>

#include "io/raster.hpp"

namespace hsi {

// Mirror an index into [0, n): numpy's "reflect" (the edge pixel is not repeated).
inline int64_t reflect_index(int64_t i, int64_t n) {
  if (n == 1) return 0;
  const int64_t period = 2 * (n - 1);
  i %= period;
  if (i < 0) i += period;
  return i < n ? i : period - i;
}

class PatchExtractor {
 public:
  PatchExtractor(const Cube& cube, int patch);

  int patch() const { return patch_; }
  int64_t bands() const { return cube_.bands; }
  int64_t sample_size() const { return cube_.bands * patch_ * patch_; }

  // out: [n, bands] spectra of the pixels.
  void spectra(const int64_t* pixels, int64_t n, float* out) const;
  // out: [n, bands, patch, patch], reflect-padded at the border. `transforms` (may be null)
  // gives each sample one of the 8 flips/rotations of the window (0 = identity).
  void windows(const int64_t* pixels, int64_t n, float* out, const uint8_t* transforms = nullptr) const;
  // The same windows channels-last: out [n, patch, patch, bands], each cell one contiguous
  // spectrum copied straight from the BIP cube.
  void windows_channels_last(const int64_t* pixels, int64_t n, float* out, const uint8_t* transforms = nullptr) const;

 private:
  // The spectrum that cell (i, j) of the window around (row, col) shows under dihedral
  // transform t, reflect-padded at the border.
  const float* cell_source(int64_t row, int64_t col, int64_t i, int64_t j, int t) const;

  const Cube& cube_;
  int patch_;
};

// Adds N(0, sigma^2) noise to every value (training augmentation), seeded.
void add_gaussian_noise(float* data, int64_t n, float sigma, uint64_t seed);

}  // namespace hsi
