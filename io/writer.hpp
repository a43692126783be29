#pragma once
// Raster outputs. Every function writes to a temporary name beside the target and renames it
// into place only when GDAL has closed the file, so a failure leaves nothing under `path`.
#include <cstdint>
#include <string>
#include <vector>

#include "io/class_table.hpp"
#include "io/raster.hpp"

namespace hsi {

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
