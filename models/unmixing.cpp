#include "models/unmixing.hpp"

#include <limits>
#include <stdexcept>
#include <string>

namespace hsi {

namespace {

// Adds n pixels (features [n, d], targets in [0, classes)) to per-class sums [classes, d]
// (float64) and counts.
void add_pixels(const float* features, int64_t n, int d, const std::vector<int64_t>& targets, torch::Tensor& sums, std::vector<int64_t>& counts) {
  if (static_cast<int64_t>(targets.size()) != n) throw std::invalid_argument("unmixing: sizes disagree");
  for (int64_t t : targets) {
    if (t < 0 || t >= static_cast<int64_t>(counts.size())) throw std::invalid_argument("unmixing: target out of range");
    ++counts[static_cast<size_t>(t)];
  }
  if (n == 0) return;
  const torch::Tensor x = torch::from_blob(const_cast<float*>(features), {n, d}, torch::kFloat32).to(torch::kFloat64);
  sums.index_add_(0, torch::tensor(targets, torch::kLong), x);
}

// The state whose endmembers are the class means of those sums (classes without a pixel left out).
UnmixingModel::State state_of_sums(const torch::Tensor& sums, const std::vector<int64_t>& counts, int dims, const torch::Tensor& origin) {
  UnmixingModel::State st;
  st.classes = static_cast<int>(counts.size());
  st.dims = dims;
  std::vector<torch::Tensor> means;
  for (int64_t c = 0; c < static_cast<int64_t>(counts.size()); ++c) {
    if (counts[static_cast<size_t>(c)] == 0) continue;
    st.trained_classes.push_back(c);
    st.counts.push_back(counts[static_cast<size_t>(c)]);
    means.push_back(sums[c] / static_cast<double>(counts[static_cast<size_t>(c)]));
  }
  if (means.empty()) throw std::invalid_argument("unmixing: no training pixel");
  st.endmembers = torch::stack(means).to(torch::kFloat32);
  st.origin = origin;
  return st;
}

}  // namespace

UnmixingModel UnmixingModel::fit(const float* features, int64_t n, int d, const std::vector<int64_t>& targets, int classes,
                                 const std::vector<float>& origin) {
  if (static_cast<int>(origin.size()) != d) throw std::invalid_argument("unmixing: origin and band count disagree");
  torch::Tensor sums = torch::zeros({classes, d}, torch::kFloat64);
  std::vector<int64_t> counts(static_cast<size_t>(classes), 0);
  add_pixels(features, n, d, targets, sums, counts);
  return restore(state_of_sums(sums, counts, d, torch::tensor(origin, torch::kFloat32)));
}

UnmixingModel UnmixingModel::restore(const State& st) {
  const int64_t k = static_cast<int64_t>(st.trained_classes.size());
  if (st.classes <= 0 || st.dims <= 0 || k == 0 || k > st.classes) throw std::invalid_argument("unmixing: bad class or band count");
  if (static_cast<int64_t>(st.counts.size()) != k) throw std::invalid_argument("unmixing: pixel counts disagree with the trained classes");
  for (int64_t i = 0; i < k; ++i) {
    if (st.counts[i] <= 0) throw std::invalid_argument("unmixing: an endmember without pixels");
    if (st.trained_classes[i] < 0 || st.trained_classes[i] >= st.classes || (i > 0 && st.trained_classes[i] <= st.trained_classes[i - 1]))
      throw std::invalid_argument("unmixing: trained classes out of order");
  }
  if (!st.endmembers.defined() || st.endmembers.dim() != 2 || st.endmembers.size(0) != k || st.endmembers.size(1) != st.dims ||
      !st.origin.defined() || st.origin.dim() != 1 || st.origin.size(0) != st.dims || !torch::isfinite(st.endmembers).all().item<bool>() ||
      !torch::isfinite(st.origin).all().item<bool>())
    throw std::invalid_argument("unmixing: endmembers and origin disagree with the band count");
  UnmixingModel m;
  m.classes_ = st.classes;
  m.dims_ = st.dims;
  m.trained_classes_ = st.trained_classes;
  m.counts_ = st.counts;
  m.endmembers_ = st.endmembers.to(torch::kFloat32).contiguous();
  m.origin_ = st.origin.to(torch::kFloat32).contiguous();
  // Least squares x - o = M^T a over the shifted endmembers M [k, d]: a = (x - o) pinv(M^T)^T.
  // The pseudo-inverse (in double) also copes with endmembers that are linearly dependent.
  const torch::Tensor shifted = (m.endmembers_ - m.origin_.unsqueeze(0)).to(torch::kFloat64);
  m.unmixing_ = torch::linalg::pinv(shifted.t()).t().to(torch::kFloat32).contiguous();  // [d, k]
  m.trained_index_ = torch::tensor(st.trained_classes, torch::kLong);
  return m;
}

torch::Tensor UnmixingModel::abundances(const torch::Tensor& x) const {
  const torch::Tensor a = torch::matmul(x.to(torch::kFloat32) - origin_, unmixing_);  // [N, k]
  if (static_cast<int>(trained_classes_.size()) == classes_) return a;
  torch::Tensor out = torch::full({x.size(0), classes_}, std::numeric_limits<float>::lowest());
  out.index_copy_(1, trained_index_, a);
  return out;
}

torch::Tensor UnmixingModel::shares(const torch::Tensor& x) const {
  const torch::Tensor a = abundances(x);
  const torch::Tensor positive = a.clamp_min(0);
  const torch::Tensor total = positive.sum(1, true);
  return torch::where(total > 0, positive / total.clamp_min(std::numeric_limits<float>::min()), torch::softmax(a, 1));
}

std::vector<int64_t> UnmixingModel::predict(const float* features, int64_t n) const {
  if (n == 0) return {};
  const torch::Tensor x = torch::from_blob(const_cast<float*>(features), {n, dims_}, torch::kFloat32);
  const torch::Tensor best = abundances(x).argmax(1).contiguous();
  return std::vector<int64_t>(best.data_ptr<int64_t>(), best.data_ptr<int64_t>() + n);
}

UnmixingModel UnmixingModel::with_pixels(const float* features, int64_t n, const std::vector<int64_t>& targets, int classes,
                                         const std::vector<int64_t>& carried) const {
  if (static_cast<int>(carried.size()) != classes_) throw std::invalid_argument("unmixing: every class needs its new index");
  // The old endmembers weighted by the pixels behind them, then the new pixels.
  torch::Tensor sums = torch::zeros({classes, dims_}, torch::kFloat64);
  std::vector<int64_t> counts(static_cast<size_t>(classes), 0);
  for (size_t i = 0; i < trained_classes_.size(); ++i) {
    const int64_t to = carried[static_cast<size_t>(trained_classes_[i])];
    if (to < 0 || to >= classes) throw std::invalid_argument("unmixing: new class index out of range");
    sums[to] += endmembers_[static_cast<int64_t>(i)].to(torch::kFloat64) * static_cast<double>(counts_[i]);
    counts[static_cast<size_t>(to)] += counts_[i];
  }
  add_pixels(features, n, dims_, targets, sums, counts);
  return restore(state_of_sums(sums, counts, dims_, origin_.clone()));
}

UnmixingModel::State UnmixingModel::state() const {
  State st;
  st.classes = classes_;
  st.dims = dims_;
  st.trained_classes = trained_classes_;
  st.counts = counts_;
  st.endmembers = endmembers_.clone();
  st.origin = origin_.clone();
  return st;
}

}  // namespace hsi
