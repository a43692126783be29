// FlatAdam against LibTorch's Adam: the same update, the same saved state.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <sstream>

#include "pipeline/flat_adam.hpp"

namespace hsi {
namespace {

struct Tiny : torch::nn::Module {
  Tiny() {
    conv = register_module("conv", torch::nn::Conv2d(torch::nn::Conv2dOptions(3, 4, 3).bias(false)));
    bn = register_module("bn", torch::nn::BatchNorm2d(4));
    fc = register_module("fc", torch::nn::Linear(4, 2));
    unused = register_module("unused", torch::nn::Linear(2, 2));
  }
  // `head` false leaves fc out of the graph: its parameters get no gradient.
  torch::Tensor forward(const torch::Tensor& x, bool head = true) {
    const torch::Tensor features = torch::relu(bn->forward(conv->forward(x.contiguous(torch::MemoryFormat::ChannelsLast)))).mean({2, 3});
    return head ? fc->forward(features) : features;
  }
  torch::nn::Conv2d conv{nullptr};
  torch::nn::BatchNorm2d bn{nullptr};
  torch::nn::Linear fc{nullptr}, unused{nullptr};
};

std::shared_ptr<Tiny> tiny(uint64_t seed) {
  torch::manual_seed(seed);
  return std::make_shared<Tiny>();
}

// The parameters the loss reaches (the one-operation route), or all (the per-tensor route).
std::vector<torch::Tensor> trained(Tiny& net, bool with_unused = false) {
  std::vector<torch::Tensor> out;
  for (const auto& item : net.named_parameters()) {
    if (with_unused || item.key().rfind("unused", 0) != 0) out.push_back(item.value());
  }
  return out;
}

torch::optim::AdamOptions options() { return torch::optim::AdamOptions(0.01).weight_decay(0.05); }

void train_steps(Tiny& net, torch::optim::Optimizer& optimizer, int from, int to) {
  for (int step = from; step < to; ++step) {
    torch::manual_seed(100 + step);
    const torch::Tensor x = torch::randn({5, 3, 6, 6});
    optimizer.zero_grad();
    // Every third step trains the features alone, as a stage that leaves the head unused.
    net.forward(x, step % 3 != 2).pow(2).sum().backward();
    optimizer.step();
  }
}

void expect_same_parameters(Tiny& a, Tiny& b, const std::string& what) {
  const auto pa = a.named_parameters(), pb = b.named_parameters();
  for (const auto& item : pa) {
    EXPECT_TRUE(torch::allclose(item.value(), pb[item.key()], 1e-6, 1e-7))
        << what << ": " << item.key() << " differs by " << (item.value() - pb[item.key()]).abs().max().item<float>();
  }
}

TEST(FlatAdam, StepsAsLibTorchAdam) {
  for (bool with_unused : {false, true}) {
    auto ours = tiny(1), theirs = tiny(1);
    const torch::Tensor unused_before = ours->unused->weight.detach().clone();
    FlatAdam flat(trained(*ours, with_unused), options());
    torch::optim::Adam adam(trained(*theirs, with_unused), options());
    train_steps(*ours, flat, 0, 8);
    train_steps(*theirs, adam, 0, 8);
    expect_same_parameters(*ours, *theirs, with_unused ? "with a parameter that never has a gradient" : "all parameters trained");
    // A parameter that never had a gradient is not touched (no weight decay either).
    EXPECT_TRUE(torch::equal(ours->unused->weight, unused_before));
    // Training moved the parameters: the comparison is not between two untouched networks.
    EXPECT_FALSE(torch::allclose(ours->conv->weight, tiny(1)->conv->weight));
  }
}

TEST(FlatAdam, FollowsParametersWhoseStorageWasReplaced) {
  auto ours = tiny(2), theirs = tiny(2);
  FlatAdam flat(trained(*ours), options());
  torch::optim::Adam adam(trained(*theirs), options());
  train_steps(*ours, flat, 0, 2);
  train_steps(*theirs, adam, 0, 2);
  // As loading a checkpoint into the module does: new storage for a parameter.
  {
    torch::NoGradGuard no_grad;
    const torch::Tensor replacement = torch::full_like(ours->conv->weight, 0.25);
    ours->conv->weight.set_(replacement.clone());
    theirs->conv->weight.set_(replacement.clone());
  }
  train_steps(*ours, flat, 2, 6);
  train_steps(*theirs, adam, 2, 6);
  expect_same_parameters(*ours, *theirs, "after replacing conv.weight");
}

// A run resumed from last.ckpt restores the optimiser from the archive, written by either class.
TEST(FlatAdam, SavedStateIsLibTorchAdamsAndResumes) {
  for (bool saved_by_flat : {true, false}) {
    auto first = tiny(3), reference = tiny(3);
    std::unique_ptr<torch::optim::Optimizer> saver;
    if (saved_by_flat) {
      saver = std::make_unique<FlatAdam>(trained(*first), options());
    } else {
      saver = std::make_unique<torch::optim::Adam>(trained(*first), options());
    }
    torch::optim::Adam adam(trained(*reference), options());
    train_steps(*first, *saver, 0, 4);
    train_steps(*reference, adam, 0, 4);
    torch::serialize::OutputArchive out;
    saver->save(out);
    std::ostringstream bytes;
    out.save_to(bytes);

    // A fresh process: the trained weights in a new module, optimisers restored from the bytes.
    auto resumed = tiny(4), resumed_reference = tiny(4);
    {
      torch::NoGradGuard no_grad;
      const auto trained = first->parameters();
      for (size_t i = 0; i < trained.size(); ++i) {
        resumed->parameters()[i].copy_(trained[i]);
        resumed_reference->parameters()[i].copy_(trained[i]);
      }
    }
    FlatAdam flat(trained(*resumed), options());
    torch::optim::Adam adam_resumed(trained(*resumed_reference), options());
    for (torch::optim::Optimizer* o : std::initializer_list<torch::optim::Optimizer*>{&flat, &adam_resumed}) {
      std::istringstream in_bytes(bytes.str());
      torch::serialize::InputArchive in;
      in.load_from(in_bytes);
      o->load(in);
    }
    train_steps(*resumed, flat, 4, 7);
    train_steps(*resumed_reference, adam_resumed, 4, 7);
    train_steps(*reference, adam, 4, 7);
    expect_same_parameters(*resumed, *resumed_reference, saved_by_flat ? "saved by FlatAdam" : "saved by Adam");
    // And both equal training without the interruption.
    expect_same_parameters(*resumed, *reference, "resumed against uninterrupted");
  }
}

}  // namespace
}  // namespace hsi
