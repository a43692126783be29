// The network forms: shapes for every window size, MAC counts against hand counts, the
// architecture each name stands for (read from the parameters, not from describe()), stable
// parameter names (checkpoints of earlier versions load), and dense tiles equal to windows.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <algorithm>

#include "models/hsi_net.hpp"
#include "models/layers.hpp"
#include "models/volume_net.hpp"

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

// Every form takes windows of spectra [n, bands, p, p]; spectral models see 1 x 1 windows.
torch::Tensor input_for(const NetOptions& o, int64_t n) { return torch::randn({n, o.in_bands, o.patch_used(), o.patch_used()}); }

std::vector<std::string> parameter_names(HsiNet& net) {
  std::vector<std::string> names;
  for (const auto& p : net->named_parameters()) names.push_back(p.key());
  return names;
}

bool has(const std::vector<std::string>& names, const std::string& name) {
  return std::find(names.begin(), names.end(), name) != names.end();
}

class AllModels : public ::testing::TestWithParam<std::string> {};

TEST_P(AllModels, ShapesParametersAndMacs) {
  torch::manual_seed(0);
  for (int patch : {1, 3, 5, 9, 11}) {
    const NetOptions o = options(GetParam(), 12, patch);
    HsiNet net = make_hsi_net(o);
    net->eval();
    const torch::Tensor x = input_for(o, 3);
    EXPECT_EQ(net->embed(x).sizes(), (std::vector<int64_t>{3, 16}));
    EXPECT_EQ(net->forward(x).sizes(), (std::vector<int64_t>{3, 5}));
    EXPECT_EQ(net->metric_factor().sizes(), (std::vector<int64_t>{6, 16}));
    EXPECT_GT(net->parameter_count(), 0);
    EXPECT_GT(net->macs_per_sample(), 0);
    if (!o.window_model()) break;
  }
}

INSTANTIATE_TEST_SUITE_P(Models, AllModels, ::testing::Values("ms1d", "cnn1d", "ms2d", "cnn2d", "ms3d", "cnn3d", "ms1d2d"));

// What each name stands for, stated independently of the code that builds it: the kernel sizes
// of the first bank (three for multiscale, one for single-scale), under the parameter names
// checkpoints of earlier hsi versions hold.
TEST(HsiNet, EachNameBuildsItsArchitectureUnderStableParameterNames) {
  struct Case {
    std::string name;
    std::vector<std::string> present, absent;
  };
  const std::vector<Case> cases = {
      {"ms1d", {"b0k3.weight", "b0k7.weight", "b0k11.weight", "bn0.weight", "fc.weight", "fc_bn.weight"}, {"stem.weight"}},
      {"cnn1d", {"b0k7.weight", "b2k7.weight", "fc.weight"}, {"b0k3.weight", "b0k11.weight"}},
      {"ms2d",
       {"stem.weight", "block1.branch1.weight", "block1.branch3.weight", "block1.branch5.weight", "block2.branch1.weight", "block2.branch3.weight",
        "head.weight"},
       {"stem3d.weight", "fold.weight"}},
      {"cnn2d", {"stem.weight", "block1.branch3.weight", "block2.branch3.weight", "head.weight"}, {"block1.branch5.weight", "block1.branch1.weight"}},
      {"ms3d", {"stem3d.weight", "bank3d_k1.weight", "bank3d_k3.weight", "bank3d_k5.weight", "fold.weight", "block2.branch3.weight", "head.weight"},
       {"stem.weight", "block1.branch1.weight"}},
      {"cnn3d", {"stem3d.weight", "bank3d_k3.weight", "fold.weight", "block2.branch3.weight"}, {"bank3d_k1.weight", "bank3d_k5.weight"}},
      // Both branches, each without a head of its own: one B and one classifier fuse them.
      {"ms1d2d",
       {"spectral.b0k3.weight", "spectral.b0k7.weight", "spectral.b0k11.weight", "spectral.fc.weight", "spatial.stem.weight",
        "spatial.block1.branch5.weight", "spatial.head.weight"},
       {"spectral.metric.weight", "spatial.metric.weight", "spatial.classifier.weight", "stem.weight"}},
  };
  for (const Case& c : cases) {
    HsiNet net = make_hsi_net(options(c.name, 12, 9));
    const std::vector<std::string> names = parameter_names(net);
    for (const char* shared : {"metric.weight", "classifier.weight", "classifier.bias"}) EXPECT_TRUE(has(names, shared)) << c.name << " " << shared;
    EXPECT_FALSE(has(names, "metric.bias")) << "B is a bias-free linear map";
    for (const std::string& p : c.present) EXPECT_TRUE(has(names, p)) << c.name << " lacks " << p;
    for (const std::string& p : c.absent) EXPECT_FALSE(has(names, p)) << c.name << " has " << p;
  }
}

