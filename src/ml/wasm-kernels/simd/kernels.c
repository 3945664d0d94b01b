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

/* [B, R, C, E] -> [B, C, R, E]: swaps two axes, moving E contiguous floats at a time.
 * E == 1 is a blocked matrix transpose so both sides stay in cache. */
EXPORT void swap_axes(const float *restrict src, int b, int r, int c, int e, float *restrict dst) {
  for (int bi = 0; bi < b; bi++) {
    const float *s = src + (long)bi * r * c * e;
    float *d = dst + (long)bi * r * c * e;
    if (e == 1) {
      const int T = 16;
      for (int r0 = 0; r0 < r; r0 += T) {
        int r1 = r0 + T < r ? r0 + T : r;
        for (int c0 = 0; c0 < c; c0 += T) {
          int c1 = c0 + T < c ? c0 + T : c;
          for (int i = r0; i < r1; i++)
            for (int j = c0; j < c1; j++) d[(long)j * r + i] = s[(long)i * c + j];
        }
      }
    } else {
      for (int i = 0; i < r; i++)
        for (int j = 0; j < c; j++) {
          const float *from = s + ((long)i * c + j) * e;
          float *to = d + ((long)j * r + i) * e;
          int k = 0;
          for (; k + 4 <= e; k += 4) wasm_v128_store(to + k, wasm_v128_load(from + k));
          for (; k < e; k++) to[k] = from[k];
        }
    }
  }
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
