// Batch prediction over a folder of GeoTIFF tiles: one map per tile, a VRT mosaic, a summary;
// resumable, and a broken tile does not stop the others.
#include <gtest/gtest.h>

#include <algorithm>
#include <array>
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

// A part of a cube, geo-referenced where it lies.
Cube crop(const Cube& c, int64_t y0, int64_t x0, int64_t h, int64_t w) {
  Cube out = c;
  out.rows = h;
  out.cols = w;
  out.data.assign(static_cast<size_t>(h * w * c.bands), 0.0f);
  for (int64_t y = 0; y < h; ++y)
    std::copy_n(c.data.begin() + ((y0 + y) * c.cols + x0) * c.bands, w * c.bands, out.data.begin() + y * w * c.bands);
  out.geo.geotransform[0] += static_cast<double>(x0) * c.geo.geotransform[1];
  out.geo.geotransform[3] += static_cast<double>(y0) * c.geo.geotransform[5];
  return out;
}

// A scene cut into uneven tiles (one a 1-pixel-wide strip) and classified as a batch: each
// tile's windows read their halo from the neighbouring tiles, so the maps put together equal
// the map of the whole scene, pixel for pixel, for a 2-D and a 3-D model, in one process and
// under mpirun; with --seamless false the seams show.
struct CutScene {
  test::TempDir dir;
  test::SyntheticScene scene = test::make_scene(40, 40, 12, 3, 21);
  std::vector<std::array<int64_t, 4>> tiles;  // y0, x0, h, w
  CutScene() {
    fs::create_directories(dir.file("tiles"));
    write_cube_geotiff(dir.file("scene.tif"), scene.cube);
    write_class_map(dir.file("gt.tif"), 40, 40, scene.labels.labels, ClassTable::from_ids({1, 2, 3}), scene.cube.geo);
    const std::vector<std::pair<int64_t, int64_t>> row_cuts = {{0, 23}, {23, 17}}, col_cuts = {{0, 17}, {17, 1}, {18, 22}};
    for (const auto& [y0, h] : row_cuts)
      for (const auto& [x0, w] : col_cuts) {
        const std::string name = "tiles/r" + std::to_string(y0) + "c" + std::to_string(x0) + ".tif";
        write_cube_geotiff(dir.file(name), crop(scene.cube, y0, x0, h, w));
        tiles.push_back({y0, x0, h, w});
      }
  }
  std::string checkpoint(const std::string& model) {
    const test::CliResult train = test::run_hsi({"train", "--data.cube", dir.file("scene.tif"), "--data.labels", dir.file("gt.tif"), "--model",
                                                 model, "--patch", "7", "--model.width", "8", "--train.epochs", "1", "--train.min_steps", "4",
                                                 "--out", dir.file("run_" + model)});
    EXPECT_EQ(train.exit_code, 0) << train.err;
    return dir.file("run_" + model + "/best.ckpt");
  }
  // The tiles' maps in out/ put back together; -1 where a map is missing.
  std::vector<int32_t> assembled(const std::string& out) const {
    std::vector<int32_t> all(1600, -1);
    for (const auto& [y0, x0, h, w] : tiles) {
      const std::string map = dir.file(out + "/r" + std::to_string(y0) + "c" + std::to_string(x0) + "_map.tif");
      if (!fs::exists(map)) continue;
      const LabelMap m = read_labels(map);
      EXPECT_EQ(m.rows, h);
      EXPECT_EQ(m.cols, w);
      for (int64_t y = 0; y < h; ++y)
        for (int64_t x = 0; x < w; ++x) all[(y0 + y) * 40 + x0 + x] = m.labels[y * w + x];
    }
    return all;
  }
  // The largest difference between the tiles' confidence maps and the whole scene's.
  float confidence_gap(const std::string& out, const std::string& whole_confidence) const {
    const Cube whole = read_cube(whole_confidence);
    float gap = 0;
    for (const auto& [y0, x0, h, w] : tiles) {
      const Cube c = read_cube(dir.file(out + "/r" + std::to_string(y0) + "c" + std::to_string(x0) + "_confidence.tif"));
      for (int64_t y = 0; y < h; ++y)
        for (int64_t x = 0; x < w; ++x) gap = std::max(gap, std::abs(c.data[y * w + x] - whole.data[(y0 + y) * 40 + x0 + x]));
    }
    return gap;
  }
};

