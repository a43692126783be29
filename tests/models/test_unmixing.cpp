// The linear unmixing classifier on mixtures whose right answer is known.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <stdexcept>

#include "models/unmixing.hpp"

namespace hsi {
namespace {

// Pixels x = s * (E^T a): a dominant endmember (abundance 0.6-0.9, the rest shared out at
// random) scaled by a shading factor s in [0.3, 1.2]. Labels: the dominant endmember.
struct Mixtures {
  torch::Tensor endmembers, pixels, abundances;
  std::vector<int64_t> labels;
};

Mixtures mixtures(int64_t n, int classes, int bands, uint64_t seed) {
  torch::manual_seed(seed);
  Mixtures m;
  m.endmembers = torch::rand({classes, bands}) + 0.1;
  m.abundances = torch::zeros({n, classes});
  for (int64_t i = 0; i < n; ++i) {
    const int64_t c = i % classes;
    const float dominant = 0.6f + 0.3f * torch::rand({1}).item<float>();
    torch::Tensor rest = torch::rand({classes});
    rest[c] = 0;
    m.abundances[i] = rest / rest.sum() * (1 - dominant);
    m.abundances[i][c] = dominant;
    m.labels.push_back(c);
  }
  const torch::Tensor shading = 0.3 + 0.9 * torch::rand({n, 1});
  m.pixels = (shading * m.abundances.matmul(m.endmembers)).contiguous();
  return m;
}

std::vector<float> zeros(int d) { return std::vector<float>(static_cast<size_t>(d), 0.0f); }

TEST(Unmixing, RecoversTheDominantEndmemberOfShadedMixtures) {
  const int classes = 4, bands = 20;
  const Mixtures m = mixtures(400, classes, bands, 1);
  // Training pixels: three nearly pure pixels of each class (the endmember, brightness varied).
  torch::Tensor train = torch::zeros({3 * classes, bands});
  std::vector<int64_t> targets;
  for (int c = 0; c < classes; ++c)
    for (int k = 0; k < 3; ++k) {
      train[3 * c + k] = m.endmembers[c] * (0.9 + 0.1 * k);
      targets.push_back(c);
    }
  train = train.contiguous();
  const UnmixingModel model = UnmixingModel::fit(train.data_ptr<float>(), train.size(0), bands, targets, classes, zeros(bands));
  const std::vector<int64_t> predicted = model.predict(m.pixels.data_ptr<float>(), m.pixels.size(0));
  EXPECT_EQ(predicted, m.labels);
  // The abundances are the mixture's, up to the training pixels' mean brightness (1.0) and the
  // pixel's shading.
  const torch::Tensor a = model.abundances(m.pixels);
  const torch::Tensor shading = m.pixels.sum(1, true) / m.abundances.matmul(m.endmembers).sum(1, true);
  EXPECT_TRUE(torch::allclose(a, shading * m.abundances, 1e-3, 1e-4)) << (a - shading * m.abundances).abs().max().item<float>();
  // Nearest class mean, the rule a metric classifier applies, mistakes dark pixels of one class
  // for another: the test scene is one where the mixture model matters.
  const torch::Tensor means = torch::stack({train.narrow(0, 0, 3).mean(0), train.narrow(0, 3, 3).mean(0), train.narrow(0, 6, 3).mean(0),
                                            train.narrow(0, 9, 3).mean(0)});
  const torch::Tensor nearest = torch::cdist(m.pixels, means).argmin(1);
  EXPECT_LT((nearest == torch::tensor(m.labels)).to(torch::kFloat).mean().item<float>(), 0.98);
}

// Standardisation and a projection map x to P^T D (x - mu): the same abundances come out of the
// transformed spectra when the transformed zero spectrum is the origin.
TEST(Unmixing, AnAffinePreprocessingChangesNothing) {
  const int classes = 3, bands = 16, components = 8;
  const Mixtures m = mixtures(200, classes, bands, 2);
  const torch::Tensor mu = torch::rand({bands}), scale = 0.5 + torch::rand({bands});
  const torch::Tensor basis = std::get<0>(torch::linalg::qr(torch::randn({bands, components})));
  const auto transform = [&](const torch::Tensor& x) { return ((x - mu) * scale).matmul(basis).contiguous(); };
  const torch::Tensor train = m.pixels.narrow(0, 0, 30).contiguous();
  const std::vector<int64_t> targets(m.labels.begin(), m.labels.begin() + 30);
  const UnmixingModel raw = UnmixingModel::fit(train.data_ptr<float>(), 30, bands, targets, classes, zeros(bands));
  const torch::Tensor origin_t = transform(torch::zeros({1, bands})).reshape({-1});
  const std::vector<float> origin(origin_t.data_ptr<float>(), origin_t.data_ptr<float>() + components);
  const torch::Tensor train_t = transform(train);
  const UnmixingModel transformed = UnmixingModel::fit(train_t.data_ptr<float>(), 30, components, targets, classes, origin);
  EXPECT_TRUE(torch::allclose(transformed.abundances(transform(m.pixels)), raw.abundances(m.pixels), 1e-3, 1e-3));
  // Without the origin (spectra taken as they are) the relation is lost.
  const UnmixingModel no_origin = UnmixingModel::fit(train_t.data_ptr<float>(), 30, components, targets, classes, zeros(components));
  EXPECT_FALSE(torch::allclose(no_origin.abundances(transform(m.pixels)), raw.abundances(m.pixels), 1e-2, 1e-2));
}

TEST(Unmixing, UntrainedClassesAreNeverPredictedAndSharesReadAsConfidence) {
  const int bands = 10;
  const Mixtures m = mixtures(60, 3, bands, 3);
  // Classes 0 and 2 of a 4-class table trained; 1 and 3 have no pixel.
  std::vector<int64_t> targets;
  std::vector<torch::Tensor> rows;
  for (int64_t i = 0; i < 60; ++i)
    if (m.labels[i] != 1) {
      rows.push_back(m.pixels[i]);
      targets.push_back(m.labels[i]);
    }
  const torch::Tensor train = torch::stack(rows).contiguous();
  const UnmixingModel model = UnmixingModel::fit(train.data_ptr<float>(), train.size(0), bands, targets, 4, zeros(bands));
  EXPECT_EQ(model.trained_class_count(), 2);
  const torch::Tensor x = torch::randn({50, bands});
  const torch::Tensor a = model.abundances(x), s = model.shares(x);
  EXPECT_EQ(a.size(1), 4);
  for (int64_t c : {1, 3}) EXPECT_FALSE((a.argmax(1) == c).any().item<bool>());
  EXPECT_TRUE(torch::equal(a.argmax(1), s.argmax(1)));
  EXPECT_TRUE(torch::allclose(s.sum(1), torch::ones({50})));
  EXPECT_TRUE((s >= 0).all().item<bool>());
}

TEST(Unmixing, StateRoundTripsAndInconsistentStatesAreRefused) {
  const Mixtures m = mixtures(30, 3, 8, 4);
  const UnmixingModel model = UnmixingModel::fit(m.pixels.data_ptr<float>(), 30, 8, m.labels, 3, zeros(8));
  const UnmixingModel back = UnmixingModel::restore(model.state());
  EXPECT_TRUE(torch::equal(back.abundances(m.pixels), model.abundances(m.pixels)));
  UnmixingModel::State bad = model.state();
  bad.endmembers = bad.endmembers.narrow(1, 0, 7);
  EXPECT_THROW(UnmixingModel::restore(bad), std::invalid_argument);
  bad = model.state();
  bad.trained_classes = {0, 2, 1};
  EXPECT_THROW(UnmixingModel::restore(bad), std::invalid_argument);
  bad = model.state();
  bad.origin[0] = std::numeric_limits<float>::quiet_NaN();
  EXPECT_THROW(UnmixingModel::restore(bad), std::invalid_argument);
}

}  // namespace
}  // namespace hsi
