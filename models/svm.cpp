#include "models/svm.hpp"

#include <libsvm/svm.h>

#include <algorithm>
#include <numeric>
#include <stdexcept>

namespace hsi {
namespace {

void quiet(const char*) {}

// Dense samples as LIBSVM's sparse nodes: d indexed values and the terminator, per sample.
std::vector<svm_node> to_nodes(const float* features, int64_t n, int d) {
  std::vector<svm_node> nodes(static_cast<size_t>(n * (d + 1)));
  for (int64_t i = 0; i < n; ++i) {
    svm_node* row = nodes.data() + i * (d + 1);
    for (int j = 0; j < d; ++j) row[j] = {j + 1, static_cast<double>(features[i * d + j])};
    row[d] = {-1, 0.0};
  }
  return nodes;
}

}  // namespace

SvmModel SvmModel::train(const float* features, int64_t n, int d, const std::vector<int64_t>& targets, int classes, double c, double gamma) {
  if (n < 1 || d < 1 || static_cast<int64_t>(targets.size()) != n) throw std::invalid_argument("SVM training needs samples with targets");
  svm_set_print_string_function(&quiet);
  // Samples sorted by class, so LIBSVM's class order (order of first appearance) is ascending.
  std::vector<int64_t> order(static_cast<size_t>(n));
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](int64_t a, int64_t b) { return targets[a] < targets[b]; });
  std::vector<float> sorted(static_cast<size_t>(n * d));
  std::vector<double> labels(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) {
    std::copy(features + order[i] * d, features + (order[i] + 1) * d, sorted.begin() + i * d);
    labels[i] = static_cast<double>(targets[order[i]]);
  }
  std::vector<svm_node> nodes = to_nodes(sorted.data(), n, d);
  std::vector<svm_node*> rows(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) rows[i] = nodes.data() + i * (d + 1);
  svm_problem problem{static_cast<int>(n), labels.data(), rows.data()};
  svm_parameter p{};
  p.svm_type = C_SVC;
  p.kernel_type = RBF;
  p.gamma = gamma;
  p.C = c;
  p.cache_size = 100;
  p.eps = 1e-3;
  p.shrinking = 1;
  p.probability = 0;
  if (const char* error = svm_check_parameter(&problem, &p)) throw std::invalid_argument(std::string("LIBSVM: ") + error);
  svm_model* m = svm_train(&problem, &p);

  State s;
  s.classes = classes;
  s.dims = d;
  s.c = c;
  s.gamma = gamma;
  const int k = m->nr_class, l = m->l;
  for (int i = 0; i < k; ++i) {
    s.trained_classes.push_back(m->label[i]);
    s.sv_counts.push_back(m->nSV[i]);
  }
  s.support_vectors = torch::empty({l, d}, torch::kDouble);
  s.coefficients = torch::empty({std::max(k - 1, 0), l}, torch::kDouble);
  s.rho = torch::empty({k * (k - 1) / 2}, torch::kDouble);
  double* sv = s.support_vectors.data_ptr<double>();
  for (int i = 0; i < l; ++i)
    for (const svm_node* node = m->SV[i]; node->index != -1; ++node) sv[i * d + node->index - 1] = node->value;
  for (int j = 0; j + 1 < k; ++j) std::copy(m->sv_coef[j], m->sv_coef[j] + l, s.coefficients.data_ptr<double>() + j * l);
  std::copy(m->rho, m->rho + k * (k - 1) / 2, s.rho.data_ptr<double>());
  svm_free_and_destroy_model(&m);  // its SVs point into `nodes`, which outlive it
  return restore(s);
}

SvmModel::State SvmModel::state() const {
  return State{classes_, dims_, c_, gamma_, trained_classes_, sv_counts_, support_vectors_, coefficients_, rho_};
}

SvmModel SvmModel::restore(const State& s) {
  const int64_t k = static_cast<int64_t>(s.trained_classes.size());
  const int64_t l = std::accumulate(s.sv_counts.begin(), s.sv_counts.end(), int64_t{0});
  auto check = [](bool ok, const char* what) {
    if (!ok) throw std::invalid_argument(std::string("SVM state is inconsistent: ") + what);
  };
  check(s.classes >= 1 && s.dims >= 1 && s.gamma > 0 && s.c > 0, "sizes or parameters");
  check(k >= 1 && static_cast<int64_t>(s.sv_counts.size()) == k, "class groups");
  check(std::is_sorted(s.trained_classes.begin(), s.trained_classes.end()) && s.trained_classes.front() >= 0 && s.trained_classes.back() < s.classes,
        "trained classes");
  check(s.support_vectors.defined() && s.support_vectors.dim() == 2 && s.support_vectors.size(0) == l && s.support_vectors.size(1) == s.dims,
        "support vectors");
  check(s.coefficients.defined() && s.coefficients.dim() == 2 && s.coefficients.size(0) == k - 1 && s.coefficients.size(1) == l, "coefficients");
  check(s.rho.defined() && s.rho.numel() == k * (k - 1) / 2, "rho");
  SvmModel m;
  m.classes_ = s.classes;
  m.dims_ = s.dims;
  m.c_ = s.c;
  m.gamma_ = s.gamma;
  m.trained_classes_ = s.trained_classes;
  m.sv_counts_ = s.sv_counts;
  int64_t start = 0;
  for (int64_t count : s.sv_counts) {
    m.sv_start_.push_back(start);
    start += count;
  }
  m.support_vectors_ = s.support_vectors.to(torch::kDouble).contiguous();
  m.coefficients_ = s.coefficients.to(torch::kDouble).contiguous();
  m.rho_ = s.rho.to(torch::kDouble).contiguous();
  return m;
}

