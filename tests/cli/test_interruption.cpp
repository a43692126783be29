// Interruption without loss: SIGINT during training stops at a safe point with the last good
// checkpoint intact and --resume reaches the uninterrupted result; SIGKILL during prediction
// leaves nothing under a final name, and a rerun completes.
#include <gtest/gtest.h>
#include <signal.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include <matio.h>

#include "io/reader.hpp"
#include "io/writer.hpp"
#include "support/run_cli.hpp"
#include "support/synthetic.hpp"
#include "test_paths.hpp"

namespace fs = std::filesystem;

namespace hsi {
namespace {

using test::slurp;

std::string line_with(const std::string& text, const std::string& key) {
  const size_t at = text.find(key);
  return at == std::string::npos ? "" : text.substr(at, text.find('\n', at) - at);
}

// The main job's config (fine-tuning on, prototype classifier), made quick.
std::vector<std::string> train_args(const std::string& out) {
  return {"train", "--config", std::string(HSI_PROJECT_ROOT) + "/configs/salinas_a.ini", "--data.cube",
          std::string(HSI_PROJECT_DATA) + "/SalinasA.mat", "--data.labels", std::string(HSI_PROJECT_DATA) + "/SalinasA_gt.mat",
          "--patch", "5", "--model.width", "8", "--train.epochs", "12", "--train.min_steps", "240", "--finetune.enabled", "true",
          "--finetune.epochs", "20", "--threads", "1", "--out", out};
}

// SIGINT once `marker` appears in the log (an epoch line of the stage to interrupt), then
// --resume: exit 130 with a hint, no report before the end, and the uninterrupted run's
// accuracy, confusion matrix and map after it.
void interrupt_and_resume(const std::string& marker, const std::string& resumed_line) {
  test::TempDir dir;
  const test::CliResult full = test::run_hsi(train_args(dir.file("full")));
  ASSERT_EQ(full.exit_code, 0) << full.err;

  const int pid = test::spawn_hsi(train_args(dir.file("cut")), dir.file("out.txt"), dir.file("err.txt"));
  bool seen = false;
  for (int i = 0; i < 6000 && !seen; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
    seen = slurp(dir.file("out.txt")).find(marker) != std::string::npos;
  }
  ASSERT_TRUE(seen) << marker << " never appeared:\n" << slurp(dir.file("out.txt"));
  kill(pid, SIGINT);
  const int code = test::wait_hsi(pid);
  ASSERT_EQ(code, 130) << slurp(dir.file("err.txt"));
  EXPECT_NE(slurp(dir.file("err.txt")).find("--resume"), std::string::npos);
  EXPECT_TRUE(fs::exists(dir.file("cut/last.ckpt")));
  EXPECT_FALSE(fs::exists(dir.file("cut/report.json"))) << "an interrupted run must not look finished";

  std::vector<std::string> resume = train_args(dir.file("cut"));
  resume.push_back("--resume");
  const test::CliResult resumed = test::run_hsi(resume);
  ASSERT_EQ(resumed.exit_code, 0) << resumed.err;
  EXPECT_NE(resumed.out.find(resumed_line), std::string::npos) << resumed.out;
  const std::string a = slurp(dir.file("full/report.json")), b = slurp(dir.file("cut/report.json"));
  for (const char* key : {"\"overall_accuracy\"", "\"average_accuracy\"", "\"kappa\"", "\"counts\""}) {
    EXPECT_EQ(line_with(a, key), line_with(b, key)) << key;
  }
  EXPECT_EQ(slurp(dir.file("full/confusion.csv")), slurp(dir.file("cut/confusion.csv")));
  EXPECT_EQ(read_labels(dir.file("full/map.tif")).labels, read_labels(dir.file("cut/map.tif")).labels);
}

TEST(Interruption, SigintDuringPretrainingThenResumeMatchesAnUninterruptedRun) {
  interrupt_and_resume("epoch   3", "resuming pretraining after epoch");
}

TEST(Interruption, SigintDuringFineTuningThenResumeMatchesAnUninterruptedRun) {
  interrupt_and_resume("finetune   2", "resuming fine-tuning after epoch");
}

// SIGKILL while the maps are being written (their temporary files exist): nothing under a final
// name; the rerun's outputs equal, byte for byte, those of a run that was never interrupted.
TEST(Interruption, SigkillDuringTheWriteLeavesNoFinalFileAndTheRerunMatches) {
  test::TempDir dir;
  test::SyntheticScene s = test::make_scene(240, 240, 16, 3, 4);
  write_cube_geotiff(dir.file("cube.tif"), s.cube);
  write_class_map(dir.file("gt.tif"), 240, 240, s.labels.labels, ClassTable::from_ids({1, 2, 3}), s.cube.geo);
  const test::CliResult train = test::run_hsi({"train", "--data.cube", dir.file("cube.tif"), "--data.labels", dir.file("gt.tif"), "--patch", "9",
                                               "--model.width", "8", "--train.epochs", "1", "--train.min_steps", "2", "--out", dir.file("run")});
  ASSERT_EQ(train.exit_code, 0) << train.err;
  auto predict = [&](const std::string& folder) {
    return std::vector<std::string>{"predict", "--model", dir.file("run/best.ckpt"), "--input", dir.file("cube.tif"), "--out",
                                    dir.file(folder + "/map.tif"), "--route", "patch", "--tile", "32", "--threads", "1"};
  };
  fs::create_directories(dir.file("reference"));
  fs::create_directories(dir.file("maps"));
  const test::CliResult reference = test::run_hsi(predict("reference"));
  ASSERT_EQ(reference.exit_code, 0) << reference.err;

  const int pid = test::spawn_hsi(predict("maps"), dir.file("o.txt"), dir.file("e.txt"));
  bool writing = false;
  for (int i = 0; i < 4000 && !writing; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
    for (const auto& entry : fs::directory_iterator(dir.file("maps"))) writing = writing || entry.path().filename().string().rfind(".map.tmp", 0) == 0;
  }
  ASSERT_TRUE(writing) << "the map's temporary file never appeared\n" << slurp(dir.file("e.txt"));
  std::this_thread::sleep_for(std::chrono::milliseconds(300));  // well inside the tile loop
  kill(pid, SIGKILL);
  ASSERT_EQ(test::wait_hsi(pid), -SIGKILL) << "prediction finished before it could be killed; make the scene larger";
  const std::vector<std::string> outputs = {"map.tif", "map_confidence.tif", "map.png"};
  for (const std::string& f : outputs) EXPECT_FALSE(fs::exists(dir.file("maps/" + f))) << f;

  const test::CliResult rerun = test::run_hsi(predict("maps"));
  ASSERT_EQ(rerun.exit_code, 0) << rerun.err;
  for (const std::string& f : outputs) {
    const std::string expected = slurp(dir.file("reference/" + f)), got = slurp(dir.file("maps/" + f));
    EXPECT_FALSE(expected.empty()) << f;
    EXPECT_TRUE(expected == got) << f << " differs from the uninterrupted run's";
  }
}

// Writes the cube as a MAT v5 file (MATLAB's column-major rows x cols x bands).
void write_mat_cube(const std::string& path, const Cube& cube) {
  std::vector<float> column_major(cube.data.size());
  for (int64_t r = 0; r < cube.rows; ++r)
    for (int64_t c = 0; c < cube.cols; ++c)
      for (int64_t b = 0; b < cube.bands; ++b) column_major[(b * cube.cols + c) * cube.rows + r] = cube.at(r, c, b);
  mat_t* mat = Mat_CreateVer(path.c_str(), nullptr, MAT_FT_MAT5);
  ASSERT_NE(mat, nullptr);
  size_t dims[3] = {static_cast<size_t>(cube.rows), static_cast<size_t>(cube.cols), static_cast<size_t>(cube.bands)};
  matvar_t* var = Mat_VarCreate("cube", MAT_C_SINGLE, MAT_T_SINGLE, 3, dims, column_major.data(), 0);
  Mat_VarWrite(mat, var, MAT_COMPRESSION_NONE);
  Mat_VarFree(var);
  Mat_Close(mat);
}

// SIGINT or SIGTERM while `hsi predict` works, on a GDAL raster read window by window and on a
// .mat cube held in memory: exit 130 within a second, and nothing left in the output folder,
// neither under a final name nor as a temporary file.
TEST(Interruption, PredictStopsWithinASecondAndLeavesNothing) {
  test::TempDir dir;
  test::SyntheticScene s = test::make_scene(360, 360, 16, 3, 4);
  write_cube_geotiff(dir.file("cube.tif"), s.cube);
  write_mat_cube(dir.file("cube.mat"), s.cube);
  write_class_map(dir.file("gt.tif"), 360, 360, s.labels.labels, ClassTable::from_ids({1, 2, 3}), s.cube.geo);
  const test::CliResult train = test::run_hsi({"train", "--data.cube", dir.file("cube.tif"), "--data.labels", dir.file("gt.tif"), "--patch", "9",
                                               "--train.epochs", "1", "--train.min_steps", "2", "--out", dir.file("run")});
  ASSERT_EQ(train.exit_code, 0) << train.err;
  int k = 0;
  for (const std::string input : {"cube.tif", "cube.mat"}) {
    for (const int signal : {SIGINT, SIGTERM}) {
      const std::string out_dir = dir.file("maps" + std::to_string(k++));
      fs::create_directories(out_dir);
      const int pid = test::spawn_hsi({"predict", "--model", dir.file("run/best.ckpt"), "--input", dir.file(input), "--out", out_dir + "/map.tif",
                                       "--route", "patch", "--threads", "1"},
                                      dir.file("o.txt"), dir.file("e.txt"));
      // Signal once the map is being written (its temporary file exists).
      bool writing = false;
      for (int i = 0; i < 4000 && !writing; ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
        writing = !fs::is_empty(out_dir);
      }
      ASSERT_TRUE(writing) << input << ": prediction never started writing\n" << slurp(dir.file("e.txt"));
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
      const auto t0 = std::chrono::steady_clock::now();
      kill(pid, signal);
      const int code = test::wait_hsi(pid);
      const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
      EXPECT_EQ(code, 130) << input << " signal " << signal << "\n" << slurp(dir.file("e.txt"));
#ifdef HSI_TEST_SANITIZED
      const double limit = 10.0;
#else
      const double limit = 1.0;
#endif
      EXPECT_LT(seconds, limit) << input << " signal " << signal;
      std::vector<std::string> left;
      for (const auto& entry : fs::directory_iterator(out_dir)) left.push_back(entry.path().filename().string());
      EXPECT_TRUE(left.empty()) << input << " signal " << signal << ": left " << (left.empty() ? "" : left[0]);
    }
  }
}

}  // namespace
}  // namespace hsi
