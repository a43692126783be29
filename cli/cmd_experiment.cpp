// hsi experiment: options of pipeline/experiment (repeated runs over seeds, models and split
// protocols, aggregated into tables; resumable).
#include <filesystem>
#include <iostream>

#include "cli/commands.hpp"
#include "cli/config.hpp"
#include "cli/created_folder.hpp"
#include "cli/runtime.hpp"
#include "common/atomic_file.hpp"
#include "common/error.hpp"
#include "pipeline/experiment.hpp"
#include "pipeline/open_set_experiment.hpp"

namespace po = boost::program_options;
namespace fs = std::filesystem;

namespace hsi::cli {

int run_experiment(const std::vector<std::string>& args) {
  RunSettings base;
  std::string models, splits, out;
  int runs = 5, first_seed = 0;
  bool open_set = false;
  po::options_description verb("experiment");
  verb.add_options()("help,h", "show this help")("out", po::value(&out), "experiment folder")(
      "runs", po::value(&runs)->default_value(5), "seeds per model and protocol")(
      "first-seed", po::value(&first_seed)->default_value(0), "seeds are first-seed .. first-seed + runs - 1")(
      "models", po::value(&models),
      "comma list of NAME[:WINDOW][+dml|+dpp]: ms1d, ms2d, ms2d:5+dpp, ms1d2d:5, svm, unmix, auto, auto+dpp, ... (no +: fine-tuning off); "
      "default: the config's model, with its fine-tuning")(
      "splits", po::value(&splits), "comma list: fixed:N, fraction:P, blocks[:N], external; default: the config's split")(
      "open-set", po::bool_switch(&open_set),
      "leave one class out in turn: AUROC, known OA after rejection and unseen share flagged, per rejection rule (open_set.{md,csv})");
  po::variables_map vm;
  if (!parse_settings(args, "hsi experiment --config SCENE.ini --runs N --models a,b --splits fixed:5,blocks --out DIR", verb, {}, base, vm)) return 0;
  const ExperimentPlan plan = plan_experiment(base, models, splits, runs, first_seed, out);
  if (models.empty() || splits.empty()) {
    // Say what a bare command stands for: the table's columns and sections are named by it.
    std::cout << "hsi experiment: " << (models.empty() ? "the config's model " + plan.models.front() : std::string()) << (models.empty() && splits.empty() ? ", " : "")
              << (splits.empty() ? "the config's split " + plan.splits.front() : std::string()) << " (--models, --splits to list others)\n";
  }
  // A failure before any run finished removes the folders made here; finished runs are what a
  // rerun continues from.
  const CreatedFolderGuard guard(out, [](const fs::path& made) {
    return holds_file_named(made, "result.tsv") || holds_file_named(made, "open_set.tsv");
  });
  if (!fs::is_directory(out)) output_error(out, "cannot create the experiment folder");
  check_output_folder(out);
  configure_threads(base.threads);
  const Scene scene = load_scene(base);
  const ExperimentResult result = open_set ? run_open_set_experiment(scene, base, plan, std::cout) : run_experiment(scene, base, plan, std::cout);
  if (result.interrupted) {
    std::cerr << "hsi experiment: interrupted; rerun the same command to continue\n";
    return 130;
  }
  std::cout << "\n" << result.markdown << "tables written to " << out << (open_set ? "/open_set.{md,csv}\n" : "/table.{md,tex,csv}\n");
  return 0;
}

}  // namespace hsi::cli
