#pragma once
// One training run end to end: split -> preprocessing fitted on training pixels -> model ->
// softmax pretraining (-> metric fine-tuning) -> checkpoints -> whole-scene prediction ->
// maps -> accuracy on the test pixels -> reports. Used by `hsi train` and `hsi experiment`.
#include <string>

#include "eval/accuracy.hpp"
#include "pipeline/scene.hpp"
#include "pipeline/settings.hpp"
#include "pipeline/split.hpp"

namespace hsi {

struct RunOptions {
  bool verbose = true;
  bool resume = false;
  bool write_maps = true;  // classification map, confidence map, PNG quick-look
};

struct RunResult {
  AccuracyReport accuracy;
  Split split;
  std::string out_dir;
  double seconds_split = 0, seconds_pretrain = 0, seconds_finetune = 0, seconds_predict = 0;
  double diversity = -1;  // mean |cos| between rows of B after training
  std::string prediction_route;
  int64_t parameters = 0, macs = 0;
  bool interrupted = false;
};

// Makes (or loads) the split the settings describe.
Split split_for(const Scene& scene, const RunSettings& settings);

RunResult run_training(const Scene& scene, const RunSettings& settings, const RunOptions& options);

// Fine-tuning alone from a checkpoint (`hsi finetune --from`).
RunResult run_finetune_from(const Scene& scene, const RunSettings& settings, const std::string& checkpoint, const RunOptions& options);

}  // namespace hsi
