#include "metric/representation_losses.hpp"

#include <limits>
#include <vector>

namespace hsi::metric {
namespace {

// Rows scaled to unit length, as torch.nn.functional.normalize (eps 1e-12) does.
torch::Tensor unit_rows(const torch::Tensor& x) { return x / x.norm(2, {1}, /*keepdim=*/true).clamp_min(1e-12); }

}  // namespace

torch::Tensor nt_xent_loss(const torch::Tensor& z1, const torch::Tensor& z2, double temperature) {
  const int64_t n = z1.size(0);
  const torch::Tensor z = unit_rows(torch::cat({z1, z2}, 0));
  torch::Tensor sim = torch::mm(z, z.t()) / temperature;
  sim = sim.masked_fill(torch::eye(2 * n, torch::TensorOptions().dtype(torch::kBool)), -std::numeric_limits<double>::infinity());
  const torch::Tensor target = torch::cat({torch::arange(n, 2 * n), torch::arange(0, n)}).to(torch::kLong);
  return torch::nn::functional::cross_entropy(sim, target);
}

torch::Tensor prototypical_loss(const torch::Tensor& support, const torch::Tensor& support_labels, const torch::Tensor& query,
                                const torch::Tensor& query_labels) {
  const torch::Tensor classes = std::get<0>(torch::_unique(support_labels.to(torch::kLong), /*sorted=*/true));
  std::vector<torch::Tensor> prototypes;
  for (int64_t c = 0; c < classes.size(0); ++c) {
    prototypes.push_back(support.index({support_labels.to(torch::kLong) == classes[c]}).mean(0));
  }
  const torch::Tensor protos = torch::stack(prototypes);
  const torch::Tensor logits = -(query.unsqueeze(1) - protos.unsqueeze(0)).pow(2).sum(-1);
  // Map query ids to prototype positions.
  const torch::Tensor target = (query_labels.to(torch::kLong).unsqueeze(1) == classes.unsqueeze(0)).to(torch::kLong).argmax(1);
  return torch::nn::functional::cross_entropy(logits, target);
}

CenterLoss::CenterLoss(int64_t classes, int64_t dim, double alpha) : centres_(torch::zeros({classes, dim})), alpha_(alpha) {}

torch::Tensor CenterLoss::operator()(const torch::Tensor& x, const torch::Tensor& labels) const {
  const torch::Tensor c = centres_.to(x.dtype()).index_select(0, labels.to(torch::kLong));
  return 0.5 * (x - c).pow(2).sum(1).mean();
}

void CenterLoss::update_centres(const torch::Tensor& x, const torch::Tensor& labels) {
  // Wen et al.: delta c_j = sum_{i: y_i = j} (c_j - x_i) / (1 + n_j); c_j -= alpha delta c_j.
  torch::NoGradGuard no_grad;
  const torch::Tensor xs = x.detach().to(centres_.dtype());
  const torch::Tensor lab = labels.to(torch::kLong);
  for (int64_t j = 0; j < centres_.size(0); ++j) {
    const torch::Tensor mask = lab == j;
    const int64_t n = mask.sum().item<int64_t>();
    if (n == 0) continue;
    const torch::Tensor delta = (centres_[j].unsqueeze(0) - xs.index({mask})).sum(0) / static_cast<double>(1 + n);
    centres_[j] -= alpha_ * delta;
  }
}

}  // namespace hsi::metric
