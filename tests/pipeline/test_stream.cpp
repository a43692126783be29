// Streamed prediction equals the in-memory result, skips empty windows and keeps nodata.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>

#include "common/error.hpp"

#include "io/reader.hpp"
#include "io/writer.hpp"
#include "pipeline/checkpoint.hpp"
#include "pipeline/run.hpp"
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
  for (int64_t r = 0; r < 32; ++r)
    for (int64_t c = 0; c < 32; ++c)
      for (int64_t b = 0; b < cube.bands; ++b) cube.data[(r * cube.cols + c) * cube.bands + b] = NAN;
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
