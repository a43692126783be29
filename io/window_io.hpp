#pragma once
// Window-by-window raster access for scenes larger than memory: a reader that returns any
// window of all bands in hsi's BIP layout, and a writer that fills a tiled classification map
// and confidence map block by block and moves both into place only when complete.
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "io/class_table.hpp"
#include "io/raster.hpp"
#include "io/writer.hpp"

namespace hsi {

// The value types a window can arrive in, as stored in the file.
// Int8 is GDAL 3.6's signed byte: a Byte band with PIXELTYPE=SIGNEDBYTE.
enum class SampleType { UInt8, Int8, Int16, UInt16, Int32, UInt32, Float32, Float64 };

// A window of all bands in the file's own value type, BIP (h * w * bands values). It lives in
// the reader and stays valid until the next read; callers may modify it in place.
struct RawWindow {
  SampleType type = SampleType::Float32;
  void* data = nullptr;
  int64_t values = 0;
};

// Calls f with the window's values as a pointer to their own type; returns what f returns.
template <typename F>
decltype(auto) visit_samples(const RawWindow& raw, F&& f) {
  switch (raw.type) {
    case SampleType::UInt8: return f(static_cast<uint8_t*>(raw.data));
    case SampleType::Int8: return f(static_cast<int8_t*>(raw.data));
    case SampleType::Int16: return f(static_cast<int16_t*>(raw.data));
    case SampleType::UInt16: return f(static_cast<uint16_t*>(raw.data));
    case SampleType::Int32: return f(static_cast<int32_t*>(raw.data));
    case SampleType::UInt32: return f(static_cast<uint32_t*>(raw.data));
    case SampleType::Float64: return f(static_cast<double*>(raw.data));
    case SampleType::Float32: break;
  }
  return f(static_cast<float*>(raw.data));
}

// Where prediction reads its windows: a raster file through GDAL, or a cube held in memory.
// One tile loop serves both, so every input takes the same path to a map.
class WindowSource {
 public:
  virtual ~WindowSource() = default;
  virtual int64_t rows() const = 0;
  virtual int64_t cols() const = 0;
  virtual int64_t bands() const = 0;
  virtual const GeoInfo& geo() const = 0;
  virtual const std::string& path() const = 0;
  // The natural block width (tiles or strips) windows are best aligned to; 1 = any.
  virtual int block_width() const { return 1; }
  // Prepares for windows of h x w with at most `limit_bytes` of cache (GDAL's block cache).
  virtual int64_t reserve_cache_for_window(int64_t /*h*/, int64_t /*w*/, int64_t /*limit_bytes*/) const { return 0; }
  // Rows [y0, y0+h) x columns [x0, x0+w) of every band, BIP, in the source's own value type.
  // Valid until the next read; the caller may modify it in place.
  virtual RawWindow read_raw(int64_t y0, int64_t x0, int64_t h, int64_t w) const = 0;
  // Pixels already known to hold no data (a training scene masked when it was loaded, its
  // values zeroed), or null: then each window is masked as it is read.
  virtual const std::vector<uint8_t>* known_nodata() const { return nullptr; }
};

// Windows of a cube in memory (a .mat/HDF5 input, or a training scene).
class CubeWindowSource : public WindowSource {
 public:
  // `cube` and `nodata` must outlive the source; `nodata` may be null or empty.
  explicit CubeWindowSource(const Cube& cube, const std::vector<uint8_t>* nodata = nullptr);
  int64_t rows() const override { return cube_.rows; }
  int64_t cols() const override { return cube_.cols; }
  int64_t bands() const override { return cube_.bands; }
  const GeoInfo& geo() const override { return cube_.geo; }
  const std::string& path() const override { return cube_.source; }
  RawWindow read_raw(int64_t y0, int64_t x0, int64_t h, int64_t w) const override;
  const std::vector<uint8_t>* known_nodata() const override { return nodata_; }

 private:
  const Cube& cube_;
  const std::vector<uint8_t>* nodata_;
  mutable std::vector<float> window_;
};

class RasterWindowReader : public WindowSource {
 public:
  explicit RasterWindowReader(const std::string& path);
  ~RasterWindowReader() override;
  RasterWindowReader(const RasterWindowReader&) = delete;
  RasterWindowReader& operator=(const RasterWindowReader&) = delete;

