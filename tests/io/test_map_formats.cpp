// Maps in the formats analysts open: GeoTIFF, Cloud-Optimized GeoTIFF (web maps) and ENVI
// classification files. Each keeps classes, names, colours and geo-referencing through GDAL.
#include <gdal_priv.h>
#include <gtest/gtest.h>
#include <ogr_spatialref.h>

#include <filesystem>
#include <set>

#include "common/error.hpp"
#include "io/reader.hpp"
#include "io/window_io.hpp"
#include "support/synthetic.hpp"

namespace fs = std::filesystem;

namespace hsi {
namespace {

struct MapScene {
  int64_t rows = 700, cols = 600;  // larger than a COG block, so overviews are made
  std::vector<int32_t> ids;
  std::vector<float> confidence;
  ClassTable classes = ClassTable::parse({"1 | Brocoli | e6194b", "10 | Corn senesced | 3cb44b", "14 | Lettuce 7wk | 911eb4"}, "test");
  GeoInfo geo;
  MapScene() {
    ids.resize(static_cast<size_t>(rows * cols));
    confidence.resize(ids.size());
    for (int64_t y = 0; y < rows; ++y)
      for (int64_t x = 0; x < cols; ++x) {
        const size_t i = static_cast<size_t>(y * cols + x);
        ids[i] = y < 20 ? 0 : std::vector<int32_t>{1, 10, 14}[static_cast<size_t>((x / 37 + y / 23) % 3)];
        confidence[i] = ids[i] == 0 ? 0.0f : 0.5f + 0.5f * static_cast<float>((x * 7 + y * 3) % 100) / 100.0f;
      }
    geo.has_geotransform = true;
    geo.geotransform = {612345.0, 3.7, 0.0, 4065432.0, 0.0, -3.7};
    geo.projection_wkt = test::wkt_of_epsg(32610);
  }
  // Written in 256 x 256 tiles, as the prediction loop does.
  void write(const std::string& map, const std::string& conf, MapFormat format) const {
    TiledMapWriter writer(map, conf, rows, cols, classes, geo, format);
    for (int64_t y0 = 0; y0 < rows; y0 += 256)
      for (int64_t x0 = 0; x0 < cols; x0 += 256) {
        const int64_t h = std::min<int64_t>(256, rows - y0), w = std::min<int64_t>(256, cols - x0);
        std::vector<int32_t> tile_ids;
        std::vector<float> tile_conf;
        for (int64_t y = 0; y < h; ++y)
          for (int64_t x = 0; x < w; ++x) {
            tile_ids.push_back(ids[static_cast<size_t>((y0 + y) * cols + x0 + x)]);
            tile_conf.push_back(confidence[static_cast<size_t>((y0 + y) * cols + x0 + x)]);
          }
        writer.write(y0, x0, h, w, tile_ids, tile_conf);
      }
    writer.commit();
  }
};

std::set<std::string> listing(const std::string& dir) {
  std::set<std::string> names;
  for (const auto& e : fs::directory_iterator(dir)) names.insert(e.path().filename().string());
  return names;
}

// What GDAL reads back equals what was written, whatever the format.
void expect_round_trip(const MapScene& s, const std::string& map, const std::string& conf) {
  const LabelMap back = read_labels(map);
  EXPECT_EQ(back.labels, s.ids) << map;
  EXPECT_EQ(back.geo.geotransform, s.geo.geotransform) << map;
  OGRSpatialReference written, read;
  written.importFromWkt(s.geo.projection_wkt.c_str());
  read.importFromWkt(back.geo.projection_wkt.c_str());
  EXPECT_TRUE(read.IsSame(&written)) << map << ": " << back.geo.projection_wkt;
  const ClassTable table = read_class_table(map);
  ASSERT_EQ(table.size(), s.classes.size()) << map;
  for (size_t i = 0; i < table.size(); ++i) {
    EXPECT_EQ(table.at(i).id, s.classes.at(i).id) << map;
    EXPECT_EQ(table.at(i).name, s.classes.at(i).name) << map;
    EXPECT_EQ(table.at(i).rgb, s.classes.at(i).rgb) << map;
  }
  const Cube c = read_cube(conf);
  EXPECT_EQ(c.data, s.confidence) << conf;
  EXPECT_EQ(c.geo.geotransform, s.geo.geotransform) << conf;
}

TEST(MapFormats, GeoTiffCogAndEnviKeepClassesNamesColoursAndGeoreferencing) {
  const MapScene s;
  test::TempDir dir;
  s.write(dir.file("map.tif"), dir.file("conf.tif"), MapFormat::GTiff);
  expect_round_trip(s, dir.file("map.tif"), dir.file("conf.tif"));

  fs::create_directories(dir.file("cog"));
  s.write(dir.file("cog/map.tif"), dir.file("cog/conf.tif"), MapFormat::COG);
  expect_round_trip(s, dir.file("cog/map.tif"), dir.file("cog/conf.tif"));

  fs::create_directories(dir.file("envi"));
  s.write(dir.file("envi/map.img"), dir.file("envi/conf.img"), MapFormat::ENVI);
  expect_round_trip(s, dir.file("envi/map.img"), dir.file("envi/conf.img"));
  // ENVI shows its legend from the header alone: classes, names, colours (lookup), map info.
  const std::string header = test::slurp(dir.file("envi/map.hdr"));
  EXPECT_NE(header.find("file type = ENVI Classification"), std::string::npos) << header;
  EXPECT_NE(header.find("classes = 15"), std::string::npos) << header;  // ids 0..14
  EXPECT_NE(header.find("Corn senesced"), std::string::npos) << header;
  EXPECT_NE(header.find("class lookup = {"), std::string::npos) << header;
  EXPECT_NE(header.find("map info = {"), std::string::npos) << header;
  EXPECT_NE(header.find("description = {\nmap.img}"), std::string::npos) << header;
  fs::remove(dir.file("envi/map.img.aux.xml"));  // the header alone carries the legend
  const ClassTable from_header = read_class_table(dir.file("envi/map.img"));
  ASSERT_EQ(from_header.size(), 3u);
  EXPECT_EQ(from_header.at(2).name, "Lettuce 7wk");
  EXPECT_EQ(from_header.at(2).rgb, s.classes.at(2).rgb);
  // Nothing but the outputs: no scratch GeoTIFF, no temporary header.
  EXPECT_EQ(listing(dir.file("envi")), (std::set<std::string>{"map.img", "map.hdr", "conf.img", "conf.hdr", "conf.img.aux.xml"}));
  for (const std::string& name : listing(dir.file("cog"))) EXPECT_EQ(name.find("tmp"), std::string::npos) << name;
}

// The layout checks of GDAL's validate_cloud_optimized_geotiff: tiled, overviews present,
// IFDs before the data and the smallest overview's data first; and the class map's overviews
// hold classes (nearest neighbour), never averages of ids.
TEST(MapFormats, CogIsCloudOptimizedWithClassOverviews) {
  // Pixel-level checkerboards of red and blue next to a purple class: any averaging (of ids,
  // or of palette colours, which GDAL does for paletted bands) lands on another class.
  MapScene s;
  s.classes = ClassTable::parse({"1 | Red | ff0000", "2 | Blue | 0000ff", "3 | Purple | 800080"}, "test");
  for (int64_t y = 0; y < s.rows; ++y)
    for (int64_t x = 0; x < s.cols; ++x) s.ids[static_cast<size_t>(y * s.cols + x)] = x < 300 ? 1 + (x + y) % 2 : 3;
  test::TempDir dir;
  s.write(dir.file("map.tif"), dir.file("conf.tif"), MapFormat::COG);
  GDALAllRegister();
  for (const std::string name : {"map.tif", "conf.tif"}) {
    std::unique_ptr<GDALDataset> ds(GDALDataset::Open(dir.file(name).c_str(), GDAL_OF_RASTER | GDAL_OF_READONLY));
    ASSERT_TRUE(ds) << name;
    const char* layout = ds->GetMetadataItem("LAYOUT", "IMAGE_STRUCTURE");
    ASSERT_NE(layout, nullptr) << name;
    EXPECT_STREQ(layout, "COG") << name;
    GDALRasterBand* band = ds->GetRasterBand(1);
    int bw = 0, bh = 0;
    band->GetBlockSize(&bw, &bh);
    EXPECT_EQ(bw, 512) << name;
    EXPECT_EQ(bh, 512) << name;
    ASSERT_GE(band->GetOverviewCount(), 1) << name;
    const char* main_ifd = band->GetMetadataItem("IFD_OFFSET", "TIFF");
    const char* main_data = band->GetMetadataItem("BLOCK_OFFSET_0_0", "TIFF");
    GDALRasterBand* smallest = band->GetOverview(band->GetOverviewCount() - 1);
    const char* ovr_ifd = smallest->GetMetadataItem("IFD_OFFSET", "TIFF");
    const char* ovr_data = smallest->GetMetadataItem("BLOCK_OFFSET_0_0", "TIFF");
    ASSERT_TRUE(main_ifd && main_data && ovr_ifd && ovr_data) << name;
    EXPECT_LT(std::stoll(main_ifd), std::stoll(ovr_ifd)) << name;
    EXPECT_LT(std::stoll(ovr_ifd), std::stoll(ovr_data)) << name << ": IFDs before the data";
    EXPECT_LT(std::stoll(ovr_data), std::stoll(main_data)) << name << ": the smallest overview's data first";
    if (name == "map.tif") {
      GDALRasterBand* ovr = band->GetOverview(0);
      std::vector<int32_t> values(static_cast<size_t>(ovr->GetXSize()) * ovr->GetYSize());
      ASSERT_EQ(ovr->RasterIO(GF_Read, 0, 0, ovr->GetXSize(), ovr->GetYSize(), values.data(), ovr->GetXSize(), ovr->GetYSize(), GDT_Int32, 0, 0,
                              nullptr),
                CE_None);
      // Nearest neighbour: each overview pixel is one of the pixels it covers.
      const int ow = ovr->GetXSize(), oh = ovr->GetYSize();
      int64_t foreign = 0;
      for (int oy = 0; oy < oh; ++oy)
        for (int ox = 0; ox < ow; ++ox) {
          std::set<int32_t> footprint;
          for (int64_t y = oy * s.rows / oh; y < (oy + 1) * s.rows / oh; ++y)
            for (int64_t x = ox * s.cols / ow; x < (ox + 1) * s.cols / ow; ++x) footprint.insert(s.ids[static_cast<size_t>(y * s.cols + x)]);
          foreign += footprint.count(values[static_cast<size_t>(oy * ow + ox)]) == 0;
        }
      EXPECT_EQ(foreign, 0) << "overview pixels holding a class none of their pixels has";
      EXPECT_NE(band->GetColorTable(), nullptr);
    }
  }
}

TEST(MapFormats, AnUnfinishedMapLeavesNothingAndUnknownFormatsAreRefused) {
  const MapScene s;
  test::TempDir dir;
  for (MapFormat f : {MapFormat::GTiff, MapFormat::COG, MapFormat::ENVI}) {
    TiledMapWriter writer(dir.file("map.img"), dir.file("conf.img"), s.rows, s.cols, s.classes, s.geo, f);
    writer.write(0, 0, 1, 1, {1}, {0.9f});
  }  // never committed
  EXPECT_TRUE(listing(dir.path()).empty());
  EXPECT_EQ(parse_map_format("cog"), MapFormat::COG);
  EXPECT_THROW(parse_map_format("JPEG"), Error);
  EXPECT_EQ(envi_header_path("out/map.img"), "out/map.hdr");
}

TEST(MapFormats, PerClassBandsKeepValuesNamesNodataAndGeoreferencingInEveryFormat) {
  // Three bands written in 256 x 256 tiles, pixel-interleaved as the prediction loop hands them
  // over; each band must come back as its own plane, named, with the nodata value and the
  // geo-referencing; an unfinished raster leaves nothing.
  const MapScene s;
  const std::vector<std::string> names = {"Brocoli", "Corn senesced", "Lettuce 7wk"};
  const int64_t B = 3;
  auto value = [&](int64_t y, int64_t x, int64_t b) { return y < 20 ? -1.0f : static_cast<float>((x * 3 + y * 5 + b * 7) % 97) / 97.0f; };
  test::TempDir dir;
  for (const auto& [format, name] : {std::pair{MapFormat::GTiff, std::string("p.tif")}, std::pair{MapFormat::COG, std::string("cog.tif")},
                                      std::pair{MapFormat::ENVI, std::string("p.img")}}) {
    {
      TiledBandsWriter writer(dir.file(name), s.rows, s.cols, names, -1.0f, s.geo, format);
      EXPECT_EQ(writer.bands(), B);
      for (int64_t y0 = 0; y0 < s.rows; y0 += 256)
        for (int64_t x0 = 0; x0 < s.cols; x0 += 256) {
          const int64_t h = std::min<int64_t>(256, s.rows - y0), w = std::min<int64_t>(256, s.cols - x0);
          std::vector<float> tile;
          for (int64_t y = 0; y < h; ++y)
            for (int64_t x = 0; x < w; ++x)
              for (int64_t b = 0; b < B; ++b) tile.push_back(value(y0 + y, x0 + x, b));
          writer.write(y0, x0, h, w, tile.data());
        }
      writer.commit();
    }
    const Cube back = read_cube(dir.file(name));
    ASSERT_EQ(back.bands, B) << name;
    int64_t wrong = 0;
    for (int64_t y = 0; y < s.rows; ++y)
      for (int64_t x = 0; x < s.cols; ++x)
        for (int64_t b = 0; b < B; ++b) wrong += back.at(y, x, b) != value(y, x, b);
    EXPECT_EQ(wrong, 0) << name;
    EXPECT_EQ(back.geo.geotransform, s.geo.geotransform) << name;
    ASSERT_TRUE(back.geo.nodata.has_value()) << name;
    EXPECT_EQ(*back.geo.nodata, -1.0) << name;
    GDALAllRegister();
    std::unique_ptr<GDALDataset> ds(GDALDataset::Open(dir.file(name).c_str(), GDAL_OF_RASTER | GDAL_OF_READONLY));
    ASSERT_TRUE(ds) << name;
    for (int b = 0; b < B; ++b) EXPECT_EQ(ds->GetRasterBand(b + 1)->GetDescription(), names[static_cast<size_t>(b)]) << name;
  }
  fs::create_directories(dir.file("unfinished"));
  for (MapFormat f : {MapFormat::GTiff, MapFormat::COG, MapFormat::ENVI}) {
    TiledBandsWriter writer(dir.file("unfinished/p.img"), s.rows, s.cols, names, -1.0f, s.geo, f);
    const std::vector<float> one = {0.2f, 0.3f, 0.5f};
    writer.write(0, 0, 1, 1, one.data());
  }  // never committed
  EXPECT_TRUE(listing(dir.file("unfinished")).empty());
  EXPECT_THROW(TiledBandsWriter(dir.file("none.tif"), 2, 2, {}, -1.0f, s.geo), Error);
}

}  // namespace
}  // namespace hsi
