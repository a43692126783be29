// Bad input through the real hsi binary: a non-zero exit, one clear error line naming the file
// and the problem, no crash, no output left behind.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <set>

#include "io/reader.hpp"
#include "io/writer.hpp"
#include "support/run_cli.hpp"
#include "support/synthetic.hpp"
#include "test_paths.hpp"

namespace fs = std::filesystem;

namespace hsi {
namespace {

const std::string kCube = std::string(HSI_PROJECT_DATA) + "/SalinasA.mat";
const std::string kGt = std::string(HSI_PROJECT_DATA) + "/SalinasA_gt.mat";

std::string write_ini(const test::TempDir& dir, const std::string& name, const std::string& body) {
  const std::string path = dir.file(name);
  std::ofstream(path) << body;
  return path;
}

std::string scene_ini(const std::string& cube, const std::string& labels) {
  return "[data]\ncube = " + cube + "\nlabels = " + labels + "\n[train]\nepochs = 1\nmin_steps = 1\n";
}

void expect_clean_failure(const test::CliResult& r, int exit_code, const std::vector<std::string>& mentions, const std::string& out_dir) {
  EXPECT_EQ(r.exit_code, exit_code) << r.err;
  EXPECT_GT(r.exit_code, 0) << "crashed or succeeded: " << r.err;
  // One error line.
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
  for (const auto& m : mentions) EXPECT_NE(r.err.find(m), std::string::npos) << "'" << m << "' missing from: " << r.err;
  if (!out_dir.empty()) {
    EXPECT_TRUE(!fs::exists(out_dir) || fs::is_empty(out_dir)) << "output left in " << out_dir;
  }
}

TEST(BadInput, InfoOnMissingFile) {
  expect_clean_failure(test::run_hsi({"info", "/no/such/cube.tif"}), 3, {"/no/such/cube.tif", "file not found"}, "");
}

TEST(BadInput, TruncatedMatFile) {
  test::TempDir dir;
  test::truncate_copy(kCube, dir.file("cut.mat"), test::file_size(kCube) / 2);
  const std::string ini = write_ini(dir, "s.ini", scene_ini(dir.file("cut.mat"), kGt));
  expect_clean_failure(test::run_hsi({"train", "--config", ini, "--out", dir.file("out")}), 3, {"cut.mat"}, dir.file("out"));
}

TEST(BadInput, VariableNotFound) {
  test::TempDir dir;
  const std::string ini = write_ini(dir, "s.ini", scene_ini(kCube + ":nothere", kGt));
  expect_clean_failure(test::run_hsi({"train", "--config", ini, "--out", dir.file("out")}), 3, {"SalinasA.mat", "no variable 'nothere'"},
                       dir.file("out"));
}

TEST(BadInput, LabelMapOfAnotherSize) {
  test::TempDir dir;
  const std::string other = std::string(HSI_PROJECT_DATA) + "/ground_truth/indian_pines/Indian_pines_gt.mat";
  const std::string ini = write_ini(dir, "s.ini", scene_ini(kCube, other));
  expect_clean_failure(test::run_hsi({"train", "--config", ini, "--out", dir.file("out")}), 3, {"Indian_pines_gt.mat", "145 x 145", "83 x 86"},
                       dir.file("out"));
}

TEST(BadInput, CubeWithNaN) {
  test::TempDir dir;
  test::SyntheticScene s = test::make_scene(10, 10, 4, 2, 1);
  s.cube.data[17] = std::nanf("");
  s.cube.data[33] = INFINITY;
  write_cube_geotiff(dir.file("nan.tif"), s.cube);
  write_class_map(dir.file("gt.tif"), 10, 10, s.labels.labels, ClassTable::from_ids({1, 2}), GeoInfo{});
  const std::string ini = write_ini(dir, "s.ini", scene_ini(dir.file("nan.tif"), dir.file("gt.tif")));
  expect_clean_failure(test::run_hsi({"train", "--config", ini, "--out", dir.file("out")}), 3, {"nan.tif", "2 NaN/Inf"}, dir.file("out"));
  // Accepted when NaN pixels are declared nodata.
  const test::CliResult ok = test::run_hsi({"split", "--config", ini, "--data.nan_policy", "nodata", "--out", dir.file("split")});
  EXPECT_EQ(ok.exit_code, 0) << ok.err;
}

TEST(BadInput, ConfigProblemsNameTheKey) {
  test::TempDir dir;
  const std::string base = scene_ini(kCube, kGt);
  struct Case {
    std::string extra, mention;
  };
  for (const Case& c : {Case{"[train]\nepochz = 3\n", "train.epochz"}, Case{"[train]\nbatch_size = many\n", "train.batch_size"},
                        Case{"[model]\npatch = 4\n", "model.patch"}, Case{"[model]\npatch = 0\n", "model.patch"},
                        Case{"[split]\nmode = random\n", "split.mode"}, Case{"[model]\nname = auto\n[select]\ncandidates = ms2d, svm\n", "select.candidates"},
                        Case{"[model]\nname = auto\n[select]\ncandidates = ms2d:5, svm:3\n", "select.candidates"},
                        Case{"[model]\nname = automatic\n", "model.name"}, Case{"[select]\nfolds = 1\n", "select.folds"}}) {
    const std::string ini = write_ini(dir, "bad.ini", base + c.extra);
    expect_clean_failure(test::run_hsi_in_process({"train", "--config", ini, "--out", dir.file("out")}), 2, {c.mention}, dir.file("out"));
  }
  expect_clean_failure(
      test::run_hsi_in_process({"train", "--config", write_ini(dir, "ok.ini", base), "--train.epochs", "-3", "--out", dir.file("out")}), 2,
      {"train.epochs"}, dir.file("out"));
}

TEST(BadInput, PredictWithSomethingThatIsNotACheckpoint) {
  test::TempDir dir;
  std::ofstream(dir.file("model.ckpt")) << "hello";
  expect_clean_failure(test::run_hsi({"predict", "--model", dir.file("model.ckpt"), "--input", kCube, "--out", dir.file("map.tif")}), 3,
                       {"model.ckpt", "not an hsi checkpoint"}, "");
  EXPECT_FALSE(fs::exists(dir.file("map.tif")));
}

TEST(BadInput, OutputPathEqualToInput) {
  test::TempDir dir;
  fs::copy_file(kCube, dir.file("cube.mat"));
  std::ofstream(dir.file("model.ckpt")) << "x";
  const test::CliResult r = test::run_hsi({"predict", "--model", dir.file("model.ckpt"), "--input", dir.file("cube.mat"), "--out", dir.file("cube.mat")});
  expect_clean_failure(r, 4, {"cube.mat", "same file as an input"}, "");
  EXPECT_EQ(test::file_size(dir.file("cube.mat")), test::file_size(kCube));
}

// hsi train / split writing into the folder that holds their inputs under output names: refused
// before anything is read, the inputs untouched.
TEST(BadInput, TrainingOutputsOverItsOwnInputsAreRefused) {
  test::TempDir dir;
  fs::copy_file(kCube, dir.file("map.tif"));  // a cube that happens to be called map.tif
  fs::copy_file(kGt, dir.file("report.json"));
  const std::string ini = write_ini(dir, "s.ini", scene_ini(dir.file("map.tif"), dir.file("report.json")));
  expect_clean_failure(test::run_hsi_in_process({"train", "--config", ini, "--out", dir.path()}), 4, {"map.tif", "same file as an input"}, "");
  fs::copy_file(kGt, dir.file("test.tif"));
  const std::string split_ini = write_ini(dir, "t.ini", scene_ini(kCube, dir.file("test.tif")));
  expect_clean_failure(test::run_hsi_in_process({"split", "--config", split_ini, "--out", dir.path()}), 4, {"test.tif", "same file as an input"}, "");
  EXPECT_EQ(test::file_size(dir.file("map.tif")), test::file_size(kCube));
  EXPECT_EQ(test::file_size(dir.file("test.tif")), test::file_size(kGt));
}

// A training that fails after it started writing (here the loss diverges in the first epoch)
// leaves no half-made output folder behind, unless the folder was there before.
TEST(BadInput, AFailedRunRemovesTheFolderItCreated) {
  test::TempDir dir;
  const std::string ini = write_ini(dir, "s.ini", scene_ini(kCube, kGt) + "lr = 1e30\n");
  const test::CliResult r = test::run_hsi({"train", "--config", ini, "--out", dir.file("run")});
  EXPECT_EQ(r.exit_code, 3) << r.err;
  EXPECT_NE(r.err.find("finite"), std::string::npos) << r.err;
  EXPECT_FALSE(fs::exists(dir.file("run"))) << "split/ and settings of a run that never trained were left";
  fs::create_directories(dir.file("mine"));
  std::ofstream(dir.file("mine/notes.txt")) << "the user's";
  std::ofstream(dir.file("mine/report.md")) << "an earlier run's report";
  const test::CliResult again = test::run_hsi({"train", "--config", ini, "--out", dir.file("mine")});
  EXPECT_EQ(again.exit_code, 3) << again.err;
  // In the user's folder: what was there stays, what this run wrote (split/, settings) goes.
  std::set<std::string> left;
  for (const auto& e : fs::recursive_directory_iterator(dir.file("mine"))) left.insert(fs::relative(e.path(), dir.file("mine")).string());
  EXPECT_EQ(left, (std::set<std::string>{"notes.txt", "report.md"}));
  EXPECT_EQ(test::slurp(dir.file("mine/report.md")), "an earlier run's report");
}

// A failed experiment leaves no folder behind: neither when the scene cannot be read nor when
// its first run cannot train (red before: an empty folder, or runs/ with a half-made run).
TEST(BadInput, AFailedExperimentRemovesTheFoldersItCreated) {
  test::TempDir dir;
  const std::string missing = write_ini(dir, "m.ini", scene_ini(dir.file("none.mat"), kGt));
  test::CliResult r = test::run_hsi({"experiment", "--config", missing, "--models", "unmix", "--runs", "1", "--out", dir.file("exp/nested")});
  EXPECT_EQ(r.exit_code, 3) << r.err;
  EXPECT_FALSE(fs::exists(dir.file("exp"))) << r.err;
  const std::string diverging = write_ini(dir, "s.ini", scene_ini(kCube, kGt) + "lr = 1e30\n");
  r = test::run_hsi({"experiment", "--config", diverging, "--runs", "1", "--threads", "1", "--out", dir.file("exp")});
  EXPECT_EQ(r.exit_code, 3) << r.err;
  EXPECT_NE(r.err.find("finite"), std::string::npos) << r.err;
  EXPECT_FALSE(fs::exists(dir.file("exp"))) << r.err;
  // A folder of the user's stays.
  fs::create_directories(dir.file("mine"));
  r = test::run_hsi({"experiment", "--config", missing, "--models", "unmix", "--runs", "1", "--out", dir.file("mine")});
  EXPECT_EQ(r.exit_code, 3) << r.err;
  EXPECT_TRUE(fs::is_directory(dir.file("mine")));
}

TEST(BadInput, ABatchThatCannotStartLeavesNoFolder) {
  test::TempDir dir;
  const test::CliResult r =
      test::run_hsi({"predict", "--model", dir.file("missing.ckpt"), "--inputs", kCube, "--out-dir", dir.file("maps/today")});
  EXPECT_EQ(r.exit_code, 3) << r.err;
  EXPECT_NE(r.err.find("missing.ckpt"), std::string::npos) << r.err;
  EXPECT_FALSE(fs::exists(dir.file("maps"))) << r.err;
}

// A disk that fills up while training (here: a file-size limit the checkpoint crosses) is one
// line, exit 4, no temporary file, and the checkpoints of the previous run in the folder intact.
TEST(BadInput, ADiskFullWhileTrainingKeepsThePreviousCheckpoint) {
  test::TempDir dir;
  const std::string ini = write_ini(dir, "s.ini", scene_ini(kCube, kGt));
  const test::CliResult first = test::run_hsi({"train", "--config", ini, "--out", dir.file("run"), "--finetune.enabled", "false"});
  ASSERT_EQ(first.exit_code, 0) << first.err;
  const std::string before = test::slurp(dir.file("run/best.ckpt"));
  ASSERT_GT(before.size(), 300000u);
  const test::CliResult full = test::run_hsi_with_file_size_limit(
      200000, {"train", "--config", ini, "--out", dir.file("run"), "--finetune.enabled", "false", "--seed", "7"});
  EXPECT_EQ(full.exit_code, 4) << full.err;
  EXPECT_EQ(std::count(full.err.begin(), full.err.end(), '\n'), 1) << full.err;
  EXPECT_NE(full.err.find("ckpt"), std::string::npos) << full.err;
  EXPECT_NE(full.err.find("File too large"), std::string::npos) << full.err;
  EXPECT_EQ(test::slurp(dir.file("run/best.ckpt")), before);
  for (const auto& e : fs::recursive_directory_iterator(dir.file("run")))
    EXPECT_EQ(e.path().filename().string().find(".tmp"), std::string::npos) << e.path();
}

TEST(BadInput, UnwritableOutputFolder) {
  test::TempDir dir;
  const std::string ini = write_ini(dir, "s.ini", scene_ini(kCube, kGt));
  expect_clean_failure(test::run_hsi({"split", "--config", ini, "--out", "/nonexistent/dir/split"}), 4, {"/nonexistent/dir"}, "");
}

// The output folder is checked as a folder: a folder of the user's named like a file the check
// once made up ("probe") beside or inside it failed runs that work (red before the fix).
TEST(BadInput, TheOutputFolderIsCheckedAsAFolderNotThroughAFileNameInIt) {
  test::TempDir dir;
  const std::string ini = write_ini(dir, "s.ini", scene_ini(kCube, kGt));
  fs::create_directories(dir.file("probe"));
  fs::create_directories(dir.file("old/probe"));
  for (const std::string& out : {dir.file("new"), dir.file("old")}) {
    const test::CliResult r = test::run_hsi_in_process({"split", "--config", ini, "--out", out});
    EXPECT_EQ(r.exit_code, 0) << out << ": " << r.err;
    EXPECT_TRUE(fs::exists(out + "/train.tif")) << out;
  }
  fs::create_directories(dir.file("exp/probe"));
  const test::CliResult r = test::run_hsi_in_process(
      {"experiment", "--config", ini, "--models", "unmix", "--runs", "1", "--splits", "fixed:2", "--threads", "1", "--out", dir.file("exp")});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(fs::exists(dir.file("exp/table.md")));
  // A file where the folder should be is still refused, naming it.
  std::ofstream(dir.file("plain")) << "x";
  expect_clean_failure(test::run_hsi_in_process({"split", "--config", ini, "--out", dir.file("plain")}), 4, {dir.file("plain"), "not a folder"}, "");
}

// Relative paths in a config are read from the folder hsi runs in. Run from another folder, the
// error says so and names the folder they are found from, instead of a bare "file not found".
TEST(BadInput, RelativeConfigPathsFromAnotherFolderSayWhereTheyAreFound) {
  test::TempDir dir;
  fs::create_directories(dir.file("project/configs"));
  fs::create_directories(dir.file("project/data"));
  fs::copy_file(kCube, dir.file("project/data/cube.mat"));
  fs::copy_file(kGt, dir.file("project/data/gt.mat"));
  const std::string ini = write_ini(dir, "project/configs/s.ini", scene_ini("data/cube.mat:salinasA", "data/gt.mat"));
  const fs::path before = fs::current_path();
  fs::current_path(dir.path());
  const test::CliResult elsewhere = test::run_hsi_in_process({"split", "--config", ini, "--out", dir.file("a")});
  fs::current_path(dir.file("project"));
  const test::CliResult there = test::run_hsi_in_process({"split", "--config", ini, "--out", dir.file("b")});
  const test::CliResult missing =
      test::run_hsi_in_process({"split", "--config", ini, "--data.cube", "data/none.mat", "--out", dir.file("c")});
  fs::current_path(before);
  expect_clean_failure(elsewhere, 3, {"data/cube.mat:salinasA", "relative paths in a config", "found from " + dir.file("project")}, dir.file("a"));
  EXPECT_EQ(there.exit_code, 0) << there.err;
  expect_clean_failure(missing, 3, {"data/none.mat", "file not found"}, dir.file("c"));
  EXPECT_EQ(missing.err.find("found from"), std::string::npos) << missing.err;
}

// Outputs that would overwrite each other or an input are refused before anything is read.
TEST(BadInput, CollidingOutputsAreRefusedBeforeAnyWork) {
  test::TempDir dir;
  std::ofstream(dir.file("model.ckpt")) << "x";
  // --out map.png: the PNG quick-look would overwrite the map.
  expect_clean_failure(test::run_hsi_in_process({"predict", "--model", dir.file("model.ckpt"), "--input", kCube, "--out", dir.file("map.png")}), 2,
                       {"map.png", "two outputs"}, "");
  expect_clean_failure(test::run_hsi_in_process({"predict", "--model", dir.file("model.ckpt"), "--input", kCube, "--out", dir.file("m.tif"),
                                                 "--confidence", dir.file("m.tif")}),
                       2, {"m.tif", "two outputs"}, "");
  // A folder or a hidden name as an output file ("--out maps/" wrote maps/.tif, maps/_confidence.tif).
  fs::create_directories(dir.file("maps"));
  for (const std::string& out : {dir.file("maps") + "/", dir.file("maps/.tif"), dir.file("new/")}) {
    expect_clean_failure(test::run_hsi_in_process({"predict", "--model", dir.file("model.ckpt"), "--input", kCube, "--out", out}), 4,
                         {out}, dir.file("maps"));
  }
  expect_clean_failure(test::run_hsi_in_process({"evaluate", "--pred", kGt, "--truth", kGt, "--out", dir.file("maps") + "/"}), 4,
                       {dir.file("maps") + "/.json", "hidden"}, dir.file("maps"));
  fs::remove(dir.file("maps"));
  // Two batch inputs with one file name would map to one output.
  fs::create_directories(dir.file("a"));
  fs::create_directories(dir.file("b"));
  std::ofstream(dir.file("a/tile.tif")) << "x";
  std::ofstream(dir.file("b/tile.tif")) << "x";
  expect_clean_failure(test::run_hsi_in_process({"predict", "--model", dir.file("model.ckpt"), "--inputs", dir.file("*/tile.tif"), "--out-dir",
                                                 dir.file("maps")}),
                       2, {"tile_map.tif", "distinct file names"}, dir.file("maps"));
  EXPECT_FALSE(fs::exists(dir.file("maps")));
}

// Valid but unusual settings and habits: a folder as --config, a UTF-8 byte-order mark, absurd
// thread counts and memory budgets, a batch of one, a label map of a single class.
TEST(BadInput, UnusualSettingsGetAClearAnswer) {
  test::TempDir dir;
  expect_clean_failure(test::run_hsi_in_process({"model-info", "--config", dir.path()}), 2, {dir.path(), "is a folder"}, "");
  std::ofstream(dir.file("bom.ini")) << "\xEF\xBB\xBF[model]\nname = ms1d\n";
  const test::CliResult bom = test::run_hsi_in_process({"model-info", "--config", dir.file("bom.ini"), "--bands", "20", "--classes", "3"});
  EXPECT_EQ(bom.exit_code, 0) << bom.err;
  EXPECT_NE(bom.out.find("ms1d"), std::string::npos) << bom.out;
  const std::string ini = write_ini(dir, "s.ini", scene_ini(kCube, kGt));
  expect_clean_failure(test::run_hsi_in_process({"split", "--config", ini, "--threads", "99999999", "--out", dir.file("o")}), 2,
                       {"--threads 99999999"}, dir.file("o"));
  expect_clean_failure(test::run_hsi_in_process({"train", "--config", ini, "--predict.ram_mb", "999999999999", "--out", dir.file("o")}), 2,
                       {"predict.ram_mb"}, dir.file("o"));
  expect_clean_failure(test::run_hsi_in_process({"train", "--config", ini, "--train.batch_size", "1", "--out", dir.file("o")}), 2,
                       {"train.batch_size"}, dir.file("o"));
  // A label map of one class.
  LabelMap one;
  one.rows = 83;
  one.cols = 86;
  one.labels.assign(83 * 86, 0);
  for (int i = 0; i < 100; ++i) one.labels[i] = 4;
  write_class_map(dir.file("one.tif"), 83, 86, one.labels, ClassTable::from_ids({4}), GeoInfo{});
  expect_clean_failure(test::run_hsi({"train", "--config", write_ini(dir, "one.ini", scene_ini(kCube, dir.file("one.tif"))), "--out", dir.file("o")}),
                       3, {"one.tif", "single class"}, dir.file("o"));
}

TEST(Cli, InfoAndVersionWork) {
  const test::CliResult info = test::run_hsi({"info", kCube});
  EXPECT_EQ(info.exit_code, 0) << info.err;
  EXPECT_NE(info.out.find("83 rows x 86 columns x 224 bands"), std::string::npos) << info.out;
  const test::CliResult version = test::run_hsi({"version", "--threads", "2"});
  EXPECT_EQ(version.exit_code, 0);
  EXPECT_NE(version.out.find("threads: 2"), std::string::npos) << version.out;
  EXPECT_NE(version.out.find("BLAS: "), std::string::npos);
}

}  // namespace
}  // namespace hsi

