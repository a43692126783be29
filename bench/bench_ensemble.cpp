// Do two networks of different windows, trained on the same split, classify better together?
// Reads the runs of two models of one `hsi experiment` folder (the same seeds, so the same
// splits) and scores the test pixels by each alone (its checkpoint's classifier), by the average
// of their class probabilities, and by one classifier over their metric features side by side
// (class means and pooled covariance of the concatenated z; Euclidean and Mahalanobis), by the
// average and the product of their Mahalanobis posteriors, and by the average of their softmax
// heads.
// Usage: bench_ensemble CONFIG.ini EXPERIMENT_DIR PREFIX_A PREFIX_B (e.g. ms2d_9_dpp_fixed_10)
#include <filesystem>
#include <iostream>

#include "bench/experiment_run.hpp"
#include "common/memory.hpp"
#include "pipeline/predict.hpp"
#include "pipeline/prototypes.hpp"

namespace fs = std::filesystem;
using namespace hsi;

int main(int argc, char** argv) {
  keep_freed_memory_for_reuse();
  if (argc != 5) {
    std::cerr << "usage: bench_ensemble CONFIG.ini EXPERIMENT_DIR PREFIX_A PREFIX_B\n";
    return 2;
  }
  torch::set_num_threads(2);
  const Scene scene = bench::load_config_scene(argv[1]);
  const std::vector<fs::path> a_runs = bench::experiment_runs(argv[2], argv[3]), b_runs = bench::experiment_runs(argv[2], argv[4]);
  if (a_runs.size() != b_runs.size()) {
    std::cerr << "bench_ensemble: " << a_runs.size() << " runs of " << argv[3] << ", " << b_runs.size() << " of " << argv[4] << "\n";
    return 2;
  }
  bench::RuleTable table;
  for (size_t r = 0; r < a_runs.size(); ++r) {
    std::cout << a_runs[r].filename().string() << " + " << b_runs[r].filename().string() << "\n";
    bench::ExperimentRun a = bench::load_experiment_run(scene, a_runs[r]), b = bench::load_experiment_run(scene, b_runs[r]);
    if (a.train.labels != b.train.labels) {
      std::cerr << "bench_ensemble: the runs' training pixels differ\n";
      return 2;
    }
    const Samples tr = samples_of(a.train.labels, a.ck.classes), te = samples_of(a.test.labels, a.ck.classes);
    const torch::Tensor yt = torch::tensor(tr.targets, torch::kLong), ye = torch::tensor(te.targets, torch::kLong);
    const int64_t C = static_cast<int64_t>(a.ck.classes.size());
    auto oa = [&](const torch::Tensor& scores) { return (scores.argmax(1) == ye).to(torch::kDouble).mean().item<double>(); };
    torch::Tensor zt[2], ze[2], prob[2];
    bench::ExperimentRun* runs[2] = {&a, &b};
    for (int m = 0; m < 2; ++m) {
      const BatchMaker batches(runs[m]->prepared, runs[m]->ck.net_options);
      zt[m] = metric_features(runs[m]->ck.net, batches, tr.pixels);
      ze[m] = metric_features(runs[m]->ck.net, batches, te.pixels);
      prob[m] = class_probabilities(runs[m]->ck, ze[m], runs[m]->ck.classifier);
      table.record(std::string(m ? "B alone" : "A alone") + " (" + runs[m]->ck.classifier + ")", oa(prob[m]));
      const Prototypes p = class_prototypes(zt[m], yt, C);
      table.record(std::string(m ? "B" : "A") + " mahalanobis", oa(-prototype_distances(ze[m], p.means, p.precision)));
    }
    table.record("average of probabilities", oa(prob[0] + prob[1]));
    const Prototypes joint = class_prototypes(torch::cat({zt[0], zt[1]}, 1), yt, C);
    const torch::Tensor zj = torch::cat({ze[0], ze[1]}, 1);
    table.record("joint z, euclidean", oa(-prototype_distances(zj, joint.means, torch::Tensor())));
    table.record("joint z, mahalanobis", oa(-prototype_distances(zj, joint.means, joint.precision)));
    const Prototypes pa = class_prototypes(zt[0], yt, C), pb = class_prototypes(zt[1], yt, C);
    const torch::Tensor ma = torch::softmax(-0.5 * prototype_distances(ze[0], pa.means, pa.precision), 1);
    const torch::Tensor mb = torch::softmax(-0.5 * prototype_distances(ze[1], pb.means, pb.precision), 1);
    table.record("average of mahalanobis posteriors", oa(ma + mb));
    table.record("product of mahalanobis posteriors (summed distances)",
                 oa(-(prototype_distances(ze[0], pa.means, pa.precision) + prototype_distances(ze[1], pb.means, pb.precision))));
    table.record("average of softmax heads", oa(torch::softmax(a.ck.net->classify(ze[0]), 1) + torch::softmax(b.ck.net->classify(ze[1]), 1)));
  }
  table.print();
  return 0;
}
