// hsi model-info: an architecture, its parameters and multiply-accumulates, without data.
#include <iostream>

#include "cli/commands.hpp"
#include "cli/config.hpp"
#include "cli/shortcuts.hpp"
#include "common/error.hpp"
#include "models/hsi_net.hpp"
#include "pipeline/select.hpp"

namespace po = boost::program_options;

namespace hsi::cli {
namespace {

void describe(const RunSettings& s, int bands, int classes) {
  if (s.model.name == "svm") {
    std::cout << "svm (RBF C-SVC, one-vs-one; LIBSVM), input " << bands << " bands, " << classes << " classes\n"
              << "  C and gamma chosen by cross-validation on the training pixels; parameters: the support vectors found in training\n";
    return;
  }
  if (s.model.name == "unmix") {
    std::cout << "unmix (linear unmixing classifier), input " << bands << " bands, " << classes << " classes\n"
              << "  endmembers: the class means of the training pixels; abundances by least squares relative to the preprocessed zero\n"
              << "  spectrum; the largest abundance is the class. Parameters: " << classes * (bands + 1) << " (endmembers and origin)\n";
    return;
  }
  std::cout << make_hsi_net(s.model.net_options(bands, classes))->describe();
}

}  // namespace

int run_model_info(const std::vector<std::string>& args) {
  RunSettings s;
  Shortcuts sc;
  int bands = 0, classes = 16;
  po::options_description verb = shortcut_options(sc, false);
  verb.add_options()("bands", po::value(&bands)->default_value(200), "input bands (after preprocessing)")(
      "classes", po::value(&classes)->default_value(16), "number of classes");
  po::variables_map vm;
  if (!parse_settings(args, "hsi model-info [--model M|auto] [--patch P] [--bands B] [--classes C]", verb, {}, s, vm)) return 0;
  apply_shortcuts(sc, s);
  if (bands < 1 || classes < 2) usage_error("--bands must be >= 1 and --classes >= 2");
  if (s.model.name == "auto") {
    // What auto may choose: every candidate's architecture.
    for (const Candidate& c : parse_candidates(s.select.candidates, "select.candidates")) {
      std::cout << "== candidate " << c.label() << "\n";
      describe(with_candidate(s, c), bands, classes);
    }
    return 0;
  }
  describe(s, bands, classes);
  return 0;
}

}  // namespace hsi::cli
