#include "metric/losses.hpp"

#include "common/error.hpp"
#include "metric/loss_names.hpp"

#include <algorithm>
#include <functional>
#include <limits>
#include <stdexcept>
#include <vector>

namespace hsi::metric {
namespace {

constexpr double kDistEps = 1e-12;

torch::Tensor euclidean(const torch::Tensor& sq) { return torch::sqrt(sq + kDistEps); }

// Rows scaled to unit length, as torch.nn.functional.normalize (eps 1e-12) does.
torch::Tensor row_normalize(const torch::Tensor& x) { return x / x.norm(2, {1}, /*keepdim=*/true).clamp_min(1e-12); }

torch::Tensor same_label_matrix(const torch::Tensor& labels) { return labels.unsqueeze(0) == labels.unsqueeze(1); }

torch::Tensor index_tensor(const std::vector<int64_t>& v) {
  return torch::from_blob(const_cast<int64_t*>(v.data()), {static_cast<int64_t>(v.size())}, torch::kLong).clone();
}

}  // namespace

torch::Tensor pairwise_sq_dist(const torch::Tensor& x) {
  // Direct differences rather than the |a|^2 + |b|^2 - 2ab expansion: exact zeros on the
  // diagonal and no cancellation for close points (batches are small).
  const torch::Tensor diff = x.unsqueeze(1) - x.unsqueeze(0);
  return diff.pow(2).sum(-1);
}

Pairs all_pairs(const torch::Tensor& labels) {
  const auto lab = labels.to(torch::kLong).contiguous();
  const int64_t n = lab.size(0);
  const int64_t* l = lab.data_ptr<int64_t>();
  std::vector<int64_t> pi, pj, ni, nj;
  for (int64_t i = 0; i < n; ++i) {
    for (int64_t j = i + 1; j < n; ++j) {
      if (l[i] == l[j]) {
        pi.push_back(i);
        pj.push_back(j);
      } else {
        ni.push_back(i);
        nj.push_back(j);
      }
    }
  }
  return {index_tensor(pi), index_tensor(pj), index_tensor(ni), index_tensor(nj)};
}

TripletMining parse_triplet_mining(const std::string& name) {
  if (name == "all") return TripletMining::All;
  if (name == "hard") return TripletMining::Hard;
  if (name == "semihard" || name == "semi-hard") return TripletMining::SemiHard;
  throw Error(ErrorKind::Usage, "unknown triplet mining '" + name + "' (all | hard | semihard)");
}

Triplets mine_triplets(const torch::Tensor& sq_dist, const torch::Tensor& labels, TripletMining mining, double margin) {
  const auto d = sq_dist.detach().to(torch::kDouble).contiguous();
  const auto lab = labels.to(torch::kLong).contiguous();
  const int64_t n = lab.size(0);
  const double* D = d.data_ptr<double>();
  const int64_t* l = lab.data_ptr<int64_t>();
  std::vector<int64_t> A, P, N;
  auto push = [&](int64_t a, int64_t p, int64_t q) {
    A.push_back(a);
    P.push_back(p);
    N.push_back(q);
  };
  for (int64_t a = 0; a < n; ++a) {
    if (mining == TripletMining::Hard) {
      int64_t hp = -1, hn = -1;
      for (int64_t k = 0; k < n; ++k) {
        if (k == a) continue;
        if (l[k] == l[a] && (hp < 0 || D[a * n + k] > D[a * n + hp])) hp = k;
        if (l[k] != l[a] && (hn < 0 || D[a * n + k] < D[a * n + hn])) hn = k;
      }
      if (hp >= 0 && hn >= 0) push(a, hp, hn);
      continue;
    }
    for (int64_t p = 0; p < n; ++p) {
      if (p == a || l[p] != l[a]) continue;
      if (mining == TripletMining::All) {
        for (int64_t q = 0; q < n; ++q) {
          if (l[q] != l[a]) push(a, p, q);
        }
        continue;
      }
      // Semi-hard (FaceNet): the closest negative farther than the positive but inside the
      // margin; without one, the hardest (closest) negative.
      int64_t best = -1, hardest = -1;
      for (int64_t q = 0; q < n; ++q) {
        if (l[q] == l[a]) continue;
        const double dn = D[a * n + q], dp = D[a * n + p];
        if (dn > dp && dn < dp + margin && (best < 0 || dn < D[a * n + best])) best = q;
        if (hardest < 0 || dn < D[a * n + hardest]) hardest = q;
      }
      if (best >= 0) push(a, p, best);
      else if (hardest >= 0) push(a, p, hardest);
    }
  }
  return {index_tensor(A), index_tensor(P), index_tensor(N)};
}

torch::Tensor softmax_cross_entropy(const torch::Tensor& logits, const torch::Tensor& labels) {
  return torch::nn::functional::cross_entropy(logits, labels.to(torch::kLong));
}

torch::Tensor contrastive_loss(const torch::Tensor& x, const torch::Tensor& labels, double margin, bool balanced) {
  const Pairs pairs = all_pairs(labels);
  const torch::Tensor sq = pairwise_sq_dist(x);
  const torch::Tensor pos = sq.index({pairs.positive_i, pairs.positive_j});
  const torch::Tensor neg = torch::relu(margin - euclidean(sq.index({pairs.negative_i, pairs.negative_j}))).pow(2);
  if (!balanced) return torch::cat({pos, neg}).mean();
  torch::Tensor loss = torch::zeros({}, x.options());
  if (pos.numel() > 0) loss = loss + pos.mean();
  if (neg.numel() > 0) loss = loss + neg.mean();
  return loss;
}

torch::Tensor triplet_loss(const torch::Tensor& x, const torch::Tensor& labels, double margin, TripletMining mining) {
  const torch::Tensor sq = pairwise_sq_dist(x);
  const Triplets t = mine_triplets(sq, labels, mining, margin);
  if (t.anchor.numel() == 0) return (x * 0).sum();
  return torch::relu(sq.index({t.anchor, t.positive}) - sq.index({t.anchor, t.negative}) + margin).mean();
}

torch::Tensor lifted_structured_loss(const torch::Tensor& x, const torch::Tensor& labels, double margin) {
  const torch::Tensor D = euclidean(pairwise_sq_dist(x));
  const torch::Tensor negative = ~same_label_matrix(labels);
  // exp(m - D) over each row's negatives, summed with a stable log-sum-exp per positive pair.
  const torch::Tensor masked = (margin - D).masked_fill(~negative, -std::numeric_limits<double>::infinity());
  const Pairs pairs = all_pairs(labels);
  if (pairs.positive_i.numel() == 0) return (x * 0).sum();
  const torch::Tensor both = torch::cat({masked.index_select(0, pairs.positive_i), masked.index_select(0, pairs.positive_j)}, 1);
  const torch::Tensor J = torch::logsumexp(both, 1) + D.index({pairs.positive_i, pairs.positive_j});
  return torch::relu(J).pow(2).sum() / (2.0 * static_cast<double>(pairs.positive_i.numel()));
}

DppKernel parse_dpp_kernel(const std::string& name) {
  if (name == "rbf") return DppKernel::Rbf;
  if (name == "cosine") return DppKernel::Cosine;
  throw Error(ErrorKind::Usage, "unknown DPP kernel '" + name + "' (rbf | cosine)");
}

torch::Tensor dpp_kernel_matrix(const torch::Tensor& b, DppKernel kernel, double sigma) {
  if (kernel == DppKernel::Rbf) return torch::exp(-pairwise_sq_dist(b) / sigma);
  const torch::Tensor n = row_normalize(b);
  return torch::mm(n, n.t());
}

torch::Tensor dpp_log_det(const torch::Tensor& b, DppKernel kernel, double sigma, double eps) {
  // Double precision: K is near-singular exactly when the factors collapse, which is the case
  // the prior must see clearly.
  const torch::Tensor bd = b.to(torch::kDouble);
  const torch::Tensor K = dpp_kernel_matrix(bd, kernel, sigma) + eps * torch::eye(b.size(0), bd.options());
  const torch::Tensor L = torch::linalg::cholesky(K);
  return (2.0 * torch::log(torch::diagonal(L)).sum()).to(b.dtype());
}

double median_sq_distance(const torch::Tensor& b) {
  torch::NoGradGuard no_grad;
  const torch::Tensor d = pairwise_sq_dist(b.detach().to(torch::kDouble));
  const int64_t k = b.size(0);
  std::vector<double> values;
  for (int64_t i = 0; i < k; ++i) {
    for (int64_t j = i + 1; j < k; ++j) values.push_back(d[i][j].item<double>());
  }
  if (values.empty()) return 1.0;
  std::nth_element(values.begin(), values.begin() + values.size() / 2, values.end());
  return std::max(values[values.size() / 2], 1e-12);
}

double mean_abs_cosine(const torch::Tensor& b) {
  torch::NoGradGuard no_grad;
  const int64_t k = b.size(0);
  if (k < 2) return 0.0;
  const torch::Tensor c = dpp_kernel_matrix(b.detach().to(torch::kDouble), DppKernel::Cosine, 1.0).abs();
  return ((c.sum() - c.diagonal().sum()) / static_cast<double>(k * (k - 1))).item<double>();
}

torch::Tensor structural_metric_loss(const torch::Tensor& z, const torch::Tensor& labels, double margin) {
  // Distances in units of the margin: the loss (and its balance against cross-entropy and the
  // DPP term) does not depend on the scale the pretrained features happen to have.
  return contrastive_loss(z / margin, labels, 1.0, /*balanced=*/true);
}

namespace {

class FunctionLoss : public Loss {
 public:
  FunctionLoss(std::string name, std::function<torch::Tensor(const torch::Tensor&, const torch::Tensor&)> f)
      : name_(std::move(name)), f_(std::move(f)) {}
  torch::Tensor operator()(const torch::Tensor& x, const torch::Tensor& labels) override { return f_(x, labels); }
  std::string name() const override { return name_; }

