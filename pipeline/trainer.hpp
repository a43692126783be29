#pragma once
// Softmax pretraining and the shared evaluation helpers. Deterministic for a given seed and
// thread count: batches, augmentations and dropout draw from generators re-seeded per epoch,
// which also makes --resume continue exactly where an uninterrupted run would be.
#include <torch/torch.h>

#include <functional>
#include <string>
#include <vector>

#include "models/hsi_net.hpp"
#include "pipeline/batches.hpp"
#include "pipeline/settings.hpp"

namespace hsi {

struct EpochLog {
  int epoch = 0;  // 1-based
  double loss = 0, train_accuracy = 0, validation_oa = -1, seconds = 0, lr = 0;
  std::string extra;  // stage-specific figures, printed after the standard ones
};

struct TrainOutcome {
  int epochs_run = 0;
  int best_epoch = 0;
  double best_validation_oa = -1;
  bool interrupted = false;
  double seconds = 0;
};

// Called after each epoch with the log and whether this epoch is the best so far; the caller
// writes checkpoints (last, best) there.
using EpochCallback = std::function<void(const EpochLog&, bool is_best, torch::optim::Optimizer&)>;

std::unique_ptr<torch::optim::Optimizer> make_optimizer(HsiNet& net, const std::string& kind, double lr, double momentum, double weight_decay);
void set_learning_rate(torch::optim::Optimizer& optimizer, double lr);
// Learning rate at global step `step` of `total` for the schedule.
double scheduled_lr(const std::string& schedule, double base, int64_t step, int64_t total);

// Pretraining with cross-entropy. `start_epoch` > 0 resumes (model and optimizer restored by the caller).
TrainOutcome pretrain(HsiNet& net, torch::optim::Optimizer& optimizer, const BatchMaker& batches, const Samples& train,
                      const Samples& validation, const TrainSettings& settings, int seed, int start_epoch,
                      const EpochCallback& on_epoch, bool verbose);

// Class-index predictions (argmax of the softmax head) of the samples, in eval mode, no grad.
std::vector<int64_t> predict_samples(HsiNet& net, const BatchMaker& batches, const std::vector<int64_t>& pixels, int batch_size = 256);
double accuracy_of(const std::vector<int64_t>& predicted, const std::vector<int64_t>& targets);

// Random dihedral transforms (or none for spectral models).
std::vector<uint8_t> random_transforms(size_t n, bool enabled, uint64_t seed);

}  // namespace hsi
