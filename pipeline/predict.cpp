// What the tile loop feeds: maps in memory, map files, or both (see predict.hpp).
#include "pipeline/predict.hpp"

#include <filesystem>
#include <memory>

#include "common/error.hpp"
#include "io/reader.hpp"
#include "io/writer.hpp"
#include "pipeline/prototypes.hpp"
#include "pipeline/scene.hpp"

namespace fs = std::filesystem;

namespace hsi {

ScenePrediction predict_cube(Checkpoint& ck, const Cube& cube, const std::vector<uint8_t>* nodata, const PredictOptions& options) {
  const CubeWindowSource source(cube, nodata);
  ScenePrediction out;
  out.ids.assign(static_cast<size_t>(cube.pixels()), 0);
  out.confidence.assign(static_cast<size_t>(cube.pixels()), 0.0f);
  if (open_set_rule(ck, options) != "none") out.novelty.assign(static_cast<size_t>(cube.pixels()), 0.0f);
  out.stats = predict_tiles(ck, source, options, [&](const TileResult& t) {
    for (int64_t y = 0; y < t.h; ++y) {
      const size_t at = static_cast<size_t>((t.y0 + y) * cube.cols + t.x0);
      std::copy_n(t.ids.begin() + y * t.w, t.w, out.ids.begin() + static_cast<int64_t>(at));
      std::copy_n(t.confidence.begin() + y * t.w, t.w, out.confidence.begin() + static_cast<int64_t>(at));
      if (!t.novelty.empty()) std::copy_n(t.novelty.begin() + y * t.w, t.w, out.novelty.begin() + static_cast<int64_t>(at));
    }
  });
  return out;
}

PredictionStats predict_to_maps(Checkpoint& ck, const WindowSource& source, const MapOutputs& outputs, const PredictOptions& options,
                                std::vector<int32_t>* ids, const Region& region, const GeoInfo* region_geo) {
  const bool whole = region.rows <= 0;
  const int64_t rows = whole ? source.rows() : region.rows, cols = whole ? source.cols() : region.cols;
  // Rejected pixels get their own class in the colour table and legend.
  const ClassTable legend = open_set_rule(ck, options) == "none" ? ck.classes : with_unknown_class(ck.classes);
  const GeoInfo& geo = region_geo ? *region_geo : source.geo();
  TiledMapWriter writer(outputs.map, outputs.confidence, rows, cols, legend, geo, parse_map_format(options.format));
  std::unique_ptr<TiledBandsWriter> probabilities;
  if (!outputs.probabilities.empty()) {
    std::vector<std::string> names;
    for (const ClassInfo& c : ck.classes.classes()) names.push_back(c.name);
    probabilities = std::make_unique<TiledBandsWriter>(outputs.probabilities, rows, cols, names, kNoProbability, geo, parse_map_format(options.format));
  }
  std::vector<float> tile_probabilities;
  if (ids) ids->assign(static_cast<size_t>(rows * cols), 0);
  PredictionStats stats = predict_tiles(
      ck, source, options,
      [&](const TileResult& t) {
        writer.write(t.y0, t.x0, t.h, t.w, t.ids, t.confidence);
        if (probabilities) {
          const int64_t C = probabilities->bands();
          if (t.probabilities && t.classes != C) {
            throw Error(ErrorKind::Internal, "the model gave " + std::to_string(t.classes) + " class probabilities for " + std::to_string(C) + " classes");
          }
          tile_probabilities.assign(static_cast<size_t>(t.h * t.w * C), kNoProbability);
          for (int64_t p = 0; p < t.h * t.w; ++p)
            if (t.ids[static_cast<size_t>(p)] != 0) std::copy_n(t.probabilities + p * C, C, tile_probabilities.begin() + p * C);
          probabilities->write(t.y0, t.x0, t.h, t.w, tile_probabilities.data());
        }
        if (!ids) return;
        for (int64_t y = 0; y < t.h; ++y) std::copy_n(t.ids.begin() + y * t.w, t.w, ids->begin() + (t.y0 + y) * cols + t.x0);
      },
      region);
  if (probabilities) probabilities->commit();
  writer.commit();  // the map last: its presence means the job is complete
  if (!outputs.png.empty()) write_png_from_map(outputs.map, outputs.png);
  return stats;
}

PredictionStats predict_file(Checkpoint& ck, const std::string& input, const std::string& axis_order, const MapOutputs& outputs,
                             const PredictOptions& options) {
  const SourceSpec spec = parse_source(input);
  if (spec.variable.empty() && is_gdal_raster(spec.path)) {
    // Read window by window under the RAM budget: the raster is never loaded whole.
    const RasterWindowReader reader(spec.path);
    warn_if_not_georeferenced(spec.path, reader.geo());
    return predict_to_maps(ck, reader, outputs, options);
  }
  ReadOptions read_options;
  read_options.axis_order = axis_order;
  const Cube cube = read_cube(input, read_options);
  return predict_to_maps(ck, CubeWindowSource(cube), outputs, options);
}

MapOutputs outputs_beside(const std::string& map_path, bool probabilities) {
  const fs::path p(map_path);
  // The confidence map in the map's format, under the map's extension.
  const auto beside = [&](const std::string& suffix) { return (p.parent_path() / (p.stem().string() + suffix + p.extension().string())).string(); };
  return {map_path, beside("_confidence"), (p.parent_path() / (p.stem().string() + ".png")).string(),
          probabilities ? beside("_probabilities") : std::string()};
}

}  // namespace hsi
