#include "pipeline/folds.hpp"

#include <algorithm>
#include <map>

#include "pipeline/random.hpp"

namespace hsi {

std::vector<int64_t> Folds::training(int f) const {
  std::vector<int64_t> out;
  for (size_t i = 0; i < fold_of.size(); ++i)
    if (fold_of[i] != f) out.push_back(static_cast<int64_t>(i));
  return out;
}

std::vector<int64_t> Folds::held_out(int f) const {
  std::vector<int64_t> out;
  for (size_t i = 0; i < fold_of.size(); ++i)
    if (fold_of[i] == f) out.push_back(static_cast<int64_t>(i));
  return out;
}

int fold_count(const std::vector<int64_t>& targets, int max_folds) {
  std::map<int64_t, int64_t> counts;
  for (int64_t t : targets) ++counts[t];
  int64_t smallest = 0;
  for (const auto& [cls, n] : counts)
    if (n >= 2 && (smallest == 0 || n < smallest)) smallest = n;
  if (smallest == 0) return 0;
  return static_cast<int>(std::min<int64_t>(std::max(2, max_folds), smallest));
}

Folds stratified_folds(const std::vector<int64_t>& targets, int k, uint64_t seed) {
  Folds folds;
  folds.k = k;
  folds.fold_of.assign(targets.size(), -1);
  if (k < 2) return folds;
  std::map<int64_t, std::vector<int64_t>> members;
  for (size_t i = 0; i < targets.size(); ++i) members[targets[i]].push_back(static_cast<int64_t>(i));
  Rng rng(seed * 31 + 17);
  int next = 0;
  for (auto& [cls, samples] : members) {
    if (samples.size() < 2) {
      folds.notes.push_back("class index " + std::to_string(cls) + " has one training pixel: it is never held out");
      continue;
    }
    rng.shuffle(samples);
    for (int64_t s : samples) {
      folds.fold_of[s] = next;
      next = (next + 1) % k;
    }
  }
  return folds;
}

Folds grouped_folds(const std::vector<int64_t>& targets, const std::vector<int64_t>& groups, int k, uint64_t seed) {
  Folds folds;
  folds.k = k;
  folds.fold_of.assign(targets.size(), -1);
  if (k < 2) return folds;
  // Each group's members and majority class.
  std::map<int64_t, std::vector<int64_t>> members;
  for (size_t i = 0; i < groups.size(); ++i) members[groups[i]].push_back(static_cast<int64_t>(i));
  std::map<int64_t, std::vector<int64_t>> groups_of_class;
  for (const auto& [group, samples] : members) {
    std::map<int64_t, int64_t> votes;
    for (int64_t s : samples) ++votes[targets[s]];
    const auto majority = std::max_element(votes.begin(), votes.end(), [](const auto& a, const auto& b) { return a.second < b.second; });
    groups_of_class[majority->first].push_back(group);
  }
  Rng rng(seed * 31 + 19);
  std::vector<int64_t> fold_size(static_cast<size_t>(k), 0);
  for (auto& [cls, class_groups] : groups_of_class) {
    if (class_groups.size() < 2) {
      folds.notes.push_back("class index " + std::to_string(cls) + " lies in one block: it is never held out");
      continue;
    }
    rng.shuffle(class_groups);
    // Largest groups first, each to the fold with the fewest samples so far.
    std::stable_sort(class_groups.begin(), class_groups.end(),
                     [&](int64_t a, int64_t b) { return members[a].size() > members[b].size(); });
    for (int64_t group : class_groups) {
      const int f = static_cast<int>(std::min_element(fold_size.begin(), fold_size.end()) - fold_size.begin());
      for (int64_t s : members[group]) folds.fold_of[s] = f;
      fold_size[f] += static_cast<int64_t>(members[group].size());
    }
  }
  return folds;
}

}  // namespace hsi
