#pragma once
// Reading cubes and label maps from any supported file.
//
// A source is "path" or "path:variable" (MAT-files) / "path:/group/dataset" (HDF5).
// Dispatch is by content, not only by name: a .mat whose header says HDF5 is v7.3 and read
// through HDF5; other .mat go through libmatio; .h5/.hdf5/.he5 through HDF5; everything else
// through GDAL.
#include <optional>
#include <string>
#include <vector>

#include "io/class_table.hpp"
#include "io/raster.hpp"

namespace hsi {

struct ReadOptions {
  // Which logical axis is rows ('r'), columns ('c') and bands ('b'), in the order the
  // variable's dimensions are listed (MATLAB's size() for .mat, HDF5's dims for .h5).
  std::string axis_order = "rcb";
};

struct SourceSpec {
  std::string path;
  std::string variable;  // empty: choose automatically
};

SourceSpec parse_source(const std::string& source);

// True when `path` is read through GDAL (not a MAT or HDF5 file): such rasters can be read
// window by window instead of whole. Data error when the file does not exist.
bool is_gdal_raster(const std::string& path);

Cube read_cube(const std::string& source, const ReadOptions& options = {});
LabelMap read_labels(const std::string& source, const ReadOptions& options = {});

// The classes a GDAL class map names (category names, colour table), e.g. a map hsi wrote:
// empty for other files and for rasters without category names.
ClassTable read_class_table(const std::string& source);

// The ground area of one pixel in square metres, from the geotransform and a projected
// coordinate system's linear unit; none without a geotransform, with a geographic (degrees)
// or unknown system, where a pixel's area is not one number.
std::optional<double> pixel_area_square_metres(const GeoInfo& geo);

// Describes the variables of a MAT or HDF5 file ("name: 83x86x224 int16"), for error messages
// and `hsi info`.
std::vector<std::string> list_variables(const std::string& path);

}  // namespace hsi