  int64_t rows() const override { return rows_; }
  int64_t cols() const override { return cols_; }
  int64_t bands() const override { return bands_; }
  const GeoInfo& geo() const override { return geo_; }
  const std::string& path() const override { return path_; }
  // The file's natural block size (tiles or strips), for window alignment.
  int block_width() const override { return block_w_; }
  int block_height() const { return block_h_; }
  // Grows GDAL's block cache (never beyond `limit_bytes`) so that every block a window of
  // h x w touches stays decoded while all bands are read; otherwise each band re-reads the
  // window's blocks from disk. Returns the cache size in bytes.
  int64_t reserve_cache_for_window(int64_t h, int64_t w, int64_t limit_bytes) const override;
  // Reads rows [y0, y0+h) x columns [x0, x0+w) of every band into bip (h * w * bands floats).
  void read(int64_t y0, int64_t x0, int64_t h, int64_t w, float* bip) const;
  // The same window without conversion (types GDAL has beyond SampleType arrive as Float32),
  // for callers that convert while they transform: one pass over the data instead of two.
  RawWindow read_raw(int64_t y0, int64_t x0, int64_t h, int64_t w) const override;

 private:
  struct Impl;
  // RasterIO of the window into target, as values of GDAL type `type`.
  void read_into(int64_t y0, int64_t x0, int64_t h, int64_t w, void* target, int type) const;

  std::unique_ptr<Impl> impl_;
  std::string path_;
  int64_t rows_ = 0, cols_ = 0, bands_ = 0;
  int block_w_ = 256, block_h_ = 256;
  GeoInfo geo_;
};

class TiledMapWriter {
 public:
  // Creates both outputs under temporary names (tiled, DEFLATE, the input's geo-referencing;
  // the class map with colour table, category names and nodata 0).
  // Other formats than GTiff are written as a scratch GeoTIFF tile by tile and converted by
  // GDAL at commit (COG and ENVI drivers write whole files only).
  TiledMapWriter(const std::string& map_path, const std::string& confidence_path, int64_t rows, int64_t cols,
                 const ClassTable& classes, const GeoInfo& geo, MapFormat format = MapFormat::GTiff);
  ~TiledMapWriter();  // without commit(), both temporary files are removed
  TiledMapWriter(const TiledMapWriter&) = delete;
  TiledMapWriter& operator=(const TiledMapWriter&) = delete;

  void write(int64_t y0, int64_t x0, int64_t h, int64_t w, const std::vector<int32_t>& ids, const std::vector<float>& confidence);
  void commit();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// A Float32 raster of several named bands (one per class: each pixel's class probabilities),
// filled tile by tile like the maps and moved into place only by commit(); tiled + DEFLATE,
// the input's geo-referencing, `nodata` where no pixel was classified. Other formats than GTiff
// as TiledMapWriter (COG overviews by averaging).
class TiledBandsWriter {
 public:
  TiledBandsWriter(const std::string& path, int64_t rows, int64_t cols, const std::vector<std::string>& band_names, float nodata,
                   const GeoInfo& geo, MapFormat format = MapFormat::GTiff);
  ~TiledBandsWriter();  // without commit(), the temporary file is removed
  TiledBandsWriter(const TiledBandsWriter&) = delete;
  TiledBandsWriter& operator=(const TiledBandsWriter&) = delete;

  // values: h x w pixels, each its bands' values in turn (pixel-interleaved, row-major).
  void write(int64_t y0, int64_t x0, int64_t h, int64_t w, const float* values);
  void commit();
  int64_t bands() const { return bands_; }

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  int64_t bands_;
};

// A palette PNG quick-look made from a Byte class map GeoTIFF (GDAL streams it); no-op (false)
// for UInt16 maps, which a palette PNG cannot hold.
bool write_png_from_map(const std::string& map_path, const std::string& png_path);

// GDAL VRT mosaic of several maps (they must share the band layout).
void write_vrt_mosaic(const std::string& vrt_path, const std::vector<std::string>& maps);

}  // namespace hsi