namespace hsi {
namespace {

// Every shipped scene config parses with the real option parser (unknown keys would fail).
TEST(Configs, EveryShippedConfigParses) {
  int seen = 0;
  for (const auto& entry : fs::directory_iterator(std::string(HSI_PROJECT_ROOT) + "/configs")) {
    if (entry.path().extension() != ".ini") continue;
    ++seen;
    const test::CliResult r = test::run_hsi_in_process({"model-info", "--config", entry.path().string(), "--bands", "30", "--classes", "6"});
    EXPECT_EQ(r.exit_code, 0) << entry.path() << ": " << r.err;
    EXPECT_NE(r.out.find("parameters:"), std::string::npos);
  }
  EXPECT_GE(seen, 8);
}

}  // namespace
}  // namespace hsi

namespace hsi {
namespace {

// A real (tiny) training through the CLI, shared by the prediction tests.
const std::string& trained_checkpoint() {
  static test::TempDir dir;
  static const std::string ckpt = [] {
    const test::CliResult r = test::run_hsi({"train", "--config", std::string(HSI_PROJECT_ROOT) + "/configs/salinas_a.ini", "--data.cube", kCube,
                                             "--data.labels", kGt, "--model", "ms2d", "--patch", "5", "--model.width", "8", "--train.epochs", "2",
                                             "--train.min_steps", "4", "--finetune.enabled", "false", "--out", dir.file("run")});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return dir.file("run/best.ckpt");
  }();
  return ckpt;
}

TEST(Predict, WritesGeoreferencedMapConfidenceAndPng) {
  test::TempDir dir;
  const test::CliResult r = test::run_hsi({"predict", "--model", trained_checkpoint(), "--input", kCube, "--out", dir.file("map.tif")});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  for (const char* f : {"map.tif", "map_confidence.tif", "map.png"}) EXPECT_TRUE(fs::exists(dir.file(f))) << f;
  const test::CliResult eval = test::run_hsi({"evaluate", "--pred", dir.file("map.tif"), "--truth", kGt, "--out", dir.file("eval")});
  EXPECT_EQ(eval.exit_code, 0) << eval.err;
  EXPECT_NE(eval.out.find("overall accuracy (OA)"), std::string::npos);
  EXPECT_TRUE(fs::exists(dir.file("eval.json")));
}

TEST(Predict, CubeWithAnotherBandCountIsRefused) {
  test::TempDir dir;
  test::SyntheticScene s = test::make_scene(20, 20, 100, 2, 1);
  write_cube_geotiff(dir.file("other.tif"), s.cube);
  const test::CliResult r = test::run_hsi({"predict", "--model", trained_checkpoint(), "--input", dir.file("other.tif"), "--out", dir.file("map.tif")});
  expect_clean_failure(r, 3, {"other.tif", "100 bands", "224"}, "");
  EXPECT_FALSE(fs::exists(dir.file("map.tif")));
}

TEST(Predict, TruncatedCheckpointIsRefused) {
  test::TempDir dir;
  test::truncate_copy(trained_checkpoint(), dir.file("cut.ckpt"), test::file_size(trained_checkpoint()) / 2);
  const test::CliResult r = test::run_hsi({"predict", "--model", dir.file("cut.ckpt"), "--input", kCube, "--out", dir.file("map.tif")});
  expect_clean_failure(r, 3, {"cut.ckpt"}, "");
  EXPECT_FALSE(fs::exists(dir.file("map.tif")));
}

}  // namespace
}  // namespace hsi

