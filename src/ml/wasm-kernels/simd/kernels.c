/*
 * SIMD kernels for the memory-bound parts of training on the wasm backend. Compiled to a separate
 * wasm module that imports the backend's memory, so every pointer is a tensor's `memoryOffset`.
 * No function may use static data or the C stack: the module shares memory with the backend's
 * emscripten runtime and owns no part of it. Scratch space is passed in by the caller.
 *
 * Rebuild with ./build.sh (clang >= 14, lld); the binary is embedded in binary.ts.
 */
#include <wasm_simd128.h>

#define EXPORT __attribute__((visibility("default")))

/* out[j] = scale * sum_r x[r, j] for a [rows, width] matrix; acc is width doubles of scratch.
 * Four rows are added in float32 before each float64 accumulation: cheap and, unlike a float32
 * running sum over 10^5 rows, close to the reference backend's float64 sums. */
EXPORT void sum_rows(const float *restrict x, int rows, int width, double *restrict acc,
                     float *restrict out, float scale) {
  for (int j = 0; j < width; j++) acc[j] = 0;
  int r = 0;
  for (; r + 4 <= rows; r += 4) {
    const float *p = x + (long)r * width;
    int j = 0;
    for (; j + 4 <= width; j += 4) {
      v128_t v = wasm_f32x4_add(
          wasm_f32x4_add(wasm_v128_load(p + j), wasm_v128_load(p + width + j)),
          wasm_f32x4_add(wasm_v128_load(p + 2 * width + j), wasm_v128_load(p + 3 * width + j)));
      v128_t lo = wasm_f64x2_promote_low_f32x4(v);
      v128_t hi = wasm_f64x2_promote_low_f32x4(wasm_i32x4_shuffle(v, v, 2, 3, 0, 1));
      wasm_v128_store(acc + j, wasm_f64x2_add(wasm_v128_load(acc + j), lo));
      wasm_v128_store(acc + j + 2, wasm_f64x2_add(wasm_v128_load(acc + j + 2), hi));
    }
    for (; j < width; j++) acc[j] += (double)(p[j] + p[width + j] + p[2 * width + j] + p[3 * width + j]);
  }
  for (; r < rows; r++) {
    const float *p = x + (long)r * width;
    for (int j = 0; j < width; j++) acc[j] += (double)p[j];
  }
  for (int j = 0; j < width; j++) out[j] = (float)(acc[j] * scale);
}

/* out[m, n] = sum_r a[r, m] * b[r, n] for a [rows, m], b [rows, n]: the filter gradient of a 1x1
 * convolution. Four rows update each accumulator vector per load/store; blocks of 256 rows sum in
 * float32 (accf, m*n floats) and are folded into float64 (accd, m*n doubles). */
EXPORT void gemm_at_b(const float *restrict a, const float *restrict b, int rows, int m, int n,
                      float *restrict accf, double *restrict accd, float *restrict out) {
  const int size = m * n;
  for (int i = 0; i < size; i++) accd[i] = 0;
  for (int r0 = 0; r0 < rows; r0 += 256) {
    const int r1 = r0 + 256 < rows ? r0 + 256 : rows;
    for (int i = 0; i < size; i++) accf[i] = 0;
    int r = r0;
    for (; r + 4 <= r1; r += 4) {
      const float *a0 = a + (long)r * m;
      const float *b0 = b + (long)r * n;
      for (int i = 0; i < m; i++) {
        const v128_t s0 = wasm_f32x4_splat(a0[i]), s1 = wasm_f32x4_splat(a0[m + i]);
        const v128_t s2 = wasm_f32x4_splat(a0[2 * m + i]), s3 = wasm_f32x4_splat(a0[3 * m + i]);
        float *acc = accf + i * n;
        int j = 0;
        for (; j + 4 <= n; j += 4) {
          v128_t t = wasm_f32x4_add(
              wasm_f32x4_add(wasm_f32x4_mul(s0, wasm_v128_load(b0 + j)),
                             wasm_f32x4_mul(s1, wasm_v128_load(b0 + n + j))),
              wasm_f32x4_add(wasm_f32x4_mul(s2, wasm_v128_load(b0 + 2 * n + j)),
                             wasm_f32x4_mul(s3, wasm_v128_load(b0 + 3 * n + j))));
          wasm_v128_store(acc + j, wasm_f32x4_add(wasm_v128_load(acc + j), t));
        }
        for (; j < n; j++)
          acc[j] += a0[i] * b0[j] + a0[m + i] * b0[n + j] + a0[2 * m + i] * b0[2 * n + j] +
                    a0[3 * m + i] * b0[3 * n + j];
      }
    }
    for (; r < r1; r++) {
      const float *ar = a + (long)r * m;
      const float *br = b + (long)r * n;
      for (int i = 0; i < m; i++)
        for (int j = 0; j < n; j++) accf[i * n + j] += ar[i] * br[j];
    }
    for (int i = 0; i < size; i++) accd[i] += (double)accf[i];
  }
  for (int i = 0; i < size; i++) out[i] = (float)accd[i];
}