TEST(HsiNet, Ms2dMacCountMatchesHandCount) {
  // ms2d, 12 bands, 9x9, w = 8: stem 12*16*81; block1 {1,3,5} 16->8 each at 5x5; block2 {1,3}
  // 24->8 each at 3x3; head 16->16 at 3x3; B 16x6; classifier 6x5.
  HsiNet net = make_hsi_net(options("ms2d", 12, 9));
  const int64_t expected = 12 * 16 * 81 + 16 * 8 * (1 + 9 + 25) * 25 + 24 * 8 * (1 + 9) * 9 + 16 * 16 * 9 + 16 * 6 + 6 * 5;
  EXPECT_EQ(net->macs_per_sample(), expected);
}

TEST(HsiNet, UnknownNamesAreRefused) {
  NetOptions o = options("ms4d", 12, 9);
  EXPECT_ANY_THROW(make_hsi_net(o));
  o.name = "2d";
  EXPECT_ANY_THROW(o.form());
}

class DenseModels : public ::testing::TestWithParam<std::string> {};

TEST_P(DenseModels, DenseTileEqualsWindowEmbeddings) {
  torch::manual_seed(1);
  const NetOptions o = options(GetParam(), 10, 7);
  HsiNet net = make_hsi_net(o);
  // Give BatchNorm non-trivial running statistics, then switch to inference.
  net->train();
  {
    torch::NoGradGuard g;
    for (int i = 0; i < 3; ++i) net->forward(input_for(o, 8) * 2 + 1);
  }
  net->eval();
  torch::NoGradGuard g;
  const int64_t H = 6, W = 5, p = o.patch_used(), r = p / 2;
  const torch::Tensor tile = torch::randn({1, 10, H + 2 * r, W + 2 * r});
  const torch::Tensor dense = net->embed_dense(tile);
  ASSERT_EQ(dense.sizes(), (std::vector<int64_t>{H * W, 16}));
  std::vector<torch::Tensor> windows;
  for (int64_t y = 0; y < H; ++y)
    for (int64_t x = 0; x < W; ++x) windows.push_back(tile[0].narrow(1, y, p).narrow(2, x, p));
  const torch::Tensor one_by_one = net->embed(torch::stack(windows));
  EXPECT_TRUE(torch::allclose(dense, one_by_one, 1e-4, 1e-5)) << (dense - one_by_one).abs().max().item<float>();
}

INSTANTIATE_TEST_SUITE_P(Forms, DenseModels, ::testing::Values("ms1d", "ms2d", "cnn2d", "ms3d", "cnn3d", "ms1d2d"));

