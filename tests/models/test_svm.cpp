// The SVM baseline: its vectorised one-vs-one rule against LIBSVM's own svm_predict, its state
// round trip, and classes it never saw.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <stdexcept>

#include "models/svm.hpp"

namespace hsi {
namespace {

struct Data {
  std::vector<float> x;
  std::vector<int64_t> y;
};

// Gaussian clouds that overlap, so many points lie near the decision boundaries.
Data clouds(int classes, int per_class, int d, double spread, uint64_t seed) {
  torch::manual_seed(seed);
  const torch::Tensor centres = torch::randn({classes, d});
  Data data;
  for (int c = 0; c < classes; ++c) {
    const torch::Tensor points = (centres[c] + spread * torch::randn({per_class, d})).contiguous();
    data.x.insert(data.x.end(), points.data_ptr<float>(), points.data_ptr<float>() + points.numel());
    for (int i = 0; i < per_class; ++i) data.y.push_back(c);
  }
  return data;
}

std::vector<int64_t> vectorised(const SvmModel& m, const std::vector<float>& x) {
  const torch::Tensor p = m.vote_shares(torch::from_blob(const_cast<float*>(x.data()), {static_cast<int64_t>(x.size()) / m.dims(), m.dims()}))
                              .argmax(1)
                              .contiguous();
  return std::vector<int64_t>(p.data_ptr<int64_t>(), p.data_ptr<int64_t>() + p.numel());
}

TEST(Svm, VectorisedRuleEqualsLibsvmPrediction) {
  for (int classes : {2, 3, 5}) {
    const Data train = clouds(classes, 12, 6, 0.9, 10 + classes);
    const SvmModel m = SvmModel::train(train.x.data(), static_cast<int64_t>(train.y.size()), 6, train.y, classes, 10.0, 0.2);
    EXPECT_GT(m.support_vector_count(), 0);
    const Data test = clouds(classes, 200, 6, 1.2, 10 + classes);  // same centres, wider
    const std::vector<int64_t> ours = vectorised(m, test.x), theirs = m.predict_with_libsvm(test.x.data(), static_cast<int64_t>(test.y.size()));
    EXPECT_EQ(ours, theirs) << classes << " classes";
    int64_t hit = 0;
    for (size_t i = 0; i < ours.size(); ++i) hit += ours[i] == test.y[i];
    EXPECT_GT(static_cast<double>(hit) / ours.size(), 1.0 / classes + 0.2) << "better than chance";
  }
}

TEST(Svm, VoteSharesAreTheShareOfContestsWon) {
  const Data train = clouds(4, 10, 5, 0.3, 3);
  const SvmModel m = SvmModel::train(train.x.data(), 40, 5, train.y, 4, 10.0, 0.2);
  const torch::Tensor shares = m.vote_shares(torch::from_blob(const_cast<float*>(train.x.data()), {40, 5}));
  // Each sample takes part in 6 contests, each class in 3: shares sum to 6/3 = 2.
  EXPECT_TRUE(torch::allclose(shares.sum(1), torch::full({40}, 2.0f)));
  // Every share is a whole number of contests out of 3.
  EXPECT_TRUE(torch::allclose(shares * 3, (shares * 3).round(), 0, 1e-5));
  EXPECT_TRUE(torch::equal(shares.argmax(1), torch::tensor(m.predict_with_libsvm(train.x.data(), 40))));
}

TEST(Svm, StateRoundTripPredictsTheSameAndBadStatesAreRefused) {
  const Data train = clouds(3, 8, 4, 0.8, 5);
  const SvmModel m = SvmModel::train(train.x.data(), 24, 4, train.y, 3, 1.0, 0.5);
  const SvmModel back = SvmModel::restore(m.state());
  const Data test = clouds(3, 50, 4, 1.0, 5);
  EXPECT_EQ(vectorised(m, test.x), vectorised(back, test.x));
  SvmModel::State bad = m.state();
  bad.rho = torch::zeros({7}, torch::kDouble);
  EXPECT_THROW(SvmModel::restore(bad), std::invalid_argument);
  bad = m.state();
  bad.sv_counts.back() += 1;
  EXPECT_THROW(SvmModel::restore(bad), std::invalid_argument);
  bad = m.state();
  bad.trained_classes = {0, 1, 7};
  EXPECT_THROW(SvmModel::restore(bad), std::invalid_argument);
}

TEST(Svm, ClassesWithoutTrainingSamplesAreNeverPredicted) {
  Data train = clouds(3, 10, 4, 0.5, 8);
  for (auto& y : train.y) y = y == 1 ? 3 : y;  // classes 0, 2, 3 of 5
  const SvmModel m = SvmModel::train(train.x.data(), 30, 4, train.y, 5, 10.0, 0.3);
  const Data test = clouds(3, 60, 4, 1.0, 8);
  for (int64_t p : vectorised(m, test.x)) EXPECT_TRUE(p == 0 || p == 2 || p == 3) << p;
  // One class only: every sample is that class.
  std::vector<int64_t> one(10, 2);
  const SvmModel single = SvmModel::train(train.x.data(), 10, 4, one, 5, 1.0, 0.3);
  for (int64_t p : vectorised(single, test.x)) EXPECT_EQ(p, 2);
}

}  // namespace
}  // namespace hsi
