// hsi model-info: an architecture, its parameters and multiply-accumulates, without data.
#include <iostream>

#include "cli/commands.hpp"
#include "cli/config.hpp"
#include "cli/shortcuts.hpp"
#include "common/error.hpp"
#include "models/hsi_net.hpp"

namespace po = boost::program_options;

namespace hsi::cli {

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
