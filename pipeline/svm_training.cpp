#include "pipeline/svm_training.hpp"

#include <algorithm>
#include <cmath>
#include <map>

#include "common/interrupt.hpp"
#include "pipeline/folds.hpp"
#include "pipeline/random.hpp"

namespace hsi {
namespace {

// Above this many training pixels the grid is searched on a stratified subsample (LIBSVM's
// training grows with the square of the pixels); the chosen C and gamma are refitted on all.
constexpr int64_t kGridSamples = 2000;
const std::vector<double> kC = {0.1, 1, 10, 100, 1000, 10000};
const std::vector<double> kGammaScale = {0.01, 0.03, 0.1, 0.3, 1, 3, 10};

double scale_gamma(const std::vector<float>& x, int d) {
  const int64_t n = static_cast<int64_t>(x.size()) / d;
  double variance = 0;
  for (int j = 0; j < d; ++j) {
    double s = 0, s2 = 0;
    for (int64_t i = 0; i < n; ++i) {
      s += x[i * d + j];
      s2 += static_cast<double>(x[i * d + j]) * x[i * d + j];
    }
    variance += std::max(0.0, s2 / n - (s / n) * (s / n));
  }
  variance /= d;
  return 1.0 / (d * (variance > 1e-12 ? variance : 1.0));
}

std::vector<int64_t> stratified_subsample(const std::vector<int64_t>& targets, int64_t limit, uint64_t seed) {
  std::map<int64_t, std::vector<int64_t>> members;
  for (size_t i = 0; i < targets.size(); ++i) members[targets[i]].push_back(static_cast<int64_t>(i));
  Rng rng(seed * 13 + 5);
  std::vector<int64_t> chosen;
  const double share = static_cast<double>(limit) / static_cast<double>(targets.size());
  for (auto& [cls, samples] : members) {
    rng.shuffle(samples);
    const int64_t take = std::max<int64_t>(std::min<int64_t>(2, static_cast<int64_t>(samples.size())), std::llround(share * samples.size()));
    chosen.insert(chosen.end(), samples.begin(), samples.begin() + std::min<int64_t>(take, static_cast<int64_t>(samples.size())));
  }
  std::sort(chosen.begin(), chosen.end());
  return chosen;
}

std::vector<float> rows_of(const std::vector<float>& x, int d, const std::vector<int64_t>& rows) {
  std::vector<float> out(rows.size() * static_cast<size_t>(d));
  for (size_t i = 0; i < rows.size(); ++i) std::copy(x.begin() + rows[i] * d, x.begin() + (rows[i] + 1) * d, out.begin() + i * d);
  return out;
}

}  // namespace

std::vector<float> spectra_of(const Cube& cube, const std::vector<int64_t>& pixels) {
  std::vector<float> out(pixels.size() * static_cast<size_t>(cube.bands));
  for (size_t i = 0; i < pixels.size(); ++i)
    std::copy(cube.data.begin() + pixels[i] * cube.bands, cube.data.begin() + (pixels[i] + 1) * cube.bands, out.begin() + i * cube.bands);
  return out;
}

SvmFit fit_svm(const std::vector<float>& features, int d, const std::vector<int64_t>& targets, int classes, int max_folds, uint64_t seed) {
  SvmFit fit;
  const double gamma0 = scale_gamma(features, d);
  std::vector<int64_t> grid_rows(targets.size());
  for (size_t i = 0; i < grid_rows.size(); ++i) grid_rows[i] = static_cast<int64_t>(i);
  if (static_cast<int64_t>(targets.size()) > kGridSamples) {
    grid_rows = stratified_subsample(targets, kGridSamples, seed);
    fit.notes.push_back("C and gamma searched on " + std::to_string(grid_rows.size()) + " of " + std::to_string(targets.size()) +
                        " training pixels (stratified)");
  }
  const std::vector<float> gx = rows_of(features, d, grid_rows);
  std::vector<int64_t> gy;
  for (int64_t r : grid_rows) gy.push_back(targets[r]);
  fit.folds = fold_count(gy, max_folds);
  double best_c = 100, best_gamma = gamma0;
  if (fit.folds == 0) {
    fit.notes.push_back("too few pixels per class to cross-validate C and gamma: C = 100, gamma = 1/(bands x variance)");
  } else {
    const Folds folds = stratified_folds(gy, fit.folds, seed);
    for (const auto& note : folds.notes) fit.notes.push_back(note);
    const int64_t combos = static_cast<int64_t>(kC.size() * kGammaScale.size());
    std::vector<int64_t> hits(static_cast<size_t>(combos), 0);
    // Each fold's samples, cut once for every (C, gamma).
    struct FoldData {
      std::vector<float> train_x, held_x;
      std::vector<int64_t> train_y, held_y;
    };
    std::vector<FoldData> data(static_cast<size_t>(folds.k));
    int64_t evaluated = 0;
    for (int f = 0; f < folds.k; ++f) {
      const std::vector<int64_t> train = folds.training(f), held = folds.held_out(f);
      data[f].train_x = rows_of(gx, d, train);
      data[f].held_x = rows_of(gx, d, held);
      for (int64_t i : train) data[f].train_y.push_back(gy[i]);
      for (int64_t i : held) data[f].held_y.push_back(gy[i]);
      evaluated += static_cast<int64_t>(held.size());
    }
    // Every (C, gamma, fold) is independent; LIBSVM itself is single-threaded.
#pragma omp parallel for schedule(dynamic)
    for (int64_t job = 0; job < combos * folds.k; ++job) {
      if (stop_requested()) continue;
      const int64_t combo = job / folds.k;
      const FoldData& fd = data[job % folds.k];
      if (fd.held_y.empty()) continue;
      const double c = kC[combo / kGammaScale.size()], gamma = gamma0 * kGammaScale[combo % kGammaScale.size()];
      const SvmModel m = SvmModel::train(fd.train_x.data(), static_cast<int64_t>(fd.train_y.size()), d, fd.train_y, classes, c, gamma);
      const std::vector<int64_t> predicted = m.predict(fd.held_x.data(), static_cast<int64_t>(fd.held_y.size()));
      int64_t h = 0;
      for (size_t i = 0; i < predicted.size(); ++i) h += predicted[i] == fd.held_y[i];
#pragma omp atomic
      hits[combo] += h;
    }
    throw_if_stop_requested();
    const int64_t top = *std::max_element(hits.begin(), hits.end());
    fit.cv_accuracy = static_cast<double>(top) / static_cast<double>(std::max<int64_t>(1, evaluated));
    // Few pixels make many settings tie: take the tied setting nearest the middle of the tied
    // region (in log C, log gamma), not its corner, which generalises best away from the folds.
    double mc = 0, mg = 0;
    int tied = 0;
    for (int64_t combo = 0; combo < combos; ++combo)
      if (hits[combo] == top) {
        mc += std::log10(kC[combo / kGammaScale.size()]);
        mg += std::log10(kGammaScale[combo % kGammaScale.size()]);
        ++tied;
      }
    mc /= tied;
    mg /= tied;
    double nearest = 1e300;
    for (int64_t combo = 0; combo < combos; ++combo) {
      if (hits[combo] != top) continue;
      const double c = kC[combo / kGammaScale.size()], g = kGammaScale[combo % kGammaScale.size()];
      const double dist = std::pow(std::log10(c) - mc, 2) + std::pow(std::log10(g) - mg, 2);
      if (dist < nearest - 1e-12) {
        nearest = dist;
        best_c = c;
        best_gamma = gamma0 * g;
      }
    }
  }
  fit.model = SvmModel::train(features.data(), static_cast<int64_t>(targets.size()), d, targets, classes, best_c, best_gamma);
  return fit;
}

}  // namespace hsi
