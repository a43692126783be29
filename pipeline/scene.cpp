#include "pipeline/scene.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <set>

#include "common/error.hpp"
#include "common/text.hpp"
#include "pipeline/bands.hpp"
#include "io/fetch.hpp"
#include "io/reader.hpp"
#include "io/vector_labels.hpp"

namespace hsi {

void warn_if_not_georeferenced(const std::string& path, const GeoInfo& geo) {
  const std::string ext = to_lower(std::filesystem::path(path).extension().string());
  if ((ext == ".tif" || ext == ".tiff") && !geo.has_geotransform) {
    std::fprintf(stderr, "hsi: warning: %s has no geo-referencing; outputs will have none\n", path.c_str());
  }
}

std::vector<uint8_t> kept_band_flags(int64_t bands, const std::vector<int>& drop_bands) {
  std::vector<uint8_t> kept(static_cast<size_t>(bands), 1);
  for (int b : drop_bands)
    if (b >= 1 && b <= bands) kept[b - 1] = 0;
  return kept;
}

namespace {

// The kept bands without data at any pixel, 1-based, for an error that says what to drop.
std::vector<int64_t> bands_without_data(const Cube& cube, const uint8_t* kept) {
  const std::optional<double> nodata = cube.geo.nodata;
  std::vector<int64_t> empty;
  for (int64_t b = 0; b < cube.bands; ++b) {
    if (kept && !kept[b]) continue;
    bool any = false;
    for (int64_t p = 0; p < cube.pixels() && !any; ++p) {
      const float v = cube.data[p * cube.bands + b];
      any = std::isfinite(v) && !(nodata && v == static_cast<float>(*nodata));
    }
    if (!any) empty.push_back(b + 1);
  }
  return empty;
}

}  // namespace

std::vector<uint8_t> mask_nodata(Cube& cube, const std::string& nan_policy, int64_t* masked, const std::vector<uint8_t>& kept_flags) {
  const uint8_t* kept = kept_flags.empty() ? nullptr : kept_flags.data();
  const std::optional<double> nodata = cube.geo.nodata;
  const int64_t B = cube.bands, P = cube.pixels();
  if (nan_policy != "nodata") {
    // NaN/Inf in a kept band fails the run; in a dropped band it is nobody's business.
    const bool nan_declared = nodata && std::isnan(*nodata);
    int64_t nonfinite = 0;
#pragma omp parallel for reduction(+ : nonfinite)
    for (int64_t p = 0; p < P; ++p)
      for (int64_t b = 0; b < B; ++b) {
        const float v = cube.data[p * B + b];
        nonfinite += (!kept || kept[b]) && !std::isfinite(v) && !(nan_declared && std::isnan(v));
      }
    if (nonfinite > 0) {
      data_error(cube.source, "holds " + std::to_string(nonfinite) +
                                  " NaN/Inf values in the bands used; set data.nan_policy = nodata to leave those pixels unclassified, or drop "
                                  "the bands that hold them (data.drop_bands)");
    }
  }
  // Bands without any data would mask every pixel: name them before masking.
  const std::vector<int64_t> empty = bands_without_data(cube, kept);
  if (!empty.empty()) {
    std::string list;
    for (int64_t b : empty) list += (list.empty() ? "" : ",") + std::to_string(b);
    data_error(cube.source, "band(s) " + list + " hold no data at any pixel (NaN or the nodata value); drop them with data.drop_bands = " + list);
  }
  std::vector<uint8_t> mask(static_cast<size_t>(P), 0);
  int64_t count = 0;
#pragma omp parallel for reduction(+ : count)
  for (int64_t p = 0; p < P; ++p) {
    if (mask_spectrum(cube.data.data() + p * B, B, nodata, kept) != 0) {
      mask[p] = 1;
      ++count;
    }
  }
  if (masked) *masked = count;
  if (count == 0) mask.clear();
  return mask;
}

void check_config_input(const std::string& source, const std::string& config_file) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (config_file.empty() || source.empty() || is_fetch_source(source) || fs::exists(parse_source(source).path, ec)) return;
  std::vector<std::string> paths = {source};  // FILE, or FILE:VARIABLE split at its last colon
  const size_t colon = source.rfind(':');
  if (colon != std::string::npos && colon > 0) paths.push_back(source.substr(0, colon));
  for (const std::string& path : paths) {
    if (fs::path(path).is_absolute()) continue;
    for (fs::path dir = fs::absolute(config_file, ec).parent_path(); !dir.empty(); dir = dir.parent_path()) {
      if (fs::exists(dir / path, ec)) {
        data_error(source, "file not found from the folder hsi runs in (" + fs::current_path(ec).string() +
                               "): relative paths in a config are read from there; this one is found from " + dir.string() +
                               ", so run hsi in that folder or make the path absolute");
      }
      if (dir == dir.root_path()) break;
    }
  }
}

LabelMap read_labels_on_grid(const std::string& source, const GeoInfo& grid, int64_t rows, int64_t cols, const ClassTable& classes,
                             const VectorLabelOptions& vector, const std::string& axis_order) {
  if (is_vector_source(source)) {
    std::vector<std::string> notes;
    LabelMap map = rasterize_labels(source, grid, rows, cols, classes, vector, &notes);
    for (const std::string& note : notes) std::fprintf(stderr, "hsi: warning: %s\n", note.c_str());
    return map;
  }
  ReadOptions options;
  options.axis_order = axis_order;
  return read_labels(source, options);
}

void check_labels_fit_cube(const LabelMap& labels, const Cube& cube) {
  if (labels.rows != cube.rows || labels.cols != cube.cols) {
    data_error(labels.source, "label map is " + std::to_string(labels.rows) + " x " + std::to_string(labels.cols) + " but the cube " +
                                  cube.source + " is " + std::to_string(cube.rows) + " x " + std::to_string(cube.cols));
  }
}

