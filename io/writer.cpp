#include "io/writer.hpp"

#include <algorithm>
#include <filesystem>

#include "common/atomic_file.hpp"
#include "common/error.hpp"
#include "io/gdal_util.hpp"

namespace hsi {
namespace {

using detail::GdalDatasetPtr;

GdalDatasetPtr create_geotiff(const AtomicOutput& out, int64_t rows, int64_t cols, int bands, GDALDataType type) {
  return detail::create_tiled_geotiff(out.temp_path(), out.final_path(), rows, cols, bands, type);
}

void check_size(const std::string& path, int64_t rows, int64_t cols, size_t n) {
  if (rows <= 0 || cols <= 0 || static_cast<size_t>(rows * cols) != n) {
    output_error(path, "internal: raster of " + std::to_string(rows) + "x" + std::to_string(cols) + " given " +
                           std::to_string(n) + " values");
  }
}

void close_and_commit(GdalDatasetPtr& ds, AtomicOutput& out) {
  CPLErrorReset();
  // GDALClose flushes; an I/O error there (disk full) must not be renamed into place.
  ds.reset();
  if (CPLGetLastErrorType() >= CE_Failure) output_error(out.final_path(), "writing failed: " + detail::last_gdal_error("GDAL error"));
  out.commit();
}

}  // namespace

const std::vector<std::string>& map_format_names() {
  static const std::vector<std::string> names = {"GTiff", "COG", "ENVI"};
  return names;
}

MapFormat parse_map_format(const std::string& name) {
  std::string upper = name;
  std::transform(upper.begin(), upper.end(), upper.begin(), [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
  if (upper == "GTIFF" || upper == "GEOTIFF") return MapFormat::GTiff;
  if (upper == "COG") return MapFormat::COG;
  if (upper == "ENVI") return MapFormat::ENVI;
  usage_error("map format '" + name + "' is not one of GTiff, COG, ENVI");
}

std::string map_extension(const std::string& format) { return parse_map_format(format) == MapFormat::ENVI ? ".img" : ".tif"; }

std::string envi_header_path(const std::string& data_path) { return std::filesystem::path(data_path).replace_extension(".hdr").string(); }

void write_class_map(const std::string& path, int64_t rows, int64_t cols, const std::vector<int32_t>& ids,
                     const ClassTable& classes, const GeoInfo& geo) {
  check_size(path, rows, cols, ids.size());
  int32_t max_id = classes.max_id();
  for (int32_t v : ids) max_id = std::max(max_id, v);
  if (max_id > 65535) output_error(path, "class id " + std::to_string(max_id) + " does not fit a UInt16 map");
  const bool byte = max_id <= 255;
  AtomicOutput out(path);
  GdalDatasetPtr ds = create_geotiff(out, rows, cols, 1, byte ? GDT_Byte : GDT_UInt16);
  detail::write_georeferencing(*ds, geo);
  GDALRasterBand* band = ds->GetRasterBand(1);
  detail::style_class_band(*band, classes, max_id, byte);
  if (band->RasterIO(GF_Write, 0, 0, static_cast<int>(cols), static_cast<int>(rows), const_cast<int32_t*>(ids.data()),
                     static_cast<int>(cols), static_cast<int>(rows), GDT_Int32, 0, 0, nullptr) != CE_None) {
    output_error(path, "writing pixels failed: " + detail::last_gdal_error("GDAL error"));
  }
  close_and_commit(ds, out);
}

void write_float_map(const std::string& path, int64_t rows, int64_t cols, const std::vector<float>& values,
                     const GeoInfo& geo, double nodata) {
  check_size(path, rows, cols, values.size());
  AtomicOutput out(path);
  GdalDatasetPtr ds = create_geotiff(out, rows, cols, 1, GDT_Float32);
  detail::write_georeferencing(*ds, geo);
  GDALRasterBand* band = ds->GetRasterBand(1);
  band->SetNoDataValue(nodata);
  if (band->RasterIO(GF_Write, 0, 0, static_cast<int>(cols), static_cast<int>(rows), const_cast<float*>(values.data()),
                     static_cast<int>(cols), static_cast<int>(rows), GDT_Float32, 0, 0, nullptr) != CE_None) {
    output_error(path, "writing pixels failed: " + detail::last_gdal_error("GDAL error"));
  }
  close_and_commit(ds, out);
}

void write_cube_geotiff(const std::string& path, const Cube& cube) {
  AtomicOutput out(path);
  GdalDatasetPtr ds = create_geotiff(out, cube.rows, cube.cols, static_cast<int>(cube.bands), GDT_Float32);
  detail::write_georeferencing(*ds, cube.geo);
  if (cube.geo.nodata)
    for (int b = 1; b <= static_cast<int>(cube.bands); ++b) ds->GetRasterBand(b)->SetNoDataValue(*cube.geo.nodata);
  const GSpacing pixel_space = static_cast<GSpacing>(sizeof(float)) * cube.bands;
  if (ds->RasterIO(GF_Write, 0, 0, static_cast<int>(cube.cols), static_cast<int>(cube.rows),
                   const_cast<float*>(cube.data.data()), static_cast<int>(cube.cols), static_cast<int>(cube.rows),
                   GDT_Float32, static_cast<int>(cube.bands), nullptr, pixel_space, pixel_space * cube.cols,
                   sizeof(float), nullptr) != CE_None) {
    output_error(path, "writing pixels failed: " + detail::last_gdal_error("GDAL error"));
  }
  close_and_commit(ds, out);
}

void write_png_quicklook(const std::string& path, int64_t rows, int64_t cols, const std::vector<int32_t>& ids,
                         const ClassTable& classes) {
  check_size(path, rows, cols, ids.size());
  detail::init_gdal();
  // PNG palettes hold 256 entries: index = position in the class table + 1, 0 = unclassified.
  if (classes.size() > 255) output_error(path, "more than 255 classes do not fit a palette PNG");
  std::vector<uint8_t> index(ids.size());
  for (size_t i = 0; i < ids.size(); ++i) index[i] = ids[i] == 0 ? 0 : static_cast<uint8_t>(classes.index_of(ids[i]) + 1);
  GDALDriver* mem = GetGDALDriverManager()->GetDriverByName("MEM");
  GDALDriver* png = GetGDALDriverManager()->GetDriverByName("PNG");
  if (!mem || !png) output_error(path, "GDAL lacks the MEM or PNG driver");
  GdalDatasetPtr tmp(mem->Create("", static_cast<int>(cols), static_cast<int>(rows), 1, GDT_Byte, nullptr));
  GDALRasterBand* band = tmp->GetRasterBand(1);
  GDALColorTable table;
  GDALColorEntry black{0, 0, 0, 255};
  table.SetColorEntry(0, &black);
  for (size_t i = 0; i < classes.size(); ++i) {
    const auto& rgb = classes.at(i).rgb;
    GDALColorEntry e{rgb[0], rgb[1], rgb[2], 255};
    table.SetColorEntry(static_cast<int>(i + 1), &e);
  }
  band->SetColorTable(&table);
  if (band->RasterIO(GF_Write, 0, 0, static_cast<int>(cols), static_cast<int>(rows), index.data(), static_cast<int>(cols),
                     static_cast<int>(rows), GDT_Byte, 0, 0, nullptr) != CE_None) {
    output_error(path, "preparing the PNG failed");
  }
  AtomicOutput out(path);
  CPLErrorReset();
  GdalDatasetPtr ds(png->CreateCopy(out.temp_path().c_str(), tmp.get(), FALSE, nullptr, nullptr, nullptr));
  if (!ds) output_error(path, "cannot write PNG: " + detail::last_gdal_error("GDAL refused"));
  close_and_commit(ds, out);
}

}  // namespace hsi
