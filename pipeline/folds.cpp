#include "pipeline/folds.hpp"

#include <algorithm>
#include <map>
#include <unordered_map>

#include "pipeline/random.hpp"
#include "pipeline/split.hpp"

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

Folds grouped_folds(const std::vector<int64_t>& targets, const std::vector<int64_t>& groups, int k, uint64_t seed,
                    const std::string& group_kind) {
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
      folds.notes.push_back("class index " + std::to_string(cls) + " lies in one " + group_kind + ": it is never held out");
      continue;
    }
    rng.shuffle(class_groups);
    // Largest groups first, each to the fold with the fewest of this class's samples so far,
    // then the fewest samples in all: dealt by the totals alone, two groups of a class could
    // land in one fold, which would then train without that class.
    std::stable_sort(class_groups.begin(), class_groups.end(),
                     [&](int64_t a, int64_t b) { return members[a].size() > members[b].size(); });
    std::vector<int64_t> class_size(static_cast<size_t>(k), 0);
    for (int64_t group : class_groups) {
      int f = 0;
      for (int g = 1; g < k; ++g)
        if (std::make_pair(class_size[g], fold_size[g]) < std::make_pair(class_size[f], fold_size[f])) f = g;
      for (int64_t s : members[group]) folds.fold_of[s] = f;
      const auto n = static_cast<int64_t>(members[group].size());
      fold_size[f] += n;
      class_size[f] += n;
    }
  }
  return folds;
}

std::vector<int64_t> area_groups(const std::vector<int64_t>& pixels, const std::vector<int64_t>& targets, int64_t rows, int64_t cols,
                                 int64_t block_size) {
  // Each pixel's sample (training pixels are few: a map, not a grid), then a flood fill per area.
  std::unordered_map<int64_t, int64_t> sample_at;
  for (size_t i = 0; i < pixels.size(); ++i) sample_at.emplace(pixels[i], static_cast<int64_t>(i));
  std::vector<int64_t> area(pixels.size(), -1);
  int64_t areas = 0;
  std::vector<int64_t> stack;
  for (size_t seed = 0; seed < pixels.size(); ++seed) {
    if (area[seed] >= 0) continue;
    area[seed] = areas;
    stack.assign(1, static_cast<int64_t>(seed));
    while (!stack.empty()) {
      const int64_t i = stack.back();
      stack.pop_back();
      const int64_t r = pixels[i] / cols, c = pixels[i] % cols;
      for (int64_t y = std::max<int64_t>(0, r - 1); y <= std::min(rows - 1, r + 1); ++y)
        for (int64_t x = std::max<int64_t>(0, c - 1); x <= std::min(cols - 1, c + 1); ++x) {
          const auto found = sample_at.find(y * cols + x);
          if (found == sample_at.end()) continue;
          const int64_t j = found->second;
          if (area[j] < 0 && targets[j] == targets[i]) {
            area[j] = areas;
            stack.push_back(j);
          }
        }
    }
    ++areas;
  }
  const int64_t blocks = ((rows + block_size - 1) / block_size) * ((cols + block_size - 1) / block_size);
  std::vector<int64_t> groups(pixels.size());
  for (size_t i = 0; i < pixels.size(); ++i) groups[i] = area[i] * blocks + block_of(pixels[i], cols, block_size);
  return groups;
}

}  // namespace hsi
