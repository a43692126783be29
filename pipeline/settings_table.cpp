#include "pipeline/settings_table.hpp"

#include <algorithm>
#include <set>
#include <sstream>

#include "common/text.hpp"
#include "io/writer.hpp"
#include "pipeline/bands.hpp"
#include "metric/loss_names.hpp"
#include "pipeline/candidates.hpp"

namespace hsi {
namespace {

template <typename T>
struct Identity {
  using type = T;
};

template <typename T>
SettingEntry entry(std::string key, T& (*field)(RunSettings&), std::string help,
                   typename Identity<std::function<std::string(const T&)>>::type check = nullptr) {
  SettingEntry e{std::move(key), std::move(help), field, nullptr};
  if (check) e.problem = [field, check](const RunSettings& s) { return check(field(const_cast<RunSettings&>(s))); };
  return e;
}

std::string joined(const std::vector<std::string>& names) {
  std::string s;
  for (const auto& n : names) s += (s.empty() ? "" : " | ") + n;
  return s;
}

std::string number(double v) {
  std::ostringstream o;
  o.precision(15);
  o << v;
  return o.str();
}

auto at_least(double lo) {
  return [lo](const auto& v) { return static_cast<double>(v) >= lo ? std::string() : "must be at least " + number(lo) + ", got " + number(v); };
}
auto within(double lo, double hi) {  // lo <= v <= hi
  return [lo, hi](const auto& v) {
    return static_cast<double>(v) >= lo && static_cast<double>(v) <= hi ? std::string()
                                                                        : "must be within [" + number(lo) + ", " + number(hi) + "], got " + number(v);
  };
}
auto open_unit() {  // 0 < v < 1
  return [](const double& v) { return v > 0 && v < 1 ? std::string() : "must be within (0, 1), got " + number(v); };
}
// "108-112,154-167,224": 1-based inclusive ranges; parse_index_ranges throws a usage error naming the key.
auto index_ranges(std::string key) {
  return [key](const std::string& v) {
    parse_index_ranges(v, key);
    return std::string();
  };
}
auto one_of(std::vector<std::string> allowed) {
  return [allowed](const std::string& v) {
    if (std::find(allowed.begin(), allowed.end(), v) != allowed.end()) return std::string();
    std::string list;
    for (const auto& a : allowed) list += (list.empty() ? "" : ", ") + a;
    return "'" + v + "' is not one of " + list;
  };
}

}  // namespace

#define FIELD(member) +[](RunSettings& s) -> auto& { return s.member; }

const std::vector<SettingEntry>& setting_entries() {
  static const std::vector<SettingEntry> table = {
      entry("seed", FIELD(seed), "random seed (split, initialisation, batches)", at_least(0)),
      entry("threads", FIELD(threads), "threads (0 = all cores)", at_least(0)),

      entry("data.cube", FIELD(data.cube), "hyperspectral cube, FILE or FILE:VARIABLE"),
      entry("data.labels", FIELD(data.labels), "ground-truth label map, FILE or FILE:VARIABLE"),
      entry("data.name", FIELD(data.name), "scene name for reports"),
      entry<std::string>("data.axis_order", FIELD(data.axis_order), "roles of the variable's dims (MATLAB size()/HDF5 dims order)",
                         [](const std::string& v) {
                           std::string sorted = v;
                           std::sort(sorted.begin(), sorted.end());
                           return sorted == "bcr" || sorted == "cr" ? std::string() : "must be a permutation of r, c, b";
                         }),
      entry("data.unlabelled", FIELD(data.unlabelled), "label value meaning 'no label'", within(0, 65535)),
      entry<std::string>("data.ignore_classes", FIELD(data.ignore_classes),
                         "class ids whose pixels count as unlabelled, e.g. 99 or 200-255 (a background or mixed class, or one too small "
                         "to be both trained and tested)",
                         index_ranges("data.ignore_classes")),
      entry<std::string>("data.drop_bands", FIELD(data.drop_bands), "1-based band ranges to drop, e.g. 108-112,154-167,224",
                         index_ranges("data.drop_bands")),
      entry<std::string>("data.drop_wavelengths", FIELD(data.drop_wavelengths),
                         "wavelength ranges to drop, unit stated, e.g. '1340-1450, 1790-1960 nm' (needs a cube with wavelengths)",
                         [](const std::string& v) {
                           parse_wavelength_ranges(v, "data.drop_wavelengths");
                           return std::string();
                         }),
      entry("data.nan_policy", FIELD(data.nan_policy), "NaN/Inf in the cube: error | nodata", one_of({"error", "nodata"})),
      entry("data.label_field", FIELD(data.label_field),
            "labels as vector features (GeoPackage, Shapefile, GeoJSON...): the attribute with the class id or name (default: the one "
            "integer attribute)"),
      entry("data.all_touched", FIELD(data.all_touched), "labels as vector features: a polygon labels every pixel it touches, not "
                                                         "only those whose centre it covers"),

      entry("classes.class", FIELD(classes), "class entry 'ID | NAME | RRGGBB' (repeat)"),

      entry("split.mode", FIELD(split.mode), "fixed | fraction | external | blocks", one_of({"fixed", "fraction", "external", "blocks"})),
      entry("split.per_class", FIELD(split.per_class), "training pixels per class (fixed; cap in blocks)", at_least(1)),
      entry("split.fraction", FIELD(split.fraction), "training share per class (fraction)", open_unit()),
      entry("split.max_class_fraction", FIELD(split.max_class_fraction), "most of a small class that may go to training", open_unit()),
      entry("split.train_map", FIELD(split.train_map), "external training map"),
      entry("split.test_map", FIELD(split.test_map), "external test map"),
      entry("split.block_size", FIELD(split.block_size), "block side in pixels (blocks; also cuts the training areas of disjoint external maps into CV groups)", at_least(2)),
      entry("split.block_train_fraction", FIELD(split.block_train_fraction), "share of each class's blocks used for training", open_unit()),
      entry<double>("split.validation_fraction", FIELD(split.validation_fraction), "training pixels held out for early stopping",
                    [](const double& v) { return v >= 0 && v < 1 ? std::string() : "must be within [0, 1), got " + number(v); }),
      entry("split.load", FIELD(split.load), "reuse a saved split folder"),

      entry("preprocess.standardize", FIELD(preprocess.standardize), "per-band standardisation fitted on training pixels"),
      entry("preprocess.pca", FIELD(preprocess.pca), "PCA components fitted on training pixels (0 = off)", at_least(0)),
      entry("preprocess.fit_on", FIELD(preprocess.fit_on),
            "pixels the statistics and PCA are fitted on: training | windows (all the training windows cover, no label) | auto "
            "(windows when the training pixels are too few for the PCA)",
            one_of({"auto", "training", "windows"})),

      entry("model.name", FIELD(model.name), joined(model_names()) + " | auto (chosen by cross-validation, [select])", [](const std::string& v) {
              return v == "auto" ? std::string() : one_of(model_names())(v);
            }),
      entry<int>("model.patch", FIELD(model.patch), "odd window side",
                 [](const int& v) { return v >= 1 && v % 2 == 1 ? std::string() : "must be a positive odd number, got " + std::to_string(v); }),
      entry("model.width", FIELD(model.width), "channels per branch", at_least(1)),
      entry("model.embedding", FIELD(model.embedding), "feature dimension D", at_least(1)),
      entry("model.metric_dim", FIELD(model.metric_dim), "rows K of the metric factor B", at_least(1)),
      entry<double>("model.dropout", FIELD(model.dropout), "dropout before the metric layer",
                    [](const double& v) { return v >= 0 && v < 1 ? std::string() : "must be within [0, 1), got " + number(v); }),

      entry<std::string>("select.candidates", FIELD(select.candidates), "models tried by model.name = auto: NAME or NAME:PATCH, comma-separated",
                         [](const std::string& v) {
                           parse_candidates(v, "select.candidates");  // throws a usage error naming the key
                           return std::string();
                         }),
      entry("select.folds", FIELD(select.folds), "most cross-validation folds", within(2, 20)),
      entry<double>("select.train_share", FIELD(select.train_share), "share of the pretraining epochs/steps each fold trains",
                    [](const double& v) { return v > 0 && v <= 1 ? std::string() : "must be within (0, 1], got " + number(v); }),
      entry("select.budget_s", FIELD(select.budget_s), "seconds for the whole selection (0 = no limit)", at_least(0)),
      entry<std::string>("select.fallback", FIELD(select.fallback), "model when there are too few pixels to cross-validate",
                         [](const std::string& v) {
                           if (parse_candidates(v, "select.fallback").size() != 1) return std::string("must name one model");
                           return std::string();
                         }),
      entry("select.tie_break", FIELD(select.tie_break), "among candidates tied on CV OA: log-loss (lowest held-out) | order (listed first)",
            one_of({"log-loss", "order"})),

      entry("train.epochs", FIELD(train.epochs), "epochs", at_least(1)),
      entry("train.batch_size", FIELD(train.batch_size), "batch size (BatchNorm needs 2)", at_least(2)),
      entry("train.optimizer", FIELD(train.optimizer), "adam | sgd", one_of({"adam", "sgd"})),
      entry<double>("train.lr", FIELD(train.lr), "learning rate", [](const double& v) { return v > 0 ? std::string() : "must be positive"; }),
      entry("train.momentum", FIELD(train.momentum), "SGD momentum", within(0, 1)),
      entry("train.weight_decay", FIELD(train.weight_decay), "weight decay", at_least(0)),
      entry("train.schedule", FIELD(train.schedule), "cosine | step | none", one_of({"cosine", "step", "none"})),
      entry("train.patience", FIELD(train.patience), "early-stopping patience in epochs (0 = off)", at_least(0)),
      entry("train.augment", FIELD(train.augment), "random flips/rotations of the window"),
      entry("train.spectral_noise", FIELD(train.spectral_noise), "std of additive noise on standardised spectra", at_least(0)),
      entry("train.min_steps", FIELD(train.min_steps), "least optimiser steps over the whole training", at_least(0)),

      entry("finetune.enabled", FIELD(finetune.enabled), "run the metric fine-tuning stage after pretraining"),
      entry("finetune.epochs", FIELD(finetune.epochs), "epochs", at_least(1)),
      entry("finetune.patience", FIELD(finetune.patience), "early-stopping patience in epochs (0 = off)", at_least(0)),
      entry<double>("finetune.lr", FIELD(finetune.lr), "learning rate", [](const double& v) { return v > 0 ? std::string() : "must be positive"; }),
      entry("finetune.loss", FIELD(finetune.loss), "metric loss on z = B f(x): " + joined(metric::metric_loss_names()),
            one_of(metric::metric_loss_names())),
      entry("finetune.lambda", FIELD(finetune.lambda), "weight of -log det K(B) (0 = plain DML)", at_least(0)),
      entry("finetune.sigma", FIELD(finetune.sigma), "RBF bandwidth (0 = median pairwise squared distance)", at_least(0)),
      entry("finetune.kernel", FIELD(finetune.kernel), "rbf | cosine", one_of({"rbf", "cosine"})),
      entry("finetune.beta", FIELD(finetune.beta), "weight of the cross-entropy term", at_least(0)),
      entry("finetune.margin", FIELD(finetune.margin), "margin of the metric loss (0 = median distance between classes at the start)",
            at_least(0)),
      entry("finetune.classes_per_batch", FIELD(finetune.classes_per_batch), "classes per balanced batch (0 = all)", at_least(0)),
      entry("finetune.samples_per_class", FIELD(finetune.samples_per_class), "samples per class per batch (pairs need 2)", at_least(2)),
      entry("finetune.classifier", FIELD(finetune.classifier), "how a network's map is made, with or without the metric stage: softmax | prototype | mahalanobis (nearest class mean in the metric) | "
            "neighbour (nearest training pixel in the metric)",
            one_of(classifier_names())),
      entry("finetune.prototypes", FIELD(finetune.prototypes),
            "labelled (class means of the training pixels) | scene (those means refined by k-means over the scene's unlabelled pixels) | "
            "propagated (means and covariance of the training pixels and the unlabelled pixels their labels reach by propagation over the "
            "metric's nearest-neighbour graph)",
            one_of({"labelled", "scene", "propagated"})),
      entry("finetune.free_centres", FIELD(finetune.free_centres),
            "with prototypes = scene (propagated): centres (seeds) that take the pixels of materials the class table lacks (-1 = as many as classes; 0 when the "
            "classes cover the scene)",
            at_least(-1)),

      entry("open_set.rule", FIELD(open_set.rule), "none | mahalanobis | distance | softmax: pixels the rule finds unlike every class are mapped 'unknown'",
            one_of(open_set_rules())),
      entry<double>("open_set.accept", FIELD(open_set.accept), "share of held-out known pixels each rule's threshold accepts",
                    [](const double& v) { return v > 0 && v <= 1 ? std::string() : "must be within (0, 1], got " + number(v); }),

      entry("predict.batch_size", FIELD(predict.batch_size), "windows per batch (patch route)", at_least(1)),
      entry("predict.route", FIELD(predict.route), "auto | dense | patch", one_of({"auto", "dense", "patch"})),
      entry<int>("predict.tile", FIELD(predict.tile), "tile side (0 = from predict.ram_mb)",
                 [](const int& v) { return v == 0 || v >= 8 ? std::string() : "must be 0 (from the memory budget) or at least 8"; }),
      entry("predict.ram_mb", FIELD(predict.ram_mb), "memory budget in MB of the prediction tiles", within(64, 1 << 30)),
      entry("predict.format", FIELD(predict.format), "map file format: GTiff | COG (Cloud-Optimized GeoTIFF) | ENVI",
            one_of(map_format_names())),
      entry("train.precision", FIELD(train.precision),
            "network arithmetic of pretraining and fine-tuning: fp32 | bf16 (autocast, float32 master weights) | auto (bf16 where "
            "the CPU has AVX512-BF16 or AMX, else fp32)",
            one_of({"auto", "fp32", "bf16"})),
      entry("predict.precision", FIELD(predict.precision),
            "network arithmetic for maps: auto (bf16 where the CPU has AVX512-BF16 or AMX, else fp32) | fp32 | bf16",
            one_of({"auto", "fp32", "bf16"})),
  };
  return table;
}

}  // namespace hsi