/* Filter gradient of a convolution, x [n,h,w,ci], dy [n,oh,ow,co], result [kh,kw,ci,co]: the
 * same four-pixel outer-product accumulation as gemm_at_b over implicit im2col rows (taps that
 * fall in the padding contribute zero). */
EXPORT void conv_filter_grad(const float *restrict x, const float *restrict dy, int n, int h, int w,
                             int ci, int oh, int ow, int co, int kh, int kw, int sh, int sw, int dh,
                             int dw, int pt, int pl, float *restrict accf, double *restrict accd,
                             float *restrict out) {
  const int size = kh * kw * ci * co;
  const long pixels = (long)n * oh * ow;
  for (int i = 0; i < size; i++) accd[i] = 0;
  for (long p0 = 0; p0 < pixels; p0 += 256) {
    const long p1 = p0 + 256 < pixels ? p0 + 256 : pixels;
    for (int i = 0; i < size; i++) accf[i] = 0;
    for (long p = p0; p < p1; p += 4) {
      const int count = p1 - p < 4 ? (int)(p1 - p) : 4;
      int bb[4], oy[4], ox[4];
      const float *g[4];
      for (int t = 0; t < 4; t++) {
        long q = p + (t < count ? t : 0);
        bb[t] = (int)(q / ((long)oh * ow));
        int rem = (int)(q % ((long)oh * ow));
        oy[t] = rem / ow;
        ox[t] = rem % ow;
        g[t] = dy + q * co;
      }
      for (int ky = 0; ky < kh; ky++)
        for (int kx = 0; kx < kw; kx++) {
          const float *xp[4];
          for (int t = 0; t < 4; t++) {
            int iy = oy[t] * sh + ky * dh - pt, ix = ox[t] * sw + kx * dw - pl;
            xp[t] = (t < count && iy >= 0 && iy < h && ix >= 0 && ix < w)
                        ? x + (((long)bb[t] * h + iy) * w + ix) * ci
                        : 0;
          }
          float *accTap = accf + (ky * kw + kx) * ci * co;
          for (int c = 0; c < ci; c++) {
            const float v0 = xp[0] ? xp[0][c] : 0, v1 = xp[1] ? xp[1][c] : 0;
            const float v2 = xp[2] ? xp[2][c] : 0, v3 = xp[3] ? xp[3][c] : 0;
            const v128_t s0 = wasm_f32x4_splat(v0), s1 = wasm_f32x4_splat(v1);
            const v128_t s2 = wasm_f32x4_splat(v2), s3 = wasm_f32x4_splat(v3);
            float *acc = accTap + c * co;
            int j = 0;
            for (; j + 4 <= co; j += 4) {
              v128_t t = wasm_f32x4_add(
                  wasm_f32x4_add(wasm_f32x4_mul(s0, wasm_v128_load(g[0] + j)),
                                 wasm_f32x4_mul(s1, wasm_v128_load(g[1] + j))),
                  wasm_f32x4_add(wasm_f32x4_mul(s2, wasm_v128_load(g[2] + j)),
                                 wasm_f32x4_mul(s3, wasm_v128_load(g[3] + j))));
              wasm_v128_store(acc + j, wasm_f32x4_add(wasm_v128_load(acc + j), t));
            }
            for (; j < co; j++) acc[j] += v0 * g[0][j] + v1 * g[1][j] + v2 * g[2][j] + v3 * g[3][j];
          }
        }
    }
    for (int i = 0; i < size; i++) accd[i] += (double)accf[i];
  }
  for (int i = 0; i < size; i++) out[i] = (float)accd[i];
}

/* Filter gradient of a depthwise convolution, NHWC input x [n,h,w,c], output gradient
 * dy [n,oh,ow,c*m], result [kh,kw,c,m]. accf holds kh*kw*c*m floats, accd as many doubles:
 * each image accumulates in float32, images are summed in float64. */
