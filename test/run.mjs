// Runs every compiled test file with Node's own test runner. Node 20's `--test` takes no globs,
// so the files are listed here. Usage: node test/run.mjs [substring filter]
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';

const root = new URL('../dist/test', import.meta.url).pathname;
const filter = process.argv[2] ?? '';
function walk(dir) {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    return statSync(p).isDirectory() ? walk(p) : p.endsWith('.test.js') && p.includes(filter) ? [p] : [];
  });
}
const files = walk(root).sort();
if (files.length === 0) {
  console.error(`no test files under ${root} matching "${filter}"`);
  process.exit(1);
}
const r = spawnSync(process.execPath, ['--test', '--test-concurrency=2', ...files], { stdio: 'inherit' });
process.exit(r.status ?? 1);
