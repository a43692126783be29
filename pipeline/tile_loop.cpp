// The one prediction loop (see predict.hpp): tiles read from a WindowSource, masked,
// preprocessed with a mirrored halo, classified on the dense or the patch route, handed to a sink.
#include <chrono>
#include <cmath>
#include <cstdio>
#include <optional>
#include <type_traits>
#include <utility>

#include "common/cpu_features.hpp"
#include "common/error.hpp"
#include "common/interrupt.hpp"
#include "common/thread_governor.hpp"
#include "common/progress.hpp"
#include "pipeline/patches.hpp"
#include "pipeline/precision.hpp"
#include "pipeline/predict.hpp"
#include "pipeline/prototypes.hpp"
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
  torch::Tensor input;           // [1, bands, h + 2r, w + 2r]
  double read_seconds = 0, prepare_seconds = 0;
};

// Reads, masks and preprocesses tiles. One tile at a time: its buffers are reused.
class TilePreparer {
 public:
  TilePreparer(const WindowSource& source, const Preprocessor& preprocessor, int64_t radius, bool nan_is_nodata)
      : source_(source), preprocessor_(preprocessor), r_(radius), nan_is_nodata_(nan_is_nodata) {}

  // The tile at (y0, x0) of the source, at most side x side and within [0, end_y) x [0, end_x).
  // Mean |standardised value| of the first tile's valid pixels (-2: not measured yet).
  double first_distance() const { return first_distance_; }

  ReadyTile prepare(int64_t y0, int64_t x0, int64_t side, int64_t end_y, int64_t end_x) {
    ReadyTile t;
    t.y0 = y0;
    t.x0 = x0;
    t.h = std::min(side, end_y - y0);
    t.w = std::min(side, end_x - x0);
    // The clipped window holding every source pixel the halo mirrors to.
    const int64_t wy0 = std::max<int64_t>(0, y0 - r_), wx0 = std::max<int64_t>(0, x0 - r_);
    const Window window{wy0, wx0, std::min(source_.rows(), y0 + t.h + r_) - wy0, std::min(source_.cols(), x0 + t.w + r_) - wx0};
    auto start = std::chrono::steady_clock::now();
    const RawWindow raw = source_.read_raw(window.y0, window.x0, window.h, window.w);
    t.read_seconds = seconds_since(start);
    start = std::chrono::steady_clock::now();
    // The window stays in the source's value type: masking and preprocessing convert as they go.
    visit_samples(raw, [&](auto* values) { prepare_window(t, values, window); });
    t.prepare_seconds = seconds_since(start);
    return t;
  }

 private:
  struct Window {
    int64_t y0, x0, h, w;
  };

  // Pixels without data: a mask known beforehand, else NaN/Inf anywhere or every band at the
  // nodata value. An integer raster without a nodata value has none, and the pass is skipped.
  template <typename T>
  void mask_window(const ReadyTile& t, T* values, const Window& win) {
    const int64_t B = source_.bands(), pixels = win.h * win.w;
    window_missing_.assign(static_cast<size_t>(pixels), 0);
    if (const std::vector<uint8_t>* known = source_.known_nodata()) {
      for (int64_t y = 0; y < win.h; ++y)
        for (int64_t x = 0; x < win.w; ++x) window_missing_[y * win.w + x] = (*known)[(win.y0 + y) * source_.cols() + win.x0 + x];
      return;
    }
    const std::optional<double> nodata_value = source_.geo().nodata;
    if (!nodata_value && !std::is_floating_point_v<T>) return;
    if (kept_.empty()) kept_ = preprocessor_.kept_band_flags();
    int64_t nonfinite = 0;
#pragma omp parallel for schedule(static) reduction(+ : nonfinite)
    for (int64_t p = 0; p < pixels; ++p) {
      const int state = mask_spectrum(values + p * B, B, nodata_value, kept_.data());
      window_missing_[p] = state != 0;
      nonfinite += state == 2;
    }
    if (nonfinite > 0 && !nan_is_nodata_) {
      data_error(source_.path(), "holds NaN/Inf values (first seen near row " + std::to_string(t.y0) + ", column " + std::to_string(t.x0) +
                                     "); use --nan-policy nodata (data.nan_policy = nodata) to leave those pixels unclassified");
    }
  }

