#include "io/class_table.hpp"

#include <algorithm>
#include <cmath>
#include <set>
#include <sstream>

#include "common/error.hpp"
#include "common/text.hpp"

namespace hsi {

ClassTable::ClassTable(std::vector<ClassInfo> classes, const std::string& where) : classes_(std::move(classes)) {
  const std::string prefix = where.empty() ? "" : where + ": ";
  std::set<int32_t> seen;
  for (const auto& c : classes_) {
    if (c.id <= 0 || c.id > 65535) usage_error(prefix + "class id " + std::to_string(c.id) + " is outside 1..65535");
    if (!seen.insert(c.id).second) usage_error(prefix + "class id " + std::to_string(c.id) + " appears twice in the class table");
  }
  std::sort(classes_.begin(), classes_.end(), [](const ClassInfo& a, const ClassInfo& b) { return a.id < b.id; });
}

static std::array<uint8_t, 3> parse_hex_colour(const std::string& text, const std::string& where) {
  std::string hex = text;
  if (!hex.empty() && hex[0] == '#') hex = hex.substr(1);
  if (hex.size() != 6 || hex.find_first_not_of("0123456789abcdefABCDEF") != std::string::npos) {
    usage_error(where + ": colour '" + text + "' is not #RRGGBB");
  }
  const unsigned long v = std::stoul(hex, nullptr, 16);
  return {static_cast<uint8_t>(v >> 16), static_cast<uint8_t>(v >> 8), static_cast<uint8_t>(v)};
}

ClassTable ClassTable::parse(const std::vector<std::string>& entries, const std::string& where) {
  std::vector<ClassInfo> classes;
  for (size_t i = 0; i < entries.size(); ++i) {
    std::vector<std::string> parts;
    if (entries[i].find('|') != std::string::npos) {
      parts = split(entries[i], '|');
    } else {
      std::istringstream in(entries[i]);
      std::string token;
      while (in >> token) parts.push_back(token);
    }
    if (parts.size() < 2 || parts.size() > 3) {
      usage_error(where + ": class entry '" + entries[i] + "' is not 'ID NAME [#RRGGBB]'");
    }
    ClassInfo c;
    try {
      size_t used = 0;
      c.id = std::stoi(parts[0], &used);
      if (used != parts[0].size()) throw std::invalid_argument("trailing");
    } catch (const std::exception&) {
      usage_error(where + ": class entry '" + entries[i] + "' does not start with an integer id");
    }
    c.name = parts[1];
    c.rgb = parts.size() == 3 ? parse_hex_colour(parts[2], where) : distinct_colour(i);
    classes.push_back(c);
  }
  return ClassTable(std::move(classes), where);
}

ClassTable ClassTable::from_ids(const std::vector<int32_t>& ids) {
  ClassTable table;
  table.complete_with(ids);
  return table;
}

void ClassTable::complete_with(const std::vector<int32_t>& ids) {
  std::vector<ClassInfo> classes = classes_;
  for (int32_t id : ids) {
    if (index_of(id) >= 0) continue;
    ClassInfo c;
    c.id = id;
    c.name = "class_" + std::to_string(id);
    c.rgb = distinct_colour(classes.size());
    classes.push_back(c);
  }
  *this = ClassTable(std::move(classes));
}

int ClassTable::index_of(int32_t id) const {
  auto it = std::lower_bound(classes_.begin(), classes_.end(), id, [](const ClassInfo& c, int32_t v) { return c.id < v; });
  return (it != classes_.end() && it->id == id) ? static_cast<int>(it - classes_.begin()) : -1;
}

int32_t ClassTable::max_id() const { return classes_.empty() ? 0 : classes_.back().id; }

std::vector<int32_t> ClassTable::ids() const {
  std::vector<int32_t> out;
  for (const auto& c : classes_) out.push_back(c.id);
  return out;
}

std::array<uint8_t, 3> distinct_colour(size_t index) {
  static const std::array<std::array<uint8_t, 3>, 20> kFixed = {{
      {230, 25, 75}, {60, 180, 75}, {255, 225, 25}, {0, 130, 200}, {245, 130, 48}, {145, 30, 180}, {70, 240, 240},
      {240, 50, 230}, {210, 245, 60}, {250, 190, 212}, {0, 128, 128}, {220, 190, 255}, {170, 110, 40},
      {255, 250, 200}, {128, 0, 0}, {170, 255, 195}, {128, 128, 0}, {255, 215, 180}, {0, 0, 128}, {128, 128, 128},
  }};
  if (index < kFixed.size()) return kFixed[index];
  // Golden-angle hue walk, full saturation, alternating value.
  const double h = std::fmod(static_cast<double>(index) * 137.508, 360.0) / 60.0;
  const double v = index % 2 ? 0.95 : 0.7, s = 0.85;
  const double c = v * s, x = c * (1 - std::fabs(std::fmod(h, 2.0) - 1)), m = v - c;
  double r = 0, g = 0, b = 0;
  switch (static_cast<int>(h)) {
    case 0: r = c; g = x; break;
    case 1: r = x; g = c; break;
    case 2: g = c; b = x; break;
    case 3: g = x; b = c; break;
    case 4: r = x; b = c; break;
    default: r = c; b = x; break;
  }
  auto to8 = [m](double u) { return static_cast<uint8_t>(std::lround((u + m) * 255)); };
  return {to8(r), to8(g), to8(b)};
}

}  // namespace hsi
