#include "pipeline/prototypes.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <tuple>

#include "common/error.hpp"
#include "eval/open_set.hpp"
#include "pipeline/checkpoint.hpp"

namespace hsi {

torch::Tensor metric_features(HsiNet& net, const BatchMaker& batches, const std::vector<int64_t>& pixels) {
  torch::NoGradGuard no_grad;
  net->eval();
  std::vector<torch::Tensor> parts;
  for (size_t s = 0; s < pixels.size(); s += 256) {
    const std::vector<int64_t> chunk(pixels.begin() + static_cast<int64_t>(s), pixels.begin() + static_cast<int64_t>(std::min(pixels.size(), s + 256)));
    parts.push_back(net->project(net->embed(batches.make(chunk))));
  }
  if (parts.empty()) return torch::zeros({0, net->options().metric_dim});
  return torch::cat(parts, 0);
}

std::vector<int64_t> unlabelled_pool(const std::vector<uint8_t>& taken, const std::vector<uint8_t>& nodata) {
  std::vector<int64_t> pool;
  for (size_t i = 0; i < taken.size(); ++i)
    if (!taken[i] && (nodata.empty() || !nodata[i])) pool.push_back(static_cast<int64_t>(i));
  if (static_cast<int64_t>(pool.size()) <= kMaxRefinementPixels) return pool;
  std::vector<int64_t> spread(static_cast<size_t>(kMaxRefinementPixels));
  for (int64_t k = 0; k < kMaxRefinementPixels; ++k)
    spread[static_cast<size_t>(k)] = pool[static_cast<size_t>(k * static_cast<int64_t>(pool.size()) / kMaxRefinementPixels)];
  return spread;
}

Prototypes class_prototypes(HsiNet& net, const BatchMaker& batches, const Samples& samples, int64_t classes) {
  return class_prototypes(metric_features(net, batches, samples.pixels), torch::tensor(samples.targets, torch::kLong), classes);
}

Prototypes class_prototypes(const torch::Tensor& z, const torch::Tensor& y, int64_t classes) {
  Prototypes p{torch::zeros({classes, z.size(1)}), torch::zeros({classes}), torch::eye(z.size(1)), torch::zeros({0, z.size(1)}),
                torch::zeros({0}, torch::kLong)};
  if (z.size(0) == 0) return p;
  p.means.index_add_(0, y, z);
  p.counts.index_add_(0, y, torch::ones({z.size(0)}));
  p.means /= p.counts.clamp_min(1).unsqueeze(1);
  p.precision = tied_precision(z, y, p.means);
  std::tie(p.exemplars, p.exemplar_classes) = select_exemplars(z, y, classes);
  return p;
}

Prototypes refine_prototypes(const Prototypes& labelled, const torch::Tensor& z, const torch::Tensor& targets, const torch::Tensor& u,
                             int64_t free_centres, int max_rounds) {
  torch::NoGradGuard no_grad;
  Prototypes p = labelled;
  if (u.size(0) == 0 || z.size(0) == 0 || max_rounds < 1) return p;
  const int64_t C = labelled.means.size(0);
  // Free centres start at the unlabelled features farthest from every centre so far, one at a time.
  // Only classes with labelled pixels and the free centres take unlabelled ones (a class none of
  // whose pixels was labelled has no mean to grow from).
  const torch::Tensor unlabelled_class = (labelled.counts == 0).unsqueeze(0);
  std::vector<torch::Tensor> centres{labelled.means};
  torch::Tensor nearest_distance = prototype_distances(u, labelled.means, {}).masked_fill(unlabelled_class, INFINITY).amin(1);
  for (int64_t f = 0; f < std::min(free_centres, u.size(0)); ++f) {
    const torch::Tensor farthest = u[nearest_distance.argmax().item<int64_t>()].unsqueeze(0);
    centres.push_back(farthest);
    nearest_distance = torch::minimum(nearest_distance, prototype_distances(u, farthest, {}).squeeze(1));
  }
  torch::Tensor means = torch::cat(centres);
  const int64_t all = means.size(0);
  const torch::Tensor sum = torch::zeros({all, z.size(1)}).index_add_(0, targets, z);
  const torch::Tensor count = torch::zeros({all}).index_add_(0, targets, torch::ones({z.size(0)}));
  const torch::Tensor closed = torch::cat({unlabelled_class, torch::zeros({1, all - C}, torch::kBool)}, 1);
  torch::Tensor assigned, n;
  for (int round = 0; round < max_rounds; ++round) {
    const torch::Tensor nearest = prototype_distances(u, means, {}).masked_fill(closed, INFINITY).argmin(1);
    if (assigned.defined() && torch::equal(nearest, assigned)) break;  // a fixed point: further rounds change nothing
    assigned = nearest;
    n = count + torch::zeros({all}).index_add_(0, assigned, torch::ones({u.size(0)}));
    const torch::Tensor moved = (sum + torch::zeros_like(sum).index_add_(0, assigned, u)) / n.clamp_min(1).unsqueeze(1);
    means = torch::where(n.unsqueeze(1) > 0, moved, means);
  }
  p.means = means.slice(0, 0, C).contiguous();
  p.counts = n.slice(0, 0, C).contiguous();
  const torch::Tensor joined = assigned < C;
  p.precision = tied_precision(torch::cat({z, u.index({joined})}), torch::cat({targets, assigned.index({joined})}), p.means);
  return p;
}

// LibTorch's topk took a third of the propagation at 20,000 pixels (bench_propagate), most of it
// sorting what a bounded heap never looks at twice.
std::pair<torch::Tensor, torch::Tensor> smallest_in_rows(const torch::Tensor& d, int64_t k) {
  const int64_t n = d.size(0), N = d.size(1);
  if (d.scalar_type() != torch::kFloat || !d.is_contiguous() || k < 1 || k > N) {
    throw Error(ErrorKind::Internal, "smallest_in_rows: needs a contiguous float32 matrix and 1 <= k <= its columns");
  }
  torch::Tensor values = torch::empty({n, k}), columns = torch::empty({n, k}, torch::kLong);
  const float* in = d.data_ptr<float>();
  float* out_v = values.data_ptr<float>();
  int64_t* out_i = columns.data_ptr<int64_t>();
  at::parallel_for(0, n, 16, [&](int64_t begin, int64_t end) {
    std::vector<std::pair<float, int64_t>> heap(static_cast<size_t>(k));
    for (int64_t x = begin; x < end; ++x) {
      const float* row = in + x * N;
      for (int64_t j = 0; j < k; ++j) heap[static_cast<size_t>(j)] = {row[j], j};
      std::make_heap(heap.begin(), heap.end());
      for (int64_t j = k; j < N; ++j) {
        if (!(row[j] < heap.front().first)) continue;
        std::pop_heap(heap.begin(), heap.end());
        heap.back() = {row[j], j};
        std::push_heap(heap.begin(), heap.end());
      }
      for (int64_t j = 0; j < k; ++j) {
        out_v[x * k + j] = heap[static_cast<size_t>(j)].first;
        out_i[x * k + j] = heap[static_cast<size_t>(j)].second;
      }
    }
  });
  return {values, columns};
}

torch::Tensor propagate_labels(const torch::Tensor& z, const torch::Tensor& targets, int64_t classes, const torch::Tensor& u,
                               const torch::Tensor& precision, int64_t free_seeds, int64_t neighbours, double alpha, int iterations) {
  torch::NoGradGuard no_grad;
  if (u.size(0) == 0) return torch::zeros({0}, torch::kLong);
  // Whitened so that Euclidean distances are the Mahalanobis distances under `precision` (P = L L^T).
  const torch::Tensor L = torch::linalg_cholesky(precision.to(torch::kDouble)).to(torch::kFloat);
  torch::Tensor X = torch::cat({z, u}).to(torch::kFloat).mm(L);
  // Free seeds: farthest-first among the unlabelled rows, then moved to the labelled block's end
  // (X's rows in `order`: the labelled, the seeds, the other unlabelled rows as given).
  std::vector<int64_t> labels(targets.data_ptr<int64_t>(), targets.data_ptr<int64_t>() + targets.numel());
  const int64_t seeds = std::min(free_seeds, u.size(0));
  std::vector<uint8_t> is_seed(static_cast<size_t>(u.size(0)), 0);
  std::vector<int64_t> order(static_cast<size_t>(z.size(0)));
  std::iota(order.begin(), order.end(), int64_t{0});
  if (seeds > 0) {
    const torch::Tensor xu = X.slice(0, z.size(0));
    torch::Tensor nearest = z.size(0) > 0 ? torch::cdist(xu, X.slice(0, 0, z.size(0))).amin(1) : torch::full({xu.size(0)}, INFINITY);
    for (int64_t f = 0; f < seeds; ++f) {
      const int64_t far = nearest.argmax().item<int64_t>();
      order.push_back(z.size(0) + far);
      is_seed[static_cast<size_t>(far)] = 1;
      labels.push_back(classes + f);
      nearest = torch::minimum(nearest, torch::cdist(xu, xu[far].unsqueeze(0)).squeeze(1));
      nearest[far] = -1;  // never picked twice
    }
  }
  for (int64_t j = 0; j < u.size(0); ++j)
    if (!is_seed[static_cast<size_t>(j)]) order.push_back(z.size(0) + j);
  X = X.index_select(0, torch::tensor(order, torch::kLong));
  const int64_t labelled = static_cast<int64_t>(labels.size()), N = X.size(0), columns = classes + seeds;
  const int64_t k = std::min(neighbours, N - 1);
  if (k < 1) return torch::zeros({u.size(0)}, torch::kLong);
  const torch::Tensor norms = X.pow(2).sum(1), Xt = X.t().contiguous();
  std::vector<torch::Tensor> nearest_d, nearest_i;
  // Slices of at most ~4 M distances (16 MB) however large the pool.
  const int64_t rows = std::max<int64_t>(1, (int64_t{1} << 22) / N);
  for (int64_t r = 0; r < N; r += rows) {
    const int64_t n = std::min(rows, N - r);
    // |a|^2 + |b|^2 - 2 a.b, in place on the product (no slice-sized temporaries).
    torch::Tensor d = torch::addmm(norms.unsqueeze(0), X.narrow(0, r, n), Xt, 1, -2).add_(norms.narrow(0, r, n).unsqueeze(1)).clamp_min_(0);
    d.index_put_({torch::arange(n), torch::arange(r, r + n)}, INFINITY);  // not its own neighbour
    auto [v, i] = smallest_in_rows(d, k);
    nearest_d.push_back(v);
    nearest_i.push_back(i);
  }
  const torch::Tensor D = torch::cat(nearest_d), J = torch::cat(nearest_i).reshape(-1);
  const torch::Tensor I = torch::arange(N).unsqueeze(1).expand({N, k}).reshape(-1);
  const double scale = std::max(D.mean().item<double>(), 1e-12);
  const torch::Tensor w = torch::exp(-D / scale).reshape(-1);
  // W + W^T: each edge both ways; coalescing adds the weight of a pair that is mutual.
  torch::Tensor W = torch::sparse_coo_tensor(torch::stack({torch::cat({I, J}), torch::cat({J, I})}), torch::cat({w, w}), {N, N}).coalesce();
  const torch::Tensor ij = W.indices(), degree = torch::zeros({N}).index_add_(0, ij[0], W.values());
  const torch::Tensor inv_sqrt = degree.clamp_min(1e-12).rsqrt();
  const torch::Tensor s_values = (W.values() * inv_sqrt.index_select(0, ij[0]) * inv_sqrt.index_select(0, ij[1])).contiguous();
  // S in compressed rows (coalesce() sorts the entries by row, then column), multiplied by hand:
  // LibTorch's sparse COO product took half of the whole propagation (1.9 of 3.8 s at 20,000
  // pixels, bench_propagate); a row loop over the same entries, parallel over rows, a fraction.
  const torch::Tensor row_start = torch::cat({torch::zeros({1}, torch::kLong), torch::bincount(ij[0], {}, N).cumsum(0)});
  const torch::Tensor col_index = ij[1].contiguous();
  torch::Tensor F = torch::zeros({N, columns});
  F.index_put_({torch::arange(labelled), torch::tensor(labels, torch::kLong)}, 1.0);  // Y, the labelled rows' one-hot labels
  torch::Tensor next = torch::empty_like(F);
  const int64_t* starts = row_start.data_ptr<int64_t>();
  const int64_t* cols = col_index.data_ptr<int64_t>();
  const float* weights = s_values.data_ptr<float>();
  const float a = static_cast<float>(alpha), keep = static_cast<float>(1 - alpha);
  for (int it = 0; it < iterations; ++it) {
    const float* f = F.data_ptr<float>();
    float* out = next.data_ptr<float>();
    // F <- alpha S F + (1 - alpha) Y, row by row; Y is 1 at (x, labels[x]) of the labelled rows only.
    at::parallel_for(0, N, 256, [&](int64_t begin, int64_t end) {
      for (int64_t x = begin; x < end; ++x) {
        float* row = out + x * columns;
        std::fill(row, row + columns, 0.0f);
        for (int64_t e = starts[x]; e < starts[x + 1]; ++e) {
          const float w = a * weights[e];
          const float* from = f + cols[e] * columns;
          for (int64_t c = 0; c < columns; ++c) row[c] += w * from[c];
        }
        if (x < labelled) row[labels[static_cast<size_t>(x)]] += keep;
      }
    });
    std::swap(F, next);
  }
  // Back to u's order: row x of X is u's row order[x] - z.size(0).
  torch::Tensor out = torch::empty({u.size(0)}, torch::kLong);
  const torch::Tensor by_row = F.argmax(1);
  const auto best = by_row.accessor<int64_t, 1>();
  auto o = out.accessor<int64_t, 1>();
  for (int64_t x = z.size(0); x < N; ++x)
    o[order[static_cast<size_t>(x)] - z.size(0)] = x < labelled ? labels[static_cast<size_t>(x)] : best[x];
  return out;
}

Prototypes propagated_prototypes(const Prototypes& labelled, const torch::Tensor& z, const torch::Tensor& targets, const torch::Tensor& u,
                                 int64_t free_seeds, torch::Tensor* assigned) {
  const int64_t classes = labelled.means.size(0);
  const torch::Tensor whitening = refine_prototypes(labelled, z, targets, u, 0).precision;
  const torch::Tensor labels = propagate_labels(z, targets, classes, u, whitening, free_seeds);
  if (assigned) *assigned = labels;
  const torch::Tensor joined = labels < classes;
  Prototypes p = class_prototypes(torch::cat({z, u.index({joined})}), torch::cat({targets, labels.index({joined})}), classes);
  p.exemplars = labelled.exemplars;  // the neighbour classifier compares with pixels whose labels are known
  p.exemplar_classes = labelled.exemplar_classes;
  return p;
}

std::pair<torch::Tensor, torch::Tensor> select_exemplars(const torch::Tensor& z, const torch::Tensor& targets, int64_t classes,
                                                         int64_t per_class) {
  std::vector<torch::Tensor> rows;
  for (int64_t c = 0; c < classes; ++c) {
    torch::Tensor own = torch::nonzero(targets == c).flatten();
    const int64_t n = own.numel();
    if (n > per_class) own = own.index_select(0, torch::floor(torch::arange(per_class, torch::kDouble) * n / per_class).to(torch::kLong));
    rows.push_back(own);
  }
  const torch::Tensor kept = rows.empty() ? torch::zeros({0}, torch::kLong) : torch::cat(rows);
  return {z.index_select(0, kept).contiguous(), targets.index_select(0, kept).contiguous()};
}

torch::Tensor neighbour_distances(const torch::Tensor& z, const torch::Tensor& exemplars, const torch::Tensor& exemplar_classes,
                                  int64_t classes, const torch::Tensor& precision) {
  torch::Tensor out = torch::full({z.size(0), classes}, INFINITY);
  if (exemplars.size(0) == 0) return out;
  std::vector<torch::Tensor> members(static_cast<size_t>(classes));
  for (int64_t c = 0; c < classes; ++c) members[static_cast<size_t>(c)] = torch::nonzero(exemplar_classes == c).flatten();
  // Slices of at most ~4 M distances (16 MB), whatever the tile and exemplar counts.
  const int64_t rows = std::max<int64_t>(1, (int64_t{1} << 22) / exemplars.size(0));
  for (int64_t s = 0; s < z.size(0); s += rows) {
    const int64_t n = std::min(rows, z.size(0) - s);
    const torch::Tensor d = prototype_distances(z.narrow(0, s, n), exemplars, precision);
    for (int64_t c = 0; c < classes; ++c) {
      const torch::Tensor& m = members[static_cast<size_t>(c)];
      if (m.numel() > 0) out.narrow(0, s, n).select(1, c).copy_(d.index_select(1, m).amin(1));
    }
  }
  return out;
}

torch::Tensor tied_precision(const torch::Tensor& z, const torch::Tensor& targets, const torch::Tensor& means) {
  const int64_t K = z.size(1);
  const torch::Tensor centred = (z - means.index_select(0, targets)).to(torch::kDouble);
  // Degrees of freedom: one mean per class present.
  const double n = std::max(1.0, static_cast<double>(z.size(0)) - std::get<0>(at::_unique(targets)).numel());
  const torch::Tensor S = torch::matmul(centred.t(), centred) / n;
  const double p = static_cast<double>(K), tr = S.trace().item<double>(), tr2 = (S * S).sum().item<double>();
  if (tr <= 0) return torch::eye(K);  // no spread at all: Euclidean
  // Oracle-approximating shrinkage toward (tr S / p) I.
  const double denominator = (n + 1 - 2 / p) * (tr2 - tr * tr / p);
  const double rho = denominator > 0 ? std::min(1.0, ((1 - 2 / p) * tr2 + tr * tr) / denominator) : 1.0;
  const torch::Tensor shrunk = (1 - rho) * S + rho * (tr / p) * torch::eye(K, torch::kDouble);
  return torch::linalg_inv(shrunk).to(torch::kFloat);
}

torch::Tensor prototype_distances(const torch::Tensor& z, const torch::Tensor& prototypes, const torch::Tensor& precision) {
  // (z - p)^T P (z - p) = zPz - 2 zPp + pPp (P = I without a precision) for every pixel and
  // prototype at once: one matrix product, where the differences themselves would be a pixels x
  // prototypes x features temporary (200 MB for a 250 x 250 tile: a third of the dense ms2d
  // prediction's time, measured).
  const torch::Tensor zP = precision.defined() ? torch::matmul(z, precision) : z;
  const torch::Tensor pP = precision.defined() ? torch::matmul(prototypes, precision) : prototypes;
  return ((zP * z).sum(1, true) - 2 * torch::matmul(zP, prototypes.t()) + (pP * prototypes).sum(1).unsqueeze(0)).clamp_min(0);
}

torch::Tensor novelty_scores(HsiNet& net, const torch::Tensor& z, const std::string& rule, const torch::Tensor& prototypes,
                             const torch::Tensor& precision) {
  if (rule == "distance" || rule == "mahalanobis") {
    if (!prototypes.defined()) throw Error(ErrorKind::Data, "the " + rule + " rule needs class prototypes; the checkpoint holds none");
    if (rule == "distance") return prototype_distances(z, prototypes, {}).amin(1);
    if (!precision.defined()) throw Error(ErrorKind::Data, "the mahalanobis rule needs the metric's covariance; the checkpoint holds none");
    return prototype_distances(z, prototypes, precision).amin(1);
  }
  if (rule == "softmax") return 1.0 - std::get<0>(torch::softmax(net->classify(z), 1).max(1));
  throw Error(ErrorKind::Internal, "unknown open-set rule '" + rule + "'");
}

int32_t unknown_class_id(const ClassTable& classes) { return classes.max_id() < 255 ? 255 : classes.max_id() + 1; }

ClassTable with_unknown_class(const ClassTable& classes) {
  std::vector<ClassInfo> all = classes.classes();
  all.push_back({unknown_class_id(classes), "unknown", {64, 64, 64}});
  return ClassTable(all);
}

void calibrate_open_set(Checkpoint& ck, const BatchMaker& batches, const Samples& calibration, double accept, bool training_pixels) {
  ck.open_set_accept = accept;
  ck.open_set_thresholds.clear();
  if (!ck.net || calibration.size() == 0) return;
  const torch::Tensor z = metric_features(ck.net, batches, calibration.pixels);
  torch::NoGradGuard no_grad;
  for (const std::string& rule : open_set_rules()) {
    if (rule == "none") continue;
    torch::Tensor scores = novelty_scores(ck.net, z, rule, ck.prototypes, ck.metric_precision);
    if (rule == "distance" && training_pixels && ck.prototype_counts.defined()) {
      // Without pixel i its class mean moves to (n p - z_i) / (n - 1), so its squared distance
      // grows by (n / (n - 1))^2; a class of one pixel has no prototype left (infinite).
      const torch::Tensor y = torch::tensor(calibration.targets, torch::kLong);
      const torch::Tensor n = ck.prototype_counts.index_select(0, y);
      torch::Tensor d = prototype_distances(z, ck.prototypes, {});
      const torch::Tensor own = d.gather(1, y.unsqueeze(1)).squeeze(1) * (n / (n - 1).clamp_min(1e-12)).pow(2);
      d.scatter_(1, y.unsqueeze(1), torch::where(n > 1, own, torch::full_like(own, INFINITY)).unsqueeze(1));
      scores = d.amin(1);
    }
    scores = scores.contiguous();
    const std::vector<float> known(scores.data_ptr<float>(), scores.data_ptr<float>() + scores.numel());
    ck.open_set_thresholds[rule] = acceptance_threshold(known, accept);
  }
}

}  // namespace hsi
