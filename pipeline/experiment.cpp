#include "pipeline/experiment.hpp"

#include <chrono>
#include <filesystem>
#include <fstream>
#include <ostream>
#include <set>
#include <sstream>
#include <tuple>
#include <utility>

#include "common/atomic_file.hpp"
#include "common/error.hpp"
#include "common/interrupt.hpp"
#include "common/text.hpp"
#include "eval/aggregate.hpp"
#include "eval/compare.hpp"
#include "eval/curve.hpp"
#include "io/reader.hpp"
#include "pipeline/run.hpp"
#include "pipeline/run_layout.hpp"

namespace fs = std::filesystem;

namespace hsi {
namespace {

std::vector<std::string> entries(const std::string& list, const std::string& option) {
  std::vector<std::string> out;
  std::set<std::string> seen;
  for (const std::string& raw : split(list, ',')) {
    const std::string entry = trim(raw);
    if (entry.empty()) usage_error(option + ": empty entry in '" + list + "'");
    if (!seen.insert(entry).second) usage_error(option + ": '" + entry + "' is listed twice");
    out.push_back(entry);
  }
  return out;
}

// Where an experiment keeps the run of one model, protocol and seed.
std::string experiment_run_folder(const std::string& out, const std::string& model, const std::string& split_entry, int seed) {
  return run_folder(out, model + "_" + split_entry + "_seed" + std::to_string(seed));
}

// One finished run's summary: from its result line when it ran before, else by running it.
RunSummary run_or_reuse(const Scene& scene, const RunSettings& base, const std::string& model, const std::string& split_entry, int seed,
                        const std::string& out, std::ostream& log, bool& interrupted) {
  const fs::path dir = experiment_run_folder(out, model, split_entry, seed);
  const fs::path done = dir / "result.tsv";
  if (fs::exists(done)) {
    std::ifstream in(done);
    std::string line;
    std::getline(in, line);
    const RunSummary summary = RunSummary::from_line(line, done.string());
    log << "[skip] " << model << " " << split_entry << " seed " << seed << " (done: OA " << format_fixed(summary.overall, 4) << ")\n";
    return summary;
  }
  RunSettings s = settings_for_split(settings_for_model(base, model), split_entry);
  s.seed = seed;
  s.out = dir.string();
  std::error_code ec;
  fs::create_directories(dir, ec);
  const auto t0 = std::chrono::steady_clock::now();
  RunOptions options;
  options.verbose = false;
  const RunResult result = run_training(scene, s, options);
  RunSummary summary;
  if (result.interrupted || stop_requested()) {
    interrupted = true;
    return summary;
  }
  summary.model = model;
  summary.split = split_entry;
  summary.seed = seed;
  summary.overall = result.accuracy.overall;
  summary.average = result.accuracy.average;
  summary.kappa = result.accuracy.kappa;
  summary.quantity_disagreement = result.accuracy.quantity_disagreement;
  summary.allocation_disagreement = result.accuracy.allocation_disagreement;
  summary.diversity = s.finetune.enabled ? result.diversity : -1;
  summary.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  for (const auto& c : result.accuracy.per_class) {
    if (c.reference > 0) summary.class_accuracy[c.id] = c.producer;
  }
  write_text_file(done.string(), summary.to_line() + "\n");
  log << model << (s.model.name == "auto" ? " (chose " + result.model + ")" : "") << " " << split_entry << " seed " << seed << ": OA "
      << format_fixed(summary.overall, 4) << " AA "
      << format_fixed(summary.average, 4) << " kappa " << format_fixed(summary.kappa, 4) << " (" << format_fixed(summary.seconds, 1) << " s)"
      << std::endl;
  return summary;
}

// A run's map and test pixels, read back from its folder; empty when either file is missing (a
// folder from before maps were kept, or cleaned up by hand).
struct RunMaps {
  std::vector<int32_t> map, test;
};
RunMaps run_maps(const RunSettings& base, const std::string& model, const std::string& split_entry, int seed, const std::string& out) {
  const RunSettings s = settings_for_split(settings_for_model(base, model), split_entry);
  const RunLayout layout(experiment_run_folder(out, model, split_entry, seed), s.predict.format);
  const std::string test = SplitFiles(layout.split_dir).test;
  if (!fs::exists(layout.map) || !fs::exists(test)) return {};
  return {read_labels(layout.map).labels, read_labels(test).labels};
}

// Every model against the one of best mean OA, seed by seed: McNemar's exact test on the test
// pixels both runs hold (a blocks split's guard band depends on the window, so they can differ).
// A difference in mean OA says nothing of whether each seed's maps differ by more than chance.
std::string paired_comparisons(const AggregateTable& table, const std::string& split_entry, const RunSettings& base, const ExperimentPlan& plan) {
  if (table.models.size() < 2) return "";
  std::string best;
  double best_mean = -1;
  for (size_t m = 0; m < table.models.size(); ++m) {
    const MeanStd ms = mean_std(table.per_seed_oa[m]);
    if (ms.n > 0 && ms.mean > best_mean) std::tie(best, best_mean) = std::make_pair(table.models[m], ms.mean);
  }
  if (best.empty()) return "";
  std::ostringstream md;
  md << "Paired with the best mean OA (" << best << "), seed by seed: McNemar's exact test on the test pixels both runs hold "
     << "(`hsi evaluate --compare`); the difference is the model's OA minus " << best << "'s on those pixels.\n\n"
     << "| model | OA difference, mean | seeds worse (p < 0.05) | no significant difference | seeds better (p < 0.05) |\n"
     << "|---|---:|---:|---:|---:|\n";
  // The best model's runs, read once: every other model is compared with them.
  std::vector<RunMaps> best_runs;
  for (int seed = plan.first_seed; seed < plan.first_seed + plan.runs; ++seed) best_runs.push_back(run_maps(base, best, split_entry, seed, plan.out));
  int missing = 0;
  for (const std::string& m : table.models) {
    if (m == best) continue;
    std::vector<double> differences;
    int worse = 0, same = 0, better = 0;
    for (int seed = plan.first_seed; seed < plan.first_seed + plan.runs; ++seed) {
      const RunMaps a = run_maps(base, m, split_entry, seed, plan.out);
      const RunMaps& b = best_runs[static_cast<size_t>(seed - plan.first_seed)];
      if (a.map.empty() || b.map.empty() || a.map.size() != b.map.size()) {
        ++missing;
        continue;
      }
      std::vector<int32_t> reference(a.test.size(), 0);
      for (size_t i = 0; i < reference.size(); ++i)
        if (a.test[i] != 0 && a.test[i] == b.test[i]) reference[i] = a.test[i];
      const MapComparison c = compare_maps(reference, a.map, b.map);
      if (c.pixels == 0) continue;
      differences.push_back(c.difference);
      ++(c.p_value >= 0.05 ? same : (c.difference < 0 ? worse : better));
    }
    const int compared = worse + same + better;
    md << "| " << m << " | " << (differences.empty() ? "-" : format_fixed(mean_std(differences).mean, 4)) << " | " << worse << " of "
       << compared << " | " << same << " | " << better << " |\n";
  }
  if (missing > 0) md << "\n" << missing << " pair(s) of runs left out: a run folder without its map or test pixels.\n";
  return md.str() + "\n";
}

}  // namespace

std::string seeds_text(const ExperimentPlan& plan) {
  if (plan.runs == 1) return "seed " + std::to_string(plan.first_seed);
  return "seeds " + std::to_string(plan.first_seed) + ".." + std::to_string(plan.first_seed + plan.runs - 1);
}

std::string run_folder(const std::string& out, std::string label) {
  for (char& c : label) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '.') c = '_';
  }
  return (fs::path(out) / "runs" / label).string();
}

