#pragma once
// Rasters that lie on one pixel grid (same CRS, pixel size and band layout, no rotation,
// origins on the grid), joined into one virtual raster (a GDAL VRT held in memory), so that a
// tile's windows can read their halo from its neighbours. Used by seamless batch prediction.
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "io/raster.hpp"

namespace hsi {

// Which inputs can share a mosaic: groups of indices into `paths` (each with at least two
// members, in input order), and the inputs that stand alone with the reason.
struct MosaicPlan {
  std::vector<std::vector<size_t>> groups;
  std::vector<std::pair<size_t, std::string>> alone;
};
MosaicPlan plan_mosaics(const std::vector<std::string>& paths);

// The VRT of a group. Where inputs overlap, the one listed later is on top (GDAL draws a VRT's
// sources in order): deterministic for a given input list.
class InputMosaic {
 public:
  // `name` makes the in-memory file name unique within the process.
  InputMosaic(const std::vector<std::string>& paths, const std::string& name);
  ~InputMosaic();
  InputMosaic(const InputMosaic&) = delete;
  InputMosaic& operator=(const InputMosaic&) = delete;

  const std::string& path() const { return path_; }  // /vsimem/..., readable by RasterWindowReader
  // Where input i (of the constructor's list) lies in the mosaic, and its own geo-referencing.
  struct Placement {
    int64_t y0 = 0, x0 = 0, rows = 0, cols = 0;
    GeoInfo geo;
  };
  const Placement& placement(size_t i) const { return placements_.at(i); }

 private:
  std::string path_;
  std::vector<Placement> placements_;
};

}  // namespace hsi
