// End-to-end training behaviour on Salinas-A: determinism, checkpoints, resume.
#include <gtest/gtest.h>

#include <cctype>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <thread>

#include "common/cpu_features.hpp"
#include "common/error.hpp"
#include "common/interrupt.hpp"
#include "common/text.hpp"
#include "io/reader.hpp"
#include "metric/loss_names.hpp"
#include "metric/losses.hpp"
#include "pipeline/checkpoint.hpp"
#include "pipeline/predict.hpp"
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
  const Cube cube = read_cube(quick_settings("").data.cube);
  const PredictOptions defaults;
  const ScenePrediction p = predict_cube(ck, cube, nullptr, defaults);
  EXPECT_EQ(p.ids, read_labels(a.file("map.tif")).labels);
}

// The classifier is how a network's map is made, not part of the metric stage: with fine-tuning
// off, the map still comes from the scene-refined prototypes the settings ask for (before, a
// softmax-only run silently used its softmax head).
TEST(Training, TheClassifierAppliesWithoutTheMetricStage) {
  test::TempDir dir;
  RunSettings s = quick_settings(dir.path());
  s.finetune.enabled = false;
  s.finetune.classifier = "mahalanobis";
  s.finetune.prototypes = "scene";
  const RunResult r = run_training(salinas_scene(), s, quiet());
  Checkpoint ck = load_checkpoint(dir.file("best.ckpt"));
  EXPECT_EQ(ck.classifier, "mahalanobis");
  EXPECT_EQ(ck.progress.stage, "pretrain");
  std::ifstream report(dir.file("report.json"));
  const std::string json((std::istreambuf_iterator<char>(report)), std::istreambuf_iterator<char>());
  EXPECT_NE(json.find("\"classifier\": \"mahalanobis\""), std::string::npos) << json;
  const Cube cube = read_cube(s.data.cube);
  EXPECT_EQ(predict_cube(ck, cube, nullptr, PredictOptions()).ids, read_labels(dir.file("map.tif")).labels);
  EXPECT_GT(r.accuracy.overall, 0.8);
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
  const int stopped_at = load_checkpoint(cut.file("last.ckpt")).progress.epoch;
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
  EXPECT_EQ(ck.progress.stage, "finetune");
  ASSERT_TRUE(ck.prototypes.defined());
  EXPECT_EQ(ck.prototypes.size(0), 6);
}

// train.precision = bf16: both stages' network in bfloat16 (autocast), weights kept in float32.
// The emulated path on CPUs without native bf16 runs the same arithmetic, only slower.
TEST(Training, Bf16TrainingKeepsFloat32WeightsAndLearns) {
  // Where the CPU lacks AVX-512, LibTorch 1.13 runs bf16 convolutions and their gradients on its
  // generic fallback kernels, which no session has run a training on yet; train.precision = auto
  // never picks bf16 there.
  if (!cpu_has_avx512()) GTEST_SKIP() << "bf16 training is verified on AVX-512 CPUs only; this one has none";
  test::TempDir fp32_dir, bf16_dir;
  RunSettings s = quick_settings(fp32_dir.path());
  s.finetune.enabled = true;
  s.finetune.epochs = 2;
  const RunResult fp32 = run_training(salinas_scene(), s, quiet());
  s.out = bf16_dir.path();
  s.train.precision = "bf16";
  const RunResult bf16 = run_training(salinas_scene(), s, quiet());
  EXPECT_GT(bf16.accuracy.overall, 0.8);
  EXPECT_GT(bf16.accuracy.overall, fp32.accuracy.overall - 0.05);
  Checkpoint a = load_checkpoint(fp32_dir.file("best.ckpt")), b = load_checkpoint(bf16_dir.file("best.ckpt"));
  EXPECT_EQ(b.progress.stage, "finetune");
  const auto pa = a.net->named_parameters(), pb = b.net->named_parameters();
  ASSERT_EQ(pa.size(), pb.size());
  double largest_difference = 0;
  for (const auto& item : pa) {
    const torch::Tensor& w = pb[item.key()];
    EXPECT_EQ(w.scalar_type(), torch::kFloat) << item.key();
    largest_difference = std::max(largest_difference, (w - item.value()).abs().max().item<double>());
  }
  EXPECT_GT(largest_difference, 0.0) << "the bf16 run trained bit for bit like the fp32 one: its arithmetic was not bf16";
  EXPECT_NE(test::slurp(bf16_dir.file("report.md")).find("training arithmetic**: bf16 (train.precision = bf16)"), std::string::npos);
}

