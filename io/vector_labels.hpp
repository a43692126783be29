#pragma once
// Ground truth drawn as features — polygons of surveyed fields, GPS points, transects — in any
// vector format OGR reads (GeoPackage, Shapefile, GeoJSON, KML, ...), burnt onto a cube's pixel
// grid. Analysts digitise ground truth as features far more often than as rasters.
//
// A pixel takes a feature's class when the feature covers the pixel's centre (every pixel a
// point or line touches; with all_touched, every pixel a polygon touches too). A pixel inside
// features of different classes is ambiguous and stays unlabelled, counted in the notes. The
// features are reprojected to the cube's CRS when both are known.
#include <string>
#include <vector>

#include "io/class_table.hpp"
#include "io/raster.hpp"

namespace hsi {

enum class VectorContent { none, layers, layers_and_raster };

// What `source` (FILE or FILE:LAYER) holds: no vector layer (rasters, MAT and HDF5 files, fetch:
// sources), layers, or layers beside raster data (a GeoPackage can hold both). FILE:LAYER is
// always `layers`: a GDAL raster takes no variable. Data error when the file does not exist.
VectorContent vector_content(const std::string& source);

// True when `source` is to be read as features (vector_content `layers`). A file of both layers
// and raster data named without a layer is a data error that says how to name either.
bool is_vector_source(const std::string& source);

struct VectorLabelOptions {
  // The attribute holding the class: an integer id, or a name of the class table. Empty: the
  // layer's one integer attribute (an error lists the attributes when there is not exactly one).
  std::string field;
  bool all_touched = false;
  std::string field_key = "data.label_field";  // how errors name the setting of `field`
};

// `source` is FILE or FILE:LAYER (a file of one layer needs no name). `grid` must carry a
// geotransform: features in map coordinates cannot be placed on a cube without one. The
// result has the grid's geo-referencing.
LabelMap rasterize_labels(const std::string& source, const GeoInfo& grid, int64_t rows, int64_t cols, const ClassTable& classes,
                          const VectorLabelOptions& options, std::vector<std::string>* notes);

// One pixel of a reference sample: where it is and the class the map gives it.
struct SamplePoint {
  int64_t row = 0, col = 0;
  int32_t map_class = 0;
};

// A reference sample for an analyst to label (in QGIS, say): a point at each pixel's centre in
// the map's coordinates and CRS, with the attributes row, col, map_class, map_name and an
// empty integer `reference`, in a GeoPackage (.gpkg) or GeoJSON (.geojson) file, written under a
// temporary name and renamed when complete. `hsi evaluate --truth FILE --truth-field reference`
// reads it back (points left empty are skipped). Data error for a map without geo-referencing.
void write_sample_points(const std::string& path, const std::vector<SamplePoint>& points, const GeoInfo& map_geo, const ClassTable& classes,
                         const std::string& map_path);
// Usage error unless `path` names a format write_sample_points writes (checked before any work).
void check_sample_path(const std::string& path);

// `hsi info` of a vector file: per layer its features, geometry type, CRS, extent and
// attributes (the one to set as data.label_field among them).
std::string describe_vector_source(const std::string& path);

}  // namespace hsi
