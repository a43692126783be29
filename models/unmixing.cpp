#include "models/unmixing.hpp"

#include <limits>
#include <stdexcept>
#include <string>

namespace hsi {

UnmixingModel UnmixingModel::fit(const float* features, int64_t n, int d, const std::vector<int64_t>& targets, int classes,
                                 const std::vector<float>& origin) {
  if (static_cast<int64_t>(targets.size()) != n || static_cast<int>(origin.size()) != d) throw std::invalid_argument("unmixing: sizes disagree");
  const torch::Tensor x = torch::from_blob(const_cast<float*>(features), {n, d}, torch::kFloat32).to(torch::kFloat64);
  std::vector<int64_t> counts(static_cast<size_t>(classes), 0);
  for (int64_t t : targets) {
    if (t < 0 || t >= classes) throw std::invalid_argument("unmixing: target out of range");
    ++counts[static_cast<size_t>(t)];
  }
  const torch::Tensor sums = torch::zeros({classes, d}, torch::kFloat64).index_add_(0, torch::tensor(targets, torch::kLong), x);
  State st;
  st.classes = classes;
  st.dims = d;
  std::vector<torch::Tensor> means;
  for (int c = 0; c < classes; ++c) {
    if (counts[static_cast<size_t>(c)] == 0) continue;
    st.trained_classes.push_back(c);
    means.push_back(sums[c] / static_cast<double>(counts[static_cast<size_t>(c)]));
  }
  if (means.empty()) throw std::invalid_argument("unmixing: no training pixel");
  st.endmembers = torch::stack(means).to(torch::kFloat32);
  st.origin = torch::tensor(origin, torch::kFloat32);
  return restore(st);
}

UnmixingModel UnmixingModel::restore(const State& st) {
  const int64_t k = static_cast<int64_t>(st.trained_classes.size());
  if (st.classes <= 0 || st.dims <= 0 || k == 0 || k > st.classes) throw std::invalid_argument("unmixing: bad class or band count");
  for (int64_t i = 0; i < k; ++i) {
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

UnmixingModel::State UnmixingModel::state() const {
  State st;
  st.classes = classes_;
  st.dims = dims_;
  st.trained_classes = trained_classes_;
  st.endmembers = endmembers_.clone();
  st.origin = origin_.clone();
  return st;
}

}  // namespace hsi
