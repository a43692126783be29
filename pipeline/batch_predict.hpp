#pragma once
// Batch prediction: one map per input (any input predict_file takes), resumable (finished maps
// are skipped), a failing input reported without stopping the others, then a VRT mosaic and a
// summary. The inputs can be shared by a team of processes (MPI ranks): each classifies its
// share, the first writes what describes the whole batch.
#include <iosfwd>
#include <string>
#include <vector>

#include "pipeline/checkpoint.hpp"
#include "pipeline/predict.hpp"

namespace hsi {

// The processes sharing a batch. The CLI's MPI process group implements it; one process alone
// is the default.
class ProcessTeam {
 public:
  virtual ~ProcessTeam() = default;
  virtual int rank() const { return 0; }
  virtual int size() const { return 1; }
  // Every rank's text in rank order, on rank 0; empty on the others.
  virtual std::vector<std::string> gather(const std::string& text) const { return {text}; }
  // The sum of value over all ranks, on every rank.
  virtual int sum(int value) const { return value; }
};

// GLOB or @LIST (one path a line, # comments): the inputs of a batch, in order. A usage error
// when nothing matches or two inputs would write the same map (same file name in two folders;
// `map_ext` is the maps' extension, for the message).
std::vector<std::string> expand_batch_inputs(const std::string& spec, const std::string& map_ext);

struct BatchOutcome {
  size_t inputs = 0, classified = 0;
  int failed = 0;  // over all ranks
  bool interrupted = false;
};

// Rank r takes inputs r, r + size, ...; maps are OUT_DIR/<stem>_map.tif (+ _confidence.tif).
// Progress lines go to `log` (errors of single inputs to stderr).
BatchOutcome predict_batch(Checkpoint& checkpoint, const std::vector<std::string>& inputs, const std::string& out_dir,
                           const std::string& axis_order, const PredictOptions& options, const ProcessTeam& team, std::ostream& log);

}  // namespace hsi
