#include "eval/figure.hpp"

#include <algorithm>
#include <sstream>

#include "common/text.hpp"

namespace hsi {
namespace {

std::string xml_escape(const std::string& s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      default: out += c;
    }
  }
  return out;
}

// Neutral grey for correct pixels so no class colour is mistaken for "correct".
const std::array<uint8_t, 3> kCorrect{190, 190, 190}, kWrong{214, 39, 40};

}  // namespace

std::vector<int32_t> error_codes(const std::vector<int32_t>& reference, const std::vector<int32_t>& predicted) {
  std::vector<int32_t> out(reference.size(), 0);
  for (size_t i = 0; i < reference.size(); ++i) {
    if (reference[i] != 0) out[i] = reference[i] == predicted[i] ? 1 : 2;
  }
  return out;
}

std::vector<int32_t> masked(const std::vector<int32_t>& ids, const std::vector<int32_t>& mask) {
  std::vector<int32_t> out(ids.size(), 0);
  for (size_t i = 0; i < ids.size(); ++i) out[i] = mask[i] != 0 ? ids[i] : 0;
  return out;
}

std::string render_svg(const FigureSpec& spec) {
  std::map<int32_t, std::string> colour;
  for (const auto& e : spec.legend) colour[e.id] = colour_hex(e.rgb);
  // Legend items: class swatches, then the error colours when an error panel is shown.
  std::vector<std::pair<std::string, std::string>> items;
  for (const auto& e : spec.legend) items.push_back({colour_hex(e.rgb), std::to_string(e.id) + " " + e.name});
  for (const auto& panel : spec.panels) {
    if (panel.error_panel) {
      items.push_back({colour_hex(kCorrect), "correct (test pixel)"});
      items.push_back({colour_hex(kWrong), "wrong (test pixel)"});
      break;
    }
  }
  const double px = spec.pixel_size > 0 ? spec.pixel_size : 360.0 / static_cast<double>(std::max(spec.rows, spec.cols));
  const double panel_w = spec.cols * px, panel_h = spec.rows * px, gap = 24, margin = 20;
  const double title_h = spec.title.empty() ? 0 : 34, caption_h = 22, column_w = 230, line_h = 20;
  const int n = static_cast<int>(spec.panels.size());
  const double width = std::max(2 * margin + n * panel_w + (n - 1) * gap, 2 * margin + 2 * column_w);
  const size_t columns = std::max<size_t>(1, static_cast<size_t>((width - 2 * margin) / column_w));
  const size_t rows_per_column = std::max<size_t>(1, (items.size() + columns - 1) / columns);
  const double legend_y = margin + title_h + caption_h + panel_h + 20;
  const double height = legend_y + static_cast<double>(rows_per_column) * line_h + margin;

  std::ostringstream o;
  o << "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
    << "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" << width << "\" height=\"" << height << "\" viewBox=\"0 0 " << width << " "
    << height << "\" font-family=\"Helvetica, Arial, sans-serif\">\n"
    << "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n";
  if (!spec.title.empty()) {
    o << "<text x=\"" << margin << "\" y=\"" << margin + 18 << "\" font-size=\"18\" font-weight=\"bold\">" << xml_escape(spec.title) << "</text>\n";
  }
  for (int p = 0; p < n; ++p) {
    const FigurePanel& panel = spec.panels[p];
    const double x0 = margin + p * (panel_w + gap), y0 = margin + title_h + caption_h;
    o << "<text x=\"" << x0 << "\" y=\"" << y0 - 7 << "\" font-size=\"13\">" << xml_escape(panel.title) << "</text>\n"
      << "<g shape-rendering=\"crispEdges\">\n<rect x=\"" << x0 << "\" y=\"" << y0 << "\" width=\"" << panel_w << "\" height=\"" << panel_h
      << "\" fill=\"" << colour_hex(spec.background) << "\" stroke=\"#444\" stroke-width=\"0.5\"/>\n";
    for (int64_t r = 0; r < spec.rows; ++r) {
      for (int64_t c = 0; c < spec.cols;) {
        const int32_t v = panel.ids[r * spec.cols + c];
        int64_t end = c + 1;
        while (end < spec.cols && panel.ids[r * spec.cols + end] == v) ++end;
        if (v != 0) {
          const std::string fill = panel.error_panel ? colour_hex(v == 1 ? kCorrect : kWrong) : (colour.count(v) ? colour[v] : "#000000");
          o << "<rect x=\"" << x0 + c * px << "\" y=\"" << y0 + r * px << "\" width=\"" << (end - c) * px << "\" height=\"" << px
            << "\" fill=\"" << fill << "\"/>\n";
        }
        c = end;
      }
    }
    o << "</g>\n";
  }
  for (size_t i = 0; i < items.size(); ++i) {
    const double x = margin + static_cast<double>(i / rows_per_column) * column_w;
    const double y = legend_y + static_cast<double>(i % rows_per_column) * line_h;
    o << "<rect x=\"" << x << "\" y=\"" << y << "\" width=\"14\" height=\"14\" fill=\"" << items[i].first
      << "\" stroke=\"#333\" stroke-width=\"0.5\"/>\n"
      << "<text x=\"" << x + 20 << "\" y=\"" << y + 11.5 << "\" font-size=\"12\">" << xml_escape(items[i].second) << "</text>\n";
  }
  o << "</svg>\n";
  return o.str();
}

}  // namespace hsi
