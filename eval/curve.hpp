#pragma once
// The few-shot figure of a paper: OA (mean with a ± std band over seeds) against training pixels
// per class, one line per model, as SVG; and the same numbers as CSV.
#include <string>
#include <vector>

#include "eval/aggregate.hpp"

namespace hsi {

struct CurvePoint {
  double x = 0;  // training pixels per class
  MeanStd y;     // OA over seeds
};

struct CurveSeries {
  std::string name;
  std::vector<CurvePoint> points;  // in increasing x
};

struct CurveSpec {
  std::string title, x_label = "training pixels per class", y_label = "overall accuracy";
  std::vector<CurveSeries> series;
};

// The fixed:N protocols among `summaries`, one series per model: empty when fewer than two
// such protocols ran.
CurveSpec few_shot_curve(const std::vector<RunSummary>& summaries, const std::vector<std::string>& models, const std::string& title);

std::string curve_svg(const CurveSpec& spec);
// model,pixels_per_class,runs,oa_mean,oa_std
std::string curve_csv(const CurveSpec& spec);

}  // namespace hsi
