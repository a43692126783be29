// Batch prediction over a folder of GeoTIFF tiles: one map per tile, a VRT mosaic, a summary;
// resumable, and a broken tile does not stop the others.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "io/reader.hpp"
#include "io/writer.hpp"
#include "support/run_cli.hpp"
#include "support/synthetic.hpp"

namespace fs = std::filesystem;

namespace hsi {
namespace {

using test::slurp;

// A small model trained on a synthetic scene, and that scene written as `tiles` tiles side by
// side (each shifted 40 columns east) under dir/tiles.
struct TiledScene {
  test::TempDir dir;
  std::string checkpoint;
  explicit TiledScene(int tiles) {
    fs::create_directories(dir.file("tiles"));
    test::SyntheticScene s = test::make_scene(40, 40, 12, 3, 9);
    write_cube_geotiff(dir.file("scene.tif"), s.cube);
    write_class_map(dir.file("gt.tif"), 40, 40, s.labels.labels, ClassTable::from_ids({1, 2, 3}), s.cube.geo);
    const test::CliResult train = test::run_hsi({"train", "--data.cube", dir.file("scene.tif"), "--data.labels", dir.file("gt.tif"), "--patch",
                                                 "5", "--model.width", "8", "--train.epochs", "1", "--train.min_steps", "2", "--out",
                                                 dir.file("run")});
    EXPECT_EQ(train.exit_code, 0) << train.err;
    checkpoint = dir.file("run/best.ckpt");
    for (int k = 0; k < tiles; ++k) {
      Cube tile = s.cube;
      tile.geo.geotransform[0] += 40 * 3.7 * k;
      for (float& v : tile.data) v += static_cast<float>(k);  // tiles differ
      write_cube_geotiff(dir.file("tiles/t" + std::to_string(k) + ".tif"), tile);
    }
  }
};

TEST(BatchPredict, TilesMosaicSummaryResumeAndFailures) {
  TiledScene scene(3);
  const test::TempDir& dir = scene.dir;
  const std::vector<std::string> args = {"predict", "--model", scene.checkpoint, "--inputs", dir.file("tiles/*.tif"), "--out-dir",
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
  const std::string vrt = slurp(dir.file("maps/mosaic.vrt"));
  EXPECT_NE(vrt.find("rasterXSize=\"120\""), std::string::npos) << vrt.substr(0, 300);

  // A broken tile joins; the rerun skips the finished ones, reports the broken one, exits 3.
  std::ofstream(dir.file("tiles/t9.tif")) << "garbage";
  const test::CliResult second = test::run_hsi(args);
  EXPECT_EQ(second.exit_code, 3);
  EXPECT_NE(second.out.find("[skip]"), std::string::npos);
  EXPECT_NE(second.err.find("t9.tif"), std::string::npos) << second.err;
  const std::string summary = slurp(dir.file("maps/summary.csv"));
  EXPECT_NE(summary.find("done earlier"), std::string::npos) << summary;
  EXPECT_NE(summary.find("failed"), std::string::npos) << summary;
  EXPECT_FALSE(fs::exists(dir.file("maps/t9_map.tif")));
}

// The SVM baseline and model.name = auto go through the same verbs: `hsi select` writes the
// table, `hsi train --model svm` a checkpoint that `hsi predict` serves in memory, streamed
// (several tiles) and in batch mode, with the same map each way.
TEST(BatchPredict, SvmCheckpointsAndSelectionThroughTheBinary) {
  test::TempDir dir;
  fs::create_directories(dir.file("tiles"));
  test::SyntheticScene s = test::make_scene(40, 40, 12, 3, 9);
  write_cube_geotiff(dir.file("scene.tif"), s.cube);
  write_cube_geotiff(dir.file("tiles/a.tif"), s.cube);
  write_class_map(dir.file("gt.tif"), 40, 40, s.labels.labels, ClassTable::from_ids({1, 2, 3}), s.cube.geo);
  const std::vector<std::string> data = {"--data.cube", dir.file("scene.tif"), "--data.labels", dir.file("gt.tif")};
  auto with = [&](std::vector<std::string> args) {
    args.insert(args.begin() + 1, data.begin(), data.end());
    return args;
  };
  const test::CliResult select = test::run_hsi(with({"select", "--select.candidates", "svm, ms2d:3", "--train.epochs", "1",
                                                     "--train.min_steps", "4", "--model.width", "8", "--out", dir.file("sel")}));
  ASSERT_EQ(select.exit_code, 0) << select.err;
  EXPECT_NE(select.out.find("Chosen: **"), std::string::npos) << select.out;
  EXPECT_NE(slurp(dir.file("sel/selection.json")).find("\"candidate\": \"svm\""), std::string::npos);

  const test::CliResult train = test::run_hsi(with({"train", "--model", "svm", "--out", dir.file("run")}));
  ASSERT_EQ(train.exit_code, 0) << train.err;
  EXPECT_NE(train.out.find("svm: C "), std::string::npos) << train.out;
  const std::string ckpt = dir.file("run/best.ckpt");
  const test::CliResult info = test::run_hsi({"model-info", "--model", "svm", "--bands", "12", "--classes", "3"});
  EXPECT_EQ(info.exit_code, 0) << info.err;
  const test::CliResult streamed =
      test::run_hsi({"predict", "--model", ckpt, "--input", dir.file("scene.tif"), "--out", dir.file("streamed.tif"), "--tile", "16"});
  ASSERT_EQ(streamed.exit_code, 0) << streamed.err;
  const test::CliResult batch = test::run_hsi({"predict", "--model", ckpt, "--inputs", dir.file("tiles/*.tif"), "--out-dir", dir.file("maps")});
  ASSERT_EQ(batch.exit_code, 0) << batch.err;
  const std::vector<int32_t> trained = read_labels(dir.file("run/map.tif")).labels;
  EXPECT_EQ(read_labels(dir.file("streamed.tif")).labels, trained);
  EXPECT_EQ(read_labels(dir.file("maps/a_map.tif")).labels, trained);
  // Fine-tuning needs a network.
  const test::CliResult finetune = test::run_hsi(with({"finetune", "--from", ckpt, "--out", dir.file("ft")}));
  EXPECT_EQ(finetune.exit_code, 2) << finetune.err;
  EXPECT_NE(finetune.err.find("SVM"), std::string::npos) << finetune.err;
}

#ifdef HSI_TEST_MPI
// The same batch under `mpirun -np 2`: tiles are shared between the ranks, each map equals the
// single-process one, rank 0 writes one summary and one mosaic for all, failures still count.
TEST(BatchPredict, MpirunShardsTilesAndMatchesOneProcess) {
  TiledScene scene(5);
  const test::TempDir& dir = scene.dir;
  const auto args = [&](const std::string& out) {
    return std::vector<std::string>{"predict", "--model", scene.checkpoint, "--inputs", dir.file("tiles/*.tif"), "--out-dir", dir.file(out),
                                    "--threads", "1"};
  };
  const test::CliResult one = test::run_hsi(args("one"));
  ASSERT_EQ(one.exit_code, 0) << one.err;
  const test::CliResult two = test::run_hsi_under_mpirun(2, args("two"));
  ASSERT_EQ(two.exit_code, 0) << two.out << two.err;
  EXPECT_NE(two.out.find("by 2 processes"), std::string::npos) << two.out;
  for (int k = 0; k < 5; ++k) {
    const std::string name = "/t" + std::to_string(k);
    const LabelMap a = read_labels(dir.file("one" + name + "_map.tif")), b = read_labels(dir.file("two" + name + "_map.tif"));
    EXPECT_EQ(a.labels, b.labels) << name;
    EXPECT_EQ(read_cube(dir.file("one" + name + "_confidence.tif")).data, read_cube(dir.file("two" + name + "_confidence.tif")).data) << name;
  }
  const std::string summary = slurp(dir.file("two/summary.csv"));
  EXPECT_EQ(std::count(summary.begin(), summary.end(), '\n'), 6) << summary;  // header + 5 inputs, in input order
  EXPECT_LT(summary.find("t0.tif"), summary.find("t4.tif")) << summary;
  EXPECT_NE(summary.find(",ok,0\n"), std::string::npos) << summary;
  EXPECT_NE(summary.find(",ok,1\n"), std::string::npos) << summary;
  // One mosaic of all five maps, in input order, as the single process wrote it.
  std::string expected_vrt = slurp(dir.file("one/mosaic.vrt"));
  for (size_t at = expected_vrt.find("/one/"); at != std::string::npos; at = expected_vrt.find("/one/", at)) expected_vrt.replace(at, 5, "/two/");
  EXPECT_EQ(slurp(dir.file("two/mosaic.vrt")), expected_vrt);

  // A broken tile on one rank: the others finish, every rank exits 3, the summary says which.
  std::ofstream(dir.file("tiles/t5.tif")) << "garbage";
  const test::CliResult broken = test::run_hsi_under_mpirun(2, args("two"));
  EXPECT_EQ(broken.exit_code, 3) << broken.out << broken.err;
  EXPECT_NE(broken.err.find("t5.tif"), std::string::npos) << broken.err;
  const std::string rerun = slurp(dir.file("two/summary.csv"));
  EXPECT_NE(rerun.find("done earlier"), std::string::npos) << rerun;
  EXPECT_NE(rerun.find("failed"), std::string::npos) << rerun;
}
#else
// Several copies started by an MPI launcher would each classify every input: refused.
TEST(BatchPredict, WithoutMpiSeveralLaunchedCopiesAreRefused) {
  setenv("OMPI_COMM_WORLD_SIZE", "2", 1);
  const test::CliResult r = test::run_hsi({"predict", "--model", "x.ckpt", "--inputs", "*.tif", "--out-dir", "maps"});
  unsetenv("OMPI_COMM_WORLD_SIZE");
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_NE(r.err.find("without MPI"), std::string::npos) << r.err;
}
#endif

}  // namespace
}  // namespace hsi
