// hsi evaluate: accuracy of any classification raster against a reference map.
#include <filesystem>
#include <fstream>
#include <iostream>
#include <tuple>
#include <utility>

#include "cli/commands.hpp"
#include "cli/config.hpp"
#include "common/atomic_file.hpp"
#include "common/error.hpp"
#include "eval/area.hpp"
#include "eval/compare.hpp"
#include "eval/report.hpp"
#include "io/class_table.hpp"
#include "io/reader.hpp"
#include "pipeline/scene.hpp"

namespace po = boost::program_options;
namespace fs = std::filesystem;

namespace hsi::cli {

int run_evaluate(const std::vector<std::string>& args) {
  std::string pred, truth, out, truth_field, compare;
  int ignore = 0;
  bool areas = false;
  std::string classes_file;
  po::options_description desc("hsi evaluate --pred MAP --truth REFERENCE [--compare MAP2] [--classes SCENE.ini] [--out PREFIX]");
  desc.add_options()("help,h", "show this help")("pred", po::value(&pred), "classification map (any GDAL raster, .mat, .h5)")(
      "truth", po::value(&truth), "reference label map (e.g. a split's test.tif or a *_gt.mat), or vector features (GeoPackage, Shapefile, "
      "GeoJSON...) burnt onto the map's grid")(
      "truth-field", po::value(&truth_field), "with vector features: the attribute holding the class id or name (default: the one "
      "integer attribute)")(
      "classes", po::value(&classes_file), "INI file whose [classes] names the classes")(
      "ignore", po::value(&ignore)->default_value(0), "reference value that means unlabelled (0 and the raster's nodata value always do)")(
      "areas", po::bool_switch(&areas),
      "also each class's area: mapped, and estimated from the reference with 95 % intervals (stratified by map class, Olofsson et al. "
      "2014; in hectares for a projected map)")(
      "compare", po::value(&compare),
      "a second map of the same grid: is --pred more accurate than it on the same reference pixels, or is the difference chance? "
      "(McNemar's test with the exact p-value, Foody 2004)")(
      "out", po::value(&out), "write PREFIX.json, PREFIX.md and PREFIX_confusion.csv");
  po::variables_map vm;
  if (parse_or_help(args, desc, {}, vm)) return 0;
  if (pred.empty() || truth.empty()) usage_error("--pred and --truth are required");
  if (!out.empty()) check_writable_target(out + ".json");
  std::map<int32_t, std::string> names;
  ClassTable configured;
  if (!classes_file.empty()) {
    configured = class_table_from_ini(classes_file);
    for (const auto& c : configured.classes()) names[c.id] = c.name;
  }
  const LabelMap p = read_labels(pred);
  // Features are burnt onto the prediction's grid; the class names they may hold are those of
  // --classes, else the map's own category names.
  LabelMap t = read_labels_on_grid(truth, p.geo, p.rows, p.cols, classes_file.empty() ? read_class_table(pred) : configured, {truth_field, false, "--truth-field"});
  if (p.rows != t.rows || p.cols != t.cols) {
    data_error(pred, "is " + std::to_string(p.rows) + " x " + std::to_string(p.cols) + ", the reference " + truth + " is " +
                         std::to_string(t.rows) + " x " + std::to_string(t.cols));
  }
  RunReport report;
  report.header = {{"prediction", p.source}, {"reference", t.source}};
  report.class_names = names;
  // 0 (hsi's unlabelled, also in its own maps) and the reference raster's nodata value mark
  // pixels without a reference, like --ignore: none is scored as a class.
  for (int32_t& v : t.labels)
    if (v == 0 || (t.geo.nodata && static_cast<double>(v) == *t.geo.nodata)) v = ignore;
  report.accuracy = evaluate_accuracy(t.labels, p.labels, ignore);
  if (report.accuracy.total == 0) data_error(truth, "the reference has no labelled pixel");
  if (areas) {
    // The population is every pixel the map classifies (0 and its nodata value are none).
    std::map<int32_t, int64_t> mapped;
    for (int32_t v : p.labels)
      if (v != 0 && !(p.geo.nodata && static_cast<double>(v) == *p.geo.nodata)) ++mapped[v];
    if (mapped.empty()) data_error(pred, "classifies no pixel: no area to estimate");
    report.sections.push_back(area_section(estimate_areas(mapped, report.accuracy), names, pixel_area_square_metres(p.geo)));
  }
  if (!compare.empty()) {
    const LabelMap second = read_labels(compare);
    if (second.rows != p.rows || second.cols != p.cols) {
      data_error(compare, "is " + std::to_string(second.rows) + " x " + std::to_string(second.cols) + ", the map it is compared with (" + pred +
                              ") is " + std::to_string(p.rows) + " x " + std::to_string(p.cols));
    }
    report.header.emplace_back("compared with", second.source);
    // Named by file name, or with its folder where the two share one (run_a/map.tif, run_b/map.tif).
    std::string first_name = fs::path(pred).filename().string(), second_name = fs::path(compare).filename().string();
    if (first_name == second_name) {
      first_name = (fs::path(pred).parent_path().filename() / first_name).string();
      second_name = (fs::path(compare).parent_path().filename() / second_name).string();
    }
    if (first_name == second_name) std::tie(first_name, second_name) = std::make_pair(pred, compare);
    report.sections.push_back(comparison_section(compare_maps(t.labels, p.labels, second.labels, ignore), first_name, second_name));
  }
  std::cout << report_markdown(report);
  if (!out.empty()) {
    write_text_file(out + ".json", report_json(report));
    write_text_file(out + ".md", report_markdown(report));
    write_text_file(out + "_confusion.csv", confusion_csv(report.accuracy, names));
  }
  return 0;
}

}  // namespace hsi::cli