EXPORT void depthwise_filter_grad(const float *restrict x, const float *restrict dy, int n, int h,
                                  int w, int c, int oh, int ow, int kh, int kw, int sh, int sw,
                                  int dh, int dw, int pt, int pl, int m, float *restrict accf,
                                  double *restrict accd, float *restrict out) {
  const int cm = c * m;
  const int size = kh * kw * cm;
  for (int i = 0; i < size; i++) accd[i] = 0;
  for (int b = 0; b < n; b++) {
    for (int i = 0; i < size; i++) accf[i] = 0;
    for (int oy = 0; oy < oh; oy++) {
      for (int ox = 0; ox < ow; ox++) {
        const float *g = dy + (((long)b * oh + oy) * ow + ox) * cm;
        for (int ky = 0; ky < kh; ky++) {
          int iy = oy * sh + ky * dh - pt;
          if (iy < 0 || iy >= h) continue;
          for (int kx = 0; kx < kw; kx++) {
            int ix = ox * sw + kx * dw - pl;
            if (ix < 0 || ix >= w) continue;
            const float *xv = x + (((long)b * h + iy) * w + ix) * c;
            float *a = accf + (ky * kw + kx) * cm;
            if (m == 1) {
              int q = 0;
              for (; q + 4 <= c; q += 4)
                wasm_v128_store(a + q, wasm_f32x4_add(wasm_v128_load(a + q),
                                                      wasm_f32x4_mul(wasm_v128_load(xv + q),
                                                                     wasm_v128_load(g + q))));
              for (; q < c; q++) a[q] += xv[q] * g[q];
            } else {
              for (int q = 0; q < cm; q++) a[q] += xv[q / m] * g[q];
            }
          }
        }
      }
    }
    for (int i = 0; i < size; i++) accd[i] += (double)accf[i];
  }
  for (int i = 0; i < size; i++) out[i] = (float)accd[i];
}

/* The masks and selection of ReLU6 / clip gradients: x >= s, x <= s, a && b, cond ? t : e. */
EXPORT void greater_equal_scalar(const float *restrict x, int n, float s, unsigned char *restrict out) {
  for (int i = 0; i < n; i++) out[i] = x[i] >= s;
}
EXPORT void less_equal_scalar(const float *restrict x, int n, float s, unsigned char *restrict out) {
  for (int i = 0; i < n; i++) out[i] = x[i] <= s;
}
EXPORT void logical_and(const unsigned char *restrict a, const unsigned char *restrict b, int n,
                        unsigned char *restrict out) {
  for (int i = 0; i < n; i++) out[i] = a[i] & b[i];
}
EXPORT void select_f32(const unsigned char *restrict cond, const float *restrict t,
                       const float *restrict e, int n, float *restrict out) {
  for (int i = 0; i < n; i++) out[i] = cond[i] ? t[i] : e[i];
}

/* out = a (op) b over n elements, where an operand with period p < n repeats every p elements
 * (p = 1: a scalar; p = channels: a per-channel vector against NHWC). One of the periods is n.
 * op: 0 add, 1 sub, 2 mul, 3 div. */
#define BINARY_LOOPS(EXPR)                                                                   \
  if (pa == n && pb == n) {                                                                  \
    for (int i = 0; i < n; i++) { float x = a[i], y = b[i]; out[i] = EXPR; }                 \
  } else if (pb == 1) {                                                                      \
    const float y = b[0];                                                                    \
    for (int i = 0; i < n; i++) { float x = a[i]; out[i] = EXPR; }                           \
  } else if (pa == 1) {                                                                      \
    const float x = a[0];                                                                    \
    for (int i = 0; i < n; i++) { float y = b[i]; out[i] = EXPR; }                           \
  } else if (pa == n) {                                                                      \
    for (int i = 0; i < n; i += pb)                                                          \
      for (int j = 0; j < pb; j++) { float x = a[i + j], y = b[j]; out[i + j] = EXPR; }      \
  } else {                                                                                   \
    for (int i = 0; i < n; i += pa)                                                          \
      for (int j = 0; j < pa; j++) { float x = a[j], y = b[i + j]; out[i + j] = EXPR; }      \
  }

EXPORT void binary_f32(int op, const float *restrict a, int pa, const float *restrict b, int pb,
                       int n, float *restrict out) {
  switch (op) {
    case 0: BINARY_LOOPS(x + y) break;
    case 1: BINARY_LOOPS(x - y) break;
    case 2: BINARY_LOOPS(x * y) break;
    case 3: BINARY_LOOPS(x / y) break;
  }
}

/* Inference-form batch normalisation of [rows, c]: out = x * k + d with per-channel
 * k = scale / sqrt(variance + eps), d = offset - mean * k, folded in float64 first (coef holds
 * 2c floats). offset and scale may be 0 (absent). */
