/**
 * Competition-style arrays: train images `(N,28,28)` or `(N,784)` uint8 with int32/int64 labels,
 * test images, and test labels when the answers are known. Class names come from a list or a
 * file; without them classes are named by their label number.
 */
import { NodeUserError } from '../../exec/node-contract.js';
import { readClassFile } from '../classes.js';
import { asImageStack, asLabels, readNpy } from '../npy.js';
import type { ClassPool, QuickDrawSource, UnlabeledPool } from './source.js';

export interface ArraysSpec {
  trainImages: string;
  trainLabels: string;
  testImages?: string;
  testLabels?: string;
  classNames?: string[] | { file: string };
}

interface LabeledArrays {
  images: Uint8Array;
  side: number;
  /** Row indices of each label, in file order. */
  rowsByLabel: Map<number, number[]>;
}

export class ArraysSource implements QuickDrawSource {
  readonly description: string;
  readonly rendering = 'as given in the arrays';
  private readonly names: string[];
  private readonly train: LabeledArrays;
  private test?: LabeledArrays | { images: Uint8Array; side: number; count: number };

  constructor(private readonly spec: ArraysSpec) {
    this.description = `arrays:${spec.trainImages}`;
    this.train = loadLabeled(spec.trainImages, spec.trainLabels);
    const maxLabel = Math.max(-1, ...this.train.rowsByLabel.keys());
    if (spec.classNames === undefined) {
      this.names = Array.from({ length: maxLabel + 1 }, (_, i) => String(i));
    } else {
      this.names = Array.isArray(spec.classNames) ? spec.classNames : readClassFile(spec.classNames.file);
      if (maxLabel >= this.names.length) {
        throw new NodeUserError(`${spec.trainLabels}: label ${maxLabel} but only ${this.names.length} class names are given`);
      }
    }
  }

  async classes(): Promise<string[]> {
    return this.names.slice();
  }

  pool(split: 'train' | 'test'): ClassPool | UnlabeledPool {
    if (split === 'train') return this.labeledPool('arrays:train', this.train);
    if (!this.spec.testImages) throw new NodeUserError(`source arrays has no testImages; set source.testImages or test.perClass: 0`);
    if (this.spec.testLabels) {
      this.test ??= loadLabeled(this.spec.testImages, this.spec.testLabels);
      return this.labeledPool('arrays:test', this.test as LabeledArrays);
    }
    const file = this.spec.testImages;
    return {
      id: 'arrays:test',
      loadAll: async (size) => {
        const stack = asImageStack(readNpy(file), file);
        const side = stack.shape[1]!;
        if (side !== size) throw new NodeUserError(`${file}: images are ${side} px; arrays cannot be re-rendered at ${size} px`);
        return { images: stack.data, count: stack.shape[0]! };
      },
    };
  }

  private labeledPool(id: string, arrays: LabeledArrays): ClassPool {
    return {
      id,
      count: async (cls) => arrays.rowsByLabel.get(this.labelOf(cls))?.length ?? 0,
      load: async (cls, rows, size) => {
        if (arrays.side !== size) throw new NodeUserError(`${this.spec.trainImages}: images are ${arrays.side} px; arrays cannot be re-rendered at ${size} px`);
        const classRows = arrays.rowsByLabel.get(this.labelOf(cls)) ?? [];
        const px = size * size;
        const out = new Uint8Array(rows.length * px);
        rows.forEach((r, i) => {
          const at = classRows[r]!;
          out.set(arrays.images.subarray(at * px, (at + 1) * px), i * px);
        });
        return out;
      },
    };
  }

  private labelOf(cls: string): number {
    return this.names.indexOf(cls);
  }
}

function loadLabeled(imagesFile: string, labelsFile: string): LabeledArrays {
  const stack = asImageStack(readNpy(imagesFile), imagesFile);
  const [n, h, w] = stack.shape as [number, number, number];
  if (h !== w) throw new NodeUserError(`${imagesFile}: images must be square, got ${h}×${w}`);
  const labels = asLabels(readNpy(labelsFile), labelsFile, n);
  const rowsByLabel = new Map<number, number[]>();
  labels.forEach((l, i) => {
    if (l < 0) throw new NodeUserError(`${labelsFile}: negative label ${l} at row ${i}`);
    let list = rowsByLabel.get(l);
    if (!list) rowsByLabel.set(l, (list = []));
    list.push(i);
  });
  return { images: stack.data, side: h, rowsByLabel };
}
