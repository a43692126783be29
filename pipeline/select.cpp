#include "pipeline/select.hpp"

#include <torch/torch.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <sstream>

#include "common/error.hpp"
#include "common/interrupt.hpp"
#include "common/text.hpp"
#include "eval/aggregate.hpp"
#include "models/unmixing.hpp"
#include "pipeline/batches.hpp"
#include "pipeline/folds.hpp"
#include "pipeline/preprocess.hpp"
#include "pipeline/run.hpp"
#include "pipeline/svm_training.hpp"
#include "pipeline/trainer.hpp"

namespace hsi {
namespace {

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

Samples subset(const Samples& all, const std::vector<int64_t>& rows) {
  Samples s;
  for (int64_t r : rows) {
    s.pixels.push_back(all.pixels[r]);
    s.targets.push_back(all.targets[r]);
  }
  return s;
}

// Training pixels of a fold within `radius` (Chebyshev) of a held-out pixel are left out, so a
// window model never trains on windows overlapping the pixels it is scored on.
Samples without_neighbours(const Samples& train, const Samples& held, int64_t rows, int64_t cols, int radius) {
  if (radius <= 0) return train;
  const std::vector<uint8_t> near = window_cover(held.pixels, rows, cols, radius);
  Samples kept;
  for (size_t i = 0; i < train.size(); ++i)
    if (!near[train.pixels[i]]) {
      kept.pixels.push_back(train.pixels[i]);
      kept.targets.push_back(train.targets[i]);
    }
  return kept;
}

struct FoldScore {
  double oa = 0;
  double log_loss = -1;  // mean -log p(true class) on the held-out pixels; -1 for the SVM and unmixing
};

// One candidate trained on one fold's pixels and scored on the held-out ones.
FoldScore score_fold(const Cube& cube, const std::vector<uint8_t>& nodata, const RunSettings& s, const PreprocessSpec& spec, const Candidate& candidate,
                     const Samples& train, const Samples& held, int classes, uint64_t seed) {
  RunSettings cs = with_candidate(s, candidate);
  const Preprocessor pre = Preprocessor::fit(
      cube, preprocessing_fit_pixels(train.pixels, cube.rows, cube.cols, window_radius(cs), nodata, s.preprocess.fit_on, spec.pca, nullptr), spec);
  const Cube x = pre.applied(cube);
  if (candidate.model == "unmix") {
    const std::vector<float> tx = spectra_of(x, train.pixels), hx = spectra_of(x, held.pixels);
    const UnmixingModel model = UnmixingModel::fit(tx.data(), static_cast<int64_t>(train.size()), static_cast<int>(x.bands), train.targets, classes,
                                                   pre.zero_spectrum());
    return {accuracy_of(model.predict(hx.data(), static_cast<int64_t>(held.size())), held.targets), -1};
  }
  if (candidate.model == "svm") {
    const SvmFit fit = fit_svm(spectra_of(x, train.pixels), static_cast<int>(x.bands), train.targets, classes, s.select.folds, seed);
    const std::vector<float> hx = spectra_of(x, held.pixels);
    return {accuracy_of(fit.model.predict(hx.data(), static_cast<int64_t>(held.size())), held.targets), -1};
  }
  // A shortened pretraining: the ranking of candidates settles well before the last epochs.
  cs.train.epochs = std::max(1, static_cast<int>(std::lround(cs.train.epochs * s.select.train_share)));
  cs.train.min_steps = static_cast<int>(std::lround(cs.train.min_steps * s.select.train_share));
  const NetOptions options = cs.model.net_options(static_cast<int>(x.bands), classes);
  torch::manual_seed(seed);
  HsiNet net = make_hsi_net(options);
  auto optimizer = make_optimizer(net, cs.train.optimizer, cs.train.lr, cs.train.momentum, cs.train.weight_decay);
  const BatchMaker batches(x, options);
  const TrainOutcome outcome = pretrain(net, *optimizer, batches, train, Samples{}, cs.train, static_cast<int>(seed), StageProgress{},
                                        [](const EpochLog&, const StageProgress&, bool, torch::optim::Optimizer&) {}, false);
  if (outcome.interrupted) throw_if_stop_requested();
  torch::NoGradGuard no_grad;
  net->eval();
  const torch::Tensor log_p = torch::log_softmax(net->forward(batches.make(held.pixels)), 1);
  const torch::Tensor targets = torch::tensor(held.targets, torch::kLong);
  FoldScore score;
  score.oa = (log_p.argmax(1) == targets).to(torch::kDouble).mean().item<double>();
  score.log_loss = -log_p.gather(1, targets.unsqueeze(1)).mean().item<double>();
  return score;
}

// Mean CV OAs this close are tied: exact ties are the common case with a few dozen pixels.
constexpr double kTie = 1e-12;
// External maps with fewer of their test pixels than this within a window of a training pixel
// are taken as spatially disjoint. Measured with a 13 x 13 window: Salinas-A's random fixed:10
// split read back as external maps 77 %; Pavia University's standard TRpavia/TSpavia maps 21 %;
// three 3 x 3 patches a class on Salinas-A (bench/disjoint.sh) 35-41 %.
constexpr double kDisjointBelow = 0.5;

bool has_log_loss(const CandidateScore& c) { return c.log_loss >= 0; }

// The largest window radius among select.candidates: the guard band of grouped folds, and the
// distance at which external maps are measured.
int largest_candidate_radius(const RunSettings& s) {
  int radius = 0;
  for (const Candidate& c : parse_candidates(s.select.candidates, "select.candidates")) radius = std::max(radius, c.patch / 2);
  return radius;
}

// How cross-validation over a split's training pixels is grouped, so that its folds lie to each
// other as the test pixels lie to the training pixels: not at all (random splits, interleaved
// external maps: stratified folds), by block (`blocks` splits) or by training area (external
// maps whose test pixels mostly lie beyond the largest window's radius of every training pixel).
struct FoldGrouping {
  enum Kind { none, by_block, by_area } kind = none;
  int64_t block = 0;   // split.block_size: blocks, and the squares that cut training areas
  std::string layout;  // what was measured of external maps, for the method line ("" otherwise)

