#pragma once
// Raster outputs. Every function writes to a temporary name beside the target and renames it
// into place only when GDAL has closed the file, so a failure leaves nothing under `path`.
#include <cstdint>
#include <string>
#include <vector>

#include "io/class_table.hpp"
#include "io/raster.hpp"

namespace hsi {

// Formats of the maps `hsi predict` writes: GeoTIFF (tiled, DEFLATE), Cloud-Optimized GeoTIFF
// (overviews made by nearest neighbour for classes, average for confidence) for web maps, and
// ENVI (the header's classes, class names and class lookup give ENVI its legend).
enum class MapFormat { GTiff, COG, ENVI };
MapFormat parse_map_format(const std::string& name);  // usage error naming the choices
const std::vector<std::string>& map_format_names();
// The file extension the default output names use for a format name (predict.format): .tif
// (GTiff, COG) or .img (ENVI); a usage error for an unknown name.
std::string map_extension(const std::string& format);
// ENVI's header beside a data file, as GDAL looks for it (map.img -> map.hdr).
std::string envi_header_path(const std::string& data_path);

// Classification map: GeoTIFF, Byte (UInt16 when an id exceeds 255), colour table and category
// names from `classes`, nodata 0, the input's geotransform and projection, tiled + DEFLATE.
// `ids` are original class ids (0 = unclassified), row-major.
void write_class_map(const std::string& path, int64_t rows, int64_t cols, const std::vector<int32_t>& ids,
                     const ClassTable& classes, const GeoInfo& geo);

// Float32 GeoTIFF (e.g. per-pixel confidence), tiled + DEFLATE.
void write_float_map(const std::string& path, int64_t rows, int64_t cols, const std::vector<float>& values,
                     const GeoInfo& geo, double nodata);

// Multi-band float32 GeoTIFF in hsi's BIP layout, with the cube's nodata value if it has one
// (used for synthetic cubes and tests).
void write_cube_geotiff(const std::string& path, const Cube& cube);

// PNG quick-look with the class colours (palette PNG; ids are remapped to palette indices).
void write_png_quicklook(const std::string& path, int64_t rows, int64_t cols, const std::vector<int32_t>& ids,
                         const ClassTable& classes);

}  // namespace hsi
