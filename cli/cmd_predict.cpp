// hsi predict: classify every pixel of a cube (or of a batch of inputs) with a checkpoint.
// Options are declared and checked here; the work is pipeline/predict and pipeline/batch_predict.
#include <algorithm>
#include <filesystem>
#include <iostream>
#include <thread>

#include "cli/commands.hpp"
#include "cli/created_folder.hpp"
#include "cli/process_group.hpp"
#include "cli/runtime.hpp"
#include "common/atomic_file.hpp"
#include "common/error.hpp"
#include "common/text.hpp"
#include "io/reader.hpp"
#include "io/writer.hpp"
#include "pipeline/batch_predict.hpp"
#include "pipeline/settings.hpp"

namespace po = boost::program_options;
namespace fs = std::filesystem;

namespace hsi::cli {
namespace {

int predict_batch_verb(const std::string& model, const std::string& inputs, const std::string& out_dir, const std::string& axis_order,
                       const PredictOptions& options, int threads) {
  const ProcessGroup group;
  const std::vector<std::string> files = expand_batch_inputs(inputs, map_extension(options.format));
  const CreatedFolderGuard guard(out_dir, holds_any_file);  // maps are written whole (temporary name, then renamed)
  check_writable_target((fs::path(out_dir) / "summary.csv").string());
  // Ranks on one machine share its cores.
  if (threads <= 0 && group.local_size() > 1) threads = std::max(1, static_cast<int>(std::thread::hardware_concurrency()) / group.local_size());
  configure_threads(threads);
  Checkpoint ck = load_checkpoint(model);
  const BatchOutcome outcome = predict_batch(ck, files, out_dir, axis_order, options, group, std::cout);
  if (outcome.interrupted) throw Error(ErrorKind::Interrupted, "interrupted");
  return outcome.failed == 0 ? 0 : 3;
}

void print_stats(const PredictionStats& r, const MapOutputs& outputs) {
  std::cout << "classified " << r.rows << " x " << r.cols << " pixels (" << r.route << " route, " << r.classifier << " classifier, " << r.precision << ", "
            << r.tile << "x" << r.tile << " tiles, " << r.skipped_tiles << " of " << r.tiles << " tiles without data skipped) in "
            << format_fixed(r.seconds, 3) << " s, " << static_cast<int64_t>(static_cast<double>(r.rows * r.cols) / r.seconds)
            << " pixels/s (read " << format_fixed(r.read_seconds, 2) << " s, preprocess " << format_fixed(r.prepare_seconds, 2)
            << " s, model " << format_fixed(r.model_seconds, 2) << " s, write " << format_fixed(r.write_seconds, 2) << " s)\n";
  if (r.open_set != "none") std::cout << r.unknown_pixels << " pixels mapped unknown (" << r.open_set << " rule)\n";
  std::cout << "wrote " << outputs.map << ", " << outputs.confidence << ", " << outputs.png;
  if (!outputs.probabilities.empty()) std::cout << ", " << outputs.probabilities;
  std::cout << "\n";
}

}  // namespace

int run_predict(const std::vector<std::string>& args) {
  PredictOptions options;
  const PredictSettings defaults = options;
  std::string model, input, out, confidence, png, axis_order, inputs, out_dir;
  int threads = 0;
  po::options_description desc("hsi predict --model CKPT --input CUBE --out MAP.tif [options]");
  desc.add_options()("help,h", "show this help")("model", po::value(&model), "checkpoint (best.ckpt of hsi train)")(
      "input", po::value(&input), "cube to classify, FILE or FILE:VARIABLE")("out", po::value(&out), "classification map (in --format)")(
      "confidence", po::value(&confidence), "confidence map (Float32, in --format); default OUT with _confidence")(
      "png", po::value(&png), "PNG quick-look; default OUT with .png")(
      "probabilities", po::bool_switch(&options.probabilities),
      "also every class's probability, one Float32 band per class named after it (-1: no data), in --format: OUT with _probabilities "
      "(batch: STEM_probabilities beside each map)")(
      "axis-order", po::value(&axis_order)->default_value("rcb"), "roles of the variable's dims")(
      "nan-policy", po::value(&options.nan_policy)->default_value("error"), "NaN/Inf in the cube: error | nodata")(
      "route", po::value(&options.route)->default_value(defaults.route), "auto | dense | patch")(
      "classifier", po::value(&options.classifier), "override the checkpoint's classifier: softmax | prototype | mahalanobis | neighbour")(
      "unknown", po::value(&options.unknown),
      "open-set rule: pixels it finds unlike every class are mapped 'unknown': none | mahalanobis | distance | softmax (default: the checkpoint's)")(
      "tile", po::value(&options.tile)->default_value(defaults.tile), "tile side (0 = from --ram)")(
      "batch-size", po::value(&options.batch_size)->default_value(defaults.batch_size), "windows per batch (patch route)")(
      "threads", po::value(&threads)->default_value(0), "threads (0 = all cores)")(
      "ram", po::value(&options.ram_mb)->default_value(defaults.ram_mb), "memory budget in MB for the tiles of every route")(
      "precision", po::value(&options.precision)->default_value(defaults.precision),
      "network arithmetic: auto (bf16 where the CPU has it natively, see hsi version) | fp32 | bf16")(
      "format", po::value(&options.format)->default_value(defaults.format),
      "map files: GTiff | COG (Cloud-Optimized GeoTIFF, overviews) | ENVI (classification header with class names and colours)")(
      "inputs", po::value(&inputs), "batch: a glob ('tiles/*.tif') or @list.txt of inputs")(
      "out-dir", po::value(&out_dir), "batch: folder for one map per input, mosaic.vrt and summary.csv")(
      "seamless", po::value(&options.seamless)->default_value(true),
      "batch: inputs on one pixel grid read their windows' halo from their neighbours (false: each input alone)");
  po::variables_map vm;
  if (parse_or_help(args, desc, {}, vm)) return 0;
  // Options first, then files: nothing is read before every option is known to be sound.
  options.validate(true);
  if (options.nan_policy != "error" && options.nan_policy != "nodata") usage_error("--nan-policy must be error or nodata");
  if (!options.classifier.empty() && std::find(classifier_names().begin(), classifier_names().end(), options.classifier) == classifier_names().end()) {
    usage_error("--classifier must be softmax, prototype, mahalanobis or neighbour");
  }
  if (!options.unknown.empty() && std::find(open_set_rules().begin(), open_set_rules().end(), options.unknown) == open_set_rules().end()) {
    usage_error("--unknown must be none, mahalanobis, distance or softmax");
  }
  if (threads < 0) usage_error("--threads must be >= 0");
  if (vm.count("seamless") && !vm["seamless"].defaulted() && inputs.empty()) usage_error("--seamless is an option of batch mode (--inputs)");
  if (!inputs.empty() || !out_dir.empty()) {
    if (model.empty() || inputs.empty() || out_dir.empty()) usage_error("batch prediction needs --model, --inputs and --out-dir");
    if (!input.empty() || !out.empty()) usage_error("--input/--out and --inputs/--out-dir are two modes: give one of them");
    return predict_batch_verb(model, inputs, out_dir, axis_order, options, threads);
  }
  if (model.empty() || input.empty() || out.empty()) usage_error("--model, --input and --out are required");
  MapOutputs outputs = outputs_beside(out, options.probabilities);
  if (!confidence.empty()) outputs.confidence = confidence;
  if (!png.empty()) outputs.png = png;
  std::vector<std::string> written = {outputs.map, outputs.confidence, outputs.png};
  if (options.probabilities) written.push_back(outputs.probabilities);
  if (parse_map_format(options.format) == MapFormat::ENVI)  // and their headers (map.img -> map.hdr)
    for (const std::string& data : {outputs.map, outputs.confidence, outputs.probabilities})
      if (!data.empty()) written.push_back(envi_header_path(data));
  check_distinct_outputs(written, {parse_source(input).path, model});
  configure_threads(threads);
  Checkpoint ck = load_checkpoint(model);
  print_stats(predict_file(ck, input, axis_order, outputs, options), outputs);
  return 0;
}

}  // namespace hsi::cli
