// Hand-written gradient of the determinant by expansion by minors (bench/problems/det.ts), in the
// same depth-first walk over the minors, with no tape.
//
// With adj[k] = ∂det/∂(determinant of level k's minor): adj[0] = 1, and going down from level k
// through column j at position p, adj[k + 1] = adj[k]·(−1)^p·A[k][j]. Coming back up with the
// sub-minor's determinant v, ∂det/∂A[k][j] += adj[k]·(−1)^p·v; the 1×1 minor A[ℓ−1][j] gets
// adj[ℓ−1]. Every entry of A appears in many minors, so its partial is a sum over all of them.

export interface DetScratch {
  next: Int32Array; // ℓ + 1
  col: Int32Array; // ℓ
  prev: Int32Array; // ℓ
  pos: Int32Array; // ℓ
  acc: Float64Array; // ℓ
  adj: Float64Array; // ℓ
}

export function detScratch(ell: number): DetScratch {
  return {
    next: new Int32Array(ell + 1), col: new Int32Array(ell), prev: new Int32Array(ell), pos: new Int32Array(ell),
    acc: new Float64Array(ell), adj: new Float64Array(ell),
  };
}

export function detGradManual(ell: number, A: Float64Array, g: Float64Array, s: DetScratch): { value: number; grad: Float64Array } {
  const n = ell;
  const { next, col, prev, pos, acc, adj } = s;
  g.fill(0);
  for (let j = 0; j < n; j++) next[j] = j + 1;
  next[n] = 0;
  acc.fill(0);
  pos.fill(0);
  prev[0] = n;
  col[0] = next[n];
  adj[0] = 1;
  let k = 0;
  for (;;) {
    while (k < n - 1) {
      const j = col[k];
      const a = A[k * n + j];
      next[prev[k]] = next[j];
      adj[k + 1] = pos[k] % 2 === 0 ? adj[k] * a : -adj[k] * a;
      k++;
      prev[k] = n;
      col[k] = next[n];
      pos[k] = 0;
      acc[k] = 0;
    }
    const leaf = (n - 1) * n + col[n - 1];
    let v = A[leaf];
    g[leaf] += adj[n - 1];
    k = n - 2;
    for (;;) {
      if (k < 0) return { value: v, grad: g };
      const j = col[k];
      next[prev[k]] = j;
      const idx = k * n + j;
      if (pos[k] % 2 === 0) {
        acc[k] += A[idx] * v;
        g[idx] += adj[k] * v;
      } else {
        acc[k] -= A[idx] * v;
        g[idx] -= adj[k] * v;
      }
      prev[k] = j;
      col[k] = next[j];
      if (++pos[k] < n - k) break;
      v = acc[k];
      k--;
    }
  }
}
