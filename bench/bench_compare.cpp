// hsi's side of the Python comparison (bench/compare.sh): data preparation for one epoch,
// one training epoch over the labelled set, whole-scene inference, peak RSS, achieved GFLOP/s
// and a large float32 matrix multiply as the machine's practical ceiling.
// Both sides make each batch when it is needed (prep: one pass over the epoch; the epoch
// includes making its batches again), so neither holds the epoch's windows in memory.
// Usage: bench_compare [--model ms2d|ms3d] [--threads N] [--patch P] [--tiles K] [--skip-train] [--route dense|patch]
#include <sys/resource.h>
#include <torch/torch.h>

#include <omp.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <functional>
#include <limits>

#include "common/memory.hpp"
#include "io/reader.hpp"
#include "pipeline/batches.hpp"
#include "pipeline/predict.hpp"
#include "pipeline/preprocess.hpp"
#include "pipeline/random.hpp"
#include "pipeline/trainer.hpp"

using namespace hsi;

static double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

// Mosaics the cube (and labels) k x k.
static void tile(Cube& cube, LabelMap& gt, int k) {
  if (k == 1) return;
  Cube big = cube;
  big.rows *= k;
  big.cols *= k;
  big.data.assign(static_cast<size_t>(big.rows * big.cols * big.bands), 0.0f);
  std::vector<int32_t> labels(static_cast<size_t>(big.rows * big.cols));
  for (int64_t r = 0; r < big.rows; ++r)
    for (int64_t c = 0; c < big.cols; ++c) {
      const int64_t sr = r % cube.rows, sc = c % cube.cols;
      std::memcpy(big.spectrum(r, c), cube.spectrum(sr, sc), sizeof(float) * cube.bands);
      labels[r * big.cols + c] = gt.labels[sr * cube.cols + sc];
    }
  cube = std::move(big);
  gt.rows = cube.rows;
  gt.cols = cube.cols;
  gt.labels = std::move(labels);
}

