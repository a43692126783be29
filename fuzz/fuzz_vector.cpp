// Any bytes given as vector ground truth (GeoJSON: text, so the mutations reach our code past
// GDAL's parser: odd geometries, huge or NaN coordinates, ids out of range, names, nulls) end in
// a label map or an hsi::Error, never a crash.
#include <cstdint>

#include "common/error.hpp"
#include "fuzz_support.hpp"
#include "io/vector_labels.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string path = hsi::fuzz::input_file(data, size, ".geojson");
  static const hsi::ClassTable classes({{1, "field", {0, 128, 0}}, {7, "Roof", {200, 0, 0}}});
  hsi::GeoInfo grid;
  grid.has_geotransform = true;
  grid.geotransform = {0, 1, 0, 16, 0, -1};  // 16 x 16 pixels of 1 unit; features in 0..16 land on it
  try {
    if (!hsi::is_vector_source(path)) return 0;
    (void)hsi::describe_vector_source(path);
    for (const bool all_touched : {false, true}) {
      std::vector<std::string> notes;
      (void)hsi::rasterize_labels(path, grid, 16, 16, classes, {"", all_touched}, &notes);
      (void)hsi::rasterize_labels(path, grid, 16, 16, classes, {"class", all_touched}, &notes);
    }
  } catch (const hsi::Error&) {
  }
  return 0;
}
