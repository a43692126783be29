#pragma once
// Leave-one-class-out open-set experiments (hsi experiment --open-set): for each class in turn a
// model is trained without it, then every pixel is scored by each rejection rule. Per rule:
// AUROC of telling the unseen class's pixels from the known test pixels, OA on the known test
// pixels after rejection (a rejected known pixel counts as wrong), and the share of the unseen
// class mapped "unknown" at the calibrated threshold. Runs are kept in OUT/runs/ and reused.
#include <iosfwd>
#include <string>

#include "pipeline/experiment.hpp"

namespace hsi {

// The settings of one model entry in an open-set experiment. The rejection rules read a
// network's softmax and metric, so `auto` chooses among the networks of select.candidates only;
// a usage error when an entry, every candidate or the fallback learns no metric.
RunSettings open_set_settings(const RunSettings& base, const std::string& model_entry);

// Writes OUT/open_set.{md,csv}; returns the Markdown (interrupted: empty, result.interrupted).
ExperimentResult run_open_set_experiment(const Scene& scene, const RunSettings& base, const ExperimentPlan& plan, std::ostream& log);

}  // namespace hsi
