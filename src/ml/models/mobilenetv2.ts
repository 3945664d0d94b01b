/**
 * MobileNetV2 (Sandler et al. 2018) laid out for 28×28 drawings: "mobile2".
 *
 * The ImageNet network downsamples 32× before its last blocks; a 28×28 drawing would be gone after
 * three stride-2 layers. mobile2 keeps the first four stages of the ImageNet layout (the stages
 * that fit a 28×28 input), starts at full resolution (stride-1 stem) and downsamples three times
 * (28 → 14 → 7 → 4):
 *
 *   stem     3×3 conv, stride 1, 32·w channels, BN, ReLU6                        28×28
 *   blocks   inverted residuals (t = expansion, c = channels·w, n = repeats, s = first stride)
 *              t  c   n  s
 *              1  16  1  1                                                      28×28
 *              t  24  2  2                                                      14×14
 *              t  32  3  2                                                       7×7
 *              t  64  4  2                                                       4×4
 *   head     1×1 conv to 256·max(1, w) channels, BN, ReLU6 → global average pool → dropout → dense
 *
 * Each inverted residual block: 1×1 expand (skipped when t = 1) → BN → ReLU6 → 3×3 depthwise
 * (stride s) → BN → ReLU6 → 1×1 linear projection → BN, plus the identity shortcut (through
 * stochastic depth) when stride is 1 and channels match. Channels are rounded to multiples of 8.
 * With w = 1, t = 6, a 28×28×1 input and 100 classes it has 291,300 parameters (281,380 trainable;
 * the rest are batch-norm moving statistics).
 */
import { LayerFactory, roundChannels, type Sym } from './builder.js';
import type { ModelSpec } from './spec.js';

/** [expansion (null = the spec's), channels, repeats, first stride]. */
const MOBILE2_BLOCKS: Array<[number | null, number, number, number]> = [
  [1, 16, 1, 1],
  [null, 24, 2, 2],
  [null, 32, 3, 2],
  [null, 64, 4, 2],
];
const STEM_CHANNELS = 32;
const HEAD_CHANNELS = 256;

export function buildMobilenetV2(spec: ModelSpec, f: LayerFactory, input: Sym): Sym {
  const w = spec.width;
  let channels = roundChannels(STEM_CHANNELS * w);
  let x = f.convBnRelu(input, 'stem', channels, 3, 1, true);
  const totalBlocks = MOBILE2_BLOCKS.reduce((n, b) => n + b[2], 0);
  let block = 0;
  for (const [t, c, n, s] of MOBILE2_BLOCKS) {
    const out = roundChannels(c * w);
    for (let j = 0; j < n; j++) {
      block++;
      const name = `block${block}`;
      const strides = j === 0 ? s : 1;
      const expansion = t ?? spec.expansion;
      let y = x;
      if (expansion !== 1) {
        y = f.convBnRelu(y, `${name}_expand`, Math.round(channels * expansion), 1, 1, true);
      }
      y = f.relu(f.bn(f.depthwise(y, `${name}_dw`, 3, strides), `${name}_dw_bn`), `${name}_dw_relu`, 6);
      y = f.bn(f.conv(y, `${name}_project`, out, 1), `${name}_project_bn`);
      if (strides === 1 && channels === out) {
        y = f.stochasticDepth(y, `${name}_drop_path`, (spec.stochasticDepth * block) / totalBlocks);
        y = f.add(x, y, `${name}_add`);
      }
      // Spatial dropout closes each stage, as in the other architectures.
      x = j === n - 1 ? f.spatialDropout(y, `${name}_sdrop`) : y;
      channels = out;
    }
  }
  x = f.convBnRelu(x, 'head', roundChannels(HEAD_CHANNELS * Math.max(1, w)), 1, 1, true);
  return f.head(x);
}
