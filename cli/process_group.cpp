#include "cli/process_group.hpp"

#include <algorithm>
#include <cstdlib>
#include <exception>

#include "common/error.hpp"

#ifdef HSI_WITH_MPI
#include <mpi.h>
#endif

namespace hsi::cli {
namespace {

// The job size an MPI launcher announces in the environment (Open MPI, PMIx, MPICH/Hydra).
int launched_job_size() {
  for (const char* name : {"OMPI_COMM_WORLD_SIZE", "PMIX_SIZE", "PMI_SIZE"}) {
    if (const char* v = std::getenv(name)) return std::max(1, std::atoi(v));
  }
  return 1;
}

}  // namespace

#ifdef HSI_WITH_MPI

ProcessGroup::ProcessGroup() {
  if (launched_job_size() <= 1) return;
  int ready = 0;
  MPI_Initialized(&ready);
  if (!ready) MPI_Init(nullptr, nullptr);
  joined_ = true;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank_);
  MPI_Comm_size(MPI_COMM_WORLD, &size_);
  MPI_Comm local;
  MPI_Comm_split_type(MPI_COMM_WORLD, MPI_COMM_TYPE_SHARED, rank_, MPI_INFO_NULL, &local);
  MPI_Comm_size(local, &local_size_);
  MPI_Comm_free(&local);
}

ProcessGroup::~ProcessGroup() {
  // After an error other ranks may still wait in a collective call: leave without finalising
  // and let the launcher end the job, rather than hang in MPI_Finalize.
  if (joined_ && std::uncaught_exceptions() == 0) MPI_Finalize();
}

std::vector<std::string> ProcessGroup::gather(const std::string& text) const {
  if (!joined_) return {text};
  int length = static_cast<int>(text.size());
  std::vector<int> lengths(rank_ == 0 ? size_ : 0), offsets(lengths.size());
  MPI_Gather(&length, 1, MPI_INT, lengths.data(), 1, MPI_INT, 0, MPI_COMM_WORLD);
  int total = 0;
  for (size_t r = 0; r < lengths.size(); ++r) {
    offsets[r] = total;
    total += lengths[r];
  }
  std::string all(static_cast<size_t>(total), '\0');
  MPI_Gatherv(text.data(), length, MPI_CHAR, all.data(), lengths.data(), offsets.data(), MPI_CHAR, 0, MPI_COMM_WORLD);
  std::vector<std::string> parts;
  for (size_t r = 0; r < lengths.size(); ++r) parts.push_back(all.substr(offsets[r], lengths[r]));
  return parts;
}

int ProcessGroup::sum(int value) const {
  if (!joined_) return value;
  int total = 0;
  MPI_Allreduce(&value, &total, 1, MPI_INT, MPI_SUM, MPI_COMM_WORLD);
  return total;
}

#else

ProcessGroup::ProcessGroup() {
  if (launched_job_size() > 1) {
    usage_error("this hsi was built without MPI, so each of the " + std::to_string(launched_job_size()) +
                " launched copies would classify every input; rebuild with MPI (libopenmpi-dev) or run one process");
  }
}

ProcessGroup::~ProcessGroup() = default;

std::vector<std::string> ProcessGroup::gather(const std::string& text) const { return {text}; }

int ProcessGroup::sum(int value) const { return value; }

#endif

}  // namespace hsi::cli
