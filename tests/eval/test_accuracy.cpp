#include <gtest/gtest.h>

#include <cmath>
#include <sstream>

#include "common/error.hpp"
#include "eval/accuracy.hpp"
#include "eval/aggregate.hpp"
#include "eval/report.hpp"

namespace hsi {
namespace {

TEST(Accuracy, HandCheckableCaseAgreesWithScikitLearn) {
  const std::vector<int32_t> truth = {1, 1, 1, 1, 2, 2, 2, 3, 3, 3, 3, 3, 5, 5};
  const std::vector<int32_t> pred = {1, 1, 2, 1, 2, 2, 3, 3, 3, 1, 3, 3, 5, 2};
  const AccuracyReport r = evaluate_accuracy(truth, pred);
  EXPECT_EQ(r.classes, (std::vector<int32_t>{1, 2, 3, 5}));
  const std::vector<std::vector<int64_t>> expected = {{3, 1, 0, 0}, {0, 2, 1, 0}, {1, 0, 4, 0}, {0, 1, 0, 1}};
  EXPECT_EQ(r.confusion, expected);
  EXPECT_NEAR(r.overall, 0.714286, 1e-6);
  EXPECT_NEAR(r.average, 0.679167, 1e-6);
  EXPECT_NEAR(r.kappa, 0.602837, 1e-6);
  EXPECT_NEAR(r.per_class[0].producer, 0.75, 1e-12);
  EXPECT_NEAR(r.per_class[0].user, 0.75, 1e-12);
  EXPECT_NEAR(r.per_class[3].user, 1.0, 1e-12);
}

// Pontius & Millones (2011): the errors, 1 - OA, split into quantity (the map's class totals
// against the reference's) and allocation (the rest: pixels swapped between places).
TEST(Accuracy, QuantityAndAllocationDisagreementSplitTheErrors) {
  const auto with_confusion = [](const std::vector<std::vector<int>>& counts) {
    std::vector<int32_t> truth, pred;
    for (size_t i = 0; i < counts.size(); ++i)
      for (size_t j = 0; j < counts.size(); ++j)
        for (int k = 0; k < counts[i][j]; ++k) {
          truth.push_back(static_cast<int32_t>(i + 1));
          pred.push_back(static_cast<int32_t>(j + 1));
        }
    return evaluate_accuracy(truth, pred);
  };
  // Ten class-1 pixels mapped as class 2 and none the other way: the map has too much of
  // class 2, all of it quantity.
  const AccuracyReport q = with_confusion({{40, 10}, {0, 50}});
  EXPECT_DOUBLE_EQ(q.quantity_disagreement, 0.1);
  EXPECT_DOUBLE_EQ(q.allocation_disagreement, 0.0);
  // Ten each way: the totals are right, the places wrong.
  const AccuracyReport a = with_confusion({{40, 10}, {10, 40}});
  EXPECT_DOUBLE_EQ(a.quantity_disagreement, 0.0);
  EXPECT_DOUBLE_EQ(a.allocation_disagreement, 0.2);
  // The scikit-learn case above by hand: reference totals 4 3 5 2, map totals 4 4 5 1, so
  // quantity (0 + 1 + 0 + 1) / 28; allocation 2 min(omissions, commissions) per class:
  // (2 + 2 + 2 + 0) / 28.
  const AccuracyReport h = evaluate_accuracy({1, 1, 1, 1, 2, 2, 2, 3, 3, 3, 3, 3, 5, 5}, {1, 1, 2, 1, 2, 2, 3, 3, 3, 1, 3, 3, 5, 2});
  EXPECT_NEAR(h.quantity_disagreement, 2.0 / 28, 1e-12);
  EXPECT_NEAR(h.allocation_disagreement, 6.0 / 28, 1e-12);
  // Random maps: the two always sum to 1 - OA, and shuffling the map's pixels (same totals)
  // never changes quantity.
  uint64_t state = 12345;
  const auto next = [&state](int n) {
    state = state * 6364136223846793005ULL + 1442695040888963407ULL;
    return static_cast<int32_t>((state >> 33) % static_cast<uint64_t>(n));
  };
  for (int trial = 0; trial < 50; ++trial) {
    std::vector<int32_t> truth(200), pred(200);
    for (size_t i = 0; i < truth.size(); ++i) {
      truth[i] = 1 + next(5);
      pred[i] = next(3) == 0 ? 1 + next(6) : truth[i];
    }
    const AccuracyReport r = evaluate_accuracy(truth, pred);
    EXPECT_NEAR(r.quantity_disagreement + r.allocation_disagreement, 1 - r.overall, 1e-12);
    EXPECT_GE(r.allocation_disagreement, 0.0);
    for (size_t i = pred.size() - 1; i > 0; --i) std::swap(pred[i], pred[static_cast<size_t>(next(static_cast<int>(i + 1)))]);
    EXPECT_NEAR(evaluate_accuracy(truth, pred).quantity_disagreement, r.quantity_disagreement, 1e-12);
  }
  RunReport report;
  report.accuracy = q;
  EXPECT_NE(report_json(report).find("\"quantity_disagreement\": 0.100000"), std::string::npos) << report_json(report);
  EXPECT_NE(report_markdown(report).find("| allocation disagreement | 0.0000 |"), std::string::npos) << report_markdown(report);
  EXPECT_TRUE(std::isnan(evaluate_accuracy({0, 0}, {1, 2}).quantity_disagreement));
}

TEST(Accuracy, UnlabelledPixelsAreIgnored) {
  const AccuracyReport r = evaluate_accuracy({0, 1, 0, 2}, {7, 1, 9, 2});
  EXPECT_EQ(r.total, 2);
  EXPECT_DOUBLE_EQ(r.overall, 1.0);
  EXPECT_DOUBLE_EQ(r.kappa, 1.0);
}

// Kappa is 0/0 when reference and prediction hold one and the same class, and nothing is
// defined without reference pixels: undefined (NaN), reported as such, never 1 or 0.
TEST(Accuracy, UndefinedFiguresAreNotNumbers) {
  const AccuracyReport one = evaluate_accuracy({3, 3, 3}, {3, 3, 3});
  EXPECT_DOUBLE_EQ(one.overall, 1.0);
  EXPECT_TRUE(std::isnan(one.kappa));
  const AccuracyReport none = evaluate_accuracy({0, 0}, {1, 2});
  EXPECT_EQ(none.total, 0);
  EXPECT_TRUE(std::isnan(none.overall));
  EXPECT_TRUE(std::isnan(none.kappa));
  RunReport report;
  report.accuracy = one;
  EXPECT_NE(report_json(report).find("\"kappa\": null"), std::string::npos) << report_json(report);
  EXPECT_NE(report_markdown(report).find("| Cohen's kappa | undefined |"), std::string::npos) << report_markdown(report);
  // A wrong prediction of the one class is still scored: kappa stays defined.
  EXPECT_FALSE(std::isnan(evaluate_accuracy({3, 3, 3}, {3, 3, 4}).kappa));
}

TEST(Accuracy, PredictedClassAbsentFromReferenceGetsAColumn) {
  const AccuracyReport r = evaluate_accuracy({1, 1, 2, 2}, {1, 4, 2, 2});
  EXPECT_EQ(r.classes, (std::vector<int32_t>{1, 2, 4}));
  EXPECT_EQ(r.confusion[0][2], 1);
  EXPECT_DOUBLE_EQ(r.average, 0.75);  // mean recall over classes 1 and 2 only
}

TEST(Reports, ContainTheFigures) {
  RunReport report;
  report.header = {{"scene", "test"}};
  report.accuracy = evaluate_accuracy({1, 1, 2}, {1, 2, 2});
  report.class_names = {{1, "A"}, {2, "B"}};
  const std::string json = report_json(report), md = report_markdown(report);
  EXPECT_NE(json.find("\"overall_accuracy\": 0.666667"), std::string::npos) << json;
  EXPECT_NE(md.find("| 1 | A |"), std::string::npos) << md;
  EXPECT_NE(confusion_csv(report.accuracy, report.class_names).find("1,1,1"), std::string::npos);
}

TEST(Aggregate, MeanStdAndBoldBest) {
  std::vector<RunSummary> runs;
  for (int seed = 0; seed < 3; ++seed) {
    RunSummary a{"cnn2d", "fixed:10", seed, 0.8 + 0.01 * seed, 0.8, 0.7, -1, 1, {{1, 0.9}}};
    RunSummary b{"ms2d", "fixed:10", seed, 0.9 + 0.01 * seed, 0.9, 0.8, -1, 1, {{1, 0.95}}};
    runs.push_back(a);
    runs.push_back(RunSummary::from_line(b.to_line(), "test"));
  }
  const AggregateTable t = aggregate(runs, "fixed:10", {"cnn2d", "ms2d"}, {{1, "Brocoli"}});
  ASSERT_EQ(t.rows[0], "1 Brocoli");
  EXPECT_NEAR(t.cells[1][1].mean, 0.91, 1e-12);  // OA row, ms2d
  EXPECT_NEAR(t.cells[1][1].std, 0.01, 1e-12);   // sample std
  const std::string md = table_markdown(t);
  EXPECT_NE(md.find("**0.9100 ± 0.0100**"), std::string::npos) << md;
  EXPECT_NE(table_latex(t).find("\\textbf{0.9100 $\\pm$ 0.0100}"), std::string::npos);
  EXPECT_NE(table_csv(t).find("OA,0.810000,0.010000,0.910000,0.010000"), std::string::npos) << table_csv(t);
  // One run has no spread to show: the mean alone, not "± 0.0000".
  const AggregateTable one = aggregate({runs[0]}, "fixed:10", {"cnn2d"}, {{1, "Brocoli"}});
  EXPECT_NE(table_markdown(one).find("| OA | **0.8000** |"), std::string::npos) << table_markdown(one);
  EXPECT_EQ(table_markdown(one).find("±"), std::string::npos) << table_markdown(one);
  EXPECT_EQ(mean_std_text(MeanStd{}), "-");
}

// Quantity and allocation disagreement travel through a run's result line and become rows where
// lower is better; lines written before they were recorded still parse and add no cell.
TEST(Aggregate, DisagreementRowsFromTheRunLinesAndOlderLinesWithout) {
  std::vector<RunSummary> runs;
  for (int seed = 0; seed < 2; ++seed) {
    RunSummary a{"cnn2d", "fixed:10", seed, 0.8, 0.8, 0.7, -1, 1, {{1, 0.9}}};
    a.quantity_disagreement = 0.15 + 0.01 * seed;
    a.allocation_disagreement = 0.05 - 0.01 * seed;
    RunSummary b{"ms2d", "fixed:10", seed, 0.9, 0.9, 0.8, -1, 1, {{1, 0.95}}};
    b.quantity_disagreement = 0.04;
    b.allocation_disagreement = 0.06;
    runs.push_back(RunSummary::from_line(a.to_line(), "test"));
    runs.push_back(RunSummary::from_line(b.to_line(), "test"));
  }
  EXPECT_DOUBLE_EQ(runs[2].quantity_disagreement, 0.16);
  EXPECT_DOUBLE_EQ(runs[2].allocation_disagreement, 0.04);
  // A line from before: the eight fields and the classes only.
  const RunSummary old = RunSummary::from_line("ms2d\tfixed:10\t2\t0.5\t0.5\t0.4\t-1\t1\t1:0.5", "test");
  EXPECT_TRUE(std::isnan(old.quantity_disagreement));
  runs.push_back(old);
  const AggregateTable t = aggregate(runs, "fixed:10", {"cnn2d", "ms2d"}, {{1, "Brocoli"}});
  ASSERT_EQ(t.rows, (std::vector<std::string>{"1 Brocoli", "OA", "AA", "kappa", "quantity disagreement", "allocation disagreement"}));
  EXPECT_NEAR(t.cells[4][0].mean, 0.155, 1e-12);
  EXPECT_EQ(t.cells[4][1].n, 2);  // the old line adds to OA, not here
  EXPECT_EQ(t.cells[1][1].n, 3);
  const std::string md = table_markdown(t);
  // Lower is better: ms2d's quantity, cnn2d's allocation in bold.
  EXPECT_NE(md.find("| quantity disagreement | 0.1550 ± 0.0071 | **0.0400 ± 0.0000** |"), std::string::npos) << md;
  EXPECT_NE(md.find("| allocation disagreement | **0.0450 ± 0.0071** | 0.0600 ± 0.0000 |"), std::string::npos) << md;
  // Without them in any run, no such rows.
  EXPECT_EQ(table_markdown(aggregate({old}, "fixed:10", {"ms2d"}, {})).find("disagreement"), std::string::npos);
  EXPECT_THROW(RunSummary::from_line("ms2d\tfixed:10\t2\t0.5\t0.5\t0.4\t-1\t1\tsomething=1", "test"), Error);
}

// The diversity row's name holds '|' ("mean |cos| of B"): escaped, every row of the markdown
// table keeps the header's number of cells, and LaTeX gets \textbar{} rather than a dash.
TEST(Aggregate, RowNamesWithPipesKeepTheTableShape) {
  std::vector<RunSummary> runs;
  for (int seed = 0; seed < 2; ++seed) runs.push_back(RunSummary{"ms2d+dpp", "fixed:10", seed, 0.9, 0.9, 0.8, 0.15, 1, {{1, 0.9}}});
  const AggregateTable t = aggregate(runs, "fixed:10", {"ms2d+dpp"}, {{1, "Brocoli"}});
  ASSERT_EQ(t.rows.back(), "mean |cos| of B");
  const std::string md = table_markdown(t);
  std::istringstream lines(md);
  std::string line;
  int rows = 0;
  while (std::getline(lines, line)) {
    if (line.empty() || line[0] != '|') continue;
    int separators = 0;
    for (size_t i = 0; i < line.size(); ++i) separators += line[i] == '|' && (i == 0 || line[i - 1] != '\\');
    EXPECT_EQ(separators, 3) << line;
    ++rows;
  }
  EXPECT_GE(rows, 7) << md;
  EXPECT_NE(md.find("| mean \\|cos\\| of B |"), std::string::npos) << md;
  EXPECT_NE(table_latex(t).find("mean \\textbar{}cos\\textbar{} of B"), std::string::npos) << table_latex(t);
}

}  // namespace
}  // namespace hsi

