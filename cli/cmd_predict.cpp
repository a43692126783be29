// hsi predict: classify every pixel of a cube with a checkpoint.
#include <filesystem>
#include <iostream>

#include "cli/commands.hpp"
#include "cli/runtime.hpp"
#include "common/atomic_file.hpp"
#include "common/error.hpp"
#include "io/reader.hpp"
#include "io/writer.hpp"
#include "pipeline/checkpoint.hpp"
#include "pipeline/predictor.hpp"
#include "pipeline/scene.hpp"

namespace po = boost::program_options;
namespace fs = std::filesystem;

namespace hsi::cli {

int run_predict(const std::vector<std::string>& args) {
  std::string model, input, out, confidence, png, axis_order, nan_policy, route, classifier;
  int threads = 0, tile = 128, batch = 256;
  po::options_description desc("hsi predict --model CKPT --input CUBE --out MAP.tif [options]");
  desc.add_options()("help,h", "show this help")("model", po::value(&model), "checkpoint (best.ckpt of hsi train)")(
      "input", po::value(&input), "cube to classify, FILE or FILE:VARIABLE")("out", po::value(&out), "classification map (GeoTIFF)")(
      "confidence", po::value(&confidence), "confidence map (Float32 GeoTIFF); default OUT with _confidence")(
      "png", po::value(&png), "PNG quick-look; default OUT with .png")(
      "axis-order", po::value(&axis_order)->default_value("rcb"), "roles of the variable's dims")(
      "nan-policy", po::value(&nan_policy)->default_value("error"), "NaN/Inf in the cube: error | nodata")(
      "route", po::value(&route)->default_value("auto"), "auto | dense | patch")(
      "classifier", po::value(&classifier), "override the checkpoint's classifier: softmax | prototype")(
      "tile", po::value(&tile)->default_value(128), "tile side (dense route)")(
      "batch-size", po::value(&batch)->default_value(256), "patches per batch (patch route)")(
      "threads", po::value(&threads)->default_value(0), "threads (0 = all cores)");
  po::variables_map vm;
  parse_or_usage_error(args, desc, {}, vm);
  if (vm.count("help")) {
    std::cout << desc << "\n";
    return 0;
  }
  // Options first, then files: nothing is read before every option is known to be sound.
  if (model.empty() || input.empty() || out.empty()) usage_error("--model, --input and --out are required");
  if (route != "auto" && route != "dense" && route != "patch") usage_error("--route must be auto, dense or patch");
  if (nan_policy != "error" && nan_policy != "nodata") usage_error("--nan-policy must be error or nodata");
  if (!classifier.empty() && classifier != "softmax" && classifier != "prototype") usage_error("--classifier must be softmax or prototype");
  if (tile < 8 || batch < 1 || threads < 0) usage_error("--tile must be >= 8, --batch-size >= 1, --threads >= 0");
  const fs::path out_path(out);
  if (confidence.empty()) confidence = (out_path.parent_path() / (out_path.stem().string() + "_confidence.tif")).string();
  if (png.empty()) png = (out_path.parent_path() / (out_path.stem().string() + ".png")).string();
  const std::string input_file = parse_source(input).path;
  for (const std::string& target : {out, confidence, png}) {
    if (same_file(target, input_file) || same_file(target, model)) output_error(target, "output path is the same file as an input");
    check_writable_target(target);
  }
  configure_threads(threads);

  Checkpoint ck = load_checkpoint(model);
  ReadOptions read_options;
  read_options.axis_order = axis_order;
  Cube cube = read_cube(input, read_options);
  if (cube.bands != ck.preprocessor.input_bands()) {
    data_error(cube.source, "has " + std::to_string(cube.bands) + " bands, the model " + model + " was trained on " +
                                std::to_string(ck.preprocessor.input_bands()));
  }
  const GeoInfo geo = cube.geo;
  if (!geo.has_geotransform) std::cerr << "hsi predict: warning: " << cube.source << " has no geo-referencing; the map will have none\n";
  const std::vector<uint8_t> nodata = mask_nodata(cube, nan_policy);
  ck.preprocessor.apply(cube);
  PredictOptions options;
  options.route = route;
  options.tile = tile;
  options.batch_size = batch;
  options.classifier = classifier.empty() ? ck.classifier : classifier;
  options.prototypes = ck.prototypes;
  const Prediction prediction = predict_scene(ck.net, cube, nodata, options);
  std::vector<int32_t> ids(prediction.class_index.size(), 0);
  for (size_t p = 0; p < ids.size(); ++p) {
    if (prediction.class_index[p] >= 0) ids[p] = ck.classes.at(static_cast<size_t>(prediction.class_index[p])).id;
  }
  write_class_map(out, cube.rows, cube.cols, ids, ck.classes, geo);
  write_float_map(confidence, cube.rows, cube.cols, prediction.confidence, geo, 0.0);
  write_png_quicklook(png, cube.rows, cube.cols, ids, ck.classes);
  const double pixels = static_cast<double>(cube.pixels());
  std::cout << "classified " << cube.rows << " x " << cube.cols << " pixels (" << prediction.route << " route, "
            << ck.classifier << " classifier) in " << prediction.seconds << " s, " << static_cast<int64_t>(pixels / prediction.seconds)
            << " pixels/s\n"
            << "wrote " << out << ", " << confidence << ", " << png << "\n";
  return 0;
}

}  // namespace hsi::cli
