/**
 * data/quickdraw: loads Quick, Draw! drawings from a source and cuts a long-tailed train set, a
 * stratified validation set and a balanced test set. docs/data.md has the params and recipes
 * (QuickDraw-LT100, the full competition on Google's data).
 */
import { z } from 'zod';
import { defineNode, NodeUserError } from '../../src/exec/node-contract.js';
import { selectClasses, unknownClassError } from '../../src/data/classes.js';
import { writeDataset } from '../../src/data/dataset.js';
import { writeNpy } from '../../src/data/npy.js';
import { openSource, sourceSchema } from '../../src/data/sources/open.js';
import { isUnlabeled, type ClassPool } from '../../src/data/sources/source.js';
import { planRows, profileCounts, type ClassRows } from '../../src/data/splits.js';
import { join } from 'node:path';

const params = z.object({
  source: sourceSchema.default({ type: 'bundled' }),
  /** Where the test split comes from when not from `source` (same classes). */
  testSource: sourceSchema.optional(),
  /** A list, a file of names (one a line; label = line number) or the first/random N. */
  classes: z
    .union([
      z.array(z.string()).min(1),
      z.object({ file: z.string() }),
      z.object({ count: z.number().int().positive(), order: z.enum(['alphabetical', 'random']).default('alphabetical') }),
    ])
    .optional(),
  /** Output side in px: 28 is Google's; larger sizes are rendered from strokes. */
  size: z.number().int().min(8).max(256).default(28),
  train: z
    .object({
      profile: z
        .discriminatedUnion('type', [
          z.object({ type: z.literal('linear'), max: z.number().int().min(0), min: z.number().int().min(0) }),
          z.object({ type: z.literal('exponential'), max: z.number().int().min(1), min: z.number().int().min(1) }),
          z.object({ type: z.literal('explicit'), counts: z.array(z.number().int().min(0)) }),
          z.object({ type: z.literal('constant'), perClass: z.number().int().min(0) }),
          z.object({ type: z.literal('all') }),
        ])
        .default({ type: 'all' }),
    })
    .default({ profile: { type: 'all' } }),
  test: z
    .object({
      /** Balanced test set: this many per class ('all': every row of a separate test source). */
      perClass: z.union([z.number().int().min(0), z.literal('all')]).default(0),
    })
    .default({ perClass: 0 }),
  /** Stratified validation carved from each class's train rows; absent = no validation split. */
  val: z
    .object({
      fraction: z.number().min(0).max(1).default(0.1),
      minPerClass: z.number().int().min(0).default(1),
      perClass: z.number().int().min(0).optional(),
    })
    .optional(),
  /** sequential: test = first rows of each file, train = the next ones; shuffled: a seeded permutation. */
  order: z.enum(['sequential', 'shuffled']).default('sequential'),
  seed: z.number().int().default(0),
});

type Split = 'train' | 'val' | 'test';

