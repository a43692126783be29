#include "pipeline/run.hpp"

#include <torch/torch.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "common/atomic_file.hpp"
#include "common/error.hpp"
#include "common/text.hpp"
#include "common/version.hpp"
#include "eval/figure.hpp"
#include "eval/report.hpp"
#include "io/writer.hpp"
#include "metric/losses.hpp"
#include "pipeline/batches.hpp"
#include "pipeline/checkpoint.hpp"
#include "pipeline/finetune.hpp"
#include "pipeline/precision.hpp"
#include "pipeline/predict.hpp"
#include "pipeline/prototypes.hpp"
#include "pipeline/svm_training.hpp"
#include "pipeline/trainer.hpp"

namespace fs = std::filesystem;

namespace hsi {
namespace {

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

std::string read_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// The selection of this run, or (a resumed run) the one its first part wrote beside it.
ReportSection selection_section(const RunResult& result) {
  ReportSection section{"Model selection", "", "model_selection", "null"};
  if (result.selected) {
    section.markdown = selection_markdown(result.selection);
    section.json = selection_json(result.selection);
    return section;
  }
  std::error_code ec;
  const std::string& md = result.files.selection_md;
  const std::string& json = result.files.selection_json;
  section.markdown = fs::exists(md, ec) ? read_text(md) : "(not recorded)\n";
  if (fs::exists(json, ec)) section.json = read_text(json);
  return section;
}

// What the split had to adapt (a class too small for the asked count, a class in one block...),
// so a reader of the report sees why a row's training count differs from the protocol's.
ReportSection split_notes_section(const Split& split) {
  ReportSection section{"Split notes", "", "split_notes", json_string_array(split.notes)};
  for (const std::string& note : split.notes) section.markdown += "- " + note + "\n";
  return section;
}

// map.svg: prediction | ground truth | errors on the test pixels, with the legend;
// map_masked.svg: the prediction on labelled pixels only.
void write_figures(const Scene& scene, const Checkpoint& ck, const std::vector<int32_t>& ids, const RunResult& result) {
  FigureSpec spec;
  spec.rows = scene.cube.rows;
  spec.cols = scene.cube.cols;
  const ClassTable legend = ck.open_set == "none" ? ck.classes : with_unknown_class(ck.classes);
  for (const auto& c : legend.classes()) spec.legend.push_back({c.id, c.name, c.rgb});
  spec.title = scene.name + ": " + ck.net_options.name + ", " + result.split.mode + " split, OA " + format_fixed(result.accuracy.overall, 4);
  spec.panels = {{"Classification map", ids, false},
                 {"Ground truth", scene.labels.labels, false},
                 {"Test pixels: correct / wrong", error_codes(result.split.test, ids), true}};
  write_text_file(result.files.svg, render_svg(spec));
  spec.panels = {{"Classification map, labelled pixels", masked(ids, scene.labels.labels), false}};
  write_text_file(result.files.svg_masked, render_svg(spec));
}

// The prototypes fitted with the scene's unlabelled pixels (finetune.prototypes = scene or
// propagated): every pixel with data that is not a training pixel, at most kMaxRefinementPixels
// of them evenly spread.
Prototypes scene_prototypes(Checkpoint& ck, const BatchMaker& batches, const Scene& scene, const RunSettings& s, const Samples& train,
                            const torch::Tensor& z, const torch::Tensor& y, const Prototypes& labelled, RunResult& result) {
  std::vector<uint8_t> taken(scene.labels.labels.size(), 0);
  for (int64_t p : train.pixels) taken[static_cast<size_t>(p)] = 1;
  const std::vector<int64_t> pool = unlabelled_pool(taken, scene.nodata);
  const int64_t classes = labelled.means.size(0);
  const int64_t free_centres = s.finetune.free_centres < 0 ? classes : s.finetune.free_centres;
  const torch::Tensor u = metric_features(ck.net, batches, pool);
  if (s.finetune.prototypes == "scene") {
    result.prototypes = "class means of the training pixels refined by k-means over " + std::to_string(pool.size()) +
                        " unlabelled pixels of the scene, with " + std::to_string(free_centres) + " free centres (finetune.prototypes = scene)";
    return refine_prototypes(labelled, z, y, u, free_centres);
  }
  torch::Tensor assigned;
  Prototypes p = propagated_prototypes(labelled, z, y, u, free_centres, &assigned);
  result.prototypes = "class means and covariance of the training pixels and the " + std::to_string((assigned < classes).sum().item<int64_t>()) +
                      " of " + std::to_string(pool.size()) + " unlabelled pixels of the scene their labels reached by propagation over the " +
                      "metric's nearest-neighbour graph, with " + std::to_string(free_centres) +
                      " free seeds (finetune.prototypes = propagated)";
  return p;
}

// A model that labels its own training pixels no better than always answering their largest
// class has learned nothing: a learning rate so large that every output is one class, or far too
// few steps. Its map is still written (the user asked for it), but not without a word.
std::string learned_nothing_warning(const Split& split, const AccuracyReport& fit, const RunSettings& s, bool network) {
  int64_t largest = 0, total = 0, classes = 0;
  for (const ClassSplitCount& c : split.counts) {
    largest = std::max(largest, c.train);
    total += c.train;
    classes += c.train > 0;
  }
  if (classes < 2 || fit.total == 0 || !std::isfinite(fit.overall)) return {};
  const double constant = static_cast<double>(largest) / static_cast<double>(total);
  if (fit.overall > constant + 1e-9) return {};
  char lr[32];
  std::snprintf(lr, sizeof lr, "%g", s.train.lr);
  return "the model labels its " + std::to_string(total) + " training pixels no better than always answering their largest class (OA " +
         format_fixed(fit.overall, 4) + " against " + format_fixed(constant, 4) + "): it learned nothing" +
         (network ? "; lower train.lr (" + std::string(lr) + ") or raise train.epochs / train.min_steps" : "");
}

// With one to three training pixels in some class the class means of those pixels are the
// prototypes least like their class; propagated prototypes were measured better there on every
// scene tried, but are not the default (README "Labels propagated over the scene"). Said, not
// imposed: empty when it does not apply.
std::string few_labels_hint(const Split& split, const RunSettings& s) {
  if (s.finetune.prototypes != "labelled") return {};
  int64_t fewest = 0;
  for (const ClassSplitCount& c : split.counts)
    if (c.train > 0 && (fewest == 0 || c.train < fewest)) fewest = c.train;
  if (fewest == 0 || fewest > 3) return {};
  return "few labels: a class has " + std::to_string(fewest) + " training pixel" + (fewest > 1 ? "s" : "") +
         "; with one to three a class, finetune.prototypes = propagated with finetune.classifier = mahalanobis (class means fitted with the "
         "scene's unlabelled pixels) gained 0.01-0.08 OA at one pixel a class and came within 0.002 or better at three on the scenes "
         "measured (README \"Labels propagated over the scene\")";
}

// Everything after training: prototypes, open-set thresholds, the final checkpoint, the maps and
// the reports.
void finish_run(const Scene& scene, const RunSettings& s, const RunOptions& o, Checkpoint& ck, const Cube& cube,
                const Samples& train, const Samples& validation, RunResult& result) {
  if (ck.net) {
    const BatchMaker batches(cube, ck.net_options);
    const torch::Tensor z = metric_features(ck.net, batches, train.pixels), y = torch::tensor(train.targets, torch::kLong);
    Prototypes prototypes = class_prototypes(z, y, static_cast<int64_t>(ck.classes.size()));
    if (s.finetune.prototypes != "labelled") prototypes = scene_prototypes(ck, batches, scene, s, train, z, y, prototypes, result);
    ck.prototypes = prototypes.means;
    ck.prototype_counts = prototypes.counts;
    ck.metric_precision = prototypes.precision;
    ck.exemplars = prototypes.exemplars;
    ck.exemplar_classes = prototypes.exemplar_classes;
    // z = B e is trained with the softmax head in the first stage too, so every classifier
    // applies with or without the metric stage.
    ck.classifier = s.finetune.classifier;
    const bool held_out = validation.size() > 0;
    calibrate_open_set(ck, batches, held_out ? validation : train, s.open_set.accept, !held_out);
    ck.open_set = s.open_set.rule;
    result.open_set_calibration = held_out ? "validation" : "training";
    if (s.open_set.rule != "none" && !held_out && o.verbose) {
      std::fprintf(stderr,
                   "hsi: warning: open_set.rule = %s: its threshold is calibrated on the training pixels (the split holds out no "
                   "validation pixels: set split.validation_fraction); it will reject more known pixels than open_set.accept says\n",
                   s.open_set.rule.c_str());
    }
    result.diversity = metric::mean_abs_cosine(ck.net->metric_factor());
  } else {
    ck.classifier = ck.svm ? "svm" : "unmix";
  }
  save_checkpoint(result.files.best_checkpoint, ck);

  // The scene as read, with the mask made when it was loaded: the same tile loop as `hsi predict`.
  PredictOptions po;
  static_cast<PredictSettings&>(po) = s.predict;
  po.nan_policy = s.data.nan_policy;
  po.progress = o.verbose;
  const CubeWindowSource source(scene.cube, &scene.nodata);
  std::vector<int32_t> ids;
  PredictionStats prediction;
  if (o.write_maps) {
    const MapOutputs outputs{result.files.map, result.files.confidence, result.files.png};
    prediction = predict_to_maps(ck, source, outputs, po, &ids);
  } else {
    ScenePrediction p = predict_cube(ck, scene.cube, &scene.nodata, po);
    ids = std::move(p.ids);
    prediction = p.stats;
  }
  result.seconds_predict = prediction.seconds;
  result.prediction_route = prediction.route;
  result.accuracy = evaluate_accuracy(result.split.test, ids, 0);
  const AccuracyReport fit = evaluate_accuracy(result.split.train, ids, 0);
  result.training_oa = fit.overall;
  const std::string warning = learned_nothing_warning(result.split, fit, s, static_cast<bool>(ck.net));
  if (!warning.empty()) std::fprintf(stderr, "hsi: warning: %s\n", warning.c_str());
  if (o.write_maps) write_figures(scene, ck, ids, result);

  RunReport report;
  const std::string stages = ck.unmixing ? "linear unmixing: class-mean endmembers from the training pixels, least-squares abundances, the largest wins"
                             : ck.svm ? "RBF-SVM, C = " + format_fixed(ck.svm->c(), 1) + " and gamma = " + format_fixed(ck.svm->gamma(), 5) +
                                          " chosen by cross-validation on the training pixels (" + std::to_string(ck.svm->support_vector_count()) +
                                          " support vectors)"
                              : s.finetune.enabled ? "softmax pretraining + DPP metric fine-tuning"
                                                   : "softmax pretraining";
  report.header = {{"scene", scene.name},
                   {"cube", scene.cube.source},
                   {"labels", scene.labels.source},
                   {"config", s.config_file.empty() ? "(command line)" : s.config_file},
                   {"split", describe_split(s.split)},
                   {"seed", std::to_string(s.seed)},
                   {"model", ck.net_options.name + (ck.selection.empty() ? "" : " (chosen by cross-validation, model.name = auto)")},
                   {"patch", std::to_string(ck.net_options.patch_used())},
                   {"input bands", std::to_string(ck.net_options.in_bands) + " (of " + std::to_string(scene.cube.bands) + ")"},
                   {"parameters", std::to_string(result.parameters)},
                   {"stages", stages},
                   {"classifier", ck.classifier},
                   {"prototypes", ck.net ? result.prototypes : std::string("(none: ") + ck.net_options.name + ")"},
                   {"open set", ck.open_set == "none" ? std::string("off (open_set.rule = none)")
                                                      : ck.open_set + " rule, threshold accepting " + format_fixed(100 * ck.open_set_accept, 1) +
                                                            " % of the " + result.open_set_calibration + " pixels; " +
                                                            std::to_string(prediction.unknown_pixels) + " pixels mapped unknown (id " +
                                                            std::to_string(unknown_class_id(ck.classes)) + ")"},
                   {"training pixels OA", fit.total ? format_fixed(fit.overall, 4) + " (the final model on its own " + std::to_string(fit.total) + " training pixels)"
                                                    : std::string("(no training pixels in the split)")},
                   {"prediction route", prediction.route},
                   {"training arithmetic", ck.net ? std::string(resolves_to_bf16(s.train.precision) ? "bf16" : "fp32") + " (train.precision = " +
                                                        s.train.precision + ")"
                                                  : std::string("fp32 (") + ck.net_options.name + ")"},
                   {"prediction arithmetic", prediction.precision + " (predict.precision = " + s.predict.precision + ")"},
                   {"metric factor mean |cos|", ck.net ? format_fixed(result.diversity, 4) : "(no metric: SVM)"},
                   {"hsi version", std::string(kVersion) + " (" + git_hash() + ")"}};
  report.timings = {{"split", result.seconds_split},
                    {"select", result.seconds_select},
                    {"pretrain", result.seconds_pretrain},
                    {"finetune", result.seconds_finetune},
                    {"predict", result.seconds_predict}};
  const ClassTable named = with_unknown_class(ck.classes);
  for (const auto& c : named.classes()) report.class_names[c.id] = c.name;
  for (const auto& c : result.split.counts) report.train_test_counts[c.id] = {c.train, c.test};
  report.accuracy = result.accuracy;
  if (!result.split.notes.empty()) report.sections.push_back(split_notes_section(result.split));
  if (!warning.empty()) report.sections.push_back(ReportSection{"Warning", "- " + warning + "\n", "warning", "\"" + json_escape(warning) + "\""});
  if (!ck.selection.empty()) report.sections.push_back(selection_section(result));
  write_text_file(result.files.report_json, report_json(report));
  write_text_file(result.files.report_md, report_markdown(report));
  write_text_file(result.files.confusion_csv, confusion_csv(result.accuracy, report.class_names));
  write_text_file(result.files.settings_ini, s.config_text);
  if (o.verbose) {
    const auto shown = [](double v) { return std::isfinite(v) ? format_fixed(v, 4) : std::string("undefined"); };
    if (result.accuracy.total == 0) {
      std::printf("test: the split leaves no test pixels; the map is made, accuracy is not evaluated\n");
    } else {
      std::printf("test: OA %s  AA %s  kappa %s  (%ld pixels)  prediction %s route %.2fs\n", shown(result.accuracy.overall).c_str(),
                  shown(result.accuracy.average).c_str(), shown(result.accuracy.kappa).c_str(), static_cast<long>(result.accuracy.total),
                  prediction.route.c_str(), prediction.seconds);
    }
  }
}

// Runs the selection of model.name = auto and returns the settings of the winner; a resumed run
// keeps the model its first part chose (the one in last.ckpt).
RunSettings resolve_auto(const Scene& scene, const RunSettings& s, const RunOptions& o, const Checkpoint* last, Checkpoint& ck,
                         RunResult& result) {
  if (s.model.name != "auto") return s;
  if (last) {
    if (o.verbose) std::printf("resuming with the model selected before: %s\n", last->net_options.name.c_str());
    ck.selection = last->selection;
    return with_candidate(s, Candidate{last->net_options.name, last->net_options.patch});
  }
  const auto t0 = std::chrono::steady_clock::now();
  result.selection = select_model(scene, s, result.split, o.verbose);
  result.selected = true;
  result.seconds_select = seconds_since(t0);
  ck.selection = selection_lines(result.selection);
  write_text_file(result.files.selection_md, selection_markdown(result.selection));
  write_text_file(result.files.selection_json, selection_json(result.selection) + "\n");
  return with_candidate(s, result.selection.chosen);
}

// Linear unmixing: the endmembers are the training pixels' class means, nothing else to fit.
void train_unmixing(Checkpoint& ck, const RunSettings& s, const RunOptions& o, const Cube& cube, const Samples& train, RunResult& result) {
  const auto t0 = std::chrono::steady_clock::now();
  if (s.finetune.enabled && o.verbose) std::printf("unmix: fine-tuning applies to networks only (unmixing learns no metric); skipped\n");
  const std::vector<float> spectra = spectra_of(cube, train.pixels);
  ck.unmixing = std::make_shared<const UnmixingModel>(UnmixingModel::fit(spectra.data(), static_cast<int64_t>(train.size()), static_cast<int>(cube.bands),
                                                                         train.targets, static_cast<int>(ck.classes.size()),
                                                                         ck.preprocessor.zero_spectrum()));
  const long endmembers = static_cast<long>(ck.unmixing->trained_class_count());
  if (endmembers > cube.bands) {
    // k endmembers in fewer dimensions: many abundance vectors explain a pixel equally well and
    // the least-norm one is arbitrary among them (Samson, 3 classes: PCA 2 OA 0.71, PCA 5 0.9998).
    std::fprintf(stderr,
                 "hsi: warning: unmixing %ld classes in %ld bands: a pixel's abundances are not unique (the least-norm solution is "
                 "taken); keep at least %ld bands (preprocess.pca >= %ld, or 0)\n",
                 endmembers, static_cast<long>(cube.bands), endmembers, endmembers);
  }
  ck.progress.stage = "unmix";
  ck.progress.done = true;
  result.seconds_pretrain = seconds_since(t0);
  result.parameters = ck.unmixing->trained_class_count() * (cube.bands + 1);
  result.macs = ck.unmixing->trained_class_count() * cube.bands;
  if (o.verbose) {
    std::printf("unmix: %ld endmembers (class means) over %ld bands (%.3f s)\n", static_cast<long>(ck.unmixing->trained_class_count()),
                static_cast<long>(cube.bands), result.seconds_pretrain);
  }
}

// The SVM baseline: C and gamma by cross-validation on the training pixels, no epochs.
void train_svm(Checkpoint& ck, const RunSettings& s, const RunOptions& o, const Cube& cube, const Samples& train, RunResult& result) {
  const auto t0 = std::chrono::steady_clock::now();
  if (s.finetune.enabled && o.verbose) std::printf("svm: fine-tuning applies to networks only (the SVM learns no metric); skipped\n");
  SvmFit fit = fit_svm(spectra_of(cube, train.pixels), static_cast<int>(cube.bands), train.targets, static_cast<int>(ck.classes.size()),
                       s.select.folds, static_cast<uint64_t>(s.seed));
  ck.svm = std::make_shared<const SvmModel>(std::move(fit.model));
  ck.progress.stage = "svm";
  ck.progress.done = true;
  result.seconds_pretrain = seconds_since(t0);
  const SvmModel::State st = ck.svm->state();
  result.parameters = st.support_vectors.numel() + st.coefficients.numel() + st.rho.numel();
  result.macs = ck.svm->support_vector_count() * (cube.bands + 1);
  if (o.verbose) {
    std::printf("svm: C %g, gamma %g, %ld support vectors; %d-fold CV accuracy %s (%.2f s)\n", ck.svm->c(), ck.svm->gamma(),
                static_cast<long>(ck.svm->support_vector_count()), fit.folds, fit.cv_accuracy < 0 ? "n/a" : format_fixed(fit.cv_accuracy, 4).c_str(),
                result.seconds_pretrain);
    for (const auto& note : fit.notes) std::printf("svm: %s\n", note.c_str());
  }
}

EpochCallback checkpointing(Checkpoint& ck, const RunLayout& files, const RunOptions& o) {
  return [&ck, files, after = o.after_checkpoint](const EpochLog& log, const StageProgress& progress, bool is_best,
                                                  torch::optim::Optimizer& optimizer) {
    ck.progress = progress;
    ck.validation_oa = log.validation_oa;
    save_checkpoint(files.last_checkpoint, ck, &optimizer);
    if (is_best) save_checkpoint(files.best_checkpoint, ck);
    if (after) after(files.last_checkpoint);
  };
}

// Reloads the best weights after a stage that tracked validation OA.
void restore_best(Checkpoint& ck, const RunLayout& files, const TrainOutcome& outcome) {
  const StageProgress& p = outcome.progress;
  if (p.best_epoch == p.epoch || p.best_validation_oa < 0) return;
  Checkpoint best = load_checkpoint(files.best_checkpoint);
  ck.net = best.net;
  ck.validation_oa = best.validation_oa;
}

// `resume_from` is last.ckpt of an interrupted fine-tuning stage (empty: a fresh stage).
void run_finetune_stage(Checkpoint& ck, const RunSettings& s, const RunOptions& o, const BatchMaker& batches, const Samples& train,
                        const Samples& validation, const StageProgress& progress, const std::string& resume_from, RunResult& result) {
  const auto t0 = std::chrono::steady_clock::now();
  auto optimizer = make_optimizer(ck.net, "adam", s.finetune.lr, 0.0, s.train.weight_decay);
  if (!resume_from.empty()) load_optimizer_state(resume_from, *optimizer);
  const TrainOutcome outcome = finetune(ck.net, *optimizer, batches, train, validation, s.finetune, s.train, s.seed, progress,
                                        checkpointing(ck, result.files, o), o.verbose);
  result.interrupted = result.interrupted || outcome.interrupted;
  if (!outcome.interrupted) restore_best(ck, result.files, outcome);
  result.seconds_finetune = seconds_since(t0);
}

// A resumed run must continue the same run: the data, split, preprocessing, model and selection
// settings (and the seed) must be those last.ckpt was trained with. Epochs, learning rates and
// the like may change (e.g. more epochs).
void check_resume_settings(const Checkpoint& last, const RunSettings& s, const std::string& last_path) {
  const std::map<std::string, std::string> before = stored_settings(last.settings_text), now = stored_settings(s.config_text);
  for (const std::string prefix : {"data.", "classes.", "split.", "preprocess.", "model.", "select.", "seed"}) {
    for (const auto& [key, value] : now) {
      if (key.rfind(prefix, 0) != 0) continue;
      const auto it = before.find(key);
      if (it == before.end() || it->second == value) continue;  // keys older checkpoints did not store pass
      usage_error("--resume: " + last_path + " was trained with " + key + " = " + it->second + ", the settings now say " + value +
                  "; resume with the same settings, or train into a new --out folder");
    }
  }
}

}  // namespace

int window_radius(const RunSettings& s) {
  if (s.model.name != "auto") return s.model.net_options(1, 1).patch_used() / 2;
  int radius = 0;
  for (const Candidate& c : parse_candidates(s.select.candidates, "select.candidates")) radius = std::max(radius, c.patch / 2);
  return radius;
}

Split split_for(const Scene& scene, const RunSettings& s) {
  const int radius = window_radius(s);
  if (!s.split.load.empty()) return load_split(s.split.load, scene.cube.rows, scene.cube.cols);
  if (s.split.mode == "external") {
    check_config_input(s.split.train_map, s.config_file);
    check_config_input(s.split.test_map, s.config_file);
    const std::set<int32_t> ignored = ignored_class_ids(s.data);
    return external_split(s.split, scene.cube.rows, scene.cube.cols, s.data.unlabelled, s.seed,
                          [&](const std::string& source) {
                            LabelMap map = read_labels_on_grid(source, scene.cube.geo, scene.cube.rows, scene.cube.cols, scene.classes,
                                                               {s.data.label_field, s.data.all_touched}, s.data.axis_order);
                            for (int32_t& v : map.labels)
                              if (ignored.count(v)) v = 0;
                            return map;
                          });
  }
  return make_split(scene.labels, s.split, radius, s.seed);
}

RunResult run_training(const Scene& scene, const RunSettings& settings, const RunOptions& o) {
  RunResult result;
  const RunSettings& s0 = settings;
  result.files = RunLayout(s0.out, s0.predict.format);
  std::error_code ec;
  fs::create_directories(s0.out, ec);
  if (ec || !fs::is_directory(s0.out)) output_error(s0.out, "cannot create the output folder");
  const std::string last_path = result.files.last_checkpoint;
  const bool resuming = o.resume && fs::exists(last_path);
  if (o.resume && !resuming) std::fprintf(stderr, "hsi: warning: --resume: %s holds no last.ckpt; training from the start\n", s0.out.c_str());
  Checkpoint last;
  if (resuming) {
    last = load_checkpoint(last_path);
    check_resume_settings(last, s0, last_path);
  }

  auto t0 = std::chrono::steady_clock::now();
  result.split = split_for(scene, s0);
  save_split(result.split, result.files.split_dir, scene.classes, scene.cube.geo);
  result.seconds_split = seconds_since(t0);
  if (o.verbose) std::printf("split (%s, seed %d):\n%s", result.split.mode.c_str(), s0.seed, split_table(result.split, scene.classes).c_str());

  const Samples train = samples_of(result.split.train, scene.classes);
  const Samples validation = samples_of(result.split.validation, scene.classes);
  Checkpoint ck;
  const RunSettings s = resolve_auto(scene, s0, o, resuming ? &last : nullptr, ck, result);
  result.model = Candidate{s.model.name, s.model.patch}.label();
  if (resuming) {
    ck.preprocessor = last.preprocessor;
  } else {
    const PreprocessSpec spec = preprocess_spec(s, scene.cube);
    if (!spec.note.empty()) std::fprintf(stderr, "hsi: warning: %s\n", spec.note.c_str());
    const PreprocessFit fit = plan_preprocess_fit(train.pixels, scene.cube.rows, scene.cube.cols, window_radius(s), scene.nodata,
                                                  s.preprocess.fit_on, spec.pca);
    if (o.verbose && !fit.note.empty()) std::printf("%s\n", fit.note.c_str());
    if (!fit.warning.empty()) std::fprintf(stderr, "hsi: warning: %s\n", fit.warning.c_str());
    ck.preprocessor = Preprocessor::fit(scene.cube, fit.pixels, spec);
  }
  const Cube cube = ck.preprocessor.applied(scene.cube);
  ck.net_options = s.model.net_options(ck.preprocessor.output_bands(), static_cast<int>(scene.classes.size()));
  ck.classes = scene.classes;
  ck.scene = scene.name;
  ck.settings_text = s.config_text;
  if (o.verbose && ck.net_options.network()) {
    const std::string hint = few_labels_hint(result.split, s);
    if (!hint.empty()) std::printf("%s\n", hint.c_str());
  }
  if (!ck.net_options.network()) {
    if (ck.net_options.form() == NetForm::Unmixing) {
      train_unmixing(ck, s, o, cube, train, result);
    } else {
      train_svm(ck, s, o, cube, train, result);
    }
    finish_run(scene, s, o, ck, cube, train, validation, result);
    return result;
  }
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
                                          checkpointing(ck, result.files, o), o.verbose);
    result.seconds_pretrain = seconds_since(t0);
    result.interrupted = outcome.interrupted;
    if (outcome.interrupted) return result;
    restore_best(ck, result.files, outcome);
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
  finish_run(scene, s, o, ck, cube, train, validation, result);
  return result;
}

