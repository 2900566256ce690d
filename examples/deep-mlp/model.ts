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

/** One tanh layer: a new array of the layer's width. */
function dense(layer: Layer, x: Float64Array): Float64Array {
  const { W, b } = layer;
  const n = x.length;
  const y = new Float64Array(b.length);
  for (let i = 0; i < y.length; i++) {
    let z = b[i]!;
    for (let j = 0; j < n; j++) z += W[i * n + j]! * x[j]!;
    y[i] = Math.tanh(z);
  }
  return y;
}

/**
 * Mean squared error of the network over a batch: `xs` holds `ys.length` inputs of equal size,
 * one after another. Each layer gives `h` a new array of its own width.
 * @differentiable @wrt net
 */
export function loss(net: Net, xs: Float64Array, ys: Float64Array): number {
  const batch = ys.length;
  const d = xs.length / batch;
  let total = 0;
  for (let s = 0; s < batch; s++) {
    let h: Float64Array = xs.slice(s * d, s * d + d);
    for (const layer of net.layers) h = dense(layer, h);
    let f = net.head.c;
    for (let j = 0; j < h.length; j++) f += net.head.w[j]! * h[j]!;
    total += (f - ys[s]!) ** 2;
  }
  return total / batch;
}
