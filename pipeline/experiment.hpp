#pragma once
// Experiments: split -> train -> predict -> evaluate repeated over seeds, models and split
// protocols, aggregated into one table per protocol (Markdown, LaTeX, CSV). Each finished run
// leaves a result line in its folder, so an interrupted experiment resumes where it stopped.
#include <iosfwd>
#include <string>
#include <vector>

#include "pipeline/scene.hpp"
#include "pipeline/settings.hpp"

namespace hsi {

// Model entries: "ms2d", "ms2d+dml" (metric fine-tuning, lambda = 0), "ms2d+dpp" (with the DPP
// prior). Split entries: "fixed:5", "fraction:0.05", "blocks", "blocks:10", "external".
RunSettings settings_for_model(RunSettings base, const std::string& model_entry);
RunSettings settings_for_split(RunSettings base, const std::string& split_entry);

// The entries that run a config as `hsi train` would: its model with its fine-tuning ("auto+dpp"
// when [finetune] is on with lambda > 0, "+dml" with lambda = 0) and its split ("fixed:10").
// settings_for_model / settings_for_split give the config's settings back from them.
std::string model_entry_of(const RunSettings& s);
std::string split_entry_of(const RunSettings& s);

// OUT/runs/LABEL, the label made safe as a file name.
std::string run_folder(const std::string& out, std::string label);

struct ExperimentPlan {
  std::vector<std::string> models, splits;
  int runs = 5, first_seed = 0;
  std::string out;
};

// The seeds of a plan in a table's title: "seeds 0..4", or "seed 3" for a single run.
std::string seeds_text(const ExperimentPlan& plan);

// Parses the comma lists and checks every combination against `base` before any data is read:
// a usage error names a bad or repeated entry. An empty list stands for the config's own model
// or split (model_entry_of, split_entry_of), so a bare `hsi experiment --config C` repeats
// what `hsi train --config C` runs.
ExperimentPlan plan_experiment(const RunSettings& base, const std::string& models, const std::string& splits, int runs, int first_seed,
                               const std::string& out);

struct ExperimentResult {
  bool interrupted = false;
  std::string markdown;  // the tables, as written to OUT/table.md
};

// Runs (or reuses the finished) runs of the plan, one progress line each on `log`, then writes
// OUT/table.{md,tex,csv}; with two or more fixed:N protocols also OUT/curve.{svg,csv}, the few-shot figure.
ExperimentResult run_experiment(const Scene& scene, const RunSettings& base, const ExperimentPlan& plan, std::ostream& log);

}  // namespace hsi
