#include "pipeline/enrol.hpp"

#include <chrono>
#include <cmath>
#include <set>
#include <tuple>

#include "common/error.hpp"
#include "pipeline/checkpoint.hpp"
#include "pipeline/prototypes.hpp"
#include "pipeline/svm_training.hpp"

namespace hsi {
namespace {

// An unmixing checkpoint: new classes get their endmember (the mean of their pixels), known
// ones a running mean over every pixel behind theirs; the class table grows with them.
void enrol_endmembers(Checkpoint& ck, const Cube& prepared, const Samples& samples, const ClassTable& grown) {
  std::vector<int64_t> carried;
  for (const ClassInfo& c : ck.classes.classes()) carried.push_back(grown.index_of(c.id));
  const std::vector<float> spectra = spectra_of(prepared, samples.pixels);
  const int classes = static_cast<int>(grown.size());
  ck.unmixing = std::make_shared<const UnmixingModel>(
      ck.unmixing->with_pixels(spectra.data(), static_cast<int64_t>(samples.size()), samples.targets, classes, carried));
  ck.net_options.classes = classes;  // no head to outgrow: every class is the model's own
  ck.classes = grown;
}

}  // namespace

EnrolOutcome enrol_classes(Checkpoint& ck, const Cube& cube, const LabelMap& labels, const ClassTable& names) {
  const auto t0 = std::chrono::steady_clock::now();
  if (ck.svm) usage_error("this " + ck.net_options.name + " checkpoint learns no metric: classes cannot be enrolled into it (train a network)");
  if (labels.rows != cube.rows || labels.cols != cube.cols) {
    data_error(labels.source, "labels are " + std::to_string(labels.rows) + " x " + std::to_string(labels.cols) + ", the cube " + cube.source +
                                  " is " + std::to_string(cube.rows) + " x " + std::to_string(cube.cols));
  }
  ck.preprocessor.check_input_bands(cube.bands, cube.source);
  // The class table grows by the new ids, in increasing order.
  std::set<int32_t> new_ids;
  for (int32_t id : labels.labels)
    if (id != 0 && ck.classes.index_of(id) < 0) new_ids.insert(id);
  std::vector<ClassInfo> table = ck.classes.classes();
  for (int32_t id : new_ids) {
    const int at = names.index_of(id);
    table.push_back(at >= 0 ? names.at(static_cast<size_t>(at)) : ClassInfo{id, "class_" + std::to_string(id), distinct_colour(table.size())});
  }
  const ClassTable grown(table);

  const Cube prepared = ck.preprocessor.applied(cube);
  EnrolOutcome outcome;
  Samples samples;
  for (int64_t p = 0; p < static_cast<int64_t>(labels.labels.size()); ++p) {
    const int32_t id = labels.labels[static_cast<size_t>(p)];
    if (id == 0) continue;
    bool finite = true;
    for (int64_t b = 0; b < prepared.bands && finite; ++b) finite = std::isfinite(prepared.at(p / prepared.cols, p % prepared.cols, b));
    if (!finite) {
      ++outcome.skipped_nodata;
      continue;
    }
    samples.pixels.push_back(p);
    samples.targets.push_back(grown.index_of(id));
  }
  if (samples.size() == 0) data_error(labels.source, "holds no labelled pixel with data to enrol");
  for (size_t i = 0; i < samples.size(); ++i) {
    const int32_t id = grown.at(static_cast<size_t>(samples.targets[i])).id;
    ++(ck.classes.index_of(id) >= 0 ? outcome.refined : outcome.added)[id];
  }
  if (ck.unmixing) {
    enrol_endmembers(ck, prepared, samples, grown);
    outcome.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    return outcome;
  }

  // The class table keeps ids in order, so new ids may fall between known ones: every row is
  // placed by id. (The softmax head keeps its own order; an enrolled checkpoint never uses it.)
  const int64_t classes = static_cast<int64_t>(grown.size());
  const Prototypes fresh = class_prototypes(ck.net, BatchMaker(prepared, ck.net_options), samples, classes);
  torch::Tensor means = torch::zeros({classes, ck.net_options.metric_dim});
  torch::Tensor counts = torch::zeros({classes});
  for (int64_t g = 0; g < classes; ++g) {
    const int32_t id = grown.at(static_cast<size_t>(g)).id;
    const int old = ck.classes.index_of(id);
    if (old < 0 || !ck.prototypes.defined()) continue;
    means[g] = ck.prototypes[old];
    // Checkpoints from before counts were stored weigh old and new pixels alike.
    counts[g] = ck.prototype_counts.defined() ? ck.prototype_counts[old] : fresh.counts[g];
  }
  for (int64_t g = 0; g < classes; ++g) {
    const double n_new = fresh.counts[g].item<double>();
    if (n_new == 0) continue;
    const double n_old = counts[g].item<double>();
    means[g] = (means[g] * n_old + fresh.means[g] * n_new) / (n_old + n_new);
    counts[g] = n_old + n_new;
  }
  ck.prototypes = means;
  ck.prototype_counts = counts;
  if (ck.exemplars.defined()) {
    // The enrolled pixels join the training pixels' exemplars, old class indices moved to the
    // grown table's.
    std::vector<int64_t> moved;
    for (const ClassInfo& c : ck.classes.classes()) moved.push_back(grown.index_of(c.id));
    const torch::Tensor old_classes = torch::tensor(moved, torch::kLong).index_select(0, ck.exemplar_classes);
    std::tie(ck.exemplars, ck.exemplar_classes) = select_exemplars(torch::cat({ck.exemplars, fresh.exemplars}),
                                                                   torch::cat({old_classes, fresh.exemplar_classes}), classes);
  }
  ck.classes = grown;
  // The nearest exemplar under the classes' pooled covariance when every class has two or more,
  // else the nearest prototype under it: a class enrolled from a few pixels of a field that
  // varies is better served by its pixels than by their mean, but a class of one pixel would be
  // measured against the nearest of many pixels of every other class, which favours them
  // (measured both ways: README, "New classes without retraining").
  const bool exemplars_for_all = ck.exemplars.defined() && torch::bincount(ck.exemplar_classes, {}, classes).min().item<int64_t>() >= 2;
  ck.classifier = !ck.metric_precision.defined() ? "prototype" : exemplars_for_all ? "neighbour" : "mahalanobis";
  if (ck.enrolled_classes() > 0 && ck.open_set == "softmax") ck.open_set = "mahalanobis";  // the head cannot judge new classes
  outcome.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return outcome;
}

}  // namespace hsi
