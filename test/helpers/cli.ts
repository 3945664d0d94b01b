/** Runs the real `dag` binary in temporary workspaces: the tests exercise what a user runs. */
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));
export const dagBin = join(repoRoot, 'bin', 'dag.js');
/** Project-local test nodes (plain ESM), found through DAG_NODE_PATH like a user's own nodes. */
export const fixtureNodes = join(repoRoot, 'test', 'fixtures', 'nodes');
export const sharedData = join(repoRoot, '..', 'shared', 'data', 'quickdraw');

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** A fresh project directory (marked with .dag/ as its root) holding the given files. */
export function makeProject(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'dag-test-'));
  mkdirSync(join(dir, '.dag'));
  writeProjectFiles(dir, files);
  return dir;
}

export function writeProjectFiles(dir: string, files: Record<string, string>): void {
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, name)), { recursive: true });
    writeFileSync(join(dir, name), text);
  }
}

export function read(dir: string, name: string): string {
  return readFileSync(join(dir, name), 'utf8');
}

function env(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const e: NodeJS.ProcessEnv = { ...process.env, DAG_NODE_PATH: fixtureNodes, CI: 'true' };
  delete e.DAG_CACHE;
  return { ...e, ...extra };
}

export function dag(cwd: string, args: string[], extraEnv: Record<string, string> = {}): CliResult {
  const r = spawnSync(process.execPath, [dagBin, ...args], { cwd, env: env(extraEnv), encoding: 'utf8', timeout: 120_000 });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

/** Starts `dag` without waiting; for kill, Ctrl-C and concurrency tests. */
export function dagAsync(cwd: string, args: string[], extraEnv: Record<string, string> = {}) {
  const child = spawn(process.execPath, [dagBin, ...args], { cwd, env: env(extraEnv), stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  const done = new Promise<CliResult>((resolve) => child.on('close', (code, signal) => resolve({ code: code ?? (signal ? 128 : -1), stdout, stderr })));
  return { child, done, output: () => ({ stdout, stderr }) };
}

/** Polls until `check` holds (a file appears, a line is printed), failing after `ms`. */
export async function waitFor(check: () => boolean, ms = 30_000, what = 'condition'): Promise<void> {
  const t0 = Date.now();
  while (!check()) {
    if (Date.now() - t0 > ms) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

interface HistoryFile {
  runs: { id: string; status: string; stages: { stageId: string; outcome: string; key?: string }[] }[];
}

export function history(dir: string): HistoryFile['runs'] {
  return (JSON.parse(read(dir, 'cache/history.json')) as HistoryFile).runs;
}

/** stageId → outcome of the last run. */
export function lastRunOutcomes(dir: string): Record<string, string> {
  const runs = history(dir);
  return Object.fromEntries(runs.at(-1)!.stages.map((s) => [s.stageId, s.outcome]));
}

export function statusJson(dir: string, args: string[]): { stageId: string; state: string; reasons: string[]; key?: string }[] {
  const r = dag(dir, ['status', ...args, '--json']);
  if (r.code !== 0) throw new Error(`status failed: ${r.stderr}`);
  return JSON.parse(r.stdout);
}
