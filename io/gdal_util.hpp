#pragma once
// Shared GDAL plumbing for the readers and writers: driver registration, quiet errors,
// owning dataset pointers, geo-referencing in and out.
#include <gdal_priv.h>

#include <memory>
#include <string>

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
void write_georeferencing(GDALDataset& ds, const GeoInfo& geo);

}  // namespace hsi::detail