export default defineNode({
  name: 'data/quickdraw',
  version: 1,
  description: "Quick, Draw! drawings (Google's bucket, a folder, competition arrays or the bundled set) cut into long-tailed train, stratified val and balanced test sets",
  params,
  inputs: {
    dir: { kind: 'file', optional: true, description: 'a folder for source {type: dir} given without path; its content digest enters the key' },
  },
  outputs: {
    train: { kind: 'dataset', description: 'training images and labels' },
    val: { kind: 'dataset', description: 'validation images carved from the train rows (empty when val is unset)' },
    test: { kind: 'dataset', description: 'balanced test images (labels −1 when the source has none)' },
  },
  resources: { cpu: 1, gpu: 0, memory: 2048 },
  async run(ctx) {
    const p = ctx.params;
    const dirInput = ctx.inputs('dir')[0];
    const srcCtx = { dirInput, resumeDir: ctx.resumeDir, signal: ctx.signal, log: (l: string) => ctx.log(l) };
    const source = openSource(p.source, srcCtx);
    const testSource = p.testSource ? openSource(p.testSource, srcCtx) : source;
    const classes = selectClasses(
      p.classes === undefined || Array.isArray(p.classes) || 'file' in p.classes ? p.classes : { ...p.classes, seed: p.seed },
      await source.classes(),
      source.description,
    );
    const wantTest = p.test.perClass !== 0;
    if (wantTest && testSource !== source) {
      const testClasses = await testSource.classes();
      const known = new Set(testClasses);
      for (const c of classes) if (!known.has(c)) throw unknownClassError(c, testClasses, testSource.description);
    }
    const trainPool = source.pool('train');
    if (isUnlabeled(trainPool)) throw new Error('a train pool always has labels');
    const testPool = wantTest ? testSource.pool('test') : undefined;
    const samePool = testPool !== undefined && !isUnlabeled(testPool) && testPool.id === trainPool.id;
    const labeledTest = testPool !== undefined && !isUnlabeled(testPool) && !samePool ? testPool : undefined;

    const trainAvailable = await Promise.all(classes.map((c) => trainPool.count(c, p.size)));
    const testAvailable = labeledTest ? await Promise.all(classes.map((c) => labeledTest.count(c, p.size))) : classes.map(() => 0);
    if (testPool && isUnlabeled(testPool) && p.test.perClass !== 'all') {
      throw new NodeUserError(`the test images of ${testSource.description} have no labels, so they cannot be cut per class; use test.perClass: 'all'`);
    }
    const testPerClass = !wantTest || (testPool && isUnlabeled(testPool)) ? 0 : p.test.perClass;
    const plan = planRows({
      classes,
      trainAvailable,
      testAvailable,
      samePool,
      testPerClass,
      trainCounts: profileCounts(p.train.profile, classes.length),
      val: p.val,
      order: p.order,
      shuffleLeadingRows: trainPool.remote === true || (labeledTest?.remote ?? false),
      seed: p.seed,
      trainWhere: source.description,
      testWhere: testSource.description,
    });

    const size = p.size;
    const px = size * size;
    const parts: Record<Split, { images: Uint8Array[]; labels: number[]; rows: number[] }> = {
      train: { images: [], labels: [], rows: [] },
      val: { images: [], labels: [], rows: [] },
      test: { images: [], labels: [], rows: [] },
    };
    const add = (split: Split, label: number, rows: readonly number[], images: Uint8Array) => {
      parts[split].images.push(images);
      for (const r of rows) {
        parts[split].labels.push(label);
        parts[split].rows.push(r);
      }
    };
    for (let label = 0; label < classes.length; label++) {
      if (ctx.signal.aborted) throw ctx.signal.reason;
      const cls = classes[label]!;
      const rows = plan[label]!;
      // One load per pool and class, so Google's bucket gets one Range request per class.
      const fromTrainPool: Split[] = samePool ? ['test', 'train', 'val'] : ['train', 'val'];
      await loadInto(trainPool, cls, rows, fromTrainPool, size, (split, r, img) => add(split, label, r, img));
      if (labeledTest) await loadInto(labeledTest, cls, rows, ['test'], size, (split, r, img) => add(split, label, r, img));
      ctx.progress({ step: label + 1, total: classes.length, unit: 'class', label: cls });
    }
    let unlabeledTest: { images: Uint8Array; count: number } | undefined;
    if (testPool && isUnlabeled(testPool)) unlabeledTest = await testPool.loadAll(size);

    const common = {
      seed: p.seed,
      order: p.order,
      attribution: "Google Quick, Draw! dataset (CC BY 4.0), https://quickdraw.withgoogle.com/data",
    };
    for (const split of ['train', 'val', 'test'] as const) {
      const part = parts[split];
      let images = concat(part.images, part.labels.length * px);
      let labels = Int32Array.from(part.labels);
      let rows = Int32Array.from(part.rows);
      const from = split === 'test' ? testSource : source;
      if (split === 'test' && unlabeledTest) {
        images = unlabeledTest.images;
        labels = new Int32Array(unlabeledTest.count).fill(-1);
        rows = Int32Array.from({ length: unlabeledTest.count }, (_, i) => i);
      }
      const dir = ctx.outputDir(split);
      writeDataset(dir, {
        images,
        count: labels.length,
        height: size,
        width: size,
        labels,
        classes,
        meta: {
          ...common,
          source: from.description,
          rendering: from.rendering,
          split,
          ...(split === 'train' ? { profile: p.train.profile } : {}),
          ...(split === 'val' ? { val: p.val ?? null } : {}),
          ...(split === 'test' ? { perClass: p.test.perClass } : {}),
        },
      });
      // Row of each image in its class's source file: lets anyone check exactly which drawings were used.
      writeNpy(join(dir, 'rows.npy'), { dtype: 'int32', shape: [rows.length], data: rows });
    }
    ctx.metrics({
      classes: classes.length,
      train: parts.train.labels.length,
      val: parts.val.labels.length,
      test: unlabeledTest ? unlabeledTest.count : parts.test.labels.length,
      imbalance: imbalanceRatio(plan),
    });
  },
});

async function loadInto(
  pool: ClassPool,
  cls: string,
  rows: ClassRows,
  splits: Split[],
  size: number,
  add: (split: Split, rows: number[], images: Uint8Array) => void,
): Promise<void> {
  const wanted = [...new Set(splits.flatMap((s) => rows[s]))].sort((a, b) => a - b);
  if (wanted.length === 0) return;
  const images = await pool.load(cls, wanted, size);
  const px = size * size;
  const at = new Map(wanted.map((r, i) => [r, i]));
  for (const split of splits) {
    const out = new Uint8Array(rows[split].length * px);
    rows[split].forEach((r, i) => {
      const j = at.get(r)!;
      out.set(images.subarray(j * px, (j + 1) * px), i * px);
    });
    add(split, rows[split], out);
  }
}

function concat(chunks: Uint8Array[], length: number): Uint8Array {
  const out = new Uint8Array(length);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  if (at !== length) throw new Error(`assembled ${at} bytes, expected ${length}`);
  return out;
}

function imbalanceRatio(plan: ClassRows[]): number {
  const counts = plan.map((r) => r.train.length + r.val.length).filter((n) => n > 0);
  return counts.length ? Math.max(...counts) / Math.min(...counts) : 0;
}
