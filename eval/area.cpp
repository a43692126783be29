#include "eval/area.hpp"

#include <cmath>
#include <set>
#include <sstream>

#include "common/text.hpp"

namespace hsi {

AreaEstimate estimate_areas(const std::map<int32_t, int64_t>& mapped_pixels, const AccuracyReport& sample) {
  AreaEstimate out;
  for (const auto& [id, pixels] : mapped_pixels) out.mapped += pixels;
  std::set<int32_t> ids;
  for (const auto& [id, pixels] : mapped_pixels)
    if (pixels > 0) ids.insert(id);
  // Sample counts by stratum (map class i) and reference class j: n[i][j].
  std::map<int32_t, std::map<int32_t, int64_t>> n;
  std::map<int32_t, int64_t> n_stratum;
  for (size_t r = 0; r < sample.classes.size(); ++r)
    for (size_t c = 0; c < sample.classes.size(); ++c) {
      const int64_t count = sample.confusion[r][c];
      if (count == 0) continue;
      const int32_t reference = sample.classes[r], map = sample.classes[c];
      if (!mapped_pixels.count(map) || mapped_pixels.at(map) == 0) {
        out.sample_outside_map += count;
        continue;
      }
      n[map][reference] += count;
      n_stratum[map] += count;
      ids.insert(reference);
    }
  if (out.mapped == 0) return out;
  const double total = static_cast<double>(out.mapped);
  auto weight = [&](int32_t i) { return mapped_pixels.count(i) ? static_cast<double>(mapped_pixels.at(i)) / total : 0.0; };
  // The strata with a sample; the variance terms need two pixels in each.
  std::vector<int32_t> strata;
  bool variance_defined = true;
  for (const auto& [i, pixels] : mapped_pixels) {
    if (pixels == 0) continue;
    if (n_stratum[i] == 0) {
      out.unsampled_share += weight(i);
      continue;
    }
    strata.push_back(i);
    variance_defined = variance_defined && n_stratum[i] >= 2;
  }
  const double undefined = ClassAreaEstimate::kUndefined;
  // q(i, j) = n_ij / n_i: the share of stratum i's sample with reference class j.
  auto q = [&](int32_t i, int32_t j) {
    const auto row = n.find(i);
    if (row == n.end()) return 0.0;
    const auto cell = row->second.find(j);
    return cell == row->second.end() ? 0.0 : static_cast<double>(cell->second) / static_cast<double>(n_stratum[i]);
  };
  // Var of a stratified mean of the 0/1 indicator with stratum shares p_i: sum W_i^2 p_i (1 - p_i) / (n_i - 1).
  auto stratified_variance = [&](auto share_in) {
    double v = 0;
    for (int32_t i : strata) {
      const double p = share_in(i), w = weight(i);
      v += w * w * p * (1 - p) / static_cast<double>(n_stratum[i] - 1);
    }
    return v;
  };
  double overall = 0;
  for (int32_t i : strata) overall += weight(i) * q(i, i);
  out.overall = overall;
  out.overall_se = variance_defined ? std::sqrt(stratified_variance([&](int32_t i) { return q(i, i); })) : undefined;
  for (int32_t j : ids) {
    ClassAreaEstimate c;
    c.id = j;
    c.mapped = mapped_pixels.count(j) ? mapped_pixels.at(j) : 0;
    c.sampled = n_stratum.count(j) ? n_stratum.at(j) : 0;
    c.mapped_share = weight(j);
    const bool stratum_unsampled = c.mapped > 0 && c.sampled == 0;
    if (!stratum_unsampled) {
      double share = 0;
      for (int32_t i : strata) share += weight(i) * q(i, j);
      c.share = share;
      c.share_se = variance_defined ? std::sqrt(stratified_variance([&](int32_t i) { return q(i, j); })) : undefined;
      if (c.sampled > 0) {
        c.user = q(j, j);
        c.user_se = c.sampled >= 2 ? std::sqrt(c.user * (1 - c.user) / static_cast<double>(c.sampled - 1)) : undefined;
      }
      if (share > 0) {
        // Producer's accuracy, a ratio estimator: p_jj / p_.j, its variance in pixel totals
        // (N_i = mapped pixels of class i, N_j estimated as sum N_i n_ij / n_i).
        const double diagonal = c.sampled > 0 ? weight(j) * q(j, j) : 0.0;
        c.producer = diagonal / share;
        if (variance_defined) {
          const double Nj_hat = share * total, P = c.producer;
          double v = 0;
          if (c.sampled > 0) {
            const double Nj = static_cast<double>(c.mapped), U = c.user;
            v += Nj * Nj * (1 - P) * (1 - P) * U * (1 - U) / static_cast<double>(c.sampled - 1);
          }
          for (int32_t i : strata) {
            if (i == j) continue;
            const double Ni = static_cast<double>(mapped_pixels.at(i)), p = q(i, j);
            v += P * P * Ni * Ni * p * (1 - p) / static_cast<double>(n_stratum[i] - 1);
          }
          c.producer_se = std::sqrt(v) / Nj_hat;
        }
      }
    }
    out.classes.push_back(c);
  }
  return out;
}

namespace {

std::string with_interval(double v, double se, int decimals) {
  if (!std::isfinite(v)) return "undefined";
  return format_fixed(v, decimals) + (std::isfinite(se) ? " ± " + format_fixed(ci95(se), decimals) : " ± undefined");
}

}  // namespace

ReportSection area_section(const AreaEstimate& e, const std::map<int32_t, std::string>& names, std::optional<double> pixel_area_m2) {
  // Shares of the mapped area become areas: hectares where a pixel's ground area is known.
  const double unit = pixel_area_m2 ? *pixel_area_m2 / 10000.0 : 1.0;
  const std::string unit_name = pixel_area_m2 ? "ha" : "pixels";
  const int decimals = pixel_area_m2 ? 2 : 0;
  const double mapped_area = static_cast<double>(e.mapped) * unit;
  auto name_of = [&](int32_t id) { return class_name_or_id(names, id); };
  std::ostringstream md, js;
  md << "Stratified estimators of Olofsson et al. (2014), the map's classes as strata: the reference pixels must be a random sample of each map "
        "class (or of the whole map) for these to be unbiased; a training split's test pixels are not one, so read them as indicative there. "
     << "Areas in " << unit_name;
  if (pixel_area_m2) md << " (a pixel is " << format_fixed(*pixel_area_m2, 2) << " m²)";
  md << "; ± is the half-width of the 95 % confidence interval.\n\n";
  md << "| id | class | mapped (" << unit_name << ") | reference pixels in the map class | estimated (" << unit_name
     << ") | user's acc. | producer's acc. |\n|---:|---|---:|---:|---:|---:|---:|\n";
  js << "{\"unit\": \"" << unit_name << "\", \"pixel_area_m2\": " << (pixel_area_m2 ? format_fixed(*pixel_area_m2, 4) : "null")
     << ", \"mapped_pixels\": " << e.mapped << ", \"overall_accuracy\": " << json_number_or_null(e.overall, 6) << ", \"overall_accuracy_se\": "
     << json_number_or_null(e.overall_se, 6) << ", \"unsampled_share\": " << format_fixed(e.unsampled_share, 6) << ", \"reference_pixels_outside_map\": "
     << e.sample_outside_map << ", \"classes\": [";
  for (size_t k = 0; k < e.classes.size(); ++k) {
    const ClassAreaEstimate& c = e.classes[k];
    md << "| " << c.id << " | " << name_of(c.id) << " | " << format_fixed(static_cast<double>(c.mapped) * unit, decimals) << " | " << c.sampled << " | "
       << with_interval(c.share * mapped_area, c.share_se * mapped_area, decimals) << " | " << with_interval(c.user, c.user_se, 4) << " | "
       << with_interval(c.producer, c.producer_se, 4) << " |\n";
    js << (k ? ", " : "") << "{\"id\": " << c.id << ", \"name\": \"" << json_escape(name_of(c.id)) << "\", \"mapped\": "
       << format_fixed(static_cast<double>(c.mapped) * unit, 4) << ", \"reference_pixels\": " << c.sampled << ", \"estimated\": "
       << json_number_or_null(c.share * mapped_area, 4) << ", \"estimated_se\": " << json_number_or_null(c.share_se * mapped_area, 4) << ", \"user_accuracy\": "
       << json_number_or_null(c.user, 6) << ", \"user_accuracy_se\": " << json_number_or_null(c.user_se, 6) << ", \"producer_accuracy\": " << json_number_or_null(c.producer, 6)
       << ", \"producer_accuracy_se\": " << json_number_or_null(c.producer_se, 6) << "}";
  }
  js << "]}";
  md << "\nOverall accuracy, stratified: " << with_interval(e.overall, e.overall_se, 4) << ". Mapped: " << format_fixed(mapped_area, decimals) << " "
     << unit_name << ".";
  if (e.unsampled_share > 0)
    md << " " << format_fixed(100 * e.unsampled_share, 2) << " % of the map lies in classes without a reference pixel: what they hold is not estimated.";
  if (e.sample_outside_map > 0) md << " " << e.sample_outside_map << " reference pixels lie where the map has no class and are left out.";
  md << "\n";
  if (std::isnan(e.overall_se) && std::isfinite(e.overall)) md << "\nA map class with a single reference pixel leaves the intervals undefined.\n";
  return ReportSection{"Area estimates", md.str(), "area_estimates", js.str()};
}

}  // namespace hsi
