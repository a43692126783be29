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

#include "io/writer.hpp"
#include "support/run_cli.hpp"
#include "support/synthetic.hpp"
#include "test_paths.hpp"

namespace fs = std::filesystem;

namespace hsi {
namespace {

std::string slurp(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

std::string line_with(const std::string& text, const std::string& key) {
  const size_t at = text.find(key);
  return at == std::string::npos ? "" : text.substr(at, text.find('\n', at) - at);
}

std::vector<std::string> train_args(const std::string& out) {
  return {"train", "--config", std::string(HSI_PROJECT_ROOT) + "/configs/salinas_a.ini", "--data.cube",
          std::string(HSI_PROJECT_DATA) + "/SalinasA.mat", "--data.labels", std::string(HSI_PROJECT_DATA) + "/SalinasA_gt.mat",
          "--patch", "5", "--model.width", "8", "--train.epochs", "40", "--train.min_steps", "400", "--finetune.enabled", "false",
          "--threads", "2", "--out", out};
}

TEST(Interruption, SigintThenResumeMatchesAnUninterruptedRun) {
  test::TempDir dir;
  const test::CliResult full = test::run_hsi(train_args(dir.file("full")));
  ASSERT_EQ(full.exit_code, 0) << full.err;

  const int pid = test::spawn_hsi(train_args(dir.file("cut")), dir.file("out.txt"), dir.file("err.txt"));
  // Interrupt once a few epochs are checkpointed.
  for (int i = 0; i < 2000; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
    if (slurp(dir.file("out.txt")).find("epoch   3") != std::string::npos) break;
  }
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
  EXPECT_NE(resumed.out.find("resuming pretraining after epoch"), std::string::npos) << resumed.out;
  const std::string a = slurp(dir.file("full/report.json")), b = slurp(dir.file("cut/report.json"));
  for (const char* key : {"\"overall_accuracy\"", "\"average_accuracy\"", "\"kappa\"", "\"counts\""}) {
    EXPECT_EQ(line_with(a, key), line_with(b, key)) << key;
  }
}

TEST(Interruption, SigkillDuringPredictionLeavesNoFinalFile) {
  test::TempDir dir;
  test::SyntheticScene s = test::make_scene(300, 300, 16, 3, 4);
  write_cube_geotiff(dir.file("cube.tif"), s.cube);
  write_class_map(dir.file("gt.tif"), 300, 300, s.labels.labels, ClassTable::from_ids({1, 2, 3}), s.cube.geo);
  const test::CliResult train = test::run_hsi({"train", "--data.cube", dir.file("cube.tif"), "--data.labels", dir.file("gt.tif"), "--patch", "9",
                                               "--train.epochs", "1", "--train.min_steps", "2", "--out", dir.file("run")});
  ASSERT_EQ(train.exit_code, 0) << train.err;
  const std::vector<std::string> predict = {"predict", "--model", dir.file("run/best.ckpt"), "--input", dir.file("cube.tif"),
                                            "--out", dir.file("maps/map.tif"), "--route", "patch", "--threads", "1"};
  fs::create_directories(dir.file("maps"));
  const int pid = test::spawn_hsi(predict, dir.file("o.txt"), dir.file("e.txt"));
  std::this_thread::sleep_for(std::chrono::milliseconds(700));
  kill(pid, SIGKILL);
  EXPECT_EQ(test::wait_hsi(pid), -SIGKILL) << "prediction finished before it could be killed; make the scene larger";
  for (const char* f : {"map.tif", "map_confidence.tif", "map.png"}) EXPECT_FALSE(fs::exists(dir.file(std::string("maps/") + f))) << f;
  // The rerun takes the (much faster) dense route: same job, same outputs.
  std::vector<std::string> rerun_args = predict;
  rerun_args[rerun_args.size() - 3] = "dense";
  const test::CliResult rerun = test::run_hsi(rerun_args);
  ASSERT_EQ(rerun.exit_code, 0) << rerun.err;
  for (const char* f : {"map.tif", "map_confidence.tif", "map.png"}) EXPECT_TRUE(fs::exists(dir.file(std::string("maps/") + f))) << f;
}

}  // namespace
}  // namespace hsi
