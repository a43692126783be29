#pragma once
// One run folder of an `hsi experiment` (runs/NAME/: best.ckpt, split/train.tif, split/test.tif)
// with the scene's cube preprocessed as that run's training did: what the benchmarks that rescore
// an experiment's checkpoints start from.
#include <filesystem>
#include <string>

#include "io/reader.hpp"
#include "pipeline/checkpoint.hpp"
#include "pipeline/scene.hpp"

namespace hsi::bench {

struct ExperimentRun {
  Checkpoint ck;
  LabelMap train, test;
  Cube prepared;  // the scene's cube through the checkpoint's preprocessing (a BatchMaker keeps a reference)
};

inline ExperimentRun load_experiment_run(const Scene& scene, const std::filesystem::path& dir) {
  ExperimentRun run{load_checkpoint((dir / "best.ckpt").string()), read_labels((dir / "split" / "train.tif").string()),
                    read_labels((dir / "split" / "test.tif").string()), scene.cube};
  run.ck.preprocessor.apply(run.prepared);
  return run;
}

}  // namespace hsi::bench
