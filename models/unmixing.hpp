#pragma once
// Linear spectral unmixing as a classifier: each class is an endmember, the mean spectrum of its
// training pixels; a pixel's abundances are the least-squares solution of x = sum_c a_c e_c,
// unconstrained (a shaded pixel is a scaled endmember, a mixed one a sum); its class is the
// largest abundance. That is how ground truths made from abundance maps are labelled (the
// endmember of largest abundance), and on such scenes it beats every network here from a few
// pixels a class; where classes are not mixtures of one spectrum each it is weak, which the
// model selection's cross-validation sees. No training beyond the means, no hyper-parameter.
//
// It runs on preprocessed spectra, as the other models do. The preprocessing is affine
// (standardisation, then a projection), so x = sum_c a_c e_c in reflectance becomes
// x' - o = sum_c a_c (e'_c - o) with o the preprocessed zero spectrum: the mixture relation
// survives it exactly when spectra are taken relative to `origin`.
#include <torch/torch.h>

#include <cstdint>
#include <vector>

namespace hsi {

class UnmixingModel {
 public:
  // features: n x d floats, row-major (preprocessed); targets: class indices in [0, classes);
  // origin: d floats, the preprocessed zero spectrum. Classes without a sample are never
  // predicted.
  static UnmixingModel fit(const float* features, int64_t n, int d, const std::vector<int64_t>& targets, int classes, const std::vector<float>& origin);

  // x: [N, d] -> [N, classes]: each trained class's least-squares abundance (untrained: lowest).
  torch::Tensor abundances(const torch::Tensor& x) const;
  // x: [N, d] -> [N, classes]: the abundances as shares of the pixel (negative ones count as 0,
  // the rest sum to 1; a pixel without a positive abundance gets the softmax of its
  // abundances), so the largest share is the largest abundance and reads as a confidence.
  torch::Tensor shares(const torch::Tensor& x) const;
  std::vector<int64_t> predict(const float* features, int64_t n) const;

  // Enrolment without refitting anything else: a model over `classes` classes in which this
  // model's class c is class carried[c]; the pixels (targets in the new indices) refine the
  // endmembers of their classes as a running mean over every pixel behind each, and give
  // classes without one their endmember.
  UnmixingModel with_pixels(const float* features, int64_t n, const std::vector<int64_t>& targets, int classes,
                            const std::vector<int64_t>& carried) const;

  int classes() const { return classes_; }
  int dims() const { return dims_; }
  int64_t trained_class_count() const { return static_cast<int64_t>(trained_classes_.size()); }

  // State, for checkpoints: the trained classes (ascending), the pixels behind each endmember,
  // the endmembers [trained, d] and the origin [d]; the unmixing matrix is recomputed from them.
  struct State {
    int classes = 0, dims = 0;
    std::vector<int64_t> trained_classes, counts;
    torch::Tensor endmembers, origin;
  };
  State state() const;
  // Checks the state's consistency (throws std::invalid_argument on any mismatch).
  static UnmixingModel restore(const State& state);

 private:
  int classes_ = 0, dims_ = 0;
  std::vector<int64_t> trained_classes_, counts_;
  torch::Tensor endmembers_, origin_;
  torch::Tensor unmixing_;  // [d, trained]: abundances = (x - origin) @ unmixing_
  torch::Tensor trained_index_;  // [trained] class index of each column
};

}  // namespace hsi
