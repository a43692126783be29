#include "pipeline/run.hpp"

#include <torch/torch.h>

#include <chrono>
#include <cstdio>
#include <filesystem>

#include "common/atomic_file.hpp"
#include "common/error.hpp"
#include "common/text.hpp"
#include "common/version.hpp"
#include "eval/figure.hpp"
#include "eval/report.hpp"
#include "metric/losses.hpp"
#include "pipeline/batches.hpp"
#include "pipeline/checkpoint.hpp"
#include "pipeline/finetune.hpp"
#include "pipeline/predict.hpp"
#include "pipeline/trainer.hpp"

namespace fs = std::filesystem;

namespace hsi {
namespace {

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

Samples samples_of(const std::vector<int32_t>& map, const ClassTable& classes) {
  Samples s;
  for (int64_t p = 0; p < static_cast<int64_t>(map.size()); ++p) {
    if (map[p] == 0) continue;
    const int index = classes.index_of(map[p]);
    if (index < 0) throw Error(ErrorKind::Data, "split holds class " + std::to_string(map[p]) + " which the scene's class table lacks");
    s.pixels.push_back(p);
    s.targets.push_back(index);
  }
  return s;
}


std::string path_in(const std::string& dir, const std::string& name) { return (fs::path(dir) / name).string(); }

// map.svg: prediction | ground truth | errors on the test pixels, with the legend;
// map_masked.svg: the prediction on labelled pixels only.
void write_figures(const Scene& scene, const Checkpoint& ck, const std::vector<int32_t>& ids, const RunResult& result) {
  FigureSpec spec;
  spec.rows = scene.cube.rows;
  spec.cols = scene.cube.cols;
  for (const auto& c : ck.classes.classes()) spec.legend.push_back({c.id, c.name, c.rgb});
  spec.title = scene.name + ": " + ck.net_options.name + ", " + result.split.mode + " split, OA " + format_fixed(result.accuracy.overall, 4);
  spec.panels = {{"Classification map", ids, false},
                 {"Ground truth", scene.labels.labels, false},
                 {"Test pixels: correct / wrong", error_codes(result.split.test, ids), true}};
  write_text_file(path_in(result.out_dir, "map.svg"), render_svg(spec));
  spec.panels = {{"Classification map, labelled pixels", masked(ids, scene.labels.labels), false}};
  write_text_file(path_in(result.out_dir, "map_masked.svg"), render_svg(spec));
}

// Everything after training: prototypes, the final checkpoint, the maps and the reports.
void finish_run(const Scene& scene, const RunSettings& s, const RunOptions& o, Checkpoint& ck, const Cube& cube,
                const Samples& train, RunResult& result) {
  const BatchMaker batches(cube, ck.net_options);
  ck.prototypes = class_prototypes(ck.net, batches, train, static_cast<int64_t>(ck.classes.size()));
  ck.classifier = s.finetune.enabled ? s.finetune.classifier : "softmax";
  save_checkpoint(path_in(result.out_dir, "best.ckpt"), ck);
  result.diversity = metric::mean_abs_cosine(ck.net->metric_factor());

  // The scene as read, with the mask made when it was loaded: the same tile loop as `hsi predict`.
  PredictOptions po;
  static_cast<PredictSettings&>(po) = s.predict;
  po.nan_policy = s.data.nan_policy;
  po.progress = o.verbose;
  const CubeWindowSource source(scene.cube, &scene.nodata);
  std::vector<int32_t> ids;
  PredictionStats prediction;
  if (o.write_maps) {
    const MapOutputs outputs{path_in(result.out_dir, "map.tif"), path_in(result.out_dir, "confidence.tif"), path_in(result.out_dir, "map.png")};
    prediction = predict_to_maps(ck, source, outputs, po, &ids);
  } else {
    ScenePrediction p = predict_cube(ck, scene.cube, &scene.nodata, po);
    ids = std::move(p.ids);
    prediction = p.stats;
  }
  result.seconds_predict = prediction.seconds;
  result.prediction_route = prediction.route;
  result.accuracy = evaluate_accuracy(result.split.test, ids, 0);
  if (o.write_maps) write_figures(scene, ck, ids, result);

  RunReport report;
  report.header = {{"scene", scene.name},
                   {"cube", scene.cube.source},
                   {"labels", scene.labels.source},
                   {"config", s.config_file.empty() ? "(command line)" : s.config_file},
                   {"split", result.split.mode},
                   {"seed", std::to_string(s.seed)},
                   {"model", ck.net_options.name},
                   {"patch", std::to_string(ck.net_options.patch_used())},
                   {"input bands", std::to_string(ck.net_options.in_bands) + " (of " + std::to_string(scene.cube.bands) + ")"},
                   {"parameters", std::to_string(result.parameters)},
                   {"stages", s.finetune.enabled ? "softmax pretraining + DPP metric fine-tuning" : "softmax pretraining"},
                   {"classifier", ck.classifier},
                   {"prediction route", prediction.route},
                   {"metric factor mean |cos|", format_fixed(result.diversity, 4)},
                   {"hsi version", std::string(kVersion) + " (" + kGitHash + ")"}};
  report.timings = {{"split", result.seconds_split},
                    {"pretrain", result.seconds_pretrain},
                    {"finetune", result.seconds_finetune},
                    {"predict", result.seconds_predict}};
  for (const auto& c : ck.classes.classes()) report.class_names[c.id] = c.name;
  for (const auto& c : result.split.counts) report.train_test_counts[c.id] = {c.train, c.test};
  report.accuracy = result.accuracy;
  write_text_file(path_in(result.out_dir, "report.json"), report_json(report));
  write_text_file(path_in(result.out_dir, "report.md"), report_markdown(report));
  write_text_file(path_in(result.out_dir, "confusion.csv"), confusion_csv(result.accuracy, report.class_names));
  write_text_file(path_in(result.out_dir, "settings.ini"), s.config_text);
  if (o.verbose) {
    std::printf("test: OA %.4f  AA %.4f  kappa %.4f  (%ld pixels)  prediction %s route %.2fs\n", result.accuracy.overall,
                result.accuracy.average, result.accuracy.kappa, static_cast<long>(result.accuracy.total), prediction.route.c_str(),
                prediction.seconds);
  }
}

EpochCallback checkpointing(Checkpoint& ck, const std::string& dir) {
  return [&ck, dir](const EpochLog& log, const StageProgress& progress, bool is_best, torch::optim::Optimizer& optimizer) {
    ck.progress = progress;
    ck.validation_oa = log.validation_oa;
    save_checkpoint(path_in(dir, "last.ckpt"), ck, &optimizer);
    if (is_best) save_checkpoint(path_in(dir, "best.ckpt"), ck);
  };
}

// Reloads the best weights after a stage that tracked validation OA.
void restore_best(Checkpoint& ck, const std::string& dir, const TrainOutcome& outcome) {
  const StageProgress& p = outcome.progress;
  if (p.best_epoch == p.epoch || p.best_validation_oa < 0) return;
  Checkpoint best = load_checkpoint(path_in(dir, "best.ckpt"));
  ck.net = best.net;
  ck.validation_oa = best.validation_oa;
}

// `resume_from` is last.ckpt of an interrupted fine-tuning stage (empty: a fresh stage).
void run_finetune_stage(Checkpoint& ck, const RunSettings& s, const RunOptions& o, const BatchMaker& batches, const Samples& train,
                        const Samples& validation, const StageProgress& progress, const std::string& resume_from, RunResult& result) {
  const auto t0 = std::chrono::steady_clock::now();
  auto optimizer = make_optimizer(ck.net, "adam", s.finetune.lr, 0.0, s.train.weight_decay);
  if (!resume_from.empty()) load_optimizer_state(resume_from, *optimizer);
  const TrainOutcome outcome = finetune(ck.net, *optimizer, batches, train, validation, s.finetune, s.train.augment, s.seed, progress,
                                        checkpointing(ck, result.out_dir), o.verbose);
  result.interrupted = result.interrupted || outcome.interrupted;
  if (!outcome.interrupted) restore_best(ck, result.out_dir, outcome);
  result.seconds_finetune = seconds_since(t0);
}

}  // namespace

Split split_for(const Scene& scene, const RunSettings& s) {
  const int radius = s.model.net_options(1, 1).patch_used() / 2;
  if (!s.split.load.empty()) return load_split(s.split.load, scene.cube.rows, scene.cube.cols);
  if (s.split.mode == "external") {
    return external_split(s.split, scene.cube.rows, scene.cube.cols, s.data.unlabelled, s.seed, s.data.axis_order);
  }
  return make_split(scene.labels, s.split, radius, s.seed);
}

RunResult run_training(const Scene& scene, const RunSettings& s, const RunOptions& o) {
  RunResult result;
  result.out_dir = s.out;
  std::error_code ec;
  fs::create_directories(s.out, ec);
  if (ec || !fs::is_directory(s.out)) output_error(s.out, "cannot create the output folder");
  const std::string last_path = path_in(s.out, "last.ckpt");
  const bool resuming = o.resume && fs::exists(last_path);

  auto t0 = std::chrono::steady_clock::now();
  result.split = split_for(scene, s);
  save_split(result.split, path_in(s.out, "split"), scene.classes, scene.cube.geo);
  result.seconds_split = seconds_since(t0);
  if (o.verbose) std::printf("split (%s, seed %d):\n%s", result.split.mode.c_str(), s.seed, split_table(result.split, scene.classes).c_str());

  const Samples train = samples_of(result.split.train, scene.classes);
  const Samples validation = samples_of(result.split.validation, scene.classes);
  Checkpoint ck;
  Checkpoint last;
  if (resuming) {
    last = load_checkpoint(last_path);
    ck.preprocessor = last.preprocessor;
  } else {
    PreprocessSpec spec;
    spec.drop_bands = parse_index_ranges(s.data.drop_bands, "data.drop_bands");
    spec.standardize = s.preprocess.standardize;
    spec.pca = s.preprocess.pca;
    std::vector<int64_t> fit_pixels = train.pixels;
    ck.preprocessor = Preprocessor::fit(scene.cube, fit_pixels, spec);
  }
  Cube cube = scene.cube;
  ck.preprocessor.apply(cube);
  ck.net_options = s.model.net_options(ck.preprocessor.output_bands(), static_cast<int>(scene.classes.size()));
  ck.classes = scene.classes;
  ck.scene = scene.name;
  ck.settings_text = s.config_text;
  torch::manual_seed(static_cast<uint64_t>(s.seed));
  ck.net = resuming ? last.net : make_hsi_net(ck.net_options);
  result.parameters = ck.net->parameter_count();
  result.macs = ck.net->macs_per_sample();
  if (o.verbose) std::printf("%s", ck.net->describe().c_str());
  const BatchMaker batches(cube, ck.net_options);

  // Where an interrupted run stopped: inside pretraining, at its end, or inside fine-tuning.
  const bool in_finetune = resuming && last.progress.stage == "finetune";
  if (!in_finetune) {
    t0 = std::chrono::steady_clock::now();
    auto optimizer = make_optimizer(ck.net, s.train.optimizer, s.train.lr, s.train.momentum, s.train.weight_decay);
    StageProgress progress;
    if (resuming) {
      load_optimizer_state(last_path, *optimizer);
      progress = last.progress;
      if (o.verbose) std::printf("resuming pretraining after epoch %d\n", progress.epoch);
    }
    const TrainOutcome outcome = pretrain(ck.net, *optimizer, batches, train, validation, s.train, s.seed, progress,
                                          checkpointing(ck, s.out), o.verbose);
    result.seconds_pretrain = seconds_since(t0);
    result.interrupted = outcome.interrupted;
    if (outcome.interrupted) return result;
    restore_best(ck, s.out, outcome);
  }
  if (s.finetune.enabled) {
    StageProgress progress;
    progress.stage = "finetune";
    if (in_finetune) {
      progress = last.progress;
      if (o.verbose) std::printf("resuming fine-tuning after epoch %d\n", progress.epoch);
    }
    run_finetune_stage(ck, s, o, batches, train, validation, progress, in_finetune ? last_path : "", result);
    if (result.interrupted) return result;
  }
  finish_run(scene, s, o, ck, cube, train, result);
  return result;
}

RunResult run_finetune_from(const Scene& scene, const RunSettings& s, const std::string& checkpoint, const RunOptions& o) {
  RunResult result;
  result.out_dir = s.out;
  std::error_code ec;
  fs::create_directories(s.out, ec);
  if (ec || !fs::is_directory(s.out)) output_error(s.out, "cannot create the output folder");
  Checkpoint ck = load_checkpoint(checkpoint);
  if (ck.preprocessor.input_bands() != scene.cube.bands) {
    data_error(scene.cube.source, "has " + std::to_string(scene.cube.bands) + " bands, the checkpoint " + checkpoint + " expects " +
                                      std::to_string(ck.preprocessor.input_bands()));
  }
  auto t0 = std::chrono::steady_clock::now();
  result.split = split_for(scene, s);
  save_split(result.split, path_in(s.out, "split"), scene.classes, scene.cube.geo);
  result.seconds_split = seconds_since(t0);
  const Samples train = samples_of(result.split.train, ck.classes);
  const Samples validation = samples_of(result.split.validation, ck.classes);
  Cube cube = scene.cube;
  ck.preprocessor.apply(cube);
  ck.settings_text = s.config_text;
  result.parameters = ck.net->parameter_count();
  result.macs = ck.net->macs_per_sample();
  const BatchMaker batches(cube, ck.net_options);
  RunSettings with_finetune = s;
  with_finetune.finetune.enabled = true;
  StageProgress progress;
  progress.stage = "finetune";
  run_finetune_stage(ck, with_finetune, o, batches, train, validation, progress, "", result);
  if (result.interrupted) return result;
  finish_run(scene, with_finetune, o, ck, cube, train, result);
  return result;
}

}  // namespace hsi