  template <typename T>
  void prepare_window(ReadyTile& t, T* values, const Window& win) {
    const int64_t Bout = preprocessor_.output_bands(), pixels = win.h * win.w;
    mask_window(t, values, win);
    if (first_distance_ == -2) first_distance_ = preprocessor_.distance_from_training(values, pixels, window_missing_.data());
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
    // At the border the halo is mirrored exactly as the patch extractor does.
    prepared_.resize(static_cast<size_t>(pixels * Bout));
    preprocessor_.apply_band_major(values, pixels, prepared_.data());
    std::vector<int64_t> source_col(static_cast<size_t>(W));
    for (int64_t j = 0; j < W; ++j) source_col[j] = reflect_index(t.x0 - r_ + j, source_.cols()) - win.x0;
#pragma omp parallel for schedule(static)
    for (int64_t b = 0; b < Bout; ++b)
      for (int64_t i = 0; i < H; ++i) {
        const float* src = prepared_.data() + (b * win.h + reflect_index(t.y0 - r_ + i, source_.rows()) - win.y0) * win.w;
        float* dst = out + (b * H + i) * W;
        for (int64_t j = 0; j < W; ++j) dst[j] = src[source_col[j]];
      }
  }

  const WindowSource& source_;
  const Preprocessor& preprocessor_;
  const int64_t r_;
  const bool nan_is_nodata_;
  std::vector<float> prepared_;
  std::vector<uint8_t> window_missing_;
  std::vector<uint8_t> kept_;  // per source band, 1 = used by the model: only those are masked on
  double first_distance_ = -2;
};

// How a tile with its halo becomes class probabilities [h*w, classes], row-major, and (with an
// open-set rule) each pixel's novelty score [h*w].
struct TileScores {
  torch::Tensor probabilities, novelty;
};

class TileClassifier {
 public:
  TileClassifier(Checkpoint& ck, const std::string& route, const std::string& classifier, const std::string& rule, int batch_size, bool bf16)
      : ck_(ck), dense_(route == "dense" || !ck.net_options.window_model()), classifier_(classifier), rule_(rule), batch_size_(batch_size),
        bf16_(bf16) {}

  TileScores scores(const torch::Tensor& tile, int64_t h, int64_t w) {
    if (ck_.svm) return {ck_.svm->vote_shares(tile.reshape({tile.size(1), h * w}).t()), {}};
    if (ck_.unmixing) return {ck_.unmixing->shares(tile.reshape({tile.size(1), h * w}).t()), {}};
    if (dense_) return scores_of(metric_embedding([&] { return ck_.net->embed_dense(tile); }));
    // Patch route: every window cut out of the tile, a few tile rows per batch.
    const int64_t p = ck_.net_options.patch, rows_per_batch = std::max<int64_t>(1, batch_size_ / w);
    std::vector<torch::Tensor> probabilities, novelty;
    for (int64_t y = 0; y < h; y += rows_per_batch) {
      throw_if_stop_requested();
      const int64_t k = std::min(rows_per_batch, h - y);
      // [1, B, k+p-1, W] -> [1, B, k, w, p, p] -> [k*w, B, p, p]
      const torch::Tensor windows = tile.narrow(2, y, k + p - 1).unfold(2, p, 1).unfold(3, p, 1).permute({0, 2, 3, 1, 4, 5})
                                        .reshape({k * w, tile.size(1), p, p});
      TileScores part = scores_of(metric_embedding([&] { return ck_.net->embed(windows); }));
      probabilities.push_back(part.probabilities);
      if (part.novelty.defined()) novelty.push_back(part.novelty);
    }
    return {torch::cat(probabilities, 0), novelty.empty() ? torch::Tensor() : torch::cat(novelty, 0)};
  }

 private:
  // z = B f(x) of the network's embedding, computed in the chosen precision, as float32.
  template <typename Embed>
  torch::Tensor metric_embedding(const Embed& embed) {
    const Bf16Scope bf16(bf16_);
    return ck_.net->project(embed()).to(torch::kFloat);
  }

