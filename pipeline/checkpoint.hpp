#pragma once
// One file holds everything prediction needs: weights, architecture and hyper-parameters, the
// preprocessing, the class table, the training settings, the classifier mode (and prototypes),
// the versions, the training loop's state; optionally the optimiser state for --resume. It is a LibTorch archive
// (zip) written atomically.
#include <torch/torch.h>

#include <map>
#include <optional>
#include <string>

#include "io/class_table.hpp"
#include "models/hsi_net.hpp"
#include "models/svm.hpp"
#include "models/unmixing.hpp"
#include "pipeline/epoch_loop.hpp"
#include "pipeline/preprocess.hpp"

namespace hsi {

struct Checkpoint {
  NetOptions net_options;               // name "svm" for the SVM baseline, "unmix" for unmixing
  HsiNet net{nullptr};                  // the network; null for the SVM and unmixing
  std::shared_ptr<const SvmModel> svm;  // the SVM; null otherwise
  std::shared_ptr<const UnmixingModel> unmixing;  // the unmixing classifier; null otherwise
  Preprocessor preprocessor;
  ClassTable classes;
  std::string scene;
  std::string settings_text;
  std::string classifier = "softmax";   // softmax | prototype | mahalanobis | neighbour
  torch::Tensor prototypes;             // [C, K] class means in the metric space (networks)
  torch::Tensor prototype_counts;       // [C] pixels behind each prototype (enrolment refines by them)
  torch::Tensor exemplars;              // [R, K] metric features of pixels behind the prototypes (neighbour classifier)
  torch::Tensor exemplar_classes;       // [R] their class indices
  torch::Tensor metric_precision;       // [K, K] inverse of the classes' pooled (tied) covariance of z, shrunk
  // Open-set rejection (prototypes.hpp): the rule predictions use unless told otherwise, and each
  // rule's threshold calibrated to accept `open_set_accept` of held-out known pixels.
  std::string open_set = "none";
  double open_set_accept = 0.95;
  std::map<std::string, double> open_set_thresholds;
  StageProgress progress;               // the training loop's state after the epoch of these weights
  double validation_oa = -1;            // of these weights
  std::string hsi_version;
  std::vector<std::string> selection;   // the model selection's table when model.name = auto (select.hpp)

  // Classes past the softmax head's: enrolled after training (hsi enrol), known only by their
  // prototypes.
  int64_t enrolled_classes() const { return static_cast<int64_t>(classes.size()) - net_options.classes; }
};

// optimizer may be null; when given, its state is stored for resuming.
void save_checkpoint(const std::string& path, const Checkpoint& checkpoint, torch::optim::Optimizer* optimizer = nullptr);
// What a checkpoint says about itself, read without building the model (cheap, and it draws
// nothing from torch's random generator).
struct CheckpointInfo {
  std::string model, stage, classifier, scene, hsi_version;
  int epoch = 0;
  bool stage_done = false;  // the stage ran all its epochs or stopped on patience
  double validation_oa = -1;
};
CheckpointInfo peek_checkpoint(const std::string& path);

// The "key = value" settings lines a checkpoint stores (Checkpoint::settings_text), by key.
std::map<std::string, std::string> stored_settings(const std::string& settings_text);

// Reads and rebuilds the model; every inconsistency is a data error naming the file.
Checkpoint load_checkpoint(const std::string& path);
// Restores an optimiser (built on the loaded model's parameters) from the file; false if it
// holds no optimiser state.
bool load_optimizer_state(const std::string& path, torch::optim::Optimizer& optimizer);

}  // namespace hsi
