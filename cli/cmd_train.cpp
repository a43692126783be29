// hsi split | train | finetune | model-info: the verbs that work on a labelled scene.
#include <filesystem>
#include <iostream>

#include "cli/commands.hpp"
#include "cli/config.hpp"
#include "cli/runtime.hpp"
#include "common/atomic_file.hpp"
#include "common/error.hpp"
#include "models/hsi_net.hpp"
#include "pipeline/run.hpp"
#include "pipeline/scene.hpp"
#include "pipeline/split.hpp"

namespace po = boost::program_options;
namespace fs = std::filesystem;

namespace hsi::cli {
namespace {

// Short forms of the most used settings; they override both the INI file and --section.key.
struct Shortcuts {
  std::string model, mode, split, out;
  int patch = 0;
  bool resume = false;
};

po::options_description shortcut_options(Shortcuts& sc, bool with_split_mode) {
  po::options_description d("common");
  d.add_options()("help,h", "show this help")("out", po::value(&sc.out), "output folder")(
      "model", po::value(&sc.model), "model.name: ms1d | ms2d | ms3d | cnn1d | cnn2d | cnn3d")(
      "patch", po::value(&sc.patch), "model.patch: odd window side")("split", po::value(&sc.split), "split.load: reuse a saved split folder");
  if (with_split_mode) d.add_options()("mode", po::value(&sc.mode), "split.mode: fixed | fraction | external | blocks");
  return d;
}

void apply_shortcuts(const Shortcuts& sc, RunSettings& s) {
  if (!sc.model.empty()) s.model.name = sc.model;
  if (sc.patch != 0) s.model.patch = sc.patch;
  if (!sc.mode.empty()) s.split.mode = sc.mode;
  if (!sc.split.empty()) s.split.load = sc.split;
  s.out = sc.out;
  s.validate();
}

void check_output_folder(const std::string& out) {
  if (out.empty()) usage_error("--out FOLDER is required");
  const fs::path abs = fs::absolute(out);
  if (fs::exists(abs) && !fs::is_directory(abs)) output_error(out, "exists and is not a folder");
  // The folder itself when it exists, else its parent, must be writable: checked before any work.
  check_writable_target(((fs::exists(abs) ? abs : abs.parent_path()) / "probe").string());
}

}  // namespace

int run_split(const std::vector<std::string>& args) {
  RunSettings s;
  Shortcuts sc;
  po::variables_map vm;
  if (!parse_settings(args, "hsi split --config SCENE.ini [--mode M] [--patch P] [--seed S] --out DIR", shortcut_options(sc, true), {}, s, vm)) return 0;
  apply_shortcuts(sc, s);
  check_output_folder(s.out);
  configure_threads(s.threads);
  const Scene scene = load_scene(s);
  const Split split = split_for(scene, s);
  save_split(split, s.out, scene.classes, scene.cube.geo);
  std::cout << "split of " << scene.name << " (" << split.mode << ", seed " << s.seed << ", patch " << s.model.patch << ") -> " << s.out << "\n"
            << split_table(split, scene.classes);
  return 0;
}

int run_train(const std::vector<std::string>& args) {
  RunSettings s;
  Shortcuts sc;
  po::options_description verb = shortcut_options(sc, true);
  verb.add_options()("resume", po::bool_switch(&sc.resume), "continue an interrupted training from OUT/last.ckpt");
  po::variables_map vm;
  if (!parse_settings(args, "hsi train --config SCENE.ini [--model M] [--split DIR] --out DIR", verb, {}, s, vm)) return 0;
  apply_shortcuts(sc, s);
  check_output_folder(s.out);
  const int threads = configure_threads(s.threads);
  std::cout << "hsi train: " << threads << " threads, BLAS: " << blas_description() << "\n";
  const Scene scene = load_scene(s);
  RunOptions options;
  options.resume = sc.resume;
  const RunResult result = run_training(scene, s, options);
  if (result.interrupted) {
    std::cerr << "hsi train: interrupted; the last completed epoch is in " << (fs::path(s.out) / "last.ckpt").string()
              << " (continue with --resume)\n";
    return 130;
  }
  std::cout << "outputs in " << s.out << ": best.ckpt, last.ckpt, map.tif, confidence.tif, map.png, report.{json,md}, confusion.csv, split/\n";
  return 0;
}

int run_finetune(const std::vector<std::string>& args) {
  RunSettings s;
  Shortcuts sc;
  std::string from;
  po::options_description verb = shortcut_options(sc, true);
  verb.add_options()("from", po::value(&from), "pretrained checkpoint to fine-tune");
  po::variables_map vm;
  if (!parse_settings(args, "hsi finetune --config SCENE.ini --from CKPT [--split DIR] --out DIR", verb, {}, s, vm)) return 0;
  apply_shortcuts(sc, s);
  if (from.empty()) usage_error("--from CKPT is required");
  check_output_folder(s.out);
  configure_threads(s.threads);
  const Scene scene = load_scene(s);
  const RunResult result = run_finetune_from(scene, s, from, RunOptions{});
  return result.interrupted ? 130 : 0;
}

int run_model_info(const std::vector<std::string>& args) {
  RunSettings s;
  Shortcuts sc;
  int bands = 0, classes = 16;
  po::options_description verb = shortcut_options(sc, false);
  verb.add_options()("bands", po::value(&bands)->default_value(200), "input bands (after preprocessing)")(
      "classes", po::value(&classes)->default_value(16), "number of classes");
  po::variables_map vm;
  if (!parse_settings(args, "hsi model-info [--model M] [--patch P] [--bands B] [--classes C]", verb, {}, s, vm)) return 0;
  apply_shortcuts(sc, s);
  if (bands < 1 || classes < 2) usage_error("--bands must be >= 1 and --classes >= 2");
  std::cout << make_hsi_net(s.model.net_options(bands, classes))->describe();
  return 0;
}

}  // namespace hsi::cli