std::set<int32_t> ignored_class_ids(const DataSettings& data) {
  const std::vector<int> ids = parse_index_ranges(data.ignore_classes, "data.ignore_classes");
  return {ids.begin(), ids.end()};
}

Scene load_scene(const RunSettings& settings) {
  const DataSettings& d = settings.data;
  if (d.cube.empty()) usage_error("no cube given: set data.cube in the config or pass --data.cube FILE[:VARIABLE]");
  if (d.labels.empty()) usage_error("no label map given: set data.labels in the config or pass --data.labels FILE[:VARIABLE]");
  // Class entries are checked before reading megabytes of data.
  ClassTable classes = ClassTable::parse(settings.classes, settings.config_file.empty() ? "classes" : settings.config_file);
  check_config_input(d.cube, settings.config_file);
  check_config_input(d.labels, settings.config_file);
  ReadOptions options;
  options.axis_order = d.axis_order;
  Scene scene;
  scene.cube = read_cube(d.cube, options);
  scene.labels = read_labels_on_grid(d.labels, scene.cube.geo, scene.cube.rows, scene.cube.cols, classes, {d.label_field, d.all_touched},
                                     d.axis_order);
  check_labels_fit_cube(scene.labels, scene.cube);
  warn_if_not_georeferenced(parse_source(d.cube).path, scene.cube.geo);
  // Labels drawn on another grid than the cube's would teach the wrong pixels: say so.
  const GeoInfo &cg = scene.cube.geo, &lg = scene.labels.geo;
  if (cg.has_geotransform && lg.has_geotransform) {
    bool same = true;
    for (int i = 0; i < 6; ++i) same = same && std::abs(cg.geotransform[i] - lg.geotransform[i]) <= 1e-6 * std::max(1.0, std::abs(cg.geotransform[i]));
    if (!same || (!cg.projection_wkt.empty() && !lg.projection_wkt.empty() && cg.projection_wkt != lg.projection_wkt)) {
      std::fprintf(stderr, "hsi: warning: %s and %s are the same size but not geo-referenced alike (%s); the labels are used pixel for pixel\n",
                   scene.labels.source.c_str(), scene.cube.source.c_str(), same ? "other CRS" : "other geotransform");
    }
  }
  scene.name = d.name.empty() ? std::filesystem::path(parse_source(d.cube).path).stem().string() : d.name;
  scene.nodata = mask_nodata(scene.cube, d.nan_policy, &scene.nodata_pixels, kept_band_flags(scene.cube.bands, dropped_bands(d, scene.cube)));
  // The label raster's own nodata value marks pixels without a label, like data.unlabelled.
  const std::optional<double> label_nodata = scene.labels.geo.nodata;
  const std::set<int32_t> ignored = ignored_class_ids(d);
  std::set<int32_t> ids;
  int64_t labelled = 0;
  for (size_t i = 0; i < scene.labels.labels.size(); ++i) {
    int32_t& v = scene.labels.labels[i];
    const int32_t as_read = v;
    if (label_nodata && static_cast<double>(v) == *label_nodata && v != d.unlabelled) {
      ++scene.label_nodata_pixels;
      v = 0;
    }
    if (v != d.unlabelled && ignored.count(v)) {
      ++scene.ignored_pixels;
      v = 0;
    }
    if (v == d.unlabelled || (!scene.nodata.empty() && scene.nodata[i])) v = 0;
    // With a non-zero "unlabelled" value, a real 0 label would be ambiguous: 0 is reserved. A
    // label the rules above made 0 (the raster's nodata value, an ignored class) is not one.
    else if (as_read == 0) data_error(scene.labels.source, "class id 0 is reserved for unlabelled pixels; remap it or set data.unlabelled = 0");
    if (v != 0) {
      ids.insert(v);
      ++labelled;
    }
  }
  if (labelled == 0) {
    data_error(scene.labels.source, scene.nodata_pixels > 0 ? "no labelled pixel holds data in every band used (" + std::to_string(scene.nodata_pixels) +
                                                                  " pixels of the cube are masked as nodata)"
                                                            : std::string("the label map has no labelled pixel"));
  }
  if (ids.size() < 2) {
    data_error(scene.labels.source, "holds a single class (id " + std::to_string(*ids.begin()) + "); a classifier needs at least two");
  }
  // Configured classes absent from the ground truth cannot be learnt: the model's table holds
  // exactly the classes present, configured names and colours kept. Either mismatch is often a
  // config written for another scene or a mistyped id, so both are said.
  if (!classes.classes().empty()) {
    std::string absent, unlisted;
    for (const auto& c : classes.classes())
      if (!ids.count(c.id) && !ignored.count(c.id)) absent += (absent.empty() ? "" : ", ") + std::to_string(c.id) + " " + c.name;
    for (int32_t id : ids)
      if (classes.index_of(id) < 0) unlisted += (unlisted.empty() ? "" : ", ") + std::to_string(id);
    if (!absent.empty())
      std::fprintf(stderr, "hsi: warning: [classes] lists %s, which %s does not hold: left out of the model\n", absent.c_str(),
                   scene.labels.source.c_str());
    if (!unlisted.empty())
      std::fprintf(stderr, "hsi: warning: %s holds class id(s) %s that [classes] does not list: named class_ID with generated colours\n",
                   scene.labels.source.c_str(), unlisted.c_str());
  }
  classes.complete_with(std::vector<int32_t>(ids.begin(), ids.end()));
  std::vector<ClassInfo> present;
  for (const auto& c : classes.classes()) {
    if (ids.count(c.id)) present.push_back(c);
  }
  scene.classes = ClassTable(present);
  return scene;
}

}  // namespace hsi
