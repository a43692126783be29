#include "pipeline/epoch_loop.hpp"

#include <chrono>
#include <cmath>
#include <cstdio>

#include "common/error.hpp"
#include "common/interrupt.hpp"
#include "common/thread_governor.hpp"
#include "common/progress.hpp"
#include "pipeline/trainer.hpp"

namespace hsi {
namespace {

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

void print_epoch(const StageSchedule& schedule, const EpochLog& log) {
  const std::string validation = log.validation_oa < 0 ? "  -   " : std::to_string(log.validation_oa).substr(0, 6);
  std::printf("%s %3d  loss %.4f  %s%strain acc %.4f  val OA %s  lr %.2e  %.2fs\n", schedule.label.c_str(), log.epoch, log.loss,
              log.extra.c_str(), log.extra.empty() ? "" : "  ", log.train_accuracy, validation.c_str(), log.lr, log.seconds);
  std::fflush(stdout);
}

// The loss guards the weights each step started from, not the update that followed it: a
// learning rate that breaks the weights in an epoch's last step (or a stage's only one) would
// pass it, and checkpoint a network whose every output is NaN. A few training pixels through the
// network catch weights that are finite but so large that the activations overflow.
bool outputs_are_finite(HsiNet& net, const BatchMaker& batches, const Samples& train) {
  torch::NoGradGuard no_grad;
  for (const torch::Tensor& p : net->parameters()) {
    if (!torch::isfinite(p).all().item<bool>()) return false;
  }
  for (const torch::Tensor& b : net->buffers()) {
    if (b.is_floating_point() && !torch::isfinite(b).all().item<bool>()) return false;
  }
  if (train.size() == 0) return true;
  const size_t n = std::min<size_t>(train.size(), 16);
  net->eval();
  const torch::Tensor out = net->forward(batches.make(std::vector<int64_t>(train.pixels.begin(), train.pixels.begin() + static_cast<int64_t>(n))));
  return torch::isfinite(out).all().item<bool>();
}

[[noreturn]] void throw_diverged(const StageSchedule& schedule, int epoch, const std::string& what) {
  throw Error(ErrorKind::Data, "training diverged: " + what + " in " + schedule.name + " epoch " + std::to_string(epoch) +
                                   " (the last checkpoint is the last good epoch); lower the learning rate or check the cube "
                                   "for extreme values");
}

}  // namespace

TrainOutcome run_epochs(HsiNet& net, torch::optim::Optimizer& optimizer, const StageSchedule& schedule, EpochStage& stage,
                        const BatchMaker& batches, const Samples& train, const Samples& validation, StageProgress progress,
                        const EpochCallback& on_epoch, bool verbose) {
  TrainOutcome outcome;
  const auto t0 = std::chrono::steady_clock::now();
  progress.stage = schedule.name;
  const int64_t total_steps = schedule.steps_per_epoch * schedule.epochs;
  for (int epoch = progress.epoch; epoch < schedule.epochs && !progress.done; ++epoch) {
    if (stop_requested()) {
      outcome.interrupted = true;
      break;
    }
    const auto e0 = std::chrono::steady_clock::now();
    net->train();
    torch::manual_seed(schedule.torch_seed_base + static_cast<uint64_t>(epoch));
    Rng rng(schedule.rng_seed_base + static_cast<uint64_t>(epoch));
    stage.begin_epoch(rng);
    double loss_sum = 0;
    int64_t correct = 0, seen = 0;
    ProgressBar bar(schedule.label + " " + std::to_string(epoch + 1), schedule.steps_per_epoch);
    for (int64_t step = 0; step < schedule.steps_per_epoch && !stop_requested(); ++step) {
      set_learning_rate(optimizer, scheduled_lr(schedule.lr_schedule, schedule.lr, epoch * schedule.steps_per_epoch + step, total_steps));
      share_cores_at_safe_point();
      const StepFigures figures = stage.step(rng);
      loss_sum += figures.loss * static_cast<double>(figures.seen);
      correct += figures.correct;
      seen += figures.seen;
      bar.update(step + 1);
    }
    bar.finish();
    // A stop inside the epoch discards it: last.ckpt keeps the previous one, so --resume
    // replays this epoch from its start, exactly.
    if (stop_requested()) {
      outcome.interrupted = true;
      break;
    }
    EpochLog log;
    log.epoch = epoch + 1;
    log.loss = loss_sum / static_cast<double>(std::max<int64_t>(seen, 1));
    if (!std::isfinite(log.loss)) throw_diverged(schedule, log.epoch, "the loss is not finite");
    if (!outputs_are_finite(net, batches, train)) throw_diverged(schedule, log.epoch, "the network's outputs are not finite after the last update");
    log.train_accuracy = static_cast<double>(correct) / static_cast<double>(std::max<int64_t>(seen, 1));
    log.lr = scheduled_lr(schedule.lr_schedule, schedule.lr, (epoch + 1) * schedule.steps_per_epoch, total_steps);
    if (validation.size() > 0) log.validation_oa = accuracy_of(predict_samples(net, batches, validation.pixels), validation.targets);
    log.extra = stage.epoch_extra();
    log.seconds = seconds_since(e0);
    // Without validation pixels the last epoch counts as the best.
    const bool is_best = validation.size() == 0 || log.validation_oa > progress.best_validation_oa;
    if (is_best) {
      progress.best_epoch = log.epoch;
      progress.best_validation_oa = log.validation_oa;
      progress.epochs_without_gain = 0;
    } else {
      ++progress.epochs_without_gain;
    }
    progress.epoch = log.epoch;
    progress.done = log.epoch == schedule.epochs || (schedule.patience > 0 && progress.epochs_without_gain >= schedule.patience);
    if (verbose) print_epoch(schedule, log);
    on_epoch(log, progress, is_best, optimizer);
  }
  outcome.progress = progress;
  outcome.seconds = seconds_since(t0);
  return outcome;
}

}  // namespace hsi
