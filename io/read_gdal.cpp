// Any raster GDAL can open: GeoTIFF, ENVI, ERDAS, PNG, VRT, ...
#include <cpl_error.h>
#include <cpl_string.h>
#include <gdal_priv.h>

#include <memory>
#include <utility>
#include <vector>

#include "common/error.hpp"
#include "common/text.hpp"
#include "io/array_layout.hpp"
#include "io/backends.hpp"
#include "io/gdal_util.hpp"

namespace hsi::detail {
namespace {

std::vector<double> parse_number_list(std::string text) {
  std::vector<double> values;
  for (char& c : text) {
    if (c == '{' || c == '}') c = ' ';
  }
  for (const std::string& part : split(text, ',')) {
    if (part.empty()) continue;
    try {
      values.push_back(std::stod(part));
    } catch (const std::exception&) {
      return {};
    }
  }
  return values;
}

void read_wavelengths(GDALDataset& ds, GeoInfo& geo) {
  const int bands = ds.GetRasterCount();
  std::vector<double> per_band;
  for (int b = 1; b <= bands; ++b) {
    const char* w = ds.GetRasterBand(b)->GetMetadataItem("wavelength");
    if (!w) break;
    per_band.push_back(CPLAtof(w));
    if (const char* units = ds.GetRasterBand(b)->GetMetadataItem("wavelength_units")) geo.wavelength_units = units;
  }
  if (static_cast<int>(per_band.size()) == bands) {
    geo.wavelengths = per_band;
    return;
  }
  // ENVI headers keep the list in their own metadata domain.
  if (const char* list = ds.GetMetadataItem("wavelength", "ENVI")) {
    std::vector<double> values = parse_number_list(list);
    if (static_cast<int>(values.size()) == bands) geo.wavelengths = values;
    if (const char* units = ds.GetMetadataItem("wavelength_units", "ENVI")) geo.wavelength_units = units;
  }
}

}  // namespace

Cube read_gdal(const SourceSpec& spec, Want want) {
  const std::string& path = spec.path;
  GdalDatasetPtr ds = open_gdal_dataset(path);
  const int bands = ds->GetRasterCount();
  const int64_t rows = ds->GetRasterYSize(), cols = ds->GetRasterXSize();
  if (bands <= 0) data_error(path, "raster has no bands");
  if (want.rank == 2 && bands != 1) {
    data_error(path, "a label map must have a single band, this raster has " + std::to_string(bands));
  }
  check_allocation(path, rows, cols, bands);
  // The first and the last pixel, every band, before the cube is allocated: a corrupt or
  // truncated file fails here at once, where the whole read would first fill what its header
  // claims (fuzzing found a 208-byte TIFF claiming 13 GB: 59 s and 13 GB of memory to fail).
  std::vector<float> probe(static_cast<size_t>(bands));
  for (const auto& [row, col] : {std::pair<int64_t, int64_t>{0, 0}, {rows - 1, cols - 1}}) {
    if (ds->RasterIO(GF_Read, static_cast<int>(col), static_cast<int>(row), 1, 1, probe.data(), 1, 1, GDT_Float32, bands, nullptr, 0, 0,
                     sizeof(float), nullptr) != CE_None) {
      data_error(path, "reading the pixels failed: " + last_gdal_error("truncated or corrupt file"));
    }
  }

  Cube cube;
  cube.source = path;
  cube.rows = rows;
  cube.cols = cols;
  cube.bands = bands;
  cube.source_type = to_lower(GDALGetDataTypeName(ds->GetRasterBand(1)->GetRasterDataType()));
  cube.geo = read_georeferencing(*ds);
  read_wavelengths(*ds, cube.geo);
  cube.data.resize(static_cast<size_t>(rows * cols * bands));
  // One RasterIO call fills the BIP buffer directly: pixel stride = all bands, band stride = 1.
  const GSpacing pixel_space = static_cast<GSpacing>(sizeof(float)) * bands;
  const CPLErr err = ds->RasterIO(GF_Read, 0, 0, static_cast<int>(cols), static_cast<int>(rows), cube.data.data(),
                                  static_cast<int>(cols), static_cast<int>(rows), GDT_Float32, bands, nullptr,
                                  pixel_space, pixel_space * cols, sizeof(float), nullptr);
  if (err != CE_None) data_error(path, "reading the pixels failed: " + last_gdal_error("truncated or corrupt file"));
  // Signed bytes arrive as 0..255: values above 127 are the negative ones.
  for (int b = 0; b < bands; ++b) {
    if (!is_signed_byte(*ds->GetRasterBand(b + 1))) continue;
    if (b == 0) cube.source_type = "int8";
    for (int64_t p = 0; p < rows * cols; ++p) {
      float& v = cube.data[p * bands + b];
      if (v > 127.0f) v -= 256.0f;
    }
  }
  return cube;
}

}  // namespace hsi::detail
