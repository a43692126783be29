#include "pipeline/settings.hpp"

#include <map>

#include "common/error.hpp"
#include "common/text.hpp"
#include "pipeline/candidates.hpp"
#include "pipeline/settings_table.hpp"

namespace hsi {
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
  // `hsi predict` spells these as its own flags.
  static const std::map<std::string, std::string> flags = {
      {"predict.batch_size", "--batch-size"}, {"predict.route", "--route"}, {"predict.tile", "--tile"}, {"predict.ram_mb", "--ram"}, {"predict.format", "--format"}, {"predict.precision", "--precision"}};
  RunSettings s;
  s.predict = *this;
  for (const SettingEntry& e : setting_entries()) {
    if (e.section() != "predict" || !e.problem) continue;
    const std::string problem = e.problem(s);
    if (!problem.empty()) usage_error("option '" + (verb_names ? flags.at(e.key) : e.key) + "': " + problem);
  }
}

const std::vector<std::string>& classifier_names() {
  static const std::vector<std::string> names{"softmax", "prototype", "mahalanobis", "neighbour"};
  return names;
}

const std::vector<std::string>& open_set_rules() {
  static const std::vector<std::string> rules{"none", "mahalanobis", "distance", "softmax"};
  return rules;
}

void RunSettings::validate() const {
  for (const SettingEntry& e : setting_entries()) {
    if (!e.problem) continue;
    const std::string problem = e.problem(*this);
    if (!problem.empty()) usage_error("option '" + e.key + "': " + problem);
  }
  // Checks across settings.
  if (split.mode == "external" && split.load.empty() && (split.train_map.empty() || split.test_map.empty())) {
    usage_error("option 'split.train_map': external mode needs split.train_map and split.test_map");
  }
  if (learns_no_metric(model.name) && open_set.rule != "none") {
    usage_error("option 'open_set.rule': " + model.name + " learns no metric and no softmax head to reject with; use a network or open_set.rule = none");
  }
  if (model.name == "auto" && open_set.rule != "none") network_candidates(select.candidates, select.fallback, "option 'open_set.rule'");
}

}  // namespace hsi
