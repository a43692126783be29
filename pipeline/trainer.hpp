#pragma once
// Softmax pretraining (one step of the shared epoch loop) and the helpers every stage uses:
// optimisers, learning-rate schedules, augmentation draws, predictions of samples.
#include <torch/torch.h>

#include <functional>
#include <string>
#include <vector>

#include "models/hsi_net.hpp"
#include "pipeline/batches.hpp"
#include "pipeline/epoch_loop.hpp"
#include "pipeline/settings.hpp"

namespace hsi {

std::unique_ptr<torch::optim::Optimizer> make_optimizer(HsiNet& net, const std::string& kind, double lr, double momentum, double weight_decay);
void set_learning_rate(torch::optim::Optimizer& optimizer, double lr);
// Learning rate at global step `step` of `total` for the schedule.
double scheduled_lr(const std::string& schedule, double base, int64_t step, int64_t total);

// Pretraining with cross-entropy. A `progress` from a checkpoint resumes (model and optimizer
// restored by the caller); a default one starts the stage.
TrainOutcome pretrain(HsiNet& net, torch::optim::Optimizer& optimizer, const BatchMaker& batches, const Samples& train,
                      const Samples& validation, const TrainSettings& settings, int seed, const StageProgress& progress,
                      const EpochCallback& on_epoch, bool verbose);

// Class-index predictions (argmax of the softmax head) of the samples, in eval mode, no grad.
std::vector<int64_t> predict_samples(HsiNet& net, const BatchMaker& batches, const std::vector<int64_t>& pixels, int batch_size = 256);
double accuracy_of(const std::vector<int64_t>& predicted, const std::vector<int64_t>& targets);

// Random dihedral transforms of the windows (identities for spectral models' 1 x 1 windows).
std::vector<uint8_t> random_transforms(size_t n, bool enabled, uint64_t seed);

}  // namespace hsi
