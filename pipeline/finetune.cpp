#include "pipeline/finetune.hpp"

#include <chrono>
#include <cstdio>

#include "common/interrupt.hpp"
#include "metric/losses.hpp"
#include "pipeline/random.hpp"
#include "pipeline/sampler.hpp"

namespace hsi {

torch::Tensor class_prototypes(HsiNet& net, const BatchMaker& batches, const Samples& train, int64_t classes) {
  torch::NoGradGuard no_grad;
  net->eval();
  std::vector<torch::Tensor> parts;
  for (size_t s = 0; s < train.size(); s += 256) {
    const std::vector<int64_t> chunk(train.pixels.begin() + static_cast<int64_t>(s),
                                     train.pixels.begin() + static_cast<int64_t>(std::min(train.size(), s + 256)));
    parts.push_back(net->project(net->embed(batches.make(chunk))));
  }
  const torch::Tensor z = torch::cat(parts, 0);
  const torch::Tensor y = torch::tensor(train.targets, torch::kLong);
  torch::Tensor prototypes = torch::zeros({classes, z.size(1)});
  for (int64_t c = 0; c < classes; ++c) {
    const torch::Tensor mask = y == c;
    if (mask.any().item<bool>()) prototypes[c] = z.index({mask}).mean(0);
  }
  return prototypes;
}

// The median Euclidean distance between training features of different classes: a margin on
// the scale the pretrained metric actually has.
static double auto_margin(HsiNet& net, const BatchMaker& batches, const Samples& train) {
  torch::NoGradGuard no_grad;
  net->eval();
  const size_t n = std::min<size_t>(train.size(), 512);
  const std::vector<int64_t> pixels(train.pixels.begin(), train.pixels.begin() + static_cast<int64_t>(n));
  const torch::Tensor z = net->project(net->embed(batches.make(pixels)));
  const torch::Tensor d = metric::pairwise_sq_dist(z).sqrt();
  const torch::Tensor y = torch::tensor(std::vector<int64_t>(train.targets.begin(), train.targets.begin() + static_cast<int64_t>(n)), torch::kLong);
  const torch::Tensor different = y.unsqueeze(0) != y.unsqueeze(1);
  const torch::Tensor values = d.index({different});
  return values.numel() ? values.median().item<double>() : 1.0;
}

FinetuneOutcome finetune(HsiNet& net, torch::optim::Optimizer& optimizer, const BatchMaker& batches, const Samples& train,
                         const Samples& validation, const FinetuneSettings& s, bool augment, int seed, int start_epoch,
                         const EpochCallback& on_epoch, bool verbose) {
  FinetuneOutcome outcome;
  const auto t0 = std::chrono::steady_clock::now();
  const metric::DppKernel kernel = metric::parse_dpp_kernel(s.kernel);
  outcome.sigma = s.sigma > 0 ? s.sigma : metric::median_sq_distance(net->metric_factor());
  outcome.margin = s.margin > 0 ? s.margin : auto_margin(net, batches, train);
  outcome.mean_abs_cosine_before = metric::mean_abs_cosine(net->metric_factor());
  const BalancedBatchSampler sampler(train.targets, s.classes_per_batch, s.samples_per_class);
  const int64_t steps_per_epoch = std::max<int64_t>(4, (static_cast<int64_t>(train.size()) + sampler.batch_size() - 1) / sampler.batch_size());
  const int64_t total_steps = steps_per_epoch * s.epochs;
  const bool windows = batches.form() != "1d";
  if (verbose) {
    std::printf("fine-tuning: lambda %.4g, %s kernel, sigma %.4g, margin %.4g, beta %.3g, batch %ld (balanced)\n", s.lambda,
                s.kernel.c_str(), outcome.sigma, outcome.margin, s.beta, static_cast<long>(sampler.batch_size()));
  }
  for (int epoch = start_epoch; epoch < s.epochs; ++epoch) {
    if (stop_requested()) {
      outcome.interrupted = true;
      break;
    }
    const auto e0 = std::chrono::steady_clock::now();
    net->train();
    torch::manual_seed(static_cast<uint64_t>(seed) * 1000033ULL + static_cast<uint64_t>(epoch) + 77);
    Rng rng(static_cast<uint64_t>(seed) * 104729ULL + static_cast<uint64_t>(epoch) + 5);
    double struct_sum = 0, loss_sum = 0;
    int64_t correct = 0, seen = 0;
    for (int64_t step = 0; step < steps_per_epoch; ++step) {
      const std::vector<int64_t> picks = sampler.next(rng);
      std::vector<int64_t> pixels, targets;
      for (int64_t i : picks) {
        pixels.push_back(train.pixels[i]);
        targets.push_back(train.targets[i]);
      }
      const torch::Tensor x = batches.make(pixels, random_transforms(pixels.size(), augment && windows, rng.next()));
      const torch::Tensor y = torch::tensor(targets, torch::kLong);
      set_learning_rate(optimizer, scheduled_lr("cosine", s.lr, epoch * steps_per_epoch + step, total_steps));
      optimizer.zero_grad();
      const torch::Tensor z = net->project(net->embed(x));
      const torch::Tensor logits = net->classify(z);
      const torch::Tensor structural = metric::structural_metric_loss(z, y, outcome.margin);
      torch::Tensor loss = structural;
      if (s.beta > 0) loss = loss + s.beta * torch::nn::functional::cross_entropy(logits, y);
      torch::Tensor logdet;
      if (s.lambda > 0) {
        logdet = metric::dpp_log_det(net->metric_factor(), kernel, outcome.sigma);
        loss = loss - s.lambda * logdet;
      }
      loss.backward();
      optimizer.step();
      struct_sum += structural.item<double>();
      loss_sum += loss.item<double>();
      correct += (logits.argmax(1) == y).sum().item<int64_t>();
      seen += static_cast<int64_t>(targets.size());
    }
    EpochLog log;
    log.epoch = epoch + 1;
    log.loss = loss_sum / steps_per_epoch;
    log.train_accuracy = static_cast<double>(correct) / static_cast<double>(seen);
    log.lr = scheduled_lr("cosine", s.lr, (epoch + 1) * steps_per_epoch, total_steps);
    if (validation.size() > 0) log.validation_oa = accuracy_of(predict_samples(net, batches, validation.pixels), validation.targets);
    const double logdet_now = [&] {
      torch::NoGradGuard g;
      return metric::dpp_log_det(net->metric_factor(), kernel, outcome.sigma).item<double>();
    }();
    const double cosine = metric::mean_abs_cosine(net->metric_factor());
    char extra[160];
    std::snprintf(extra, sizeof extra, "struct %.4f  logdetK %.3f  mean|cos(B)| %.4f", struct_sum / steps_per_epoch, logdet_now, cosine);
    log.extra = extra;
    log.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - e0).count();
    const bool is_best = validation.size() == 0 || log.validation_oa > outcome.best_validation_oa;
    if (is_best) {
      outcome.best_epoch = log.epoch;
      outcome.best_validation_oa = log.validation_oa;
    }
    outcome.epochs_run = log.epoch;
    if (verbose) {
      std::printf("finetune %3d  loss %.4f  %s  train acc %.4f  val OA %s  %.2fs\n", log.epoch, log.loss, log.extra.c_str(),
                  log.train_accuracy, log.validation_oa < 0 ? "  -   " : std::to_string(log.validation_oa).substr(0, 6).c_str(), log.seconds);
      std::fflush(stdout);
    }
    on_epoch(log, is_best, optimizer);
  }
  outcome.mean_abs_cosine_after = metric::mean_abs_cosine(net->metric_factor());
  outcome.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return outcome;
}

}  // namespace hsi
