#include "io/window_io.hpp"

#include <gdal_utils.h>

#include <cpl_conv.h>

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <tuple>
#include <utility>

#include "common/atomic_file.hpp"
#include "common/error.hpp"
#include "io/gdal_util.hpp"

namespace hsi {

struct RasterWindowReader::Impl {
  detail::GdalDatasetPtr ds;
  // The type windows are read in: the bands' own type when they share one of SampleType's,
  // float otherwise (GDAL converts).
  SampleType sample = SampleType::Float32;
  GDALDataType gdal_type = GDT_Float32;
  std::vector<unsigned char> scratch;  // a window in that type, reused between reads
};

namespace {

constexpr std::pair<SampleType, GDALDataType> kSampleTypes[] = {
    {SampleType::UInt8, GDT_Byte},   {SampleType::Int16, GDT_Int16},     {SampleType::UInt16, GDT_UInt16},
    {SampleType::Int32, GDT_Int32},  {SampleType::UInt32, GDT_UInt32},   {SampleType::Float32, GDT_Float32},
    {SampleType::Float64, GDT_Float64}};

// The bands' common type, if every band has the same one and SampleType can carry it.
std::optional<std::pair<SampleType, GDALDataType>> common_sample_type(GDALDataset& ds) {
  const GDALDataType first = ds.GetRasterBand(1)->GetRasterDataType();
  for (int b = 2; b <= ds.GetRasterCount(); ++b) {
    if (ds.GetRasterBand(b)->GetRasterDataType() != first) return std::nullopt;
  }
  if (first == GDT_Byte) {
    // All bands signed, or none: a mix is read as float (and would be wrong), so refuse it.
    const bool signed_first = detail::is_signed_byte(*ds.GetRasterBand(1));
    for (int b = 2; b <= ds.GetRasterCount(); ++b)
      if (detail::is_signed_byte(*ds.GetRasterBand(b)) != signed_first) return std::nullopt;
    if (signed_first) return std::make_pair(SampleType::Int8, GDT_Byte);
  }
  for (const auto& pair : kSampleTypes) {
    if (pair.second == first) return pair;
  }
  return std::nullopt;
}

}  // namespace

RasterWindowReader::RasterWindowReader(const std::string& path) : impl_(std::make_unique<Impl>()), path_(path) {
  {
    // Windows of uncompressed TIFFs are read straight from the file rather than through GDAL's
    // per-band block cache, which de-interleaves every pixel-interleaved block only for read()
    // to interleave it again (4x slower, measured). The driver reads the option when opening
    // and ignores it for other files; a user's own setting wins.
    CPLConfigOptionSetter direct_io("GTIFF_DIRECT_IO", "YES", true);
    impl_->ds = detail::open_gdal_dataset(path);
  }
  GDALDataset& ds = *impl_->ds;
  rows_ = ds.GetRasterYSize();
  cols_ = ds.GetRasterXSize();
  bands_ = ds.GetRasterCount();
  if (bands_ <= 0) data_error(path, "raster has no bands");
  geo_ = detail::read_georeferencing(ds);
  ds.GetRasterBand(1)->GetBlockSize(&block_w_, &block_h_);
  if (const auto common = common_sample_type(ds)) std::tie(impl_->sample, impl_->gdal_type) = *common;
}

RasterWindowReader::~RasterWindowReader() = default;

int64_t RasterWindowReader::reserve_cache_for_window(int64_t h, int64_t w, int64_t limit_bytes) const {
  GDALRasterBand* band = impl_->ds->GetRasterBand(1);
  const int64_t bytes_per_value = GDALGetDataTypeSizeBytes(band->GetRasterDataType());
  // A window can straddle one more block than it spans, in each direction.
  const int64_t blocks = ((w + block_w_ - 1) / block_w_ + 1) * ((h + block_h_ - 1) / block_h_ + 1);
  const int64_t needed = blocks * block_w_ * block_h_ * bands_ * bytes_per_value + (16LL << 20);
  const int64_t size = std::max<int64_t>(GDALGetCacheMax64(), std::min(needed, limit_bytes));
  GDALSetCacheMax64(size);
  return size;
}

void RasterWindowReader::read_into(int64_t y0, int64_t x0, int64_t h, int64_t w, void* target, int type) const {
  const GDALDataType gdal_type = static_cast<GDALDataType>(type);
  const int64_t value_bytes = GDALGetDataTypeSizeBytes(gdal_type);
  const GSpacing pixel_space = static_cast<GSpacing>(value_bytes * bands_);
  CPLErrorReset();
  if (impl_->ds->RasterIO(GF_Read, static_cast<int>(x0), static_cast<int>(y0), static_cast<int>(w), static_cast<int>(h), target,
                          static_cast<int>(w), static_cast<int>(h), gdal_type, static_cast<int>(bands_), nullptr, pixel_space,
                          pixel_space * w, value_bytes, nullptr) != CE_None) {
    data_error(path_, "reading the window at row " + std::to_string(y0) + ", column " + std::to_string(x0) +
                          " failed: " + detail::last_gdal_error("truncated or corrupt file"));
  }
}

void RasterWindowReader::read(int64_t y0, int64_t x0, int64_t h, int64_t w, float* bip) const {
  if (impl_->sample == SampleType::Float32) return read_into(y0, x0, h, w, bip, GDT_Float32);
  // Reading in the file's own type and widening in parallel halves the time GDAL takes to
  // convert while it copies.
  const RawWindow raw = read_raw(y0, x0, h, w);
  visit_samples(raw, [&](const auto* values) {
#pragma omp parallel for schedule(static)
    for (int64_t i = 0; i < raw.values; ++i) bip[i] = static_cast<float>(values[i]);
  });
}

RawWindow RasterWindowReader::read_raw(int64_t y0, int64_t x0, int64_t h, int64_t w) const {
  RawWindow raw;
  raw.type = impl_->sample;
  raw.values = h * w * bands_;
  impl_->scratch.resize(static_cast<size_t>(raw.values * GDALGetDataTypeSizeBytes(impl_->gdal_type)));
  read_into(y0, x0, h, w, impl_->scratch.data(), impl_->gdal_type);
  raw.data = impl_->scratch.data();
  return raw;
}

CubeWindowSource::CubeWindowSource(const Cube& cube, const std::vector<uint8_t>* nodata)
    : cube_(cube), nodata_(nodata && !nodata->empty() ? nodata : nullptr) {}

RawWindow CubeWindowSource::read_raw(int64_t y0, int64_t x0, int64_t h, int64_t w) const {
  const int64_t row_values = w * cube_.bands;
  window_.resize(static_cast<size_t>(h * row_values));
#pragma omp parallel for schedule(static)
  for (int64_t y = 0; y < h; ++y) {
    const float* src = cube_.spectrum(y0 + y, x0);
    std::copy(src, src + row_values, window_.data() + y * row_values);
  }
  return RawWindow{SampleType::Float32, window_.data(), h * row_values};
}

namespace {

// A finished scratch GeoTIFF copied into `out`'s temporary file in `format`, then committed
// (an ENVI header first, so that the data file's presence means both are complete).
void convert_and_commit(const std::string& scratch, AtomicOutput& out, MapFormat format, bool classes) {
  detail::GdalDatasetPtr src = detail::open_gdal_dataset(scratch);
  src->GetMetadata();  // GDAL 3.6 loads GeoTIFF category names (the .aux.xml) only after this
  const bool cog = format == MapFormat::COG;
  GDALDriver* driver = GetGDALDriverManager()->GetDriverByName(cog ? "COG" : "ENVI");
  if (!driver) output_error(out.final_path(), std::string("GDAL has no ") + (cog ? "COG" : "ENVI") + " driver");
  CPLStringList options;
  if (cog) {
    options.SetNameValue("COMPRESS", "DEFLATE");
    options.SetNameValue("BIGTIFF", "IF_SAFER");
    // Overviews of a class map must hold classes, not averages of ids.
    options.SetNameValue("OVERVIEW_RESAMPLING", classes ? "NEAREST" : "AVERAGE");
  }
  CPLErrorReset();
  detail::GdalDatasetPtr copy(driver->CreateCopy(out.temp_path().c_str(), src.get(), FALSE, options.List(), nullptr, nullptr));
  if (!copy) output_error(out.final_path(), "cannot write: " + detail::last_gdal_error("GDAL refused"));
  // ENVI's header describes the file by the dataset's description, else the temporary name.
  if (format == MapFormat::ENVI) copy->SetDescription(std::filesystem::path(out.final_path()).filename().c_str());
  copy.reset();
  if (CPLGetLastErrorType() >= CE_Failure) output_error(out.final_path(), "writing failed: " + detail::last_gdal_error("GDAL error"));
  if (format == MapFormat::ENVI) {
    AtomicOutput header(envi_header_path(out.final_path()));
    std::error_code ec;
    std::filesystem::rename(envi_header_path(out.temp_path()), header.temp_path(), ec);
    if (ec) output_error(out.final_path(), "GDAL wrote no ENVI header (" + ec.message() + ")");
    header.commit();
  }
  out.commit();
}

}  // namespace

namespace detail {

// One raster filled tile by tile and moved into place only when complete: a tiled GeoTIFF
// under a temporary name, with the input's geo-referencing. COG and ENVI drivers write whole
// files only, so for them the tiles go to a scratch GeoTIFF (never committed itself, so it is
// removed however the run ends) that commit() converts.
class TiledOutput {
 public:
  // `classes`: the values are class ids (COG overviews by nearest, not by averaging).
  TiledOutput(const std::string& path, MapFormat format, int64_t rows, int64_t cols, int bands, GDALDataType type, const GeoInfo& geo,
              bool classes)
      : format_(format), classes_(classes), out_(path) {
    if (format_ != MapFormat::GTiff) scratch_ = std::make_unique<AtomicOutput>(path + ".scratch.tif");
    ds_ = create_tiled_geotiff(scratch_ ? scratch_->temp_path() : out_.temp_path(), path, rows, cols, bands, type);
    write_georeferencing(*ds_, geo);
  }
  GDALDataset& dataset() { return *ds_; }
  const std::string& path() const { return out_.final_path(); }
  // Flushes and closes the tiled file; any GDAL error on the way is an output error.
  void close() {
    CPLErrorReset();
    ds_.reset();
    if (CPLGetLastErrorType() >= CE_Failure) output_error(path(), "writing failed: " + last_gdal_error("GDAL error"));
  }
  // After close(): moves the finished file into place, converted to the format if need be.
  void commit() {
    if (scratch_) return convert_and_commit(scratch_->temp_path(), out_, format_, classes_);
    out_.commit();
  }

