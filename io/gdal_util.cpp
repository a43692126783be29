#include "io/gdal_util.hpp"

#include <cpl_error.h>
#include <ogr_spatialref.h>

#include <cmath>
#include <filesystem>
#include <mutex>

#include "common/error.hpp"
#include "io/reader.hpp"

namespace hsi::detail {

void init_gdal() {
  static std::once_flag once;
  std::call_once(once, [] {
    GDALAllRegister();
    CPLSetErrorHandler(CPLQuietErrorHandler);
    // GDAL's block cache defaults to 5 % of RAM; our reads go straight into the destination
    // buffer, so a large cache only doubles peak memory. Keep it small unless the user set it.
    if (!CPLGetConfigOption("GDAL_CACHEMAX", nullptr)) GDALSetCacheMax64(64LL << 20);
  });
}

std::string last_gdal_error(const std::string& fallback) {
  const char* msg = CPLGetLastErrorMsg();
  return (msg && *msg) ? std::string(msg) : fallback;
}

GdalDatasetPtr open_gdal_dataset(const std::string& path) {
  init_gdal();
  // GDAL's virtual file systems (/vsimem/, /vsizip/, ...) are not on disk: GDAL itself says
  // whether they exist.
  const bool virtual_path = path.rfind("/vsi", 0) == 0;
  if (!virtual_path && !std::filesystem::exists(path)) data_error(path, "file not found");
  CPLErrorReset();
  GdalDatasetPtr ds(GDALDataset::FromHandle(GDALOpenEx(path.c_str(), GDAL_OF_RASTER | GDAL_OF_READONLY, nullptr, nullptr, nullptr)));
  if (!ds) data_error(path, "not a raster format GDAL can read (" + last_gdal_error("unknown format") + ")");
  if (ds->GetRasterXSize() <= 0 || ds->GetRasterYSize() <= 0) data_error(path, "raster has a zero-sized dimension");
  return ds;
}

bool is_signed_byte(GDALRasterBand& band) {
  if (band.GetRasterDataType() != GDT_Byte) return false;
  const char* pixel_type = band.GetMetadataItem("PIXELTYPE", "IMAGE_STRUCTURE");
  return pixel_type && std::string(pixel_type) == "SIGNEDBYTE";
}

GeoInfo read_georeferencing(GDALDataset& ds) {
  GeoInfo geo;
  double gt[6];
  if (ds.GetGeoTransform(gt) == CE_None) {
    geo.has_geotransform = true;
    std::copy(gt, gt + 6, geo.geotransform.begin());
  }
  if (const char* wkt = ds.GetProjectionRef()) geo.projection_wkt = wkt;
  if (ds.GetRasterCount() > 0) {
    int has_nodata = 0;
    const double nodata = ds.GetRasterBand(1)->GetNoDataValue(&has_nodata);
    if (has_nodata) geo.nodata = nodata;
  }
  return geo;
}

void write_georeferencing(GDALDataset& ds, const GeoInfo& geo) {
  if (geo.has_geotransform) {
    double gt[6];
    std::copy(geo.geotransform.begin(), geo.geotransform.end(), gt);
    ds.SetGeoTransform(gt);
  }
  if (!geo.projection_wkt.empty()) ds.SetProjection(geo.projection_wkt.c_str());
}

GdalDatasetPtr create_tiled_geotiff(const std::string& temp_path, const std::string& final_path, int64_t rows, int64_t cols,
                                    int bands, GDALDataType type) {
  init_gdal();
  GDALDriver* driver = GetGDALDriverManager()->GetDriverByName("GTiff");
  if (!driver) output_error(final_path, "GDAL has no GTiff driver");
  const char* const options[] = {"TILED=YES", "BLOCKXSIZE=256", "BLOCKYSIZE=256", "COMPRESS=DEFLATE", "BIGTIFF=IF_SAFER", nullptr};
  CPLErrorReset();
  GdalDatasetPtr ds(driver->Create(temp_path.c_str(), static_cast<int>(cols), static_cast<int>(rows), bands, type,
                                   const_cast<char**>(options)));
  if (!ds) output_error(final_path, "cannot create: " + last_gdal_error("GDAL refused"));
  return ds;
}

void style_class_band(GDALRasterBand& band, const ClassTable& classes, int32_t max_id, bool byte) {
  band.SetNoDataValue(0);
  const int entries = byte ? 256 : max_id + 1;
  GDALColorTable table;
  GDALColorEntry black{0, 0, 0, 255};
  for (int i = 0; i < entries; ++i) table.SetColorEntry(i, &black);
  std::vector<std::string> names(static_cast<size_t>(max_id + 1));
  names[0] = "unclassified";
  for (const auto& c : classes.classes()) {
    if (c.id >= entries) continue;
    GDALColorEntry e{c.rgb[0], c.rgb[1], c.rgb[2], 255};
    table.SetColorEntry(c.id, &e);
    names[static_cast<size_t>(c.id)] = c.name;
  }
  band.SetColorTable(&table);
  band.SetColorInterpretation(GCI_PaletteIndex);
  CPLStringList category_names;
  for (const auto& n : names) category_names.AddString(n.c_str());
  band.SetCategoryNames(category_names.List());
}

}  // namespace hsi::detail

namespace hsi {

std::optional<double> pixel_area_square_metres(const GeoInfo& geo) {
  if (!geo.has_geotransform || geo.projection_wkt.empty()) return std::nullopt;
  OGRSpatialReference srs;
  if (srs.importFromWkt(geo.projection_wkt.c_str()) != OGRERR_NONE || !srs.IsProjected()) return std::nullopt;
  const double metres = srs.GetLinearUnits();  // metres per coordinate unit
  const auto& g = geo.geotransform;
  const double area = std::abs(g[1] * g[5] - g[2] * g[4]) * metres * metres;
  if (!(area > 0) || !std::isfinite(area)) return std::nullopt;
  return area;
}

}  // namespace hsi
