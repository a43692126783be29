#pragma once
// Short forms of the most used settings (--model, --patch, --mode, --split, --out), shared by
// the verbs that take a scene config; they override both the INI file and --section.key.
#include <boost/program_options.hpp>
#include <string>

#include "pipeline/settings.hpp"

namespace hsi::cli {

struct Shortcuts {
  std::string model, mode, split, out;
  int patch = 0;
  bool resume = false;
};

boost::program_options::options_description shortcut_options(Shortcuts& sc, bool with_split_mode);
// Applies the shortcuts given and validates the result.
void apply_shortcuts(const Shortcuts& sc, RunSettings& s);

}  // namespace hsi::cli
