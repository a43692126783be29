#include "cli/dispatch.hpp"

#include <filesystem>
#include <iostream>
#include <map>

#include "cli/commands.hpp"
#include "cli/runtime.hpp"
#include "common/error.hpp"

namespace hsi::cli {
namespace {

const char* kUsage =
    "hsi <command> [options]   (hsi <command> --help for details)\n\n"
    "commands:\n"
    "  info         describe a cube or label map (size, type, range, geo-referencing)\n"
    "  split        make and save a train/test split\n"
    "  select       choose the model and window by cross-validation on the training pixels\n"
    "  train        train a model (softmax pretraining, then metric fine-tuning if configured;\n"
    "               model.name = auto selects it first)\n"
    "  finetune     run the deep-metric fine-tuning stage from a checkpoint\n"
    "  predict      classify every pixel of a cube with a checkpoint\n"
    "  enrol        add classes to a trained model from a few labelled pixels, without retraining\n"
    "  suggest      which pixels to label next: one in each cluster of the scene no class explains\n"
    "  evaluate     accuracy of a classification map against a reference map (--areas: class areas)\n"
    "  sample       draw a stratified random sample of a map's pixels for reference labelling\n"
    "  experiment   repeat split/train/predict/evaluate over seeds and models, aggregate a table\n"
    "  fetch        download a standard scene's cube into the cache and verify its checksum\n"
    "  model-info   print an architecture, its parameters and multiply-accumulates\n"
    "  version      versions, BLAS and thread counts in use\n";

}  // namespace

int run_command(const std::vector<std::string>& all_args) {
  if (all_args.empty() || all_args[0] == "--help" || all_args[0] == "-h" || all_args[0] == "help") {
    std::cout << kUsage;
    return all_args.empty() ? 2 : 0;
  }
  const std::string verb = all_args[0];
  const std::vector<std::string> args(all_args.begin() + 1, all_args.end());
  const std::map<std::string, int (*)(const std::vector<std::string>&)> verbs = {
      {"info", run_info},         {"split", run_split},       {"select", run_select},     {"train", run_train},
      {"finetune", run_finetune}, {"predict", run_predict},   {"evaluate", run_evaluate}, {"sample", run_sample},
      {"model-info", run_model_info}, {"enrol", run_enrol}, {"suggest", run_suggest}, {"fetch", run_fetch}, {"experiment", run_experiment}, {"version", run_version},
      {"--version", run_version}};
  auto it = verbs.find(verb);
  if (it == verbs.end()) {
    std::cerr << "hsi: unknown command '" << verb << "'\n" << kUsage;
    return 2;
  }
  try {
    return it->second(args);
  } catch (const Error& e) {
    if (e.kind() == ErrorKind::Interrupted) {
      std::cerr << "hsi " << verb << ": interrupted; no unfinished output was left under its final name\n";
      return e.exit_code();
    }
    std::cerr << "hsi " << verb << ": error: " << e.what() << "\n";
    return e.exit_code();
  } catch (const std::bad_alloc&) {
    std::cerr << "hsi " << verb << ": error: out of memory\n";
    return 5;
  } catch (const std::filesystem::filesystem_error& e) {
    // A path the file system refused (a symlink loop, a permission, a vanished folder): the path
    // and the reason, as a data problem, not an internal one.
    std::cerr << "hsi " << verb << ": error: " << (e.path1().empty() ? std::string("(a path)") : e.path1().string()) << ": "
              << e.code().message() << " (file system)\n";
    return 3;
  } catch (const std::exception& e) {
    std::cerr << "hsi " << verb << ": error: " << e.what() << "\n";
    return 5;
  }
}

}  // namespace hsi::cli
