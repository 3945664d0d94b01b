/**
 * Small ResNet for small images (the CIFAR layout of He et al. 2016): 3×3 stem with 16·width
 * filters, three stages of `depth` basic blocks (default 2, i.e. ResNet-14) with 16, 32, 64 ·width
 * filters and strides 1, 2, 2, a 1×1 projection shortcut where the shape changes, then global
 * average pooling → dropout → dense. Stochastic depth grows linearly to `stochasticDepth` on the
 * last block; spatial dropout follows each stage. About 182k parameters at width 1 (100 classes).
 */
import { LayerFactory, type Sym } from './builder.js';
import type { ModelSpec } from './spec.js';

export function buildResnet(spec: ModelSpec, f: LayerFactory, input: Sym): Sym {
  const perStage = spec.depth ?? 2;
  const widths = [16, 32, 64].map((c) => Math.max(1, Math.round(c * spec.width)));
  const totalBlocks = widths.length * perStage;
  let x = f.convBnRelu(input, 'stem', widths[0]!, 3);
  let channels = widths[0]!;
  let block = 0;
  widths.forEach((filters, stage) => {
    for (let j = 0; j < perStage; j++) {
      const name = `s${stage + 1}b${j + 1}`;
      const strides = stage > 0 && j === 0 ? 2 : 1;
      let branch = f.convBnRelu(x, `${name}_1`, filters, 3, strides);
      branch = f.bn(f.conv(branch, `${name}_2_conv`, filters, 3), `${name}_2_bn`);
      block++;
      branch = f.stochasticDepth(branch, `${name}_drop_path`, (spec.stochasticDepth * block) / totalBlocks);
      const shortcut =
        strides !== 1 || channels !== filters
          ? f.bn(f.conv(x, `${name}_proj_conv`, filters, 1, strides), `${name}_proj_bn`)
          : x;
      x = f.relu(f.add(shortcut, branch, `${name}_add`), `${name}_out`);
      channels = filters;
    }
    x = f.spatialDropout(x, `s${stage + 1}_sdrop`);
  });
  return f.head(x);
}
