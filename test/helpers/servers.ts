/**
 * Real servers for the remote-cache and distributed tests, each on a free 127.0.0.1 port with its
 * files in a temp dir: nginx with WebDAV PUT (a Bazel HTTP cache) and redis-server. Debian paths
 * are tried first; .ci/run installs both packages.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export function findBinary(name: string, candidates: string[]): string {
  for (const c of candidates) if (existsSync(c)) return c;
  const r = spawnSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' });
  const found = r.stdout.trim();
  if (!found) throw new Error(`${name} is not installed (apt-get install ${name === 'nginx' ? 'nginx' : 'redis-server'}; .ci/run does this)`);
  return found;
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

async function waitForPort(port: number, ms: number, what: string, log: () => string): Promise<void> {
  const { connect } = await import('node:net');
  const t0 = Date.now();
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = connect(port, '127.0.0.1');
      s.once('connect', () => { s.destroy(); resolve(true); });
      s.once('error', () => resolve(false));
    });
    if (ok) return;
    if (Date.now() - t0 > ms) throw new Error(`${what} did not start on port ${port}:\n${log()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export interface NginxCache {
  url: string;
  /** Directory nginx serves: `cas/<digest>` and `ac/<key>` files appear under it. */
  root: string;
  stop(): Promise<void>;
}

/** nginx serving a directory with WebDAV PUT: enough of the Bazel HTTP cache protocol. */
export async function startNginxCache(): Promise<NginxCache> {
  const nginx = findBinary('nginx', ['/usr/sbin/nginx']);
  const dir = mkdtempSync(join(tmpdir(), 'dag-nginx-'));
  const root = join(dir, 'root');
  for (const d of [root, join(dir, 'body'), join(dir, 'proxy'), join(dir, 'fastcgi'), join(dir, 'uwsgi'), join(dir, 'scgi')]) mkdirSync(d, { recursive: true });
  const port = await freePort();
  // As root, nginx's workers would switch to nobody and lose write access to the temp dir.
  const user = process.getuid?.() === 0 ? 'user root;' : '';
  writeFileSync(join(dir, 'nginx.conf'), `
${user}
daemon off;
master_process on;
worker_processes 1;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;
events { worker_connections 256; }
http {
  access_log off;
  client_body_temp_path ${dir}/body;
  proxy_temp_path ${dir}/proxy;
  fastcgi_temp_path ${dir}/fastcgi;
  uwsgi_temp_path ${dir}/uwsgi;
  scgi_temp_path ${dir}/scgi;
  server {
    listen 127.0.0.1:${port};
    root ${root};
    client_max_body_size 0;
    location / {
      dav_methods PUT;
      create_full_put_path on;
      dav_access user:rw group:r all:r;
    }
  }
}
`);
  const child = spawn(nginx, ['-p', dir, '-c', join(dir, 'nginx.conf')], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
  const log = () => stderr + (existsSync(join(dir, 'error.log')) ? readFileSync(join(dir, 'error.log'), 'utf8') : '');
  await waitForPort(port, 10_000, 'nginx', log);
  return {
    url: `http://127.0.0.1:${port}`,
    root,
    stop: () => stopChild(child, 'SIGQUIT').then(() => rmSync(dir, { recursive: true, force: true })),
  };
}

export interface RedisServer {
  url: string;
  port: number;
  /** Kills the server (SIGKILL) without removing its directory, so it can be started again. */
  kill(): Promise<void>;
  /** Starts it again on the same port. */
  restart(): Promise<void>;
  stop(): Promise<void>;
}

export async function startRedis(): Promise<RedisServer> {
  const bin = findBinary('redis-server', ['/usr/bin/redis-server']);
  const dir = mkdtempSync(join(tmpdir(), 'dag-redis-'));
  const port = await freePort();
  let child: ChildProcess;
  let stderr = '';
  const launch = async () => {
    // No persistence: a restart is a Redis that lost everything, the harshest case for a coordinator.
    child = spawn(bin, ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', 'no', '--protected-mode', 'no'], { stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout!.on('data', (c: Buffer) => (stderr += c.toString()));
    child.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
    await waitForPort(port, 10_000, 'redis-server', () => stderr);
  };
  await launch();
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    kill: () => stopChild(child, 'SIGKILL'),
    restart: launch,
    stop: () => stopChild(child, 'SIGTERM').then(() => rmSync(dir, { recursive: true, force: true })),
  };
}

function stopChild(child: ChildProcess, signal: NodeJS.Signals): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const t = setTimeout(() => child.kill('SIGKILL'), 5000);
    child.once('exit', () => {
      clearTimeout(t);
      resolve();
    });
    child.kill(signal);
  });
}
