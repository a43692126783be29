// Streamed prediction equals the in-memory result, skips empty windows and keeps nodata.
#include <gtest/gtest.h>

#include <gdal_priv.h>

#include <algorithm>
#include <cmath>
#include <filesystem>

#include "common/error.hpp"
#include "io/gdal_util.hpp"
#include "io/reader.hpp"
#include "io/writer.hpp"
#include "pipeline/checkpoint.hpp"
#include "pipeline/run.hpp"
#include "pipeline/scene.hpp"
#include "pipeline/stream_predict.hpp"
#include "support/synthetic.hpp"
#include "test_paths.hpp"

namespace hsi {
namespace {

struct Fixture {
  test::TempDir dir;
  std::string checkpoint, cube_tif;
  Fixture() {
    RunSettings s;
    s.data.cube = std::string(HSI_PROJECT_DATA) + "/SalinasA.mat";
    s.data.labels = std::string(HSI_PROJECT_DATA) + "/SalinasA_gt.mat";
    s.preprocess.pca = 10;
    s.model.patch = 7;
    s.model.width = 8;
    s.train.epochs = 2;
    s.train.min_steps = 10;
    s.out = dir.file("run");
    RunOptions quiet;
    quiet.verbose = false;
    quiet.write_maps = false;
    run_training(load_scene(s), s, quiet);
    checkpoint = dir.file("run/best.ckpt");
    Cube cube = read_cube(s.data.cube);
    cube.geo.has_geotransform = true;
    cube.geo.geotransform = {600000, 3.7, 0, 4000000, 0, -3.7};
    cube_tif = dir.file("salinas_a.tif");
    write_cube_geotiff(cube_tif, cube);
  }
};

// Sets every band of rows [r0, r1) x columns [c0, c1) to value.
void fill_block(Cube& cube, int64_t r0, int64_t r1, int64_t c0, int64_t c1, float value) {
  for (int64_t r = r0; r < r1; ++r)
    for (int64_t c = c0; c < c1; ++c) std::fill_n(cube.spectrum(r, c), cube.bands, value);
}

Fixture& fixture() {
  static Fixture f;
  return f;
}

TEST(StreamedPrediction, EqualsTheInMemoryMapWithTinyWindows) {
  Fixture& f = fixture();
  Checkpoint ck = load_checkpoint(f.checkpoint);
  Cube cube = read_cube(f.cube_tif);
  ck.preprocessor.apply(cube);
  const Prediction memory = predict_scene(ck.net, cube, {}, PredictOptions{});

  StreamOptions so;
  so.tile = 16;
  const StreamResult r = predict_streamed(ck, f.cube_tif, f.dir.file("stream.tif"), f.dir.file("stream_conf.tif"), so);
  EXPECT_EQ(r.tile, 16);
  EXPECT_EQ(r.tiles, 6 * 6);
  EXPECT_EQ(r.classified, 83 * 86);
  const LabelMap map = read_labels(f.dir.file("stream.tif"));
  const Cube conf = read_cube(f.dir.file("stream_conf.tif"));
  EXPECT_EQ(map.geo.geotransform, (std::array<double, 6>{600000, 3.7, 0, 4000000, 0, -3.7}));
  for (size_t p = 0; p < map.labels.size(); ++p) {
    ASSERT_EQ(map.labels[p], ck.classes.at(memory.class_index[p]).id) << "pixel " << p;
    ASSERT_NEAR(conf.data[p], memory.confidence[p], 1e-5);
  }
}

TEST(StreamedPrediction, NodataPixelsAndEmptyWindows) {
  Fixture& f = fixture();
  Checkpoint ck = load_checkpoint(f.checkpoint);
  Cube cube = read_cube(f.cube_tif);
  // The top-left 32 x 32 block is all NaN, and one more pixel elsewhere.
  fill_block(cube, 0, 32, 0, 32, NAN);
  cube.data[(50 * cube.cols + 60) * cube.bands + 3] = NAN;
  write_cube_geotiff(f.dir.file("holes.tif"), cube);
  StreamOptions so;
  so.tile = 16;
  EXPECT_THROW(predict_streamed(ck, f.dir.file("holes.tif"), f.dir.file("h.tif"), f.dir.file("hc.tif"), so), Error);
  EXPECT_FALSE(std::filesystem::exists(f.dir.file("h.tif")));
  so.nan_policy = "nodata";
  const StreamResult r = predict_streamed(ck, f.dir.file("holes.tif"), f.dir.file("h.tif"), f.dir.file("hc.tif"), so);
  EXPECT_EQ(r.skipped_tiles, 4);
  EXPECT_EQ(r.classified, 83 * 86 - 32 * 32 - 1);
  const LabelMap map = read_labels(f.dir.file("h.tif"));
  EXPECT_EQ(map.at(0, 0), 0);
  EXPECT_EQ(map.at(31, 31), 0);
  EXPECT_EQ(map.at(50, 60), 0);
  EXPECT_NE(map.at(40, 40), 0);
}

// Int16 input (the usual storage of radiance cubes), uncompressed and pixel-interleaved as
// large flight lines often are, with a nodata value: the reader's fastest route, and the integer
// route that needs no NaN scan, must still give the in-memory map.
TEST(StreamedPrediction, Int16RasterWithNodataEqualsTheInMemoryMap) {
  Fixture& f = fixture();
  Checkpoint ck = load_checkpoint(f.checkpoint);
  Cube cube = read_cube(f.cube_tif);
  fill_block(cube, 40, 60, 10, 30, -1);
  const std::string path = f.dir.file("int16.tif");
  {
    detail::init_gdal();
    char interleave[] = "INTERLEAVE=PIXEL";
    char* options[] = {interleave, nullptr};
    GDALDataset* ds = GetGDALDriverManager()->GetDriverByName("GTiff")->Create(
        path.c_str(), static_cast<int>(cube.cols), static_cast<int>(cube.rows), static_cast<int>(cube.bands), GDT_Int16, options);
    ASSERT_NE(ds, nullptr);
    double geotransform[6] = {600000, 3.7, 0, 4000000, 0, -3.7};
    ds->SetGeoTransform(geotransform);
    for (int b = 1; b <= cube.bands; ++b) ds->GetRasterBand(b)->SetNoDataValue(-1);
    const GSpacing pixel = static_cast<GSpacing>(sizeof(float)) * cube.bands;
    ASSERT_EQ(ds->RasterIO(GF_Write, 0, 0, static_cast<int>(cube.cols), static_cast<int>(cube.rows), cube.data.data(),
                           static_cast<int>(cube.cols), static_cast<int>(cube.rows), GDT_Float32, static_cast<int>(cube.bands),
                           nullptr, pixel, pixel * cube.cols, sizeof(float), nullptr),
              CE_None);
    GDALClose(GDALDataset::ToHandle(ds));
  }
  cube.geo.nodata = -1;
  const std::vector<uint8_t> nodata = mask_nodata(cube, "nodata");
  ck.preprocessor.apply(cube);
  const Prediction memory = predict_scene(ck.net, cube, nodata, PredictOptions{});

  StreamOptions so;
  so.tile = 16;
  const StreamResult r = predict_streamed(ck, path, f.dir.file("int16_map.tif"), f.dir.file("int16_conf.tif"), so);
  EXPECT_EQ(r.classified, 83 * 86 - 20 * 20);
  EXPECT_EQ(r.skipped_tiles, 0);
  const LabelMap map = read_labels(f.dir.file("int16_map.tif"));
  for (size_t p = 0; p < map.labels.size(); ++p) {
    const int32_t expected = memory.class_index[p] < 0 ? 0 : ck.classes.at(memory.class_index[p]).id;
    ASSERT_EQ(map.labels[p], expected) << "pixel " << p;
  }
  EXPECT_EQ(map.at(45, 15), 0);
}

TEST(StreamedPrediction, TileFollowsTheRamBudget) {
  NetOptions net;
  net.in_bands = 30;
  net.patch = 9;
  const int small = tile_for_budget(net, 224, 64), large = tile_for_budget(net, 224, 2048);
  EXPECT_GE(small, 16);
  EXPECT_GT(large, small);
  EXPECT_EQ(small % 16, 0);
}

}  // namespace
}  // namespace hsi
