// GradBench `kmeans`: the k-means cost f(P, C) = Σ_i min_j ‖C_j − P_i‖², points P (n × d) and
// centroids C (k × d), row-major. GradBench's `dir` is the Newton direction J / H: the gradient
// with respect to C divided entry by entry by the Hessian's diagonal (the Hessian is diagonal).

/** ‖C_j − P_i‖² */
function dist2(d: number, points: Float64Array, i: number, centroids: Float64Array, j: number): number {
  let s = 0;
  for (let e = 0; e < d; e++) {
    const diff = points[i * d + e] - centroids[j * d + e];
    s += diff * diff;
  }
  return s;
}

/** @differentiable @wrt centroids @modes grad hvp */
export function kmeans(n: number, k: number, d: number, points: Float64Array, centroids: Float64Array): number {
  let cost = 0;
  for (let i = 0; i < n; i++) {
    let closest = Infinity;
    for (let j = 0; j < k; j++) closest = Math.min(closest, dist2(d, points, i, centroids, j));
    cost += closest;
  }
  return cost;
}
