#pragma once
// Accuracy of a classification against a reference: confusion matrix (rows = reference,
// columns = predicted, as Orfeo ToolBox writes it), OA, AA, Cohen's kappa, quantity and
// allocation disagreement, per-class
// producer's / user's accuracy and F1. Knows labels and predictions only.
#include <cstdint>
#include <string>
#include <vector>

namespace hsi {

struct ClassAccuracy {
  int32_t id = 0;
  int64_t reference = 0;  // pixels of this class in the reference
  int64_t predicted = 0;  // pixels predicted as this class
  double producer = 0;    // recall
  double user = 0;        // precision
  double f1 = 0;
};

struct AccuracyReport {
  std::vector<int32_t> classes;                // ids, ascending: the matrix's row/column order
  std::vector<std::vector<int64_t>> confusion; // [reference][predicted]
  int64_t total = 0;
  // NaN where undefined: all three without reference pixels; kappa when reference and
  // prediction hold a single class (chance agreement 1, kappa 0/0).
  double overall = 0, average = 0, kappa = 0;
  // 1 - OA split in two (Pontius & Millones 2011, "Death to Kappa", Int. J. Remote Sensing 32):
  // quantity, the share of pixels misclassified because the map has too much of some classes
  // and too little of others; allocation, the rest, misplaced within classes of the right size.
  // Unlike kappa, both say what is wrong and need no model of chance.
  double quantity_disagreement = 0, allocation_disagreement = 0;
  std::vector<ClassAccuracy> per_class;
};

// Pixels whose reference is `ignore` (0 = unlabelled) are skipped; predictions of a class the
// reference does not hold get their own column (and row of zeros) so nothing is lost.
AccuracyReport evaluate_accuracy(const std::vector<int32_t>& reference, const std::vector<int32_t>& predicted,
                                 int32_t ignore = 0);

}  // namespace hsi
