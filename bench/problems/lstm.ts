// GradBench `lstm` (ADBench's D-LSTM): the loss of an l-layer LSTM predicting each character of a
// sequence from the previous one. Every weight "matrix" is diagonal (ADBench's quirk), so each of
// the b hidden units of a layer is its own small recurrence.
//
// Layout (row-major, flat, as GradBench's arrays flattened row by row):
// - mainParams[2l × 4b]: for layer L, row 2L holds the weights and row 2L + 1 the biases, each
//   as four b-long blocks: forget, input gate, output gate, change;
// - extraParams[3 × b]: input weight, output weight, output bias;
// - state[2l × b]: for layer L, row 2L the hidden state and row 2L + 1 the cell state;
// - sequence[c × b]: one character per row, as b bits.
//
// Per character t < c − 1: ŷ = predict(sequence[t]) (updating the state), then
// total += Σ_i sequence[t + 1][i]·(ŷ_i − log(Σ_j exp ŷ_j + 2)) (the "+ 2" is ADBench's);
// loss = −total / ((c − 1)·b).

function sigmoid(x: number): number {
  return 1 / (1 + Math.exp(-x));
}

/** @differentiable @wrt mainParams extraParams */
export function lstm(
  l: number, c: number, b: number,
  mainParams: Float64Array, extraParams: Float64Array, state: Float64Array, sequence: Float64Array,
): number {
  const s = new Float64Array(2 * l * b);
  for (let i = 0; i < 2 * l * b; i++) s[i] = state[i];
  const ypred = new Float64Array(b);
  let total = 0;
  let count = 0;
  for (let t = 0; t < c - 1; t++) {
    // the input layer
    for (let i = 0; i < b; i++) ypred[i] = sequence[t * b + i] * extraParams[i];
    for (let layer = 0; layer < l; layer++) {
      const w = 8 * b * layer;
      const h = 2 * b * layer;
      for (let i = 0; i < b; i++) {
        // layer 0 reads the input layer, the others the hidden state just computed below them
        const input = layer === 0 ? ypred[i] : s[h - 2 * b + i];
        const hidden = s[h + i];
        const forget = sigmoid(input * mainParams[w + i] + mainParams[w + 4 * b + i]);
        const ingate = sigmoid(hidden * mainParams[w + b + i] + mainParams[w + 5 * b + i]);
        const outgate = sigmoid(input * mainParams[w + 2 * b + i] + mainParams[w + 6 * b + i]);
        const change = Math.tanh(hidden * mainParams[w + 3 * b + i] + mainParams[w + 7 * b + i]);
        const cell = s[h + b + i] * forget + ingate * change;
        s[h + b + i] = cell;
        s[h + i] = outgate * Math.tanh(cell);
      }
    }
    // the output layer and its log-softmax against the next character
    const top = 2 * b * (l - 1);
    for (let i = 0; i < b; i++) ypred[i] = s[top + i] * extraParams[b + i] + extraParams[2 * b + i];
    let sum = 0;
    for (let i = 0; i < b; i++) sum += Math.exp(ypred[i]);
    const lse = Math.log(sum + 2);
    for (let i = 0; i < b; i++) total += sequence[(t + 1) * b + i] * (ypred[i] - lse);
    count += b;
  }
  return -total / count;
}
