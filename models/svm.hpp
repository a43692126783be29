#pragma once
// The RBF-SVM baseline: C-SVC with k(x, y) = exp(-gamma ||x - y||^2), one-vs-one, trained by
// LIBSVM on preprocessed spectra. Prediction does not go through LIBSVM's per-sample loop: the
// decision functions of every pair of classes are evaluated for a whole tile as matrix
// products (exactly LIBSVM's rule, tested against svm_predict), so an SVM map costs about as
// much as a network's.
#include <torch/torch.h>

#include <cstdint>
#include <vector>

namespace hsi {

class SvmModel {
 public:
  // features: n x d floats, row-major; targets: class indices in [0, classes). Classes without
  // a sample are never predicted.
  static SvmModel train(const float* features, int64_t n, int d, const std::vector<int64_t>& targets, int classes, double c, double gamma);

  // x: [N, d] -> [N, classes]: the share of its one-vs-one contests each class won (the class
  // with most, first in class order on ties, is LIBSVM's prediction).
  torch::Tensor vote_shares(const torch::Tensor& x) const;
  // The predicted class indices of n samples of dims() values (argmax of vote_shares).
  std::vector<int64_t> predict(const float* features, int64_t n) const;
  // The same prediction made by LIBSVM itself from this model's state (the reference the
  // vectorised rule is tested against; slow).
  std::vector<int64_t> predict_with_libsvm(const float* features, int64_t n) const;

  int classes() const { return classes_; }
  int dims() const { return dims_; }
  double c() const { return c_; }
  double gamma() const { return gamma_; }
  int64_t support_vector_count() const { return support_vectors_.defined() ? support_vectors_.size(0) : 0; }

  // State, for checkpoints: trained classes (ascending, the order of the SV groups), SVs per
  // trained class, support vectors [l, d], coefficients [k-1, l], rho [k(k-1)/2] (float64).
  struct State {
    int classes = 0, dims = 0;
    double c = 0, gamma = 0;
    std::vector<int64_t> trained_classes, sv_counts;
    torch::Tensor support_vectors, coefficients, rho;
  };
  State state() const;
  // Checks the state's consistency (throws std::invalid_argument on any mismatch).
  static SvmModel restore(const State& state);

 private:
  int classes_ = 0, dims_ = 0;
  double c_ = 0, gamma_ = 0;
  std::vector<int64_t> trained_classes_, sv_counts_, sv_start_;
  torch::Tensor support_vectors_, coefficients_, rho_;
};

}  // namespace hsi
