#include "eval/aggregate.hpp"

#include <cmath>
#include <sstream>
#include <stdexcept>

#include "common/error.hpp"
#include "common/text.hpp"

namespace hsi {
namespace {

constexpr const char* kQuantityRow = "quantity disagreement";
constexpr const char* kAllocationRow = "allocation disagreement";
constexpr const char* kDiversityRow = "mean |cos| of B";

}  // namespace

std::string RunSummary::to_line() const {
  std::ostringstream o;
  o.precision(17);
  o << model << "\t" << split << "\t" << seed << "\t" << overall << "\t" << average << "\t" << kappa << "\t" << diversity << "\t" << seconds;
  for (const auto& [id, acc] : class_accuracy) o << "\t" << id << ":" << acc;
  // Named fields after the classes, so lines written before them still parse.
  if (std::isfinite(quantity_disagreement)) o << "\tquantity=" << quantity_disagreement;
  if (std::isfinite(allocation_disagreement)) o << "\tallocation=" << allocation_disagreement;
  return o.str();
}

RunSummary RunSummary::from_line(const std::string& line, const std::string& source) {
  try {
    return parse_line(line);
  } catch (const std::logic_error&) {
    data_error(source, "is not a run summary line (delete it to rerun that run)");
  }
}

RunSummary RunSummary::parse_line(const std::string& line) {
  const std::vector<std::string> f = hsi::split(line, '\t');
  if (f.size() < 8) throw std::invalid_argument("bad run summary line");
  RunSummary r;
  r.model = f[0];
  r.split = f[1];
  r.seed = std::stoi(f[2]);
  r.overall = std::stod(f[3]);
  r.average = std::stod(f[4]);
  r.kappa = std::stod(f[5]);
  r.diversity = std::stod(f[6]);
  r.seconds = std::stod(f[7]);
  for (size_t i = 8; i < f.size(); ++i) {
    const size_t equals = f[i].find('=');
    if (equals != std::string::npos) {
      const std::string key = f[i].substr(0, equals);
      const double value = std::stod(f[i].substr(equals + 1));
      if (key == "quantity") r.quantity_disagreement = value;
      else if (key == "allocation") r.allocation_disagreement = value;
      else throw std::invalid_argument("unknown run summary field " + key);
      continue;
    }
    const size_t colon = f[i].find(':');
    if (colon == std::string::npos) throw std::invalid_argument("bad class accuracy field");
    r.class_accuracy[std::stoi(f[i].substr(0, colon))] = std::stod(f[i].substr(colon + 1));
  }
  return r;
}

std::string mean_std_text(const MeanStd& m, const std::string& plus_minus, const std::string& none) {
  if (m.n == 0) return none;
  if (m.n == 1) return format_fixed(m.mean, 4);
  return format_fixed(m.mean, 4) + plus_minus + format_fixed(m.std, 4);
}

MeanStd mean_std(const std::vector<double>& v) {
  MeanStd m;
  m.n = static_cast<int>(v.size());
  if (v.empty()) return m;
  for (double x : v) m.mean += x;
  m.mean /= static_cast<double>(v.size());
  if (v.size() > 1) {
    double ss = 0;
    for (double x : v) ss += (x - m.mean) * (x - m.mean);
    m.std = std::sqrt(ss / static_cast<double>(v.size() - 1));
  }
  return m;
}

AggregateTable aggregate(const std::vector<RunSummary>& runs, const std::string& split_name, const std::vector<std::string>& models,
                         const std::map<int32_t, std::string>& class_names) {
  AggregateTable t;
  t.title = split_name;
  t.models = models;
  std::map<int32_t, bool> ids;
  bool any_diversity = false, any_disagreement = false;
  for (const auto& r : runs) {
    if (r.split != split_name) continue;
    for (const auto& [id, acc] : r.class_accuracy) ids[id] = true;
    any_diversity = any_diversity || r.diversity >= 0;
    any_disagreement = any_disagreement || std::isfinite(r.quantity_disagreement);
  }
  for (const auto& [id, unused] : ids) {
    auto it = class_names.find(id);
    t.rows.push_back(std::to_string(id) + " " + (it != class_names.end() ? it->second : ""));
  }
  t.rows.insert(t.rows.end(), {"OA", "AA", "kappa"});
  if (any_disagreement) t.rows.insert(t.rows.end(), {kQuantityRow, kAllocationRow});
  if (any_diversity) t.rows.push_back(kDiversityRow);
  t.cells.assign(t.rows.size(), std::vector<MeanStd>(models.size()));
  t.per_seed_oa.assign(models.size(), {});
  for (size_t m = 0; m < models.size(); ++m) {
    std::vector<std::vector<double>> values(t.rows.size());
    for (const auto& r : runs) {
      if (r.split != split_name || r.model != models[m]) continue;
      size_t row = 0;
      for (const auto& [id, unused] : ids) {
        auto it = r.class_accuracy.find(id);
        if (it != r.class_accuracy.end()) values[row].push_back(it->second);
        ++row;
      }
      values[row++].push_back(r.overall);
      values[row++].push_back(r.average);
      values[row++].push_back(r.kappa);
      if (any_disagreement) {
        if (std::isfinite(r.quantity_disagreement)) values[row].push_back(r.quantity_disagreement);
        if (std::isfinite(r.allocation_disagreement)) values[row + 1].push_back(r.allocation_disagreement);
        row += 2;
      }
      if (any_diversity && r.diversity >= 0) values[row].push_back(r.diversity);
      t.per_seed_oa[m].push_back(r.overall);
    }
    for (size_t row = 0; row < t.rows.size(); ++row) t.cells[row][m] = mean_std(values[row]);
  }
  return t;
}

namespace {

// Column of the best mean in a row (lowest for the disagreement and diversity rows, highest
// elsewhere), -1 if none.
int best_column(const AggregateTable& t, size_t row) {
  const bool lower_is_better = t.rows[row] == kDiversityRow || t.rows[row] == kQuantityRow || t.rows[row] == kAllocationRow;
  int best = -1;
  for (size_t m = 0; m < t.models.size(); ++m) {
    const MeanStd& c = t.cells[row][m];
    if (c.n == 0) continue;
    if (best < 0 || (lower_is_better ? c.mean < t.cells[row][best].mean : c.mean > t.cells[row][best].mean)) best = static_cast<int>(m);
  }
  return best;
}

std::string latex_escape(const std::string& s) {
  std::string out;
  for (char ch : s) {
    if (ch == '|') {  // text-mode '|' prints as a dash in LaTeX's default font encoding
      out += "\\textbar{}";
      continue;
    }
    if (ch == '_' || ch == '&' || ch == '%' || ch == '#' || ch == '$') out += '\\';
    out += ch;
  }
  return out;
}

// A table cell's text: an unescaped '|' would end the cell ("mean |cos| of B").
std::string markdown_cell(const std::string& s) {
  std::string out;
  for (char ch : s) {
    if (ch == '|') out += '\\';
    out += ch;
  }
  return out;
}

}  // namespace

std::string table_markdown(const AggregateTable& t) {
  std::ostringstream o;
  o << "| " << markdown_cell(t.title) << " |";
  for (const auto& m : t.models) o << " " << markdown_cell(m) << " |";
  o << "\n|---|";
  for (size_t m = 0; m < t.models.size(); ++m) o << "---:|";
  o << "\n";
  for (size_t row = 0; row < t.rows.size(); ++row) {
    const int best = best_column(t, row);
    o << "| " << markdown_cell(t.rows[row]) << " |";
    for (size_t m = 0; m < t.models.size(); ++m) {
      const std::string text = mean_std_text(t.cells[row][m]);
      o << " " << (static_cast<int>(m) == best ? "**" + text + "**" : text) << " |";
    }
    o << "\n";
  }
  o << "| runs |";
  for (size_t m = 0; m < t.models.size(); ++m) o << " " << t.per_seed_oa[m].size() << " |";
  o << "\n";
  return o.str();
}

std::string table_latex(const AggregateTable& t) {
  std::ostringstream o;
  o << "\\begin{table}\n\\centering\n\\caption{" << latex_escape(t.title) << "}\n\\begin{tabular}{l";
  for (size_t m = 0; m < t.models.size(); ++m) o << "r";
  o << "}\n\\toprule\nClass";
  for (const auto& m : t.models) o << " & " << latex_escape(m);
  o << " \\\\\n\\midrule\n";
  for (size_t row = 0; row < t.rows.size(); ++row) {
    if (t.rows[row] == "OA") o << "\\midrule\n";
    const int best = best_column(t, row);
    o << latex_escape(t.rows[row]);
    for (size_t m = 0; m < t.models.size(); ++m) {
      const MeanStd& c = t.cells[row][m];
      std::string text = mean_std_text(c, " $\\pm$ ", "--");
      if (static_cast<int>(m) == best) text = "\\textbf{" + text + "}";
      o << " & " << text;
    }
    o << " \\\\\n";
  }
  o << "\\bottomrule\n\\end{tabular}\n\\end{table}\n";
  return o.str();
}

std::string table_csv(const AggregateTable& t) {
  std::ostringstream o;
  o << "row";
  for (const auto& m : t.models) o << "," << csv_field(m + "_mean") << "," << csv_field(m + "_std");
  o << "\n";
  for (size_t row = 0; row < t.rows.size(); ++row) {
    o << csv_field(t.rows[row]);
    for (size_t m = 0; m < t.models.size(); ++m) {
      const MeanStd& c = t.cells[row][m];
      o << "," << (c.n ? format_fixed(c.mean, 6) : "") << "," << (c.n ? format_fixed(c.std, 6) : "");
    }
    o << "\n";
  }
  return o.str();
}

}  // namespace hsi
