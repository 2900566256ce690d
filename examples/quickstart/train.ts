// Gradient descent on one sample with the generated gradient: `npx tsx examples/quickstart/train.ts`
import { lossGrad } from "./model.grad.ts";

const w = new Float64Array([0.1, -0.2, 0.3]);
let b = 0;
const x = new Float64Array([1, 2, -1]);
const gw = new Float64Array(3); // reused every step: no allocation in the loop
for (let step = 0; step <= 100; step++) {
  const { value, grad } = lossGrad(w, b, x, 1, { w: gw });
  if (step % 25 === 0) console.log(`step ${step}: loss ${value.toFixed(6)}`);
  for (let i = 0; i < w.length; i++) w[i] -= 0.1 * grad.w[i];
  b -= 0.1 * grad.b;
}
