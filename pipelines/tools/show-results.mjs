#!/usr/bin/env node
// Last stage of the shipped pipelines: copies the HTML report out of the store into the workspace
// and states the headline numbers and where the report is. Also reports them as stage metrics, so
// `dag runs` / the plain reporter show them on a cached rerun too.
// Usage: show-results.mjs <eval metrics dir> <report dir> <destination dir>
import { cpSync, existsSync, readFileSync, rmSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

const [metricsDir, reportDir, dest] = process.argv.slice(2);
if (!metricsDir || !reportDir || !dest) {
  console.error('usage: show-results.mjs <eval metrics dir> <report dir> <destination dir>');
  process.exit(2);
}
const m = JSON.parse(readFileSync(join(metricsDir, 'metrics.json'), 'utf8'));
rmSync(dest, { recursive: true, force: true });
cpSync(reportDir, dest, { recursive: true });
const report = resolve(dest, 'index.html');
// The report's path as the user sees it from the project root (the folder holding .dag/).
let root = process.cwd();
while (!existsSync(join(root, '.dag')) && dirname(root) !== root) root = dirname(root);
const shown = existsSync(join(root, '.dag')) ? relative(root, report) : report;
const pct = (x) => (typeof x === 'number' ? `${(100 * x).toFixed(1)}%` : 'n/a');
const thirds = m.head_acc != null ? `; head ${pct(m.head_acc)}, middle ${pct(m.middle_acc)}, tail ${pct(m.tail_acc)}` : '';
console.log(`accuracy ${pct(m.accuracy)} (balanced ${pct(m.balanced_accuracy)}${thirds}) on ${m.labeled} test drawings`);
console.log(`report: ${shown}`);
console.log(`##dag metrics ${JSON.stringify({ accuracy: m.accuracy, report: shown, balanced_accuracy: m.balanced_accuracy })}`);
