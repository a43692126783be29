#pragma once
// Model selection by cross-validation on the training pixels (`model.name = auto`,
// `hsi select`). No single input form wins on every scene (a spectral model or a small window
// where classes are spectrally defined or structures are fine, a large window on field-like
// scenes), so the choice is measured, not guessed:
//   folds over the training pixels only (stratified; grouped by block for `blocks` splits and by
//   training area for spatially disjoint external maps, with a guard band so no fold trains next
//   to the pixels it validates on)
//   -> per candidate and fold: band statistics and PCA refitted on the fold's training pixels,
//      the model trained (softmax pretraining as configured; the SVM with its own inner CV of
//      C and gamma), scored on the held-out fold
//   -> the best mean OA wins; exact ties (common with a few dozen pixels) go to the network with
//      the lowest held-out log-loss (select.tie_break = log-loss), or to the candidate listed
//      first (`order`; also between a network and unmixing or the SVM, which give no
//      probabilities: the default list has unmixing first and the SVM last).
// The winner is then trained on all training pixels as usual (fine-tuning included).
#include <string>
#include <vector>

#include "pipeline/batches.hpp"
#include "pipeline/candidates.hpp"
#include "pipeline/preprocess.hpp"
#include "pipeline/scene.hpp"
#include "pipeline/settings.hpp"
#include "pipeline/split.hpp"

namespace hsi {

struct CandidateScore {
  Candidate candidate;
  std::vector<double> fold_oa;
  double mean = 0, std = 0, seconds = 0;
  double log_loss = -1;  // mean over held-out pixels of -log p(true class); -1: no probabilities (SVM)
  std::string skipped;  // why it was not evaluated (time budget); empty when it was
};

struct Selection {
  std::string method;    // "3-fold stratified cross-validation on 30 training pixels"
  int folds = 0;
  std::vector<CandidateScore> scores;
  Candidate chosen;
  std::string reason;    // why the winner won
  std::vector<std::string> notes;
  double seconds = 0;
};

// The folds a selection trains and scores on: training pixels of the split only; for `blocks`
// splits grouped by block, for external maps whose test pixels lie apart from the training
// pixels grouped by training area (pipeline/folds.hpp), in both cases with the training pixels
// within the largest candidate's window radius of a held-out pixel left out of that fold's
// training.
struct CvFold {
  Samples train, held;
};

struct CvPlan {
  int k = 0;  // 0: too few pixels to cross-validate
  std::string method;
  std::vector<CvFold> folds;
  std::vector<std::string> notes;
  PreprocessSpec preprocess;  // what every fold refits on its own training pixels (bands kept, PCA)
};
CvPlan plan_cross_validation(const Scene& scene, const RunSettings& settings, const Split& split);

// The share of the split's test pixels with a training pixel within `radius` (Chebyshev): how
// an external split's maps lie to each other, which decides its folds (1.0 without test pixels).
double test_share_near_training(const Split& split, int radius);

Selection select_model(const Scene& scene, const RunSettings& settings, const Split& split, bool verbose);

// The settings with the candidate's model and window.
RunSettings with_candidate(RunSettings settings, const Candidate& candidate);

// The table for report.md / the terminal, and its JSON object.
std::string selection_markdown(const Selection& selection);
std::string selection_json(const Selection& selection);
// One line per candidate, for a checkpoint's metadata: "label|mean|std|log_loss|seconds|skipped[|chosen]".
std::vector<std::string> selection_lines(const Selection& selection);

}  // namespace hsi
