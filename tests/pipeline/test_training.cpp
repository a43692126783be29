// End-to-end training behaviour on Salinas-A: determinism, checkpoints, resume.
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <thread>

#include "common/error.hpp"
#include "common/interrupt.hpp"
#include "io/reader.hpp"
#include "pipeline/checkpoint.hpp"
#include "pipeline/predictor.hpp"
#include "pipeline/run.hpp"
#include "pipeline/scene.hpp"
#include "support/synthetic.hpp"
#include "test_paths.hpp"

namespace fs = std::filesystem;

namespace hsi {
namespace {

RunSettings quick_settings(const std::string& out) {
  RunSettings s;
  s.data.cube = std::string(HSI_PROJECT_DATA) + "/SalinasA.mat:salinasA";
  s.data.labels = std::string(HSI_PROJECT_DATA) + "/SalinasA_gt.mat:salinasA_gt";
  s.data.drop_bands = "108-112,154-167,224";
  s.preprocess.pca = 20;
  s.model.name = "ms2d";
  s.model.patch = 7;
  s.model.width = 16;
  s.train.epochs = 6;
  s.train.min_steps = 60;
  s.out = out;
  s.threads = 2;
  return s;
}

const Scene& salinas_scene() {
  static const Scene scene = load_scene(quick_settings(""));
  return scene;
}

RunOptions quiet() {
  RunOptions o;
  o.verbose = false;
  return o;
}

TEST(Training, SameSeedSameMetricsAndCheckpointsPredictTheSame) {
  test::TempDir a, b;
  const RunResult first = run_training(salinas_scene(), quick_settings(a.path()), quiet());
  const RunResult second = run_training(salinas_scene(), quick_settings(b.path()), quiet());
  EXPECT_EQ(first.accuracy.overall, second.accuracy.overall);
  EXPECT_EQ(first.accuracy.confusion, second.accuracy.confusion);
  EXPECT_GT(first.accuracy.overall, 0.8) << "6 quick epochs on 10 pixels per class should already separate Salinas-A";
  for (const char* f : {"best.ckpt", "last.ckpt", "map.tif", "confidence.tif", "map.png", "report.json", "report.md",
                        "confusion.csv", "split/train.tif", "split/test.tif", "split/split.json"}) {
    EXPECT_TRUE(fs::exists(a.file(f))) << f;
  }
  // The checkpoint alone reproduces the map.
  Checkpoint ck = load_checkpoint(a.file("best.ckpt"));
  EXPECT_EQ(ck.classes.ids(), (std::vector<int32_t>{1, 10, 11, 12, 13, 14}));
  Cube cube = read_cube(quick_settings("").data.cube);
  ck.preprocessor.apply(cube);
  const Prediction p = predict_scene(ck.net, cube, {}, PredictOptions{});
  const LabelMap map = read_labels(a.file("map.tif"));
  for (size_t i = 0; i < map.labels.size(); ++i) ASSERT_EQ(ck.classes.at(p.class_index[i]).id, map.labels[i]);
}

TEST(Training, ResumeAfterInterruptionReachesTheSameResult) {
  test::TempDir full, cut;
  const RunResult reference = run_training(salinas_scene(), quick_settings(full.path()), quiet());
  // Interrupt after three epochs: the callback path checks the stop flag at the next epoch.
  RunSettings s = quick_settings(cut.path());
  s.train.epochs = 6;
  {
    // Stop once last.ckpt reports epoch 3. peek_checkpoint builds no model, so the watcher
    // draws nothing from torch's generator that training uses.
    std::thread watcher([&] {
      for (int i = 0; i < 6000 && !stop_requested(); ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
        if (fs::exists(cut.file("last.ckpt"))) {
          try {
            if (peek_checkpoint(cut.file("last.ckpt")).epoch >= 3) request_stop();
          } catch (const Error&) {
          }
        }
      }
    });
    const RunResult interrupted = run_training(salinas_scene(), s, quiet());
    watcher.join();
    EXPECT_TRUE(interrupted.interrupted);
  }
  clear_stop_request();
  const int stopped_at = load_checkpoint(cut.file("last.ckpt")).epoch;
  EXPECT_GE(stopped_at, 3);
  EXPECT_LT(stopped_at, 6);
  RunOptions resume = quiet();
  resume.resume = true;
  const RunResult resumed = run_training(salinas_scene(), s, resume);
  EXPECT_FALSE(resumed.interrupted);
  EXPECT_EQ(resumed.accuracy.overall, reference.accuracy.overall);
  EXPECT_EQ(resumed.accuracy.confusion, reference.accuracy.confusion);
}

TEST(Training, FineTuningRunsAndKeepsAccuracy) {
  test::TempDir dir;
  RunSettings s = quick_settings(dir.path());
  s.finetune.enabled = true;
  s.finetune.epochs = 3;
  s.finetune.lambda = 0.1;
  const RunResult r = run_training(salinas_scene(), s, quiet());
  EXPECT_GT(r.accuracy.overall, 0.8);
  EXPECT_GE(r.diversity, 0.0);
  EXPECT_LE(r.diversity, 1.0);
  Checkpoint ck = load_checkpoint(dir.file("best.ckpt"));
  EXPECT_EQ(ck.stage, "finetune");
  ASSERT_TRUE(ck.prototypes.defined());
  EXPECT_EQ(ck.prototypes.size(0), 6);
}

TEST(Checkpoint, GarbageAndTruncatedFilesAreRefused) {
  test::TempDir dir;
  {
    std::ofstream f(dir.file("junk.ckpt"));
    f << "not a checkpoint";
  }
  EXPECT_THROW(load_checkpoint(dir.file("junk.ckpt")), Error);
  EXPECT_THROW(load_checkpoint(dir.file("missing.ckpt")), Error);
  RunSettings s = quick_settings(dir.file("run"));
  s.train.epochs = 1;
  s.train.min_steps = 1;
  run_training(salinas_scene(), s, quiet());
  test::truncate_copy(dir.file("run/best.ckpt"), dir.file("cut.ckpt"), test::file_size(dir.file("run/best.ckpt")) / 2);
  EXPECT_THROW(load_checkpoint(dir.file("cut.ckpt")), Error);
}

}  // namespace
}  // namespace hsi