EXPORT void batch_norm(const float *restrict x, int rows, int c, const float *restrict mean,
                       const float *restrict variance, const float *restrict offset,
                       const float *restrict scale, float eps, float *restrict coef,
                       float *restrict out) {
  float *k = coef, *d = coef + c;
  for (int j = 0; j < c; j++) {
    double kj = (scale ? (double)scale[j] : 1.0) / __builtin_sqrt((double)variance[j] + (double)eps);
    k[j] = (float)kj;
    d[j] = (float)((offset ? (double)offset[j] : 0.0) - (double)mean[j] * kj);
  }
  for (int r = 0; r < rows; r++) {
    const float *xr = x + (long)r * c;
    float *o = out + (long)r * c;
    for (int j = 0; j < c; j++) o[j] = xr[j] * k[j] + d[j];
  }
}

/* Gradient of ReLU, ReLU6 and clipping: out = dy where lo < x (lo <= x when lo_inclusive) and
 * x <= hi, else 0. One pass instead of the compare, and, select and zeros of the generic graph. */
EXPORT void masked_gradient(const float *restrict dy, const float *restrict x, int n, float lo,
                            float hi, int lo_inclusive, float *restrict out) {
  const v128_t vlo = wasm_f32x4_splat(lo), vhi = wasm_f32x4_splat(hi);
  int i = 0;
  for (; i + 4 <= n; i += 4) {
    v128_t v = wasm_v128_load(x + i);
    v128_t keep = wasm_v128_and(lo_inclusive ? wasm_f32x4_ge(v, vlo) : wasm_f32x4_gt(v, vlo), wasm_f32x4_le(v, vhi));
    wasm_v128_store(out + i, wasm_v128_and(keep, wasm_v128_load(dy + i)));
  }
  for (; i < n; i++) {
    int pass = (lo_inclusive ? x[i] >= lo : x[i] > lo) & (x[i] <= hi);
    out[i] = pass ? dy[i] : 0.0f;
  }
}

/* Input gradient of a depthwise convolution, dy [n,oh,ow,c*m], filter [kh,kw,c,m], result
 * [n,h,w,c]. With multiplier 1 each input pixel gathers the output-gradient pixels whose taps read
 * it and accumulates them in registers, vectorised across channels, storing once (taps: kh*kw
 * pointer pairs of scratch). Other multipliers scatter each output-gradient pixel onto its input
 * pixels. */
EXPORT void depthwise_input_grad(const float *restrict dy, const float *restrict filter, int n,
                                 int h, int w, int c, int oh, int ow, int kh, int kw, int sh,
                                 int sw, int dh, int dw, int pt, int pl, int m,
                                 const float **restrict taps, float *restrict out) {
  if (m == 1) {
    for (int b = 0; b < n; b++)
      for (int iy = 0; iy < h; iy++)
        for (int ix = 0; ix < w; ix++) {
          int count = 0;
          for (int ky = 0; ky < kh; ky++) {
            int ty = iy + pt - ky * dh;
            if (ty < 0 || ty % sh != 0 || ty / sh >= oh) continue;
            for (int kx = 0; kx < kw; kx++) {
              int tx = ix + pl - kx * dw;
              if (tx < 0 || tx % sw != 0 || tx / sw >= ow) continue;
              taps[2 * count] = dy + (((long)b * oh + ty / sh) * ow + tx / sw) * c;
              taps[2 * count + 1] = filter + (ky * kw + kx) * c;
              count++;
            }
          }
          float *o = out + (((long)b * h + iy) * w + ix) * c;
          int q = 0;
          for (; q + 8 <= c; q += 8) {
            v128_t a0 = wasm_f32x4_splat(0), a1 = wasm_f32x4_splat(0);
            for (int t = 0; t < count; t++) {
              const float *g = taps[2 * t] + q, *f = taps[2 * t + 1] + q;
              a0 = wasm_f32x4_add(a0, wasm_f32x4_mul(wasm_v128_load(g), wasm_v128_load(f)));
              a1 = wasm_f32x4_add(a1, wasm_f32x4_mul(wasm_v128_load(g + 4), wasm_v128_load(f + 4)));
            }
            wasm_v128_store(o + q, a0);
            wasm_v128_store(o + q + 4, a1);
          }
          for (; q < c; q++) {
            float a = 0;
            for (int t = 0; t < count; t++) a += taps[2 * t][q] * taps[2 * t + 1][q];
            o[q] = a;
          }
        }
    return;
  }
  const long total = (long)n * h * w * c;
  for (long i = 0; i < total; i++) out[i] = 0;
  const int cm = c * m;
  for (int b = 0; b < n; b++)
    for (int oy = 0; oy < oh; oy++)
      for (int ox = 0; ox < ow; ox++) {
        const float *g = dy + (((long)b * oh + oy) * ow + ox) * cm;
        for (int ky = 0; ky < kh; ky++) {
          int iy = oy * sh + ky * dh - pt;
          if (iy < 0 || iy >= h) continue;
          for (int kx = 0; kx < kw; kx++) {
            int ix = ox * sw + kx * dw - pl;
            if (ix < 0 || ix >= w) continue;
            float *o = out + (((long)b * h + iy) * w + ix) * c;
            const float *f = filter + (ky * kw + kx) * cm;
            for (int q = 0; q < c; q++) {
              float s = 0;
              for (int k = 0; k < m; k++) s += g[q * m + k] * f[q * m + k];
              o[q] += s;
            }
          }
        }
      }
}

