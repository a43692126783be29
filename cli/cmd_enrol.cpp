// hsi enrol: new classes from a handful of labelled pixels, without retraining (pipeline/enrol).
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>

#include "cli/checkpoint_cube.hpp"
#include "cli/commands.hpp"
#include "cli/config.hpp"
#include "cli/runtime.hpp"
#include "common/atomic_file.hpp"
#include "common/error.hpp"
#include "common/text.hpp"
#include "io/reader.hpp"
#include "pipeline/scene.hpp"
#include "pipeline/checkpoint.hpp"
#include "pipeline/enrol.hpp"

namespace po = boost::program_options;

namespace hsi::cli {
namespace {

std::string ids_text(const std::map<int32_t, int64_t>& pixels) {
  std::string out;
  for (const auto& [id, n] : pixels) out += (out.empty() ? "" : ", ") + std::to_string(id) + " (" + std::to_string(n) + " px)";
  return out.empty() ? "none" : out;
}

}  // namespace

int run_enrol(const std::vector<std::string>& args) {
  std::string model, labels, input, classes, out, axis_order, label_field;
  int threads = 0;
  po::options_description desc("hsi enrol --model CKPT --labels LABELS --out ENROLLED.ckpt [options]");
  desc.add_options()("help,h", "show this help")("model", po::value(&model), "trained checkpoint (best.ckpt of hsi train)")(
      "labels", po::value(&labels), "label map FILE[:VARIABLE] on the cube's grid, or vector features FILE[:LAYER] burnt onto it: new ids "
      "become classes, known ids refine theirs")(
      "label-field", po::value(&label_field), "with vector features: the attribute holding the class id or name (default: the one "
      "integer attribute)")(
      "input", po::value(&input), "the cube the labels lie on (default: the training cube the checkpoint names)")(
      "classes", po::value(&classes), "INI with a [classes] section naming (and colouring) the new ids")(
      "out", po::value(&out), "the enrolled checkpoint")("axis-order", po::value(&axis_order), "roles of a .mat/HDF5 cube's dims (default: the checkpoint's)")(
      "threads", po::value(&threads)->default_value(0), "threads (0 = all cores)");
  po::variables_map vm;
  if (parse_or_help(args, desc, {}, vm)) return 0;
  if (model.empty() || labels.empty() || out.empty()) usage_error("--model, --labels and --out are required");
  if (threads < 0) usage_error("--threads must be >= 0");
  check_not_an_input(out, {model, parse_source(labels).path});
  check_writable_target(out);
  configure_threads(threads);
  Checkpoint ck = load_checkpoint(model);
  const ClassTable names = classes.empty() ? ClassTable() : class_table_from_ini(classes);
  const Cube cube = read_checkpoint_cube(ck, input, axis_order, out);
  // A feature may name its class: the checkpoint's classes and those --classes adds.
  std::vector<ClassInfo> known = ck.classes.classes();
  for (const ClassInfo& c : names.classes())
    if (ck.classes.index_of(c.id) < 0) known.push_back(c);
  const LabelMap label_map = read_labels_on_grid(labels, cube.geo, cube.rows, cube.cols, ClassTable(known), {label_field, false, "--label-field"});
  const EnrolOutcome outcome = enrol_classes(ck, cube, label_map, names);
  save_checkpoint(out, ck);
  std::cout << "enrolled " << outcome.added.size() << " new class(es): " << ids_text(outcome.added) << "\nrefined " << outcome.refined.size()
            << " known class(es): " << ids_text(outcome.refined) << "\n";
  if (outcome.skipped_nodata) std::cout << outcome.skipped_nodata << " labelled pixels without data skipped\n";
  std::cout << "classifier: " << ck.classifier << ", " << ck.classes.size() << " classes; " << format_fixed(outcome.seconds, 3) << " s\nwrote " << out << "\n";
  return 0;
}

}  // namespace hsi::cli
