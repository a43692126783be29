#pragma once
// The batch losses on metric-space features that fine-tuning can use (finetune.loss), named
// without LibTorch's headers so settings can list and check them.
#include <string>
#include <vector>

namespace hsi::metric {

// "structural" (the default), "contrastive", "triplet-all", "triplet-hard", "triplet-semihard",
// "lifted": every name metric::make_loss() builds except "softmax", which works on logits.
const std::vector<std::string>& metric_loss_names();

}  // namespace hsi::metric
