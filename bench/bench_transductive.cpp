// Does refining the class prototypes on the scene's own unlabelled pixels help with few labels?
// Reads the runs of an `hsi experiment` folder and, for each, classifies the test pixels by the
// checkpoint's softmax head, by the nearest training-pixel mean in the metric (Euclidean and
// Mahalanobis), and by hsi's scene prototypes (pipeline/prototypes.hpp: refine_prototypes over
// every pixel that is not a training pixel) with 0, C and 2C free centres, and by labels
// propagated over the metric's nearest-neighbour graph (propagate_labels, 0 and C free seeds:
// the propagated labels themselves, and the class means fitted on them as
// finetune.prototypes = propagated does). Prints OA per rule, mean, std and lowest over the runs.
// Usage: bench_transductive CONFIG.ini EXPERIMENT_DIR MODEL_SPLIT_PREFIX (e.g. ms2d_dpp_fixed_1)
// With HSI_BENCH_WITHOUT_EACH_CLASS=1 each class in turn is dropped from the class table instead
// (a material the table lacks), scoring the training-pixel means against hsi's scene and
// propagated prototypes.
#include <cstdlib>
#include <filesystem>
#include <iostream>

#include "bench/experiment_run.hpp"
#include "common/memory.hpp"
#include "pipeline/prototypes.hpp"

namespace fs = std::filesystem;
using namespace hsi;

namespace {

double accuracy(const torch::Tensor& z, const Prototypes& p, bool mahalanobis, const torch::Tensor& truth) {
  const torch::Tensor predicted = prototype_distances(z, p.means, mahalanobis ? p.precision : torch::Tensor()).argmin(1);
  return (predicted == truth).to(torch::kDouble).mean().item<double>();
}

}  // namespace

