/**
 * Which rows of each class's file go to test, train and validation.
 *
 * Within one pool (train and test from the same source) test rows come first and train rows
 * after them, so the two never overlap; with `order: shuffled` the rows are a seeded permutation
 * of the class's file instead of its leading rows. The validation split is carved out of each
 * class's train rows (stratified, at least `minPerClass` per class so the tail is validated too).
 */
import { NodeUserError } from '../exec/node-contract.js';
import { SeededRng, hashSeed } from './rng.js';

export type TrainProfile =
  | { type: 'linear'; max: number; min: number }
  | { type: 'exponential'; max: number; min: number }
  | { type: 'explicit'; counts: number[] }
  | { type: 'constant'; perClass: number }
  | { type: 'all' };

export interface ValSpec {
  /** Fraction of each class's train rows. */
  fraction: number;
  /** At least this many per class (the tail must be validated too). */
  minPerClass: number;
  /** Exactly this many per class, instead of the fraction. */
  perClass?: number;
}

/** Train rows per class (index = label); undefined = every row left after the test rows. */
export function profileCounts(profile: TrainProfile, numClasses: number): number[] | undefined {
  const last = Math.max(1, numClasses - 1);
  switch (profile.type) {
    case 'all':
      return undefined;
    case 'constant':
      return new Array<number>(numClasses).fill(profile.perClass);
    case 'explicit':
      if (profile.counts.length !== numClasses) {
        throw new NodeUserError(`train.profile.counts has ${profile.counts.length} entries for ${numClasses} classes`);
      }
      return profile.counts.slice();
    case 'linear':
      // max, …, min in equal steps: the competition's 1000, 990, …, 10 for 100 classes.
      return Array.from({ length: numClasses }, (_, i) => Math.round(profile.max - ((profile.max - profile.min) * i) / last));
    case 'exponential':
      return Array.from({ length: numClasses }, (_, i) => Math.round(profile.max * (profile.min / profile.max) ** (i / last)));
  }
}

export interface ClassRows {
  test: number[];
  train: number[];
  val: number[];
}

export interface RowPlanInput {
  classes: string[];
  /** Rows available per class in the train pool (Infinity when unknown). */
  trainAvailable: number[];
  /** Rows available per class in the test pool; ignored when `samePool`. */
  testAvailable: number[];
  samePool: boolean;
  testPerClass: number | 'all';
  trainCounts: number[] | undefined;
  val?: ValSpec;
  order: 'sequential' | 'shuffled';
  /**
   * Shuffle only among the leading rows the splits need, not the whole file: for remote sources,
   * where rows spread over a 100 MB file would turn one small Range request into the whole file.
   */
  shuffleLeadingRows?: boolean;
  seed: number;
  /** Names the sources in "not enough drawings" errors. */
  trainWhere: string;
  testWhere: string;
}

/** Row indices (ascending) for every class. */
export function planRows(input: RowPlanInput): ClassRows[] {
  return input.classes.map((cls, label) => {
    const trainHave = input.trainAvailable[label]!;
    const testHave = input.samePool ? trainHave : input.testAvailable[label]!;
    if (input.testPerClass === 'all' && input.samePool) {
      throw new NodeUserError(`test.perClass: 'all' needs a test source apart from the train rows (testSource, or arrays with testImages); give a number`);
    }
    const testCount = input.testPerClass === 'all' ? testHave : input.testPerClass;
    if (!Number.isFinite(testCount)) throw new NodeUserError(`test.perClass: 'all' needs a source that knows its size (class "${cls}")`);
    if (testCount > testHave) {
      throw new NodeUserError(`class "${cls}" has ${testHave} drawings in ${input.testWhere}, the test split asks for ${testCount}`);
    }
    const trainStart = input.samePool ? testCount : 0;
    const asked = input.trainCounts?.[label];
    const trainCount = asked ?? trainHave - trainStart;
    if (!Number.isFinite(trainCount)) throw new NodeUserError(`train.profile 'all' needs a source that knows its size (class "${cls}")`);
    if (trainStart + trainCount > trainHave) {
      const what = input.samePool && testCount > 0 ? `${testCount} test + ${trainCount} train` : `${trainCount} train`;
      throw new NodeUserError(`class "${cls}" has ${trainHave} drawings in ${input.trainWhere}, the split asks for ${what}`);
    }
    const rng = new SeededRng(hashSeed(`${input.seed}:${cls}`));
    const span = input.samePool ? trainStart + trainCount : trainCount;
    let trainOrder: number[];
    if (input.order === 'shuffled') {
      const domain = input.shuffleLeadingRows ? span : trainHave;
      if (!Number.isFinite(domain)) throw new NodeUserError(`order: shuffled needs a source that knows its size (class "${cls}"); use order: sequential`);
      trainOrder = rng.fork('order').permutation(domain);
    } else {
      trainOrder = Array.from({ length: span }, (_, i) => i);
    }
    const test = input.samePool
      ? trainOrder.slice(0, testCount)
      : input.order === 'shuffled' && Number.isFinite(testHave)
        ? rng.fork('test').permutation(input.shuffleLeadingRows ? testCount : testHave).slice(0, testCount)
        : Array.from({ length: testCount }, (_, i) => i);
    const trainAll = trainOrder.slice(trainStart, trainStart + trainCount);
    const valCount = valSize(input.val, trainAll.length);
    const valPick = new Set(rng.fork('val').shuffle(trainAll.slice()).slice(0, valCount));
    const asc = (a: number, b: number) => a - b;
    return {
      test: test.sort(asc),
      train: trainAll.filter((r) => !valPick.has(r)).sort(asc),
      val: [...valPick].sort(asc),
    };
  });
}

/** Rows of one class that go to validation; always leaves at least one for training. */
export function valSize(val: ValSpec | undefined, trainRows: number): number {
  if (!val || trainRows < 2) return 0;
  const wanted = val.perClass ?? Math.max(val.minPerClass, Math.round(val.fraction * trainRows));
  if (wanted === 0) return 0;
  return Math.min(trainRows - 1, Math.max(val.minPerClass, wanted));
}