RunResult run_finetune_from(const Scene& scene, const RunSettings& s, const std::string& checkpoint, const RunOptions& o) {
  RunResult result;
  result.files = RunLayout(s.out, s.predict.format);
  std::error_code ec;
  fs::create_directories(s.out, ec);
  if (ec || !fs::is_directory(s.out)) output_error(s.out, "cannot create the output folder");
  Checkpoint ck = load_checkpoint(checkpoint);
  if (!ck.net) usage_error("fine-tuning needs a network; " + checkpoint + " holds an SVM, which learns no metric");
  if (ck.preprocessor.input_bands() != scene.cube.bands) {
    data_error(scene.cube.source, "has " + std::to_string(scene.cube.bands) + " bands, the checkpoint " + checkpoint + " expects " +
                                      std::to_string(ck.preprocessor.input_bands()));
  }
  auto t0 = std::chrono::steady_clock::now();
  result.split = split_for(scene, s);
  save_split(result.split, result.files.split_dir, scene.classes, scene.cube.geo);
  result.seconds_split = seconds_since(t0);
  const Samples train = samples_of(result.split.train, ck.classes);
  const Samples validation = samples_of(result.split.validation, ck.classes);
  const Cube cube = ck.preprocessor.applied(scene.cube);
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
  finish_run(scene, with_finetune, o, ck, cube, train, validation, result);
  return result;
}

}  // namespace hsi