torch::Tensor SvmModel::vote_shares(const torch::Tensor& x_in) const {
  const torch::Tensor x = x_in.to(torch::kDouble);
  const int64_t n = x.size(0), k = static_cast<int64_t>(trained_classes_.size());
  torch::Tensor votes = torch::zeros({n, classes_}, torch::kDouble);
  if (k == 1) {
    votes.select(1, trained_classes_[0]).fill_(1.0);
    return votes.to(torch::kFloat);
  }
  // ||x - s||^2 = ||x||^2 + ||s||^2 - 2 x.s, in float64 as LIBSVM computes it.
  const torch::Tensor squared = (x.pow(2).sum(1, true) + support_vectors_.pow(2).sum(1).unsqueeze(0) - 2 * x.matmul(support_vectors_.t()))
                                    .clamp_min(0);
  const torch::Tensor kernel = torch::exp(-gamma_ * squared);  // [n, l]
  int64_t pair = 0;
  for (int64_t i = 0; i < k; ++i)
    for (int64_t j = i + 1; j < k; ++j, ++pair) {
      const torch::Tensor decision = kernel.narrow(1, sv_start_[i], sv_counts_[i]).matmul(coefficients_[j - 1].narrow(0, sv_start_[i], sv_counts_[i])) +
                                     kernel.narrow(1, sv_start_[j], sv_counts_[j]).matmul(coefficients_[i].narrow(0, sv_start_[j], sv_counts_[j])) -
                                     rho_[pair];
      const torch::Tensor first_wins = (decision > 0).to(torch::kDouble);
      votes.select(1, trained_classes_[i]).add_(first_wins);
      votes.select(1, trained_classes_[j]).add_(1.0 - first_wins);
    }
  return (votes / static_cast<double>(k - 1)).to(torch::kFloat);
}

std::vector<int64_t> SvmModel::predict(const float* features, int64_t n) const {
  const torch::Tensor winners = vote_shares(torch::from_blob(const_cast<float*>(features), {n, dims_})).argmax(1).contiguous();
  return std::vector<int64_t>(winners.data_ptr<int64_t>(), winners.data_ptr<int64_t>() + n);
}

std::vector<int64_t> SvmModel::predict_with_libsvm(const float* features, int64_t n) const {
  const int k = static_cast<int>(trained_classes_.size());
  const int l = static_cast<int>(support_vector_count());
  std::vector<float> sv_float(static_cast<size_t>(l) * dims_);
  const double* sv = support_vectors_.data_ptr<double>();
  std::copy(sv, sv + sv_float.size(), sv_float.begin());
  std::vector<svm_node> sv_nodes = to_nodes(sv_float.data(), l, dims_);
  // Support vectors exactly as stored (float64), not rounded through float.
  for (int i = 0; i < l; ++i)
    for (int j = 0; j < dims_; ++j) sv_nodes[static_cast<size_t>(i) * (dims_ + 1) + j].value = sv[i * dims_ + j];
  std::vector<svm_node*> sv_rows(static_cast<size_t>(l));
  for (int i = 0; i < l; ++i) sv_rows[i] = sv_nodes.data() + static_cast<size_t>(i) * (dims_ + 1);
  std::vector<double*> coef_rows(static_cast<size_t>(std::max(k - 1, 1)));
  for (int j = 0; j + 1 < k; ++j) coef_rows[j] = coefficients_.data_ptr<double>() + static_cast<int64_t>(j) * l;
  std::vector<int> labels(trained_classes_.begin(), trained_classes_.end()), counts(sv_counts_.begin(), sv_counts_.end());
  svm_model m{};
  m.param.svm_type = C_SVC;
  m.param.kernel_type = RBF;
  m.param.gamma = gamma_;
  m.nr_class = k;
  m.l = l;
  m.SV = sv_rows.data();
  m.sv_coef = coef_rows.data();
  m.rho = rho_.data_ptr<double>();
  m.label = labels.data();
  m.nSV = counts.data();
  m.free_sv = 0;
  std::vector<svm_node> x = to_nodes(features, n, dims_);
  std::vector<int64_t> out(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) out[i] = static_cast<int64_t>(svm_predict(&m, x.data() + i * (dims_ + 1)));
  return out;
}

}  // namespace hsi
