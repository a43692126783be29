#pragma once
// Small synthetic scenes the tests make themselves, and helpers around temporary folders.
#include <cstdint>
#include <string>

#include "io/raster.hpp"

namespace hsi::test {

// A cube of rows x cols x bands with smooth, class-dependent spectra plus noise, and a label
// map with `classes` rectangular fields (ids 1..classes, some pixels left unlabelled).
struct SyntheticScene {
  Cube cube;
  LabelMap labels;
};
SyntheticScene make_scene(int64_t rows, int64_t cols, int64_t bands, int classes, uint64_t seed);

// A fresh empty folder under /tmp, removed by the destructor.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  const std::string& path() const { return path_; }
  std::string file(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

// Copies the first `bytes` of src to dst.
void truncate_copy(const std::string& src, const std::string& dst, int64_t bytes);
int64_t file_size(const std::string& path);
// Overwrites, in place, the first occurrence of `find` in the file's bytes with `replace` (same
// length); false when `find` does not occur. For corrupting a header field the test wrote.
bool patch_bytes(const std::string& path, const std::string& find, const std::string& replace);
// The whole file as text ("" when it cannot be read).
std::string slurp(const std::string& path);
// The WKT of an EPSG coordinate system (e.g. 32633, UTM zone 33N), as GDAL writes it.
std::string wkt_of_epsg(int code);

}  // namespace hsi::test
