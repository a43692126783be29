#pragma once
// Streamed whole-scene prediction for rasters larger than memory: the input is read through
// GDAL windows (aligned to the file's blocks), each with a halo of the patch radius mirrored at
// the scene border exactly as the in-memory path does, preprocessed and classified tile by
// tile, and written tile by tile. Peak memory follows the RAM budget, not the raster size.
#include <cstdint>
#include <string>

#include "pipeline/checkpoint.hpp"
#include "pipeline/predictor.hpp"

namespace hsi {

struct StreamOptions {
  int64_t ram_mb = 512;
  int tile = 0;  // tile side; 0 = the largest that fits the RAM budget
  std::string nan_policy = "error";  // error | nodata
  PredictOptions predict;
};

struct StreamResult {
  int64_t rows = 0, cols = 0, classified = 0, nodata_pixels = 0, tiles = 0, skipped_tiles = 0;
  int tile = 0;
  double seconds = 0;
  // Where the time went: reading windows, masking + preprocessing, the network, writing.
  double read_seconds = 0, prepare_seconds = 0, model_seconds = 0, write_seconds = 0;
};

StreamResult predict_streamed(Checkpoint& checkpoint, const std::string& input, const std::string& map_path,
                              const std::string& confidence_path, const StreamOptions& options);

// The tile side whose working set fits `ram_mb` for this model and band count.
int tile_for_budget(const NetOptions& net, int64_t input_bands, int64_t ram_mb);

}  // namespace hsi
