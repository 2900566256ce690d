// GradBench/ADBench `ba`: bundle adjustment's reprojection residual of one observation.
// cam = [r(3) Rodrigues rotation, C(3) center, f focal length, x0(2) principal point, κ(2) radial
// distortion]; X(3) a point; w a weight; (fx, fy) the observed feature.
// err = w · (proj(cam, X) − feat): Xcam = R(r)·(X − C), p = Xcam[0:2]/Xcam[2],
// p ← p·(1 + κ1‖p‖² + κ2‖p‖⁴), proj = f·p + x0.

/**
 * @differentiable @out err @wrt cam X w @modes vjp jvp jacobian
 */
export function reprojError(cam: Float64Array, X: Float64Array, w: number, fx: number, fy: number, err: Float64Array): void {
  const p0 = X[0] - cam[3];
  const p1 = X[1] - cam[4];
  const p2 = X[2] - cam[5];
  const r0 = cam[0];
  const r1 = cam[1];
  const r2 = cam[2];
  const sqtheta = r0 * r0 + r1 * r1 + r2 * r2;
  let c0 = 0;
  let c1 = 0;
  let c2 = 0;
  if (sqtheta !== 0) {
    const theta = Math.sqrt(sqtheta);
    const cost = Math.cos(theta);
    const sint = Math.sin(theta);
    const w0 = r0 / theta;
    const w1 = r1 / theta;
    const w2 = r2 / theta;
    const tmp = (w0 * p0 + w1 * p1 + w2 * p2) * (1 - cost);
    c0 = p0 * cost + (w1 * p2 - w2 * p1) * sint + w0 * tmp;
    c1 = p1 * cost + (w2 * p0 - w0 * p2) * sint + w1 * tmp;
    c2 = p2 * cost + (w0 * p1 - w1 * p0) * sint + w2 * tmp;
  } else {
    c0 = p0 + (r1 * p2 - r2 * p1);
    c1 = p1 + (r2 * p0 - r0 * p2);
    c2 = p2 + (r0 * p1 - r1 * p0);
  }
  const u = c0 / c2;
  const v = c1 / c2;
  const rsq = u * u + v * v;
  const dist = 1 + cam[9] * rsq + cam[10] * rsq * rsq;
  err[0] = w * (u * dist * cam[6] + cam[7] - fx);
  err[1] = w * (v * dist * cam[6] + cam[8] - fy);
}