namespace hsi {
namespace {

// The nodata model through the binary: a pixel with the nodata value (or NaN) in any band the
// model uses is masked and left unclassified, whatever its other bands hold; bands the model
// does not use are never looked at; a band without data anywhere is named; the label raster's
// nodata value is no class; hsi info counts all of it.
struct NodataScene {
  test::TempDir dir;
  test::SyntheticScene s = test::make_scene(30, 30, 10, 3, 4);
  NodataScene() {
    s.cube.geo.nodata = -9999.0;
    for (int64_t y = 5; y < 10; ++y)
      for (int64_t x = 5; x < 10; ++x) s.cube.data[(y * 30 + x) * 10 + 3] = -9999.0f;  // band 4 only
    for (int64_t p = 0; p < 900; ++p) s.cube.data[p * 10 + 9] = std::nanf("");     // band 10 everywhere
    write_cube_geotiff(dir.file("cube.tif"), s.cube);
    Cube labels;
    labels.rows = labels.cols = 30;
    labels.bands = 1;
    labels.geo = s.cube.geo;
    labels.geo.nodata = 255.0;
    for (int64_t p = 0; p < 900; ++p) labels.data.push_back(static_cast<float>(p % 97 == 0 ? 255 : s.labels.labels[p]));
    write_cube_geotiff(dir.file("labels.tif"), labels);
  }
  std::vector<std::string> train(const std::string& out, std::vector<std::string> extra) const {
    std::vector<std::string> args = {"train", "--data.cube", dir.file("cube.tif"), "--data.labels", dir.file("labels.tif"), "--patch", "3",
                                     "--model.width", "8", "--train.epochs", "2", "--train.min_steps", "20", "--out", dir.file(out)};
    args.insert(args.end(), extra.begin(), extra.end());
    return args;
  }
};

TEST(Nodata, PartialNodataIsMaskedDroppedBandsAreIgnoredLabelNodataIsNoClass) {
  NodataScene scene;
  const test::CliResult info = test::run_hsi({"info", scene.dir.file("cube.tif")});
  ASSERT_EQ(info.exit_code, 0) << info.err;
  EXPECT_NE(info.out.find("0 pixels in every band, 25 in some bands"), std::string::npos) << info.out;
  EXPECT_NE(info.out.find("empty bands: 10"), std::string::npos) << info.out;
  const test::CliResult labels = test::run_hsi({"info", "--labels", scene.dir.file("labels.tif")});
  EXPECT_NE(labels.out.find("255 (the raster's nodata value: unlabelled)"), std::string::npos) << labels.out;
  EXPECT_NE(labels.out.find("classes: 3"), std::string::npos) << labels.out;

  // Band 10 is NaN everywhere: named, whatever the NaN policy ...
  expect_clean_failure(test::run_hsi(scene.train("a", {"--data.nan_policy", "nodata"})), 3, {"cube.tif", "band(s) 10", "drop_bands = 10"},
                       scene.dir.file("a"));
  expect_clean_failure(test::run_hsi(scene.train("b", {})), 3, {"cube.tif", "NaN/Inf values in the bands used"}, scene.dir.file("b"));
  // ... and irrelevant once dropped, with the default policy (error).
  const test::CliResult ok = test::run_hsi(scene.train("c", {"--data.drop_bands", "10"}));
  ASSERT_EQ(ok.exit_code, 0) << ok.err;
  const LabelMap map = read_labels(scene.dir.file("c/map.tif"));
  for (int64_t y = 5; y < 10; ++y)
    for (int64_t x = 5; x < 10; ++x) EXPECT_EQ(map.labels[y * 30 + x], 0) << "pixel " << y << "," << x << " has nodata in band 4";
  EXPECT_NE(map.labels[0 * 30 + 20], 0);
  // Class rows start with "| id |"; the text elsewhere holds paths whose random folder names may contain "255".
  const std::string report = test::slurp(scene.dir.file("c/report.md"));
  EXPECT_EQ(report.find("\n| 255 |"), std::string::npos) << "the label nodata value became a class:\n" << report;
  EXPECT_NE(report.find("\n| 1 |"), std::string::npos) << "the class table is not where this test looks for it:\n" << report;
  // Prediction applies the same model to a raster read window by window.
  const test::CliResult predict = test::run_hsi({"predict", "--model", scene.dir.file("c/best.ckpt"), "--input", scene.dir.file("cube.tif"),
                                                 "--out", scene.dir.file("p.tif"), "--tile", "8"});
  ASSERT_EQ(predict.exit_code, 0) << predict.err;
  EXPECT_EQ(read_labels(scene.dir.file("p.tif")).labels, map.labels);
}

}  // namespace
}  // namespace hsi

