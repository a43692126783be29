// hsi predict: classify every pixel of a cube with a checkpoint.
#include <glob.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>
#include <thread>

#include "cli/commands.hpp"
#include "cli/process_group.hpp"
#include "cli/runtime.hpp"
#include "common/atomic_file.hpp"
#include "common/error.hpp"
#include "common/interrupt.hpp"
#include "common/text.hpp"
#include "io/reader.hpp"
#include "io/window_io.hpp"
#include "io/writer.hpp"
#include "pipeline/checkpoint.hpp"
#include "pipeline/predictor.hpp"
#include "pipeline/scene.hpp"
#include "pipeline/stream_predict.hpp"

namespace po = boost::program_options;
namespace fs = std::filesystem;

namespace hsi::cli {
namespace {

// GDAL rasters with a window model take the streamed path; .mat and HDF5 cubes are read whole.
bool streamable(const std::string& path, const Checkpoint& ck) {
  const std::string ext = to_lower(fs::path(path).extension().string());
  return ck.net->supports_dense() && ext != ".mat" && ext != ".h5" && ext != ".hdf5" && ext != ".he5" && ext != ".hdf";
}

// The checkpoint's classifier unless --classifier overrides it.
PredictOptions prediction_options(const Checkpoint& ck, const std::string& classifier) {
  PredictOptions o;
  o.classifier = classifier.empty() ? ck.classifier : classifier;
  o.prototypes = ck.prototypes;
  return o;
}

StreamOptions stream_options(const Checkpoint& ck, int ram, const std::string& nan_policy, const std::string& classifier) {
  StreamOptions so;
  so.ram_mb = ram;
  so.nan_policy = nan_policy;
  so.predict = prediction_options(ck, classifier);
  return so;
}

std::vector<std::string> expand_inputs(const std::string& spec) {
  std::vector<std::string> files;
  if (!spec.empty() && spec[0] == '@') {
    std::ifstream list(spec.substr(1));
    if (!list) usage_error(spec.substr(1) + ": cannot open the input list");
    for (std::string line; std::getline(list, line);) {
      line = trim(line);
      if (!line.empty() && line[0] != '#') files.push_back(line);
    }
  } else {
    glob_t g;
    if (::glob(spec.c_str(), 0, nullptr, &g) == 0) {
      for (size_t i = 0; i < g.gl_pathc; ++i) files.push_back(g.gl_pathv[i]);
    }
    globfree(&g);
  }
  if (files.empty()) usage_error("--inputs '" + spec + "' matches no file");
  return files;
}

// What became of one input of a batch.
struct BatchRow {
  size_t index = 0;  // position in the input list
  std::string input, map, pixels, seconds, status;
  int rank = 0;
};

// Rows travel between ranks as text: fields split by US (0x1f), rows ended by RS (0x1e),
// characters no file name or message here holds.
std::string encode_rows(const std::vector<BatchRow>& rows) {
  std::string text;
  for (const BatchRow& r : rows) {
    for (const std::string& field : {std::to_string(r.index), r.input, r.map, r.pixels, r.seconds, r.status, std::to_string(r.rank)}) {
      text += field + '\x1f';
    }
    text += '\x1e';
  }
  return text;
}

std::vector<BatchRow> decode_rows(const std::string& text) {
  std::vector<BatchRow> rows;
  for (const std::string& line : split(text, '\x1e')) {
    const std::vector<std::string> f = split(line, '\x1f');
    if (f.size() < 7) continue;
    rows.push_back({std::stoul(f[0]), f[1], f[2], f[3], f[4], f[5], std::stoi(f[6])});
  }
  return rows;
}

// One map per input, resumable (finished maps are skipped), failures reported without stopping
// the others; a VRT mosaic and a summary at the end. Under mpirun the inputs are dealt round
// robin to the ranks, each writing its own maps; rank 0 writes the mosaic and the summary.
// Exit 0 only when every input succeeded (the same code on every rank).
int run_batch_predict(const std::string& model, const std::string& inputs, const std::string& out_dir, int ram,
                      const std::string& nan_policy, const std::string& classifier, int threads) {
  const ProcessGroup group;
  const std::vector<std::string> files = expand_inputs(inputs);
  std::error_code ec;
  fs::create_directories(out_dir, ec);
  check_writable_target((fs::path(out_dir) / "summary.csv").string());
  // Ranks on one machine share its cores.
  if (threads <= 0 && group.local_size() > 1) threads = std::max(1, static_cast<int>(std::thread::hardware_concurrency()) / group.local_size());
  configure_threads(threads);
  Checkpoint ck = load_checkpoint(model);
  const std::string who = group.size() > 1 ? "[rank " + std::to_string(group.rank()) + "] " : "";
  std::vector<BatchRow> rows;
  for (size_t i = static_cast<size_t>(group.rank()); i < files.size(); i += static_cast<size_t>(group.size())) {
    if (stop_requested()) break;
    const std::string& file = files[i];
    const std::string stem = fs::path(file).stem().string();
    BatchRow row{i, file, (fs::path(out_dir) / (stem + "_map.tif")).string(), "", "", "", group.rank()};
    const std::string conf = (fs::path(out_dir) / (stem + "_confidence.tif")).string();
    if (fs::exists(row.map)) {
      row.status = "done earlier";
      std::cout << who << "[skip] " << file << " (" << row.map << " exists)" << std::endl;
    } else {
      try {
        if (!streamable(file, ck)) usage_error(file + ": batch prediction takes GDAL rasters and a window model");
        const StreamResult r = predict_streamed(ck, file, row.map, conf, stream_options(ck, ram, nan_policy, classifier));
        row.pixels = std::to_string(r.rows * r.cols);
        row.seconds = format_fixed(r.seconds, 3);
        row.status = "ok";
        std::cout << who << file << ": " << r.rows << " x " << r.cols << " in " << row.seconds << " s" << std::endl;
      } catch (const Error& e) {
        row.map.clear();
        row.status = std::string("failed: ") + e.what();
        std::cerr << "hsi predict: error: " << who << e.what() << "\n";
      }
    }
    rows.push_back(row);
  }
  int failed = 0;
  for (const BatchRow& r : rows) failed += r.status.rfind("failed", 0) == 0;
  failed = group.sum(failed);
  const std::vector<std::string> parts = group.gather(encode_rows(rows));
  if (group.rank() == 0) {
    std::vector<BatchRow> all;
    for (const std::string& part : parts) {
      const std::vector<BatchRow> some = decode_rows(part);
      all.insert(all.end(), some.begin(), some.end());
    }
    std::sort(all.begin(), all.end(), [](const BatchRow& a, const BatchRow& b) { return a.index < b.index; });
    std::ostringstream summary;
    summary << "input,map,pixels,seconds,status,rank\n";
    std::vector<std::string> maps;
    for (const BatchRow& r : all) {
      summary << csv_field(r.input) << "," << csv_field(r.map) << "," << r.pixels << "," << r.seconds << "," << csv_field(r.status) << ","
              << r.rank << "\n";
      if (!r.map.empty()) maps.push_back(r.map);
    }
    if (!maps.empty()) write_vrt_mosaic((fs::path(out_dir) / "mosaic.vrt").string(), maps);
    write_text_file((fs::path(out_dir) / "summary.csv").string(), summary.str());
    const size_t classified = static_cast<size_t>(std::count_if(all.begin(), all.end(), [](const BatchRow& r) { return !r.map.empty(); }));
    std::cout << classified << " of " << files.size() << " inputs classified"
              << (group.size() > 1 ? " by " + std::to_string(group.size()) + " processes" : "") << "; " << out_dir
              << "/summary.csv, mosaic.vrt\n";
  }
  return failed == 0 && !stop_requested() ? 0 : 3;
}

}  // namespace

int run_predict(const std::vector<std::string>& args) {
  std::string model, input, out, confidence, png, axis_order, nan_policy, route, classifier, inputs, out_dir;
  int threads = 0, tile = 128, batch = 256, ram = 512;
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
      "threads", po::value(&threads)->default_value(0), "threads (0 = all cores)")(
      "ram", po::value(&ram)->default_value(512), "memory budget in MB for streamed prediction of GDAL rasters")(
      "inputs", po::value(&inputs), "batch: a glob ('tiles/*.tif') or @list.txt of inputs")(
      "out-dir", po::value(&out_dir), "batch: folder for one map per input, mosaic.vrt and summary.csv");
  po::variables_map vm;
  parse_or_usage_error(args, desc, {}, vm);
  if (vm.count("help")) {
    std::cout << desc << "\n";
    return 0;
  }
  // Options first, then files: nothing is read before every option is known to be sound.
  if (ram < 64) usage_error("--ram must be at least 64 (MB)");
  if (route != "auto" && route != "dense" && route != "patch") usage_error("--route must be auto, dense or patch");
  if (nan_policy != "error" && nan_policy != "nodata") usage_error("--nan-policy must be error or nodata");
  if (!classifier.empty() && classifier != "softmax" && classifier != "prototype") usage_error("--classifier must be softmax or prototype");
  if (tile < 8 || batch < 1 || threads < 0) usage_error("--tile must be >= 8, --batch-size >= 1, --threads >= 0");
  if (!inputs.empty() || !out_dir.empty()) {
    if (model.empty() || inputs.empty() || out_dir.empty()) usage_error("batch prediction needs --model, --inputs and --out-dir");
    return run_batch_predict(model, inputs, out_dir, ram, nan_policy, classifier, threads);
  }
  if (model.empty() || input.empty() || out.empty()) usage_error("--model, --input and --out are required");
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
  if (streamable(input_file, ck) && route != "patch") {
    // GDAL rasters are streamed window by window under the RAM budget; the scene is never loaded whole.
    StreamOptions so = stream_options(ck, ram, nan_policy, classifier);
    so.tile = vm["tile"].defaulted() ? 0 : tile;
    const StreamResult r = predict_streamed(ck, input_file, out, confidence, so);
    write_png_from_map(out, png);
    std::cout << "classified " << r.rows << " x " << r.cols << " pixels (streamed, " << r.tile << "x" << r.tile << " tiles, "
              << r.skipped_tiles << " of " << r.tiles << " tiles without data skipped) in " << r.seconds << " s, "
              << static_cast<int64_t>(static_cast<double>(r.rows * r.cols) / r.seconds) << " pixels/s (read "
              << format_fixed(r.read_seconds, 2) << " s, preprocess " << format_fixed(r.prepare_seconds, 2) << " s, model "
              << format_fixed(r.model_seconds, 2) << " s, write " << format_fixed(r.write_seconds, 2) << " s)\n"
              << "wrote " << out << ", " << confidence << ", " << png << "\n";
    return 0;
  }
  ReadOptions read_options;
  read_options.axis_order = axis_order;
  Cube cube = read_cube(input, read_options);
  if (cube.bands != ck.preprocessor.input_bands()) {
    data_error(cube.source, "has " + std::to_string(cube.bands) + " bands, the model " + model + " was trained on " +
                                std::to_string(ck.preprocessor.input_bands()));
  }
  const GeoInfo geo = cube.geo;
  warn_if_not_georeferenced(input_file, geo);
  const std::vector<uint8_t> nodata = mask_nodata(cube, nan_policy);
  ck.preprocessor.apply(cube);
  PredictOptions options = prediction_options(ck, classifier);
  options.route = route;
  options.tile = tile;
  options.batch_size = batch;
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
            << options.classifier << " classifier) in " << prediction.seconds << " s, " << static_cast<int64_t>(pixels / prediction.seconds)
            << " pixels/s\n"
            << "wrote " << out << ", " << confidence << ", " << png << "\n";
  return 0;
}

}  // namespace hsi::cli
