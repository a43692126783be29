#include "pipeline/stream_predict.hpp"

#include <torch/torch.h>

#include <chrono>
#include <cmath>
#include <optional>
#include <type_traits>
#include <utility>

#include "common/error.hpp"
#include "common/interrupt.hpp"
#include "common/progress.hpp"
#include "io/window_io.hpp"
#include "pipeline/patches.hpp"
#include "pipeline/scene.hpp"

namespace hsi {

namespace {

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

// One tile made ready for the network: its place, which of its pixels have no data, and the
// preprocessed band-major input with its halo (undefined when no pixel of the tile has data).
struct ReadyTile {
  int64_t y0 = 0, x0 = 0, h = 0, w = 0;
  std::vector<uint8_t> missing;  // h x w
  torch::Tensor input;
  double read_seconds = 0, prepare_seconds = 0;
};

// Reads, masks and preprocesses tiles. One tile at a time: its buffers are reused.
class TilePreparer {
 public:
  TilePreparer(const RasterWindowReader& reader, const Preprocessor& preprocessor, int64_t radius, bool nan_is_nodata)
      : reader_(reader), preprocessor_(preprocessor), r_(radius), nan_is_nodata_(nan_is_nodata) {}

  ReadyTile prepare(int64_t y0, int64_t x0, int64_t side) {
    ReadyTile t;
    t.y0 = y0;
    t.x0 = x0;
    t.h = std::min(side, reader_.rows() - y0);
    t.w = std::min(side, reader_.cols() - x0);
    // The clipped window holding every source pixel the halo mirrors to.
    const int64_t wy0 = std::max<int64_t>(0, y0 - r_), wx0 = std::max<int64_t>(0, x0 - r_);
    const Window window{wy0, wx0, std::min(reader_.rows(), y0 + t.h + r_) - wy0, std::min(reader_.cols(), x0 + t.w + r_) - wx0};
    auto start = std::chrono::steady_clock::now();
    const RawWindow raw = reader_.read_raw(window.y0, window.x0, window.h, window.w);
    t.read_seconds = seconds_since(start);
    start = std::chrono::steady_clock::now();
    // The window stays in the file's value type: masking and preprocessing convert as they go.
    visit_samples(raw, [&](auto* values) { prepare_window(t, values, window); });
    t.prepare_seconds = seconds_since(start);
    return t;
  }

 private:
  struct Window {
    int64_t y0, x0, h, w;
  };

  template <typename T>
  void prepare_window(ReadyTile& t, T* values, const Window& win) {
    const int64_t B = reader_.bands(), Bout = preprocessor_.output_bands(), pixels = win.h * win.w;
    // Pixels without data: NaN/Inf anywhere, or every band at the nodata value. An integer
    // raster without a nodata value has none, and the pass is skipped.
    const std::optional<double> nodata_value = reader_.geo().nodata;
    window_missing_.assign(static_cast<size_t>(pixels), 0);
    if (nodata_value || std::is_floating_point_v<T>) {
      int64_t nonfinite = 0;
#pragma omp parallel for schedule(static) reduction(+ : nonfinite)
      for (int64_t p = 0; p < pixels; ++p) {
        const int state = mask_spectrum(values + p * B, B, nodata_value);
        window_missing_[p] = state != 0;
        nonfinite += state == 2;
      }
      if (nonfinite > 0 && !nan_is_nodata_) {
        data_error(reader_.path(), "holds NaN/Inf values (first seen near row " + std::to_string(t.y0) + ", column " +
                                       std::to_string(t.x0) + "); use --nan-policy nodata to leave those pixels unclassified");
      }
    }
    t.missing.resize(static_cast<size_t>(t.h * t.w));
    bool any = false;
    for (int64_t y = 0; y < t.h; ++y)
      for (int64_t x = 0; x < t.w; ++x) {
        const uint8_t m = window_missing_[(t.y0 + y - win.y0) * win.w + (t.x0 + x - win.x0)];
        t.missing[y * t.w + x] = m;
        any = any || !m;
      }
    if (!any) return;
    const int64_t H = t.h + 2 * r_, W = t.w + 2 * r_;
    t.input = torch::empty({1, Bout, H, W});
    float* out = t.input.data_ptr<float>();
    if (win.h == H && win.w == W) {
      // Away from the scene border the window is the tile.
      preprocessor_.apply_band_major(values, pixels, out);
      return;
    }
    // At the border the halo is mirrored exactly as the in-memory path does.
    prepared_.resize(static_cast<size_t>(pixels * Bout));
    preprocessor_.apply_band_major(values, pixels, prepared_.data());
    std::vector<int64_t> source_col(static_cast<size_t>(W));
    for (int64_t j = 0; j < W; ++j) source_col[j] = reflect_index(t.x0 - r_ + j, reader_.cols()) - win.x0;
#pragma omp parallel for schedule(static)
    for (int64_t b = 0; b < Bout; ++b)
      for (int64_t i = 0; i < H; ++i) {
        const float* src = prepared_.data() + (b * win.h + reflect_index(t.y0 - r_ + i, reader_.rows()) - win.y0) * win.w;
        float* dst = out + (b * H + i) * W;
        for (int64_t j = 0; j < W; ++j) dst[j] = src[source_col[j]];
      }
  }