// Runs `s` until `stop_when` holds for last.ckpt, then resumes it; returns the resumed result.
RunResult interrupt_and_resume(const RunSettings& s, const std::function<bool(const CheckpointInfo&)>& stop_when,
                               CheckpointInfo& stopped) {
  const std::string last = s.out + "/last.ckpt";
  {
    // The stop is requested from the training thread right after the checkpoint that meets the
    // condition is written, so it lands at that exact state however slow the machine (a polling
    // watcher thread starved under ASan on 2 busy cores and stopped one epoch late).
    // peek_checkpoint builds no model, so it draws nothing from torch's generator.
    RunOptions options = quiet();
    options.after_checkpoint = [&](const std::string& path) {
      if (!stop_requested() && stop_when(peek_checkpoint(path))) request_stop();
    };
    const RunResult interrupted = run_training(salinas_scene(), s, options);
    EXPECT_TRUE(interrupted.interrupted) << "the run finished before the stop condition was seen";
  }
  clear_stop_request();
  stopped = peek_checkpoint(last);
  RunOptions resume = quiet();
  resume.resume = true;
  return run_training(salinas_scene(), s, resume);
}

// Fine-tuning on, validation pixels carved out (so best epoch and patience matter), patience on.
RunSettings finetuning_settings(const std::string& out) {
  RunSettings s = quick_settings(out);
  s.model.patch = 5;
  s.model.width = 8;
  s.train.epochs = 8;
  s.train.min_steps = 40;
  s.train.patience = 1;
  s.split.per_class = 12;
  s.split.validation_fraction = 0.34;
  s.finetune.enabled = true;
  s.finetune.epochs = 4;
  s.finetune.lambda = 0.1;
  s.finetune.classifier = "prototype";
  return s;
}

void expect_same_weights(const std::string& a, const std::string& b) {
  Checkpoint x = load_checkpoint(a), y = load_checkpoint(b);
  const auto px = x.net->named_parameters(), py = y.net->named_parameters();
  ASSERT_EQ(px.size(), py.size());
  for (const auto& item : px) EXPECT_TRUE(torch::equal(item.value(), py[item.key()])) << item.key();
  ASSERT_EQ(x.prototypes.defined(), y.prototypes.defined());
  if (x.prototypes.defined()) {
    EXPECT_TRUE(torch::equal(x.prototypes, y.prototypes));
  }
}

// Stopping inside pretraining, exactly at its end, or inside fine-tuning: --resume lands on the
// uninterrupted run's weights, prototypes, accuracy and map.
class ResumeThroughStages : public ::testing::TestWithParam<std::string> {};

TEST_P(ResumeThroughStages, ReproducesTheUninterruptedRun) {
  test::TempDir full, cut;
  const RunResult reference = run_training(salinas_scene(), finetuning_settings(full.path()), quiet());
  const std::string where = GetParam();
  const RunSettings s = finetuning_settings(cut.path());
  auto stop_when = [&](const CheckpointInfo& info) {
    if (where == "pretraining") return info.stage == "pretrain" && info.epoch >= 2;
    if (where == "between stages") return info.stage == "pretrain" && info.stage_done;
    return info.stage == "finetune" && info.epoch >= 2;
  };
  CheckpointInfo stopped;
  const RunResult resumed = interrupt_and_resume(s, stop_when, stopped);
  if (where == "pretraining") {
    EXPECT_LT(stopped.epoch, s.train.epochs);
  }
  if (where == "between stages") {
    EXPECT_TRUE(stopped.stage_done);
    EXPECT_LT(stopped.epoch, s.train.epochs) << "pretraining should stop early on patience here, so resuming must not train on";
  }
  if (where == "fine-tuning") {
    EXPECT_EQ(stopped.stage, "finetune");
    EXPECT_LT(stopped.epoch, s.finetune.epochs);
  }
  EXPECT_FALSE(resumed.interrupted);
  EXPECT_EQ(resumed.accuracy.overall, reference.accuracy.overall);
  EXPECT_EQ(resumed.accuracy.confusion, reference.accuracy.confusion);
  expect_same_weights(full.file("best.ckpt"), cut.file("best.ckpt"));
  // The last epoch's weights too: the best epoch may come before the interruption.
  expect_same_weights(full.file("last.ckpt"), cut.file("last.ckpt"));
  EXPECT_EQ(peek_checkpoint(full.file("last.ckpt")).epoch, peek_checkpoint(cut.file("last.ckpt")).epoch);
  EXPECT_EQ(read_labels(full.file("map.tif")).labels, read_labels(cut.file("map.tif")).labels);
}

