#pragma once
// Per-run reports: JSON (everything, machine-readable), Markdown (for people), CSV (the
// confusion matrix). The caller provides the context (scene, model, seed, counts, timings).
#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "eval/accuracy.hpp"

namespace hsi {

struct RunReport {
  std::vector<std::pair<std::string, std::string>> header;  // ordered: scene, config, split, seed, model, version...
  std::vector<std::pair<std::string, double>> timings;      // seconds per stage
  std::map<int32_t, std::string> class_names;
  std::map<int32_t, std::pair<int64_t, int64_t>> train_test_counts;
  AccuracyReport accuracy;
};

std::string report_json(const RunReport& report);
std::string report_markdown(const RunReport& report);
std::string confusion_csv(const AccuracyReport& accuracy, const std::map<int32_t, std::string>& names);

}  // namespace hsi
