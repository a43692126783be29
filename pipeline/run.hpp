#pragma once
// One training run end to end: split -> preprocessing fitted on training pixels -> model ->
// softmax pretraining (-> metric fine-tuning) -> checkpoints -> whole-scene prediction ->
// maps -> accuracy on the test pixels -> reports. Used by `hsi train` and `hsi experiment`.
#include <functional>
#include <string>

#include "eval/accuracy.hpp"
#include "pipeline/run_layout.hpp"
#include "pipeline/scene.hpp"
#include "pipeline/select.hpp"
#include "pipeline/settings.hpp"
#include "pipeline/split.hpp"

namespace hsi {

struct RunOptions {
  bool verbose = true;
  bool resume = false;
  bool write_maps = true;  // classification map, confidence map, PNG quick-look
  // Called in the training thread right after each epoch's last.ckpt is written (path given),
  // before the next safe point: a caller (a test) can request a stop at an exact state.
  std::function<void(const std::string&)> after_checkpoint;
};

struct RunResult {
  AccuracyReport accuracy;
  // The final model on its own training pixels (NaN without any): learned_nothing_warning's input.
  double training_oa = 0;
  Split split;
  RunLayout files{"", "GTiff"};  // set from the settings when the run starts
  double seconds_split = 0, seconds_select = 0, seconds_pretrain = 0, seconds_finetune = 0, seconds_predict = 0;
  std::string model;  // the model trained, "ms2d:5" / "svm" (with model.name = auto: the one chosen)
  bool selected = false;  // model.name = auto ran a selection in this run (`selection` holds it)
  Selection selection;
  double diversity = -1;  // mean |cos| between rows of B after training
  std::string prediction_route;
  std::string open_set_calibration;  // validation | training: the pixels the open-set thresholds were fitted on
  std::string prototypes = "class means of the training pixels";  // where the prototypes came from, for the report
  int64_t parameters = 0, macs = 0;
  bool interrupted = false;
};

// Makes (or loads) the split the settings describe.
Split split_for(const Scene& scene, const RunSettings& settings);
// The window radius a split must keep clear: the model's, or with model.name = auto the
// largest candidate's.
int window_radius(const RunSettings& settings);

RunResult run_training(const Scene& scene, const RunSettings& settings, const RunOptions& options);

// Fine-tuning alone from a checkpoint (`hsi finetune --from`).
RunResult run_finetune_from(const Scene& scene, const RunSettings& settings, const std::string& checkpoint, const RunOptions& options);

}  // namespace hsi