 private:
  MapFormat format_;
  bool classes_;
  AtomicOutput out_;
  std::unique_ptr<AtomicOutput> scratch_;
  GdalDatasetPtr ds_;
};

}  // namespace detail

struct TiledMapWriter::Impl {
  detail::TiledOutput map, conf;
  Impl(const std::string& map_path, const std::string& conf_path, MapFormat format, int64_t rows, int64_t cols, GDALDataType map_type,
       const GeoInfo& geo)
      : map(map_path, format, rows, cols, 1, map_type, geo, true), conf(conf_path, format, rows, cols, 1, GDT_Float32, geo, false) {}
};

TiledMapWriter::TiledMapWriter(const std::string& map_path, const std::string& confidence_path, int64_t rows, int64_t cols,
                               const ClassTable& classes, const GeoInfo& geo, MapFormat format) {
  const bool byte = classes.max_id() <= 255;
  impl_ = std::make_unique<Impl>(map_path, confidence_path, format, rows, cols, byte ? GDT_Byte : GDT_UInt16, geo);
  detail::style_class_band(*impl_->map.dataset().GetRasterBand(1), classes, classes.max_id(), byte);
  impl_->conf.dataset().GetRasterBand(1)->SetNoDataValue(0);
}

TiledMapWriter::~TiledMapWriter() = default;

void TiledMapWriter::write(int64_t y0, int64_t x0, int64_t h, int64_t w, const std::vector<int32_t>& ids, const std::vector<float>& confidence) {
  CPLErrorReset();
  const auto write_band = [&](detail::TiledOutput& out, void* values, GDALDataType type) {
    return out.dataset().GetRasterBand(1)->RasterIO(GF_Write, static_cast<int>(x0), static_cast<int>(y0), static_cast<int>(w),
                                                    static_cast<int>(h), values, static_cast<int>(w), static_cast<int>(h), type, 0, 0,
                                                    nullptr) == CE_None;
  };
  if (!write_band(impl_->map, const_cast<int32_t*>(ids.data()), GDT_Int32) ||
      !write_band(impl_->conf, const_cast<float*>(confidence.data()), GDT_Float32)) {
    output_error(impl_->map.path(), "writing a tile failed: " + detail::last_gdal_error("GDAL error"));
  }
}

void TiledMapWriter::commit() {
  impl_->map.close();
  impl_->conf.close();
  impl_->conf.commit();
  impl_->map.commit();  // the map last: its presence means the job is complete
}

struct TiledBandsWriter::Impl {
  detail::TiledOutput out;
  Impl(const std::string& path, MapFormat format, int64_t rows, int64_t cols, int bands, const GeoInfo& geo)
      : out(path, format, rows, cols, bands, GDT_Float32, geo, false) {}
};

TiledBandsWriter::TiledBandsWriter(const std::string& path, int64_t rows, int64_t cols, const std::vector<std::string>& band_names, float nodata,
                                   const GeoInfo& geo, MapFormat format)
    : bands_(static_cast<int64_t>(band_names.size())) {
  if (band_names.empty()) output_error(path, "a raster of no bands");
  impl_ = std::make_unique<Impl>(path, format, rows, cols, static_cast<int>(bands_), geo);
  for (int b = 0; b < static_cast<int>(bands_); ++b) {
    GDALRasterBand* band = impl_->out.dataset().GetRasterBand(b + 1);
    band->SetDescription(band_names[static_cast<size_t>(b)].c_str());
    band->SetNoDataValue(nodata);
  }
}

TiledBandsWriter::~TiledBandsWriter() = default;

void TiledBandsWriter::write(int64_t y0, int64_t x0, int64_t h, int64_t w, const float* values) {
  CPLErrorReset();
  const GSpacing pixel = static_cast<GSpacing>(sizeof(float)) * bands_;
  if (impl_->out.dataset().RasterIO(GF_Write, static_cast<int>(x0), static_cast<int>(y0), static_cast<int>(w), static_cast<int>(h),
                                    const_cast<float*>(values), static_cast<int>(w), static_cast<int>(h), GDT_Float32,
                                    static_cast<int>(bands_), nullptr, pixel, pixel * w, static_cast<GSpacing>(sizeof(float)),
                                    nullptr) != CE_None) {
    output_error(impl_->out.path(), "writing a tile failed: " + detail::last_gdal_error("GDAL error"));
  }
}

void TiledBandsWriter::commit() {
  impl_->out.close();
  impl_->out.commit();
}

bool write_png_from_map(const std::string& map_path, const std::string& png_path) {
  detail::GdalDatasetPtr map = detail::open_gdal_dataset(map_path);
  if (map->GetRasterBand(1)->GetRasterDataType() != GDT_Byte) return false;
  GDALDriver* png = GetGDALDriverManager()->GetDriverByName("PNG");
  AtomicOutput out(png_path);
  CPLErrorReset();
  detail::GdalDatasetPtr ds(png->CreateCopy(out.temp_path().c_str(), map.get(), FALSE, nullptr, nullptr, nullptr));
  if (!ds) output_error(png_path, "cannot write PNG: " + detail::last_gdal_error("GDAL refused"));
  ds.reset();
  out.commit();
  return true;
}

void write_vrt_mosaic(const std::string& vrt_path, const std::vector<std::string>& maps) {
  detail::init_gdal();
  std::vector<const char*> names;
  for (const auto& m : maps) names.push_back(m.c_str());
  AtomicOutput out(vrt_path);
  int usage_error_flag = 0;
  GDALDatasetH vrt = GDALBuildVRT(out.temp_path().c_str(), static_cast<int>(names.size()), nullptr, names.data(), nullptr, &usage_error_flag);
  if (!vrt) output_error(vrt_path, "cannot build the mosaic: " + detail::last_gdal_error("GDAL refused"));
  GDALClose(vrt);
  out.commit();
}

}  // namespace hsi
