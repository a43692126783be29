#pragma once
// Aggregation of repeated runs into paper tables: per-class accuracy, OA, AA, kappa as
// mean +- std (sample std over seeds), one column per model, best mean per row in bold.
#include <cstdint>
#include <limits>
#include <map>
#include <string>
#include <vector>

namespace hsi {

struct RunSummary {
  std::string model, split;
  int seed = 0;
  double overall = 0, average = 0, kappa = 0, diversity = -1, seconds = 0;
  std::map<int32_t, double> class_accuracy;  // producer's accuracy per class id
  // NaN in the lines of runs from before they were recorded: their cells are left out.
  double quantity_disagreement = std::numeric_limits<double>::quiet_NaN(), allocation_disagreement = std::numeric_limits<double>::quiet_NaN();

  std::string to_line() const;  // one tab-separated line, for resumable experiment folders
  // A data error naming `source` when the line is not one to_line() wrote.
  static RunSummary from_line(const std::string& line, const std::string& source);

 private:
  static RunSummary parse_line(const std::string& line);
};

struct MeanStd {
  double mean = 0, std = 0;
  int n = 0;
};
MeanStd mean_std(const std::vector<double>& values);
// A table cell: "mean ± std" (`plus_minus` between them, " $\\pm$ " in LaTeX); the mean alone
// for one value, whose spread is unknown rather than zero; `none` for no value.
std::string mean_std_text(const MeanStd& m, const std::string& plus_minus = " ± ", const std::string& none = "-");

struct AggregateTable {
  std::string title;
  std::vector<std::string> models;                 // columns
  std::vector<std::string> rows;                   // row labels
  std::vector<std::vector<MeanStd>> cells;         // [row][model]
  std::vector<std::vector<double>> per_seed_oa;    // [model] OA of each run
};

// One table per split: rows are the classes (names from `class_names`), then OA, AA, kappa,
// quantity and allocation disagreement (when any run has them), and the diversity of B (mean
// |cos|, lower = more diverse) when any run has it.
AggregateTable aggregate(const std::vector<RunSummary>& runs, const std::string& split, const std::vector<std::string>& models,
                         const std::map<int32_t, std::string>& class_names);

std::string table_markdown(const AggregateTable& t);
std::string table_latex(const AggregateTable& t);
std::string table_csv(const AggregateTable& t);

}  // namespace hsi
