#pragma once
// Enrolling classes without retraining: labelled pixels of class ids a checkpoint does not know
// become new prototypes in its learned metric (the nearest-prototype classifier takes any number
// of classes; the softmax head cannot), and pixels of known ids refine their class's prototype
// as a running mean over every pixel behind it.
#include <cstdint>
#include <map>
#include <vector>

#include "io/class_table.hpp"
#include "io/raster.hpp"

namespace hsi {

struct Checkpoint;

struct EnrolOutcome {
  std::map<int32_t, int64_t> added, refined;  // class id -> pixels used
  int64_t skipped_nodata = 0;                 // labelled pixels without data (NaN/Inf spectra)
  double seconds = 0;
};

// `labels` is the cube's size (0 = unlabelled). `names` names and colours new ids (missing
// ones get generated names and distinct colours). An unmixing checkpoint takes the pixels as
// endmembers instead (a new class's mean; known classes refined by running mean) and keeps its
// classifier. A usage error for an SVM checkpoint; a data
// error for labels of another size or without any labelled pixel. The checkpoint switches to
// the mahalanobis classifier (nearest prototype under the pooled covariance; the Euclidean
// prototype classifier for checkpoints without it).
EnrolOutcome enrol_classes(Checkpoint& ck, const Cube& cube, const LabelMap& labels, const ClassTable& names);

}  // namespace hsi
