#pragma once
// The processes of one MPI job (`mpirun -np N hsi predict --inputs ...`), or this process alone.
// Batch prediction shards its inputs over the ranks; rank 0 then writes what describes the
// whole batch. Built without MPI, or started without an MPI launcher, the group is one process.
#include <string>
#include <vector>

#include "pipeline/batch_predict.hpp"

namespace hsi::cli {

class ProcessGroup : public ProcessTeam {
 public:
  // Joins the MPI job when an MPI launcher started this process. Refuses (usage error) to run
  // as one of several launched copies in a build without MPI, which would repeat every input.
  ProcessGroup();
  ~ProcessGroup() override;
  ProcessGroup(const ProcessGroup&) = delete;
  ProcessGroup& operator=(const ProcessGroup&) = delete;

  int rank() const override { return rank_; }
  int size() const override { return size_; }
  // Processes of this job on this machine (they share its cores).
  int local_size() const { return local_size_; }
  // Every rank's text in rank order, on rank 0; empty on the others.
  std::vector<std::string> gather(const std::string& text) const override;
  // The sum of value over all ranks, on every rank.
  int sum(int value) const override;

 private:
  [[maybe_unused]] bool joined_ = false;  // read only in MPI builds
  int rank_ = 0, size_ = 1, local_size_ = 1;
};

}  // namespace hsi::cli