RunSettings settings_for_model(RunSettings s, const std::string& spec) {
  const size_t plus = spec.find('+');
  const std::string model = spec.substr(0, plus);
  if (model.find(':') == std::string::npos) {
    s.model.name = model;  // the window side from the config
  } else {
    s = with_candidate(s, parse_candidates(model, "--models").front());
  }
  if (plus != std::string::npos && learns_no_metric(s.model.name))
    usage_error("--models: '" + spec + "': " + s.model.name + " learns no metric to fine-tune");
  if (plus != std::string::npos) {
    const std::string variant = spec.substr(plus + 1);
    s.finetune.enabled = true;
    if (variant == "dml") s.finetune.lambda = 0.0;
    else if (variant == "dpp") s.finetune.lambda = s.finetune.lambda > 0 ? s.finetune.lambda : 0.1;
    else usage_error("--models: unknown variant '+" + variant + "' in '" + spec + "' (use +dml or +dpp)");
  } else {
    s.finetune.enabled = false;
  }
  s.validate();
  return s;
}

std::string model_entry_of(const RunSettings& s) {
  if (!s.finetune.enabled || learns_no_metric(s.model.name)) return s.model.name;
  return s.model.name + (s.finetune.lambda > 0 ? "+dpp" : "+dml");
}

std::string split_entry_of(const RunSettings& s) {
  if (s.split.mode == "fixed" || s.split.mode == "blocks") return s.split.mode + ":" + std::to_string(s.split.per_class);
  if (s.split.mode == "fraction") {
    std::ostringstream text;
    text << "fraction:" << s.split.fraction;
    return text.str();
  }
  return s.split.mode;
}

