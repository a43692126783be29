// The prediction loop reading a large GeoTIFF window by window against the same loop over
// Salinas-A in memory, alternated (A B A B ...) so that both see the same machine state. The
// in-memory figure counts what the streamed one also does (nodata mask, preprocessing,
// network), but not reading the .mat file; the streamed figure counts everything from opening
// the raster to committing the maps.
// Usage: bench_stream CKPT LARGE.tif [threads] [pairs]
#include <torch/torch.h>

#include <omp.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>

#include "common/memory.hpp"
#include "io/reader.hpp"
#include "pipeline/checkpoint.hpp"
#include "pipeline/predict.hpp"
#include "pipeline/scene.hpp"
#include "timing.hpp"

using namespace hsi;
using hsi::bench::median;

int main(int argc, char** argv) {
  keep_freed_memory_for_reuse();  // as the hsi binary does (common/memory.hpp)
  if (argc < 3) {
    std::fprintf(stderr, "usage: bench_stream CKPT LARGE.tif [threads] [pairs]\n");
    return 2;
  }
  const int threads = argc > 3 ? std::atoi(argv[3]) : 2, pairs = argc > 4 ? std::atoi(argv[4]) : 5;
  torch::set_num_threads(threads);
  omp_set_num_threads(threads);
  Checkpoint ck = load_checkpoint(argv[1]);
  const Cube salinas = read_cube(std::string(HSI_SOURCE_DIR) + "/data/SalinasA.mat");
  const std::string out_dir = std::filesystem::temp_directory_path() / ("bench_stream_" + std::to_string(::getpid()));
  std::filesystem::create_directories(out_dir);
  PredictOptions so;
  so.progress = false;
  so.nan_policy = "nodata";
  std::vector<double> memory_rate, stream_rate;
  PredictionStats last;
  for (int k = 0; k <= pairs; ++k) {  // k = 0 warms up
    const auto t0 = std::chrono::steady_clock::now();
    predict_cube(ck, salinas, nullptr, so);
    const double memory_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    last = predict_file(ck, argv[2], "rcb", {out_dir + "/map.tif", out_dir + "/conf.tif", ""}, so);
    if (k == 0) continue;
    memory_rate.push_back(static_cast<double>(salinas.pixels()) / memory_s);
    stream_rate.push_back(static_cast<double>(last.rows * last.cols) / last.seconds);
  }
  std::filesystem::remove_all(out_dir);
  const double m = median(memory_rate), s = median(stream_rate);
  std::printf("%s, %d threads, median of %d pairs\n", ck.net_options.name.c_str(), threads, pairs);
  std::printf("in-memory, Salinas-A %ld x %ld:  %9.0f pixels/s\n", static_cast<long>(salinas.rows), static_cast<long>(salinas.cols), m);
  std::printf("streamed, %ld x %ld, %dx%d tiles: %9.0f pixels/s  (%.1f%% of in-memory)\n", static_cast<long>(last.rows),
              static_cast<long>(last.cols), last.tile, last.tile, s, 100.0 * s / m);
  std::printf("last streamed run: read %.2f s, preprocess %.2f s, model %.2f s, write %.2f s of %.2f s\n", last.read_seconds,
              last.prepare_seconds, last.model_seconds, last.write_seconds, last.seconds);
  return 0;
}
