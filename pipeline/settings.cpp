#include "pipeline/settings.hpp"

#include <algorithm>
#include <set>

#include "common/error.hpp"
#include "common/text.hpp"

namespace hsi {
namespace {

void require(bool ok, const std::string& key, const std::string& problem) {
  if (!ok) usage_error("option '" + key + "': " + problem);
}

void one_of(const std::string& value, const std::set<std::string>& allowed, const std::string& key) {
  if (allowed.count(value)) return;
  std::string list;
  for (const auto& a : allowed) list += (list.empty() ? "" : ", ") + a;
  usage_error("option '" + key + "': '" + value + "' is not one of " + list);
}

}  // namespace

NetOptions ModelSettings::net_options(int in_bands, int classes) const {
  NetOptions o;
  o.name = name;
  o.in_bands = in_bands;
  o.patch = patch;
  o.width = width;
  o.embedding = embedding;
  o.metric_dim = metric_dim;
  o.classes = classes;
  o.dropout = dropout;
  return o;
}

void PredictSettings::validate(bool verb_names) const {
  auto name = [verb_names](const std::string& key, const std::string& flag) { return verb_names ? flag : "predict." + key; };
  require(batch_size >= 1, name("batch_size", "--batch-size"), "must be at least 1");
  one_of(route, {"auto", "dense", "patch"}, name("route", "--route"));
  require(tile == 0 || tile >= 8, name("tile", "--tile"), "must be 0 (from the memory budget) or at least 8");
  require(ram_mb >= 64 && ram_mb <= (int64_t{1} << 30), name("ram_mb", "--ram"), "must be within 64 .. 2^30 (MB)");
}

void RunSettings::validate() const {
  require(!data.axis_order.empty(), "data.axis_order", "empty");
  {
    std::string sorted = data.axis_order;
    std::sort(sorted.begin(), sorted.end());
    require(sorted == "bcr" || sorted == "cr", "data.axis_order", "must be a permutation of r, c, b");
  }
  parse_index_ranges(data.drop_bands, "data.drop_bands");
  one_of(data.nan_policy, {"error", "nodata"}, "data.nan_policy");
  require(data.unlabelled >= 0 && data.unlabelled <= 65535, "data.unlabelled", "must be within 0..65535");

  one_of(split.mode, {"fixed", "fraction", "external", "blocks"}, "split.mode");
  require(split.per_class >= 1, "split.per_class", "must be at least 1");
  require(split.fraction > 0 && split.fraction < 1, "split.fraction", "must be within (0, 1)");
  require(split.max_class_fraction > 0 && split.max_class_fraction < 1, "split.max_class_fraction", "must be within (0, 1)");
  require(split.block_size >= 2, "split.block_size", "must be at least 2");
  require(split.block_train_fraction > 0 && split.block_train_fraction < 1, "split.block_train_fraction", "must be within (0, 1)");
  require(split.validation_fraction >= 0 && split.validation_fraction < 1, "split.validation_fraction", "must be within [0, 1)");
  if (split.mode == "external" && split.load.empty()) {
    require(!split.train_map.empty() && !split.test_map.empty(), "split.train_map", "external mode needs split.train_map and split.test_map");
  }

  require(preprocess.pca >= 0, "preprocess.pca", "must be 0 (off) or a positive component count");

  one_of(model.name, std::set<std::string>(model_names().begin(), model_names().end()), "model.name");
  require(model.patch >= 1 && model.patch % 2 == 1, "model.patch", "must be a positive odd number, got " + std::to_string(model.patch));
  require(model.width >= 1, "model.width", "must be positive");
  require(model.embedding >= 1, "model.embedding", "must be positive");
  require(model.metric_dim >= 1, "model.metric_dim", "must be positive");
  require(model.dropout >= 0 && model.dropout < 1, "model.dropout", "must be within [0, 1)");

  require(train.epochs >= 1, "train.epochs", "must be at least 1, got " + std::to_string(train.epochs));
  require(train.batch_size >= 1, "train.batch_size", "must be at least 1");
  one_of(train.optimizer, {"adam", "sgd"}, "train.optimizer");
  require(train.lr > 0, "train.lr", "must be positive");
  require(train.weight_decay >= 0, "train.weight_decay", "must not be negative");
  one_of(train.schedule, {"cosine", "step", "none"}, "train.schedule");
  require(train.patience >= 0, "train.patience", "must not be negative");
  require(train.spectral_noise >= 0, "train.spectral_noise", "must not be negative");
  require(train.min_steps >= 0, "train.min_steps", "must not be negative");

  require(finetune.epochs >= 1, "finetune.epochs", "must be at least 1");
  require(finetune.lr > 0, "finetune.lr", "must be positive");
  require(finetune.lambda >= 0, "finetune.lambda", "must not be negative");
  require(finetune.sigma >= 0, "finetune.sigma", "must not be negative");
  one_of(finetune.kernel, {"rbf", "cosine"}, "finetune.kernel");
  require(finetune.beta >= 0, "finetune.beta", "must not be negative");
  require(finetune.patience >= 0, "finetune.patience", "must not be negative");
  require(finetune.margin >= 0, "finetune.margin", "must not be negative (0 = automatic)");
  require(finetune.samples_per_class >= 2, "finetune.samples_per_class", "must be at least 2 (pairs need positives)");
  require(finetune.classes_per_batch >= 0, "finetune.classes_per_batch", "must not be negative");
  one_of(finetune.classifier, {"softmax", "prototype"}, "finetune.classifier");

  predict.validate(false);
  require(seed >= 0, "seed", "must not be negative");
  require(threads >= 0, "threads", "must not be negative");
}

}  // namespace hsi
