// What label propagation (finetune.prototypes = propagated) costs as the pool grows to the
// kMaxRefinementPixels the training takes at most: propagate_labels on random features of the
// default metric dimension, next to the k-means refinement (finetune.prototypes = scene) on the
// same features. Usage: bench_propagate [THREADS]
#include <chrono>
#include <cstdlib>
#include <iostream>

#include "common/text.hpp"
#include "pipeline/prototypes.hpp"

using namespace hsi;

int main(int argc, char** argv) {
  torch::set_num_threads(argc > 1 ? std::atoi(argv[1]) : 2);
  torch::manual_seed(0);
  const int64_t classes = 16, K = 32, per_class = 5;
  const torch::Tensor centres = 3 * torch::randn({classes, K});
  const torch::Tensor y = torch::arange(classes).repeat_interleave(per_class);
  const torch::Tensor z = centres.index_select(0, y) + torch::randn({classes * per_class, K});
  std::cout << "| unlabelled pixels | k-means refinement (scene), s | label propagation (propagated), s |\n|---:|---:|---:|\n";
  for (int64_t m : {5000, 10000, 20000}) {
    const torch::Tensor u = centres.index_select(0, torch::randint(0, classes, {m}, torch::kLong)) + torch::randn({m, K});
    const Prototypes labelled = class_prototypes(z, y, classes);
    auto t0 = std::chrono::steady_clock::now();
    const Prototypes scene = refine_prototypes(labelled, z, y, u, classes);
    const double kmeans_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    t0 = std::chrono::steady_clock::now();
    const Prototypes propagated = propagated_prototypes(labelled, z, y, u, classes);
    const double propagate_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    std::cout << "| " << m << " | " << format_fixed(kmeans_s, 3) << " | " << format_fixed(propagate_s, 3) << " |\n";
  }
  return 0;
}
