// Does refining the class prototypes on the scene's own unlabelled pixels help with few labels?
// Reads the runs of an `hsi experiment` folder and, for each, classifies the test pixels by the
// checkpoint's softmax head, by the nearest training-pixel mean in a feature space, and by that
// rule after k-means refinement over every pixel of the scene (training pixels clamped to their
// class; soft and hard assignments). Prints OA per rule, mean over runs.
// Usage: bench_transductive CONFIG.ini EXPERIMENT_DIR MODEL_SPLIT_PREFIX (e.g. ms2d_dpp_fixed_1)
// With HSI_BENCH_WITHOUT_EACH_CLASS=1 each class in turn is dropped from the class table instead
// (a material the table lacks), scoring the training-pixel means against hsi's scene prototypes.
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>

#include "cli/config.hpp"
#include "common/memory.hpp"
#include "common/text.hpp"
#include "eval/aggregate.hpp"
#include "io/reader.hpp"
#include "pipeline/checkpoint.hpp"
#include "pipeline/prototypes.hpp"
#include "pipeline/scene.hpp"

namespace fs = std::filesystem;
using namespace hsi;

namespace {

torch::Tensor features(HsiNet& net, const BatchMaker& batches, const std::vector<int64_t>& pixels, bool metric) {
  torch::NoGradGuard no_grad;
  net->eval();
  std::vector<torch::Tensor> parts;
  for (size_t s = 0; s < pixels.size(); s += 512) {
    const std::vector<int64_t> chunk(pixels.begin() + static_cast<int64_t>(s), pixels.begin() + static_cast<int64_t>(std::min(pixels.size(), s + 512)));
    const torch::Tensor e = net->embed(batches.make(chunk));
    parts.push_back(metric ? net->project(e) : e);
  }
  return torch::cat(parts, 0);
}

double accuracy(const torch::Tensor& predicted, const torch::Tensor& truth) {
  return (predicted == truth).to(torch::kDouble).mean().item<double>();
}

// Prototypes refined over the unlabelled features u [M, K]: each iteration assigns u to the
// prototypes (soft: softmax of -d / tau with tau the median nearest distance; hard: nearest)
// and sets each prototype to the mean of its class's labelled features and its assigned ones.
torch::Tensor refine(const torch::Tensor& labelled, const torch::Tensor& y, const torch::Tensor& u, int64_t C, bool soft, int iterations,
                     double unlabelled_weight) {
  torch::Tensor sum = torch::zeros({C, labelled.size(1)}).index_add_(0, y, labelled);
  torch::Tensor count = torch::zeros({C}).index_add_(0, y, torch::ones({labelled.size(0)}));
  torch::Tensor p = sum / count.clamp_min(1).unsqueeze(1);
  for (int it = 0; it < iterations; ++it) {
    const torch::Tensor d = torch::cdist(u, p).pow(2);
    torch::Tensor w;
    if (soft) {
      const double tau = std::get<0>(d.min(1)).median().item<double>() + 1e-6;
      w = torch::softmax(-d / tau, 1);
    } else {
      w = torch::one_hot(d.argmin(1), C).to(torch::kFloat);
    }
    w = w * unlabelled_weight;
    p = (sum + torch::matmul(w.t(), u)) / (count + w.sum(0)).clamp_min(1e-6).unsqueeze(1);
  }
  return p;
}

}  // namespace

