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

namespace hsi {

// The value types a window can arrive in, as stored in the file.
enum class SampleType { UInt8, Int16, UInt16, Int32, UInt32, Float32, Float64 };

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
    case SampleType::Int16: return f(static_cast<int16_t*>(raw.data));
    case SampleType::UInt16: return f(static_cast<uint16_t*>(raw.data));
    case SampleType::Int32: return f(static_cast<int32_t*>(raw.data));
    case SampleType::UInt32: return f(static_cast<uint32_t*>(raw.data));
    case SampleType::Float64: return f(static_cast<double*>(raw.data));
    case SampleType::Float32: break;
  }
  return f(static_cast<float*>(raw.data));
}

class RasterWindowReader {
 public:
  explicit RasterWindowReader(const std::string& path);
  ~RasterWindowReader();
  RasterWindowReader(const RasterWindowReader&) = delete;
  RasterWindowReader& operator=(const RasterWindowReader&) = delete;

  int64_t rows() const { return rows_; }
  int64_t cols() const { return cols_; }
  int64_t bands() const { return bands_; }
  const GeoInfo& geo() const { return geo_; }
  const std::string& path() const { return path_; }
  // The file's natural block size (tiles or strips), for window alignment.
  int block_width() const { return block_w_; }
  int block_height() const { return block_h_; }
  // Grows GDAL's block cache (never beyond `limit_bytes`) so that every block a window of
  // h x w touches stays decoded while all bands are read; otherwise each band re-reads the
  // window's blocks from disk. Returns the cache size in bytes.
  int64_t reserve_cache_for_window(int64_t h, int64_t w, int64_t limit_bytes) const;
  // Reads rows [y0, y0+h) x columns [x0, x0+w) of every band into bip (h * w * bands floats).
  void read(int64_t y0, int64_t x0, int64_t h, int64_t w, float* bip) const;
  // The same window without conversion (types GDAL has beyond SampleType arrive as Float32),
  // for callers that convert while they transform: one pass over the data instead of two.
  RawWindow read_raw(int64_t y0, int64_t x0, int64_t h, int64_t w) const;

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
  TiledMapWriter(const std::string& map_path, const std::string& confidence_path, int64_t rows, int64_t cols,
                 const ClassTable& classes, const GeoInfo& geo);
  ~TiledMapWriter();  // without commit(), both temporary files are removed
  TiledMapWriter(const TiledMapWriter&) = delete;
  TiledMapWriter& operator=(const TiledMapWriter&) = delete;

  void write(int64_t y0, int64_t x0, int64_t h, int64_t w, const std::vector<int32_t>& ids, const std::vector<float>& confidence);
  void commit();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// A palette PNG quick-look made from a Byte class map GeoTIFF (GDAL streams it); no-op (false)
// for UInt16 maps, which a palette PNG cannot hold.
bool write_png_from_map(const std::string& map_path, const std::string& png_path);

// GDAL VRT mosaic of several maps (they must share the band layout).
void write_vrt_mosaic(const std::string& vrt_path, const std::vector<std::string>& maps);

}  // namespace hsi
