// hsi suggest: which pixels to label next, from a trained checkpoint's learned metric
// (pipeline/suggest.hpp). Writes a CSV an analyst can open in a GIS or a spreadsheet.
#include <cstdio>
#include <iostream>
#include <sstream>

#include "cli/checkpoint_cube.hpp"
#include "cli/commands.hpp"
#include "cli/runtime.hpp"
#include "common/atomic_file.hpp"
#include "common/error.hpp"
#include "common/text.hpp"
#include "io/reader.hpp"
#include "pipeline/checkpoint.hpp"
#include "pipeline/scene.hpp"
#include "pipeline/suggest.hpp"

namespace po = boost::program_options;

namespace hsi::cli {
namespace {

std::string coordinate(double v) {
  char text[40];
  std::snprintf(text, sizeof text, "%.6f", v);
  return text;
}

std::string csv_field(const std::string& text) {
  if (text.find_first_of(",\"\n") == std::string::npos) return text;
  std::string quoted = "\"";
  for (char c : text) quoted += c == '"' ? std::string("\"\"") : std::string(1, c);
  return quoted + "\"";
}

}  // namespace

int run_suggest(const std::vector<std::string>& args) {
  std::string model, labels, within, input, out, axis_order, label_field;
  int64_t count = 0;
  int threads = 0;
  po::options_description desc("hsi suggest --model CKPT --out SUGGESTIONS.csv [options]");
  desc.add_options()("help,h", "show this help")("model", po::value(&model), "trained checkpoint (best.ckpt of hsi train)")(
      "labels", po::value(&labels), "the pixels labelled already (e.g. RUN/split/train.tif): never suggested")(
      "within", po::value(&within), "only pixels non-zero in this map FILE[:VARIABLE] or inside these features (a survey area, a "
      "benchmark's labelled pixels) are looked at and suggested")(
      "label-field", po::value(&label_field), "with vector features as --labels or --within: the attribute holding the class")(
      "count", po::value(&count)->default_value(0), "pixels to suggest (0 = as many as the checkpoint has classes)")(
      "input", po::value(&input), "the cube to look in (default: the training cube the checkpoint names)")(
      "out", po::value(&out), "the suggestions, CSV: rank, row, col, map x and y, cluster size, nearest class")(
      "axis-order", po::value(&axis_order), "roles of a .mat/HDF5 cube's dims (default: the checkpoint's)")(
      "threads", po::value(&threads)->default_value(0), "threads (0 = all cores)");
  po::variables_map vm;
  if (parse_or_help(args, desc, {}, vm)) return 0;
  if (model.empty() || out.empty()) usage_error("--model and --out are required");
  if (count < 0) usage_error("--count must be >= 0");
  if (threads < 0) usage_error("--threads must be >= 0");
  check_not_an_input(out, {model, labels.empty() ? std::string() : parse_source(labels).path, within.empty() ? std::string() : parse_source(within).path});
  check_writable_target(out);
  configure_threads(threads);
  Checkpoint ck = load_checkpoint(model);
  require_metric(ck);  // before the cube is read
  Cube cube = read_checkpoint_cube(ck, input, axis_order, out);
  ck.preprocessor.check_input_bands(static_cast<int>(cube.bands), cube.source);
  std::vector<uint8_t> taken(static_cast<size_t>(cube.rows * cube.cols), 0);
  auto read_on_grid = [&](const std::string& source) {
    const LabelMap map = read_labels_on_grid(source, cube.geo, cube.rows, cube.cols, ck.classes, {label_field, false, "--label-field"});
    check_labels_fit_cube(map, cube);
    return map;
  };
  if (!labels.empty()) {
    const LabelMap labelled = read_on_grid(labels);
    for (size_t i = 0; i < taken.size(); ++i) taken[i] = labelled.labels[i] != 0;
  }
  if (!within.empty()) {
    const LabelMap area = read_on_grid(within);
    for (size_t i = 0; i < taken.size(); ++i) taken[i] = taken[i] || area.labels[i] == 0;
  }
  const std::vector<uint8_t> nodata = mask_nodata(cube, "nodata", nullptr, ck.preprocessor.kept_band_flags());
  ck.preprocessor.apply(cube);
  const std::vector<Suggestion> suggestions = suggest_pixels(ck, cube, taken, nodata, count > 0 ? count : static_cast<int64_t>(ck.classes.size()));

  std::ostringstream csv;
  csv << "rank,row,col,x,y,cluster_pixels,cluster_share,nearest_class_id,nearest_class_name\n";
  const auto& g = cube.geo.geotransform;
  for (size_t k = 0; k < suggestions.size(); ++k) {
    const Suggestion& s = suggestions[k];
    const int64_t row = s.pixel / cube.cols, col = s.pixel % cube.cols;
    const double cx = static_cast<double>(col) + 0.5, cy = static_cast<double>(row) + 0.5;
    const ClassInfo& nearest = ck.classes.at(static_cast<size_t>(s.nearest_class));
    csv << k + 1 << "," << row << "," << col << ","
        << (cube.geo.has_geotransform ? coordinate(g[0] + cx * g[1] + cy * g[2]) + "," + coordinate(g[3] + cx * g[4] + cy * g[5]) : ",") << ","
        << s.cluster_pixels << "," << format_fixed(s.cluster_share, 4) << "," << nearest.id << "," << csv_field(nearest.name) << "\n";
  }
  write_text_file(out, csv.str());
  std::cout << suggestions.size() << " pixels to label next (row, col; the largest unexplained cluster first):\n";
  for (size_t k = 0; k < suggestions.size(); ++k) {
    const Suggestion& s = suggestions[k];
    std::cout << "  " << k + 1 << ". (" << s.pixel / cube.cols << ", " << s.pixel % cube.cols << "): a cluster of "
              << format_fixed(100 * s.cluster_share, 1) << " % of the unlabelled pixels; nearest class "
              << ck.classes.at(static_cast<size_t>(s.nearest_class)).name << "\n";
  }
  std::cout << "wrote " << out << "\n";
  return 0;
}

}  // namespace hsi::cli