  TileScores scores_of(const torch::Tensor& z) {
    TileScores out{class_probabilities(ck_, z, classifier_), {}};
    if (rule_ != "none") out.novelty = novelty_scores(ck_.net, z, rule_, ck_.prototypes, ck_.metric_precision);
    return out;
  }

  Checkpoint& ck_;
  const bool dense_;  // spectral models: every pixel's spectrum is its whole "window"
  const std::string classifier_, rule_;
  const int batch_size_;
  const bool bf16_;
};

}  // namespace

namespace {

int side_for_budget(double bytes_per_pixel, int radius, int64_t ram_mb) {
  // A third of the budget for the tile; the rest covers the model, LibTorch and GDAL caches.
  const double budget = static_cast<double>(ram_mb) * (1 << 20) / 3.0;
  const int side = static_cast<int>(std::sqrt(budget / bytes_per_pixel)) - radius * 2;
  return std::max(16, std::min(1024, side / 16 * 16));
}

// The SVM's working set per pixel: the raw and preprocessed spectrum, and a float64 row of
// kernel values (with its temporaries) against every support vector.
int svm_tile_for_budget(const SvmModel& svm, int64_t input_bands, int64_t ram_mb) {
  return side_for_budget(4.0 * (static_cast<double>(input_bands) + svm.dims()) + 8.0 * 3 * static_cast<double>(svm.support_vector_count() + svm.classes()),
                         0, ram_mb);
}

// Unmixing's working set per pixel: the raw and preprocessed spectrum, its shifted copy and a
// few rows of class values.
int unmixing_tile_for_budget(const UnmixingModel& unmixing, int64_t input_bands, int64_t ram_mb) {
  return side_for_budget(4.0 * (static_cast<double>(input_bands) + 2.0 * unmixing.dims() + 6.0 * unmixing.classes()), 0, ram_mb);
}

}  // namespace

int tile_for_budget(const NetOptions& net, int64_t input_bands, int64_t ram_mb) {
  // Per tile pixel (with halo): the raw window, the preprocessed tensor, and the network's
  // widest activations in float32 (window models: several maps of up to 3w channels plus the
  // embedding; spectral models: 3w channels along the whole spectrum, twice; the spectral-
  // spatial form both, its spectral branch at half width).
  double activations = net.window_model() ? 8.0 * 3 * net.width : 6.0 * net.width * net.in_bands;
  if (net.form() == NetForm::SpectralSpatial) activations += 3.0 * net.width * net.in_bands;
  const double per_pixel = 4.0 * (static_cast<double>(input_bands) + net.in_bands + activations + 2.0 * net.embedding);
  return side_for_budget(per_pixel, net.patch_used() / 2, ram_mb);
}

torch::Tensor class_probabilities(Checkpoint& ck, const torch::Tensor& z, const std::string& classifier) {
  if (classifier == "prototype") return torch::softmax(-prototype_distances(z, ck.prototypes, {}), 1);
  if (classifier == "mahalanobis") return torch::softmax(-0.5 * prototype_distances(z, ck.prototypes, ck.metric_precision), 1);
  if (classifier == "neighbour") {
    const int64_t classes = static_cast<int64_t>(ck.classes.size());
    return torch::softmax(-0.5 * neighbour_distances(z, ck.exemplars, ck.exemplar_classes, classes, ck.metric_precision), 1);
  }
  return torch::softmax(ck.net->classify(z), 1);
}

std::string open_set_rule(const Checkpoint& ck, const PredictOptions& o) {
  const std::string rule = o.unknown.empty() ? ck.open_set : o.unknown;
  if (rule == "none") return rule;
  if (std::find(open_set_rules().begin(), open_set_rules().end(), rule) == open_set_rules().end()) {
    usage_error("--unknown: unknown rule '" + rule + "' (use none, mahalanobis, distance or softmax)");
  }
  if (!ck.net) usage_error("this " + ck.net_options.name + " checkpoint has no open-set rule (it learns no metric); use --unknown none");
  if (rule == "softmax" && ck.enrolled_classes() > 0) {
    usage_error("the softmax rule cannot judge the enrolled classes this checkpoint's head never saw; use --unknown mahalanobis or distance");
  }
  if (!ck.open_set_thresholds.count(rule) || !std::isfinite(ck.open_set_thresholds.at(rule))) {
    throw Error(ErrorKind::Data, "the checkpoint holds no calibrated threshold for the " + rule +
                                     " rule (trained without held-out pixels or before hsi had open-set rules); retrain it");
  }
  return rule;
}

