/** One dense layer: `W` is outputs × inputs (row-major), `b` has one bias per output. */
export interface Layer {
  W: Float64Array;
  b: Float64Array;
}

/** A tanh network: any number of layers of any widths, then a linear head. */
export interface Net {
  layers: Layer[];
  head: { w: Float64Array; c: number };
}

/**
 * Mean squared error of the network over a batch: `xs` holds `ys.length` inputs of equal size,
 * one after another.
 * @differentiable @wrt net
 */
export function loss(net: Net, xs: Float64Array, ys: Float64Array): number {
  const batch = ys.length;
  const d = xs.length / batch;
  const L = net.layers.length;
  // every sample's activations, layer by layer, in rows as wide as the widest layer
  let width = d;
  for (const layer of net.layers) width = Math.max(width, layer.b.length);
  const A = new Float64Array(batch * (L + 1) * width);
  let total = 0;
  for (let s = 0; s < batch; s++) {
    const base = s * (L + 1) * width;
    for (let j = 0; j < d; j++) A[base + j] = xs[s * d + j]!;
    let n = d;
    for (let l = 0; l < L; l++) {
      const { W, b } = net.layers[l]!;
      const m = b.length;
      const from = base + l * width;
      for (let i = 0; i < m; i++) {
        let z = b[i]!;
        for (let j = 0; j < n; j++) z += W[i * n + j]! * A[from + j]!;
        A[from + width + i] = Math.tanh(z);
      }
      n = m;
    }
    let f = net.head.c;
    for (let j = 0; j < n; j++) f += net.head.w[j]! * A[base + L * width + j]!;
    total += (f - ys[s]!) ** 2;
  }
  return total / batch;
}
