#pragma once
// Train / validation / test splits of a labelled scene. Every mode is seeded, reports per-class
// counts, and can be saved (GeoTIFF maps + JSON summary) and reloaded.
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "io/class_table.hpp"
#include "io/raster.hpp"
#include "pipeline/settings.hpp"

namespace hsi {

struct ClassSplitCount {
  int32_t id = 0;
  int64_t total = 0, train = 0, validation = 0, test = 0, removed = 0;
};

struct Split {
  int64_t rows = 0, cols = 0;
  // Per-pixel class ids (0 = not in that set), row-major. The three sets are disjoint.
  std::vector<int32_t> train, validation, test;
  std::vector<ClassSplitCount> counts;
  std::vector<std::string> notes;  // what the split had to adapt (capped classes, ...)
  std::string mode;
  int seed = 0;

  static std::vector<int64_t> pixels_of(const std::vector<int32_t>& map);
  std::vector<int32_t> class_ids() const;  // classes with training pixels, ascending
};

// `labels`: the ground truth with unlabelled pixels already 0. patch_radius is used by the
// blocks mode's guard band and to refuse windows larger than the scene.
Split make_split(const LabelMap& labels, const SplitSettings& settings, int patch_radius, int seed);

// The block of the `blocks` mode a pixel (row-major index) falls in: squares of `block_size`
// from the origin, numbered row-major. Model selection groups its folds by the same blocks.
int64_t block_of(int64_t pixel, int64_t cols, int64_t block_size);

// Reads the external train and test maps of settings (same size as the scene).
// `read` reads a map for the scene's grid (pipeline/scene.hpp: read_labels_on_grid).
Split external_split(const SplitSettings& settings, int64_t rows, int64_t cols, int unlabelled, int seed,
                     const std::function<LabelMap(const std::string&)>& read);

void save_split(const Split& split, const std::string& dir, const ClassTable& classes, const GeoInfo& geo);
Split load_split(const std::string& dir, int64_t rows, int64_t cols);

// The protocol in one line for reports, with the numbers that make it reproducible ("fixed: 10
// training pixels per class (at most 50 % of a class)"); the split's notes say where it adapted.
std::string describe_split(const SplitSettings& settings);

// A per-class table (train / validation / test / removed by the guard band).
std::string split_table(const Split& split, const ClassTable& classes);

}  // namespace hsi
