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

// A section the caller adds (e.g. the model selection): its Markdown, and its JSON value under
// `json_key`.
struct ReportSection {
  std::string title, markdown, json_key, json;
};

struct RunReport {
  std::vector<std::pair<std::string, std::string>> header;  // ordered: scene, config, split, seed, model, version...
  std::vector<std::pair<std::string, double>> timings;      // seconds per stage
  std::map<int32_t, std::string> class_names;
  std::map<int32_t, std::pair<int64_t, int64_t>> train_test_counts;
  AccuracyReport accuracy;
  std::vector<ReportSection> sections;  // after the accuracy tables
};

// A class's name, or class_ID for a class the names lack.
std::string class_name_or_id(const std::map<int32_t, std::string>& names, int32_t id);

std::string report_json(const RunReport& report);
std::string report_markdown(const RunReport& report);
std::string confusion_csv(const AccuracyReport& accuracy, const std::map<int32_t, std::string>& names);

}  // namespace hsi