TEST(BatchPredict, SeamlessTilesEqualTheWholeSceneMap) {
  CutScene cut;
  for (const std::string model : {"ms2d", "ms3d"}) {
    const std::string ckpt = cut.checkpoint(model);
    // In float32: bf16 rounding depends on how a tile's convolutions are blocked, so with
    // --precision bf16 (auto on a CPU that has it) seams agree only up to that rounding.
    const test::CliResult whole = test::run_hsi({"predict", "--model", ckpt, "--input", cut.dir.file("scene.tif"), "--out",
                                                 cut.dir.file(model + "_whole.tif"), "--precision", "fp32"});
    ASSERT_EQ(whole.exit_code, 0) << whole.err;
    const std::vector<int32_t> expected = read_labels(cut.dir.file(model + "_whole.tif")).labels;
    const auto batch = [&](const std::string& out, std::vector<std::string> extra) {
      std::vector<std::string> args = {"predict", "--model", ckpt, "--inputs", cut.dir.file("tiles/*.tif"), "--out-dir", cut.dir.file(out), "--tile", "16",
                                       "--precision", "fp32"};
      args.insert(args.end(), extra.begin(), extra.end());
      return test::run_hsi(args);
    };
    const test::CliResult seamless = batch(model + "_seamless", {});
    ASSERT_EQ(seamless.exit_code, 0) << seamless.err;
    EXPECT_NE(seamless.out.find("6 inputs share one grid"), std::string::npos) << seamless.out;
    EXPECT_EQ(cut.assembled(model + "_seamless"), expected) << model;
    const std::string whole_confidence = cut.dir.file(model + "_whole_confidence.tif");
    const float seamless_gap = cut.confidence_gap(model + "_seamless", whole_confidence);
    EXPECT_LT(seamless_gap, 1e-5) << model;
    // Geo-referencing of each map is its tile's own.
    const LabelMap strip = read_labels(cut.dir.file(model + "_seamless/r23c17_map.tif"));
    EXPECT_DOUBLE_EQ(strip.geo.geotransform[0], cut.scene.cube.geo.geotransform[0] + 17 * 3.7);
    EXPECT_DOUBLE_EQ(strip.geo.geotransform[3], cut.scene.cube.geo.geotransform[3] - 23 * 3.7);

    const test::CliResult alone = batch(model + "_alone", {"--seamless", "false"});
    ASSERT_EQ(alone.exit_code, 0) << alone.err;
    // Mirrored tile borders change what the windows along the seams see (the classes too, for
    // a model less sure than this one-epoch model on an easy scene).
    const float alone_gap = cut.confidence_gap(model + "_alone", whole_confidence);
    EXPECT_GT(alone_gap, 5e-4) << model << ": the seams should show";
    EXPECT_GT(alone_gap, 50 * seamless_gap) << model;
#ifdef HSI_TEST_MPI
    const test::CliResult two = test::run_hsi_under_mpirun(2, {"predict", "--model", ckpt, "--inputs", cut.dir.file("tiles/*.tif"), "--out-dir",
                                                             cut.dir.file(model + "_mpi"), "--threads", "1", "--precision", "fp32"});
    ASSERT_EQ(two.exit_code, 0) << two.out << two.err;
    EXPECT_EQ(cut.assembled(model + "_mpi"), expected) << model << " under mpirun -np 2";
    EXPECT_LT(cut.confidence_gap(model + "_mpi", whole_confidence), 1e-5) << model;
#endif
  }
}

// --format / predict.format: the same map as ENVI (header with the legend) or COG, from hsi
// predict, batch mode and hsi train alike.
TEST(BatchPredict, MapsInEnviAndCogFormats) {
  CutScene cut;
  const test::CliResult train = test::run_hsi({"train", "--data.cube", cut.dir.file("scene.tif"), "--data.labels", cut.dir.file("gt.tif"), "--model",
                                               "ms2d", "--patch", "7", "--model.width", "8", "--train.epochs", "1", "--train.min_steps", "4",
                                               "--predict.format", "ENVI", "--out", cut.dir.file("run")});
  ASSERT_EQ(train.exit_code, 0) << train.err;
  for (const char* f : {"map.img", "map.hdr", "confidence.img", "confidence.hdr", "map.png"}) EXPECT_TRUE(fs::exists(cut.dir.file("run/") + f)) << f;
  EXPECT_FALSE(fs::exists(cut.dir.file("run/map.tif")));
  const std::string ckpt = cut.dir.file("run/best.ckpt");
  const test::CliResult tif = test::run_hsi({"predict", "--model", ckpt, "--input", cut.dir.file("scene.tif"), "--out", cut.dir.file("whole.tif")});
  ASSERT_EQ(tif.exit_code, 0) << tif.err;
  const test::CliResult envi = test::run_hsi(
      {"predict", "--model", ckpt, "--input", cut.dir.file("scene.tif"), "--out", cut.dir.file("whole.img"), "--format", "ENVI", "--probabilities"});
  ASSERT_EQ(envi.exit_code, 0) << envi.err;
  EXPECT_NE(envi.out.find("whole_probabilities.img"), std::string::npos) << envi.out;
  // The class probabilities in the map's format, a band per class named after it.
  const Cube probabilities = read_cube(cut.dir.file("whole_probabilities.img"));
  EXPECT_EQ(probabilities.bands, 3);
  EXPECT_NE(test::slurp(cut.dir.file("whole_probabilities.hdr")).find("band names = {"), std::string::npos);
  const LabelMap a = read_labels(cut.dir.file("whole.tif")), b = read_labels(cut.dir.file("whole.img"));
  EXPECT_EQ(a.labels, b.labels);
  EXPECT_EQ(a.geo.geotransform, b.geo.geotransform);
  EXPECT_EQ(read_labels(cut.dir.file("run/map.img")).labels, a.labels);
  EXPECT_EQ(read_class_table(cut.dir.file("whole.img")).size(), 3u);
  EXPECT_TRUE(fs::exists(cut.dir.file("whole_confidence.img")));
  EXPECT_NE(test::slurp(cut.dir.file("whole.hdr")).find("class names = {"), std::string::npos);

  const test::CliResult cog = test::run_hsi(
      {"predict", "--model", ckpt, "--inputs", cut.dir.file("tiles/*.tif"), "--out-dir", cut.dir.file("cog"), "--format", "COG", "--probabilities"});
  ASSERT_EQ(cog.exit_code, 0) << cog.err;
  EXPECT_EQ(read_cube(cut.dir.file("cog/r0c0_probabilities.tif")).bands, 3);
  EXPECT_NE(test::slurp(cut.dir.file("cog/r0c0_probabilities.tif")).find("LAYOUT=IFDS_BEFORE_DATA"), std::string::npos);
  EXPECT_EQ(cut.assembled("cog"), a.labels);
  EXPECT_TRUE(fs::exists(cut.dir.file("cog/mosaic.vrt")));
  EXPECT_NE(test::slurp(cut.dir.file("cog/r0c0_map.tif")).find("LAYOUT=IFDS_BEFORE_DATA"), std::string::npos) << "COG ghost header";

  const test::CliResult bad = test::run_hsi({"predict", "--model", ckpt, "--input", cut.dir.file("scene.tif"), "--out", cut.dir.file("x.jpg"), "--format", "JPEG"});
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_NE(bad.err.find("--format"), std::string::npos) << bad.err;
  EXPECT_FALSE(fs::exists(cut.dir.file("x.jpg")));
}