INSTANTIATE_TEST_SUITE_P(Training, ResumeThroughStages, ::testing::Values("pretraining", "between stages", "fine-tuning"),
                         [](const auto& info) {
                           std::string name = info.param;
                           for (char& c : name) c = std::isalnum(static_cast<unsigned char>(c)) ? c : '_';
                           return name;
                         });

// The DPP prior acts in training: with lambda > 0 the rows of B end up more diverse (higher
// log det K(B), lower mean |cos|) than with lambda = 0 from the same pretrained start and seed.
TEST(Training, DppPriorMakesTheMetricFactorMoreDiverse) {
  test::TempDir plain_dir, dpp_dir;
  RunSettings plain = quick_settings(plain_dir.path());
  plain.model.patch = 5;
  plain.model.width = 8;
  plain.train.epochs = 3;
  plain.train.min_steps = 30;
  plain.finetune.enabled = true;
  plain.finetune.epochs = 4;
  plain.finetune.lambda = 0;
  RunSettings dpp = plain;
  dpp.out = dpp_dir.path();
  dpp.finetune.lambda = 1.0;
  run_training(salinas_scene(), plain, quiet());
  run_training(salinas_scene(), dpp, quiet());
  Checkpoint ck_plain = load_checkpoint(plain_dir.file("best.ckpt")), ck_dpp = load_checkpoint(dpp_dir.file("best.ckpt"));
  // Both fine-tunings start from the same pretrained B, so they fix the same kernel width.
  const double sigma = ck_plain.progress.constants.at("sigma");
  ASSERT_EQ(sigma, ck_dpp.progress.constants.at("sigma"));
  const torch::Tensor b_plain = ck_plain.net->metric_factor().detach(), b_dpp = ck_dpp.net->metric_factor().detach();
  const double logdet_plain = metric::dpp_log_det(b_plain, metric::DppKernel::Rbf, sigma).item<double>();
  const double logdet_dpp = metric::dpp_log_det(b_dpp, metric::DppKernel::Rbf, sigma).item<double>();
  EXPECT_GT(logdet_dpp, logdet_plain + 0.5) << "lambda = 1 should raise log det K(B) clearly";
  EXPECT_LT(metric::mean_abs_cosine(b_dpp), metric::mean_abs_cosine(b_plain));
}

// Every finetune.loss choice trains: finite losses, and the fine-tuned metric still separates
// Salinas-A's classes with the prototype classifier.
TEST(Training, FineTuningWithEveryMetricLoss) {
  for (const std::string& loss : metric::metric_loss_names()) {
    test::TempDir dir;
    RunSettings s = quick_settings(dir.path());
    s.model.patch = 5;
    s.model.width = 8;
    s.train.epochs = 3;
    s.train.min_steps = 30;
    s.finetune.enabled = true;
    s.finetune.epochs = 2;
    s.finetune.loss = loss;
    s.finetune.classifier = "prototype";
    const RunResult r = run_training(salinas_scene(), s, quiet());
    EXPECT_GT(r.accuracy.overall, 0.7) << loss;
  }
}