int main(int argc, char** argv) {
  keep_freed_memory_for_reuse();  // as the hsi binary does (common/memory.hpp)
  int threads = 2, patch = 13, tiles = 1;
  bool skip_train = false;
  std::string route = "dense", model = "ms2d";
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--threads" && i + 1 < argc) threads = std::atoi(argv[++i]);
    else if (a == "--patch" && i + 1 < argc) patch = std::atoi(argv[++i]);
    else if (a == "--tiles" && i + 1 < argc) tiles = std::atoi(argv[++i]);
    else if (a == "--route" && i + 1 < argc) route = argv[++i];
    else if (a == "--model" && i + 1 < argc) model = argv[++i];
    else if (a == "--skip-train") skip_train = true;
  }
  torch::set_num_threads(threads);
  omp_set_num_threads(threads);
  torch::manual_seed(0);
  const std::string root = HSI_SOURCE_DIR;
  Cube cube = read_cube(root + "/data/SalinasA.mat");
  LabelMap gt = read_labels(root + "/data/SalinasA_gt.mat");
  tile(cube, gt, tiles);

  // Data preparation for one epoch: fit and apply the preprocessing, cut every labelled window.
  auto t0 = std::chrono::steady_clock::now();
  std::vector<int32_t> ids;
  Samples all;
  for (int64_t p = 0; p < gt.rows * gt.cols; ++p) {
    if (gt.labels[p] == 0) continue;
    auto it = std::lower_bound(ids.begin(), ids.end(), gt.labels[p]);
    if (it == ids.end() || *it != gt.labels[p]) ids.insert(it, gt.labels[p]);
  }
  for (int64_t p = 0; p < gt.rows * gt.cols; ++p) {
    if (gt.labels[p] == 0) continue;
    all.pixels.push_back(p);
    all.targets.push_back(std::lower_bound(ids.begin(), ids.end(), gt.labels[p]) - ids.begin());
  }
  Rng rng(0);
  std::vector<int64_t> train;
  for (size_t c = 0; c < ids.size(); ++c) {
    std::vector<int64_t> members;
    for (size_t i = 0; i < all.size(); ++i)
      if (all.targets[i] == static_cast<int64_t>(c)) members.push_back(all.pixels[i]);
    rng.shuffle(members);
    train.insert(train.end(), members.begin(), members.begin() + 10);
  }
  PreprocessSpec spec;
  spec.drop_bands = {108, 109, 110, 111, 112, 154, 155, 156, 157, 158, 159, 160, 161, 162, 163, 164, 165, 166, 167, 224};
  spec.pca = 30;
  const auto t_fit = std::chrono::steady_clock::now();
  const Preprocessor pre = Preprocessor::fit(cube, train, spec);
  const double prep_fit = seconds_since(t_fit);
  const auto t_apply = std::chrono::steady_clock::now();
  pre.apply(cube);
  const double prep_apply = seconds_since(t_apply);
  NetOptions net_options;
  net_options.name = model;
  net_options.in_bands = 30;
  net_options.patch = patch;
  net_options.classes = static_cast<int>(ids.size());
  const BatchMaker batches(cube, net_options);
  std::vector<int64_t> order(all.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = static_cast<int64_t>(i);
  rng.shuffle(order);
  // As the Python reference's DataLoader does, each batch is made when it is needed and
  // dropped after use: one pass for the preparation figure, and again inside the epoch.
  const auto batch_at = [&](size_t s) {
    std::vector<int64_t> px, y;
    for (size_t k = s; k < std::min(order.size(), s + 32); ++k) {
      px.push_back(all.pixels[order[k]]);
      y.push_back(all.targets[order[k]]);
    }
    return std::make_pair(batches.make(px), torch::tensor(y, torch::kLong));
  };
  const auto t_windows = std::chrono::steady_clock::now();
  for (size_t s = 0; s < order.size(); s += 32) batch_at(s);
  const double prep_windows = seconds_since(t_windows);
  const double prep = seconds_since(t0);

  HsiNet net = make_hsi_net(net_options);
  double epoch = 0;
  if (!skip_train) {
    const auto opt = make_optimizer(net, "adam", 1e-3, 0.0, 1e-4);
    net->train();
    t0 = std::chrono::steady_clock::now();
    for (size_t s = 0; s < order.size(); s += 32) {
      const auto [x, y] = batch_at(s);
      opt->zero_grad();
      torch::nn::functional::cross_entropy(net->forward(x), y).backward();
      opt->step();
    }
    epoch = seconds_since(t0);
  }

  Checkpoint ck;
  ck.net_options = net_options;
  ck.net = net;
  // Inference starts from the preprocessed cube, as the Python reference's does: the tile loop
  // gets a pass-through preprocessing (no standardisation, no PCA).
  ck.preprocessor = Preprocessor::fit(cube, train, PreprocessSpec{{}, false, 0});
  ck.classes = ClassTable::from_ids(ids);
  PredictOptions po;
  po.route = route;
  po.progress = false;
  predict_cube(ck, cube, nullptr, po);  // warm-up: oneDNN builds its kernels on the first call
  const PredictionStats p = predict_cube(ck, cube, nullptr, po).stats;
  const double pixels = static_cast<double>(cube.pixels());

  // Peak memory of the pipeline itself, before the ceiling measurements allocate their operands.
  struct rusage usage;
  getrusage(RUSAGE_SELF, &usage);

  // The ceilings, in the same run: a 2048^3 matrix multiply in float32 and in bfloat16 (oneDNN;
  // emulated where the CPU lacks bf16, see hsi version), and a large channels-last convolution
  // in both. The BLAS sgemm alone can read far below what the convolutions reach on CPUs whose
  // fast units only oneDNN drives, so the stages are held against the best of them.
  // A ceiling is the best the machine does: the fastest of `repeats` timed calls after two
  // warm-ups (a mean over three calls after one read the float32 convolution at half its rate).
  const auto gflops_of = [&](const std::function<void()>& work, double flops, int repeats) {
    work();
    work();
    double fastest = std::numeric_limits<double>::infinity();
    for (int i = 0; i < repeats; ++i) {
      const auto start = std::chrono::steady_clock::now();
      work();
      fastest = std::min(fastest, seconds_since(start));
    }
    return flops / fastest / 1e9;
  };
  const double mm_flops = 2.0 * 2048.0 * 2048.0 * 2048.0;
  const torch::Tensor a = torch::randn({2048, 2048}), b = torch::randn({2048, 2048});
  const double mm_gflops = gflops_of([&] { torch::mm(a, b); }, mm_flops, 5);
  const torch::Tensor a16 = a.to(torch::kBFloat16), b16 = b.to(torch::kBFloat16);
  const double mm_bf16_gflops = gflops_of([&] { torch::mm(a16, b16); }, mm_flops, 5);
  const torch::Tensor image = torch::randn({32, 64, 64, 64}).contiguous(torch::MemoryFormat::ChannelsLast);
  const torch::Tensor kernel = torch::randn({64, 64, 3, 3}).contiguous(torch::MemoryFormat::ChannelsLast);
  const double conv_flops = 2.0 * 32 * 64 * 62 * 62 * 64 * 9;
  const double conv_gflops = gflops_of([&] { torch::conv2d(image, kernel); }, conv_flops, 5);
  // The same convolution in bfloat16: its ratio to float32 bounds what bf16 can gain for a
  // network made of convolutions, whatever the matrix-multiply ceiling says.
  const torch::Tensor image16 = image.to(torch::kBFloat16), kernel16 = kernel.to(torch::kBFloat16);
  const double conv_bf16_gflops = gflops_of([&] { torch::conv2d(image16, kernel16); }, conv_flops, 5);

  const double macs_route = static_cast<double>(route == "dense" ? net->macs_per_pixel_dense() : net->macs_per_sample());
  const double train_gflops = skip_train ? 0 : 3.0 * 2.0 * static_cast<double>(net->macs_per_sample()) * static_cast<double>(all.size()) / epoch / 1e9;
  std::printf("impl=cpp model=%s prep_s=%.4f epoch_s=%.4f infer_s=%.4f infer_px_s=%.1f peak_rss_kb=%ld train_gflops=%.2f infer_gflops=%.2f matmul_gflops=%.1f matmul_bf16_gflops=%.1f conv_gflops=%.1f conv_bf16_gflops=%.1f prep_fit_s=%.4f prep_apply_s=%.4f prep_windows_s=%.4f\n",
              model.c_str(), prep, epoch, p.seconds, pixels / p.seconds, usage.ru_maxrss, train_gflops, 2.0 * macs_route * pixels / p.seconds / 1e9, mm_gflops,
              mm_bf16_gflops, conv_gflops, conv_bf16_gflops, prep_fit, prep_apply, prep_windows);
  return 0;
}