/* Training-mode batch normalisation of x [rows, c] in two passes: the batch mean and biased
 * variance per channel (written to mean and variance), then out = (x - mean) * k + offset with
 * k = scale / sqrt(variance + eps).
 * The statistics accumulate in float64 around a per-channel shift (the first row), so a mean
 * far from zero does not cancel the variance. acc holds 2c doubles, coef 2c floats. */
EXPORT void batch_norm_train(const float *restrict x, int rows, int c, const float *restrict scale,
                             const float *restrict offset, float eps, double *restrict acc,
                             float *restrict coef, float *restrict mean, float *restrict variance,
                             float *restrict out) {
  double *s = acc, *q = acc + c;
  for (int j = 0; j < 2 * c; j++) acc[j] = 0;
  const float *shift = x;
  for (int r = 0; r < rows; r++) {
    const float *xr = x + (long)r * c;
    int j = 0;
    for (; j + 4 <= c; j += 4) {
      v128_t v = wasm_f32x4_sub(wasm_v128_load(xr + j), wasm_v128_load(shift + j));
      v128_t lo = wasm_f64x2_promote_low_f32x4(v);
      v128_t hi = wasm_f64x2_promote_low_f32x4(wasm_i32x4_shuffle(v, v, 2, 3, 0, 1));
      wasm_v128_store(s + j, wasm_f64x2_add(wasm_v128_load(s + j), lo));
      wasm_v128_store(s + j + 2, wasm_f64x2_add(wasm_v128_load(s + j + 2), hi));
      wasm_v128_store(q + j, wasm_f64x2_add(wasm_v128_load(q + j), wasm_f64x2_mul(lo, lo)));
      wasm_v128_store(q + j + 2, wasm_f64x2_add(wasm_v128_load(q + j + 2), wasm_f64x2_mul(hi, hi)));
    }
    for (; j < c; j++) {
      double v = (double)(xr[j] - shift[j]);
      s[j] += v;
      q[j] += v * v;
    }
  }
  for (int j = 0; j < c; j++) {
    double m = s[j] / rows;
    double var = q[j] / rows - m * m;
    mean[j] = (float)((double)shift[j] + m);
    variance[j] = (float)(var > 0 ? var : 0);
    double k = (scale ? (double)scale[j] : 1.0) / __builtin_sqrt((double)variance[j] + (double)eps);
    coef[j] = (float)k;
    coef[c + j] = offset ? offset[j] : 0.0f;
  }
  /* (x - mean) * k + offset, not x * k + (offset - mean * k): when the mean is large against the
   * spread the folded form cancels away the output's low bits. */
  const float *k = coef, *d = coef + c;
  for (int r = 0; r < rows; r++) {
    const float *xr = x + (long)r * c;
    float *o = out + (long)r * c;
    int j = 0;
    for (; j + 4 <= c; j += 4) {
      v128_t xc = wasm_f32x4_sub(wasm_v128_load(xr + j), wasm_v128_load(mean + j));
      wasm_v128_store(o + j, wasm_f32x4_add(wasm_f32x4_mul(xc, wasm_v128_load(k + j)), wasm_v128_load(d + j)));
    }
    for (; j < c; j++) o[j] = (xr[j] - mean[j]) * k[j] + d[j];
  }
}

