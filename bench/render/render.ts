// Renders 100,000 real drawings from ../shared/data/quickdraw on one core and prints drawings/s.
// Usage: npm run build && node dist/bench/render/render.js [count] [size]
import { readdirSync, writeFileSync, mkdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cpus, loadavg } from 'node:os';
import { StrokeRenderer, type Drawing } from '../../src/data/render.js';
import { readStrokeFile } from '../../src/data/strokes.js';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const dir = join(repoRoot, '..', 'shared', 'data', 'quickdraw', 'simplified');
const count = Number(process.argv[2] ?? 100_000);
const size = Number(process.argv[3] ?? 28);

const drawings: Drawing[] = [];
for (const file of readdirSync(dir).sort()) {
  for (const rec of readStrokeFile(join(dir, file))) drawings.push(rec.drawing);
  if (drawings.length >= count) break;
}
// Fewer distinct drawings than asked: cycle through them (the shared set holds 103,599).
const renderer = new StrokeRenderer({ size });
const out = new Uint8Array(size * size);
let points = 0;
const t0 = performance.now();
for (let i = 0; i < count; i++) {
  const d = drawings[i % drawings.length]!;
  renderer.render(d, out, 0);
}
const seconds = (performance.now() - t0) / 1000;
for (let i = 0; i < Math.min(count, drawings.length); i++) for (const s of drawings[i]!) points += s[0].length;
const result = {
  benchmark: 'render',
  drawings: count,
  size,
  seconds: Number(seconds.toFixed(3)),
  drawingsPerSecond: Math.round(count / seconds),
  meanPointsPerDrawing: Number((points / Math.min(count, drawings.length)).toFixed(1)),
  targetSeconds: 20,
  node: process.version,
  cpu: cpus()[0]?.model ?? 'unknown',
  // Other work on the machine slows the figure down; the 1-minute load average says how busy it was.
  loadAverage1m: Number(loadavg()[0]!.toFixed(2)),
  cores: cpus().length,
  date: new Date().toISOString(),
};
console.log(`rendered ${count} drawings at ${size}px in ${result.seconds} s on one core (${result.drawingsPerSecond}/s; target ≤ 20 s)`);
const resultsDir = join(repoRoot, 'bench', 'results');
mkdirSync(resultsDir, { recursive: true });
writeFileSync(join(resultsDir, `render-${size}.json`), JSON.stringify(result, null, 2) + '\n');