// The banks' convolution with the swapped weight gradient: the values and both gradients of
// torch::conv2d, in either layout, for square and non-square kernels and windows, with or
// without an input gradient; a batch of one and batches larger than the channel count.
TEST(Layers, ValidConvolutionEqualsConv2dInValueAndGradients) {
  struct Case {
    int64_t n, c, o, h, w, kh, kw;
  };
  for (const Case& k : {Case{3, 5, 4, 9, 7, 3, 3}, Case{1, 6, 2, 8, 8, 5, 5}, Case{40, 3, 7, 6, 9, 3, 5}, Case{2, 4, 3, 5, 5, 1, 1}})
    for (bool channels_last : {false, true})
      for (bool input_grad : {true, false}) {
        torch::manual_seed(11);
        torch::Tensor x0 = torch::randn({k.n, k.c, k.h, k.w}), w0 = torch::randn({k.o, k.c, k.kh, k.kw});
        if (channels_last) x0 = x0.contiguous(torch::MemoryFormat::ChannelsLast);
        const torch::Tensor probe = torch::randn({k.n, k.o, k.h - k.kh + 1, k.w - k.kw + 1});
        const auto run = [&](bool reference) {
          torch::Tensor x = x0.detach().clone().requires_grad_(input_grad), w = w0.detach().clone().requires_grad_(true);
          const torch::Tensor y = reference ? torch::conv2d(x, w) : valid_conv2d(x, w, true);
          (y * probe).sum().backward();
          return std::vector<torch::Tensor>{y.detach(), input_grad ? x.grad() : torch::Tensor(), w.grad()};
        };
        const auto expected = run(true), got = run(false);
        const std::string where = "case n=" + std::to_string(k.n) + " k=" + std::to_string(k.kh) + "x" + std::to_string(k.kw) +
                                  " channels_last " + std::to_string(channels_last) + " input_grad " + std::to_string(input_grad);
        EXPECT_TRUE(torch::allclose(got[0], expected[0], 1e-5, 1e-5)) << where;
        if (input_grad) {
          EXPECT_TRUE(torch::allclose(got[1], expected[1], 1e-4, 1e-4)) << where;
        }
        ASSERT_EQ(got[2].sizes(), expected[2].sizes()) << where;
        EXPECT_TRUE(torch::allclose(got[2], expected[2], 1e-4, 1e-4)) << where << " max diff " << (got[2] - expected[2]).abs().max().item<float>();
      }
}

// The 3-D banks run as 2-D convolutions over unfolded spectra: on random weights (and trained
// BatchNorm statistics) they give what the Conv3d modules themselves give, forward and backward,
// for windows and dense tiles, odd and even band counts.
// The multiscale banks' crops: same values as plain narrowing, and the same gradient, whichever
// crops the loss uses (an unused crop sends no gradient) and whatever the layout.
TEST(Layers, CentreCropsEqualNarrowingInValueAndGradient) {
  const std::vector<std::vector<int64_t>> cases = {{2, 1, 0}, {0, 2}, {1, 2}, {3}};
  for (const auto& borders : cases)
    for (bool channels_last : {false, true})
      for (int first_axis : {2, 3}) {
        torch::manual_seed(3);
        torch::Tensor base = first_axis == 2 ? torch::randn({4, 5, 11, 9}) : torch::randn({4, 5, 6, 11, 9});
        if (channels_last) base = base.contiguous(first_axis == 2 ? torch::MemoryFormat::ChannelsLast : torch::MemoryFormat::ChannelsLast3d);
        std::vector<torch::Tensor> weights;
        for (size_t i = 0; i < borders.size(); ++i) weights.push_back(torch::randn(centre_crop(base, borders[i], first_axis).sizes()));
        // The last crop is left out of the loss once, to check an undefined incoming gradient.
        for (size_t used : {borders.size(), borders.size() - 1}) {
          const auto grad_of = [&](bool reference) {
            torch::Tensor x = base.detach().clone().requires_grad_(true);
            std::vector<torch::Tensor> crops;
            if (reference) {
              for (int64_t b : borders) crops.push_back(centre_crop(x, b, first_axis));
            } else {
              crops = centre_crops(x, borders, first_axis);
            }
            torch::Tensor loss = torch::zeros({});
            for (size_t i = 0; i < used; ++i) {
              EXPECT_TRUE(torch::equal(crops[i], centre_crop(base, borders[i], first_axis)));
              loss = loss + (crops[i] * weights[i]).sum() + crops[i].pow(2).sum();
            }
            if (used == 0) return torch::Tensor();
            loss.backward();
            return x.grad();
          };
          const torch::Tensor expected = grad_of(true), got = grad_of(false);
          if (!expected.defined()) continue;
          ASSERT_TRUE(got.defined());
          EXPECT_TRUE(torch::allclose(got, expected, 1e-6, 1e-6)) << "borders " << borders.size() << " used " << used << " channels_last "
                                                                  << channels_last << " axis " << first_axis;
        }
      }
  // Without autograd the crops are views of the input.
  torch::NoGradGuard no_grad;
  const torch::Tensor x = torch::randn({2, 3, 7, 7});
  const std::vector<torch::Tensor> views = centre_crops(x, {0, 1}, 2);
  EXPECT_TRUE(views[0].is_same(x));
  EXPECT_EQ(views[1].data_ptr<float>(), x.data_ptr<float>() + 7 + 1);
}