#include "eval/figure.hpp"

namespace hsi {
namespace {

TEST(Figure, SvgDrawsRunsLegendAndErrors) {
  FigureSpec spec;
  spec.title = "A <test> & figure";
  spec.rows = 2;
  spec.cols = 3;
  spec.legend = {{1, "Corn", {255, 0, 0}}, {2, "Water", {0, 0, 255}}};
  const std::vector<int32_t> truth = {1, 1, 0, 2, 2, 2}, pred = {1, 2, 2, 2, 2, 2};
  spec.panels = {{"map", pred, false}, {"errors", error_codes(truth, pred), true}};
  const std::string svg = render_svg(spec);
  EXPECT_NE(svg.find("A &lt;test&gt; &amp; figure"), std::string::npos);
  EXPECT_NE(svg.find("1 Corn"), std::string::npos);
  EXPECT_NE(svg.find("fill=\"#ff0000\""), std::string::npos);
  // Row 1 of the map is one run of class 2: a single rect three pixels wide.
  const double px = 360.0 / 3;
  EXPECT_NE(svg.find("width=\"" + std::to_string(static_cast<int>(3 * px)) + "\" height=\"" + std::to_string(static_cast<int>(px)) + "\" fill=\"#0000ff\""),
            std::string::npos) << svg;
  EXPECT_EQ(error_codes(truth, pred), (std::vector<int32_t>{1, 2, 0, 1, 1, 1}));
  EXPECT_NE(svg.find("wrong (test pixel)"), std::string::npos);
  EXPECT_EQ(masked(pred, truth), (std::vector<int32_t>{1, 2, 0, 2, 2, 2}));
}

}  // namespace
}  // namespace hsi
