/** Cholesky factorisation and solves for the symmetric positive-definite systems of LDA. */

/** Lower-triangular L with A = L·Lᵀ (n × n row-major), or undefined when A is not positive definite. */
export function cholesky(a: Float64Array, n: number): Float64Array | undefined {
  const l = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j <= i; j++) {
      let s = a[i * n + j]!;
      const li = i * n;
      const lj = j * n;
      for (let k = 0; k < j; k++) s -= l[li + k]! * l[lj + k]!;
      if (i === j) {
        if (!(s > 0)) return undefined;
        l[li + i] = Math.sqrt(s);
      } else {
        l[li + j] = s / l[lj + j]!;
      }
    }
  }
  return l;
}

/** Solves (L·Lᵀ)·X = B for X, B being n × m row-major; returns X. */
export function choleskySolve(l: Float64Array, n: number, b: Float64Array, m: number): Float64Array {
  const x = Float64Array.from(b);
  // Forward: L·Y = B.
  for (let i = 0; i < n; i++) {
    for (let k = 0; k < i; k++) {
      const lik = l[i * n + k]!;
      if (lik === 0) continue;
      for (let j = 0; j < m; j++) x[i * m + j]! -= lik * x[k * m + j]!;
    }
    const d = l[i * n + i]!;
    for (let j = 0; j < m; j++) x[i * m + j]! /= d;
  }
  // Backward: Lᵀ·X = Y.
  for (let i = n - 1; i >= 0; i--) {
    for (let k = i + 1; k < n; k++) {
      const lki = l[k * n + i]!;
      if (lki === 0) continue;
      for (let j = 0; j < m; j++) x[i * m + j]! -= lki * x[k * m + j]!;
    }
    const d = l[i * n + i]!;
    for (let j = 0; j < m; j++) x[i * m + j]! /= d;
  }
  return x;
}
