#pragma once
// Cross-validation folds over the training pixels, for model selection (pipeline/select.hpp)
// and the SVM's C and gamma. Only training pixels are ever dealt: the test pixels take no part.
#include <cstdint>
#include <string>
#include <vector>

namespace hsi {

struct Folds {
  int k = 0;                  // 0: too few pixels for any fold
  std::vector<int> fold_of;   // per sample: the fold that holds it out, -1 = always in training
  std::vector<std::string> notes;

  // Samples trained on / held out by fold f.
  std::vector<int64_t> training(int f) const;
  std::vector<int64_t> held_out(int f) const;
};

// k from the class counts: the smallest count of a class with at least two samples, capped at
// max_folds; 0 when no class has two samples (nothing can be held out and still be learnt).
int fold_count(const std::vector<int64_t>& targets, int max_folds);

// Stratified: each class's samples, shuffled, are dealt over the folds in turn, continuing where
// the previous class stopped so folds stay equal in size. A class with fewer samples than k is
// held out in as many folds as it has samples; a class with one sample is never held out (a
// fold without it could not learn it) and says so in notes.
Folds stratified_folds(const std::vector<int64_t>& targets, int k, uint64_t seed);

// Grouped (spatially disjoint): whole groups (blocks of the scene, or training areas) go to one
// fold, dealt by the class most of their samples belong to, so no fold validates on a group it
// also trains on. Each group goes to the fold holding the fewest samples of its class so far
// (then the fewest in all), so a class of two or more groups is never held out of every fold at
// once. Classes with a single group are never held out (noted, naming the group as `group_kind`).
Folds grouped_folds(const std::vector<int64_t>& targets, const std::vector<int64_t>& groups, int k, uint64_t seed,
                    const std::string& group_kind = "block");

// The groups for external train/test maps drawn as areas (polygons, patches): connected
// (8-neighbour) pixels of one class form an area, and an area is cut by squares of `block_size`
// from the origin, so an area as large as a field still gives several groups. `pixels` are
// row-major indices on a rows x cols grid; one group id per pixel.
std::vector<int64_t> area_groups(const std::vector<int64_t>& pixels, const std::vector<int64_t>& targets, int64_t rows, int64_t cols,
                                 int64_t block_size);

}  // namespace hsi
