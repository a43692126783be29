// Whole-scene prediction of Salinas-A with a trained checkpoint: dense and patch routes, each in
// float32 and bfloat16 (autocast; native or emulated, as `hsi version` says), alternated
// (fp32 bf16 fp32 bf16 ...) so both see the same machine state. The scene can be tiled into a
// larger mosaic (COPIES x COPIES, mirrored so its seams look like a scene) to give the
// convolutions realistic tile sizes. Prints medians, the bf16/fp32 speed-up and how many
// pixels of the bf16 map differ from the float32 map, with where the time went (preprocessing,
// the model, the map).
// Usage: bench_predict CKPT [threads] [repeats] [copies]
#include <torch/torch.h>

#include <omp.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <map>

#include "common/cpu_features.hpp"
#include "common/memory.hpp"
#include "io/reader.hpp"
#include "pipeline/checkpoint.hpp"
#include "pipeline/predict.hpp"
#include "timing.hpp"

using namespace hsi;

namespace {

using hsi::bench::median;

// The cube repeated copies x copies times, every other copy mirrored, so each seam joins a
// copy to its own mirror image.
Cube mosaic(const Cube& cube, int copies) {
  if (copies <= 1) return cube;
  Cube out = cube;
  out.rows = cube.rows * copies;
  out.cols = cube.cols * copies;
  out.data.assign(static_cast<size_t>(out.rows * out.cols * cube.bands), 0.0f);
  for (int64_t r = 0; r < out.rows; ++r) {
    const int64_t tr = r / cube.rows, ir = r % cube.rows, sr = tr % 2 ? cube.rows - 1 - ir : ir;
    for (int64_t c = 0; c < out.cols; ++c) {
      const int64_t tc = c / cube.cols, ic = c % cube.cols, sc = tc % 2 ? cube.cols - 1 - ic : ic;
      std::copy_n(cube.spectrum(sr, sc), cube.bands, out.spectrum(r, c));
    }
  }
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  keep_freed_memory_for_reuse();  // as the hsi binary does (common/memory.hpp)
  if (argc < 2) {
    std::fprintf(stderr, "usage: bench_predict CKPT [threads] [repeats] [copies]\n");
    return 2;
  }
  const int threads = argc > 2 ? std::atoi(argv[2]) : 2, repeats = argc > 3 ? std::atoi(argv[3]) : 5, copies = argc > 4 ? std::atoi(argv[4]) : 1;
  torch::set_num_threads(threads);
  omp_set_num_threads(threads);
  Checkpoint ck = load_checkpoint(argv[1]);
  const std::string root = HSI_SOURCE_DIR;
  const auto t_read = std::chrono::steady_clock::now();
  const Cube cube = mosaic(read_cube(root + "/data/SalinasA.mat"), copies);
  const double read = std::chrono::duration<double>(std::chrono::steady_clock::now() - t_read).count();
  std::printf("%s, %ld x %ld pixels, %d threads; read %.3f s; bf16 on this CPU: %s; median of %d alternated runs (preprocessing included)\n",
              ck.net_options.name.c_str(), static_cast<long>(cube.rows), static_cast<long>(cube.cols), threads, read,
              cpu_has_native_bf16() ? ("native, " + cpu_bf16_features()).c_str() : "emulated", repeats);
  std::vector<int32_t> reference;
  for (const char* route : {"dense", "patch"}) {
    std::map<std::string, std::vector<double>> times, prepare, model, write;
    std::map<std::string, ScenePrediction> last;
    for (int k = 0; k < repeats; ++k) {
      for (const char* precision : {"fp32", "bf16"}) {
        PredictOptions o;
        o.route = route;
        o.precision = precision;
        o.progress = false;
        last[precision] = predict_cube(ck, cube, nullptr, o);
        times[precision].push_back(last[precision].stats.seconds);
        prepare[precision].push_back(last[precision].stats.prepare_seconds);
        model[precision].push_back(last[precision].stats.model_seconds);
        write[precision].push_back(last[precision].stats.write_seconds);
      }
    }
    const double macs = static_cast<double>(route == std::string("dense") ? ck.net->macs_per_pixel_dense() : ck.net->macs_per_sample());
    for (const char* precision : {"fp32", "bf16"}) {
      const double t = median(times[precision]);
      std::printf("%-6s %s %8.4f s  %10.0f pixels/s  %7.2f GFLOP/s  (preprocessing %.4f s, model %.4f s, map %.4f s)\n", route, precision, t,
                  cube.pixels() / t, 2.0 * macs * cube.pixels() / t / 1e9, median(prepare[precision]), median(model[precision]), median(write[precision]));
    }
    const std::vector<int32_t>& fp32 = last["fp32"].ids;
    int64_t differ = 0;
    for (size_t i = 0; i < fp32.size(); ++i) differ += fp32[i] != last["bf16"].ids[i];
    std::printf("%-6s bf16 speed-up %.2fx; bf16 map differs from the fp32 map in %ld of %ld pixels (%.4f %%)\n", route,
                median(times["fp32"]) / median(times["bf16"]), static_cast<long>(differ), static_cast<long>(fp32.size()),
                100.0 * static_cast<double>(differ) / static_cast<double>(fp32.size()));
    if (reference.empty()) reference = fp32;
    else {
      int64_t d = 0;
      for (size_t i = 0; i < reference.size(); ++i) d += reference[i] != fp32[i];
      std::printf("dense and patch fp32 maps differ in %ld pixels\n", static_cast<long>(d));
    }
  }
  return 0;
}
