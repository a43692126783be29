#include "pipeline/trainer.hpp"

#include <chrono>
#include <cmath>
#include <cstdio>

#include "common/interrupt.hpp"
#include "common/progress.hpp"
#include "pipeline/random.hpp"

namespace hsi {

std::unique_ptr<torch::optim::Optimizer> make_optimizer(HsiNet& net, const std::string& kind, double lr, double momentum,
                                                        double weight_decay) {
  if (kind == "sgd") {
    return std::make_unique<torch::optim::SGD>(net->parameters(),
                                               torch::optim::SGDOptions(lr).momentum(momentum).weight_decay(weight_decay).nesterov(true));
  }
  return std::make_unique<torch::optim::Adam>(net->parameters(), torch::optim::AdamOptions(lr).weight_decay(weight_decay));
}

void set_learning_rate(torch::optim::Optimizer& optimizer, double lr) {
  for (auto& group : optimizer.param_groups()) group.options().set_lr(lr);
}

double scheduled_lr(const std::string& schedule, double base, int64_t step, int64_t total) {
  if (schedule == "cosine") return base * 0.5 * (1.0 + std::cos(M_PI * static_cast<double>(step) / static_cast<double>(std::max<int64_t>(total, 1))));
  if (schedule == "step") {
    const double t = static_cast<double>(step) / static_cast<double>(std::max<int64_t>(total, 1));
    return base * (t < 0.5 ? 1.0 : t < 0.75 ? 0.1 : 0.01);
  }
  return base;
}

std::vector<uint8_t> random_transforms(size_t n, bool enabled, uint64_t seed) {
  if (!enabled) return {};
  Rng rng(seed);
  std::vector<uint8_t> t(n);
  for (auto& v : t) v = static_cast<uint8_t>(rng.below(8));
  return t;
}

std::vector<int64_t> predict_samples(HsiNet& net, const BatchMaker& batches, const std::vector<int64_t>& pixels, int batch_size) {
  torch::NoGradGuard no_grad;
  net->eval();
  std::vector<int64_t> out;
  out.reserve(pixels.size());
  for (size_t start = 0; start < pixels.size(); start += static_cast<size_t>(batch_size)) {
    const size_t end = std::min(pixels.size(), start + static_cast<size_t>(batch_size));
    const std::vector<int64_t> chunk(pixels.begin() + static_cast<int64_t>(start), pixels.begin() + static_cast<int64_t>(end));
    const torch::Tensor predicted = net->forward(batches.make(chunk)).argmax(1).contiguous();
    out.insert(out.end(), predicted.data_ptr<int64_t>(), predicted.data_ptr<int64_t>() + predicted.numel());
  }
  return out;
}

double accuracy_of(const std::vector<int64_t>& predicted, const std::vector<int64_t>& targets) {
  if (targets.empty()) return -1;
  int64_t hit = 0;
  for (size_t i = 0; i < targets.size(); ++i) hit += predicted[i] == targets[i];
  return static_cast<double>(hit) / static_cast<double>(targets.size());
}

TrainOutcome pretrain(HsiNet& net, torch::optim::Optimizer& optimizer, const BatchMaker& batches, const Samples& train,
                      const Samples& validation, const TrainSettings& s, int seed, int start_epoch,
                      const EpochCallback& on_epoch, bool verbose) {
  TrainOutcome outcome;
  const auto t0 = std::chrono::steady_clock::now();
  const int64_t n = static_cast<int64_t>(train.size());
  const int64_t batch = std::min<int64_t>(s.batch_size, n);
  // Tiny training sets (5 pixels per class) would get a handful of steps per epoch: repeat the
  // set within each epoch so the whole run makes at least min_steps optimiser steps.
  const int64_t steps_per_epoch =
      std::max<int64_t>((n + batch - 1) / batch, (s.min_steps + s.epochs - 1) / std::max(1, s.epochs));
  const int64_t total_steps = steps_per_epoch * s.epochs;
  const bool windows = batches.form() != "1d";
  int epochs_without_gain = 0;
  for (int epoch = start_epoch; epoch < s.epochs; ++epoch) {
    if (stop_requested()) {
      outcome.interrupted = true;
      break;
    }
    const auto e0 = std::chrono::steady_clock::now();
    net->train();
    torch::manual_seed(static_cast<uint64_t>(seed) * 1000003ULL + static_cast<uint64_t>(epoch));
    Rng rng(static_cast<uint64_t>(seed) * 7919ULL + static_cast<uint64_t>(epoch) + 1);
    std::vector<int64_t> order(static_cast<size_t>(n));
    for (int64_t i = 0; i < n; ++i) order[i] = i;
    rng.shuffle(order);
    size_t cursor = 0;
    double loss_sum = 0;
    int64_t correct = 0, seen = 0;
    ProgressBar bar("epoch " + std::to_string(epoch + 1), steps_per_epoch);
    for (int64_t step = 0; step < steps_per_epoch; ++step) {
      std::vector<int64_t> pixels, targets;
      for (int64_t k = 0; k < batch; ++k) {
        if (cursor == order.size()) {
          rng.shuffle(order);
          cursor = 0;
        }
        const int64_t i = order[cursor++];
        pixels.push_back(train.pixels[i]);
        targets.push_back(train.targets[i]);
      }
      torch::Tensor x = batches.make(pixels, random_transforms(pixels.size(), s.augment && windows, rng.next()));
      if (s.spectral_noise > 0) x.add_(torch::randn_like(x) * s.spectral_noise);
      const torch::Tensor y = torch::tensor(targets, torch::kLong);
      set_learning_rate(optimizer, scheduled_lr(s.schedule, s.lr, epoch * steps_per_epoch + step, total_steps));
      optimizer.zero_grad();
      const torch::Tensor logits = net->forward(x);
      const torch::Tensor loss = torch::nn::functional::cross_entropy(logits, y);
      loss.backward();
      optimizer.step();
      loss_sum += loss.item<double>() * static_cast<double>(batch);
      correct += (logits.argmax(1) == y).sum().item<int64_t>();
      seen += batch;
      bar.update(step + 1);
    }
    bar.finish();
    EpochLog log;
    log.epoch = epoch + 1;
    log.loss = loss_sum / static_cast<double>(seen);
    log.train_accuracy = static_cast<double>(correct) / static_cast<double>(seen);
    log.lr = scheduled_lr(s.schedule, s.lr, (epoch + 1) * steps_per_epoch, total_steps);
    if (validation.size() > 0) log.validation_oa = accuracy_of(predict_samples(net, batches, validation.pixels), validation.targets);
    log.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - e0).count();
    // Without validation pixels the last epoch counts as the best.
    const bool is_best = validation.size() == 0 || log.validation_oa > outcome.best_validation_oa;
    if (is_best) {
      outcome.best_epoch = log.epoch;
      outcome.best_validation_oa = log.validation_oa;
      epochs_without_gain = 0;
    } else {
      ++epochs_without_gain;
    }
    outcome.epochs_run = log.epoch;
    if (verbose) {
      std::printf("epoch %3d  loss %.4f  train acc %.4f  val OA %s  lr %.2e  %.2fs\n", log.epoch, log.loss, log.train_accuracy,
                  log.validation_oa < 0 ? "  -   " : std::to_string(log.validation_oa).substr(0, 6).c_str(), log.lr, log.seconds);
      std::fflush(stdout);
    }
    on_epoch(log, is_best, optimizer);
    if (s.patience > 0 && epochs_without_gain >= s.patience) break;
  }
  outcome.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return outcome;
}

}  // namespace hsi
