// Whole-scene prediction of Salinas-A with a trained checkpoint, dense and patch routes.
// Usage: bench_predict CKPT [threads] [repeats]
#include <torch/torch.h>

#include <omp.h>

#include <algorithm>
#include <chrono>
#include <cstdio>

#include "io/reader.hpp"
#include "pipeline/checkpoint.hpp"
#include "pipeline/predict.hpp"

using namespace hsi;

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: bench_predict CKPT [threads] [repeats]\n");
    return 2;
  }
  const int threads = argc > 2 ? std::atoi(argv[2]) : 2, repeats = argc > 3 ? std::atoi(argv[3]) : 5;
  torch::set_num_threads(threads);
  omp_set_num_threads(threads);
  Checkpoint ck = load_checkpoint(argv[1]);
  const std::string root = HSI_SOURCE_DIR;
  const auto t_read = std::chrono::steady_clock::now();
  const Cube cube = read_cube(root + "/data/SalinasA.mat");
  const double read = std::chrono::duration<double>(std::chrono::steady_clock::now() - t_read).count();
  std::printf("%s, %ld x %ld pixels, %d threads; read %.3f s; median of %d (preprocessing included)\n", ck.net_options.name.c_str(),
              static_cast<long>(cube.rows), static_cast<long>(cube.cols), threads, read, repeats);
  std::vector<int32_t> reference;
  for (const char* route : {"dense", "patch"}) {
    PredictOptions o;
    o.route = route;
    o.progress = false;
    std::vector<double> times;
    ScenePrediction p;
    for (int k = 0; k < repeats; ++k) {
      p = predict_cube(ck, cube, nullptr, o);
      times.push_back(p.stats.seconds);
    }
    std::sort(times.begin(), times.end());
    const double t = times[times.size() / 2];
    const double macs = static_cast<double>(route == std::string("dense") ? ck.net->macs_per_pixel_dense() : ck.net->macs_per_sample());
    std::printf("%-6s %8.4f s  %10.0f pixels/s  %7.2f GFLOP/s\n", route, t, cube.pixels() / t, 2.0 * macs * cube.pixels() / t / 1e9);
    if (reference.empty()) reference = p.ids;
    else {
      int64_t differ = 0;
      for (size_t i = 0; i < reference.size(); ++i) differ += reference[i] != p.ids[i];
      std::printf("dense and patch maps differ in %ld pixels\n", static_cast<long>(differ));
    }
  }
  return 0;
}
