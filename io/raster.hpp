#pragma once
// In-memory rasters as the rest of hsi sees them.
//
// Layout: one contiguous float32 buffer, band-interleaved-by-pixel (BIP):
//   value(row, col, band) = data[(row * cols + col) * bands + band]
// Chosen because every consumer works per pixel: a spectrum is contiguous, a p x p window
// is p runs of p*bands contiguous floats, and GDAL/HDF5 can fill it in a single pass.
#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace hsi {

struct GeoInfo {
  bool has_geotransform = false;
  std::array<double, 6> geotransform{0, 1, 0, 0, 0, 1};
  std::string projection_wkt;  // empty when unknown
  std::optional<double> nodata;
  std::vector<double> wavelengths;  // per band, empty when unknown
  std::string wavelength_units;
};

struct Cube {
  std::string source;  // the file (and variable) it came from, for error messages
  int64_t rows = 0, cols = 0, bands = 0;
  std::string source_type;  // the stored data type, e.g. "int16"
  std::vector<float> data;
  GeoInfo geo;

  int64_t pixels() const { return rows * cols; }
  float at(int64_t row, int64_t col, int64_t band) const { return data[(row * cols + col) * bands + band]; }
  const float* spectrum(int64_t row, int64_t col) const { return data.data() + (row * cols + col) * bands; }
  float* spectrum(int64_t row, int64_t col) { return data.data() + (row * cols + col) * bands; }
};

// Class ids per pixel, row-major. 0 (or the configured value) means unlabelled.
struct LabelMap {
  std::string source;
  int64_t rows = 0, cols = 0;
  std::vector<int32_t> labels;
  GeoInfo geo;

  int32_t at(int64_t row, int64_t col) const { return labels[row * cols + col]; }
};

}  // namespace hsi
