#include "pipeline/candidates.hpp"

#include <algorithm>

#include "common/error.hpp"
#include "common/text.hpp"
#include "models/net_options.hpp"

namespace hsi {
namespace {

std::string listed(const std::vector<std::string>& names) {
  std::string s;
  for (const auto& n : names) s += (s.empty() ? "" : ", ") + n;
  return s;
}

}  // namespace

std::string Candidate::label() const {
  NetOptions o;
  o.name = model;
  return o.window_model() ? model + ":" + std::to_string(patch) : model;
}

std::vector<Candidate> parse_candidates(const std::string& list, const std::string& key) {
  std::vector<Candidate> out;
  for (const std::string& raw : split(list, ',')) {
    const std::string item = trim(raw);
    if (item.empty()) continue;
    Candidate c;
    const size_t colon = item.find(':');
    c.model = trim(item.substr(0, colon));
    const auto& names = model_names();
    if (std::find(names.begin(), names.end(), c.model) == names.end()) {
      usage_error("option '" + key + "': unknown model '" + c.model + "' (models: " + listed(names) + ")");
    }
    NetOptions o;
    o.name = c.model;
    if (o.window_model()) {
      if (colon == std::string::npos) usage_error("option '" + key + "': '" + item + "' needs a window side, e.g. " + c.model + ":5");
      const std::string side = trim(item.substr(colon + 1));
      int patch = 0;
      try {
        size_t used = 0;
        patch = std::stoi(side, &used);
        if (used != side.size()) patch = 0;
      } catch (const std::exception&) {
        patch = 0;
      }
      if (patch < 1 || patch % 2 == 0) usage_error("option '" + key + "': window side in '" + item + "' must be a positive odd number");
      c.patch = patch;
    } else if (colon != std::string::npos) {
      usage_error("option '" + key + "': " + c.model + " reads one spectrum and takes no window side ('" + item + "')");
    }
    if (std::find(out.begin(), out.end(), c) != out.end()) usage_error("option '" + key + "': '" + item + "' is listed twice");
    out.push_back(c);
  }
  if (out.empty()) usage_error("option '" + key + "': names no model");
  return out;
}

std::string network_candidates(const std::string& list, const std::string& fallback, const std::string& why) {
  std::string networks;
  for (const Candidate& c : parse_candidates(list, "select.candidates"))
    if (!learns_no_metric(c.model)) networks += (networks.empty() ? "" : ", ") + c.label();
  if (networks.empty()) usage_error(why + ": select.candidates (" + list + ") lists no network, and only networks have rejection rules");
  if (learns_no_metric(parse_candidates(fallback, "select.fallback").front().model))
    usage_error(why + ": select.fallback " + fallback + " has no rejection rule; give a network");
  return networks;
}

}  // namespace hsi
