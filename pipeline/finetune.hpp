#pragma once
// The deep-metric fine-tuning stage: from the softmax-pretrained model, W (the feature
// extractor) and B (the metric factor) are trained jointly on class-balanced batches with
//   L = L_struct(z = B f(x)) + beta * CE(classifier(z)) - lambda * log det(K(B) + eps I)
// where L_struct is finetune.loss on z (default: the balanced contrastive loss on d_B, see
// metric/losses.hpp; triplet, lifted and plain contrastive are the alternatives) and K an RBF
// (or cosine) kernel over the rows of B. lambda = 0 is plain deep metric learning.
#include <torch/torch.h>

#include "pipeline/batches.hpp"
#include "pipeline/settings.hpp"
#include "pipeline/trainer.hpp"

namespace hsi {

// The kernel width and margin are fixed at the stage's start (from the settings, or derived
// from the pretrained network) and kept in progress.constants ("sigma", "margin"), so a resumed
// stage uses the values the uninterrupted one did.
TrainOutcome finetune(HsiNet& net, torch::optim::Optimizer& optimizer, const BatchMaker& batches, const Samples& train,
                      const Samples& validation, const FinetuneSettings& settings, const TrainSettings& train_settings, int seed,
                      StageProgress progress, const EpochCallback& on_epoch, bool verbose);

}  // namespace hsi
