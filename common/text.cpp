#include "common/text.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <set>

#include "common/error.hpp"

namespace hsi {

std::string trim(const std::string& s) {
  size_t b = 0, e = s.size();
  while (b < e && std::isspace(static_cast<unsigned char>(s[b]))) ++b;
  while (e > b && std::isspace(static_cast<unsigned char>(s[e - 1]))) --e;
  return s.substr(b, e - b);
}

std::vector<std::string> split(const std::string& s, char sep) {
  std::vector<std::string> parts;
  std::string current;
  for (char c : s) {
    if (c == sep) {
      parts.push_back(trim(current));
      current.clear();
    } else {
      current += c;
    }
  }
  parts.push_back(trim(current));
  return parts;
}

std::string to_lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}

bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

static int parse_int(const std::string& token, const std::string& what) {
  size_t used = 0;
  int value = 0;
  try {
    value = std::stoi(token, &used);
  } catch (const std::exception&) {
    usage_error(what + ": '" + token + "' is not an integer");
  }
  if (used != token.size()) usage_error(what + ": '" + token + "' is not an integer");
  return value;
}

std::vector<int> parse_index_ranges(const std::string& text, const std::string& what) {
  std::set<int> values;
  if (trim(text).empty()) return {};
  for (const std::string& part : split(text, ',')) {
    if (part.empty()) continue;
    const size_t dash = part.find('-', 1);
    int first = 0, last = 0;
    if (dash == std::string::npos) {
      first = last = parse_int(part, what);
    } else {
      first = parse_int(trim(part.substr(0, dash)), what);
      last = parse_int(trim(part.substr(dash + 1)), what);
    }
    if (first < 1 || last < first) usage_error(what + ": bad range '" + part + "' (1-based, first <= last)");
    for (int v = first; v <= last; ++v) values.insert(v);
  }
  return {values.begin(), values.end()};
}

std::vector<int> parse_int_list(const std::string& text, const std::string& what) {
  std::vector<int> values;
  if (trim(text).empty()) return values;
  for (const std::string& part : split(text, ',')) values.push_back(parse_int(part, what));
  return values;
}

std::string format_fixed(double value, int decimals) {
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, "%.*f", decimals, value);
  return buffer;
}

std::string shown_or_undefined(double value, int decimals) { return std::isfinite(value) ? format_fixed(value, decimals) : "undefined"; }
std::string json_number_or_null(double value, int decimals) { return std::isfinite(value) ? format_fixed(value, decimals) : "null"; }

std::string csv_field(const std::string& s) {
  if (s.find_first_of(",\"\n\r") == std::string::npos) return s;
  std::string out = "\"";
  for (char c : s) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

std::string json_escape(const std::string& s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\t': out += "\\t"; break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", c);
          out += buf;
        } else {
          out += c;
        }
    }
  }
  return out;
}

std::string json_string_array(const std::vector<std::string>& items) {
  std::string out = "[";
  for (size_t i = 0; i < items.size(); ++i) out += std::string(i ? ", " : "") + "\"" + json_escape(items[i]) + "\"";
  return out + "]";
}

std::string colour_hex(const std::array<uint8_t, 3>& rgb) {
  char buf[8];
  std::snprintf(buf, sizeof buf, "#%02x%02x%02x", rgb[0], rgb[1], rgb[2]);
  return buf;
}

}  // namespace hsi
