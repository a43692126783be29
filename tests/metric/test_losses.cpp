// Every loss against a naive loop on random float64 inputs, its gradient against central
// finite differences, and the sanity properties the method relies on.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>
#include <functional>

#include "common/error.hpp"
#include "metric/losses.hpp"
#include "metric/representation_losses.hpp"

namespace hsi::metric {
namespace {

using Vec = std::vector<std::vector<double>>;

Vec to_vec(const torch::Tensor& t) {
  Vec v(static_cast<size_t>(t.size(0)), std::vector<double>(static_cast<size_t>(t.size(1))));
  for (int64_t i = 0; i < t.size(0); ++i)
    for (int64_t j = 0; j < t.size(1); ++j) v[i][j] = t[i][j].item<double>();
  return v;
}
double sqd(const std::vector<double>& a, const std::vector<double>& b) {
  double s = 0;
  for (size_t k = 0; k < a.size(); ++k) s += (a[k] - b[k]) * (a[k] - b[k]);
  return s;
}
double dist(const std::vector<double>& a, const std::vector<double>& b) { return std::sqrt(sqd(a, b) + 1e-12); }

torch::Tensor random_embeddings(int64_t n, int64_t d, uint64_t seed) {
  torch::manual_seed(seed);
  return torch::randn({n, d}, torch::kDouble);
}
torch::Tensor labels_of(std::vector<int64_t> l) { return torch::tensor(l, torch::kLong); }

// Central differences of f at x against autograd.
void expect_gradient_matches(const std::function<torch::Tensor(const torch::Tensor&)>& f, torch::Tensor x, double tol = 1e-6) {
  x = x.clone().set_requires_grad(true);
  const torch::Tensor loss = f(x);
  const torch::Tensor grad = torch::autograd::grad({loss}, {x})[0];
  const double h = 1e-6;
  torch::Tensor flat = x.detach().clone();
  for (int64_t i = 0; i < flat.numel(); ++i) {
    torch::Tensor plus = flat.clone(), minus = flat.clone();
    plus.view(-1)[i] += h;
    minus.view(-1)[i] -= h;
    const double numeric = (f(plus).item<double>() - f(minus).item<double>()) / (2 * h);
    ASSERT_NEAR(grad.view(-1)[i].item<double>(), numeric, tol * std::max(1.0, std::fabs(numeric))) << "element " << i;
  }
}

const std::vector<int64_t> kLabels = {0, 0, 1, 1, 1, 2, 2, 0};

TEST(Losses, SoftmaxCrossEntropyMatchesLoop) {
  const torch::Tensor logits = random_embeddings(8, 3, 1);
  const Vec z = to_vec(logits);
  double ref = 0;
  for (size_t i = 0; i < z.size(); ++i) {
    double m = -1e300, s = 0;
    for (double v : z[i]) m = std::max(m, v);
    for (double v : z[i]) s += std::exp(v - m);
    ref += -(z[i][kLabels[i]] - m - std::log(s));
  }
  EXPECT_NEAR(softmax_cross_entropy(logits, labels_of(kLabels)).item<double>(), ref / z.size(), 1e-12);
  expect_gradient_matches([](const torch::Tensor& x) { return softmax_cross_entropy(x, labels_of(kLabels)); }, logits);
}

TEST(Losses, ContrastiveMatchesLoop) {
  const torch::Tensor x = random_embeddings(8, 4, 2);
  const Vec v = to_vec(x);
  const double m = 2.5;
  double pos = 0, neg = 0;
  int np = 0, nn = 0;
  for (size_t i = 0; i < v.size(); ++i)
    for (size_t j = i + 1; j < v.size(); ++j) {
      if (kLabels[i] == kLabels[j]) {
        pos += sqd(v[i], v[j]);
        ++np;
      } else {
        const double h = std::max(0.0, m - dist(v[i], v[j]));
        neg += h * h;
        ++nn;
      }
    }
  EXPECT_NEAR(contrastive_loss(x, labels_of(kLabels), m, true).item<double>(), pos / np + neg / nn, 1e-10);
  EXPECT_NEAR(contrastive_loss(x, labels_of(kLabels), m, false).item<double>(), (pos + neg) / (np + nn), 1e-10);
  expect_gradient_matches([m](const torch::Tensor& t) { return contrastive_loss(t, labels_of(kLabels), m); }, x);
}

double naive_triplet(const Vec& v, const std::vector<int64_t>& l, double m, const std::string& mining) {
  double sum = 0;
  int count = 0;
  const size_t n = v.size();
  for (size_t a = 0; a < n; ++a) {
    if (mining == "hard") {
      double hp = -1, hn = 1e300;
      for (size_t k = 0; k < n; ++k) {
        if (k == a) continue;
        if (l[k] == l[a]) hp = std::max(hp, sqd(v[a], v[k]));
        else hn = std::min(hn, sqd(v[a], v[k]));
      }
      if (hp >= 0 && hn < 1e300) {
        sum += std::max(0.0, hp - hn + m);
        ++count;
      }
      continue;
    }
    for (size_t p = 0; p < n; ++p) {
      if (p == a || l[p] != l[a]) continue;
      const double dp = sqd(v[a], v[p]);
      if (mining == "all") {
        for (size_t q = 0; q < n; ++q)
          if (l[q] != l[a]) {
            sum += std::max(0.0, dp - sqd(v[a], v[q]) + m);
            ++count;
          }
        continue;
      }
      double semi = 1e300, hardest = 1e300;
      for (size_t q = 0; q < n; ++q) {
        if (l[q] == l[a]) continue;
        const double dn = sqd(v[a], v[q]);
        if (dn > dp && dn < dp + m) semi = std::min(semi, dn);
        hardest = std::min(hardest, dn);
      }
      sum += std::max(0.0, dp - (semi < 1e300 ? semi : hardest) + m);
      ++count;
    }
  }
  return sum / count;
}

TEST(Losses, StructuralMetricLossIsContrastiveInMarginUnits) {
  const torch::Tensor z = random_embeddings(8, 4, 14);
  const Vec v = to_vec(z);
  const double m = 3.0;
  double pos = 0, neg = 0;
  int np = 0, nn = 0;
  for (size_t i = 0; i < v.size(); ++i)
    for (size_t j = i + 1; j < v.size(); ++j) {
      const double d2 = sqd(v[i], v[j]) / (m * m);
      if (kLabels[i] == kLabels[j]) {
        pos += d2;
        ++np;
      } else {
        const double h = std::max(0.0, 1.0 - std::sqrt(d2 + 1e-12));
        neg += h * h;
        ++nn;
      }
    }
  EXPECT_NEAR(structural_metric_loss(z, labels_of(kLabels), m).item<double>(), pos / np + neg / nn, 1e-9);
  expect_gradient_matches([m](const torch::Tensor& t) { return structural_metric_loss(t, labels_of(kLabels), m); }, z);
  // Scale-free: scaling the features and the margin together leaves the loss unchanged.
  EXPECT_NEAR(structural_metric_loss(z * 10, labels_of(kLabels), m * 10).item<double>(),
              structural_metric_loss(z, labels_of(kLabels), m).item<double>(), 1e-6);
}

TEST(Losses, TripletWithEachMinerMatchesLoop) {
  const torch::Tensor x = random_embeddings(8, 3, 3);
  const Vec v = to_vec(x);
  for (const std::string mining : {"all", "hard", "semihard"}) {
    const double m = 1.5;
    EXPECT_NEAR(triplet_loss(x, labels_of(kLabels), m, parse_triplet_mining(mining)).item<double>(), naive_triplet(v, kLabels, m, mining), 1e-10)
        << mining;
    expect_gradient_matches([&](const torch::Tensor& t) { return triplet_loss(t, labels_of(kLabels), m, parse_triplet_mining(mining)); }, x);
  }
}

TEST(Losses, TripletIsZeroWhenEveryMarginHolds) {
  // Classes far apart, points of a class close together.
  torch::Tensor x = torch::zeros({6, 2}, torch::kDouble);
  const std::vector<int64_t> l = {0, 0, 1, 1, 2, 2};
  for (int i = 0; i < 6; ++i) {
    x[i][0] = 100.0 * l[i] + 0.01 * i;
    x[i][1] = -50.0 * l[i];
  }
  for (auto mining : {TripletMining::All, TripletMining::Hard, TripletMining::SemiHard}) {
    EXPECT_EQ(triplet_loss(x, labels_of(l), 1.0, mining).item<double>(), 0.0);
  }
}

TEST(Losses, LiftedStructuredMatchesLoop) {
  const torch::Tensor x = random_embeddings(8, 3, 4);
  const Vec v = to_vec(x);
  const double m = 1.0;
  double sum = 0;
  int pairs = 0;
  for (size_t i = 0; i < v.size(); ++i)
    for (size_t j = i + 1; j < v.size(); ++j) {
      if (kLabels[i] != kLabels[j]) continue;
      double s = 0;
      for (size_t k = 0; k < v.size(); ++k) {
        if (kLabels[k] != kLabels[i]) s += std::exp(m - dist(v[i], v[k]));
        if (kLabels[k] != kLabels[j]) s += std::exp(m - dist(v[j], v[k]));
      }
      const double J = std::log(s) + dist(v[i], v[j]);
      sum += std::pow(std::max(0.0, J), 2);
      ++pairs;
    }
  EXPECT_NEAR(lifted_structured_loss(x, labels_of(kLabels), m).item<double>(), sum / (2.0 * pairs), 1e-10);
  expect_gradient_matches([m](const torch::Tensor& t) { return lifted_structured_loss(t, labels_of(kLabels), m); }, x);
}

TEST(Losses, NtXentMatchesLoop) {
  const torch::Tensor z1 = random_embeddings(4, 3, 5), z2 = random_embeddings(4, 3, 6);
  const double tau = 0.5;
  Vec all = to_vec(torch::cat({z1, z2}));
  for (auto& row : all) {
    double n = 0;
    for (double v : row) n += v * v;
    for (double& v : row) v /= std::sqrt(n);
  }
  double loss = 0;
  const size_t n2 = all.size(), n = n2 / 2;
  for (size_t i = 0; i < n2; ++i) {
    const size_t partner = i < n ? i + n : i - n;
    double denom = 0, pos = 0;
    for (size_t k = 0; k < n2; ++k) {
      if (k == i) continue;
      double dot = 0;
      for (size_t d = 0; d < all[i].size(); ++d) dot += all[i][d] * all[k][d];
      denom += std::exp(dot / tau);
      if (k == partner) pos = dot / tau;
    }
    loss += -(pos - std::log(denom));
  }
  EXPECT_NEAR(nt_xent_loss(z1, z2, tau).item<double>(), loss / n2, 1e-10);
  expect_gradient_matches([&](const torch::Tensor& t) { return nt_xent_loss(t, z2, tau); }, z1);
}

TEST(Losses, PrototypicalMatchesLoop) {
  const torch::Tensor support = random_embeddings(6, 3, 7), query = random_embeddings(4, 3, 8);
  const std::vector<int64_t> sl = {3, 3, 7, 7, 9, 9}, ql = {7, 3, 9, 7};
  const Vec s = to_vec(support), q = to_vec(query);
  const std::vector<int64_t> classes = {3, 7, 9};
  Vec protos(3, std::vector<double>(3, 0.0));
  for (size_t c = 0; c < 3; ++c) {
    int n = 0;
    for (size_t i = 0; i < s.size(); ++i)
      if (sl[i] == classes[c]) {
        for (int d = 0; d < 3; ++d) protos[c][d] += s[i][d];
        ++n;
      }
    for (double& v : protos[c]) v /= n;
  }
  double loss = 0;
  for (size_t i = 0; i < q.size(); ++i) {
    double denom = 0, pos = 0;
    for (size_t c = 0; c < 3; ++c) {
      denom += std::exp(-sqd(q[i], protos[c]));
      if (classes[c] == ql[i]) pos = -sqd(q[i], protos[c]);
    }
    loss += -(pos - std::log(denom));
  }
  EXPECT_NEAR(prototypical_loss(support, labels_of(sl), query, labels_of(ql)).item<double>(), loss / q.size(), 1e-10);
  expect_gradient_matches([&](const torch::Tensor& t) { return prototypical_loss(support, labels_of(sl), t, labels_of(ql)); }, query);
  expect_gradient_matches([&](const torch::Tensor& t) { return prototypical_loss(t, labels_of(sl), query, labels_of(ql)); }, support);
}

TEST(Losses, CenterLossMatchesLoopAndCentresFollowFeatures) {
  const torch::Tensor x = random_embeddings(8, 3, 9);
  CenterLoss center(3, 3, 0.5);
  center.set_centres(random_embeddings(3, 3, 10));
  const Vec v = to_vec(x), c = to_vec(center.centres());
  double ref = 0;
  for (size_t i = 0; i < v.size(); ++i) ref += 0.5 * sqd(v[i], c[kLabels[i]]);
  EXPECT_NEAR(center(x, labels_of(kLabels)).item<double>(), ref / v.size(), 1e-12);
  expect_gradient_matches([&](const torch::Tensor& t) { return center(t, labels_of(kLabels)); }, x);
  const double before = center(x, labels_of(kLabels)).item<double>();
  for (int k = 0; k < 20; ++k) center.update_centres(x, labels_of(kLabels));
  EXPECT_LT(center(x, labels_of(kLabels)).item<double>(), before * 0.5);
}

double naive_log_det(Vec a) {
  // Gaussian elimination with partial pivoting.
  const size_t n = a.size();
  double log_det = 0;
  for (size_t col = 0; col < n; ++col) {
    size_t pivot = col;
    for (size_t r = col + 1; r < n; ++r)
      if (std::fabs(a[r][col]) > std::fabs(a[pivot][col])) pivot = r;
    std::swap(a[col], a[pivot]);
    log_det += std::log(std::fabs(a[col][col]));
    for (size_t r = col + 1; r < n; ++r) {
      const double f = a[r][col] / a[col][col];
      for (size_t k = col; k < n; ++k) a[r][k] -= f * a[col][k];
    }
  }
  return log_det;
}

TEST(DppPrior, LogDetMatchesLoopForBothKernels) {
  const torch::Tensor b = random_embeddings(5, 8, 11);
  const Vec v = to_vec(b);
  const double sigma = 7.0, eps = 1e-6;
  Vec rbf(5, std::vector<double>(5)), cosine(5, std::vector<double>(5));
  for (size_t i = 0; i < 5; ++i)
    for (size_t j = 0; j < 5; ++j) {
      rbf[i][j] = std::exp(-sqd(v[i], v[j]) / sigma) + (i == j ? eps : 0);
      double dot = 0, ni = 0, nj = 0;
      for (size_t d = 0; d < 8; ++d) {
        dot += v[i][d] * v[j][d];
        ni += v[i][d] * v[i][d];
        nj += v[j][d] * v[j][d];
      }
      cosine[i][j] = dot / std::sqrt(ni * nj) + (i == j ? eps : 0);
    }
  EXPECT_NEAR(dpp_log_det(b, DppKernel::Rbf, sigma, eps).item<double>(), naive_log_det(rbf), 1e-9);
  EXPECT_NEAR(dpp_log_det(b, DppKernel::Cosine, sigma, eps).item<double>(), naive_log_det(cosine), 1e-9);
  expect_gradient_matches([&](const torch::Tensor& t) { return dpp_log_det(t, DppKernel::Rbf, sigma, eps); }, b, 1e-5);
  expect_gradient_matches([&](const torch::Tensor& t) { return dpp_log_det(t, DppKernel::Cosine, sigma, eps); }, b, 1e-5);
}

TEST(DppPrior, LogDetRisesWhenFactorsBecomeOrthogonal) {
  // Nearly parallel rows vs the same norms made orthogonal.
  torch::Tensor parallel = torch::ones({4, 4}, torch::kDouble) + 0.05 * random_embeddings(4, 4, 12);
  torch::Tensor orthogonal = torch::eye(4, torch::kDouble) * 2.0;
  for (auto kernel : {DppKernel::Rbf, DppKernel::Cosine}) {
    EXPECT_GT(dpp_log_det(orthogonal, kernel, 1.0).item<double>(), dpp_log_det(parallel, kernel, 1.0).item<double>() + 1.0);
  }
  EXPECT_LT(mean_abs_cosine(orthogonal), 1e-12);
  EXPECT_GT(mean_abs_cosine(parallel), 0.9);
  // Gradient ascent on log det spreads the rows apart.
  torch::Tensor b = parallel.clone().set_requires_grad(true);
  for (int step = 0; step < 50; ++step) {
    const torch::Tensor ld = dpp_log_det(b, DppKernel::Rbf, 1.0);
    const torch::Tensor g = torch::autograd::grad({ld}, {b})[0];
    b = (b + 0.05 * g).detach().set_requires_grad(true);
  }
  EXPECT_LT(mean_abs_cosine(b), mean_abs_cosine(parallel));
}

TEST(DppPrior, MedianDistance) {
  const torch::Tensor b = torch::tensor({0.0, 1.0, 3.0}, torch::kDouble).unsqueeze(1);
  EXPECT_DOUBLE_EQ(median_sq_distance(b), 4.0);  // squared distances 1, 9, 4
}

TEST(Losses, OneInterfaceOverTheBatchLosses) {
  const torch::Tensor x = random_embeddings(8, 3, 13);
  for (const std::string name : {"contrastive", "lifted", "structural", "triplet-all", "triplet-hard", "triplet-semihard"}) {
    auto loss = make_loss(name, 1.0);
    EXPECT_EQ(loss->name(), name);
    EXPECT_TRUE(std::isfinite((*loss)(x, labels_of(kLabels)).item<double>()));
  }
  EXPECT_THROW(make_loss("nope", 1.0), Error);
}

}  // namespace
}  // namespace hsi::metric
