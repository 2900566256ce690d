// Hand-written k-means cost, gradient, Hessian diagonal and Newton direction (layout as in
// bench/problems/kmeans.ts). With a(i) the centroid closest to point i (the first of equals, as
// the objective's Math.min), f = Σ_i ‖C_a(i) − P_i‖², so
//   ∂f/∂C_je = 2·Σ_{i: a(i)=j} (C_je − P_ie) = 2·(n_j·C_je − S_je),
//   ∂²f/∂C_je ∂C_j'e' = 2·n_j if (j, e) = (j', e'), else 0,
// with n_j the size of cluster j and S_j the sum of its points; dir = grad / diag(H) =
// C_j − S_j / n_j (GradBench's `dir`; every cluster is nonempty by construction).

export interface KmeansResult {
  value: number;
  grad: Float64Array;
  hess: Float64Array;
  dir: Float64Array;
}

export interface KmeansOut {
  grad: Float64Array;
  hess: Float64Array;
  dir: Float64Array;
}

export function kmeansOut(k: number, d: number): KmeansOut {
  return { grad: new Float64Array(k * d), hess: new Float64Array(k * d), dir: new Float64Array(k * d) };
}

export function kmeansDirManual(n: number, k: number, d: number, points: Float64Array, centroids: Float64Array, out: KmeansOut, sizes: Float64Array): KmeansResult {
  const { grad, hess, dir } = out;
  // grad holds the cluster sums S until the end
  grad.fill(0);
  sizes.fill(0);
  let cost = 0;
  for (let i = 0; i < n; i++) {
    let closest = Infinity;
    let best = -1;
    for (let j = 0; j < k; j++) {
      let s = 0;
      for (let e = 0; e < d; e++) {
        const diff = points[i * d + e] - centroids[j * d + e];
        s += diff * diff;
      }
      if (s < closest) {
        closest = s;
        best = j;
      }
    }
    cost += closest;
    sizes[best]++;
    for (let e = 0; e < d; e++) grad[best * d + e] += points[i * d + e];
  }
  for (let j = 0; j < k; j++) {
    const nj = sizes[j];
    for (let e = 0; e < d; e++) {
      const q = j * d + e;
      const sum = grad[q];
      grad[q] = 2 * (nj * centroids[q] - sum);
      hess[q] = 2 * nj;
      dir[q] = centroids[q] - sum / nj;
    }
  }
  return { value: cost, grad, hess, dir };
}
