// Which novelty score tells an unseen class from the known ones best? Reads the runs of an
// `hsi experiment --open-set` folder (each trained without one class) and scores every labelled
// pixel with several candidate rules, printing the AUROC per rule: the evidence behind the rule
// hsi uses. Usage: bench_open_set CONFIG.ini EXPERIMENT_DIR
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <regex>

#include "bench/experiment_run.hpp"
#include "cli/config.hpp"
#include "common/memory.hpp"
#include "common/text.hpp"
#include "eval/aggregate.hpp"
#include "eval/open_set.hpp"
#include "io/reader.hpp"
#include "pipeline/checkpoint.hpp"
#include "pipeline/prototypes.hpp"
#include "pipeline/scene.hpp"

namespace fs = std::filesystem;
using namespace hsi;

namespace {

std::vector<float> to_vector(const torch::Tensor& t) {
  const torch::Tensor c = t.to(torch::kFloat).contiguous();
  return std::vector<float>(c.data_ptr<float>(), c.data_ptr<float>() + c.numel());
}

// Candidate scores [N] for features z [N, K] given the training features zt and their classes.
std::map<std::string, torch::Tensor> candidate_scores(HsiNet& net, const torch::Tensor& z, const torch::Tensor& zt, const torch::Tensor& yt,
                                                      const torch::Tensor& prototypes) {
  torch::NoGradGuard no_grad;
  std::map<std::string, torch::Tensor> out;
  const int64_t C = prototypes.size(0);
  const torch::Tensor d = prototype_distances(z, prototypes, {});  // [N, C]
  out["distance (hsi rule)"] = novelty_scores(net, z, "distance", prototypes, {});
  out["softmax (hsi rule)"] = novelty_scores(net, z, "softmax", prototypes, {});
  out["mahalanobis (hsi rule: tied covariance, OAS shrinkage)"] = novelty_scores(net, z, "mahalanobis", prototypes, tied_precision(zt, yt, prototypes));
  // Each class's spread: mean squared distance of its training pixels to the prototype.
  torch::Tensor spread = torch::zeros({C});
  for (int64_t c = 0; c < C; ++c) {
    const torch::Tensor mask = yt == c;
    spread[c] = (zt.index({mask}) - prototypes[c]).pow(2).sum(1).mean();
  }
  out["distance / class spread"] = (d / spread.clamp_min(1e-6).unsqueeze(0)).amin(1);
  const torch::Tensor zn = torch::nn::functional::normalize(z, torch::nn::functional::NormalizeFuncOptions().dim(1));
  const torch::Tensor ztn = torch::nn::functional::normalize(zt, torch::nn::functional::NormalizeFuncOptions().dim(1));
  const torch::Tensor pn = torch::nn::functional::normalize(prototypes, torch::nn::functional::NormalizeFuncOptions().dim(1));
  out["cosine distance to prototype"] = 1 - torch::matmul(zn, pn.t()).amax(1);
  const torch::Tensor knn = torch::cdist(zn, ztn);
  out["1-NN, normalised"] = knn.amin(1);
  out["3-NN, normalised"] = std::get<0>(knn.topk(std::min<int64_t>(3, zt.size(0)), 1, false)).select(1, -1);
  out["1-NN"] = torch::cdist(z, zt).amin(1);
  // Tied covariance with shrinkage (few pixels per dimension).
  const torch::Tensor centred = zt - prototypes.index_select(0, yt);
  torch::Tensor cov = torch::matmul(centred.t(), centred) / std::max<int64_t>(1, zt.size(0) - C);
  // Fixed shrinkages toward (tr S / p) I, against the data-driven OAS of the hsi rule.
  for (double shrink : {0.05, 0.2, 0.5}) {
    const torch::Tensor shrunk = (1 - shrink) * cov + shrink * cov.diagonal().mean() * torch::eye(cov.size(0));
    out["Mahalanobis, tied, shrinkage " + format_fixed(shrink, 2)] = prototype_distances(z, prototypes, torch::linalg_inv(shrunk)).amin(1);
  }
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  keep_freed_memory_for_reuse();  // as the hsi binary does (common/memory.hpp)
  if (argc != 3) {
    std::cerr << "usage: bench_open_set CONFIG.ini EXPERIMENT_DIR\n";
    return 2;
  }
  torch::set_num_threads(2);
  std::ifstream config(argv[1]);
  const RunSettings settings = cli::settings_from_ini(config, argv[1]);
  const Scene scene = load_scene(settings);
  const std::regex name("open_(.+)_without([0-9]+)_seed([0-9]+)");
  std::map<std::string, std::map<std::string, std::vector<double>>> auroc_of;  // model -> rule -> per run
  std::map<std::string, std::map<std::string, std::map<int, std::vector<double>>>> by_class;
  for (const auto& entry : fs::directory_iterator(fs::path(argv[2]) / "runs")) {
    std::smatch m;
    const std::string folder = entry.path().filename().string();
    if (!std::regex_match(folder, m, name) || !fs::exists(entry.path() / "open_set.tsv")) continue;  // finished runs only
    const std::string model = m[1];
    const int left_out = std::stoi(m[2]);
    bench::ExperimentRun run = bench::load_experiment_run(scene, entry.path());
    Checkpoint& ck = run.ck;
    const LabelMap &train = run.train, &test = run.test;
    const BatchMaker batches(run.prepared, ck.net_options);
    const Samples train_samples = samples_of(train.labels, ck.classes);
    std::vector<int64_t> pixels;
    std::vector<uint8_t> unseen;
    for (size_t i = 0; i < test.labels.size(); ++i) {
      if (test.labels[i] != 0) pixels.push_back(static_cast<int64_t>(i)), unseen.push_back(0);
      else if (scene.labels.labels[i] == left_out) pixels.push_back(static_cast<int64_t>(i)), unseen.push_back(1);
    }
    const torch::Tensor z = metric_features(ck.net, batches, pixels);
    const torch::Tensor zt = metric_features(ck.net, batches, train_samples.pixels);
    const torch::Tensor yt = torch::tensor(train_samples.targets, torch::kLong);
    for (const auto& [rule, scores] : candidate_scores(ck.net, z, zt, yt, ck.prototypes)) {
      const std::vector<float> s = to_vector(scores);
      std::vector<float> known, other;
      for (size_t k = 0; k < s.size(); ++k) (unseen[k] ? other : known).push_back(s[k]);
      const double a = auroc(known, other);
      auroc_of[model][rule].push_back(a);
      by_class[model][rule][left_out].push_back(a);
    }
  }
  for (const auto& [model, rules] : auroc_of) {
    std::cout << "## " << model << "\n| rule | mean AUROC over runs | weakest class (mean over seeds) |\n|---|---|---|\n";
    for (const auto& [rule, values] : rules) {
      double weakest = 1;
      int weakest_id = 0;
      for (const auto& [id, v] : by_class[model][rule])
        if (mean_std(v).mean < weakest) weakest = mean_std(v).mean, weakest_id = id;
      std::cout << "| " << rule << " | " << format_fixed(mean_std(values).mean, 4) << " (" << values.size() << " runs) | "
                << format_fixed(weakest, 4) << " (class " << weakest_id << ") |\n";
    }
    std::cout << "\n";
  }
  return 0;
}
