// Batch prediction over a folder of GeoTIFF tiles: one map per tile, a VRT mosaic, a summary;
// resumable, and a broken tile does not stop the others.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "io/writer.hpp"
#include "support/run_cli.hpp"
#include "support/synthetic.hpp"

namespace fs = std::filesystem;

namespace hsi {
namespace {

TEST(BatchPredict, TilesMosaicSummaryResumeAndFailures) {
  test::TempDir dir;
  fs::create_directories(dir.file("tiles"));
  test::SyntheticScene s = test::make_scene(40, 40, 12, 3, 9);
  write_cube_geotiff(dir.file("scene.tif"), s.cube);
  write_class_map(dir.file("gt.tif"), 40, 40, s.labels.labels, ClassTable::from_ids({1, 2, 3}), s.cube.geo);
  const test::CliResult train = test::run_hsi({"train", "--data.cube", dir.file("scene.tif"), "--data.labels", dir.file("gt.tif"), "--patch",
                                               "5", "--model.width", "8", "--train.epochs", "1", "--train.min_steps", "2", "--out",
                                               dir.file("run")});
  ASSERT_EQ(train.exit_code, 0) << train.err;
  // Three tiles side by side (each shifted 40 columns east).
  for (int k = 0; k < 3; ++k) {
    Cube tile = s.cube;
    tile.geo.geotransform[0] += 40 * 3.7 * k;
    write_cube_geotiff(dir.file("tiles/t" + std::to_string(k) + ".tif"), tile);
  }
  const std::vector<std::string> args = {"predict", "--model", dir.file("run/best.ckpt"), "--inputs", dir.file("tiles/*.tif"), "--out-dir",
                                         dir.file("maps")};
  // Options are checked before anything is read or created, in batch mode too.
  std::vector<std::string> bad = args;
  bad.insert(bad.end(), {"--classifier", "nearest"});
  const test::CliResult refused = test::run_hsi(bad);
  EXPECT_EQ(refused.exit_code, 2) << refused.err;
  EXPECT_NE(refused.err.find("--classifier"), std::string::npos) << refused.err;
  EXPECT_FALSE(fs::exists(dir.file("maps")));

  const test::CliResult first = test::run_hsi(args);
  ASSERT_EQ(first.exit_code, 0) << first.err;
  for (int k = 0; k < 3; ++k) EXPECT_TRUE(fs::exists(dir.file("maps/t" + std::to_string(k) + "_map.tif")));
  EXPECT_TRUE(fs::exists(dir.file("maps/mosaic.vrt")));
  std::ifstream vrt(dir.file("maps/mosaic.vrt"));
  std::stringstream text;
  text << vrt.rdbuf();
  EXPECT_NE(text.str().find("rasterXSize=\"120\""), std::string::npos) << text.str().substr(0, 300);

  // A broken tile joins; the rerun skips the finished ones, reports the broken one, exits 3.
  std::ofstream(dir.file("tiles/t9.tif")) << "garbage";
  const test::CliResult second = test::run_hsi(args);
  EXPECT_EQ(second.exit_code, 3);
  EXPECT_NE(second.out.find("[skip]"), std::string::npos);
  EXPECT_NE(second.err.find("t9.tif"), std::string::npos) << second.err;
  std::ifstream summary(dir.file("maps/summary.csv"));
  std::stringstream sum;
  sum << summary.rdbuf();
  EXPECT_NE(sum.str().find("done earlier"), std::string::npos) << sum.str();
  EXPECT_NE(sum.str().find("failed"), std::string::npos) << sum.str();
  EXPECT_FALSE(fs::exists(dir.file("maps/t9_map.tif")));
}

}  // namespace
}  // namespace hsi
