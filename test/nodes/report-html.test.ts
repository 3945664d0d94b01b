import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inflateSync } from 'node:zlib';
import { runNodeInProcess } from '../../src/exec/node-runner.js';
import { NodeUserError } from '../../src/exec/node-contract.js';
import { writeDataset } from '../../src/data/dataset.js';
import { readDataset } from '../../src/data/dataset.js';
import { confusedPairs } from '../../src/report/pairs.js';
import { DATA_CREDIT } from '../../src/report/page.js';
import evalNode from '../../nodes/eval/classification.js';
import report from '../../nodes/report/html.js';
import { artifact, nearestClassMean, scratchDir, type NcmFixture } from './eval-fixtures.js';

/** Reads back what src/data/png.ts writes (8-bit RGB, filter 0 on every line). */
function decodeRgbPng(buf: Buffer): { width: number; height: number; pixel: (x: number, y: number) => [number, number, number] } {
  assert.equal(buf.subarray(1, 4).toString('latin1'), 'PNG');
  let at = 8, width = 0, height = 0;
  const idat: Buffer[] = [];
  for (;;) {
    const len = buf.readUInt32BE(at);
    const type = buf.subarray(at + 4, at + 8).toString('latin1');
    if (type === 'IHDR') { width = buf.readUInt32BE(at + 8); height = buf.readUInt32BE(at + 12); assert.equal(buf[at + 17], 2, 'RGB'); }
    if (type === 'IDAT') idat.push(buf.subarray(at + 8, at + 8 + len));
    at += 12 + len;
    if (type === 'IEND') break;
  }
  const raw = inflateSync(Buffer.concat(idat));
  const stride = width * 3 + 1;
  return { width, height, pixel: (x, y) => [raw[y * stride + 1 + x * 3]!, raw[y * stride + 2 + x * 3]!, raw[y * stride + 3 + x * 3]!] };
}

function findChromium(): string | null {
  for (const bin of ['chromium', 'chromium-browser', 'google-chrome']) {
    const r = spawnSync('sh', ['-c', `command -v ${bin}`], { encoding: 'utf8' });
    if (r.status === 0 && r.stdout.trim()) return r.stdout.trim();
  }
  return null;
}

const CHROMIUM_FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--hide-scrollbars'];

function chromium(bin: string, args: string[]): string {
  const profile = mkdtempSync(join(tmpdir(), 'dag-chromium-'));
  try {
    const r = spawnSync(bin, [...CHROMIUM_FLAGS, `--user-data-dir=${profile}`, ...args], { encoding: 'utf8', timeout: 90_000, maxBuffer: 64 << 20 });
    assert.equal(r.status, 0, `chromium failed: ${r.stderr}`);
    return r.stdout;
  } finally {
    rmSync(profile, { recursive: true, force: true });
  }
}

/** Loads `page` in headless Chromium and returns [src, naturalWidth, naturalHeight] of every <img> after load. */
function imagesAfterLoad(bin: string, dir: string, page: string): [string, number, number][] {
  const html = readFileSync(join(dir, page), 'utf8');
  const probe = '<script>addEventListener("load",()=>{const p=document.createElement("pre");p.id="img-check";' +
    'p.textContent=JSON.stringify([...document.images].map(i=>[i.getAttribute("src"),i.naturalWidth,i.naturalHeight]));document.body.append(p)})</script>';
  writeFileSync(join(dir, 'probe.html'), html.replace('</body>', `${probe}</body>`));
  const dom = chromium(bin, ['--virtual-time-budget=10000', '--dump-dom', `file://${join(dir, 'probe.html')}`]);
  rmSync(join(dir, 'probe.html'));
  const m = /<pre id="img-check">(.*?)<\/pre>/s.exec(dom);
  assert.ok(m, `no probe output in the dumped DOM:\n${dom.slice(0, 500)}`);
  return JSON.parse(m[1]!.replace(/&quot;/g, '"').replace(/&amp;/g, '&')) as [string, number, number][];
}

/** A model artifact's meta.json with a per-epoch history shaped like src/ml/train's EpochMetrics. */
function modelWithHistory(dir: string, epochs: number): string {
  mkdirSync(dir, { recursive: true });
  const history = Array.from({ length: epochs }, (_, i) => ({ epoch: i + 1, loss: 2 / (i + 1), accuracy: 1 - 0.8 / (i + 1), val_loss: 2.2 / (i + 1) + 0.1, val_accuracy: 0.9 - 0.8 / (i + 1), lr: 0.001 }));
  writeFileSync(join(dir, 'meta.json'), JSON.stringify({ architecture: { kind: 'cnn' }, training: { history } }));
  return dir;
}

let shared: { fx: NcmFixture; metricsDir: string; root: string } | undefined;
async function fixture() {
  if (shared) return shared;
  const root = scratchDir('report');
  const fx = nearestClassMean(root, [120, 100, 80, 60, 45, 30, 20, 12, 8, 5], 40);
  const e = await runNodeInProcess(evalNode, { params: {}, outputRoot: join(root, 'eval'), resumeDir: join(root, 'r1'), inputs: { predictions: [artifact(fx.predsDir)], train: [artifact(fx.trainDir)] } });
  shared = { fx, metricsDir: e.outputs.metrics!, root };
  return shared;
}

async function fullReport(tag: string) {
  const { fx, metricsDir, root } = await fixture();
  const r = await runNodeInProcess(report, {
    params: { perPair: 4 }, outputRoot: join(root, tag), resumeDir: join(root, `${tag}-resume`),
    inputs: { metrics: [artifact(metricsDir)], predictions: [artifact(fx.predsDir)], dataset: [artifact(fx.testDir)], models: [artifact(modelWithHistory(join(root, 'model'), 6))] },
  });
  return r.outputs.report!;
}

