// Enrolling a class the model never saw, measured: for every run of an `hsi experiment
// --open-set` folder (each trained without one class), the left-out class is enrolled from a few
// of its pixels (drawn with a fixed seed), and the enrolled model classifies the scene. Prints OA
// over all classes on the pixels no step saw (known test pixels and the left-out class's other
// pixels) and the seconds enrolment took. Usage: bench_enrol CONFIG.ini EXPERIMENT_DIR [PIXELS]
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <random>
#include <regex>

#include "cli/config.hpp"
#include "common/memory.hpp"
#include "common/text.hpp"
#include "eval/aggregate.hpp"
#include "io/reader.hpp"
#include "pipeline/checkpoint.hpp"
#include "pipeline/enrol.hpp"
#include "pipeline/predict.hpp"
#include "pipeline/scene.hpp"

namespace fs = std::filesystem;
using namespace hsi;

int main(int argc, char** argv) {
  keep_freed_memory_for_reuse();  // as the hsi binary does (common/memory.hpp)
  if (argc < 3) {
    std::cerr << "usage: bench_enrol CONFIG.ini EXPERIMENT_DIR [PIXELS, default 5]\n";
    return 2;
  }
  const int pixels = argc > 3 ? std::stoi(argv[3]) : 5;
  torch::set_num_threads(2);
  std::ifstream config(argv[1]);
  const RunSettings settings = cli::settings_from_ini(config, argv[1]);
  const Scene scene = load_scene(settings);
  const std::regex name("open_(.+)_without([0-9]+)_seed([0-9]+)");
  std::map<std::string, std::vector<double>> oa_of, seconds_of, before_of;
  std::map<std::string, std::map<int, std::vector<double>>> by_class;
  for (const auto& entry : fs::directory_iterator(fs::path(argv[2]) / "runs")) {
    std::smatch m;
    const std::string folder = entry.path().filename().string();
    if (!std::regex_match(folder, m, name) || !fs::exists(entry.path() / "open_set.tsv")) continue;  // finished runs only
    const std::string model = m[1];
    const int32_t left_out = std::stoi(m[2]);
    const int seed = std::stoi(m[3]);
    Checkpoint ck = load_checkpoint((entry.path() / "best.ckpt").string());
    const LabelMap test = read_labels((entry.path() / "split" / "test.tif").string());
    // The enrolment pixels: a seeded draw among the left-out class's pixels.
    std::vector<size_t> candidates;
    for (size_t i = 0; i < scene.labels.labels.size(); ++i)
      if (scene.labels.labels[i] == left_out) candidates.push_back(i);
    std::mt19937_64 rng(static_cast<uint64_t>(seed) * 7919 + static_cast<uint64_t>(left_out));
    std::shuffle(candidates.begin(), candidates.end(), rng);
    LabelMap few = scene.labels;
    std::fill(few.labels.begin(), few.labels.end(), 0);
    for (int k = 0; k < pixels && k < static_cast<int>(candidates.size()); ++k) few.labels[candidates[static_cast<size_t>(k)]] = left_out;
    PredictOptions po;
    po.progress = false;
    po.unknown = "none";
    // Before: the model without the class (its pixels are necessarily wrong).
    const std::vector<int32_t> before = predict_cube(ck, scene.cube, &scene.nodata, po).ids;
    const EnrolOutcome outcome = enrol_classes(ck, scene.cube, few, ClassTable());
    for (const std::string classifier : {"prototype", "mahalanobis", "neighbour"}) {
      po.classifier = classifier;
      const std::vector<int32_t> after = predict_cube(ck, scene.cube, &scene.nodata, po).ids;
      int64_t n = 0, right = 0, right_before = 0;
      for (size_t i = 0; i < after.size(); ++i) {
        const bool scored = test.labels[i] != 0 || (scene.labels.labels[i] == left_out && few.labels[i] == 0);
        if (!scored) continue;
        ++n;
        right += after[i] == scene.labels.labels[i];
        right_before += before[i] == scene.labels.labels[i];
      }
      const double oa = static_cast<double>(right) / static_cast<double>(n);
      const std::string key = model + ", " + classifier + " classifier";
      oa_of[key].push_back(oa);
      before_of[key].push_back(static_cast<double>(right_before) / static_cast<double>(n));
      seconds_of[key].push_back(outcome.seconds);
      by_class[key][left_out].push_back(oa);
    }
  }
  std::cout << "enrolling the left-out class from " << pixels << " pixels\n\n"
            << "| model | OA before (class missing) | OA after enrolment | weakest left-out class | enrol seconds (max) |\n|---|---|---|---|---|\n";
  for (const auto& [model, values] : oa_of) {
    double weakest = 1;
    int weakest_id = 0;
    for (const auto& [id, v] : by_class[model])
      if (mean_std(v).mean < weakest) weakest = mean_std(v).mean, weakest_id = id;
    const MeanStd oa = mean_std(values), before = mean_std(before_of[model]);
    std::cout << "| " << model << " | " << format_fixed(before.mean, 4) << " | " << format_fixed(oa.mean, 4) << " ± " << format_fixed(oa.std, 4) << " ("
              << values.size() << " runs) | " << format_fixed(weakest, 4) << " (class " << weakest_id << ") | "
              << format_fixed(*std::max_element(seconds_of[model].begin(), seconds_of[model].end()), 3) << " |\n";
  }
  return 0;
}
