#pragma once
// The deep-metric-learning loss library (NT-Xent, prototypical and center losses, which need
// views, episodes or class centres, are in metric/representation_losses.hpp). Every loss maps (embeddings or logits [N, D],
// integer labels [N]) to a scalar, differentiable in its inputs; miners pick the pairs and
// triplets from the batch's distances (without gradient) and the loss is evaluated on them.
//
// Distances: `pairwise_sq_dist` is the squared Euclidean distance. Losses that need the plain
// distance use sqrt(d^2 + eps) so the gradient stays finite for coinciding points.
#include <torch/torch.h>

#include <memory>
#include <string>

namespace hsi::metric {

torch::Tensor pairwise_sq_dist(const torch::Tensor& x);  // [N, N], >= 0

// ----- miners -----
struct Pairs {
  torch::Tensor positive_i, positive_j, negative_i, negative_j;  // int64 index vectors, i < j
};
Pairs all_pairs(const torch::Tensor& labels);

enum class TripletMining { All, Hard, SemiHard };
TripletMining parse_triplet_mining(const std::string& name);
struct Triplets {
  torch::Tensor anchor, positive, negative;  // int64 index vectors
};
// sq_dist is detached inside: mining never receives gradient.
Triplets mine_triplets(const torch::Tensor& sq_dist, const torch::Tensor& labels, TripletMining mining, double margin);

// ----- losses -----
// Softmax cross-entropy on logits.
torch::Tensor softmax_cross_entropy(const torch::Tensor& logits, const torch::Tensor& labels);

// Contrastive (Hadsell et al. 2006) over all pairs, d = Euclidean distance:
//   positive pairs d^2, negative pairs max(0, margin - d)^2;
// `balanced`: mean over positive pairs + mean over negative pairs (else mean over all pairs).
torch::Tensor contrastive_loss(const torch::Tensor& x, const torch::Tensor& labels, double margin, bool balanced = true);

// Triplet loss on squared distances: mean over mined triplets of max(0, d_ap - d_an + margin).
torch::Tensor triplet_loss(const torch::Tensor& x, const torch::Tensor& labels, double margin, TripletMining mining);

// Lifted structured loss (Song et al. 2016), Euclidean distance D:
//   J_ij = log(sum_{k in N(i)} exp(m - D_ik) + sum_{l in N(j)} exp(m - D_jl)) + D_ij,
//   loss = 1 / (2|P|) sum_{(i,j) in P} max(0, J_ij)^2.
torch::Tensor lifted_structured_loss(const torch::Tensor& x, const torch::Tensor& labels, double margin);

// ----- the DPP prior on the metric factor B -----
enum class DppKernel { Rbf, Cosine };
DppKernel parse_dpp_kernel(const std::string& name);
// K over the rows of B [K, D]: RBF K_ij = exp(-||b_i - b_j||^2 / sigma), or cosine K_ij = cos(b_i, b_j).
torch::Tensor dpp_kernel_matrix(const torch::Tensor& b, DppKernel kernel, double sigma);
// log det(K + eps I) through a Cholesky factorisation in double precision; differentiable in B.
torch::Tensor dpp_log_det(const torch::Tensor& b, DppKernel kernel, double sigma, double eps = 1e-6);
// The median pairwise squared distance between rows of B (the default RBF bandwidth).
double median_sq_distance(const torch::Tensor& b);
// Mean |cos| between distinct rows of B: 0 = orthogonal factors, 1 = all parallel.
double mean_abs_cosine(const torch::Tensor& b);

// The structural metric loss of the fine-tuning stage on d_B(x, y) = ||B(f(x) - f(y))||^2:
// the balanced contrastive loss on z = B f(x) with distances in units of the margin,
//   mean_{same class} d_B / m^2 + mean_{different} max(0, 1 - sqrt(d_B) / m)^2.
// Contrastive rather than lifted-structured: every pair of the class-balanced batch contributes
// a bounded, independent term, which keeps the gradient on B well conditioned next to the
// log-det prior; balancing positives and negatives stops the (many more) negative pairs from
// dominating.
torch::Tensor structural_metric_loss(const torch::Tensor& z, const torch::Tensor& labels, double margin);

// ----- one interface over the batch losses -----
class Loss {
 public:
  virtual ~Loss() = default;
  virtual torch::Tensor operator()(const torch::Tensor& x, const torch::Tensor& labels) = 0;
  virtual std::string name() const = 0;
};
// "softmax", "contrastive", "triplet-all", "triplet-hard", "triplet-semihard", "lifted", "structural".
std::unique_ptr<Loss> make_loss(const std::string& name, double margin);

}  // namespace hsi::metric