TEST(HsiNet, VolumeFormulationFollowsTheBandCount) {
  for (int bands : {30, 60, 61, 200}) {
    const HsiNet net = make_hsi_net(options("ms3d", bands, 7));
    EXPECT_EQ(dynamic_cast<const VolumeNetImpl*>(net.get())->banded(), bands <= VolumeNetImpl::kBandedMaxBands) << bands;
  }
}

TEST(HsiNet, VolumeBanksAs2dConvolutionsEqualConv3d) {
  for (const std::string name : {"ms3d", "cnn3d"})
    for (int bands : {10, 13, 30}) {
      torch::manual_seed(7);
      const NetOptions o = options(name, bands, 7);
      HsiNet net = make_hsi_net(o);
      auto* volume = dynamic_cast<VolumeNetImpl*>(net.get());
      ASSERT_NE(volume, nullptr);
      net->train();
      const torch::Tensor x = input_for(o, 6) * 2 + 1;
      const auto loss_and_grads = [&](bool reference) {
        volume->use_conv3d_reference(reference);
        net->zero_grad();
        torch::manual_seed(11);  // the same batch statistics path on both
        const torch::Tensor loss = net->forward(x).pow(2).sum();
        loss.backward();
        std::vector<torch::Tensor> grads = {loss.detach().clone()};
        for (const auto& p : net->parameters()) grads.push_back(p.grad().clone());
        return grads;
      };
      const std::vector<torch::Tensor> reference = loss_and_grads(true);
      // Both 2-D formulations: banded weights (short spectra) and spectral planes (long ones).
      for (bool banded : {true, false}) {
        volume->use_banded(banded);
        const std::vector<torch::Tensor> as_2d = loss_and_grads(false);
        for (size_t i = 0; i < reference.size(); ++i)
          EXPECT_TRUE(torch::allclose(as_2d[i], reference[i], 1e-4, 1e-5)) << name << " bands " << bands << " banded " << banded << " tensor "
                                                                            << i << ": " << (as_2d[i] - reference[i]).abs().max().item<float>();
      }
      net->eval();
      torch::NoGradGuard g;
      const torch::Tensor tile = torch::randn({1, bands, 12, 11});
      volume->use_conv3d_reference(true);
      const torch::Tensor dense_reference = net->embed_dense(tile);
      volume->use_conv3d_reference(false);
      for (bool banded : {true, false}) {
        volume->use_banded(banded);
        EXPECT_TRUE(torch::allclose(net->embed_dense(tile), dense_reference, 1e-4, 1e-5)) << name << " bands " << bands << " banded " << banded;
      }
    }
}

// The spectral-spatial network can lean on either input: its spectral branch sees the centre
// spectrum alone, its spatial branch the window. Changing only the neighbours moves only the
// spatial half of the embedding; changing only the centre moves both.
TEST(HsiNet, SpectralSpatialBranchesSeeTheirOwnInputs) {
  torch::manual_seed(3);
  const NetOptions o = options("ms1d2d", 10, 5);
  HsiNet net = make_hsi_net(o);
  net->eval();
  torch::NoGradGuard g;
  const torch::Tensor x = torch::randn({2, 10, 5, 5});
  torch::Tensor neighbours = x.clone();
  neighbours.narrow(2, 0, 1).add_(1.0);  // top row only: the centre (2, 2) is untouched
  const torch::Tensor e = net->embed(x), en = net->embed(neighbours);
  const int64_t half = 16 / 2;
  EXPECT_TRUE(torch::allclose(e.narrow(1, 0, half), en.narrow(1, 0, half))) << "the spectral branch saw the neighbours";
  EXPECT_FALSE(torch::allclose(e.narrow(1, half, half), en.narrow(1, half, half))) << "the spatial branch ignored the neighbours";
}

TEST(HsiNet, SvmIsNotANetwork) {
  NetOptions o = options("svm", 12, 1);
  EXPECT_FALSE(o.network());
  EXPECT_FALSE(o.window_model());
  EXPECT_ANY_THROW(make_hsi_net(o));
}

}  // namespace
}  // namespace hsi
