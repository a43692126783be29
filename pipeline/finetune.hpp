#pragma once
// The deep-metric fine-tuning stage: from the softmax-pretrained model, W (the feature
// extractor) and B (the metric factor) are trained jointly on class-balanced batches with
//   L = L_struct(z = B f(x)) + beta * CE(classifier(z)) - lambda * log det(K(B) + eps I)
// where L_struct is the balanced contrastive loss on d_B (metric/losses.hpp) and K an RBF (or
// cosine) kernel over the rows of B. lambda = 0 is plain deep metric learning.
#include <torch/torch.h>

#include "pipeline/batches.hpp"
#include "pipeline/settings.hpp"
#include "pipeline/trainer.hpp"

namespace hsi {

struct FinetuneOutcome : TrainOutcome {
  double sigma = 0;   // RBF bandwidth used
  double margin = 0;  // contrastive margin used
  double mean_abs_cosine_before = 0, mean_abs_cosine_after = 0;
};

FinetuneOutcome finetune(HsiNet& net, torch::optim::Optimizer& optimizer, const BatchMaker& batches, const Samples& train,
                         const Samples& validation, const FinetuneSettings& settings, bool augment, int seed, int start_epoch,
                         const EpochCallback& on_epoch, bool verbose);

// Mean metric-space feature z = B f(x) of each class's training pixels: [C, K].
torch::Tensor class_prototypes(HsiNet& net, const BatchMaker& batches, const Samples& train, int64_t classes);

}  // namespace hsi
