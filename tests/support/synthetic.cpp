#include "support/synthetic.hpp"

#include <ogr_spatialref.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <random>
#include <vector>

#include "test_paths.hpp"

namespace fs = std::filesystem;

namespace hsi::test {

SyntheticScene make_scene(int64_t rows, int64_t cols, int64_t bands, int classes, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<float> noise(0.0f, 0.05f);
  SyntheticScene s;
  s.cube.source = "synthetic";
  s.cube.rows = s.labels.rows = rows;
  s.cube.cols = s.labels.cols = cols;
  s.cube.bands = bands;
  s.cube.source_type = "float32";
  s.cube.data.resize(static_cast<size_t>(rows * cols * bands));
  s.labels.source = "synthetic labels";
  s.labels.labels.assign(static_cast<size_t>(rows * cols), 0);
  // Geo-referenced like a real GeoTIFF would be (UTM-style metres).
  s.cube.geo.has_geotransform = true;
  s.cube.geo.geotransform = {600000.0, 3.7, 0.0, 4000000.0, 0.0, -3.7};
  s.labels.geo = s.cube.geo;
  for (int64_t r = 0; r < rows; ++r) {
    for (int64_t c = 0; c < cols; ++c) {
      // Vertical stripes of classes; the last column of each stripe stays unlabelled.
      const int64_t stripe = c * classes / cols;
      const int32_t id = static_cast<int32_t>(stripe + 1);
      const bool edge = (c + 1) * classes / cols != stripe;
      s.labels.labels[r * cols + c] = edge ? 0 : id;
      for (int64_t b = 0; b < bands; ++b) {
        const double x = static_cast<double>(b) / static_cast<double>(bands);
        s.cube.data[(r * cols + c) * bands + b] =
            static_cast<float>(1.0 + std::sin(3.0 * x * (id + 1)) * 0.5 + 0.1 * id * x) + noise(rng);
      }
    }
  }
  return s;
}

TempDir::TempDir() {
  std::random_device rd;
  path_ = (fs::temp_directory_path() / ("hsi_test_" + std::to_string(rd()) + std::to_string(rd()))).string();
  fs::create_directories(path_);
}

TempDir::~TempDir() {
  std::error_code ec;
  fs::permissions(path_, fs::perms::owner_all, fs::perm_options::add, ec);
  fs::remove_all(path_, ec);
}

void truncate_copy(const std::string& src, const std::string& dst, int64_t bytes) {
  std::ifstream in(src, std::ios::binary);
  std::vector<char> buffer(static_cast<size_t>(bytes));
  in.read(buffer.data(), bytes);
  std::ofstream out(dst, std::ios::binary);
  out.write(buffer.data(), in.gcount());
}

int64_t file_size(const std::string& path) { return static_cast<int64_t>(fs::file_size(path)); }

bool patch_bytes(const std::string& path, const std::string& find, const std::string& replace) {
  std::string bytes = slurp(path);
  const size_t at = bytes.find(find);
  if (at == std::string::npos || find.size() != replace.size()) return false;
  bytes.replace(at, replace.size(), replace);
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  return static_cast<bool>(out);
}


std::string wkt_of_epsg(int code) {
  OGRSpatialReference srs;
  if (srs.importFromEPSG(code) != OGRERR_NONE) throw std::runtime_error("unknown EPSG code " + std::to_string(code));
  char* wkt = nullptr;
  srs.exportToWkt(&wkt);
  const std::string out(wkt);
  CPLFree(wkt);
  return out;
}

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

}  // namespace hsi::test
