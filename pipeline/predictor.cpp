#include "pipeline/predictor.hpp"

#include <chrono>

#include "common/error.hpp"
#include "common/interrupt.hpp"
#include "common/progress.hpp"
#include "pipeline/batches.hpp"
#include "pipeline/patches.hpp"

namespace hsi {
namespace {

void store(const torch::Tensor& probabilities, const std::vector<int64_t>& pixels, Prediction& out) {
  const auto [best, index] = probabilities.max(1);
  const torch::Tensor b = best.contiguous(), i = index.contiguous();
  const float* bp = b.data_ptr<float>();
  const int64_t* ip = i.data_ptr<int64_t>();
  for (size_t k = 0; k < pixels.size(); ++k) {
    out.class_index[pixels[k]] = ip[k];
    out.confidence[pixels[k]] = bp[k];
  }
}

void predict_patches(HsiNet& net, const Cube& cube, const std::vector<uint8_t>& nodata, const PredictOptions& o, Prediction& out) {
  const BatchMaker batches(cube, net->options());
  std::vector<int64_t> pixels;
  for (int64_t p = 0; p < cube.pixels(); ++p) {
    if (nodata.empty() || !nodata[p]) pixels.push_back(p);
  }
  ProgressBar bar("predict", static_cast<int64_t>(pixels.size()));
  for (size_t start = 0; start < pixels.size(); start += static_cast<size_t>(o.batch_size)) {
    if (stop_requested()) throw Error(ErrorKind::Internal, "interrupted");
    const size_t end = std::min(pixels.size(), start + static_cast<size_t>(o.batch_size));
    const std::vector<int64_t> chunk(pixels.begin() + static_cast<int64_t>(start), pixels.begin() + static_cast<int64_t>(end));
    const torch::Tensor z = net->project(net->embed(batches.make(chunk)));
    store(class_probabilities(net, z, o), chunk, out);
    if (o.progress) bar.update(static_cast<int64_t>(end));
  }
}

void predict_dense(HsiNet& net, const Cube& cube, const std::vector<uint8_t>& nodata, const PredictOptions& o, Prediction& out) {
  const int64_t r = net->options().patch / 2, B = cube.bands, T = o.tile;
  const int64_t tiles_y = (cube.rows + T - 1) / T, tiles_x = (cube.cols + T - 1) / T;
  ProgressBar bar("predict", tiles_y * tiles_x);
  int64_t done = 0;
  for (int64_t y0 = 0; y0 < cube.rows; y0 += T) {
    for (int64_t x0 = 0; x0 < cube.cols; x0 += T) {
      if (stop_requested()) throw Error(ErrorKind::Internal, "interrupted");
      const int64_t h = std::min(T, cube.rows - y0), w = std::min(T, cube.cols - x0);
      std::vector<int64_t> pixels;
      for (int64_t y = y0; y < y0 + h; ++y) {
        for (int64_t x = x0; x < x0 + w; ++x) pixels.push_back(y * cube.cols + x);
      }
      bool any = nodata.empty();
      for (int64_t p : pixels) any = any || !nodata[p];
      if (any) {
        // Band-major tile with halo, mirrored at the scene border exactly as the patch extractor does.
        const int64_t H = h + 2 * r, W = w + 2 * r;
        torch::Tensor tile = torch::empty({1, B, H, W});
        float* t = tile.data_ptr<float>();
#pragma omp parallel for schedule(static)
        for (int64_t i = 0; i < H; ++i) {
          const int64_t sr = reflect_index(y0 - r + i, cube.rows);
          for (int64_t j = 0; j < W; ++j) {
            const float* src = cube.spectrum(sr, reflect_index(x0 - r + j, cube.cols));
            for (int64_t b = 0; b < B; ++b) t[(b * H + i) * W + j] = src[b];
          }
        }
        store(dense_tile_probabilities(net, tile, o), pixels, out);
      }
      bar.update(++done);
    }
  }
}

}  // namespace

torch::Tensor dense_tile_probabilities(HsiNet& net, const torch::Tensor& tile, const PredictOptions& options) {
  const bool three_d = net->options().form() == "3d";
  return class_probabilities(net, net->project(net->embed_dense(three_d ? tile.unsqueeze(1) : tile)), options);
}

torch::Tensor class_probabilities(HsiNet& net, const torch::Tensor& z, const PredictOptions& options) {
  if (options.classifier == "prototype") {
    const torch::Tensor d = (z.unsqueeze(1) - options.prototypes.unsqueeze(0)).pow(2).sum(-1);
    return torch::softmax(-d, 1);
  }
  return torch::softmax(net->classify(z), 1);
}

Prediction predict_scene(HsiNet& net, const Cube& cube, const std::vector<uint8_t>& nodata, const PredictOptions& options) {
  const auto t0 = std::chrono::steady_clock::now();
  if (net->options().in_bands != cube.bands) {
    data_error(cube.source, "has " + std::to_string(cube.bands) + " bands after preprocessing, the model expects " +
                                std::to_string(net->options().in_bands));
  }
  if (options.classifier == "prototype" && !options.prototypes.defined()) {
    throw Error(ErrorKind::Data, "the checkpoint asks for the prototype classifier but holds no prototypes");
  }
  torch::NoGradGuard no_grad;
  net->eval();
  Prediction out;
  out.class_index.assign(static_cast<size_t>(cube.pixels()), -1);
  out.confidence.assign(static_cast<size_t>(cube.pixels()), 0.0f);
  const bool dense = net->supports_dense() && options.route != "patch";
  if (options.route == "dense" && !net->supports_dense()) usage_error("predict.route = dense needs a window model (2-D or 3-D)");
  out.route = dense ? "dense" : "patch";
  if (dense) predict_dense(net, cube, nodata, options, out);
  else predict_patches(net, cube, nodata, options, out);
  for (size_t p = 0; p < nodata.size(); ++p) {
    if (nodata[p]) {
      out.class_index[p] = -1;
      out.confidence[p] = 0.0f;
    }
  }
  out.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return out;
}

}  // namespace hsi
