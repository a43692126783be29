#pragma once
// The SVM baseline trained as a careful user would: RBF C-SVC on the preprocessed spectra of
// the training pixels, with C and gamma chosen by stratified cross-validation on those pixels
// over a log grid (gamma relative to 1 / (bands x feature variance), LIBSVM's and
// scikit-learn's "scale"), then refitted on all of them.
#include <cstdint>
#include <string>
#include <vector>

#include "io/raster.hpp"
#include "models/svm.hpp"

namespace hsi {

struct SvmFit {
  SvmModel model;
  double cv_accuracy = -1;  // of the chosen C and gamma (-1: too few pixels to cross-validate)
  int folds = 0;
  std::vector<std::string> notes;
};

// targets: class indices in [0, classes). Deterministic for a seed.
SvmFit fit_svm(const std::vector<float>& features, int dims, const std::vector<int64_t>& targets, int classes, int max_folds, uint64_t seed);

// The spectra of `pixels` of a (preprocessed) cube, pixel after pixel: n x bands.
std::vector<float> spectra_of(const Cube& cube, const std::vector<int64_t>& pixels);

}  // namespace hsi
