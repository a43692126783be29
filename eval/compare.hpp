#pragma once
// Is one map more accurate than another, or is the difference chance? Two maps scored on the
// same reference pixels are paired samples, so comparing their overall accuracies as if
// independent (two intervals that overlap or not) wastes most of the evidence and misstates
// the rest. McNemar's test (Foody 2004, "Thematic map comparison", Photogrammetric Engineering
// & Remote Sensing 70) looks only at the pixels exactly one map gets right. Knows labels and
// predictions only.
#include <cstdint>
#include <string>
#include <vector>

#include "eval/report.hpp"

namespace hsi {

struct MapComparison {
  int64_t pixels = 0;                   // reference pixels scored (reference != ignore)
  int64_t both_right = 0, only_first = 0, only_second = 0, both_wrong = 0;
  double first_oa = 0, second_oa = 0;   // overall accuracy of each map on those pixels
  double difference = 0;                // first_oa - second_oa
  double difference_se = 0;             // its standard error, from the paired counts
  // McNemar's z = (only_first - only_second) / sqrt(only_first + only_second); NaN when no
  // pixel tells the maps apart.
  double z = 0;
  // Two-sided exact p-value: the discordant pixels under "either map equally likely to be the
  // right one" are Binomial(only_first + only_second, 1/2). Exact, so valid with few of them.
  double p_value = 1;
};

// `reference`, `first`, `second`: one value per pixel, the same grid. A pixel whose reference is
// `ignore` is not scored; a map is right where it holds the reference's id (no data is wrong).
MapComparison compare_maps(const std::vector<int32_t>& reference, const std::vector<int32_t>& first, const std::vector<int32_t>& second,
                           int32_t ignore = 0);

// P(X <= k) + P(X >= n - k) for X ~ Binomial(n, 1/2), capped at 1: the two-sided exact p-value
// of k successes in n fair trials (k <= n / 2, else it is mirrored).
double two_sided_binomial_half_p(int64_t k, int64_t n);

// The report's "Comparison" section: the paired counts, both accuracies, their difference with
// its 95 % interval, McNemar's z and the exact p-value.
ReportSection comparison_section(const MapComparison& comparison, const std::string& first_name, const std::string& second_name);

}  // namespace hsi
