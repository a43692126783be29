#include "cli/shortcuts.hpp"

#include <sstream>

#include "common/text.hpp"

namespace po = boost::program_options;

namespace hsi::cli {

po::options_description shortcut_options(Shortcuts& sc, bool with_split_mode) {
  po::options_description d("common");
  d.add_options()("help,h", "show this help")("out", po::value(&sc.out), "output folder")(
      "model", po::value(&sc.model), "model.name: ms1d | ms2d | ms3d | ms1d2d | cnn1d | cnn2d | cnn3d | svm | unmix | auto")(
      "patch", po::value(&sc.patch), "model.patch: odd window side")("split", po::value(&sc.split), "split.load: reuse a saved split folder");
  if (with_split_mode) d.add_options()("mode", po::value(&sc.mode), "split.mode: fixed | fraction | external | blocks");
  return d;
}

namespace {

// The settings text written beside results and into checkpoints must say what the run used:
// a shortcut's value replaces its key's line.
void record(std::string& text, const std::string& key, const std::string& value) {
  std::istringstream lines(text);
  std::string out;
  bool found = false;
  for (std::string line; std::getline(lines, line);) {
    const size_t eq = line.find('=');
    if (eq != std::string::npos && trim(line.substr(0, eq)) == key) {
      line = key + " = " + value;
      found = true;
    }
    out += line + "\n";
  }
  if (!found) out += key + " = " + value + "\n";
  text = out;
}

}  // namespace

void apply_shortcuts(const Shortcuts& sc, RunSettings& s) {
  if (!sc.model.empty()) record(s.config_text, "model.name", s.model.name = sc.model);
  if (sc.patch != 0) record(s.config_text, "model.patch", std::to_string(s.model.patch = sc.patch));
  if (!sc.mode.empty()) record(s.config_text, "split.mode", s.split.mode = sc.mode);
  if (!sc.split.empty()) record(s.config_text, "split.load", s.split.load = sc.split);
  s.out = sc.out;
  s.validate();
}

}  // namespace hsi::cli
