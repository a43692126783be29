#pragma once
// A labelled scene as the pipeline uses it: cube, ground truth (unlabelled = 0), class table
// and the mask of pixels that carry no data.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <optional>
#include <set>
#include <type_traits>
#include <string>
#include <vector>

#include "io/class_table.hpp"
#include "io/raster.hpp"
#include "io/vector_labels.hpp"
#include "pipeline/settings.hpp"

namespace hsi {

struct Scene {
  std::string name;
  Cube cube;
  LabelMap labels;
  ClassTable classes;
  std::vector<uint8_t> nodata;  // 1 = no data at this pixel (NaN/Inf under nan_policy=nodata, or the nodata value)
  int64_t nodata_pixels = 0;
  int64_t label_nodata_pixels = 0;  // labels equal to the label raster's nodata value: unlabelled
  int64_t ignored_pixels = 0;       // labels of data.ignore_classes: unlabelled
};

// The ids of data.ignore_classes: their pixels count as unlabelled wherever labels are read for a
// run (the ground truth, external train/test maps).
std::set<int32_t> ignored_class_ids(const DataSettings& data);

// A relative path in a config is read from the folder hsi runs in. When `source` (FILE or
// FILE:VARIABLE) is not there, fails with an error that says so and, when the file is found
// relative to the config's folder or one above it, names that folder; otherwise returns and
// the reader reports as usual. Does nothing without a config file.
void check_config_input(const std::string& source, const std::string& config_file);

// A label map for a grid of rows x cols: a raster through the readers (checked against the grid
// by the caller), or a vector file's features (FILE or FILE:LAYER) burnt onto the grid, their
// class attribute an id or a name of `classes`. What rasterising left out is printed. Every
// label source of hsi (scene, external split, enrol, evaluate) is read through here.
LabelMap read_labels_on_grid(const std::string& source, const GeoInfo& grid, int64_t rows, int64_t cols, const ClassTable& classes,
                             const VectorLabelOptions& vector, const std::string& axis_order = "rcb");

// Data error, naming both files, when a label map is not the cube's size.
void check_labels_fit_cube(const LabelMap& labels, const Cube& cube);

// Reads and checks the cube (NaN policy, nodata), the label map (same size; unlabelled -> 0)
// and the class table (config entries completed with the ids found in the labels).
Scene load_scene(const RunSettings& settings);

// The one nodata model of hsi, for training scenes and prediction alike. A pixel has no data
// when any band the model uses (`kept`, per band 1 = used; null = every band) holds the nodata
// value or NaN/Inf: its other bands cannot stand in for the missing ones, so it is masked and
// left unclassified. Bands the model does not use are never looked at (NaN in a dropped
// water-absorption band is irrelevant). A NaN nodata value declares NaN as nodata.
// Returns 0 = data, 1 = nodata value, 2 = NaN/Inf; a masked spectrum is zeroed so it cannot
// poison the network's input. Any sample type of a raster (integers cannot be NaN/Inf).
template <typename T>
int mask_spectrum(T* x, int64_t bands, const std::optional<double>& nodata, const uint8_t* kept = nullptr) {
  const bool nan_is_nodata = nodata && std::isnan(*nodata);
  bool nonfinite = false, missing = false;
  for (int64_t b = 0; b < bands; ++b) {
    if (kept && !kept[b]) continue;
    if constexpr (std::is_floating_point_v<T>) {
      if (!std::isfinite(x[b])) {
        if (nan_is_nodata && std::isnan(x[b])) missing = true;
        else nonfinite = true;
      } else if (nodata && x[b] == static_cast<T>(*nodata)) {
        missing = true;
      }
    } else {
      // Compared in double: a nodata value outside T's range matches nothing.
      if (nodata && static_cast<double>(x[b]) == *nodata) missing = true;
    }
  }
  if (!nonfinite && !missing) return 0;
  std::fill(x, x + bands, T(0));
  return nonfinite ? 2 : 1;
}

// Per band, 1 = kept: every band but the 1-based `drop_bands`.
std::vector<uint8_t> kept_band_flags(int64_t bands, const std::vector<int>& drop_bands);

// GeoTIFFs normally carry geo-referencing; one without is accepted, but the maps made from it
// will not line up with anything, which the user should know: one warning line on stderr.
// (.mat and HDF5 cubes never carry any, so they get no warning.)
void warn_if_not_georeferenced(const std::string& path, const GeoInfo& geo);

// Applies the nodata model to a cube in memory: returns the per-pixel mask (empty when nothing
// is masked); values of masked pixels become 0. NaN/Inf in kept bands fail the run unless
// nan_policy = nodata. A kept band without data at any pixel is an error naming it (drop it).
std::vector<uint8_t> mask_nodata(Cube& cube, const std::string& nan_policy, int64_t* masked = nullptr,
                                 const std::vector<uint8_t>& kept = {});

}  // namespace hsi
