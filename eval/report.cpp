#include "eval/report.hpp"

#include <cmath>
#include <sstream>

#include "common/text.hpp"

namespace hsi {

std::string class_name_or_id(const std::map<int32_t, std::string>& names, int32_t id) {
  auto it = names.find(id);
  return it != names.end() ? it->second : "class_" + std::to_string(id);
}

std::string report_json(const RunReport& r) {
  std::ostringstream o;
  o << "{\n";
  for (const auto& [k, v] : r.header) o << "  \"" << json_escape(k) << "\": \"" << json_escape(v) << "\",\n";
  o << "  \"timings_s\": {";
  for (size_t i = 0; i < r.timings.size(); ++i) o << (i ? ", " : "") << "\"" << json_escape(r.timings[i].first) << "\": " << format_fixed(r.timings[i].second, 3);
  o << "},\n";
  const auto& a = r.accuracy;
  o << "  \"test_pixels\": " << a.total << ",\n  \"overall_accuracy\": " << json_number_or_null(a.overall, 6)
    << ",\n  \"average_accuracy\": " << json_number_or_null(a.average, 6) << ",\n  \"kappa\": " << json_number_or_null(a.kappa, 6)
    << ",\n  \"quantity_disagreement\": " << json_number_or_null(a.quantity_disagreement, 6)
    << ",\n  \"allocation_disagreement\": " << json_number_or_null(a.allocation_disagreement, 6) << ",\n";
  o << "  \"classes\": [\n";
  for (size_t i = 0; i < a.per_class.size(); ++i) {
    const auto& c = a.per_class[i];
    auto counts = r.train_test_counts.count(c.id) ? r.train_test_counts.at(c.id) : std::pair<int64_t, int64_t>{0, 0};
    o << "    {\"id\": " << c.id << ", \"name\": \"" << json_escape(class_name_or_id(r.class_names, c.id)) << "\", \"train\": " << counts.first
      << ", \"test\": " << c.reference << ", \"predicted\": " << c.predicted << ", \"producer_accuracy\": " << format_fixed(c.producer, 6)
      << ", \"user_accuracy\": " << format_fixed(c.user, 6) << ", \"f1\": " << format_fixed(c.f1, 6) << "}"
      << (i + 1 < a.per_class.size() ? "," : "") << "\n";
  }
  o << "  ],\n  \"confusion_matrix\": {\"rows\": \"reference\", \"columns\": \"predicted\", \"ids\": [";
  for (size_t i = 0; i < a.classes.size(); ++i) o << (i ? ", " : "") << a.classes[i];
  o << "], \"counts\": [";
  for (size_t i = 0; i < a.confusion.size(); ++i) {
    o << (i ? ", " : "") << "[";
    for (size_t j = 0; j < a.confusion[i].size(); ++j) o << (j ? ", " : "") << a.confusion[i][j];
    o << "]";
  }
  o << "]}";
  for (const ReportSection& section : r.sections) o << ",\n  \"" << json_escape(section.json_key) << "\": " << section.json;
  o << "\n}\n";
  return o.str();
}

std::string report_markdown(const RunReport& r) {
  std::ostringstream o;
  const auto& a = r.accuracy;
  o << "# hsi classification report\n\n";
  for (const auto& [k, v] : r.header) o << "- **" << k << "**: " << v << "\n";
  if (!r.timings.empty()) {
    o << "- **timings**:";
    for (const auto& [k, v] : r.timings) o << " " << k << " " << format_fixed(v, 2) << " s;";
    o << "\n";
  }
  o << "\n| metric | value |\n|---|---|\n"
    << "| overall accuracy (OA) | " << shown_or_undefined(a.overall, 4) << " |\n"
    << "| average accuracy (AA) | " << shown_or_undefined(a.average, 4) << " |\n"
    << "| Cohen's kappa | " << shown_or_undefined(a.kappa, 4) << " |\n"
    << "| quantity disagreement | " << shown_or_undefined(a.quantity_disagreement, 4) << " |\n"
    << "| allocation disagreement | " << shown_or_undefined(a.allocation_disagreement, 4) << " |\n"
    << "| test pixels | " << a.total << " |\n\n";
  o << "| id | class | train | test | producer's acc. | user's acc. | F1 |\n|---:|---|---:|---:|---:|---:|---:|\n";
  for (const auto& c : a.per_class) {
    auto counts = r.train_test_counts.count(c.id) ? r.train_test_counts.at(c.id) : std::pair<int64_t, int64_t>{0, 0};
    o << "| " << c.id << " | " << class_name_or_id(r.class_names, c.id) << " | " << counts.first << " | " << c.reference << " | "
      << format_fixed(c.producer, 4) << " | " << format_fixed(c.user, 4) << " | " << format_fixed(c.f1, 4) << " |\n";
  }
  o << "\nConfusion matrix (rows = reference, columns = predicted):\n\n| |";
  for (int32_t id : a.classes) o << " " << id << " |";
  o << "\n|---|";
  for (size_t i = 0; i < a.classes.size(); ++i) o << "---:|";
  o << "\n";
  for (size_t i = 0; i < a.confusion.size(); ++i) {
    o << "| **" << a.classes[i] << "** |";
    for (int64_t v : a.confusion[i]) o << " " << v << " |";
    o << "\n";
  }
  for (const ReportSection& section : r.sections) o << "\n## " << section.title << "\n\n" << section.markdown;
  return o.str();
}

std::string confusion_csv(const AccuracyReport& a, const std::map<int32_t, std::string>& names) {
  std::ostringstream o;
  o << "reference\\predicted";
  for (int32_t id : a.classes) o << "," << id;
  o << "\n";
  for (size_t i = 0; i < a.confusion.size(); ++i) {
    o << a.classes[i];
    for (int64_t v : a.confusion[i]) o << "," << v;
    o << "\n";
  }
  o << "\nid,name\n";
  for (int32_t id : a.classes) o << id << "," << csv_field(class_name_or_id(names, id)) << "\n";
  return o.str();
}

}  // namespace hsi
