#pragma once
// The models a selection tries: "NAME" or "NAME:PATCH" (svm, ms1d, ms2d:5, ms1d2d:9, ...).
// Torch-free, so settings can check a list before any work starts.
#include <string>
#include <vector>

namespace hsi {

struct Candidate {
  std::string model;
  int patch = 1;  // window side; 1 for spectral models and the SVM

  std::string label() const;  // as written in a list: "ms2d:5", "svm"
  bool operator==(const Candidate& other) const { return model == other.model && patch == other.patch; }
};

// Parses a comma-separated list; a usage error naming `key` for an unknown model, a bad or
// missing window side, an empty list or a repeated entry.
std::vector<Candidate> parse_candidates(const std::string& list, const std::string& key);

// A selection whose model must reject (open_set.rule, an open-set experiment) chooses among the
// networks of select.candidates only: unmixing and the SVM have no rejection rule. Returns their
// list; a usage error naming `why` when none is left or `fallback` is not a network.
std::string network_candidates(const std::string& list, const std::string& fallback, const std::string& why);

}  // namespace hsi