/* Gradients of batch_norm_train for output gradient dy: with r = 1/sqrt(variance + eps),
 * g = scale (1 when absent) and N = rows,
 *   doffset = sum dy,  dscale = r * sum dy (x - mean),
 *   dx = g r (dy - doffset / N - (x - mean) r^2 sum dy (x - mean) / N),
 * which is what differentiating through the batch mean and variance gives. Two passes: the sums
 * (float64, acc holds 2c doubles), then dx (coef holds 3c floats). */
EXPORT void batch_norm_train_grad(const float *restrict dy, const float *restrict x, int rows, int c,
                                  const float *restrict mean, const float *restrict variance,
                                  const float *restrict scale, float eps, double *restrict acc,
                                  float *restrict coef, float *restrict dx,
                                  float *restrict dscale, float *restrict doffset) {
  double *sd = acc, *sdc = acc + c;
  for (int j = 0; j < 2 * c; j++) acc[j] = 0;
  for (int r = 0; r < rows; r++) {
    const float *g = dy + (long)r * c, *xr = x + (long)r * c;
    int j = 0;
    for (; j + 4 <= c; j += 4) {
      v128_t d = wasm_v128_load(g + j);
      v128_t p = wasm_f32x4_mul(d, wasm_f32x4_sub(wasm_v128_load(xr + j), wasm_v128_load(mean + j)));
      v128_t dlo = wasm_f64x2_promote_low_f32x4(d);
      v128_t dhi = wasm_f64x2_promote_low_f32x4(wasm_i32x4_shuffle(d, d, 2, 3, 0, 1));
      v128_t plo = wasm_f64x2_promote_low_f32x4(p);
      v128_t phi = wasm_f64x2_promote_low_f32x4(wasm_i32x4_shuffle(p, p, 2, 3, 0, 1));
      wasm_v128_store(sd + j, wasm_f64x2_add(wasm_v128_load(sd + j), dlo));
      wasm_v128_store(sd + j + 2, wasm_f64x2_add(wasm_v128_load(sd + j + 2), dhi));
      wasm_v128_store(sdc + j, wasm_f64x2_add(wasm_v128_load(sdc + j), plo));
      wasm_v128_store(sdc + j + 2, wasm_f64x2_add(wasm_v128_load(sdc + j + 2), phi));
    }
    for (; j < c; j++) {
      sd[j] += (double)g[j];
      sdc[j] += (double)(g[j] * (xr[j] - mean[j]));
    }
  }
  float *a = coef, *b = coef + c, *e = coef + 2 * c;
  for (int j = 0; j < c; j++) {
    double r = 1.0 / __builtin_sqrt((double)variance[j] + (double)eps);
    double gr = (scale ? (double)scale[j] : 1.0) * r;
    doffset[j] = (float)sd[j];
    dscale[j] = (float)(r * sdc[j]);
    a[j] = (float)gr;
    b[j] = (float)(-gr * r * r * sdc[j] / rows);
    e[j] = (float)(-gr * sd[j] / rows);
  }
  for (int r = 0; r < rows; r++) {
    const float *g = dy + (long)r * c, *xr = x + (long)r * c;
    float *o = dx + (long)r * c;
    int j = 0;
    for (; j + 4 <= c; j += 4) {
      v128_t xc = wasm_f32x4_sub(wasm_v128_load(xr + j), wasm_v128_load(mean + j));
      v128_t v = wasm_f32x4_add(wasm_f32x4_mul(wasm_v128_load(a + j), wasm_v128_load(g + j)),
                                wasm_f32x4_add(wasm_f32x4_mul(wasm_v128_load(b + j), xc), wasm_v128_load(e + j)));
      wasm_v128_store(o + j, v);
    }
    for (; j < c; j++) o[j] = a[j] * g[j] + (b[j] * (xr[j] - mean[j]) + e[j]);
  }
}

/* One Adam / AdamW step over n parameters, the same float32 operations in the same order as the
 * op-by-op update in src/ml/optimizers.ts (so results are bit-identical to it):
 *   w = w * decay;  m = m * b1 + g * (1 - b1);  v = v * b2 + g * g * (1 - b2);
 *   w = w - m * step / (sqrt(v) + eps_hat)
 * Separate multiplies and adds, never fused: wasm has no scalar FMA and clang does not contract
 * across these statements for this target. */
EXPORT void adam_update(const float *restrict w, const float *restrict g, const float *restrict m,
                        const float *restrict v, int n, float decay, int apply_decay, float b1,
                        float one_minus_b1, float b2, float one_minus_b2, float step, float eps_hat,
                        float *restrict w_out, float *restrict m_out, float *restrict v_out) {
  for (int i = 0; i < n; i++) {
    float wi = apply_decay ? w[i] * decay : w[i];
    float gi = g[i];
    float mi = m[i] * b1 + gi * one_minus_b1;
    float vi = v[i] * b2 + (gi * gi) * one_minus_b2;
    m_out[i] = mi;
    v_out[i] = vi;
    w_out[i] = wi - (mi * step) / (__builtin_sqrtf(vi) + eps_hat);
  }
}