// Leak-freedom end to end: the spectra of pixels that no training or validation window touches
// (test pixels farther than the patch radius, and unlabelled ones) cannot change the fitted
// preprocessing or any weight; a training pixel's spectrum does (the check has teeth).
TEST(Training, PixelsNoTrainingWindowSeesDoNotChangeTheModel) {
  RunSettings s = quick_settings("");
  s.model.patch = 5;
  s.model.width = 8;
  s.train.epochs = 2;
  s.train.min_steps = 20;
  s.split.validation_fraction = 0.3;
  const int radius = s.model.patch / 2;
  test::TempDir reference_dir;
  s.out = reference_dir.path();
  const RunResult reference = run_training(salinas_scene(), s, quiet());
  const Cube& cube = salinas_scene().cube;
  std::vector<int64_t> seen;  // training and validation pixels
  for (int64_t p = 0; p < cube.pixels(); ++p) {
    if (reference.split.train[p] || reference.split.validation[p]) seen.push_back(p);
  }
  auto far_from_training = [&](int64_t p) {
    for (int64_t t : seen) {
      if (std::max(std::abs(t / cube.cols - p / cube.cols), std::abs(t % cube.cols - p % cube.cols)) <= radius) return false;
    }
    return true;
  };
  auto train_on = [&](const Scene& scene, const std::string& out) {
    RunSettings again = s;
    again.out = out;
    again.split.load = reference_dir.file("split");
    run_training(scene, again, quiet());
    return load_checkpoint(out + "/best.ckpt");
  };
  Scene changed = salinas_scene();
  int64_t touched = 0;
  for (int64_t p = 0; p < cube.pixels(); ++p) {
    if (!far_from_training(p)) continue;
    for (int64_t b = 0; b < cube.bands; ++b) changed.cube.spectrum(p / cube.cols, p % cube.cols)[b] *= 3.0f;
    ++touched;
  }
  EXPECT_GT(touched, 4000);
  test::TempDir a, b;
  Checkpoint original = load_checkpoint(reference_dir.file("best.ckpt"));
  Checkpoint retrained = train_on(changed, a.path());
  EXPECT_EQ(original.preprocessor.mean(), retrained.preprocessor.mean());
  EXPECT_EQ(original.preprocessor.scale(), retrained.preprocessor.scale());
  EXPECT_EQ(original.preprocessor.pca_basis(), retrained.preprocessor.pca_basis());
  for (const auto& item : original.net->named_parameters()) {
    EXPECT_TRUE(torch::equal(item.value(), retrained.net->named_parameters()[item.key()])) << item.key();
  }
  Scene one_training_pixel = salinas_scene();
  const int64_t t = Split::pixels_of(reference.split.train).front();
  for (int64_t k = 0; k < cube.bands; ++k) one_training_pixel.cube.spectrum(t / cube.cols, t % cube.cols)[k] *= 3.0f;
  Checkpoint shifted = train_on(one_training_pixel, b.path());
  EXPECT_NE(original.preprocessor.mean(), shifted.preprocessor.mean());
}

// Unmixing k classes needs k dimensions: with fewer, a pixel's abundances are not unique and
// the run says so (Salinas-A's 6 classes: PCA 4 warns, PCA 6 does not).
TEST(Training, UnmixingInFewerBandsThanClassesWarns) {
  const auto stderr_of = [](int pca) {
    test::TempDir out;
    RunSettings s = quick_settings(out.path());
    s.model.name = "unmix";
    s.preprocess.pca = pca;
    testing::internal::CaptureStderr();
    (void)run_training(salinas_scene(), s, quiet());
    return testing::internal::GetCapturedStderr();
  };
  const std::string four = stderr_of(4);
  EXPECT_NE(four.find("unmixing 6 classes in 4 bands: a pixel's abundances are not unique"), std::string::npos) << four;
  const std::string six = stderr_of(6);
  EXPECT_EQ(six.find("not unique"), std::string::npos) << six;
}

// The report states the split's protocol with its numbers and what the split had to adapt: a
// reader comparing a class's training count with the protocol sees why they differ.
TEST(Training, TheReportStatesTheSplitAndWhatItAdapted) {
  const auto report_of = [](int per_class) {
    test::TempDir out;
    RunSettings s = quick_settings(out.path());
    s.model.name = "unmix";  // no training cost; the report is the same for every model
    s.split.per_class = per_class;
    const RunResult r = run_training(salinas_scene(), s, quiet());
    std::ifstream md(r.files.report_md), json(r.files.report_json);
    return std::make_pair(std::string((std::istreambuf_iterator<char>(md)), std::istreambuf_iterator<char>()),
                          std::string((std::istreambuf_iterator<char>(json)), std::istreambuf_iterator<char>()));
  };
  // Brocoli (class 1) has 391 pixels: 300 asked, half of them (195) taken.
  const auto [capped_md, capped_json] = report_of(300);
  EXPECT_NE(capped_md.find("fixed: 300 training pixels per class (at most 50 % of a class)"), std::string::npos) << capped_md;
  EXPECT_NE(capped_md.find("## Split notes"), std::string::npos);
  EXPECT_NE(capped_md.find("- class 1 has only 391 pixels: 195 used for training instead of 300"), std::string::npos);
  EXPECT_NE(capped_json.find("\"split_notes\": [\"class 1 has only 391 pixels"), std::string::npos) << capped_json;
  const auto [plain_md, plain_json] = report_of(10);
  EXPECT_NE(plain_md.find("fixed: 10 training pixels per class"), std::string::npos);
  EXPECT_EQ(plain_md.find("Split notes"), std::string::npos);
  EXPECT_EQ(plain_json.find("split_notes"), std::string::npos);
}

