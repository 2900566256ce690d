// Hand-written gradient of GradBench's lstm loss (layout as in bench/problems/lstm.ts) with
// respect to the main and extra parameters: the forward pass keeps every gate of every unit,
// layer and character; the backward pass runs through the characters in reverse.
//
// Per unit (layer L, character t): with x the input and h', c' the previous hidden and cell
// state, f = σ(x·w_f + b_f), i = σ(h'·w_i + b_i), o = σ(x·w_o + b_o), g = tanh(h'·w_g + b_g),
// c = c'·f + i·g, h = o·tanh c. Given ∂h and ∂c (from the layer above or the output, and from
// character t + 1): ∂o = ∂h·tanh c, ∂c += ∂h·o·(1 − tanh² c), ∂f = ∂c·c', ∂i = ∂c·g,
// ∂g = ∂c·i, ∂c' = ∂c·f; through the sigmoids ∂z = ∂·σ(1 − σ), through tanh ∂z = ∂·(1 − g²);
// then ∂w_f = ∂z_f·x, ∂b_f = ∂z_f, … and ∂x = ∂z_f·w_f + ∂z_o·w_o, ∂h' = ∂z_i·w_i + ∂z_g·w_g.
// The output ŷ = h_top·w_out + b_out with loss term −(1/count)·Σ_i y_i(ŷ_i − log(Σ exp ŷ + 2))
// gives ∂ŷ_i = −(1/count)·(y_i − (Σ_j y_j)·exp ŷ_i / (Σ exp ŷ + 2)).

/** Values kept per unit and character: x, h', c', f, i, o, g, tanh c. */
const KEPT = 8;

export interface LstmScratch {
  kept: Float64Array; // (c − 1)·l·b·KEPT
  soft: Float64Array; // (c − 1)·b: exp ŷ_i / (Σ exp ŷ + 2)
  s: Float64Array; // 2·l·b: the running state
  x: Float64Array; // b: the input of the current layer
  dh: Float64Array; // l·b: ∂ of each layer's hidden state from the next character
  dc: Float64Array; // l·b: ∂ of each layer's cell state from the next character
  dup: Float64Array; // b: ∂ of the hidden state of the layer being processed, from above
}

export function lstmScratch(l: number, c: number, b: number): LstmScratch {
  return {
    kept: new Float64Array((c - 1) * l * b * KEPT), soft: new Float64Array((c - 1) * b), s: new Float64Array(2 * l * b),
    x: new Float64Array(b), dh: new Float64Array(l * b), dc: new Float64Array(l * b), dup: new Float64Array(b),
  };
}

export interface LstmGrad {
  mainParams: Float64Array;
  extraParams: Float64Array;
}

const sigmoid = (z: number) => 1 / (1 + Math.exp(-z));

export function lstmGradManual(
  l: number, c: number, b: number,
  mainParams: Float64Array, extraParams: Float64Array, state: Float64Array, sequence: Float64Array,
  g: LstmGrad, sc: LstmScratch,
): { value: number; grad: LstmGrad } {
  const { kept, soft, s, x, dh, dc, dup } = sc;
  const gm = g.mainParams, ge = g.extraParams;
  gm.fill(0);
  ge.fill(0);
  s.set(state.subarray(0, 2 * l * b));
  const top = 2 * b * (l - 1);
  let total = 0;

  for (let t = 0; t < c - 1; t++) {
    for (let i = 0; i < b; i++) x[i] = sequence[t * b + i] * extraParams[i];
    for (let layer = 0; layer < l; layer++) {
      const w = 8 * b * layer, h = 2 * b * layer;
      const k0 = (t * l + layer) * b * KEPT;
      for (let i = 0; i < b; i++) {
        const xi = layer === 0 ? x[i] : s[h - 2 * b + i];
        const hp = s[h + i], cp = s[h + b + i];
        const f = sigmoid(xi * mainParams[w + i] + mainParams[w + 4 * b + i]);
        const ig = sigmoid(hp * mainParams[w + b + i] + mainParams[w + 5 * b + i]);
        const o = sigmoid(xi * mainParams[w + 2 * b + i] + mainParams[w + 6 * b + i]);
        const gg = Math.tanh(hp * mainParams[w + 3 * b + i] + mainParams[w + 7 * b + i]);
        const cell = cp * f + ig * gg;
        const tc = Math.tanh(cell);
        s[h + b + i] = cell;
        s[h + i] = o * tc;
        const k = k0 + i * KEPT;
        kept[k] = xi; kept[k + 1] = hp; kept[k + 2] = cp; kept[k + 3] = f;
        kept[k + 4] = ig; kept[k + 5] = o; kept[k + 6] = gg; kept[k + 7] = tc;
      }
    }
    let sum = 0;
    for (let i = 0; i < b; i++) {
      const y = s[top + i] * extraParams[b + i] + extraParams[2 * b + i];
      x[i] = y;
      const e = Math.exp(y);
      soft[t * b + i] = e;
      sum += e;
    }
    const lse = Math.log(sum + 2);
    const inv = 1 / (sum + 2);
    for (let i = 0; i < b; i++) {
      total += sequence[(t + 1) * b + i] * (x[i] - lse);
      soft[t * b + i] *= inv;
    }
  }
  const count = (c - 1) * b;

  const scale = -1 / count;
  dh.fill(0);
  dc.fill(0);
  for (let t = c - 2; t >= 0; t--) {
    let ysum = 0;
    for (let i = 0; i < b; i++) ysum += sequence[(t + 1) * b + i];
    const kTop = (t * l + l - 1) * b * KEPT;
    for (let i = 0; i < b; i++) {
      const dy = scale * (sequence[(t + 1) * b + i] - ysum * soft[t * b + i]);
      const k = kTop + i * KEPT;
      const hTop = kept[k + 5] * kept[k + 7];
      ge[b + i] += dy * hTop;
      ge[2 * b + i] += dy;
      dup[i] = dy * extraParams[b + i];
    }
    for (let layer = l - 1; layer >= 0; layer--) {
      const w = 8 * b * layer;
      const k0 = (t * l + layer) * b * KEPT;
      for (let i = 0; i < b; i++) {
        const k = k0 + i * KEPT;
        const xi = kept[k], hp = kept[k + 1], cp = kept[k + 2], f = kept[k + 3];
        const ig = kept[k + 4], o = kept[k + 5], gg = kept[k + 6], tc = kept[k + 7];
        const dhi = dup[i] + dh[layer * b + i];
        const dci = dc[layer * b + i] + dhi * o * (1 - tc * tc);
        const dzf = dci * cp * f * (1 - f);
        const dzi = dci * gg * ig * (1 - ig);
        const dzo = dhi * tc * o * (1 - o);
        const dzg = dci * ig * (1 - gg * gg);
        gm[w + i] += dzf * xi;
        gm[w + 4 * b + i] += dzf;
        gm[w + b + i] += dzi * hp;
        gm[w + 5 * b + i] += dzi;
        gm[w + 2 * b + i] += dzo * xi;
        gm[w + 6 * b + i] += dzo;
        gm[w + 3 * b + i] += dzg * hp;
        gm[w + 7 * b + i] += dzg;
        dh[layer * b + i] = dzi * mainParams[w + b + i] + dzg * mainParams[w + 3 * b + i];
        dc[layer * b + i] = dci * f;
        // ∂ of this layer's input: the hidden state below, or the input layer
        const dx = dzf * mainParams[w + i] + dzo * mainParams[w + 2 * b + i];
        if (layer > 0) dup[i] = dx;
        else ge[i] += dx * sequence[t * b + i];
      }
    }
  }
  return { value: -total / count, grad: g };
}
