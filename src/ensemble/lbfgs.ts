/**
 * Limited-memory BFGS for the small smooth convex problems of this folder (softmax regression for
 * stacking and feature classifiers): far fewer passes over the data than plain gradient descent,
 * no learning rate to tune, and fully deterministic.
 */

/** Writes the gradient at x into grad and returns the loss. */
export type Objective = (x: Float64Array, grad: Float64Array) => number;

export interface LbfgsOptions {
  iterations: number;
  /** History pairs kept (m). */
  memory?: number;
  /** Stop when the loss improves by less than this, relative to its size. */
  tolerance?: number;
  /** Called after each iteration; return true to stop (e.g. on abort). */
  onIteration?: (iteration: number, loss: number) => boolean | void;
}

export interface LbfgsResult {
  x: Float64Array;
  loss: number;
  iterations: number;
}

function dot(a: Float64Array, b: Float64Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!;
  return s;
}

export function minimizeLbfgs(f: Objective, x0: Float64Array, opts: LbfgsOptions): LbfgsResult {
  const n = x0.length;
  const memory = opts.memory ?? 10;
  const tolerance = opts.tolerance ?? 1e-9;
  let x = Float64Array.from(x0);
  let g = new Float64Array(n);
  let loss = f(x, g);
  const s: Float64Array[] = [];
  const y: Float64Array[] = [];
  const rho: number[] = [];
  const dir = new Float64Array(n);
  const alpha = new Float64Array(memory);
  let it = 0;
  for (; it < opts.iterations; it++) {
    // Two-loop recursion: dir = -H·g.
    dir.set(g);
    for (let k = s.length - 1; k >= 0; k--) {
      alpha[k] = rho[k]! * dot(s[k]!, dir);
      const yk = y[k]!;
      for (let i = 0; i < n; i++) dir[i]! -= alpha[k]! * yk[i]!;
    }
    const gamma = s.length ? dot(s[s.length - 1]!, y[y.length - 1]!) / dot(y[y.length - 1]!, y[y.length - 1]!) : 1 / Math.max(Math.sqrt(dot(g, g)), 1e-12);
    for (let i = 0; i < n; i++) dir[i]! *= gamma;
    for (let k = 0; k < s.length; k++) {
      const beta = rho[k]! * dot(y[k]!, dir);
      const sk = s[k]!;
      for (let i = 0; i < n; i++) dir[i]! += sk[i]! * (alpha[k]! - beta);
    }
    for (let i = 0; i < n; i++) dir[i] = -dir[i]!;
    let slope = dot(g, dir);
    if (slope >= 0) {
      // Not a descent direction (curvature lost): restart from steepest descent.
      s.length = y.length = rho.length = 0;
      for (let i = 0; i < n; i++) dir[i] = -g[i]! / Math.max(Math.sqrt(dot(g, g)), 1e-12);
      slope = dot(g, dir);
      if (slope >= 0) break;
    }
    // Backtracking line search (Armijo).
    let step = 1;
    const xNew = new Float64Array(n);
    const gNew = new Float64Array(n);
    let lossNew = Infinity;
    for (let tries = 0; tries < 40; tries++) {
      for (let i = 0; i < n; i++) xNew[i] = x[i]! + step * dir[i]!;
      lossNew = f(xNew, gNew);
      if (Number.isFinite(lossNew) && lossNew <= loss + 1e-4 * step * slope) break;
      step /= 2;
    }
    if (!(lossNew < loss)) break;
    const sk = new Float64Array(n);
    const yk = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      sk[i] = xNew[i]! - x[i]!;
      yk[i] = gNew[i]! - g[i]!;
    }
    const sy = dot(sk, yk);
    if (sy > 1e-12) {
      if (s.length === memory) {
        s.shift();
        y.shift();
        rho.shift();
      }
      s.push(sk);
      y.push(yk);
      rho.push(1 / sy);
    }
    const improvement = loss - lossNew;
    x = xNew;
    g = gNew;
    loss = lossNew;
    if (opts.onIteration?.(it, loss)) { it++; break; }
    if (improvement <= tolerance * Math.max(1, Math.abs(loss))) { it++; break; }
  }
  return { x, loss, iterations: it };
}
