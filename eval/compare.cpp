#include "eval/compare.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <sstream>

#include "common/error.hpp"
#include "common/text.hpp"
#include "eval/area.hpp"

namespace hsi {

MapComparison compare_maps(const std::vector<int32_t>& reference, const std::vector<int32_t>& first, const std::vector<int32_t>& second,
                           int32_t ignore) {
  if (first.size() != reference.size() || second.size() != reference.size())
    throw Error(ErrorKind::Internal, "compare_maps: the maps and the reference differ in size");
  MapComparison c;
  for (size_t i = 0; i < reference.size(); ++i) {
    if (reference[i] == ignore) continue;
    const bool a = first[i] == reference[i], b = second[i] == reference[i];
    ++(a ? (b ? c.both_right : c.only_first) : (b ? c.only_second : c.both_wrong));
  }
  c.pixels = c.both_right + c.only_first + c.only_second + c.both_wrong;
  const double nan = std::numeric_limits<double>::quiet_NaN();
  if (c.pixels == 0) {
    c.first_oa = c.second_oa = c.difference = c.difference_se = c.z = nan;
    return c;
  }
  const double n = static_cast<double>(c.pixels), b = static_cast<double>(c.only_first), d = static_cast<double>(c.only_second);
  c.first_oa = static_cast<double>(c.both_right + c.only_first) / n;
  c.second_oa = static_cast<double>(c.both_right + c.only_second) / n;
  c.difference = (b - d) / n;
  // Var of the paired difference of proportions: ((b + d)/n - ((b - d)/n)^2) / n. The
  // concordant pixels add nothing to it, which is why pairing is so much sharper.
  c.difference_se = std::sqrt(std::max(0.0, (b + d) / n - c.difference * c.difference) / n);
  c.z = b + d > 0 ? (b - d) / std::sqrt(b + d) : nan;
  c.p_value = two_sided_binomial_half_p(c.only_first, c.only_first + c.only_second);
  return c;
}

double two_sided_binomial_half_p(int64_t k, int64_t n) {
  if (n <= 0) return 1.0;
  const int64_t m = std::min(k, n - k);
  if (2 * m >= n) return 1.0;  // the observed split is the most even one: nothing is unusual
  // log P(X = i) = log C(n, i) - n log 2; summed from i = m down, each term a ratio of the one
  // above (C(n, i-1) = C(n, i) * i / (n - i + 1)), until the terms no longer count.
  const double nd = static_cast<double>(n);
  const double log_top = std::lgamma(nd + 1) - std::lgamma(static_cast<double>(m) + 1) - std::lgamma(nd - static_cast<double>(m) + 1) -
                         nd * std::log(2.0);
  double relative_sum = 0, term = 1;
  for (int64_t i = m; i >= 0; --i) {
    relative_sum += term;
    if (term < 1e-18 * relative_sum) break;
    term *= static_cast<double>(i) / (nd - static_cast<double>(i) + 1);
  }
  return std::min(1.0, 2.0 * std::exp(log_top + std::log(relative_sum)));
}

namespace {

// A p-value with `digits` significant digits: they span many orders of magnitude, and a fixed
// number of decimals would print most small ones as 0 (valid JSON too: 1.2e-30).
std::string significant(double value, int digits) {
  char text[32];
  std::snprintf(text, sizeof text, "%.*g", digits, value);
  return text;
}

}  // namespace

ReportSection comparison_section(const MapComparison& c, const std::string& first_name, const std::string& second_name) {
  std::ostringstream md, js;
  md << "McNemar's test (Foody 2004) of the two maps on the same " << c.pixels
     << " reference pixels: only the pixels exactly one map gets right tell them apart. The p-value is the exact two-sided binomial one; ± is "
        "the half-width of the 95 % confidence interval of the difference in overall accuracy.\n\n";
  md << "| | " << second_name << " right | " << second_name << " wrong |\n|---|---:|---:|\n";
  md << "| **" << first_name << " right** | " << c.both_right << " | " << c.only_first << " |\n";
  md << "| **" << first_name << " wrong** | " << c.only_second << " | " << c.both_wrong << " |\n\n";
  md << "Overall accuracy: " << first_name << " " << shown_or_undefined(c.first_oa, 4) << ", " << second_name << " "
     << shown_or_undefined(c.second_oa, 4) << "; difference " << shown_or_undefined(c.difference, 4)
     << (std::isfinite(c.difference_se) ? " ± " + format_fixed(ci95(c.difference_se), 4) : std::string()) << ". McNemar's z "
     << shown_or_undefined(c.z, 3) << ", p = " << significant(c.p_value, 3) << ".\n";
  if (c.only_first + c.only_second == 0) md << "\nNo reference pixel is right in one map and wrong in the other: the data cannot tell them apart.\n";
  js << "{\"first\": \"" << json_escape(first_name) << "\", \"second\": \"" << json_escape(second_name) << "\", \"pixels\": " << c.pixels
     << ", \"both_right\": " << c.both_right << ", \"only_first_right\": " << c.only_first << ", \"only_second_right\": " << c.only_second
     << ", \"both_wrong\": " << c.both_wrong << ", \"first_oa\": " << json_number_or_null(c.first_oa, 6) << ", \"second_oa\": "
     << json_number_or_null(c.second_oa, 6) << ", \"difference\": " << json_number_or_null(c.difference, 6) << ", \"difference_se\": "
     << json_number_or_null(c.difference_se, 6) << ", \"mcnemar_z\": " << json_number_or_null(c.z, 6) << ", \"p_value\": "
     << significant(c.p_value, 6) << "}";
  return ReportSection{"Comparison of two maps", md.str(), "comparison", js.str()};
}

}  // namespace hsi