int main(int argc, char** argv) {
  keep_freed_memory_for_reuse();
  if (argc != 4) {
    std::cerr << "usage: bench_transductive CONFIG.ini EXPERIMENT_DIR MODEL_SPLIT_PREFIX\n";
    return 2;
  }
  torch::set_num_threads(2);
  const Scene scene = bench::load_config_scene(argv[1]);
  const bool without_each_class = std::getenv("HSI_BENCH_WITHOUT_EACH_CLASS") != nullptr;
  bench::RuleTable table;
  auto record = [&](const std::string& rule, double v) { table.record(rule, v); };
  for (const fs::path& dir : bench::experiment_runs(argv[2], argv[3])) {
    std::cout << dir.filename().string() << "\n";
    bench::ExperimentRun run = bench::load_experiment_run(scene, dir);
    const BatchMaker batches(run.prepared, run.ck.net_options);
    const Samples tr = samples_of(run.train.labels, run.ck.classes);
    const Samples te = samples_of(run.test.labels, run.ck.classes);
    std::vector<int64_t> unlabelled;  // every pixel not used for training (test and unlabelled alike)
    for (size_t i = 0; i < run.train.labels.size(); ++i)
      if (run.train.labels[i] == 0 && (scene.nodata.empty() || !scene.nodata[i])) unlabelled.push_back(static_cast<int64_t>(i));
    const torch::Tensor yt = torch::tensor(tr.targets, torch::kLong), ye = torch::tensor(te.targets, torch::kLong);
    const torch::Tensor zt = metric_features(run.ck.net, batches, tr.pixels), ze = metric_features(run.ck.net, batches, te.pixels);
    const torch::Tensor zu = metric_features(run.ck.net, batches, unlabelled);
    const int64_t C = static_cast<int64_t>(run.ck.classes.size());
    if (without_each_class) {
      // Each class in turn plays a material the class table lacks: its training pixels leave the
      // labelled set, its pixels stay among the unlabelled ones; OA on the other classes' test pixels.
      for (int64_t k = 0; k < C; ++k) {
        const torch::Tensor keep_t = yt != k, keep_e = ye != k;
        // Class indices above k move down by one.
        const torch::Tensor yk = yt.index({keep_t}) - (yt.index({keep_t}) > k).to(torch::kLong);
        const torch::Tensor yek = ye.index({keep_e}) - (ye.index({keep_e}) > k).to(torch::kLong);
        const torch::Tensor ztk = zt.index({keep_t}), zek = ze.index({keep_e});
        const Prototypes labelled = class_prototypes(ztk, yk, C - 1);
        record("without a class: mahalanobis, labelled means", accuracy(zek, labelled, true, yek));
        for (int64_t free : {int64_t{0}, C - 1, 2 * (C - 1)})
          record("without a class: mahalanobis, scene prototypes, " + std::to_string(free) + " free centres",
                 accuracy(zek, refine_prototypes(labelled, ztk, yk, zu, free), true, yek));
        for (int64_t free : {int64_t{0}, C - 1})
          record("without a class: mahalanobis, propagated, " + std::to_string(free) + " free seeds",
                 accuracy(zek, propagated_prototypes(labelled, ztk, yk, zu, free), true, yek));
      }
      continue;
    }
    {
      torch::NoGradGuard no_grad;
      record("softmax head", (run.ck.net->classify(ze).argmax(1) == ye).to(torch::kDouble).mean().item<double>());
    }
    const Prototypes labelled = class_prototypes(zt, yt, C);
    record("prototype, labelled means", accuracy(ze, labelled, false, ye));
    record("mahalanobis, labelled means", accuracy(ze, labelled, true, ye));
    for (int64_t free : {int64_t{0}, C, 2 * C}) {
      const Prototypes scene_p = refine_prototypes(labelled, zt, yt, zu, free);
      record("prototype, scene prototypes, " + std::to_string(free) + " free centres", accuracy(ze, scene_p, false, ye));
      record("mahalanobis, scene prototypes, " + std::to_string(free) + " free centres", accuracy(ze, scene_p, true, ye));
    }
    {
      std::vector<int64_t> where(run.train.labels.size(), -1);
      for (size_t j = 0; j < unlabelled.size(); ++j) where[static_cast<size_t>(unlabelled[j])] = static_cast<int64_t>(j);
      std::vector<int64_t> test_rows;
      for (int64_t px : te.pixels) test_rows.push_back(where[static_cast<size_t>(px)]);
      const torch::Tensor rows = torch::tensor(test_rows, torch::kLong);
      auto oa_of = [&](const torch::Tensor& predicted) { return (predicted == ye).to(torch::kDouble).mean().item<double>(); };
      for (int64_t free : {int64_t{0}, C}) {
        const std::string tag = ", " + std::to_string(free) + " free seeds";
        torch::Tensor assigned;
        const Prototypes prop = propagated_prototypes(labelled, zt, yt, zu, free, &assigned);
        record("propagated labels themselves (transductive)" + tag, oa_of(assigned.index({rows})));
        record("mahalanobis, propagated prototypes" + tag, oa_of(prototype_distances(ze, prop.means, prop.precision).argmin(1)));
        record("prototype, propagated prototypes" + tag, oa_of(prototype_distances(ze, prop.means, {}).argmin(1)));
        Prototypes start = labelled;
        start.means = prop.means;
        const Prototypes polished = refine_prototypes(start, zt, yt, zu, free);
        record("mahalanobis, k-means from the propagated prototypes" + tag, accuracy(ze, polished, true, ye));
        const torch::Tensor joined = assigned < C;
        const auto [exemplars, owners] = select_exemplars(torch::cat({zt, zu.index({joined})}), torch::cat({yt, assigned.index({joined})}), C);
        record("neighbour, every propagated pixel an exemplar" + tag, oa_of(neighbour_distances(ze, exemplars, owners, C, prop.precision).argmin(1)));
      }
    }
    // The pool restricted to the test pixels: an upper bound, as it uses the label mask.
    record("mahalanobis, scene prototypes from the test pixels only, 0 free centres",
           accuracy(ze, refine_prototypes(labelled, zt, yt, ze, 0), true, ye));
  }
  table.print();
  return 0;
}
