#pragma once
// Whole-scene prediction: one tile loop for every input and every route, as PDAL runs standard
// and streamed pipelines through the same stages.
//
//   WindowSource (GDAL raster window by window, or a cube in memory)
//     -> tile with a halo of the patch radius, mirrored at the scene border
//     -> nodata mask (NaN/Inf, the nodata value, or a mask known beforehand)
//     -> preprocessing (one matrix product per tile, band-major)
//     -> class probabilities (dense: the tile as one fully convolutional pass; patch: every
//        window of the tile cut out and batched, the reference the dense route is tested against)
//     -> TileSink (a tiled map writer, an in-memory map, or both)
//
// Tiles are sized from the RAM budget, so memory follows `ram_mb`, not the scene, on every
// route (a .mat cube itself is read whole).
#include <torch/torch.h>

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "io/window_io.hpp"
#include "pipeline/checkpoint.hpp"
#include "pipeline/settings.hpp"

namespace hsi {

// The [predict] settings (route, tile, ram_mb, batch_size: defaults declared once, in
// PredictSettings) and what a single prediction adds.
struct PredictOptions : PredictSettings {
  std::string nan_policy = "error";   // error | nodata: NaN/Inf pixels fail the run or are left unclassified
  std::string classifier;             // softmax | prototype | mahalanobis | neighbour; empty = the checkpoint's
  std::string unknown;                // open-set rule: none | distance | softmax; empty = the checkpoint's
  bool progress = true;
  bool seamless = true;               // batch mode: tiles on one grid read their halo from their neighbours
  bool probabilities = false;         // also each class's probability raster (hsi predict --probabilities: MAP_ or STEM_probabilities)
};

struct PredictionStats {
  int64_t rows = 0, cols = 0, classified = 0, nodata_pixels = 0, tiles = 0, skipped_tiles = 0;
  int64_t unknown_pixels = 0;  // classified pixels the open-set rule rejected (counted in classified)
  int tile = 0;
  std::string route, classifier, open_set, precision;  // what was actually used
  double seconds = 0;
  // Where the time went: reading windows, masking + preprocessing, the network, the sink.
  double read_seconds = 0, prepare_seconds = 0, model_seconds = 0, write_seconds = 0;
};

// One classified tile: class ids (0 = no data, unknown_class_id: rejected) and the winning
// class's probability, row-major h x w; with an open-set rule also each pixel's novelty score;
// every class's probability (of the checkpoint's classes in table order) unless no pixel of
// the tile has data.
struct TileResult {
  int64_t y0 = 0, x0 = 0, h = 0, w = 0;
  const std::vector<int32_t>& ids;
  const std::vector<float>& confidence;
  const std::vector<float>& novelty;       // empty without an open-set rule
  const float* probabilities = nullptr;    // h x w x classes, pixel by pixel; null: a tile without data
  int64_t classes = 0;
};
using TileSink = std::function<void(const TileResult&)>;

// The part of a source to classify (rows = 0: all of it). The rest of the source is context:
// windows near the region's edge read their halo from it, and only the source's own edge is
// mirrored. (Seamless batch prediction: a tile classified inside the mosaic of its neighbours.)
struct Region {
  int64_t y0 = 0, x0 = 0, rows = 0, cols = 0;
};

// The loop itself: every tile of `source` (of `region` in it) through the checkpoint's
// preprocessing and network; tiles reach the sink in region coordinates.
PredictionStats predict_tiles(Checkpoint& checkpoint, const WindowSource& source, const PredictOptions& options, const TileSink& sink,
                              const Region& region = {});

// A whole map in memory (class ids, 0 = no data; confidences) of a cube as read (not yet
// preprocessed). `nodata` (may be null) marks pixels known to hold no data.
struct ScenePrediction {
  std::vector<int32_t> ids;
  std::vector<float> confidence;
  std::vector<float> novelty;  // empty without an open-set rule
  PredictionStats stats;
};
ScenePrediction predict_cube(Checkpoint& checkpoint, const Cube& cube, const std::vector<uint8_t>* nodata, const PredictOptions& options);

// The map files of one prediction: the class map and the confidence map (tiled GeoTIFFs with
// the source's geo-referencing, written atomically), a PNG quick-look (empty: none) and a raster
// of every class's probability, one band per class named after it, -1 where no pixel was
// classified (empty: none).
struct MapOutputs {
  std::string map, confidence, png, probabilities = {};
};
// The no-data value of the probability raster: never a probability.
constexpr float kNoProbability = -1.0f;
// Streams the tiles into the map files; `ids` (may be null) also receives the whole map. With
// a region, the maps cover the region and carry `region_geo` (the region's own geo-referencing).
PredictionStats predict_to_maps(Checkpoint& checkpoint, const WindowSource& source, const MapOutputs& outputs,
                                const PredictOptions& options, std::vector<int32_t>* ids = nullptr, const Region& region = {},
                                const GeoInfo* region_geo = nullptr);
// FILE[:VARIABLE]: GDAL rasters are read window by window; .mat and HDF5 cubes are read whole
// (`axis_order` as in ReadOptions). Used by `hsi predict`, its batch mode, and `hsi train`.
PredictionStats predict_file(Checkpoint& checkpoint, const std::string& input, const std::string& axis_order, const MapOutputs& outputs,
                             const PredictOptions& options);
// The default confidence and PNG names next to a map: MAP_confidence.tif, MAP.png (and the
// probability raster's, MAP_probabilities.tif, when asked for).
MapOutputs outputs_beside(const std::string& map_path, bool probabilities = false);

// The open-set rule a prediction uses (options, else the checkpoint's), checked against what the
// checkpoint can do: a usage error for a rule it cannot apply, a data error for a missing threshold.
std::string open_set_rule(const Checkpoint& checkpoint, const PredictOptions& options);

// The tile side whose working set fits `ram_mb` for this model and band count.
int tile_for_budget(const NetOptions& net, int64_t input_bands, int64_t ram_mb);

// Class probabilities from metric-space features z [N, K]: the softmax head, or a softmax over
// negative squared distances to the class prototypes (prototype: Euclidean; mahalanobis: under
// the classes' pooled covariance) or to each class's nearest exemplar (neighbour: under the same
// covariance).
torch::Tensor class_probabilities(Checkpoint& ck, const torch::Tensor& z, const std::string& classifier);

}  // namespace hsi
