// GradBench `det` (cmpad's det_by_minor): the determinant of an ℓ×ℓ matrix A (row-major) by
// expansion by minors along the first row, recursively, as in GradBench's reference
// (cpp/gradbench/evals/det.hpp).
//
// adjoint rejects recursion, so the recursion is written here as loops over an explicit stack,
// one entry per level: level k expands the minor made of rows k…ℓ−1 and of the columns the
// levels above it have not taken, along its first row (row k). The columns still free form a
// linked list as in the reference: next[ℓ] is the first, next[j] the one after column j. Per
// level, col[k] is the column being expanded, prev[k] the one before it in the list (ℓ for the
// head), pos[k] its position in the list (the cofactor's sign is (−1)^pos), all four integer
// arrays as in the reference, and acc[k] the sum of the terms so far. The order of the
// floating-point operations is the reference's.

/** @differentiable @wrt A */
export function det(ell: number, A: Float64Array): number {
  const n = ell;
  const next = new Int32Array(n + 1);
  for (let j = 0; j < n; j++) next[j] = j + 1;
  next[n] = 0;
  const col = new Int32Array(n);
  const prev = new Int32Array(n);
  const pos = new Int32Array(n);
  const acc = new Float64Array(n);
  prev[0] = n;
  col[0] = next[n];
  let k = 0;
  let det = 0;
  let done = false;
  while (!done) {
    // descend: take level k's column out of the list and start level k + 1 at the list's head
    while (k < n - 1) {
      next[prev[k]] = next[col[k]];
      k++;
      prev[k] = n;
      col[k] = next[n];
      pos[k] = 0;
      acc[k] = 0;
    }
    // the 1×1 minor
    let v = A[(n - 1) * n + col[n - 1]];
    k = n - 2;
    // ascend: add the sub-minor's term to its level; a level that has used all its columns
    // returns its sum to the level above, and level 0's sum is the determinant
    let more = false;
    while (k >= 0 && !more) {
      // put the column back into the list, add its term, move on to the next column
      const j = col[k];
      next[prev[k]] = j;
      const a = A[k * n + j];
      if (pos[k] % 2 === 0) acc[k] += a * v;
      else acc[k] -= a * v;
      prev[k] = j;
      col[k] = next[j];
      pos[k]++;
      more = pos[k] < n - k;
      if (!more) {
        v = acc[k];
        k--;
      }
    }
    if (k < 0) {
      det = v;
      done = true;
    }
  }
  return det;
}