test('report/html writes every figure, the summary and the data credit; the contact sheet shows the most confused drawings', async () => {
  const { fx } = await fixture();
  const dir = await fullReport('full');
  const html = readFileSync(join(dir, 'index.html'), 'utf8');
  const srcs = [...html.matchAll(/<img src="([^"]+)"/g)].map((m) => decodeURI(m[1]!));
  assert.deepEqual(srcs, ['curves-loss.png', 'curves-accuracy.png', 'per-class-1.png', 'confusion-1.png', 'reliability-1.png', 'confused-pairs.png']);
  for (const s of srcs) assert.ok(statSync(join(dir, s)).size > 500, s);
  assert.ok(html.replace(/<[^>]+>/g, '').includes(DATA_CREDIT), 'data credit line');
  const metrics = JSON.parse(readFileSync(join((await fixture()).metricsDir, 'metrics.json'), 'utf8')) as { accuracy: number; tail_acc: number };
  assert.ok(html.includes(`<td>${metrics.accuracy.toFixed(4)}</td>`) && html.includes(`<td>${metrics.tail_acc.toFixed(4)}</td>`), 'summary table');

  // The first drawing of the contact sheet is the most confident mistake of the most confused pair.
  const top = confusedPairs(fx.predictions, 1)[0]!;
  const ds = readDataset(fx.testDir);
  const sheet = decodeRgbPng(readFileSync(join(dir, 'confused-pairs.png')));
  const row = top.rows[0]!;
  // Search the first row band (below the 7 px title) for the drawing, scaled ×2; it must also be the first drawing there.
  const y0 = 7 + 10, scale = 2;
  const matchesAt = (x0: number) => {
    for (let y = 0; y < 28; y++) for (let x = 0; x < 28; x++) {
      const v = ds.images[row * 784 + y * 28 + x]!;
      for (let d = 0; d < scale * scale; d++) {
        if (sheet.pixel(x0 + x * scale + (d % scale), y0 + y * scale + Math.floor(d / scale)).some((c) => c !== v)) return false;
      }
    }
    return true;
  };
  let found = -1;
  for (let x0 = 0; x0 + 56 <= sheet.width && found < 0; x0++) if (matchesAt(x0)) found = x0;
  const mismatches = found < 0 ? 1 : 0;
  // The label sits lower in the band, so the first non-white pixel of the band's top line starts the first drawing.
  const firstDrawing = [...Array(sheet.width).keys()].find((x) => sheet.pixel(x, y0 + 1).join() !== '255,255,255');
  assert.equal(mismatches, 0, `drawing of row ${row} not in the first row of the sheet`);
  assert.equal(found, firstDrawing, 'the most confident mistake comes first');

});

test('every image of the report loads in headless Chromium', async (t) => {
  const bin = findChromium();
  if (!bin) {
    t.skip('chromium is not installed (apt-get install chromium): the browser rendering check did not run');
    return;
  }
  const dir = await fullReport('browser');
  const loaded = imagesAfterLoad(bin, dir, 'index.html');
  assert.equal(loaded.length, 6);
  for (const [src, w, h] of loaded) {
    const png = decodeRgbPng(readFileSync(join(dir, src)));
    assert.deepEqual([w, h], [png.width, png.height], `${src} did not load in Chromium`);
    assert.ok(w > 0);
  }
  // The probe detects a broken image: the same page with one figure missing reports width 0 for it.
  rmSync(join(dir, 'reliability-1.png'));
  const broken = imagesAfterLoad(bin, dir, 'index.html').find(([src]) => src === 'reliability-1.png');
  assert.deepEqual(broken?.slice(1), [0, 0]);
  const shot = join(dir, 'screenshot.png');
  chromium(bin, ['--window-size=1200,2400', `--screenshot=${shot}`, `file://${join(dir, 'index.html')}`]);
  assert.ok(existsSync(shot) && statSync(shot).size > 10_000);
});

test('report with metrics only; a dataset that is not the predictions\' rows is a user error', async () => {
  const { fx, metricsDir, root } = await fixture();
  const r = await runNodeInProcess(report, { params: { names: ['ncm'] }, outputRoot: join(root, 'lean'), resumeDir: join(root, 'lean-r'), inputs: { metrics: [artifact(metricsDir), artifact(metricsDir)] } });
  const html = readFileSync(join(r.outputs.report!, 'index.html'), 'utf8');
  assert.equal(html.includes('curves-loss.png'), false);
  assert.equal(html.includes('confused-pairs.png'), false);
  assert.ok(html.includes('confusion-2.png') && html.includes('<td>ncm</td>') && html.includes('<td>nearest class mean</td>'));
  const other = join(root, 'other');
  mkdirSync(other);
  writeDataset(other, { images: new Uint8Array(10 * 784), count: 10, height: 28, width: 28, labels: new Int32Array(10), classes: fx.classes, meta: { source: 'x', split: 'test' } });
  await assert.rejects(
    runNodeInProcess(report, { params: {}, outputRoot: join(root, 'bad'), resumeDir: join(root, 'bad-r'), inputs: { metrics: [artifact(metricsDir)], predictions: [artifact(fx.predsDir)], dataset: [artifact(other)] } }),
    (e: unknown) => e instanceof NodeUserError && /rows/.test(e.message),
  );
});
