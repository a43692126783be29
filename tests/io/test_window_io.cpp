// RasterWindowReader returns exactly the file's values, in hsi's BIP float layout, whatever the
// band type and file layout (the reader takes different GDAL routes for them).
#include <gtest/gtest.h>

#include <gdal_priv.h>
#include <cpl_conv.h>

#include <filesystem>

#include <string>
#include <vector>

#include "io/gdal_util.hpp"
#include "common/error.hpp"
#include "io/writer.hpp"
#include "io/reader.hpp"
#include "io/window_io.hpp"
#include "support/synthetic.hpp"

namespace hsi {
namespace {

constexpr int kRows = 37, kCols = 53, kBands = 5;

// A value every supported type holds exactly, different for each pixel and band.
double value_at(int r, int c, int b) { return (r * 31 + c * 7 + b * 13) % 120 + (b == 2 ? 3 : 0); }

void write_raster(const std::string& path, GDALDataType type, const std::vector<std::string>& creation) {
  detail::init_gdal();
  std::vector<const char*> options;
  for (const std::string& o : creation) options.push_back(o.c_str());
  options.push_back(nullptr);
  GDALDriver* driver = GetGDALDriverManager()->GetDriverByName("GTiff");
  GDALDataset* ds = driver->Create(path.c_str(), kCols, kRows, kBands, type, const_cast<char**>(options.data()));
  ASSERT_NE(ds, nullptr);
  std::vector<double> band(static_cast<size_t>(kRows * kCols));
  for (int b = 0; b < kBands; ++b) {
    for (int r = 0; r < kRows; ++r)
      for (int c = 0; c < kCols; ++c) band[r * kCols + c] = value_at(r, c, b);
    ASSERT_EQ(ds->GetRasterBand(b + 1)->RasterIO(GF_Write, 0, 0, kCols, kRows, band.data(), kCols, kRows, GDT_Float64, 0, 0), CE_None);
  }
  GDALClose(GDALDataset::ToHandle(ds));
}

void expect_windows_exact(const std::string& path) {
  RasterWindowReader reader(path);
  ASSERT_EQ(reader.rows(), kRows);
  ASSERT_EQ(reader.cols(), kCols);
  ASSERT_EQ(reader.bands(), kBands);
  const struct { int y0, x0, h, w; } windows[] = {{0, 0, kRows, kCols}, {5, 9, 16, 16}, {30, 40, 7, 13}, {0, 52, 37, 1}};
  for (const auto& win : windows) {
    std::vector<float> bip(static_cast<size_t>(win.h * win.w * kBands), -1.0f);
    reader.read(win.y0, win.x0, win.h, win.w, bip.data());
    const RawWindow raw = reader.read_raw(win.y0, win.x0, win.h, win.w);
    ASSERT_EQ(raw.values, win.h * win.w * kBands);
    for (int64_t i = 0; i < raw.values; ++i) ASSERT_EQ(visit_samples(raw, [i](const auto* v) { return static_cast<double>(v[i]); }), bip[i]) << path << " raw value " << i;
    for (int r = 0; r < win.h; ++r)
      for (int c = 0; c < win.w; ++c)
        for (int b = 0; b < kBands; ++b) {
          ASSERT_EQ(bip[(r * win.w + c) * kBands + b], value_at(win.y0 + r, win.x0 + c, b))
              << path << " window at " << win.y0 << "," << win.x0 << " pixel " << r << "," << c << " band " << b;
        }
  }
}

struct Layout {
  GDALDataType type;
  std::vector<std::string> creation;
  SampleType raw;  // what read_raw hands out
};

TEST(RasterWindowReader, ReturnsExactValuesForEveryTypeAndLayout) {
  test::TempDir dir;
  const Layout layouts[] = {
      {GDT_Int16, {"INTERLEAVE=PIXEL", "TILED=YES", "BLOCKXSIZE=16", "BLOCKYSIZE=16"}, SampleType::Int16},  // uncompressed: direct I/O
      {GDT_Int16, {"INTERLEAVE=BAND"}, SampleType::Int16},
      {GDT_UInt16, {"INTERLEAVE=PIXEL", "COMPRESS=DEFLATE"}, SampleType::UInt16},
      {GDT_Byte, {"INTERLEAVE=PIXEL"}, SampleType::UInt8},
      {GDT_Int32, {"INTERLEAVE=BAND", "TILED=YES", "COMPRESS=DEFLATE"}, SampleType::Int32},
      {GDT_UInt32, {"INTERLEAVE=PIXEL"}, SampleType::UInt32},
      {GDT_Float32, {"INTERLEAVE=PIXEL", "TILED=YES", "BLOCKXSIZE=32", "BLOCKYSIZE=32"}, SampleType::Float32},
      {GDT_Float64, {"INTERLEAVE=BAND", "COMPRESS=DEFLATE"}, SampleType::Float64},
      {GDT_Int64, {"INTERLEAVE=PIXEL"}, SampleType::Float32},  // GDAL converts what hsi does not widen itself
  };
  int k = 0;
  for (const Layout& layout : layouts) {
    const std::string path = dir.file("raster_" + std::to_string(k++) + ".tif");
    write_raster(path, layout.type, layout.creation);
    expect_windows_exact(path);
    EXPECT_EQ(RasterWindowReader(path).read_raw(0, 0, 1, 1).type, layout.raw) << path;
  }
}

TEST(RasterWindowReader, TruncatedFileFailsNamingTheFile) {
  test::TempDir dir;
  const std::string path = dir.file("cut.tif");
  write_raster(path, GDT_Int16, {"INTERLEAVE=PIXEL"});
  std::filesystem::resize_file(path, std::filesystem::file_size(path) / 2);
  try {
    RasterWindowReader reader(path);
    std::vector<float> bip(static_cast<size_t>(kRows * kCols * kBands));
    reader.read(0, 0, kRows, kCols, bip.data());
    FAIL() << "a truncated file was read";
  } catch (const std::exception& e) {
    EXPECT_NE(std::string(e.what()).find(path), std::string::npos) << e.what();
  }
}

// GDAL 3.6 stores Int8 as a Byte band with PIXELTYPE=SIGNEDBYTE: both readers return the
// signed values (before: 0..255, so -1 read as 255).
TEST(WindowReader, SignedByteRastersAreReadSigned) {
  test::TempDir dir;
  const std::string path = dir.file("int8.tif");
  const std::vector<int8_t> values = {-128, -1, 0, 1, 127, -5, 5, -100};  // 2 x 2 pixels x 2 bands, BIP
  {
    detail::init_gdal();
    char pixel_type[] = "PIXELTYPE=SIGNEDBYTE";
    char* options[] = {pixel_type, nullptr};
    GDALDataset* ds = GetGDALDriverManager()->GetDriverByName("GTiff")->Create(path.c_str(), 2, 2, 2, GDT_Byte, options);
    ASSERT_NE(ds, nullptr);
    ASSERT_EQ(ds->RasterIO(GF_Write, 0, 0, 2, 2, const_cast<int8_t*>(values.data()), 2, 2, GDT_Byte, 2, nullptr, 2, 4, 1, nullptr), CE_None);
    GDALClose(GDALDataset::ToHandle(ds));
  }
  const Cube cube = read_cube(path);
  EXPECT_EQ(cube.source_type, "int8");
  std::vector<float> expected(values.begin(), values.end());
  EXPECT_EQ(cube.data, expected);
  const RasterWindowReader reader(path);
  std::vector<float> window(8);
  reader.read(0, 0, 2, 2, window.data());
  EXPECT_EQ(window, expected);
  EXPECT_EQ(reader.read_raw(0, 0, 2, 2).type, SampleType::Int8);
}

// GDAL's virtual file systems are inputs like any file: a GeoTIFF inside a zip archive.
TEST(WindowReader, RastersInsideZipArchivesAreRead) {
  test::TempDir dir;
  const test::SyntheticScene scene = test::make_scene(6, 5, 4, 2, 3);
  write_cube_geotiff(dir.file("cube.tif"), scene.cube);
  const std::string bytes = test::slurp(dir.file("cube.tif"));
  detail::init_gdal();
  void* zip = CPLCreateZip(dir.file("tiles.zip").c_str(), nullptr);
  ASSERT_NE(zip, nullptr);
  ASSERT_EQ(CPLCreateFileInZip(zip, "inner/cube.tif", nullptr), CE_None);
  ASSERT_EQ(CPLWriteFileInZip(zip, bytes.data(), static_cast<int>(bytes.size())), CE_None);
  CPLCloseFileInZip(zip);
  CPLCloseZip(zip);
  const std::string inside = "/vsizip/" + dir.file("tiles.zip") + "/inner/cube.tif";
  EXPECT_TRUE(is_gdal_raster(inside));
  EXPECT_EQ(read_cube(inside).data, scene.cube.data);
  const RasterWindowReader reader(inside);
  std::vector<float> window(static_cast<size_t>(6 * 5 * 4));
  reader.read(0, 0, 6, 5, window.data());
  EXPECT_EQ(window, scene.cube.data);
  EXPECT_THROW(read_cube("/vsizip/" + dir.file("tiles.zip") + "/missing.tif"), Error);
}

}  // namespace
}  // namespace hsi
