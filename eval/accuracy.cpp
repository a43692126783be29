#include "eval/accuracy.hpp"

#include <algorithm>
#include <cstdlib>
#include <limits>
#include <map>
#include <set>
#include <stdexcept>

#include "common/error.hpp"

namespace hsi {

AccuracyReport evaluate_accuracy(const std::vector<int32_t>& reference, const std::vector<int32_t>& predicted, int32_t ignore) {
  if (reference.size() != predicted.size()) {
    throw Error(ErrorKind::Data, "reference and prediction differ in size (" + std::to_string(reference.size()) + " vs " +
                                std::to_string(predicted.size()) + ")");
  }
  std::set<int32_t> ids;
  for (size_t i = 0; i < reference.size(); ++i) {
    if (reference[i] == ignore) continue;
    ids.insert(reference[i]);
    ids.insert(predicted[i]);
  }
  AccuracyReport r;
  r.classes.assign(ids.begin(), ids.end());
  std::map<int32_t, size_t> index;
  for (size_t k = 0; k < r.classes.size(); ++k) index[r.classes[k]] = k;
  const size_t n = r.classes.size();
  r.confusion.assign(n, std::vector<int64_t>(n, 0));
  for (size_t i = 0; i < reference.size(); ++i) {
    if (reference[i] == ignore) continue;
    ++r.confusion[index[reference[i]]][index[predicted[i]]];
    ++r.total;
  }
  if (r.total == 0) {
    // Nothing to score: the figures are undefined, not 0 (reports print "undefined").
    r.overall = r.average = r.kappa = r.quantity_disagreement = r.allocation_disagreement = std::numeric_limits<double>::quiet_NaN();
    return r;
  }
  int64_t diagonal = 0, quantity = 0, allocation = 0;
  double chance = 0, recall_sum = 0;
  int classes_in_reference = 0;
  for (size_t k = 0; k < n; ++k) {
    ClassAccuracy c;
    c.id = r.classes[k];
    for (size_t j = 0; j < n; ++j) {
      c.reference += r.confusion[k][j];
      c.predicted += r.confusion[j][k];
    }
    const int64_t hit = r.confusion[k][k];
    diagonal += hit;
    c.producer = c.reference ? static_cast<double>(hit) / c.reference : 0.0;
    c.user = c.predicted ? static_cast<double>(hit) / c.predicted : 0.0;
    c.f1 = (c.producer + c.user) > 0 ? 2 * c.producer * c.user / (c.producer + c.user) : 0.0;
    if (c.reference > 0) {
      recall_sum += c.producer;
      ++classes_in_reference;
    }
    chance += static_cast<double>(c.reference) * static_cast<double>(c.predicted);
    // A class's omissions and commissions beyond their difference pair up as swaps between
    // places: allocation; the difference itself is quantity.
    quantity += std::abs(c.reference - c.predicted);
    allocation += 2 * std::min(c.reference - hit, c.predicted - hit);
    r.per_class.push_back(c);
  }
  const double total = static_cast<double>(r.total);
  r.overall = diagonal / total;
  r.average = classes_in_reference ? recall_sum / classes_in_reference : 0.0;
  r.quantity_disagreement = static_cast<double>(quantity) / (2 * total);
  r.allocation_disagreement = static_cast<double>(allocation) / (2 * total);
  const double pe = chance / (total * total);
  // pe = 1 when reference and prediction hold one and the same class: kappa is 0/0, undefined.
  r.kappa = pe < 1.0 ? (r.overall - pe) / (1.0 - pe) : std::numeric_limits<double>::quiet_NaN();
  return r;
}

}  // namespace hsi
