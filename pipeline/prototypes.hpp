#pragma once
// What the learned metric is used for beyond the softmax head: class prototypes (mean metric
// feature z = B f(x) of a class's pixels), nearest-prototype classification, enrolling classes
// the network never saw, and open-set rejection ("unknown" instead of a wrong label).
//
// Rejection rules score each pixel's novelty (higher = less like any known class):
//   mahalanobis: squared Mahalanobis distance to the nearest class prototype under the classes'
//                pooled covariance of z (shrunk toward a multiple of I by the oracle-approximating
//                shrinkage of Chen et al. 2010, so no constant is tuned); the best rule measured
//                (bench/bench_open_set.cpp, README "Open set");
//   distance:    squared Euclidean distance in the metric to the nearest class prototype;
//   softmax:     1 - the softmax head's largest probability (the usual baseline).
// A rule's threshold accepts a chosen share of known pixels (validation pixels, held out from
// training), so "unknown" means: further out than 1 - accept of the known classes' own pixels.
#include <torch/torch.h>

#include <string>
#include <utility>
#include <vector>

#include "io/class_table.hpp"
#include "models/hsi_net.hpp"
#include "pipeline/batches.hpp"
#include "pipeline/settings.hpp"  // open_set_rules

namespace hsi {

struct Checkpoint;

// Metric features z = B f(x) of the samples' pixels, [N, K], in eval mode without gradients.
torch::Tensor metric_features(HsiNet& net, const BatchMaker& batches, const std::vector<int64_t>& pixels);

// Per-class means of z [C, K], the pixel count behind each [C] (float), the precision (inverse)
// of the pooled within-class covariance [K, K] with OAS shrinkage, and the exemplars: the
// features of the pixels behind the means [R, K] with their class indices [R] (at most
// kExemplarsPerClass a class, see select_exemplars).
struct Prototypes {
  torch::Tensor means, counts, precision;
  torch::Tensor exemplars, exemplar_classes;
};
Prototypes class_prototypes(HsiNet& net, const BatchMaker& batches, const Samples& samples, int64_t classes);
// The same from the samples' metric features z [N, K] and class indices `targets` [N].
Prototypes class_prototypes(const torch::Tensor& z, const torch::Tensor& targets, int64_t classes);

// Prototypes refined on the scene's unlabelled pixels (finetune.prototypes = scene; semi-supervised
// prototypes after Ren et al. 2018, hard assignments): k-means in the metric whose centres start
// at the class means of the labelled features z [N, K] (classes `targets` [N]), plus
// `free_centres` centres of no class, started one at a time at the unlabelled feature farthest
// from every centre so far. Each round assigns every unlabelled feature u [M, K] to its nearest
// centre (Euclidean) and moves each centre to the mean of its labelled and assigned features, the
// labelled ones always staying with their class. Stops when no assignment changes, after at most
// `max_rounds`. With a few labelled pixels a class, its mean is one corner of the class's cloud
// and its unlabelled pixels pull it to the middle; the free centres take the pixels of materials
// the class table lacks, which would otherwise drag the nearest class's mean into their cloud
// (README "Few labels": measured on Salinas-A with each class in turn left out of the table).
// Returns the refined class means, the counts behind them (labelled + assigned) and the precision
// refitted on the labelled and class-assigned features; exemplars stay the labelled ones.
Prototypes refine_prototypes(const Prototypes& labelled, const torch::Tensor& z, const torch::Tensor& targets, const torch::Tensor& u,
                             int64_t free_centres, int max_rounds = 10);

// Label propagation (Zhou et al. 2004, as in transductive few-shot learning: Liu et al. 2019,
// Iscen et al. 2019): the labelled features z [N, K] (classes `targets` [N]) and unlabelled
// features u [M, K], whitened by `precision`, form a graph joining each to its `neighbours`
// nearest (weights exp(-d^2 / mean d^2), symmetrised and normalised D^-1/2 W D^-1/2); the labels
// spread along it, F <- alpha S F + (1 - alpha) Y, for `iterations` rounds. Unlike the k-means of
// refine_prototypes, a class whose pixels form a curved or two-lobed cloud is followed along
// the chain of pixels that joins its parts. `free_seeds` unlabelled pixels, picked one at a time
// farthest from every labelled pixel and seed so far, spread labels of their own (C, C + 1, ...):
// the pixels of materials the class table lacks go to them instead of the nearest class.
// Returns the label index [M] of each u row, below C for a class (classes without labelled
// pixels never win), C and above for a free seed's.
torch::Tensor propagate_labels(const torch::Tensor& z, const torch::Tensor& targets, int64_t classes, const torch::Tensor& u,
                               const torch::Tensor& precision, int64_t free_seeds, int64_t neighbours = 30, double alpha = 0.99,
                               int iterations = 50);

// The k smallest entries of each row of d [n, N] (float32, contiguous, no NaN, 1 <= k <= N)
// and their columns [n, k], in no particular order; of equal entries the lower columns are
// kept. (propagate_labels' nearest neighbours.)
std::pair<torch::Tensor, torch::Tensor> smallest_in_rows(const torch::Tensor& d, int64_t k);

// finetune.prototypes = propagated: labels propagated from the labelled features z (classes
// `targets`) over them and the unlabelled u, the graph whitened by the precision the k-means
// refinement fits (the labelled pixels alone are a handful of points in K dimensions), with
// `free_seeds` free seeds; then the class means and pooled covariance of the labelled and the
// class-propagated features. The exemplars stay the labelled ones (`labelled`'s). `assigned`,
// when given, receives propagate_labels' answer for each u row.
Prototypes propagated_prototypes(const Prototypes& labelled, const torch::Tensor& z, const torch::Tensor& targets, const torch::Tensor& u,
                                 int64_t free_seeds, torch::Tensor* assigned = nullptr);

// At most this many unlabelled pixels, evenly spread over the scene, refine the prototypes: the
// features of a whole large scene are not needed to find six or sixteen class centres.
constexpr int64_t kMaxRefinementPixels = 20000;

// Every pixel with data (`nodata` empty or 0) that is not `taken` (1 = a labelled pixel), at
// most kMaxRefinementPixels of them evenly spread over the scene: the unlabelled pixels the
// scene prototypes and the labelling suggestions look at.
std::vector<int64_t> unlabelled_pool(const std::vector<uint8_t>& taken, const std::vector<uint8_t>& nodata);

// The neighbour classifier compares a pixel with every exemplar; a class keeps at most this many
// (a few labelled pixels each, or an even spread over many), so a map costs at most
// classes x kExemplarsPerClass distances a pixel.
constexpr int64_t kExemplarsPerClass = 256;

// The rows of z [N, K] (class indices `targets` [N]) kept as exemplars: every row of a class
// with at most `per_class` of them, else `per_class` rows evenly spaced in the order given
// (pixel order, so spread over the class's extent). Returns {exemplars [R, K], classes [R]}.
std::pair<torch::Tensor, torch::Tensor> select_exemplars(const torch::Tensor& z, const torch::Tensor& targets, int64_t classes,
                                                         int64_t per_class = kExemplarsPerClass);

// Squared Mahalanobis distances [N, C] of z [N, K] to each class's nearest exemplar (infinite for
// a class without one): the neighbour classifier's distances. Evaluated in slices of z, so memory
// stays bounded however many pixels a tile holds.
torch::Tensor neighbour_distances(const torch::Tensor& z, const torch::Tensor& exemplars, const torch::Tensor& exemplar_classes,
                                  int64_t classes, const torch::Tensor& precision);

// The OAS-shrunk inverse of the pooled covariance of z [N, K] around each pixel's class mean
// (`means` [C, K], `targets` [N]).
torch::Tensor tied_precision(const torch::Tensor& z, const torch::Tensor& targets, const torch::Tensor& means);

// Squared distances [N, C] of z [N, K] to every prototype: Mahalanobis under `precision`, or
// Euclidean when it is undefined. The one distance the classifiers, rules and calibration use.
torch::Tensor prototype_distances(const torch::Tensor& z, const torch::Tensor& prototypes, const torch::Tensor& precision);

// Novelty scores [N] of metric features z [N, K] under `rule` (mahalanobis | distance | softmax).
torch::Tensor novelty_scores(HsiNet& net, const torch::Tensor& z, const std::string& rule, const torch::Tensor& prototypes,
                             const torch::Tensor& precision);

// The class id "unknown" pixels get in maps: 255 while every class id is below it (so byte maps
// keep working), else one past the largest id.
int32_t unknown_class_id(const ClassTable& classes);
// The table with the "unknown" class appended (dark grey), for map colour tables and legends.
ClassTable with_unknown_class(const ClassTable& classes);

// Fits each rule's threshold on the known pixels `calibration` (its targets index ck.classes)
// so that `accept` of them are kept; stores the thresholds in the checkpoint. With
// `training_pixels` (no held-out pixels to spare) each pixel's own class prototype is taken
// without it (leave-one-out), which removes the prototype's bias but not the network's: such
// thresholds keep fewer unseen known pixels than `accept` says.
void calibrate_open_set(Checkpoint& ck, const BatchMaker& batches, const Samples& calibration, double accept, bool training_pixels);

}  // namespace hsi
