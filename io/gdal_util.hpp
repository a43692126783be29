#pragma once
// Shared GDAL plumbing for the readers and writers: driver registration, quiet errors,
// owning dataset pointers, geo-referencing in and out.
#include <gdal_priv.h>

#include <memory>
#include <string>

#include "io/class_table.hpp"
#include "io/raster.hpp"

namespace hsi::detail {

struct GdalDatasetCloser {
  void operator()(GDALDataset* ds) const { GDALClose(GDALDataset::ToHandle(ds)); }
};
using GdalDatasetPtr = std::unique_ptr<GDALDataset, GdalDatasetCloser>;

// Registers drivers once and routes GDAL's messages away from stderr (we report them ourselves).
void init_gdal();
GdalDatasetPtr open_gdal_dataset(const std::string& path);
std::string last_gdal_error(const std::string& fallback);
GeoInfo read_georeferencing(GDALDataset& ds);
// A Byte band holding signed values (GDAL < 3.7 stores Int8 so: PIXELTYPE=SIGNEDBYTE).
bool is_signed_byte(GDALRasterBand& band);
void write_georeferencing(GDALDataset& ds, const GeoInfo& geo);

// A tiled, DEFLATE-compressed GeoTIFF at temp_path; errors name final_path.
GdalDatasetPtr create_tiled_geotiff(const std::string& temp_path, const std::string& final_path, int64_t rows, int64_t cols,
                                    int bands, GDALDataType type);
// Makes band a class map: nodata 0, a palette with the classes' colours (256 entries for a Byte
// map, max_id + 1 otherwise) and category names indexed by class id.
void style_class_band(GDALRasterBand& band, const ClassTable& classes, int32_t max_id, bool byte);

}  // namespace hsi::detail
