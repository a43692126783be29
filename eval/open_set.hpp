#pragma once
// Open-set figures from novelty scores (higher = less like any known class): how well a score
// tells pixels of an unseen class from known ones, and the threshold that accepts a chosen share
// of known pixels. Plain numbers in, plain numbers out: eval knows no models.
#include <vector>

namespace hsi {

// Area under the ROC curve of "unknown" (positive) against "known" by the score: the chance that
// a random unknown pixel scores above a random known one, ties counting one half. NaN when
// either side is empty.
double auroc(const std::vector<float>& known, const std::vector<float>& unknown);

// The smallest threshold t with at least `accept` of the known scores <= t (scores above t are
// rejected as unknown). NaN for no scores.
double acceptance_threshold(std::vector<float> known, double accept);

// Share of scores above the threshold.
double rejected_share(const std::vector<float>& scores, double threshold);

}  // namespace hsi
