#pragma once
// Small string helpers shared by the config parser, the readers and the reports.
#include <array>
#include <cstdint>
#include <string>
#include <vector>

namespace hsi {

std::string trim(const std::string& s);
std::vector<std::string> split(const std::string& s, char sep);
std::string to_lower(std::string s);
bool ends_with(const std::string& s, const std::string& suffix);
// Parses "108-112,154-167,224" into 1-based inclusive ranges expanded to a sorted list.
std::vector<int> parse_index_ranges(const std::string& text, const std::string& what);
std::vector<int> parse_int_list(const std::string& text, const std::string& what);
std::string format_fixed(double value, int decimals);
// Figures that can be undefined (NaN): "undefined" for people, null in JSON.
std::string shown_or_undefined(double value, int decimals);
std::string json_number_or_null(double value, int decimals);
std::string json_escape(const std::string& s);
// A JSON array of strings: ["a", "b"], each escaped.
std::string json_string_array(const std::vector<std::string>& items);
// A CSV field: quoted (inner quotes doubled) when it holds a comma, quote or line break.
std::string csv_field(const std::string& s);
// "#rrggbb".
std::string colour_hex(const std::array<uint8_t, 3>& rgb);

}  // namespace hsi