 private:
  std::string name_;
  std::function<torch::Tensor(const torch::Tensor&, const torch::Tensor&)> f_;
};

}  // namespace

const std::vector<std::string>& metric_loss_names() {
  static const std::vector<std::string> names = {"structural", "contrastive", "triplet-all", "triplet-hard", "triplet-semihard", "lifted"};
  return names;
}

std::unique_ptr<Loss> make_loss(const std::string& name, double margin) {
  using T = torch::Tensor;
  if (name == "softmax") return std::make_unique<FunctionLoss>(name, [](const T& x, const T& y) { return softmax_cross_entropy(x, y); });
  if (name == "contrastive") return std::make_unique<FunctionLoss>(name, [margin](const T& x, const T& y) { return contrastive_loss(x, y, margin); });
  if (name == "lifted") return std::make_unique<FunctionLoss>(name, [margin](const T& x, const T& y) { return lifted_structured_loss(x, y, margin); });
  if (name == "structural") return std::make_unique<FunctionLoss>(name, [margin](const T& x, const T& y) { return structural_metric_loss(x, y, margin); });
  if (name.rfind("triplet-", 0) == 0) {
    const TripletMining mining = parse_triplet_mining(name.substr(8));
    return std::make_unique<FunctionLoss>(name, [margin, mining](const T& x, const T& y) { return triplet_loss(x, y, margin, mining); });
  }
  throw Error(ErrorKind::Usage, "unknown loss '" + name + "' (softmax | contrastive | lifted | structural | triplet-all | triplet-hard | triplet-semihard)");
}

}  // namespace hsi::metric
