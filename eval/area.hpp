#pragma once
// Error-adjusted class areas and accuracies from a map and a reference sample: the stratified
// estimators of Olofsson et al. 2014 ("Good practices for estimating area and assessing
// accuracy of land change", Remote Sensing of Environment 148, eqs. 2-10), the map's classes
// as strata. Counting a map's pixels is biased by its errors (a class the map over-predicts has
// too much area); weighting the sample's error matrix by each map class's share of the map
// gives unbiased estimates of each class's share of the mapped area, with standard errors,
// provided the reference pixels are a random sample of each map class (stratified random
// sampling, or simple random sampling of the whole map). Knows labels and predictions only.
#include <cstdint>
#include <limits>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "eval/accuracy.hpp"
#include "eval/report.hpp"

namespace hsi {

struct ClassAreaEstimate {
  static constexpr double kUndefined = std::numeric_limits<double>::quiet_NaN();
  int32_t id = 0;
  int64_t mapped = 0;         // pixels the map gives this class
  int64_t sampled = 0;        // reference pixels the map gives this class (its stratum's sample)
  double mapped_share = 0;    // of all mapped pixels
  // NaN where undefined: without a sample in a stratum the estimate needs, and the standard
  // errors also where such a stratum holds a single reference pixel.
  double share = kUndefined, share_se = kUndefined;        // of the mapped area, from the reference
  double user = kUndefined, user_se = kUndefined;          // P(reference = this | map = this)
  double producer = kUndefined, producer_se = kUndefined;  // P(map = this | reference = this)
};

struct AreaEstimate {
  int64_t mapped = 0;                      // every mapped pixel: the population
  std::vector<ClassAreaEstimate> classes;  // every class mapped or in the reference sample, ascending id
  double overall = ClassAreaEstimate::kUndefined, overall_se = ClassAreaEstimate::kUndefined;
  // Share of the map in classes without a reference pixel: nothing says what they hold, so the
  // estimated shares sum to 1 minus this.
  double unsampled_share = 0;
  int64_t sample_outside_map = 0;  // reference pixels on no mapped class (left out)
};

// `mapped_pixels`: map class id -> its pixels over the whole map (no-data left out);
// `sample`: the error matrix of the reference pixels against the map (evaluate_accuracy).
AreaEstimate estimate_areas(const std::map<int32_t, int64_t>& mapped_pixels, const AccuracyReport& sample);

// Half the width of a two-sided 95 % normal confidence interval for a standard error.
inline double ci95(double standard_error) { return 1.96 * standard_error; }

// The report's "Area estimates" section (Markdown table, JSON object): per class the mapped and
// the estimated area, user's and producer's accuracy with their 95 % intervals, and the overall
// accuracy; areas in hectares when a pixel's area in square metres is known, else in pixels.
ReportSection area_section(const AreaEstimate& estimate, const std::map<int32_t, std::string>& names, std::optional<double> pixel_area_m2);

}  // namespace hsi