int main(int argc, char** argv) {
  keep_freed_memory_for_reuse();
  if (argc != 4) {
    std::cerr << "usage: bench_transductive CONFIG.ini EXPERIMENT_DIR MODEL_SPLIT_PREFIX\n";
    return 2;
  }
  torch::set_num_threads(2);
  std::ifstream config(argv[1]);
  const RunSettings settings = cli::settings_from_ini(config, argv[1]);
  const Scene scene = load_scene(settings);
  const std::string prefix = std::string(argv[3]) + "_seed";
  std::map<std::string, std::vector<double>> oa;
  std::vector<std::string> order;
  auto record = [&](const std::string& rule, double v) {
    if (!oa.count(rule)) order.push_back(rule);
    oa[rule].push_back(v);
    std::cout << "  " << rule << ": " << format_fixed(v, 4) << "\n";
  };
  std::vector<fs::path> runs;
  for (const auto& entry : fs::directory_iterator(fs::path(argv[2]) / "runs"))
    if (entry.path().filename().string().rfind(prefix, 0) == 0 && fs::exists(entry.path() / "best.ckpt")) runs.push_back(entry.path());
  std::sort(runs.begin(), runs.end());
  for (const fs::path& run : runs) {
    std::cout << run.filename().string() << "\n";
    Checkpoint ck = load_checkpoint((run / "best.ckpt").string());
    const LabelMap train = read_labels((run / "split" / "train.tif").string());
    const LabelMap test = read_labels((run / "split" / "test.tif").string());
    Cube cube = scene.cube;
    ck.preprocessor.apply(cube);
    const BatchMaker batches(cube, ck.net_options);
    const Samples tr = samples_of(train.labels, ck.classes);
    const Samples te = samples_of(test.labels, ck.classes);
    std::vector<int64_t> unlabelled;  // every pixel not used for training (test and unlabelled alike)
    for (size_t i = 0; i < train.labels.size(); ++i)
      if (train.labels[i] == 0 && (scene.nodata.empty() || !scene.nodata[i])) unlabelled.push_back(static_cast<int64_t>(i));
    const torch::Tensor yt = torch::tensor(tr.targets, torch::kLong);
    const torch::Tensor ye = torch::tensor(te.targets, torch::kLong);
    const int64_t C = static_cast<int64_t>(ck.classes.size());
    if (std::getenv("HSI_BENCH_WITHOUT_EACH_CLASS")) {
      // Each class in turn plays a material the class table lacks: its training pixels leave the
      // labelled set, its pixels stay among the unlabelled ones; OA on the other classes' test pixels.
      const torch::Tensor ft = features(ck.net, batches, tr.pixels, true);
      const torch::Tensor fe = features(ck.net, batches, te.pixels, true);
      const torch::Tensor fu = features(ck.net, batches, unlabelled, true);
      for (int64_t k = 0; k < C; ++k) {
        const torch::Tensor keep_t = yt != k, keep_e = ye != k;
        // Class indices above k move down by one.
        const torch::Tensor yk = yt.index({keep_t}) - (yt.index({keep_t}) > k).to(torch::kLong);
        const torch::Tensor yek = ye.index({keep_e}) - (ye.index({keep_e}) > k).to(torch::kLong);
        const torch::Tensor ftk = ft.index({keep_t}), fek = fe.index({keep_e});
        Prototypes labelled;
        labelled.means = refine(ftk, yk, fu, C - 1, false, 0, 0);
        labelled.counts = torch::zeros({C - 1}).index_add_(0, yk, torch::ones({yk.size(0)}));
        labelled.precision = tied_precision(ftk, yk, labelled.means);
        record("without a class: mahalanobis, labelled means", accuracy(prototype_distances(fek, labelled.means, labelled.precision).argmin(1), yek));
        for (int64_t free : {int64_t{0}, C - 1, 2 * (C - 1)}) {
          const Prototypes scene_p = refine_prototypes(labelled, ftk, yk, fu, free);
          record("without a class: mahalanobis, scene prototypes, " + std::to_string(free) + " free centres",
                 accuracy(prototype_distances(fek, scene_p.means, scene_p.precision).argmin(1), yek));
        }
      }
      continue;
    }
    {
      torch::NoGradGuard no_grad;
      const torch::Tensor logits = ck.net->classify(features(ck.net, batches, te.pixels, true));
      record("softmax head", accuracy(logits.argmax(1), ye));
    }
    for (bool metric : {true, false}) {
      const std::string space = metric ? "z" : "e";
      const torch::Tensor ft = features(ck.net, batches, tr.pixels, metric);
      const torch::Tensor fe = features(ck.net, batches, te.pixels, metric);
      const torch::Tensor fu = features(ck.net, batches, unlabelled, metric);
      const torch::Tensor p0 = refine(ft, yt, fu, C, false, 0, 0);
      record(space + ": nearest mean", accuracy(torch::cdist(fe, p0).argmin(1), ye));
      for (int it : {1, 3, 10}) {
        record(space + ": hard k-means x" + std::to_string(it), accuracy(torch::cdist(fe, refine(ft, yt, fu, C, false, it, 1)).argmin(1), ye));
        record(space + ": soft k-means x" + std::to_string(it), accuracy(torch::cdist(fe, refine(ft, yt, fu, C, true, it, 1)).argmin(1), ye));
      }
      {
        const torch::Tensor p10 = refine(ft, yt, fu, C, false, 10, 1);
        const torch::Tensor precision0 = tied_precision(ft, yt, p0);
        record(space + ": mahalanobis nearest mean", accuracy(prototype_distances(fe, p0, precision0).argmin(1), ye));
        record(space + ": mahalanobis, k-means x10 prototypes", accuracy(prototype_distances(fe, p10, precision0).argmin(1), ye));
        // The precision refitted on the training pixels and the refined assignments together.
        const torch::Tensor assigned = torch::cdist(fu, p10).argmin(1);
        const torch::Tensor all = torch::cat({ft, fu}), ya = torch::cat({yt, assigned});
        record(space + ": mahalanobis refitted on assignments", accuracy(prototype_distances(fe, p10, tied_precision(all, ya, p10)).argmin(1), ye));
      }
      if (metric) {
        Prototypes labelled;
        labelled.means = p0;
        labelled.counts = torch::zeros({C}).index_add_(0, yt, torch::ones({yt.size(0)}));
        labelled.precision = tied_precision(ft, yt, p0);
        for (int64_t free : {int64_t{0}, C, 2 * C}) {
          const Prototypes scene_p = refine_prototypes(labelled, ft, yt, fu, free);
          record("z: scene prototypes (hsi), mahalanobis, " + std::to_string(free) + " free centres",
                 accuracy(prototype_distances(fe, scene_p.means, scene_p.precision).argmin(1), ye));
        }
      }
      // Same, the pool restricted to the test pixels (an upper bound: it uses the label mask).
      record(space + ": hard k-means x10 on test pixels only", accuracy(torch::cdist(fe, refine(ft, yt, fe, C, false, 10, 1)).argmin(1), ye));
    }
  }
  std::cout << "\n| rule | OA mean | std | min |\n|---|---:|---:|---:|\n";
  for (const auto& rule : order) {
    const auto ms = mean_std(oa[rule]);
    std::cout << "| " << rule << " | " << format_fixed(ms.mean, 4) << " | " << format_fixed(ms.std, 4) << " | "
              << format_fixed(*std::min_element(oa[rule].begin(), oa[rule].end()), 4) << " |\n";
  }
  return 0;
}
