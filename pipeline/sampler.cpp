#include "pipeline/sampler.hpp"

#include <algorithm>

#include "common/error.hpp"

namespace hsi {

BalancedBatchSampler::BalancedBatchSampler(const std::vector<int64_t>& targets, int classes_per_batch, int samples_per_class)
    : samples_per_class_(samples_per_class) {
  int64_t classes = 0;
  for (int64_t t : targets) classes = std::max(classes, t + 1);
  by_class_.resize(static_cast<size_t>(classes));
  for (size_t i = 0; i < targets.size(); ++i) by_class_[static_cast<size_t>(targets[i])].push_back(static_cast<int64_t>(i));
  by_class_.erase(std::remove_if(by_class_.begin(), by_class_.end(), [](const auto& v) { return v.empty(); }), by_class_.end());
  if (by_class_.size() < 2) usage_error("a class-balanced batch needs at least two classes with samples");
  classes_per_batch_ = classes_per_batch <= 0 ? static_cast<int>(by_class_.size())
                                              : std::min<int>(classes_per_batch, static_cast<int>(by_class_.size()));
  if (classes_per_batch_ < 2) usage_error("finetune.classes_per_batch must be at least 2");
}

int64_t BalancedBatchSampler::batch_size() const { return static_cast<int64_t>(classes_per_batch_) * samples_per_class_; }

std::vector<int64_t> BalancedBatchSampler::next(Rng& rng) const {
  std::vector<size_t> classes(by_class_.size());
  for (size_t c = 0; c < classes.size(); ++c) classes[c] = c;
  rng.shuffle(classes);
  std::vector<int64_t> batch;
  for (int k = 0; k < classes_per_batch_; ++k) {
    std::vector<int64_t> members = by_class_[classes[k]];
    rng.shuffle(members);
    for (int m = 0; m < samples_per_class_; ++m) batch.push_back(members[static_cast<size_t>(m) % members.size()]);
  }
  return batch;
}

std::vector<std::vector<int64_t>> shuffled_batches(int64_t n, int64_t batch, Rng& rng) {
  std::vector<int64_t> order(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) order[i] = i;
  rng.shuffle(order);
  std::vector<std::vector<int64_t>> out;
  for (int64_t s = 0; s < n; s += batch) out.emplace_back(order.begin() + s, order.begin() + std::min(n, s + batch));
  return out;
}

}  // namespace hsi
