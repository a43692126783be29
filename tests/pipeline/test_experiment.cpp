// hsi experiment as a library: the table aggregates exactly the per-run results, a rerun
// reuses every finished run and writes the same table, and bad plans are refused up front.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "common/error.hpp"
#include "common/text.hpp"
#include "eval/aggregate.hpp"
#include "eval/compare.hpp"
#include "pipeline/checkpoint.hpp"
#include "pipeline/experiment.hpp"
#include "pipeline/open_set_experiment.hpp"
#include "pipeline/preprocess.hpp"
#include "io/reader.hpp"
#include "support/synthetic.hpp"
#include "test_paths.hpp"

namespace fs = std::filesystem;

namespace hsi {
namespace {

using test::slurp;

RunSettings tiny_base() {
  RunSettings s;
  s.data.cube = std::string(HSI_PROJECT_DATA) + "/SalinasA.mat";
  s.data.labels = std::string(HSI_PROJECT_DATA) + "/SalinasA_gt.mat";
  s.preprocess.pca = 10;
  s.model.patch = 5;
  s.model.width = 8;
  s.train.epochs = 2;
  s.train.min_steps = 10;
  s.finetune.epochs = 1;
  s.threads = 2;
  return s;
}

TEST(Experiment, TableMatchesTheRunsAndARerunReusesThem) {
  test::TempDir dir;
  const RunSettings base = tiny_base();
  const Scene scene = load_scene(base);
  const ExperimentPlan plan = plan_experiment(base, "ms1d,ms2d+dpp", "fixed:5", 2, 0, dir.path());
  std::ostringstream log;
  const ExperimentResult first = run_experiment(scene, base, plan, log);
  ASSERT_FALSE(first.interrupted);
  // Every run left its result line; the table's OA cell is their mean.
  for (const std::string model : {"ms1d", "ms2d+dpp"}) {
    std::vector<double> oa;
    for (int seed = 0; seed < 2; ++seed) {
      const std::string line = slurp(dir.file("runs/" + std::string(model == "ms1d" ? "ms1d" : "ms2d_dpp") + "_fixed_5_seed" + std::to_string(seed) +
                                              "/result.tsv"));
      ASSERT_FALSE(line.empty()) << model << " seed " << seed;
      oa.push_back(RunSummary::from_line(line.substr(0, line.find('\n')), "result.tsv").overall);
    }
    const std::string cell = format_fixed((oa[0] + oa[1]) / 2, 4);
    EXPECT_NE(first.markdown.find(cell), std::string::npos) << model << " mean OA " << cell << " not in\n" << first.markdown;
  }
  EXPECT_EQ(slurp(dir.file("table.md")), first.markdown);
  EXPECT_NE(first.markdown.find("| quantity disagreement |"), std::string::npos) << first.markdown;
  EXPECT_NE(first.markdown.find("| allocation disagreement |"), std::string::npos) << first.markdown;
  // The paired comparison: the other model against the one of best mean OA, seed by seed, on the
  // same test pixels, recomputed here from the run folders.
  const auto mean_oa = [&](const std::string& folder) {
    double sum = 0;
    for (int seed = 0; seed < 2; ++seed) {
      const std::string line = slurp(dir.file("runs/" + folder + "_fixed_5_seed" + std::to_string(seed) + "/result.tsv"));
      sum += RunSummary::from_line(line.substr(0, line.find('\n')), "result.tsv").overall;
    }
    return sum / 2;
  };
  const bool ms1d_best = mean_oa("ms1d") > mean_oa("ms2d_dpp");
  const std::string best = ms1d_best ? "ms1d" : "ms2d+dpp", other = ms1d_best ? "ms2d+dpp" : "ms1d";
  const std::string best_folder = ms1d_best ? "ms1d" : "ms2d_dpp", other_folder = ms1d_best ? "ms2d_dpp" : "ms1d";
  double difference = 0;
  int worse = 0, same = 0, better = 0;
  for (int seed = 0; seed < 2; ++seed) {
    const auto run = [&](const std::string& folder, const std::string& file) {
      return read_labels(dir.file("runs/" + folder + "_fixed_5_seed" + std::to_string(seed) + "/" + file)).labels;
    };
    // A fixed split draws the same test pixels for every model of a seed.
    const std::vector<int32_t> test = run(other_folder, "split/test.tif");
    ASSERT_EQ(test, run(best_folder, "split/test.tif"));
    const MapComparison c = compare_maps(test, run(other_folder, "map.tif"), run(best_folder, "map.tif"));
    difference += c.difference / 2;
    ++(c.p_value >= 0.05 ? same : (c.difference < 0 ? worse : better));
  }
  const std::string row = "| " + other + " | " + format_fixed(difference, 4) + " | " + std::to_string(worse) + " of 2 | " + std::to_string(same) +
                          " | " + std::to_string(better) + " |";
  EXPECT_NE(first.markdown.find("Paired with the best mean OA (" + best + ")"), std::string::npos) << first.markdown;
  EXPECT_NE(first.markdown.find(row), std::string::npos) << row << "\n" << first.markdown;
  // The rerun trains nothing and writes the same tables.
  std::ostringstream again_log;
  const ExperimentResult again = run_experiment(scene, base, plan, again_log);
  EXPECT_EQ(again.markdown, first.markdown);
  size_t skips = 0;
  for (size_t at = again_log.str().find("[skip]"); at != std::string::npos; at = again_log.str().find("[skip]", at + 1)) ++skips;
  EXPECT_EQ(skips, 4u) << again_log.str();
}

TEST(Experiment, FewShotProtocolsDownToOnePixelMakeTheCurve) {
  test::TempDir dir;
  RunSettings base = tiny_base();
  base.split.validation_fraction = 0.5;  // one pixel cannot be held out: it trains (said in the split's notes)
  const Scene scene = load_scene(base);
  const ExperimentPlan plan = plan_experiment(base, "ms2d,ms2d+dpp", "fixed:1,fixed:2", 1, 0, dir.path());
  std::ostringstream log;
  ASSERT_FALSE(run_experiment(scene, base, plan, log).interrupted);
  const std::string csv = slurp(dir.file("curve.csv"));
  EXPECT_NE(csv.find("ms2d,1,1,"), std::string::npos) << csv;
  EXPECT_NE(csv.find("ms2d+dpp,2,1,"), std::string::npos) << csv;
  EXPECT_NE(slurp(dir.file("curve.svg")).find("<polyline"), std::string::npos);
  EXPECT_NE(slurp(dir.file("runs/ms2d_fixed_1_seed0/split/split.json")).find("too few to hold"), std::string::npos);
  // Six training pixels span five directions, too few for ten PCA components: the preprocessing
  // is fitted on the pixels their 5 x 5 windows cover (band means over those, not over the six).
  const LabelMap train = read_labels(dir.file("runs/ms2d_fixed_1_seed0/split/train.tif"));
  std::vector<int64_t> train_pixels;
  for (int64_t i = 0; i < static_cast<int64_t>(train.labels.size()); ++i)
    if (train.labels[i]) train_pixels.push_back(i);
  ASSERT_EQ(train_pixels.size(), scene.classes.size());
  const auto band0_mean = [&](const std::vector<int64_t>& pixels) {
    double sum = 0;
    for (int64_t p : pixels) sum += scene.cube.at(p / scene.cube.cols, p % scene.cube.cols, 0);
    return sum / static_cast<double>(pixels.size());
  };
  const std::vector<int64_t> windows =
      preprocessing_fit_pixels(train_pixels, scene.cube.rows, scene.cube.cols, 2, scene.nodata, "windows", 10, nullptr);
  ASSERT_GT(windows.size(), 6 * train_pixels.size());
  const double fitted = load_checkpoint(dir.file("runs/ms2d_fixed_1_seed0/best.ckpt")).preprocessor.mean().at(0);
  EXPECT_NEAR(fitted, band0_mean(windows), 1e-6 * std::abs(fitted));
  EXPECT_GT(std::abs(fitted - band0_mean(train_pixels)), 1e-3 * std::abs(fitted));
}

TEST(Experiment, OpenSetLeavesEachClassOutOnceAndScoresEveryRule) {
  test::TempDir dir;
  RunSettings base = tiny_base();
  base.split.validation_fraction = 0.5;
  const Scene scene = load_scene(base);
  const ExperimentPlan plan = plan_experiment(base, "ms2d+dml", "fixed:4", 1, 0, dir.path());
  std::ostringstream log;
  const ExperimentResult result = run_open_set_experiment(scene, base, plan, log);
  ASSERT_FALSE(result.interrupted);
  // One trained run per class, each without it; three rules each.
  const std::string csv = slurp(dir.file("open_set.csv"));
  size_t rows = 0;
  for (size_t at = csv.find("\nfixed:4,ms2d+dml,"); at != std::string::npos; at = csv.find("\nfixed:4,ms2d+dml,", at + 1)) ++rows;
  EXPECT_EQ(rows, 3 * scene.classes.size()) << csv;
  for (const auto& c : scene.classes.classes()) {
    const std::string run = "runs/open_ms2d_dml_fixed_4_without" + std::to_string(c.id) + "_seed0";
    const std::string labels_in_split = slurp(dir.file(run + "/report.md"));
    EXPECT_EQ(labels_in_split.find("| " + c.name + " |"), std::string::npos) << c.name << " took part in training";
  }
  for (const std::string rule : {"softmax", "distance", "mahalanobis"})
    EXPECT_NE(result.markdown.find("| ms2d+dml | " + rule + " |"), std::string::npos) << result.markdown;
  // A rerun reuses every run.
  std::ostringstream again;
  EXPECT_EQ(run_open_set_experiment(scene, base, plan, again).markdown, result.markdown);
  EXPECT_EQ(again.str(), "");
}

// The rejection rules need a network: an `auto` entry of an open-set experiment chooses among the
// networks only, instead of failing mid-run when unmixing or the SVM wins a selection.
TEST(Experiment, OpenSetAutoChoosesAmongTheNetworksOnly) {
  RunSettings base = tiny_base();
  base.select.candidates = "unmix, ms2d:5, svm, ms1d";
  EXPECT_EQ(open_set_settings(base, "auto+dpp").select.candidates, "ms2d:5, ms1d");
  EXPECT_EQ(open_set_settings(base, "ms2d").select.candidates, base.select.candidates);  // not a selection: untouched
  EXPECT_THROW(open_set_settings(base, "svm"), Error);
  base.select.candidates = "unmix, svm";
  EXPECT_THROW(open_set_settings(base, "auto"), Error);
  base.select.candidates = "ms2d:5";
  base.select.fallback = "svm";
  EXPECT_THROW(open_set_settings(base, "auto"), Error);
}

TEST(Experiment, BadOrRepeatedEntriesAreRefusedBeforeAnyWork) {
  const RunSettings base = tiny_base();
  EXPECT_THROW(plan_experiment(base, "ms2d,ms2d", "fixed:5", 1, 0, "x"), Error);
  EXPECT_THROW(plan_experiment(base, "ms2d", "fixed:5,fixed:5", 1, 0, "x"), Error);
  EXPECT_THROW(plan_experiment(base, "ms2d+xyz", "fixed:5", 1, 0, "x"), Error);
  EXPECT_THROW(plan_experiment(base, "ms2d", "random:5", 1, 0, "x"), Error);
  EXPECT_THROW(plan_experiment(base, "ms2d", "fixed:x", 1, 0, "x"), Error);
  EXPECT_THROW(plan_experiment(base, "ms2d", "fixed:5", 0, 0, "x"), Error);
  EXPECT_NO_THROW(plan_experiment(base, "ms2d, cnn2d+dml", "fixed:5,blocks:10", 1, 0, "x"));
}

// A bare `hsi experiment --config C` must repeat what `hsi train --config C` runs: the config's
// model with its fine-tuning and its split, not a fixed default.
TEST(Experiment, WithoutModelsOrSplitsTheConfigsOwnAreRun) {
  RunSettings base = tiny_base();
  base.model.name = "auto";
  base.finetune.enabled = true;
  base.finetune.lambda = 0.2;
  base.split.mode = "blocks";
  base.split.per_class = 7;
  ExperimentPlan plan = plan_experiment(base, "", "", 1, 0, "x");
  EXPECT_EQ(plan.models, std::vector<std::string>{"auto+dpp"});
  EXPECT_EQ(plan.splits, std::vector<std::string>{"blocks:7"});
  const RunSettings model = settings_for_model(base, plan.models.front());
  EXPECT_EQ(model.model.name, "auto");
  EXPECT_TRUE(model.finetune.enabled);
  EXPECT_DOUBLE_EQ(model.finetune.lambda, 0.2);
  const RunSettings split = settings_for_split(base, plan.splits.front());
  EXPECT_EQ(split.split.mode, "blocks");
  EXPECT_EQ(split.split.per_class, 7);

  base.finetune.lambda = 0.0;  // the plain metric
  EXPECT_EQ(model_entry_of(base), "auto+dml");
  base.model.name = "svm";  // learns no metric: fine-tuning cannot apply
  EXPECT_EQ(model_entry_of(base), "svm");
  base.model.name = "ms2d";
  base.finetune.enabled = false;
  EXPECT_EQ(model_entry_of(base), "ms2d");
  base.split.mode = "fraction";
  base.split.fraction = 0.05;
  EXPECT_DOUBLE_EQ(settings_for_split(base, split_entry_of(base)).split.fraction, 0.05);
  EXPECT_EQ(split_entry_of(base), "fraction:0.05");
  // Given lists still win over the config.
  plan = plan_experiment(base, "cnn2d", "fixed:3", 1, 0, "x");
  EXPECT_EQ(plan.models, std::vector<std::string>{"cnn2d"});
  EXPECT_EQ(plan.splits, std::vector<std::string>{"fixed:3"});
}

TEST(Experiment, TitlesNameTheSeedsInTheirNumber) {
  ExperimentPlan plan;
  plan.runs = 1;
  plan.first_seed = 3;
  EXPECT_EQ(seeds_text(plan), "seed 3");
  plan.runs = 5;
  plan.first_seed = 0;
  EXPECT_EQ(seeds_text(plan), "seeds 0..4");
}

}  // namespace
}  // namespace hsi