/* out[bt] = op(a[bt]) x op(b[bt]) for float32 matrices, op = transpose when ta / tb: out is
 * [m, n], the shared dimension k. a_step / b_step are the elements between batches (0
 * broadcasts one matrix). Without tb each output row accumulates rows of b scaled by one element
 * of a; with tb (and not ta) each output element is a dot product of two contiguous rows. The
 * caller routes ta && tb elsewhere. */
EXPORT void matmul_f32(const float *restrict a, const float *restrict b, int batch, int m, int k,
                       int n, int ta, int tb, long a_step, long b_step, float *restrict out) {
  for (int bt = 0; bt < batch; bt++) {
    const float *A = a + bt * a_step, *B = b + bt * b_step;
    float *O = out + (long)bt * m * n;
    if (!tb) {
      for (int i = 0; i < m; i++) {
        float *o = O + (long)i * n;
        for (int j = 0; j < n; j++) o[j] = 0;
        for (int p = 0; p < k; p++) {
          const float s = ta ? A[(long)p * m + i] : A[(long)i * k + p];
          const float *br = B + (long)p * n;
          const v128_t vs = wasm_f32x4_splat(s);
          int j = 0;
          for (; j + 4 <= n; j += 4)
            wasm_v128_store(o + j, wasm_f32x4_add(wasm_v128_load(o + j), wasm_f32x4_mul(vs, wasm_v128_load(br + j))));
          for (; j < n; j++) o[j] += s * br[j];
        }
      }
    } else {
      for (int i = 0; i < m; i++) {
        const float *ar = A + (long)i * k;
        for (int j = 0; j < n; j++) {
          const float *br = B + (long)j * k;
          v128_t acc = wasm_f32x4_splat(0);
          int p = 0;
          for (; p + 4 <= k; p += 4) acc = wasm_f32x4_add(acc, wasm_f32x4_mul(wasm_v128_load(ar + p), wasm_v128_load(br + p)));
          float s = (wasm_f32x4_extract_lane(acc, 0) + wasm_f32x4_extract_lane(acc, 1)) +
                    (wasm_f32x4_extract_lane(acc, 2) + wasm_f32x4_extract_lane(acc, 3));
          for (; p < k; p++) s += ar[p] * br[p];
          O[(long)i * n + j] = s;
        }
      }
    }
  }
}

/* Gradient of max pooling (dilation 1), x [n,h,w,c], dy [n,oh,ow,c]: each output gradient goes to
 * the first maximum of its window in row-major scan order (strictly greater replaces), as the
 * reference backend chooses it. */
EXPORT void max_pool_grad(const float *restrict x, const float *restrict dy, int n, int h, int w,
                          int c, int oh, int ow, int kh, int kw, int sh, int sw, int pt, int pl,
                          float *restrict dx) {
  const long total = (long)n * h * w * c;
  for (long i = 0; i < total; i++) dx[i] = 0;
  for (int b = 0; b < n; b++)
    for (int oy = 0; oy < oh; oy++) {
      const int y0 = oy * sh - pt, y1 = y0 + kh < h ? y0 + kh : h;
      for (int ox = 0; ox < ow; ox++) {
        const int x0 = ox * sw - pl, x1 = x0 + kw < w ? x0 + kw : w;
        const float *g = dy + (((long)b * oh + oy) * ow + ox) * c;
        for (int j = 0; j < c; j++) {
          float best = -__builtin_inff();
          long at = -1;
          for (int iy = y0 < 0 ? 0 : y0; iy < y1; iy++)
            for (int ix = x0 < 0 ? 0 : x0; ix < x1; ix++) {
              const long p = (((long)b * h + iy) * w + ix) * c + j;
              if (x[p] > best) {
                best = x[p];
                at = p;
              }
            }
          if (at >= 0) dx[at] += g[j];
        }
      }
    }
}

/* Filter gradient of a convolution as a register-tiled product over implicit im2col rows: for
 * each chunk of 256 output pixels, every (tap, 4 input channels) x (8 output channels) block of
 * the result accumulates in eight registers across the chunk's pixels, then is added to the
 * float64 total (accd, kh*kw*ci*co doubles). Input rows are located once per chunk (rows:
 * 256*kh*kw pointers of scratch; taps in the padding point at zeros, ci zero floats).
 * Needs co % 4 == 0. */