// --precision bf16 (emulated where the CPU lacks it, as here when hsi version says so) gives the
// float32 map on at least 99.9 % of pixels; auto picks what the CPU computes natively.
TEST(BatchPredict, Bfloat16MapsAgreeWithFloat32) {
  CutScene cut;
  const std::string ckpt = cut.checkpoint("ms2d");
  const auto predict = [&](const std::string& precision) {
    const test::CliResult r = test::run_hsi({"predict", "--model", ckpt, "--input", cut.dir.file("scene.tif"), "--out",
                                             cut.dir.file(precision + ".tif"), "--precision", precision});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return r.out;
  };
  EXPECT_NE(predict("fp32").find(", fp32, "), std::string::npos);
  EXPECT_NE(predict("bf16").find(", bf16, "), std::string::npos);
  const test::CliResult version = test::run_hsi({"version"});
  const bool native = version.out.find("bfloat16: native") != std::string::npos;
  EXPECT_NE(predict("auto").find(native ? ", bf16, " : ", fp32, "), std::string::npos) << version.out;
  const std::vector<int32_t> a = read_labels(cut.dir.file("fp32.tif")).labels, b = read_labels(cut.dir.file("bf16.tif")).labels;
  int64_t same = 0;
  for (size_t i = 0; i < a.size(); ++i) same += a[i] == b[i];
  EXPECT_GE(static_cast<double>(same), 0.999 * static_cast<double>(a.size())) << same << " of " << a.size();
  const Cube ca = read_cube(cut.dir.file("fp32_confidence.tif")), cb = read_cube(cut.dir.file("bf16_confidence.tif"));
  double gap = 0;
  for (size_t i = 0; i < ca.data.size(); ++i) gap = std::max(gap, static_cast<double>(std::abs(ca.data[i] - cb.data[i])));
  EXPECT_GT(gap, 0.0) << "bf16 arithmetic should move the confidences a little: was it used?";
  EXPECT_LT(gap, 0.1);
  const test::CliResult bad = test::run_hsi({"predict", "--model", ckpt, "--input", cut.dir.file("scene.tif"), "--out", cut.dir.file("x.tif"),
                                             "--precision", "fp16"});
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_NE(bad.err.find("--precision"), std::string::npos) << bad.err;
}

// Inputs that do not share the grid are classified alone, said in the log.
TEST(BatchPredict, InputsOffTheGridAreClassifiedAlone) {
  CutScene cut;
  const std::string ckpt = cut.checkpoint("ms2d");
  Cube other = crop(cut.scene.cube, 0, 0, 10, 10);
  other.geo.geotransform[1] = 7.4;  // another pixel size
  other.geo.geotransform[5] = -7.4;
  write_cube_geotiff(cut.dir.file("tiles/zz_coarse.tif"), other);
  const test::CliResult r =
      test::run_hsi({"predict", "--model", ckpt, "--inputs", cut.dir.file("tiles/*.tif"), "--out-dir", cut.dir.file("maps")});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("zz_coarse.tif is classified alone (other pixel size"), std::string::npos) << r.out;
  EXPECT_TRUE(fs::exists(cut.dir.file("maps/zz_coarse_map.tif")));
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
