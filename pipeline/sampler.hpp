#pragma once
// Batch samplers. The metric losses need positives and negatives in every batch, which a plain
// shuffle of 5-10 pixels per class rarely gives; the class-balanced sampler draws m samples of
// each of c classes per batch.
#include <cstdint>
#include <vector>

#include "pipeline/random.hpp"

namespace hsi {

class BalancedBatchSampler {
 public:
  // targets: class index per sample. classes_per_batch 0 = all classes.
  BalancedBatchSampler(const std::vector<int64_t>& targets, int classes_per_batch, int samples_per_class);
  // Sample positions (into targets) of one batch. A class with fewer than m samples is drawn
  // with repetition (its samples then appear under different augmentations).
  std::vector<int64_t> next(Rng& rng) const;
  int64_t batch_size() const;

 private:
  std::vector<std::vector<int64_t>> by_class_;
  int classes_per_batch_;
  int samples_per_class_;
};

// A shuffled pass over n samples in batches of `batch` (the last one may be smaller).
std::vector<std::vector<int64_t>> shuffled_batches(int64_t n, int64_t batch, Rng& rng);

}  // namespace hsi
