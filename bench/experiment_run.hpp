#pragma once
// One run folder of an `hsi experiment` (runs/NAME/: best.ckpt, split/train.tif, split/test.tif)
// with the scene's cube preprocessed as that run's training did: what the benchmarks that rescore
// an experiment's checkpoints start from.
#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <string>
#include <vector>

#include "cli/config.hpp"
#include "common/text.hpp"
#include "eval/aggregate.hpp"
#include "io/reader.hpp"
#include "pipeline/checkpoint.hpp"
#include "pipeline/scene.hpp"

namespace hsi::bench {

struct ExperimentRun {
  Checkpoint ck;
  LabelMap train, test;
  Cube prepared;  // the scene's cube through the checkpoint's preprocessing (a BatchMaker keeps a reference)
};

inline ExperimentRun load_experiment_run(const Scene& scene, const std::filesystem::path& dir) {
  ExperimentRun run{load_checkpoint((dir / "best.ckpt").string()), read_labels((dir / "split" / "train.tif").string()),
                    read_labels((dir / "split" / "test.tif").string()), scene.cube};
  run.ck.preprocessor.apply(run.prepared);
  return run;
}

// The scene of an INI config, as hsi train loads it.
inline Scene load_config_scene(const std::string& config) {
  std::ifstream in(config);
  return load_scene(cli::settings_from_ini(in, config));
}

// The finished runs EXPERIMENT_DIR/runs/PREFIX_seed* (those with a best.ckpt), in name order.
inline std::vector<std::filesystem::path> experiment_runs(const std::filesystem::path& experiment, const std::string& model_split_prefix) {
  std::vector<std::filesystem::path> runs;
  for (const auto& entry : std::filesystem::directory_iterator(experiment / "runs"))
    if (entry.path().filename().string().rfind(model_split_prefix + "_seed", 0) == 0 && std::filesystem::exists(entry.path() / "best.ckpt"))
      runs.push_back(entry.path());
  std::sort(runs.begin(), runs.end());
  return runs;
}

// OA per rule over the runs: each figure printed as it comes, then a table of mean, std and lowest.
class RuleTable {
 public:
  void record(const std::string& rule, double oa) {
    if (!oa_.count(rule)) order_.push_back(rule);
    oa_[rule].push_back(oa);
    std::cout << "  " << rule << ": " << format_fixed(oa, 4) << "\n";
  }
  void print() const {
    std::cout << "\n| rule | OA mean | std | min |\n|---|---:|---:|---:|\n";
    for (const auto& rule : order_) {
      const std::vector<double>& v = oa_.at(rule);
      const auto ms = mean_std(v);
      std::cout << "| " << rule << " | " << format_fixed(ms.mean, 4) << " | " << format_fixed(ms.std, 4) << " | "
                << format_fixed(*std::min_element(v.begin(), v.end()), 4) << " |\n";
    }
  }

 private:
  std::map<std::string, std::vector<double>> oa_;
  std::vector<std::string> order_;
};

}  // namespace hsi::bench