// The finite-loss guard sees the weights each step started from. A learning rate that breaks
// them in the stage's only step would pass it: the epoch loop also checks the outputs the
// weights it ends with give, and last.ckpt is never written with broken weights.
TEST(Training, AnUpdateThatBreaksTheWeightsInTheLastStepIsCaught) {
  test::TempDir dir;
  RunSettings s = quick_settings(dir.path());
  s.train.lr = 1e30;
  s.train.epochs = 1;
  s.train.min_steps = 1;
  s.train.batch_size = 64;  // one step covers the 60 training pixels
  try {
    run_training(salinas_scene(), s, quiet());
    ADD_FAILURE() << "a network broken by its only update trained without an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("not finite after the last update in pretrain epoch 1"), std::string::npos) << e.what();
  }
  EXPECT_FALSE(fs::exists(dir.file("last.ckpt")));
}

// A model that ends up answering one class for everything has learned nothing: the report
// says so (and gives the training pixels' OA, which a model that learned says too).
TEST(Training, AModelThatLearnedNothingIsReported) {
  const auto report_of = [](double lr, int epochs, RunResult& r) {
    test::TempDir out;
    RunSettings s = quick_settings(out.path());
    s.train.lr = lr;
    s.train.epochs = epochs;
    s.train.min_steps = 1;
    s.train.batch_size = 64;
    r = run_training(salinas_scene(), s, quiet());
    std::ifstream json(r.files.report_json);
    return std::string((std::istreambuf_iterator<char>(json)), std::istreambuf_iterator<char>());
  };
  RunResult broken, learned;
  const std::string broken_json = report_of(100, 1, broken);
  EXPECT_NEAR(broken.training_oa, 1.0 / 6, 1e-9);
  EXPECT_NE(broken_json.find("\"warning\": \"the model labels its 60 training pixels no better than always answering their largest class"),
            std::string::npos)
      << broken_json;
  EXPECT_NE(broken_json.find("lower train.lr (100)"), std::string::npos);
  const std::string learned_json = report_of(0.01, 20, learned);
  EXPECT_GT(learned.training_oa, 0.9);
  EXPECT_EQ(learned_json.find("\"warning\""), std::string::npos) << learned_json;
  EXPECT_NE(learned_json.find("\"training pixels OA\": \"" + format_fixed(learned.training_oa, 4)), std::string::npos);
}

// `hsi finetune --from`: the metric stage alone from a pretrained checkpoint, twice with the same
// seed and threads: identical maps and confidences, a fine-tuned checkpoint with prototypes.
TEST(Training, FineTuningFromACheckpointIsDeterministic) {
  test::TempDir pretrained, first, second;
  RunSettings s = quick_settings(pretrained.path());
  s.model.patch = 5;
  s.model.width = 8;
  s.train.epochs = 3;
  s.train.min_steps = 30;
  run_training(salinas_scene(), s, quiet());
  s.finetune.epochs = 2;
  s.finetune.classifier = "prototype";
  for (const test::TempDir* dir : {&first, &second}) {
    s.out = dir->path();
    const RunResult r = run_finetune_from(salinas_scene(), s, pretrained.file("best.ckpt"), quiet());
    EXPECT_GT(r.accuracy.overall, 0.8);
  }
  EXPECT_EQ(read_labels(first.file("map.tif")).labels, read_labels(second.file("map.tif")).labels);
  EXPECT_EQ(read_cube(first.file("confidence.tif")).data, read_cube(second.file("confidence.tif")).data);
  Checkpoint ck = load_checkpoint(first.file("best.ckpt"));
  EXPECT_EQ(ck.progress.stage, "finetune");
  EXPECT_EQ(ck.classifier, "prototype");
  EXPECT_TRUE(ck.prototypes.defined());
  expect_same_weights(first.file("best.ckpt"), second.file("best.ckpt"));
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
