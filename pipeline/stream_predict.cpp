#include "pipeline/stream_predict.hpp"

#include <torch/torch.h>

#include <chrono>
#include <cmath>
#include <optional>

#include "common/error.hpp"
#include "common/interrupt.hpp"
#include "common/progress.hpp"
#include "io/window_io.hpp"
#include "pipeline/patches.hpp"
#include "pipeline/scene.hpp"

namespace hsi {

int tile_for_budget(const NetOptions& net, int64_t input_bands, int64_t ram_mb) {
  // Per tile pixel (with halo): the raw window, the preprocessed tensor, and the network's
  // widest activations (several maps of up to 3w channels plus the embedding) in float32.
  const double per_pixel = 4.0 * (static_cast<double>(input_bands) + net.in_bands + 8.0 * 3 * net.width + 2.0 * net.embedding);
  // A third of the budget for the tile; the rest covers the model, LibTorch and GDAL caches.
  const double budget = static_cast<double>(ram_mb) * (1 << 20) / 3.0;
  const int side = static_cast<int>(std::sqrt(budget / per_pixel)) - (net.patch / 2) * 2;
  return std::max(16, std::min(1024, side / 16 * 16));
}

StreamResult predict_streamed(Checkpoint& ck, const std::string& input, const std::string& map_path,
                              const std::string& confidence_path, const StreamOptions& o) {
  const auto t0 = std::chrono::steady_clock::now();
  RasterWindowReader reader(input);
  if (reader.bands() != ck.preprocessor.input_bands()) {
    data_error(input, "has " + std::to_string(reader.bands()) + " bands, the model was trained on " +
                          std::to_string(ck.preprocessor.input_bands()));
  }
  if (!ck.net->supports_dense()) usage_error("streamed prediction needs a window model (2-D or 3-D); this checkpoint holds " + ck.net_options.name);
  StreamResult result;
  result.rows = reader.rows();
  result.cols = reader.cols();
  warn_if_not_georeferenced(input, reader.geo());
  int T = o.tile > 0 ? o.tile : tile_for_budget(ck.net_options, reader.bands(), o.ram_mb);
  // Align tiles with the file's blocks so every block is decoded once per tile row.
  if (o.tile <= 0 && reader.block_width() > 1 && T > reader.block_width()) T = T / reader.block_width() * reader.block_width();
  result.tile = T;
  // A third of the budget may hold decoded blocks (see tile_for_budget for the rest).
  reader.reserve_cache_for_window(T + 2 * (ck.net_options.patch / 2), T + 2 * (ck.net_options.patch / 2), o.ram_mb * (1LL << 20) / 3);
  const int64_t r = ck.net_options.patch / 2, B = reader.bands(), Bout = ck.preprocessor.output_bands();
  const std::optional<double> nodata_value = reader.geo().nodata;
  TiledMapWriter writer(map_path, confidence_path, reader.rows(), reader.cols(), ck.classes, reader.geo());
  torch::NoGradGuard no_grad;
  ck.net->eval();
  const int64_t tiles_y = (reader.rows() + T - 1) / T, tiles_x = (reader.cols() + T - 1) / T;
  ProgressBar bar("predict", tiles_y * tiles_x);
  std::vector<float> window;
  for (int64_t y0 = 0; y0 < reader.rows(); y0 += T) {
    for (int64_t x0 = 0; x0 < reader.cols(); x0 += T) {
      if (stop_requested()) throw Error(ErrorKind::Internal, "interrupted");
      const int64_t h = std::min<int64_t>(T, reader.rows() - y0), w = std::min<int64_t>(T, reader.cols() - x0);
      // The clipped window holding every source pixel the halo mirrors to.
      const int64_t wy0 = std::max<int64_t>(0, y0 - r), wy1 = std::min(reader.rows(), y0 + h + r);
      const int64_t wx0 = std::max<int64_t>(0, x0 - r), wx1 = std::min(reader.cols(), x0 + w + r);
      const int64_t wh = wy1 - wy0, ww = wx1 - wx0;
      window.resize(static_cast<size_t>(wh * ww * B));
      reader.read(wy0, wx0, wh, ww, window.data());
      // Pixels without data: NaN/Inf anywhere, or every band at the nodata value.
      std::vector<uint8_t> missing(static_cast<size_t>(wh * ww), 0);
      int64_t nonfinite = 0;
      for (int64_t p = 0; p < wh * ww; ++p) {
        const int state = mask_spectrum(window.data() + p * B, B, nodata_value);
        missing[p] = state != 0;
        nonfinite += state == 2;
      }
      if (nonfinite > 0 && o.nan_policy != "nodata") {
        data_error(input, "holds NaN/Inf values (first seen near row " + std::to_string(y0) + ", column " + std::to_string(x0) +
                              "); use --nan-policy nodata to leave those pixels unclassified");
      }
      std::vector<int32_t> ids(static_cast<size_t>(h * w), 0);
      std::vector<float> confidence(static_cast<size_t>(h * w), 0.0f);
      bool any = false;
      for (int64_t y = 0; y < h; ++y)
        for (int64_t x = 0; x < w; ++x) any = any || !missing[(y0 + y - wy0) * ww + (x0 + x - wx0)];
      ++result.tiles;
      if (!any) {
        ++result.skipped_tiles;  // all-nodata window: the model does not run
      } else {
        // Preprocess into a band-major tile with halo, mirrored like the in-memory path.
        const int64_t H = h + 2 * r, W = w + 2 * r;
        torch::Tensor tile = torch::empty({1, Bout, H, W});
        float* t = tile.data_ptr<float>();
#pragma omp parallel
        {
          std::vector<float> spectrum(static_cast<size_t>(Bout));
#pragma omp for schedule(static)
          for (int64_t i = 0; i < H; ++i) {
            const int64_t sr = reflect_index(y0 - r + i, reader.rows()) - wy0;
            for (int64_t j = 0; j < W; ++j) {
              const int64_t sc = reflect_index(x0 - r + j, reader.cols()) - wx0;
              ck.preprocessor.apply(window.data() + (sr * ww + sc) * B, spectrum.data());
              for (int64_t b = 0; b < Bout; ++b) t[(b * H + i) * W + j] = spectrum[b];
            }
          }
        }
        const torch::Tensor probabilities = dense_tile_probabilities(ck.net, tile, o.predict);
        const auto [best, index] = probabilities.max(1);
        const torch::Tensor bc = best.contiguous(), ic = index.contiguous();
        for (int64_t y = 0; y < h; ++y)
          for (int64_t x = 0; x < w; ++x) {
            const int64_t k = y * w + x;
            if (missing[(y0 + y - wy0) * ww + (x0 + x - wx0)]) continue;
            ids[k] = ck.classes.at(static_cast<size_t>(ic.data_ptr<int64_t>()[k])).id;
            confidence[k] = bc.data_ptr<float>()[k];
            ++result.classified;
          }
      }
      writer.write(y0, x0, h, w, ids, confidence);
      bar.update(result.tiles);
    }
  }
  bar.finish();
  writer.commit();
  result.nodata_pixels = result.rows * result.cols - result.classified;
  result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return result;
}

}  // namespace hsi
