#include "eval/curve.hpp"

#include <algorithm>
#include <cmath>
#include <map>
#include <sstream>

#include "common/text.hpp"

namespace hsi {
namespace {

std::string escaped(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (c == '&') out += "&amp;";
    else if (c == '<') out += "&lt;";
    else if (c == '>') out += "&gt;";
    else out += c;
  }
  return out;
}

// Line colours that stay apart in print and for colour-blind readers (Okabe-Ito).
const char* series_colour(size_t i) {
  static const char* colours[] = {"#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000", "#F0E442"};
  return colours[i % 8];
}

}  // namespace

CurveSpec few_shot_curve(const std::vector<RunSummary>& summaries, const std::vector<std::string>& models, const std::string& title) {
  CurveSpec spec;
  spec.title = title;
  std::map<std::string, std::map<int, std::vector<double>>> oa;  // model -> N -> OA per seed
  for (const RunSummary& r : summaries) {
    if (r.split.rfind("fixed:", 0) != 0) continue;
    try {
      oa[r.model][std::stoi(r.split.substr(6))].push_back(r.overall);
    } catch (const std::logic_error&) {
    }
  }
  size_t protocols = 0;
  for (const auto& [model, by_n] : oa) protocols = std::max(protocols, by_n.size());
  if (protocols < 2) return spec;
  for (const std::string& model : models) {
    if (!oa.count(model)) continue;
    CurveSeries series{model, {}};
    for (const auto& [n, values] : oa.at(model)) series.points.push_back({static_cast<double>(n), mean_std(values)});
    spec.series.push_back(series);
  }
  return spec;
}

std::string curve_csv(const CurveSpec& spec) {
  std::ostringstream out;
  out << "model,pixels_per_class,runs,oa_mean,oa_std\n";
  for (const auto& s : spec.series)
    for (const auto& p : s.points)
      out << s.name << "," << p.x << "," << p.y.n << "," << format_fixed(p.y.mean, 4) << "," << format_fixed(p.y.std, 4) << "\n";
  return out.str();
}

std::string curve_svg(const CurveSpec& spec) {
  // Plot area in screen units; x on a log scale (1, 2, 3, 5, 10 spread evenly enough).
  const double left = 64, top = 40, width = 420, height = 280, legend_x = left + width + 16;
  double x_min = 1e300, x_max = -1e300, y_min = 1.0, y_max = 0.0;
  for (const auto& s : spec.series)
    for (const auto& p : s.points) {
      x_min = std::min(x_min, p.x);
      x_max = std::max(x_max, p.x);
      y_min = std::min(y_min, p.y.mean - p.y.std);
      y_max = std::max(y_max, p.y.mean + p.y.std);
    }
  if (spec.series.empty()) x_min = 1, x_max = 10, y_min = 0, y_max = 1;
  if (x_max <= x_min) x_max = x_min + 1;
  // y range rounded out to tenths of a point grid that keeps the lines apart.
  y_min = std::max(0.0, std::floor(y_min * 50) / 50);
  y_max = std::min(1.0, std::ceil(y_max * 50) / 50);
  if (y_max <= y_min) y_max = std::min(1.0, y_min + 0.02), y_min = y_max - 0.02;
  const auto sx = [&](double x) { return left + (std::log(x) - std::log(x_min)) / (std::log(x_max) - std::log(x_min)) * width; };
  const auto sy = [&](double y) { return top + (y_max - y) / (y_max - y_min) * height; };
  std::ostringstream o;
  o << "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" << legend_x + 180 << "\" height=\"" << top + height + 56
    << "\" font-family=\"Helvetica, Arial, sans-serif\" font-size=\"12\">\n"
    << "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n"
    << "<text x=\"" << left << "\" y=\"22\" font-size=\"14\">" << escaped(spec.title) << "</text>\n";
  // Grid and axes.
  const double y_step = (y_max - y_min) > 0.2 ? 0.05 : (y_max - y_min) > 0.08 ? 0.02 : 0.01;
  for (double y = std::ceil(y_min / y_step - 1e-9) * y_step; y <= y_max + 1e-9; y += y_step) {
    o << "<line x1=\"" << left << "\" x2=\"" << left + width << "\" y1=\"" << sy(y) << "\" y2=\"" << sy(y) << "\" stroke=\"#ddd\"/>\n"
      << "<text x=\"" << left - 6 << "\" y=\"" << sy(y) + 4 << "\" text-anchor=\"end\">" << format_fixed(y, 2) << "</text>\n";
  }
  std::vector<double> xs;
  for (const auto& s : spec.series)
    for (const auto& p : s.points) xs.push_back(p.x);
  std::sort(xs.begin(), xs.end());
  xs.erase(std::unique(xs.begin(), xs.end()), xs.end());
  for (double x : xs) {
    o << "<line x1=\"" << sx(x) << "\" x2=\"" << sx(x) << "\" y1=\"" << top << "\" y2=\"" << top + height << "\" stroke=\"#eee\"/>\n"
      << "<text x=\"" << sx(x) << "\" y=\"" << top + height + 16 << "\" text-anchor=\"middle\">" << x << "</text>\n";
  }
  o << "<rect x=\"" << left << "\" y=\"" << top << "\" width=\"" << width << "\" height=\"" << height << "\" fill=\"none\" stroke=\"#333\"/>\n"
    << "<text x=\"" << left + width / 2 << "\" y=\"" << top + height + 36 << "\" text-anchor=\"middle\">" << escaped(spec.x_label) << "</text>\n"
    << "<text transform=\"translate(16," << top + height / 2 << ") rotate(-90)\" text-anchor=\"middle\">" << escaped(spec.y_label) << "</text>\n";
  for (size_t i = 0; i < spec.series.size(); ++i) {
    const auto& s = spec.series[i];
    const char* colour = series_colour(i);
    // The ± std band: upper edge forward, lower edge back.
    o << "<polygon fill=\"" << colour << "\" fill-opacity=\"0.15\" stroke=\"none\" points=\"";
    for (const auto& p : s.points) o << sx(p.x) << "," << sy(std::min(1.0, p.y.mean + p.y.std)) << " ";
    for (auto p = s.points.rbegin(); p != s.points.rend(); ++p) o << sx(p->x) << "," << sy(std::max(y_min, p->y.mean - p->y.std)) << " ";
    o << "\"/>\n<polyline fill=\"none\" stroke=\"" << colour << "\" stroke-width=\"2\" points=\"";
    for (const auto& p : s.points) o << sx(p.x) << "," << sy(p.y.mean) << " ";
    o << "\"/>\n";
    for (const auto& p : s.points)
      o << "<circle cx=\"" << sx(p.x) << "\" cy=\"" << sy(p.y.mean) << "\" r=\"3\" fill=\"" << colour << "\"><title>" << escaped(s.name) << ", "
        << p.x << " per class: " << format_fixed(p.y.mean, 4) << " ± " << format_fixed(p.y.std, 4) << "</title></circle>\n";
    const double ly = top + 8 + 20.0 * static_cast<double>(i);
    o << "<line x1=\"" << legend_x << "\" x2=\"" << legend_x + 24 << "\" y1=\"" << ly << "\" y2=\"" << ly << "\" stroke=\"" << colour
      << "\" stroke-width=\"2\"/>\n<text x=\"" << legend_x + 30 << "\" y=\"" << ly + 4 << "\">" << escaped(s.name) << "</text>\n";
  }
  o << "</svg>\n";
  return o.str();
}

}  // namespace hsi