PredictionStats predict_tiles(Checkpoint& ck, const WindowSource& source, const PredictOptions& o, const TileSink& sink, const Region& region_in) {
  const auto t0 = std::chrono::steady_clock::now();
  ck.preprocessor.check_input_bands(source.bands(), source.path());
  const bool window_model = ck.net_options.window_model();
  if (o.route == "dense" && !window_model) usage_error("predict.route = dense needs a window model (2-D or 3-D); this checkpoint holds " + ck.net_options.name);
  // svm and unmix checkpoints have one classifier each, named after the model.
  if (!ck.net && !o.classifier.empty() && o.classifier != ck.classifier)
    usage_error("this " + ck.net_options.name + " checkpoint has no " + o.classifier + " classifier");
  const Region region = region_in.rows > 0 ? region_in : Region{0, 0, source.rows(), source.cols()};
  if (region.y0 < 0 || region.x0 < 0 || region.cols <= 0 || region.y0 + region.rows > source.rows() || region.x0 + region.cols > source.cols()) {
    throw Error(ErrorKind::Internal, "prediction region outside " + source.path());
  }
  PredictionStats stats;
  stats.rows = region.rows;
  stats.cols = region.cols;
  stats.route = window_model && o.route != "patch" ? "dense" : "patch";
  stats.classifier = !ck.net || o.classifier.empty() ? ck.classifier : o.classifier;
  if ((stats.classifier == "prototype" || stats.classifier == "mahalanobis") && !ck.prototypes.defined()) {
    throw Error(ErrorKind::Data, "the checkpoint asks for the " + stats.classifier + " classifier but holds no prototypes");
  }
  if ((stats.classifier == "mahalanobis" || stats.classifier == "neighbour") && !ck.metric_precision.defined()) {
    throw Error(ErrorKind::Data, "the checkpoint holds no metric covariance for the " + stats.classifier +
                                     " classifier (trained before hsi had it); retrain it");
  }
  if (stats.classifier == "neighbour" && !ck.exemplars.defined()) {
    throw Error(ErrorKind::Data, "the checkpoint holds no exemplars for the neighbour classifier (trained before hsi had it); retrain it");
  }
  if (stats.classifier == "softmax" && ck.enrolled_classes() > 0) {
    usage_error("the softmax head does not know the " + std::to_string(ck.enrolled_classes()) +
                " enrolled class(es) of this checkpoint; use the neighbour, mahalanobis or prototype classifier");
  }
  stats.open_set = open_set_rule(ck, o);
  const bool bf16 = ck.net && resolves_to_bf16(o.precision);
  stats.precision = !ck.net ? "fp32 (" + ck.classifier + ")" : bf16 ? "bf16" : "fp32";
  const double threshold = stats.open_set == "none" ? 0.0 : ck.open_set_thresholds.at(stats.open_set);
  const int32_t unknown_id = unknown_class_id(ck.classes);
  int T = o.tile > 0       ? o.tile
          : ck.svm         ? svm_tile_for_budget(*ck.svm, source.bands(), o.ram_mb)
          : ck.unmixing    ? unmixing_tile_for_budget(*ck.unmixing, source.bands(), o.ram_mb)
                           : tile_for_budget(ck.net_options, source.bands(), o.ram_mb);
  // Align tiles with the file's blocks so every block is decoded once per tile row.
  if (o.tile <= 0 && source.block_width() > 1 && T > source.block_width()) T = T / source.block_width() * source.block_width();
  stats.tile = T;
  const int64_t r = ck.net_options.patch_used() / 2;
  // A third of the budget may hold decoded blocks (see tile_for_budget for the rest).
  source.reserve_cache_for_window(T + 2 * r, T + 2 * r, o.ram_mb * (1LL << 20) / 3);
  torch::NoGradGuard no_grad;
  if (ck.net) ck.net->eval();
  std::vector<std::pair<int64_t, int64_t>> origins;
  for (int64_t y0 = region.y0; y0 < region.y0 + region.rows; y0 += T)
    for (int64_t x0 = region.x0; x0 < region.x0 + region.cols; x0 += T) origins.emplace_back(y0, x0);
  ProgressBar bar("predict", o.progress ? static_cast<int64_t>(origins.size()) : 0);

  // Tiles are prepared and classified in turn. (Preparing the next tile on a second thread
  // while the network runs was measured slower on 2 cores: the threads only compete.)
  TilePreparer preparer(source, ck.preprocessor, r, o.nan_policy == "nodata");
  TileClassifier classifier(ck, stats.route, stats.classifier, stats.open_set, o.batch_size, bf16);
  std::vector<int32_t> ids;
  std::vector<float> confidence, novelty;
  bool warned_scale = false;
  for (const auto& [y0, x0] : origins) {
    throw_if_stop_requested();
    share_cores_at_safe_point();
    const ReadyTile tile = preparer.prepare(y0, x0, T, region.y0 + region.rows, region.x0 + region.cols);
    if (!warned_scale && preparer.first_distance() > 20) {
      // Standardised training pixels lie about 0.8 from the mean: far beyond that, the input is
      // most likely of another data type or scale (int16 x 1000 on a float model) and the map
      // will be one class everywhere. Said, not refused: a scene can legitimately differ.
      std::fprintf(stderr,
                   "hsi: warning: %s: values lie far from the training data's (mean |z| = %.0f on the first tile, about 1 on training "
                   "pixels): another data type or scale than the model was trained on?\n",
                   source.path().c_str(), preparer.first_distance());
      warned_scale = true;
    }
    stats.read_seconds += tile.read_seconds;
    stats.prepare_seconds += tile.prepare_seconds;
    const auto start = std::chrono::steady_clock::now();
    ids.assign(static_cast<size_t>(tile.h * tile.w), 0);
    confidence.assign(static_cast<size_t>(tile.h * tile.w), 0.0f);
    novelty.assign(stats.open_set == "none" ? 0 : static_cast<size_t>(tile.h * tile.w), 0.0f);
    ++stats.tiles;
    torch::Tensor probabilities;  // [h*w, classes], handed to the sink
    if (tile.input.defined()) {
      const TileScores scores = classifier.scores(tile.input, tile.h, tile.w);
      probabilities = scores.probabilities.to(torch::kFloat).contiguous();
      const auto [best, index] = probabilities.max(1);
      const torch::Tensor bc = best.contiguous(), ic = index.contiguous();
      const int64_t* class_index = ic.data_ptr<int64_t>();
      const float* best_probability = bc.data_ptr<float>();
      const torch::Tensor nc = scores.novelty.defined() ? scores.novelty.contiguous() : torch::Tensor();
      for (int64_t p = 0; p < tile.h * tile.w; ++p) {
        if (tile.missing[p]) continue;
        ids[p] = ck.classes.at(static_cast<size_t>(class_index[p])).id;
        confidence[p] = best_probability[p];
        ++stats.classified;
        if (nc.defined()) {
          novelty[p] = nc.data_ptr<float>()[p];
          if (novelty[p] > threshold) {
            ids[p] = unknown_id;
            ++stats.unknown_pixels;
          }
        }
      }
    } else {
      ++stats.skipped_tiles;  // all-nodata window: the model does not run
    }
    stats.model_seconds += seconds_since(start);
    const auto write_start = std::chrono::steady_clock::now();
    sink(TileResult{tile.y0 - region.y0, tile.x0 - region.x0, tile.h, tile.w, ids, confidence, novelty,
                    probabilities.defined() ? probabilities.data_ptr<float>() : nullptr, probabilities.defined() ? probabilities.size(1) : 0});
    stats.write_seconds += seconds_since(write_start);
    if (o.progress) bar.update(stats.tiles);
  }
  bar.finish();
  stats.nodata_pixels = stats.rows * stats.cols - stats.classified;
  stats.seconds = seconds_since(t0);
  return stats;
}

}  // namespace hsi
