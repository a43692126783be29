// hsi split | select | train | finetune: the verbs that work on a labelled scene.
#include <filesystem>
#include <iostream>

#include "cli/commands.hpp"
#include "cli/config.hpp"
#include "cli/shortcuts.hpp"
#include "cli/runtime.hpp"
#include "common/atomic_file.hpp"
#include "common/error.hpp"
#include "common/interrupt.hpp"
#include "io/reader.hpp"
#include "io/writer.hpp"
#include "pipeline/run.hpp"
#include "pipeline/run_layout.hpp"
#include "pipeline/scene.hpp"
#include "pipeline/split.hpp"

namespace po = boost::program_options;
namespace fs = std::filesystem;

namespace hsi::cli {
namespace {

void check_run_folder(const std::string& out) {
  if (out.empty()) usage_error("--out FOLDER is required");
  check_output_folder(out);
}

// A run that fails leaves nothing half-made: the output folder this command created is removed
// again, and in a folder that existed before, the files of the run's plan that were not there
// before are removed (the user's other files, and outputs of an earlier run it did not get to
// replace, stay). Kept when the run completed or left a checkpoint to resume from.
class OutputFolderGuard {
 public:
  OutputFolderGuard(const std::string& out, std::vector<std::string> planned, std::string resume_checkpoint = "")
      : out_(out), created_here_(!fs::exists(out)), planned_(std::move(planned)), resume_checkpoint_(std::move(resume_checkpoint)) {
    // GDAL keeps what a GeoTIFF cannot hold (category names) in a FILE.aux.xml beside it.
    const size_t files = planned_.size();
    for (size_t i = 0; i < files; ++i) planned_.push_back(planned_[i] + ".aux.xml");
    std::error_code ec;
    for (const std::string& f : planned_) existed_.push_back(fs::exists(f, ec));
    for (const std::string& f : planned_) folder_existed_.push_back(fs::exists(fs::path(f).parent_path(), ec));
  }
  ~OutputFolderGuard() {
    std::error_code ec;
    if (kept_ || (!resume_checkpoint_.empty() && fs::exists(resume_checkpoint_, ec))) return;
    if (created_here_) {
      fs::remove_all(out_, ec);
      return;
    }
    for (size_t i = 0; i < planned_.size(); ++i) {
      if (!existed_[i]) fs::remove(planned_[i], ec);
      // A subfolder this run made (split/) goes with its files, if nothing else is in it.
      if (!folder_existed_[i]) fs::remove(fs::path(planned_[i]).parent_path(), ec);
    }
  }
  OutputFolderGuard(const OutputFolderGuard&) = delete;
  OutputFolderGuard& operator=(const OutputFolderGuard&) = delete;
  void keep() { kept_ = true; }

 private:
  std::string out_;
  bool created_here_;
  std::vector<std::string> planned_;
  std::vector<bool> existed_, folder_existed_;
  std::string resume_checkpoint_;
  bool kept_ = false;
};

// Every file a training run writes into its folder must spare its inputs (a cube or label map
// kept in the output folder under an output's name would be overwritten mid-run): checked
// before anything is read.
void check_run_outputs_spare_inputs(const RunSettings& s, const std::vector<std::string>& outputs, const std::string& checkpoint = "") {
  std::vector<std::string> inputs = {parse_source(s.data.cube).path, parse_source(s.data.labels).path, s.config_file, checkpoint};
  if (!s.split.train_map.empty()) inputs.push_back(parse_source(s.split.train_map).path);
  if (!s.split.test_map.empty()) inputs.push_back(parse_source(s.split.test_map).path);
  if (!s.split.load.empty())
    for (const std::string& f : SplitFiles(s.split.load).all()) inputs.push_back(f);
  for (const std::string& output : outputs) check_not_an_input(output, inputs);
}

}  // namespace

int run_split(const std::vector<std::string>& args) {
  RunSettings s;
  Shortcuts sc;
  po::variables_map vm;
  if (!parse_settings(args, "hsi split --config SCENE.ini [--mode M] [--patch P] [--seed S] --out DIR", shortcut_options(sc, true), {}, s, vm)) return 0;
  apply_shortcuts(sc, s);
  check_run_folder(s.out);
  const std::vector<std::string> outputs = SplitFiles(s.out).all();
  check_run_outputs_spare_inputs(s, outputs);
  configure_threads(s.threads);
  OutputFolderGuard folder(s.out, outputs);
  const Scene scene = load_scene(s);
  const Split split = split_for(scene, s);
  save_split(split, s.out, scene.classes, scene.cube.geo);
  folder.keep();
  std::cout << "split of " << scene.name << " (" << split.mode << ", seed " << s.seed << ", patch " << s.model.patch << ") -> " << s.out << "\n"
            << split_table(split, scene.classes);
  return 0;
}

int run_select(const std::vector<std::string>& args) {
  RunSettings s;
  Shortcuts sc;
  po::variables_map vm;
  if (!parse_settings(args, "hsi select --config SCENE.ini [--select.candidates LIST] [--split DIR] --out DIR", shortcut_options(sc, true), {},
                      s, vm)) {
    return 0;
  }
  apply_shortcuts(sc, s);
  s.model.name = "auto";  // the split keeps clear of the largest candidate window
  check_run_folder(s.out);
  const RunLayout layout(s.out, s.predict.format);
  check_run_outputs_spare_inputs(s, {layout.selection_md, layout.selection_json});
  configure_threads(s.threads);
  const Scene scene = load_scene(s);
  const Split split = split_for(scene, s);
  std::cout << "split (" << split.mode << ", seed " << s.seed << "):\n" << split_table(split, scene.classes);
  const Selection selection = select_model(scene, s, split, true);
  if (stop_requested()) return 130;
  std::error_code ec;
  fs::create_directories(s.out, ec);
  if (ec) output_error(s.out, "cannot create the output folder");
  write_text_file(layout.selection_md, selection_markdown(selection));
  write_text_file(layout.selection_json, selection_json(selection) + "\n");
  std::cout << "\n" << selection_markdown(selection) << "\nwritten: " << (fs::path(s.out) / "selection.{md,json}").string() << "\n";
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
  check_run_folder(s.out);
  const RunLayout layout(s.out, s.predict.format);
  check_run_outputs_spare_inputs(s, layout.files());
  const int threads = configure_threads(s.threads);
  std::cout << "hsi train: " << threads << " threads, BLAS: " << blas_description() << "\n";
  OutputFolderGuard folder(s.out, layout.files(), layout.last_checkpoint);
  const Scene scene = load_scene(s);
  RunOptions options;
  options.resume = sc.resume;
  const RunResult result = run_training(scene, s, options);
  folder.keep();
  if (result.interrupted) {
    std::cerr << "hsi train: interrupted; the last completed epoch is in " << layout.last_checkpoint
              << " (continue with --resume)\n";
    return 130;
  }
  const std::string ext = map_extension(s.predict.format);
  std::cout << "outputs in " << s.out << ": best.ckpt, last.ckpt, map" << ext << ", confidence" << ext << ", map.png, report.{json,md}, confusion.csv, split/\n";
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
  check_run_folder(s.out);
  const RunLayout layout(s.out, s.predict.format);
  check_run_outputs_spare_inputs(s, layout.files(), from);
  configure_threads(s.threads);
  OutputFolderGuard folder(s.out, layout.files(), layout.last_checkpoint);
  const Scene scene = load_scene(s);
  const RunResult result = run_finetune_from(scene, s, from, RunOptions{});
  folder.keep();
  return result.interrupted ? 130 : 0;
}

}  // namespace hsi::cli