namespace hsi {
namespace {

// Valid but questionable: each case runs, and says what is odd about it on stderr.
TEST(Questionable, CasesThatRunButAreSaid) {
  test::TempDir dir;
  test::SyntheticScene s = test::make_scene(30, 30, 10, 3, 6);
  write_cube_geotiff(dir.file("cube.tif"), s.cube);
  GeoInfo shifted = s.cube.geo;
  shifted.geotransform[0] += 1000;  // labels drawn on another grid
  write_class_map(dir.file("labels.tif"), 30, 30, s.labels.labels, ClassTable::from_ids({1, 2, 3}), shifted);
  // A 3 x 3 window model with an 8-component PCA from 2 pixels per class.
  const auto train_tiny = [&](const std::vector<std::string>& extra, const std::string& out, const std::string& per_class = "2") {
    std::vector<std::string> args = {"train", "--data.cube", dir.file("cube.tif"), "--data.labels", dir.file("labels.tif"), "--patch", "3",
                                     "--model.width", "8", "--train.epochs", "1", "--train.min_steps", "4", "--split.per_class", per_class,
                                     "--preprocess.pca", "8", "--out", dir.file(out)};
    args.insert(args.end(), extra.begin(), extra.end());
    return test::run_hsi(args);
  };
  const test::CliResult train = train_tiny({"--preprocess.fit_on", "training"}, "run");
  ASSERT_EQ(train.exit_code, 0) << train.err;
  EXPECT_NE(train.err.find("not geo-referenced alike (other geotransform)"), std::string::npos) << train.err;
  EXPECT_NE(train.err.find("preprocess.pca = 8 components from 6 training pixels"), std::string::npos) << train.err;
  // By default (fit_on = auto) such a PCA is fitted on the pixels the training windows cover, and said.
  const test::CliResult widened = train_tiny({"--finetune.enabled", "false"}, "run_auto");
  ASSERT_EQ(widened.exit_code, 0) << widened.err;
  EXPECT_NE(widened.out.find("pixels the 6 training windows cover (preprocess.fit_on = auto"), std::string::npos) << widened.out;
  // Two training pixels a class with the training pixels' means as prototypes: the few-labels
  // setting is named; with it set (or with more pixels), nothing is said.
  EXPECT_NE(widened.out.find("few labels: a class has 2 training pixels"), std::string::npos) << widened.out;
  const test::CliResult propagated = train_tiny({"--finetune.enabled", "false", "--finetune.classifier", "mahalanobis",
                                                 "--finetune.prototypes", "propagated"}, "run_propagated");
  ASSERT_EQ(propagated.exit_code, 0) << propagated.err;
  EXPECT_EQ(propagated.out.find("few labels"), std::string::npos) << propagated.out;
  const test::CliResult four = train_tiny({"--finetune.enabled", "false"}, "run_four", "4");
  ASSERT_EQ(four.exit_code, 0) << four.err;
  EXPECT_EQ(four.out.find("few labels"), std::string::npos) << four.out;
  EXPECT_EQ(widened.err.find("preprocess.pca = 8 components"), std::string::npos) << widened.err;

  // The same scene stored x 1000 (as int16 radiance products often are) on the float model.
  Cube scaled = s.cube;
  for (float& v : scaled.data) v *= 1000;
  write_cube_geotiff(dir.file("scaled.tif"), scaled);
  const test::CliResult far = test::run_hsi({"predict", "--model", dir.file("run/best.ckpt"), "--input", dir.file("scaled.tif"), "--out",
                                             dir.file("scaled_map.tif")});
  ASSERT_EQ(far.exit_code, 0) << far.err;
  EXPECT_NE(far.err.find("another data type or scale"), std::string::npos) << far.err;
  const test::CliResult near = test::run_hsi({"predict", "--model", dir.file("run/best.ckpt"), "--input", dir.file("cube.tif"), "--out",
                                              dir.file("map.tif")});
  ASSERT_EQ(near.exit_code, 0) << near.err;
  EXPECT_EQ(near.err.find("another data type or scale"), std::string::npos) << near.err;

  // --ignore 2 leaves out class 2, and the unlabelled 0 still is no class.
  const test::CliResult eval = test::run_hsi({"evaluate", "--pred", dir.file("map.tif"), "--truth", dir.file("labels.tif"), "--ignore", "2"});
  ASSERT_EQ(eval.exit_code, 0) << eval.err;
  EXPECT_EQ(eval.out.find("class_0"), std::string::npos) << eval.out;
  EXPECT_EQ(eval.out.find("| **0** |"), std::string::npos) << eval.out;
  EXPECT_EQ(eval.out.find("| **2** |"), std::string::npos) << eval.out;
  EXPECT_NE(eval.out.find("| **1** |"), std::string::npos) << eval.out;
}

}  // namespace
}  // namespace hsi