  // One group id per sample (empty for `none`): what grouped_folds deals.
  std::vector<int64_t> groups(const Samples& samples, int64_t rows, int64_t cols) const {
    std::vector<int64_t> out;
    if (kind == by_area) return area_groups(samples.pixels, samples.targets, rows, cols, block);
    if (kind == by_block)
      for (int64_t p : samples.pixels) out.push_back(block_of(p, cols, block));
    return out;
  }
  const char* name() const { return kind == by_area ? "area-grouped" : kind == by_block ? "block-grouped" : "stratified"; }
  const char* group_noun() const { return kind == by_area ? "training area" : "block"; }
};

FoldGrouping fold_grouping(const Split& split, const RunSettings& s, int radius) {
  // The folds copy how the test pixels lie to the training pixels. A blocks split keeps them
  // apart; external maps say nothing of how they were drawn, so their layout is measured: when
  // most test pixels have no training pixel within the largest window's radius (disjoint maps,
  // as a survey's separate polygons or a benchmark's standard train/test maps), random folds
  // would score each held-out pixel beside training pixels of its own area, and every window
  // near 1.0 (Salinas-A with 3 patches of 3 x 3 a class: CV OA 1.000 for three windows whose
  // test OA spanned 0.84-0.85 on one seed); the folds then hold out whole training areas.
  FoldGrouping g;
  g.block = std::max(2, s.split.block_size);
  if (split.mode == "blocks") g.kind = FoldGrouping::by_block;
  if (split.mode == "external") {
    radius = std::max(radius, 1);
    const double near = test_share_near_training(split, radius);
    g.kind = near < kDisjointBelow ? FoldGrouping::by_area : FoldGrouping::none;
    g.layout = "; " + format_fixed(100 * near, 0) + " % of the test pixels lie within " + std::to_string(radius) +
               " px of a training pixel: the external maps are " + (g.kind == FoldGrouping::by_area ? "spatially disjoint" : "interleaved");
  }
  return g;
}

// The ranking: mean CV OA first. With a few dozen training pixels the folds often tie (one
// held-out pixel is worth 1.5-3 points), and the tie is then decided by select.tie_break:
// `log-loss` gives it to the network with the lower held-out log-loss, a proper score that
// still separates networks whose folds all came out right (Salinas-A fixed:5: 0.9872 against
// 0.9662 by list order; README); a candidate without probabilities (unmixing, the SVM) keeps a
// tie it holds and takes none, so between them and the networks the list's order is the prior.
// `order` gives every tie to the candidate listed first.
bool better(const CandidateScore& c, const CandidateScore* best, bool by_log_loss) {
  if (!best) return true;
  if (c.mean > best->mean + kTie) return true;
  if (c.mean < best->mean - kTie) return false;
  return by_log_loss && has_log_loss(c) && has_log_loss(*best) && c.log_loss < best->log_loss;
}

std::string oa_text(const CandidateScore& c) {
  // Raced out ("stopped", after none or some of its folds), or not run (time budget, no fold scored).
  if (!c.skipped.empty()) return c.skipped.rfind("stopped", 0) == 0 ? "stopped" : "skipped";
  return format_fixed(c.mean, 4) + " ± " + format_fixed(c.std, 4);
}

}  // namespace

RunSettings with_candidate(RunSettings s, const Candidate& c) {
  s.model.name = c.model;
  s.model.patch = c.patch;
  return s;
}

double test_share_near_training(const Split& split, int radius) {
  const std::vector<uint8_t> near = window_cover(Split::pixels_of(split.train), split.rows, split.cols, radius);
  int64_t test = 0, close = 0;
  for (size_t p = 0; p < split.test.size(); ++p)
    if (split.test[p] != 0) {
      ++test;
      close += near[p];
    }
  return test == 0 ? 1.0 : static_cast<double>(close) / static_cast<double>(test);
}

CvPlan plan_cross_validation(const Scene& scene, const RunSettings& s, const Split& split) {
  CvPlan plan;
  const Samples train = samples_of(split.train, scene.classes);
  const int radius = largest_candidate_radius(s);
  const FoldGrouping grouping = fold_grouping(split, s, radius);
  const bool grouped = grouping.kind != FoldGrouping::none;
  plan.k = fold_count(train.targets, s.select.folds);
  const Folds folds = grouped ? grouped_folds(train.targets, grouping.groups(train, scene.cube.rows, scene.cube.cols), plan.k,
                                              static_cast<uint64_t>(s.seed), grouping.group_noun())
                              : stratified_folds(train.targets, plan.k, static_cast<uint64_t>(s.seed));
  plan.notes = folds.notes;
  plan.preprocess = preprocess_spec(s, scene.cube);
  if (!plan.preprocess.note.empty()) plan.notes.push_back(plan.preprocess.note);
  if (plan.k == 0) {
    plan.method = "none: no class has two training pixels";
    return plan;
  }
  plan.method = std::to_string(plan.k) + "-fold " + grouping.name() + (grouped ? " (guard band " + std::to_string(radius) + " px)" : std::string()) +
                " cross-validation on " + std::to_string(train.size()) + " training pixels" + grouping.layout;
  for (int f = 0; f < plan.k; ++f) {
    CvFold fold;
    fold.held = subset(train, folds.held_out(f));
    fold.train = subset(train, folds.training(f));
    if (grouped) fold.train = without_neighbours(fold.train, fold.held, scene.cube.rows, scene.cube.cols, radius);
    if (fold.held.size() > 0 && fold.train.size() >= 2) plan.folds.push_back(std::move(fold));
  }
  return plan;
}

Selection select_model(const Scene& scene, const RunSettings& s, const Split& split, bool verbose) {
  const auto t0 = std::chrono::steady_clock::now();
  Selection sel;
  // A model that must reject pixels (open_set.rule) can only be a network.
  const bool must_reject = s.open_set.rule != "none";
  const std::string listed = must_reject ? network_candidates(s.select.candidates, s.select.fallback, "option 'open_set.rule'") : s.select.candidates;
  const std::vector<Candidate> candidates = parse_candidates(listed, "select.candidates");
  const CvPlan plan = plan_cross_validation(scene, s, split);
  sel.folds = plan.k;
  sel.notes = plan.notes;
  if (candidates.size() < parse_candidates(s.select.candidates, "select.candidates").size())
    sel.notes.push_back("open_set.rule = " + s.open_set.rule + ": only the networks of select.candidates (" + listed + ") were tried, the models with a rejection rule");
  sel.method = plan.method;
  if (plan.k == 0) {
    sel.chosen = parse_candidates(s.select.fallback, "select.fallback").front();
    sel.reason = "fallback (select.fallback): nothing can be held out and still be learnt";
    sel.seconds = seconds_since(t0);
    if (verbose) std::printf("select: %s; using %s\n", sel.method.c_str(), sel.chosen.label().c_str());
    return sel;
  }
  if (verbose) std::printf("select: %s, %zu candidates\n", sel.method.c_str(), candidates.size());
  sel.scores.reserve(candidates.size());  // `leader` points into it
  const CandidateScore* leader = nullptr;  // the best fully scored candidate so far: at the end, the choice
  // Candidates the racing stopped where they could still reach the leader's OA: the tie would
  // have gone to the leader, by the list's order (or for want of probabilities), or by a
  // held-out log-loss they had already exceeded.
  int stopped_tie_by_order = 0, stopped_tie_by_log_loss = 0;
  const int classes = static_cast<int>(scene.classes.size());
  const bool by_log_loss = s.select.tie_break == "log-loss";
  double held_all = 0;  // held-out pixels over all folds: the denominator of a fully scored candidate's log-loss
  for (const CvFold& fold : plan.folds) held_all += static_cast<double>(fold.held.size());
  for (const Candidate& c : candidates) {
    throw_if_stop_requested();
    CandidateScore score;
    score.candidate = c;
    // The first candidate always runs, so a budget can never leave nothing to choose from.
    if (s.select.budget_s > 0 && !sel.scores.empty() && seconds_since(t0) >= s.select.budget_s) {
      score.skipped = "time budget (select.budget_s = " + format_fixed(s.select.budget_s, 0) + " s) spent";
      sel.scores.push_back(score);
      if (verbose) std::printf("  %-10s skipped: %s\n", c.label().c_str(), score.skipped.c_str());
      continue;
    }
    const auto c0 = std::chrono::steady_clock::now();
    double log_loss_sum = 0, oa_sum = 0;
    const double folds_n = static_cast<double>(plan.folds.size());
    const bool network = !learns_no_metric(c.model);
    for (size_t f = 0; f < plan.folds.size(); ++f) {
      // Racing, exact: a candidate stops as soon as it cannot win even with every remaining
      // fold perfect. Reaching the leader's OA wins only a tie the rule would give it: under
      // `log-loss` a network against a network whose log-loss it has not yet exceeded (the
      // remaining folds can only add to its sum, so the sum so far over all held-out pixels
      // is a lower bound of its final log-loss).
      const double best_possible = (oa_sum + (folds_n - static_cast<double>(f))) / folds_n;
      const bool can_tie_only = leader && best_possible <= leader->mean + kTie;
      const bool can_tie = leader && best_possible >= leader->mean - kTie;
      const bool tie_by_log_loss = by_log_loss && network && leader && has_log_loss(*leader);
      const bool can_win_tie = can_tie && tie_by_log_loss && log_loss_sum / held_all < leader->log_loss;
      if (can_tie_only && !can_win_tie) {
        score.skipped = "stopped after " + std::to_string(f) + " of " + std::to_string(plan.folds.size()) + " folds: cannot beat " +
                        leader->candidate.label() + " (" + format_fixed(leader->mean, 4) +
                        (tie_by_log_loss ? ", log-loss " + format_fixed(leader->log_loss, 4) : std::string()) + ")";
        if (can_tie) ++(tie_by_log_loss ? stopped_tie_by_log_loss : stopped_tie_by_order);
        break;
      }
      const CvFold& fold = plan.folds[f];
      const FoldScore fs =
          score_fold(scene.cube, scene.nodata, s, plan.preprocess, c, fold.train, fold.held, classes, static_cast<uint64_t>(s.seed) * 1009 + f);
      score.fold_oa.push_back(fs.oa);
      oa_sum += fs.oa;
      log_loss_sum += fs.log_loss * static_cast<double>(fold.held.size());
    }
    score.log_loss = !network || held_all == 0 || !score.skipped.empty() ? -1 : log_loss_sum / held_all;
    score.seconds = seconds_since(c0);
    if (!score.skipped.empty()) {
      if (verbose) std::printf("  %-10s %s  (%.1f s)\n", c.label().c_str(), score.skipped.c_str(), score.seconds);
      sel.scores.push_back(score);
      continue;
    }
    if (score.fold_oa.empty()) {
      score.skipped = "no fold could be scored";
    } else {
      const MeanStd oa = mean_std(score.fold_oa);
      score.mean = oa.mean;
      score.std = oa.std;
    }
    if (verbose) {
      std::printf("  %-10s CV OA %s  log-loss %s  (%.1f s)\n", c.label().c_str(), oa_text(score).c_str(),
                  score.log_loss < 0 ? "  -   " : format_fixed(score.log_loss, 4).c_str(), score.seconds);
    }
    std::fflush(stdout);
    sel.scores.push_back(score);
    if (score.skipped.empty() && better(score, leader, by_log_loss)) leader = &sel.scores.back();
  }
  const CandidateScore* best = leader;
  if (!best) usage_error("select: no candidate could be evaluated (raise select.budget_s or check select.candidates)");
  sel.chosen = best->candidate;
  int tied = 0, tied_networks = 0;
  for (const CandidateScore& c : sel.scores) {
    const bool tie = c.skipped.empty() && std::abs(c.mean - best->mean) <= kTie;
    tied += tie;
    tied_networks += tie && has_log_loss(c);
  }
  const bool log_loss_decided = by_log_loss && has_log_loss(*best) && tied_networks > 1;
  sel.reason = "best mean CV OA";
  if (tied > 1) {
    sel.reason += ", tied with " + std::to_string(tied - 1) + " other(s): " + (log_loss_decided ? "lowest held-out log-loss" : "listed first");
  }
  if (best->mean >= 1 - kTie && stopped_tie_by_order + stopped_tie_by_log_loss > 0) {
    // Every later candidate could at best tie. The user should know what chose then: the
    // list's order is a prior, not a measurement; the log-loss is a measurement.
    sel.reason += "; the folds are saturated (CV OA 1.000)";
    if (stopped_tie_by_order > 0) {
      sel.reason += ": " + std::to_string(stopped_tie_by_order) +
                    " later candidate(s) could at best tie and were stopped, so the list's order decided between them";
    }
    if (stopped_tie_by_log_loss > 0) {
      sel.reason += std::string(stopped_tie_by_order > 0 ? "; " : ": ") + std::to_string(stopped_tie_by_log_loss) +
                    " later network(s) stopped once their held-out log-loss exceeded the leader's";
    }
  }
  sel.seconds = seconds_since(t0);
  if (verbose) std::printf("select: %s (%s), %.1f s\n", sel.chosen.label().c_str(), sel.reason.c_str(), sel.seconds);
  return sel;
}

std::string selection_markdown(const Selection& sel) {
  std::ostringstream o;
  o << "Model selection: " << sel.method << ". Chosen: **" << sel.chosen.label() << "** (" << sel.reason << "; " << format_fixed(sel.seconds, 1)
    << " s in all).\n\n";
  if (!sel.scores.empty()) {
    // Seconds for every candidate, stopped ones too: the column adds up to the selection's cost.
    o << "| candidate | CV OA (mean ± std over folds) | held-out log-loss | seconds | note |\n|---|---:|---:|---:|---|\n";
    for (const CandidateScore& c : sel.scores) {
      o << "| " << c.candidate.label() << (c.candidate == sel.chosen ? " (chosen)" : "") << " | " << oa_text(c) << " | "
        << (c.log_loss >= 0 && c.skipped.empty() ? format_fixed(c.log_loss, 4) : "-") << " | " << format_fixed(c.seconds, 1) << " | " << c.skipped
        << " |\n";
    }
  }
  for (const std::string& n : sel.notes) o << "\nNote: " << n << "\n";
  return o.str();
}

std::string selection_json(const Selection& sel) {
  std::ostringstream o;
  o << "{\"method\": \"" << json_escape(sel.method) << "\", \"folds\": " << sel.folds << ", \"chosen\": \"" << json_escape(sel.chosen.label())
    << "\", \"reason\": \"" << json_escape(sel.reason) << "\", \"seconds\": " << format_fixed(sel.seconds, 3) << ", \"candidates\": [";
  for (size_t i = 0; i < sel.scores.size(); ++i) {
    const CandidateScore& c = sel.scores[i];
    o << (i ? ", " : "") << "{\"candidate\": \"" << json_escape(c.candidate.label()) << "\", ";
    if (c.skipped.empty()) {
      o << "\"mean_oa\": " << format_fixed(c.mean, 6) << ", \"std_oa\": " << format_fixed(c.std, 6) << ", \"fold_oa\": [";
      for (size_t f = 0; f < c.fold_oa.size(); ++f) o << (f ? ", " : "") << format_fixed(c.fold_oa[f], 6);
      o << "], \"log_loss\": " << (c.log_loss >= 0 ? format_fixed(c.log_loss, 6) : "null") << ", \"seconds\": " << format_fixed(c.seconds, 3) << "}";
    } else {
      o << "\"skipped\": \"" << json_escape(c.skipped) << "\", \"folds_scored\": " << c.fold_oa.size() << ", \"seconds\": " << format_fixed(c.seconds, 3)
        << "}";
    }
  }
  o << "], \"notes\": " << json_string_array(sel.notes) << "}";
  return o.str();
}

std::vector<std::string> selection_lines(const Selection& sel) {
  std::vector<std::string> lines;
  if (sel.scores.empty()) lines.push_back(sel.chosen.label() + "|||||" + sel.reason + "|chosen");
  for (const CandidateScore& c : sel.scores) {
    lines.push_back(c.candidate.label() + "|" + format_fixed(c.mean, 6) + "|" + format_fixed(c.std, 6) + "|" + format_fixed(c.log_loss, 6) + "|" +
                    format_fixed(c.seconds, 3) + "|" +
                    c.skipped + (c.candidate == sel.chosen ? "|chosen" : ""));
  }
  return lines;
}

}  // namespace hsi
