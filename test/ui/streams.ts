/** Recorded event streams for reporter tests, and a generator of large synthetic runs. */
import { readFileSync } from 'node:fs';
import { PassThrough, Writable } from 'node:stream';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { RunEvent, StagePlanEntry } from '../../src/exec/events.js';

/** The repository root, from dist/test/ui/ where the compiled tests live. */
export const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

/** The first three are written by make-fixtures.mjs; the engine-* ones are `dag run --json` recordings. */
export type FixtureName = 'train-with-cache' | 'failing-stage' | 'cancelled' | 'engine-run' | 'engine-rerun';

export function loadFixture(name: FixtureName): RunEvent[] {
  const text = readFileSync(join(repoRoot, 'test', 'ui', 'fixtures', `${name}.ndjson`), 'utf8');
  return text.split('\n').filter((l) => l.trim() !== '').map((l) => JSON.parse(l) as RunEvent);
}

/** Collects what a reporter writes, as a stand-in for stdout. */
export class CapturedOutput {
  chunks: string[] = [];
  write(chunk: string, cb?: (err?: Error | null) => void): boolean {
    this.chunks.push(chunk);
    cb?.();
    return true;
  }
  get text(): string {
    return this.chunks.join('');
  }
  get lines(): string[] {
    return this.text.split('\n').filter((l) => l !== '');
  }
}

/**
 * A run of `n` quick stages in a chain of layers (`s0000`..), each needing one stage of the layer
 * before; every fifth stage is a cache hit. `upTo` cuts the stream mid-run, with `running`
 * stages started and not finished.
 */
export function fastStagesRun(n: number, opts: { upTo?: number; running?: number; stageMs?: number } = {}): RunEvent[] {
  const runId = 'run-fast';
  const t0 = 1764400000000;
  const stageMs = opts.stageMs ?? 5;
  const id = (i: number) => `s${String(i).padStart(4, '0')}`;
  const cached = (i: number) => i % 5 === 0;
  const stages: StagePlanEntry[] = Array.from({ length: n }, (_, i) => ({
    stageId: id(i),
    kind: i % 50 === 49 ? 'eval/classification' : 'cmd',
    needs: i >= 10 ? [id(i - 10)] : [],
    state: cached(i) ? 'cached' : 'will-run',
    reasons: cached(i) ? ['cache hit'] : ['never ran'],
  }));
  const events: RunEvent[] = [{ type: 'run-started', runId, pipeline: 'pipelines/many.yaml', time: t0, stages, jobs: 2, cpus: 2, gpus: [] }];
  const upTo = opts.upTo ?? n;
  let t = t0;
  let ran = 0;
  let cachedCount = 0;
  for (let i = 0; i < upTo; i++) {
    const stageId = id(i);
    t += stageMs;
    if (cached(i)) {
      events.push({ type: 'stage-cached', runId, stageId, time: t, key: `k${i}`, savedMs: 40, metrics: {} });
      cachedCount++;
      continue;
    }
    events.push({ type: 'stage-queued', runId, stageId, time: t });
    events.push({ type: 'stage-started', runId, stageId, time: t, key: `k${i}`, cpuSlots: 1, gpuIds: [], pid: 1000 + i });
    events.push({ type: 'stage-log', runId, stageId, time: t + 1, stream: 'stdout', line: `stage ${stageId} working` });
    events.push({ type: 'stage-progress', runId, stageId, time: t + 2, progress: { step: 1, total: 2, unit: 'step' } });
    if (i >= upTo - (opts.running ?? 0)) continue;
    const metrics: Record<string, number> = i % 50 === 49 ? { accuracy: 0.5 + i / 4000 } : {};
    events.push({ type: 'stage-finished', runId, stageId, time: t + stageMs, key: `k${i}`, durationMs: stageMs, metrics });
    ran++;
  }
  if (upTo === n) {
    events.push({ type: 'run-finished', runId, time: t + stageMs, status: 'succeeded', durationMs: t + stageMs - t0, counts: { ran, cached: cachedCount, failed: 0, skipped: 0 } });
  }
  return events;
}

/**
 * A terminal-sized output stream that counts what it is sent, for driving the Ink reporter
 * without a terminal. `keep` retains the text (tests); the bench only counts bytes.
 */
export class FakeTty extends Writable {
  readonly isTTY = true;
  bytes = 0;
  writes = 0;
  private readonly kept: string[] = [];
  constructor(
    readonly columns = 120,
    readonly rows = 40,
    private readonly keep = true,
  ) {
    super();
  }
  override _write(chunk: Buffer | string, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    this.bytes += chunk.length;
    this.writes++;
    if (this.keep) this.kept.push(chunk.toString());
    callback();
  }
  get text(): string {
    return this.kept.join('');
  }
  /** Streams passed where Node expects process.stdout/stdin. */
  asWriteStream(): NodeJS.WriteStream {
    return this as unknown as NodeJS.WriteStream;
  }
}

/** An stdin that never has input and is no terminal, so the view does not enable raw mode. */
export function silentStdin(): NodeJS.ReadStream {
  return new PassThrough() as unknown as NodeJS.ReadStream;
}