namespace hsi {
namespace {

// --resume continues the run last.ckpt holds: other data, split, preprocessing or model settings
// are refused before anything is written; a folder without last.ckpt is said, then trained.
TEST(Resume, OtherSettingsAreRefusedAndAMissingCheckpointIsSaid) {
  test::TempDir dir;
  const test::SyntheticScene s = test::make_scene(24, 24, 6, 2, 3);
  write_cube_geotiff(dir.file("cube.tif"), s.cube);
  write_class_map(dir.file("gt.tif"), 24, 24, s.labels.labels, ClassTable::from_ids({1, 2}), s.cube.geo);
  const auto train = [&](std::vector<std::string> extra) {
    std::vector<std::string> args = {"train", "--data.cube", dir.file("cube.tif"), "--data.labels", dir.file("gt.tif"), "--model.width", "4",
                                     "--train.min_steps", "4", "--out", dir.file("run")};
    args.insert(args.end(), extra.begin(), extra.end());
    return test::run_hsi(args);
  };
  const test::CliResult fresh = train({"--patch", "3", "--train.epochs", "2", "--resume"});
  ASSERT_EQ(fresh.exit_code, 0) << fresh.err;
  EXPECT_NE(fresh.err.find("holds no last.ckpt"), std::string::npos) << fresh.err;
  const auto written = fs::last_write_time(dir.file("run/report.md"));
  const test::CliResult other = train({"--patch", "5", "--train.epochs", "2", "--resume"});
  EXPECT_EQ(other.exit_code, 2);
  EXPECT_NE(other.err.find("model.patch = 3"), std::string::npos) << other.err;
  EXPECT_EQ(fs::last_write_time(dir.file("run/report.md")), written);
  const test::CliResult more = train({"--patch", "3", "--train.epochs", "3", "--resume"});
  EXPECT_EQ(more.exit_code, 0) << more.err;  // more epochs: the same run, continued
}

// File-system failures (here a symlink loop) name the path and the reason, exit 3, not the
// catch-all internal error.
TEST(FileSystem, ASymlinkLoopIsNamedWithItsReason) {
  test::TempDir dir;
  fs::create_symlink(dir.file("b.tif"), dir.file("a.tif"));
  fs::create_symlink(dir.file("a.tif"), dir.file("b.tif"));
  const test::CliResult r = test::run_hsi({"info", dir.file("a.tif")});
  EXPECT_EQ(r.exit_code, 3) << r.err;
  EXPECT_NE(r.err.find(dir.file("a.tif")), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("symbolic links"), std::string::npos) << r.err;
}

// --classes names the classes of hsi evaluate's report, read the way hsi enrol and a config read
// them; a file without a [classes] table is refused by name before anything is written.
TEST(Evaluate, ClassNamesComeFromTheClassTableAndAFileWithoutOneIsRefused) {
  test::TempDir dir;
  const std::vector<int32_t> ids = {1, 1, 2, 2, 0, 2, 1, 2, 1};
  write_class_map(dir.file("map.tif"), 3, 3, ids, ClassTable::from_ids({1, 2}), GeoInfo{});
  {
    std::ofstream names(dir.file("names.ini"));
    names << "[classes]\nclass = 1 | Asphalt | 808080\nclass = 2 | Meadows | 2e8b57\n";
    std::ofstream empty(dir.file("empty.ini"));
    empty << "[split]\nper_class = 3\n";
  }
  const test::CliResult named = test::run_hsi({"evaluate", "--pred", dir.file("map.tif"), "--truth", dir.file("map.tif"), "--classes",
                                               dir.file("names.ini"), "--out", dir.file("eval")});
  ASSERT_EQ(named.exit_code, 0) << named.err;
  std::ifstream md(dir.file("eval.md"));
  const std::string report((std::istreambuf_iterator<char>(md)), std::istreambuf_iterator<char>());
  EXPECT_NE(report.find("Asphalt"), std::string::npos) << report;
  EXPECT_NE(report.find("Meadows"), std::string::npos) << report;
  expect_clean_failure(test::run_hsi({"evaluate", "--pred", dir.file("map.tif"), "--truth", dir.file("map.tif"), "--classes",
                                      dir.file("empty.ini"), "--out", dir.file("refused")}),
                       3, {"empty.ini", "no [classes]"}, "");
  EXPECT_FALSE(fs::exists(dir.file("refused.json")));
  EXPECT_FALSE(fs::exists(dir.file("refused.md")));
}

}  // namespace
}  // namespace hsi
