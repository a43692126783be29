#include "cli/shortcuts.hpp"

namespace po = boost::program_options;

namespace hsi::cli {

po::options_description shortcut_options(Shortcuts& sc, bool with_split_mode) {
  po::options_description d("common");
  d.add_options()("help,h", "show this help")("out", po::value(&sc.out), "output folder")(
      "model", po::value(&sc.model), "model.name: ms1d | ms2d | ms3d | ms1d2d | cnn1d | cnn2d | cnn3d | svm | auto")(
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

}  // namespace hsi::cli
