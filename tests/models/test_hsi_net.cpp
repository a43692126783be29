#include <gtest/gtest.h>
#include <torch/torch.h>

#include "models/hsi_net.hpp"

namespace hsi {
namespace {

NetOptions options(const std::string& name, int bands, int patch) {
  NetOptions o;
  o.name = name;
  o.in_bands = bands;
  o.patch = patch;
  o.width = 8;
  o.embedding = 16;
  o.metric_dim = 6;
  o.classes = 5;
  return o;
}

torch::Tensor input_for(const NetOptions& o, int64_t n) {
  if (o.form() == "1d") return torch::randn({n, o.in_bands});
  if (o.form() == "2d") return torch::randn({n, o.in_bands, o.patch, o.patch});
  return torch::randn({n, 1, o.in_bands, o.patch, o.patch});
}

class AllModels : public ::testing::TestWithParam<std::string> {};

TEST_P(AllModels, ShapesParametersAndMacs) {
  torch::manual_seed(0);
  for (int patch : {1, 3, 5, 9, 11}) {
    const NetOptions o = options(GetParam(), 12, patch);
    HsiNet net(o);
    net->eval();
    const torch::Tensor x = input_for(o, 3);
    EXPECT_EQ(net->embed(x).sizes(), (std::vector<int64_t>{3, 16}));
    EXPECT_EQ(net->forward(x).sizes(), (std::vector<int64_t>{3, 5}));
    EXPECT_EQ(net->metric_factor().sizes(), (std::vector<int64_t>{6, 16}));
    EXPECT_GT(net->parameter_count(), 0);
    EXPECT_GT(net->macs_per_sample(), 0);
    if (o.form() == "1d") break;
  }
}

TEST_P(AllModels, MultiscaleAndSingleScaleDiffer) {
  const std::string name = GetParam();
  const NetOptions o = options(name, 12, 9);
  HsiNet net(o);
  const std::string description = net->describe();
  EXPECT_NE(description.find(o.multiscale() ? "multiscale" : "single-scale"), std::string::npos);
}

INSTANTIATE_TEST_SUITE_P(Models, AllModels, ::testing::Values("ms1d", "cnn1d", "ms2d", "cnn2d", "ms3d", "cnn3d"));

TEST(HsiNet, Ms2dMacCountMatchesHandCount) {
  // ms2d, 12 bands, 9x9, w = 8: stem 12*16*81; block1 {1,3,5} 16->8 each at 5x5; block2 {1,3}
  // 24->8 each at 3x3; head 16->16 at 3x3; B 16x6; classifier 6x5.
  const NetOptions o = options("ms2d", 12, 9);
  HsiNet net(o);
  const int64_t expected = 12 * 16 * 81 + 16 * 8 * (1 + 9 + 25) * 25 + 24 * 8 * (1 + 9) * 9 + 16 * 16 * 9 + 16 * 6 + 6 * 5;
  EXPECT_EQ(net->macs_per_sample(), expected);
}

class DenseModels : public ::testing::TestWithParam<std::string> {};

TEST_P(DenseModels, DenseTileEqualsPatchwiseEmbeddings) {
  torch::manual_seed(1);
  const NetOptions o = options(GetParam(), 10, 7);
  HsiNet net(o);
  // Give BatchNorm non-trivial running statistics, then switch to inference.
  net->train();
  {
    torch::NoGradGuard g;
    for (int i = 0; i < 3; ++i) net->forward(input_for(o, 8) * 2 + 1);
  }
  net->eval();
  torch::NoGradGuard g;
  const int64_t H = 6, W = 5, r = o.patch / 2;
  const torch::Tensor tile = torch::randn({1, 10, H + 2 * r, W + 2 * r});
  const bool three_d = o.form() == "3d";
  const torch::Tensor dense = net->embed_dense(three_d ? tile.unsqueeze(1) : tile);
  ASSERT_EQ(dense.sizes(), (std::vector<int64_t>{H * W, 16}));
  std::vector<torch::Tensor> patches;
  for (int64_t y = 0; y < H; ++y)
    for (int64_t x = 0; x < W; ++x) patches.push_back(tile[0].narrow(1, y, o.patch).narrow(2, x, o.patch));
  torch::Tensor batch = torch::stack(patches);
  if (three_d) batch = batch.unsqueeze(1);
  const torch::Tensor patchwise = net->embed(batch);
  EXPECT_TRUE(torch::allclose(dense, patchwise, 1e-4, 1e-5)) << (dense - patchwise).abs().max().item<float>();
}

INSTANTIATE_TEST_SUITE_P(Windows, DenseModels, ::testing::Values("ms2d", "cnn2d", "ms3d", "cnn3d"));

}  // namespace
}  // namespace hsi