  const RasterWindowReader& reader_;
  const Preprocessor& preprocessor_;
  const int64_t r_;
  const bool nan_is_nodata_;
  std::vector<float> prepared_;
  std::vector<uint8_t> window_missing_;
};

}  // namespace

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
  const int64_t r = ck.net_options.patch / 2;
  // A third of the budget may hold decoded blocks (see tile_for_budget for the rest).
  reader.reserve_cache_for_window(T + 2 * r, T + 2 * r, o.ram_mb * (1LL << 20) / 3);
  TiledMapWriter writer(map_path, confidence_path, reader.rows(), reader.cols(), ck.classes, reader.geo());
  torch::NoGradGuard no_grad;
  ck.net->eval();
  std::vector<std::pair<int64_t, int64_t>> origins;
  for (int64_t y0 = 0; y0 < reader.rows(); y0 += T)
    for (int64_t x0 = 0; x0 < reader.cols(); x0 += T) origins.emplace_back(y0, x0);
  ProgressBar bar("predict", static_cast<int64_t>(origins.size()));

  // Tiles are prepared and classified in turn. (Preparing the next tile on a second thread
  // while the network runs was measured slower on 2 cores: the threads only compete.)
  TilePreparer preparer(reader, ck.preprocessor, r, o.nan_policy == "nodata");
  for (const auto& [y0, x0] : origins) {
    if (stop_requested()) throw Error(ErrorKind::Internal, "interrupted");
    ReadyTile tile = preparer.prepare(y0, x0, T);
    result.read_seconds += tile.read_seconds;
    result.prepare_seconds += tile.prepare_seconds;
    const auto start = std::chrono::steady_clock::now();
    std::vector<int32_t> ids(static_cast<size_t>(tile.h * tile.w), 0);
    std::vector<float> confidence(static_cast<size_t>(tile.h * tile.w), 0.0f);
    ++result.tiles;
    if (tile.input.defined()) {
      const torch::Tensor probabilities = dense_tile_probabilities(ck.net, tile.input, o.predict);
      const auto [best, index] = probabilities.max(1);
      const torch::Tensor bc = best.contiguous(), ic = index.contiguous();
      const int64_t* class_index = ic.data_ptr<int64_t>();
      const float* best_probability = bc.data_ptr<float>();
      for (int64_t p = 0; p < tile.h * tile.w; ++p) {
        if (tile.missing[p]) continue;
        ids[p] = ck.classes.at(static_cast<size_t>(class_index[p])).id;
        confidence[p] = best_probability[p];
        ++result.classified;
      }
    } else {
      ++result.skipped_tiles;  // all-nodata window: the model does not run
    }
    result.model_seconds += seconds_since(start);
    const auto write_start = std::chrono::steady_clock::now();
    writer.write(tile.y0, tile.x0, tile.h, tile.w, ids, confidence);
    result.write_seconds += seconds_since(write_start);
    bar.update(result.tiles);
  }
  bar.finish();
  writer.commit();
  result.nodata_pixels = result.rows * result.cols - result.classified;
  result.seconds = seconds_since(t0);
  return result;
}

}  // namespace hsi