RunSettings settings_for_split(RunSettings s, const std::string& spec) {
  const size_t colon = spec.find(':');
  s.split.mode = spec.substr(0, colon);
  const std::string arg = colon == std::string::npos ? "" : spec.substr(colon + 1);
  try {
    if (s.split.mode == "fixed" || s.split.mode == "blocks") {
      if (!arg.empty()) s.split.per_class = std::stoi(arg);
    } else if (s.split.mode == "fraction") {
      if (!arg.empty()) s.split.fraction = std::stod(arg);
    } else if (s.split.mode != "external") {
      usage_error("--splits: unknown protocol '" + spec + "'");
    }
  } catch (const std::logic_error&) {
    usage_error("--splits: bad number in '" + spec + "'");
  }
  s.validate();
  return s;
}

ExperimentPlan plan_experiment(const RunSettings& base, const std::string& models, const std::string& splits, int runs, int first_seed,
                               const std::string& out) {
  if (out.empty()) usage_error("--out DIR is required");
  if (runs < 1) usage_error("--runs must be at least 1");
  if (first_seed < 0) usage_error("--first-seed must not be negative");
  ExperimentPlan plan;
  plan.models = entries(models.empty() ? model_entry_of(base) : models, "--models");
  plan.splits = entries(splits.empty() ? split_entry_of(base) : splits, "--splits");
  plan.runs = runs;
  plan.first_seed = first_seed;
  plan.out = out;
  for (const auto& m : plan.models) settings_for_model(base, m);
  for (const auto& sp : plan.splits) settings_for_split(base, sp);
  return plan;
}

ExperimentResult run_experiment(const Scene& scene, const RunSettings& base, const ExperimentPlan& plan, std::ostream& log) {
  ExperimentResult result;
  std::vector<RunSummary> summaries;
  for (const auto& sp : plan.splits) {
    for (const auto& m : plan.models) {
      for (int seed = plan.first_seed; seed < plan.first_seed + plan.runs; ++seed) {
        summaries.push_back(run_or_reuse(scene, base, m, sp, seed, plan.out, log, result.interrupted));
        if (result.interrupted) return result;
      }
    }
  }
  std::map<int32_t, std::string> names;
  for (const auto& c : scene.classes.classes()) names[c.id] = c.name;
  std::ostringstream md, tex, csv;
  md << "# " << scene.name << ": " << plan.runs << (plan.runs == 1 ? " run" : " runs") << " per cell (" << seeds_text(plan) << "), mean ± std\n\n";
  for (const auto& sp : plan.splits) {
    const AggregateTable table = aggregate(summaries, sp, plan.models, names);
    md << "## " << sp << "\n\n" << table_markdown(table) << "\n" << paired_comparisons(table, sp, base, plan);
    tex << table_latex(table) << "\n";
    csv << "# " << sp << "\n" << table_csv(table) << "\n";
  }
  write_text_file((fs::path(plan.out) / "table.md").string(), md.str());
  write_text_file((fs::path(plan.out) / "table.tex").string(), tex.str());
  write_text_file((fs::path(plan.out) / "table.csv").string(), csv.str());
  // Two or more fixed:N protocols make the few-shot figure: OA against pixels per class.
  const CurveSpec curve = few_shot_curve(summaries, plan.models, scene.name + ": OA (mean ± std over " + std::to_string(plan.runs) + " seeds)");
  if (!curve.series.empty()) {
    write_text_file((fs::path(plan.out) / "curve.svg").string(), curve_svg(curve));
    write_text_file((fs::path(plan.out) / "curve.csv").string(), curve_csv(curve));
  }
  result.markdown = md.str();
  return result;
}

}  // namespace hsi
