// hsi sample: the reference sample an accuracy assessment and an area estimate start from, drawn
// from a classification map (stratified random, the map's classes as strata), as points to label.
#include <algorithm>
#include <iostream>
#include <map>

#include "cli/commands.hpp"
#include "cli/config.hpp"
#include "common/atomic_file.hpp"
#include "common/error.hpp"
#include "common/text.hpp"
#include "eval/sample.hpp"
#include "io/class_table.hpp"
#include "io/reader.hpp"
#include "io/vector_labels.hpp"

namespace po = boost::program_options;

namespace hsi::cli {

int run_sample(const std::vector<std::string>& args) {
  std::string map_path, out, classes_file;
  int64_t per_class = 50, min_per_class = 50;
  double target_se = 0, expected_accuracy = 0.85;
  uint64_t seed = 0;
  std::vector<int32_t> skip;
  po::options_description desc("hsi sample --map MAP.tif --out sample.gpkg [--per-class 50 | --target-se 0.01] [--seed 0]");
  desc.add_options()("help,h", "show this help")("map", po::value(&map_path), "classification map (a GDAL raster with geo-referencing)")(
      "out", po::value(&out), "the sample: .gpkg or .geojson points with row, col, map_class, map_name and an empty reference field")(
      "per-class", po::value(&per_class)->default_value(50), "pixels drawn at random from each map class (all of a smaller class)")(
      "target-se", po::value(&target_se),
      "instead of --per-class: size the sample for this standard error of the overall accuracy (e.g. 0.01) and spread it over the "
      "classes by area, each at least --min-per-class (Olofsson et al. 2014)")(
      "expected-accuracy", po::value(&expected_accuracy)->default_value(0.85, "0.85"),
      "with --target-se: the user's accuracy expected of the classes (a guess; a lower one plans a larger sample)")(
      "min-per-class", po::value(&min_per_class)->default_value(50), "with --target-se: the fewest pixels any class gets (all of a smaller class)")(
      "seed", po::value(&seed)->default_value(0), "the draw's seed: the same seed draws the same pixels")(
      "skip", po::value(&skip)->multitoken(), "map class ids not to sample (besides 0, no data), e.g. 255 (unknown)")(
      "classes", po::value(&classes_file), "INI file whose [classes] names the classes (default: the map's own category names)");
  po::variables_map vm;
  if (parse_or_help(args, desc, {}, vm)) return 0;
  if (map_path.empty() || out.empty()) usage_error("--map and --out are required");
  const bool planned = vm.count("target-se") > 0;
  if (planned && !vm["per-class"].defaulted()) usage_error("--per-class and --target-se are alternatives: give one");
  if (!planned && (!vm["expected-accuracy"].defaulted() || !vm["min-per-class"].defaulted()))
    usage_error("--expected-accuracy and --min-per-class size a sample for --target-se, which is missing");
  if (per_class < 1) usage_error("--per-class must be at least 1");
  if (planned && !(target_se > 0 && target_se < 0.5)) usage_error("--target-se must lie between 0 and 0.5 (a standard error of a proportion)");
  if (planned && !(expected_accuracy > 0 && expected_accuracy < 1)) usage_error("--expected-accuracy must lie strictly between 0 and 1");
  if (planned && min_per_class < 2) usage_error("--min-per-class must be at least 2 (a class's accuracy needs two pixels for its error)");
  check_sample_path(out);
  check_distinct_outputs({out}, {map_path});
  const ClassTable classes = classes_file.empty() ? read_class_table(map_path) : class_table_from_ini(classes_file);
  const LabelMap map = read_labels(map_path);
  std::vector<int32_t> ids = map.labels;
  if (map.geo.nodata)
    for (int32_t& v : ids)
      if (static_cast<double>(v) == *map.geo.nodata) v = 0;
  std::vector<int64_t> drawn;
  if (planned) {
    std::map<int32_t, int64_t> mapped;
    for (int32_t v : ids)
      if (v != 0 && std::find(skip.begin(), skip.end(), v) == skip.end()) ++mapped[v];
    if (mapped.empty()) data_error(map_path, "classifies no pixel: nothing to sample");
    const SamplePlan plan = plan_sample(mapped, expected_accuracy, target_se, min_per_class);
    std::cout << "planned " << plan.total << " pixels for a standard error of the overall accuracy of " << format_fixed(plan.expected_se, 4)
              << " if every class's user's accuracy is " << format_fixed(expected_accuracy, 2) << " (" << plan.proportional_total
              << " spread by area alone; at least " << min_per_class << " a class)\n";
    drawn = stratified_sample(ids, plan.per_class, seed);
  } else {
    drawn = stratified_sample(ids, per_class, seed, skip);
  }
  if (drawn.empty()) data_error(map_path, "classifies no pixel: nothing to sample");
  std::vector<SamplePoint> points;
  std::map<int32_t, int64_t> per_stratum;
  for (int64_t i : drawn) {
    points.push_back({i / map.cols, i % map.cols, ids[static_cast<size_t>(i)]});
    ++per_stratum[ids[static_cast<size_t>(i)]];
  }
  write_sample_points(out, points, map.geo, classes, map_path);
  std::cout << "drew " << points.size() << " pixels from " << per_stratum.size() << " map classes (";
  bool first = true;
  for (const auto& [id, n] : per_stratum) {
    std::cout << (first ? "" : ", ") << id << ": " << n;
    first = false;
  }
  std::cout << ") into " << out << "\nlabel each point's `reference` field, then: hsi evaluate --pred " << map_path << " --truth " << out
            << " --truth-field reference --areas\n";
  return 0;
}

}  // namespace hsi::cli
