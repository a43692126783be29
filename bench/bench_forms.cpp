// Training-step cost of the window forms side by side (the README's ms3d-vs-ms2d figure): one
// Adam step (forward, cross-entropy, backward, update) on a batch of random windows, alternated
// between forms, median of several steps; each form as hsi runs it and with either weight
// gradient of the banks forced, in bf16 autocast (forward and loss; training itself stays in
// float32), for ms3d also with the Conv3d modules' own forward (the 3-D reference), and an
// operator profile of one form when asked.
// Usage: bench_forms [threads=2] [steps=40] [batch=32] [patch=13] [bands=30] [profile_form]
#include <torch/torch.h>
#include <ATen/autocast_mode.h>

#include <omp.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <map>
#include <string>

#include "common/memory.hpp"
#include "models/hsi_net.hpp"
#include "models/volume_net.hpp"
#include "models/window_net.hpp"
#include "pipeline/trainer.hpp"
#include "timing.hpp"

using namespace hsi;

namespace {

using hsi::bench::median;

struct Contender {
  std::string label;
  HsiNet net;
  std::unique_ptr<torch::optim::Optimizer> adam;
  std::vector<double> seconds;
};

double step(Contender& c, const torch::Tensor& x, const torch::Tensor& y) {
  const auto t0 = std::chrono::steady_clock::now();
  c.adam->zero_grad();
  const bool bf16 = c.label.find("bf16") != std::string::npos;
  if (bf16) {
    at::autocast::set_autocast_cpu_dtype(at::kBFloat16);
    at::autocast::set_cpu_enabled(true);
  }
  const torch::Tensor loss = torch::nn::functional::cross_entropy(c.net->forward(x), y);
  if (bf16) {
    at::autocast::set_cpu_enabled(false);
    at::autocast::clear_cache();
  }
  loss.backward();
  c.adam->step();
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

}  // namespace

int main(int argc, char** argv) {
  keep_freed_memory_for_reuse();  // as the hsi binary does (common/memory.hpp)
  const int threads = argc > 1 ? std::atoi(argv[1]) : 2, steps = argc > 2 ? std::atoi(argv[2]) : 40;
  const int batch = argc > 3 ? std::atoi(argv[3]) : 32, patch = argc > 4 ? std::atoi(argv[4]) : 13, bands = argc > 5 ? std::atoi(argv[5]) : 30;
  const std::string profile = argc > 6 ? argv[6] : "";
  torch::set_num_threads(threads);
  omp_set_num_threads(threads);
  torch::manual_seed(0);
  std::vector<Contender> contenders;
  for (const std::string label : {"ms2d", "ms2d (LibTorch Adam)", "ms2d (swapped weight grad)", "ms2d (oneDNN weight grad)", "ms3d",
                                 "ms3d (swapped weight grad)", "ms3d (oneDNN weight grad)", "ms3d (spectral planes)", "ms3d (Conv3d reference)",
                                 "ms2d (bf16 autocast)", "ms3d (bf16 autocast)"}) {
    NetOptions o;
    o.name = label.substr(0, 4);
    o.in_bands = bands;
    o.patch = patch;
    o.classes = 6;
    Contender c{label, make_hsi_net(o), nullptr, {}};
    if (label.find("reference") != std::string::npos) dynamic_cast<VolumeNetImpl*>(c.net.get())->use_conv3d_reference(true);
    if (label.find("planes") != std::string::npos) dynamic_cast<VolumeNetImpl*>(c.net.get())->use_banded(false);
    if (label == "ms3d") dynamic_cast<VolumeNetImpl*>(c.net.get())->use_banded(true);
    if (label.find("oneDNN") != std::string::npos) dynamic_cast<WindowNetImpl*>(c.net.get())->use_swapped_weight_gradient(false);
    if (label.find("swapped") != std::string::npos) dynamic_cast<WindowNetImpl*>(c.net.get())->use_swapped_weight_gradient(true);
    c.net->train();
    // hsi's optimiser, and LibTorch's per-tensor Adam it replaces (same update) side by side.
    if (label.find("LibTorch") != std::string::npos) {
      c.adam = std::make_unique<torch::optim::Adam>(c.net->parameters(), torch::optim::AdamOptions(1e-3));
    } else {
      c.adam = make_optimizer(c.net, "adam", 1e-3, 0.0, 0.0);
    }
    contenders.push_back(std::move(c));
  }
  const torch::Tensor x = torch::randn({batch, bands, patch, patch}), y = torch::randint(0, 6, {batch});
  for (auto& c : contenders) step(c, x, y);  // warm-up: oneDNN primitives are made on first use
  for (int s = 0; s < steps; ++s)
    for (auto& c : contenders) c.seconds.push_back(step(c, x, y));
  const double base = median(contenders[0].seconds);
  std::printf("training step, batch %d of %dx%d windows x %d bands, %d threads, median of %d alternated steps\n", batch, patch, patch, bands,
              threads, steps);
  for (const auto& c : contenders) std::printf("  %-28s %8.2f ms   %.2fx ms2d\n", c.label.c_str(), 1e3 * median(c.seconds), median(c.seconds) / base);
  for (auto& c : contenders) {
    if (c.label != profile) continue;
    torch::autograd::profiler::RecordProfile guard("/tmp/bench_forms_profile.json");
    for (int s = 0; s < 10; ++s) step(c, x, y);
  }
  if (!profile.empty()) std::printf("profile of %s (10 steps): /tmp/bench_forms_profile.json (chrome trace)\n", profile.c_str());
  return 0;
}