#define CHUNK 256

/* acc[0..4) += v: four float32 lanes added to four float64 accumulators. */
#define ADD_F32X4_TO_F64(acc, v)                                                                   \
  do {                                                                                           \
    v128_t v_ = (v);                                                                             \
    wasm_v128_store((acc), wasm_f64x2_add(wasm_v128_load(acc), wasm_f64x2_promote_low_f32x4(v_))); \
    wasm_v128_store((acc) + 2, wasm_f64x2_add(wasm_v128_load((acc) + 2),                         \
                                              wasm_f64x2_promote_low_f32x4(wasm_i32x4_shuffle(v_, v_, 2, 3, 0, 1)))); \
  } while (0)

static inline __attribute__((always_inline)) void filter_tile(
    const float *const *restrict rows, const float *restrict g, int count, int co, int c0, int cb,
    int jv, double *restrict acc, int acc_stride) {
  v128_t a[4][2];
  for (int r = 0; r < 4; r++) a[r][0] = a[r][1] = wasm_f32x4_splat(0);
  for (int p = 0; p < count; p++) {
    const float *xr = rows[p] + c0;
    const float *gp = g + (long)p * co;
    v128_t g0 = wasm_v128_load(gp), g1 = jv == 2 ? wasm_v128_load(gp + 4) : g0;
    for (int r = 0; r < cb; r++) {
      v128_t s = wasm_f32x4_splat(xr[r]);
      a[r][0] = wasm_f32x4_add(a[r][0], wasm_f32x4_mul(s, g0));
      if (jv == 2) a[r][1] = wasm_f32x4_add(a[r][1], wasm_f32x4_mul(s, g1));
    }
  }
  for (int r = 0; r < cb; r++)
    for (int v = 0; v < jv; v++) ADD_F32X4_TO_F64(acc + (long)r * acc_stride + 4 * v, a[r][v]);
}

EXPORT void conv_filter_grad_tiled(const float *restrict x, const float *restrict dy, int n, int h,
                                   int w, int ci, int oh, int ow, int co, int kh, int kw, int sh,
                                   int sw, int dh, int dw, int pt, int pl,
                                   const float **restrict rows, const float *restrict zeros,
                                   double *restrict accd, float *restrict out) {
  const int taps = kh * kw, size = taps * ci * co;
  const long pixels = (long)n * oh * ow;
  for (int i = 0; i < size; i++) accd[i] = 0;
  for (long p0 = 0; p0 < pixels; p0 += CHUNK) {
    const int count = pixels - p0 < CHUNK ? (int)(pixels - p0) : CHUNK;
    for (int p = 0; p < count; p++) {
      const long q = p0 + p;
      const int b = (int)(q / ((long)oh * ow)), rem = (int)(q % ((long)oh * ow));
      const int oy = rem / ow, ox = rem % ow;
      for (int ky = 0; ky < kh; ky++)
        for (int kx = 0; kx < kw; kx++) {
          const int iy = oy * sh + ky * dh - pt, ix = ox * sw + kx * dw - pl;
          rows[(ky * kw + kx) * CHUNK + p] = (iy >= 0 && iy < h && ix >= 0 && ix < w)
                                                 ? x + (((long)b * h + iy) * w + ix) * ci
                                                 : zeros;
        }
    }
    const float *g = dy + p0 * co;
    for (int j0 = 0; j0 < co;) {
      const int jv = co - j0 >= 8 ? 2 : 1;
      for (int t = 0; t < taps; t++) {
        const float *const *tr = rows + t * CHUNK;
        double *acc = accd + (long)t * ci * co + j0;
        int c0 = 0;
        if (jv == 2) {
          for (; c0 + 4 <= ci; c0 += 4) filter_tile(tr, g + j0, count, co, c0, 4, 2, acc + (long)c0 * co, co);
          for (; c0 < ci; c0++) filter_tile(tr, g + j0, count, co, c0, 1, 2, acc + (long)c0 * co, co);
        } else {
          for (; c0 + 4 <= ci; c0 += 4) filter_tile(tr, g + j0, count, co, c0, 4, 1, acc + (long)c0 * co, co);
          for (; c0 < ci; c0++) filter_tile(tr, g + j0, count, co, c0, 1, 1, acc + (long)c0 * co, co);
        }
      }
      j0 += 4 * jv;
    }
  }
  for (int i = 0; i < size; i++) out[i] = (float)accd[i];
}
