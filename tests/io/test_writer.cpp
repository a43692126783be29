// Writers: exact round trips and atomicity.
#include <gdal_priv.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "common/error.hpp"
#include "io/reader.hpp"
#include "io/writer.hpp"
#include "support/synthetic.hpp"

namespace fs = std::filesystem;

namespace hsi {
namespace {

ClassTable salinas_like() {
  return ClassTable::parse({"1 | Brocoli | e6194b", "10 | Corn senesced | 3cb44b", "14 | Lettuce 7wk | 911eb4"}, "test");
}

TEST(ClassMapWriter, GeoTiffRoundTripKeepsEverything) {
  test::TempDir dir;
  const int64_t rows = 7, cols = 9;
  std::vector<int32_t> ids(rows * cols);
  for (size_t i = 0; i < ids.size(); ++i) ids[i] = std::vector<int32_t>{0, 1, 10, 14}[i % 4];
  GeoInfo geo;
  geo.has_geotransform = true;
  geo.geotransform = {123456.5, 30.0, 0.0, 7654321.25, 0.0, -30.0};
  geo.projection_wkt = test::wkt_of_epsg(32633);
  write_class_map(dir.file("map.tif"), rows, cols, ids, salinas_like(), geo);

  const LabelMap back = read_labels(dir.file("map.tif"));
  EXPECT_EQ(back.labels, ids);
  EXPECT_EQ(back.geo.geotransform, geo.geotransform);
  EXPECT_EQ(back.geo.projection_wkt, geo.projection_wkt);
  EXPECT_EQ(back.geo.nodata, 0.0);

  GDALDatasetUniquePtr ds(GDALDataset::Open(dir.file("map.tif").c_str(), GDAL_OF_RASTER));
  ASSERT_TRUE(ds);
  GDALRasterBand* band = ds->GetRasterBand(1);
  EXPECT_EQ(band->GetRasterDataType(), GDT_Byte);
  const GDALColorTable* table = band->GetColorTable();
  ASSERT_NE(table, nullptr);
  const GDALColorEntry* corn = table->GetColorEntry(10);
  EXPECT_EQ(corn->c1, 0x3c);
  EXPECT_EQ(corn->c2, 0xb4);
  EXPECT_EQ(corn->c3, 0x4b);
  char** names = band->GetCategoryNames();
  ASSERT_NE(names, nullptr);
  ASSERT_GE(CSLCount(names), 15);
  EXPECT_STREQ(names[1], "Brocoli");
  EXPECT_STREQ(names[10], "Corn senesced");
  EXPECT_STREQ(names[14], "Lettuce 7wk");
  char** options = ds->GetMetadata("IMAGE_STRUCTURE");
  EXPECT_STREQ(CSLFetchNameValue(options, "COMPRESSION"), "DEFLATE");
}

TEST(ClassMapWriter, LargeIdsGiveUInt16) {
  test::TempDir dir;
  const std::vector<int32_t> ids = {0, 300, 65535, 300};
  write_class_map(dir.file("big.tif"), 2, 2, ids, ClassTable::from_ids({300, 65535}), GeoInfo{});
  GDALDatasetUniquePtr ds(GDALDataset::Open(dir.file("big.tif").c_str(), GDAL_OF_RASTER));
  EXPECT_EQ(ds->GetRasterBand(1)->GetRasterDataType(), GDT_UInt16);
  EXPECT_EQ(read_labels(dir.file("big.tif")).labels, ids);
}

TEST(Writers, FailureLeavesNoFileBehind) {
  test::TempDir dir;
  // More values than pixels: the writer refuses before creating anything.
  EXPECT_THROW(write_class_map(dir.file("bad.tif"), 2, 2, {1, 2, 3}, ClassTable::from_ids({1, 2, 3}), GeoInfo{}), Error);
  EXPECT_TRUE(fs::is_empty(dir.path()));
  // An unwritable folder.
  fs::create_directories(dir.file("ro"));
  fs::permissions(dir.file("ro"), fs::perms::owner_read | fs::perms::owner_exec);
  if (::geteuid() != 0) {
    EXPECT_THROW(write_float_map(dir.file("ro/conf.tif"), 1, 1, {0.5f}, GeoInfo{}, 0.0), Error);
  }
  EXPECT_THROW(write_float_map(dir.file("missing/conf.tif"), 1, 1, {0.5f}, GeoInfo{}, 0.0), Error);
  // Unwritable for root too (CI runs as root, which ignores permission bits): a "folder" that is
  // a file, and a file system that takes no new files.
  std::ofstream(dir.file("plain")) << "x";
  EXPECT_THROW(write_float_map(dir.file("plain/conf.tif"), 1, 1, {0.5f}, GeoInfo{}, 0.0), Error);
  EXPECT_THROW(write_float_map("/proc/hsi_conf.tif", 1, 1, {0.5f}, GeoInfo{}, 0.0), Error);
  EXPECT_FALSE(fs::exists("/proc/hsi_conf.tif"));
  for (const auto& entry : fs::directory_iterator("/proc")) {
    EXPECT_EQ(entry.path().filename().string().find("hsi_conf"), std::string::npos) << "temporary file left: " << entry.path();
  }
}

TEST(Writers, ConfidenceAndPng) {
  test::TempDir dir;
  write_float_map(dir.file("conf.tif"), 2, 3, {0.1f, 0.2f, 0.3f, 0.4f, 0.5f, 1.0f}, GeoInfo{}, 0.0);
  const Cube conf = read_cube(dir.file("conf.tif"));
  ASSERT_EQ(conf.bands, 1);
  EXPECT_FLOAT_EQ(conf.data[5], 1.0f);
  write_png_quicklook(dir.file("map.png"), 2, 2, {0, 1, 10, 14}, salinas_like());
  GDALDatasetUniquePtr ds(GDALDataset::Open(dir.file("map.png").c_str(), GDAL_OF_RASTER));
  ASSERT_TRUE(ds);
  const GDALColorTable* table = ds->GetRasterBand(1)->GetColorTable();
  ASSERT_NE(table, nullptr);
  EXPECT_EQ(table->GetColorEntry(3)->c1, 0x91);  // third class -> palette index 3
  for (const auto& entry : fs::directory_iterator(dir.path())) {
    EXPECT_EQ(entry.path().filename().string().find(".tmp"), std::string::npos) << entry.path();
  }
}

}  // namespace
}  // namespace hsi
