#pragma once
// A labelled scene as the pipeline uses it: cube, ground truth (unlabelled = 0), class table
// and the mask of pixels that carry no data.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <optional>
#include <type_traits>
#include <string>
#include <vector>

#include "io/class_table.hpp"
#include "io/raster.hpp"
#include "pipeline/settings.hpp"

namespace hsi {

struct Scene {
  std::string name;
  Cube cube;
  LabelMap labels;
  ClassTable classes;
  std::vector<uint8_t> nodata;  // 1 = no data at this pixel (NaN/Inf under nan_policy=nodata, or the nodata value)
  int64_t nodata_pixels = 0;
};

// Reads and checks the cube (NaN policy, nodata), the label map (same size; unlabelled -> 0)
// and the class table (config entries completed with the ids found in the labels).
Scene load_scene(const RunSettings& settings);

// Classifies one spectrum of `bands` values: 0 = has data, 1 = nodata (every band equals
// `nodata`), 2 = holds NaN/Inf. A spectrum without data is zeroed so it cannot poison the
// network's input. Shared by the in-memory and the streamed paths.
// Any sample type of a raster (integers cannot be NaN/Inf).
template <typename T>
int mask_spectrum(T* x, int64_t bands, const std::optional<double>& nodata) {
  bool nonfinite = false, all_nodata = nodata.has_value();
  for (int64_t b = 0; b < bands; ++b) {
    if constexpr (std::is_floating_point_v<T>) {
      if (!std::isfinite(x[b])) nonfinite = true;
      if (!nodata || x[b] != static_cast<T>(*nodata)) all_nodata = false;
    } else {
      // Compared in double: a nodata value outside T's range matches nothing.
      if (!nodata || static_cast<double>(x[b]) != *nodata) all_nodata = false;
    }
  }
  if (!nonfinite && !all_nodata) return 0;
  std::fill(x, x + bands, T(0));
  return nonfinite ? 2 : 1;
}

// GeoTIFFs normally carry geo-referencing; one without is accepted, but the maps made from it
// will not line up with anything, which the user should know: one warning line on stderr.
// (.mat and HDF5 cubes never carry any, so they get no warning.)
void warn_if_not_georeferenced(const std::string& path, const GeoInfo& geo);

// Handles NaN/Inf and the nodata value of a cube on its own (prediction inputs): returns the
// per-pixel nodata mask; values of masked pixels become 0.
std::vector<uint8_t> mask_nodata(Cube& cube, const std::string& nan_policy, int64_t* masked = nullptr);

}  // namespace hsi
