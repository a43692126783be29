// Which unlabelled pixels should an analyst label next? Reads the runs of an `hsi experiment`
// folder and, for each, picks K = classes pixels among those no step trained on, by
//   random:   uniform draws (mean over 5 draws);
//   kcenter:  greedy k-center in the metric (squared Mahalanobis under the pooled covariance),
//             each pick the pixel farthest from every training pixel and earlier pick;
//   clusters: hsi suggest's rule (pipeline/suggest.hpp): k-means over the unlabelled features with
//             the class means fixed and K free centres, each free cluster's most central member.
// The picks join the training pixels with their ground-truth class (what the analyst would
// label) and the checkpoint classifies the remaining test pixels again without retraining (hsi
// enrol's route): nearest class mean and nearest exemplar under the pooled covariance.
// The pixels looked at are the run's test pixels (the benchmark's labelled pool). End to end
// through the binaries (suggest, enrol, predict): bench/suggest_loop.py.
// Usage: bench_suggest CONFIG.ini EXPERIMENT_DIR MODEL_SPLIT_PREFIX
#include <algorithm>
#include <filesystem>
#include <iostream>
#include <map>
#include <random>

#include "bench/experiment_run.hpp"
#include "pipeline/prototypes.hpp"
#include "pipeline/suggest.hpp"

namespace fs = std::filesystem;
using namespace hsi;

namespace {

torch::Tensor mahalanobis_to(const torch::Tensor& a, const torch::Tensor& b, const torch::Tensor& precision) {
  // [Na, Nb] squared distances (a - b)^T P (a - b).
  const torch::Tensor ap = a.matmul(precision), bp = b.matmul(precision);
  return ((ap * a).sum(1, true) + (bp * b).sum(1).unsqueeze(0) - 2 * ap.matmul(b.t())).clamp_min(0);
}

std::vector<int64_t> kcenter(const torch::Tensor& zt, const torch::Tensor& zu, const torch::Tensor& precision, int64_t k) {
  torch::Tensor nearest = mahalanobis_to(zu, zt, precision).amin(1);
  std::vector<int64_t> picks;
  for (int64_t i = 0; i < k; ++i) {
    const int64_t p = nearest.argmax().item<int64_t>();
    picks.push_back(p);
    nearest = torch::minimum(nearest, mahalanobis_to(zu, zu.slice(0, p, p + 1), precision).squeeze(1));
  }
  return picks;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 4) {
    std::cerr << "usage: bench_suggest CONFIG.ini EXPERIMENT_DIR MODEL_SPLIT_PREFIX\n";
    return 2;
  }
  torch::set_num_threads(2);
  const Scene scene = bench::load_config_scene(argv[1]);
  bench::RuleTable table;
  auto record = [&](const std::string& rule, double v) { table.record(rule, v); };
  for (const fs::path& dir : bench::experiment_runs(argv[2], argv[3])) {
    std::cout << dir.filename().string() << "\n";
    bench::ExperimentRun run = bench::load_experiment_run(scene, dir);
    const BatchMaker batches(run.prepared, run.ck.net_options);
    const Samples tr = samples_of(run.train.labels, run.ck.classes);
    std::vector<int64_t> pool;
    for (size_t i = 0; i < run.train.labels.size(); ++i)
      if (run.train.labels[i] == 0 && run.test.labels[i] != 0) pool.push_back(static_cast<int64_t>(i));
    const int64_t C = static_cast<int64_t>(run.ck.classes.size());
    std::vector<int64_t> pool_targets;
    for (int64_t p : pool) pool_targets.push_back(run.ck.classes.index_of(run.test.labels[static_cast<size_t>(p)]));
    const torch::Tensor zt = metric_features(run.ck.net, batches, tr.pixels), zu = metric_features(run.ck.net, batches, pool);
    const torch::Tensor yt = torch::tensor(tr.targets, torch::kLong), yu = torch::tensor(pool_targets, torch::kLong);
    const Prototypes labelled = class_prototypes(zt, yt, C);
    // OA on the pool minus the picks, classified by class means and by exemplars of the enlarged set.
    auto score = [&](const std::vector<int64_t>& picks, const std::string& name) {
      torch::Tensor keep = torch::ones({zu.size(0)}, torch::kBool);
      for (int64_t p : picks) keep[p] = false;
      const torch::Tensor idx = torch::tensor(picks, torch::kLong);
      const torch::Tensor z = picks.empty() ? zt : torch::cat({zt, zu.index_select(0, idx)});
      const torch::Tensor y = picks.empty() ? yt : torch::cat({yt, yu.index_select(0, idx)});
      const Prototypes p = class_prototypes(z, y, C);
      const torch::Tensor ze = zu.index({keep}), ye = yu.index({keep});
      record(name + ", nearest mean", (prototype_distances(ze, p.means, p.precision).argmin(1) == ye).to(torch::kDouble).mean().item<double>());
      record(name + ", nearest exemplar",
             (neighbour_distances(ze, p.exemplars, p.exemplar_classes, C, p.precision).argmin(1) == ye).to(torch::kDouble).mean().item<double>());
      std::cout << "    picks' classes:";
      for (int64_t q : picks) std::cout << " " << pool_targets[static_cast<size_t>(q)];
      std::cout << "\n";
    };
    score({}, "none");
    std::mt19937_64 rng(1);
    for (int draw = 0; draw < 5; ++draw) {
      std::vector<int64_t> picks;
      std::uniform_int_distribution<int64_t> any(0, zu.size(0) - 1);
      while (static_cast<int64_t>(picks.size()) < C) {
        const int64_t q = any(rng);
        if (std::find(picks.begin(), picks.end(), q) == picks.end()) picks.push_back(q);
      }
      score(picks, "random");
    }
    score(kcenter(zt, zu, labelled.precision, C), "kcenter");
    std::vector<uint8_t> outside_pool(run.test.labels.size(), 1);
    std::map<int64_t, int64_t> pool_index;
    for (size_t q = 0; q < pool.size(); ++q) outside_pool[static_cast<size_t>(pool[q])] = 0, pool_index[pool[q]] = static_cast<int64_t>(q);
    std::vector<int64_t> clusters;
    for (const Suggestion& s : suggest_pixels(run.ck, run.prepared, outside_pool, {}, C)) clusters.push_back(pool_index.at(s.pixel));
    score(clusters, "clusters");
  }
  table.print();
  return 0;
}
