#pragma once
// The one epoch loop every training stage runs through. It owns what stages must not do
// differently: the stop check, per-epoch seeding (which makes --resume exact), the learning-rate
// schedule, the progress bar, validation, best epoch and patience, the finite-loss guard, the
// log line and the checkpoint callback. A stage supplies only its optimiser step.
//
// Everything the loop decides across epochs lives in StageProgress, which checkpoints store:
// resuming restores it instead of recomputing it from a half-trained network.
#include <torch/torch.h>

#include <functional>
#include <map>
#include <string>

#include "models/hsi_net.hpp"
#include "pipeline/batches.hpp"
#include "pipeline/random.hpp"

namespace hsi {

struct StageProgress {
  std::string stage = "pretrain";  // pretrain | finetune
  int epoch = 0;                   // epochs completed in `stage`
  int best_epoch = 0;
  double best_validation_oa = -1;
  int epochs_without_gain = 0;
  bool done = false;  // the stage ran all its epochs or stopped early on patience
  // Values a stage fixes from the network at its start (fine-tuning's kernel width and margin):
  // a resumed stage must reuse them, not re-derive them from partly trained weights.
  std::map<std::string, double> constants;
};

struct EpochLog {
  int epoch = 0;  // 1-based
  double loss = 0, train_accuracy = 0, validation_oa = -1, seconds = 0, lr = 0;
  std::string extra;  // stage-specific figures, printed after the loss
};

struct TrainOutcome {
  StageProgress progress;
  bool interrupted = false;
  double seconds = 0;
};

// Called after each completed epoch with its log, the loop's state and whether this epoch is
// the best so far; the caller writes checkpoints (last, best) there.
using EpochCallback = std::function<void(const EpochLog&, const StageProgress&, bool is_best, torch::optim::Optimizer&)>;

struct StepFigures {
  double loss = 0;      // mean over the batch
  int64_t correct = 0;  // training predictions that hit
  int64_t seen = 0;     // batch size
};

// What differs between stages: how one step is made, and figures to report per epoch.
class EpochStage {
 public:
  virtual ~EpochStage() = default;
  virtual void begin_epoch(Rng& /*rng*/) {}
  virtual StepFigures step(Rng& rng) = 0;
  // Figures printed after the loss (e.g. the DPP term); called once per epoch after validation.
  virtual std::string epoch_extra() { return {}; }
};

struct StageSchedule {
  std::string name = "pretrain";  // stored in StageProgress::stage
  std::string label = "epoch";    // first word of the log line
  int epochs = 1;
  int patience = 0;  // epochs without validation gain before stopping (0 = off)
  int64_t steps_per_epoch = 1;
  std::string lr_schedule = "cosine";
  double lr = 1e-3;
  // Per-epoch seeds: torch's generator (dropout, noise) and the stage's Rng (order, augmentation).
  uint64_t torch_seed_base = 0, rng_seed_base = 0;
};

// Runs epochs progress.epoch+1 .. schedule.epochs (nothing if progress.done). Throws
// hsi::Error when an epoch's loss is not finite, or the weights it ends with give non-finite
// outputs on a few of `train`'s pixels (the last checkpoint stays the last good one).
TrainOutcome run_epochs(HsiNet& net, torch::optim::Optimizer& optimizer, const StageSchedule& schedule, EpochStage& stage,
                        const BatchMaker& batches, const Samples& train, const Samples& validation, StageProgress progress,
                        const EpochCallback& on_epoch, bool verbose);

}  // namespace hsi
