#pragma once
// Losses for representation and few-shot learning. Unlike the batch losses of losses.hpp (one
// batch of features and labels), each needs something the fine-tuning stage's class-balanced
// batches do not carry: two augmented views of every sample (NT-Xent), a support/query episode
// (prototypical) or class centres kept across batches (center loss). So they are not
// finetune.loss choices; they are tested like the others against float64 loops and finite
// differences.
#include <torch/torch.h>

namespace hsi::metric {

// NT-Xent (SimCLR): z1[i] and z2[i] are two views of sample i; cosine similarity / temperature,
// cross-entropy of each of the 2N views against its partner among the other 2N - 1.
torch::Tensor nt_xent_loss(const torch::Tensor& z1, const torch::Tensor& z2, double temperature);

// Prototypical networks (Snell et al. 2017): prototypes are the support set's class means;
// each query gets softmax over negative squared distances to the prototypes.
// query_labels index into the sorted unique support labels' classes by id.
torch::Tensor prototypical_loss(const torch::Tensor& support, const torch::Tensor& support_labels, const torch::Tensor& query,
                                const torch::Tensor& query_labels);

// Center loss (Wen et al. 2016): 1/2 mean ||x_i - c_{y_i}||^2 with centres that follow the
// features at their own rate alpha (update_centres), not through the optimiser.
class CenterLoss {
 public:
  CenterLoss(int64_t classes, int64_t dim, double alpha);
  torch::Tensor operator()(const torch::Tensor& x, const torch::Tensor& labels) const;
  void update_centres(const torch::Tensor& x, const torch::Tensor& labels);
  const torch::Tensor& centres() const { return centres_; }
  void set_centres(torch::Tensor c) { centres_ = std::move(c); }

 private:
  torch::Tensor centres_;
  double alpha_;
};

}  // namespace hsi::metric
