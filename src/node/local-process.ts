/**
 * Local redis-server and monitor processes started from config files Vigil writes: used by the
 * demo and by the `local` node lifecycle driver. Every process is stopped on exit.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';

const live = new Set<ChildProcess>();
let hooked = false;

function track(child: ChildProcess): void {
  live.add(child);
  child.on('exit', () => live.delete(child));
  if (!hooked) {
    hooked = true;
    process.on('exit', () => {
      for (const c of live) c.kill('SIGKILL');
    });
  }
}

/** SIGTERM, then SIGKILL after 5 s if the process has not exited. */
async function stopChild(c: ChildProcess | undefined): Promise<void> {
  if (!c || c.exitCode !== null || c.signalCode !== null) return;
  const exited = new Promise<void>((r) => c.once('exit', () => r()));
  c.kill('SIGTERM');
  const t = setTimeout(() => c.kill('SIGKILL'), 5000);
  await exited;
  clearTimeout(t);
}

export async function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const s = net.createServer();
    s.once('error', rej);
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      const port = typeof a === 'object' && a ? a.port : 0;
      s.close(() => res(port));
    });
  });
}

export async function waitUntil(
  what: string,
  cond: () => Promise<boolean>,
  timeoutMs: number,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      if (await cond()) return;
    } catch (e) {
      last = e;
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(
    `timed out after ${timeoutMs} ms waiting for ${what}${last instanceof Error ? ` (last error: ${last.message})` : ''}`,
  );
}

export async function ping(port: number): Promise<boolean> {
  const c = new Redis({
    port,
    host: '127.0.0.1',
    lazyConnect: true,
    retryStrategy: () => null,
    maxRetriesPerRequest: 0,
    protocol: 2,
  });
  c.on('error', () => undefined);
  try {
    await c.connect();
    return (await c.ping()) === 'PONG';
  } finally {
    c.disconnect();
  }
}

export interface LocalRedisOptions {
  port: number;
  dir: string;
  replicaOf?: { host: string; port: number } | undefined;
  /** Extra config lines. */
  extra?: readonly string[] | undefined;
}

/** A redis-server run from a config file in its own directory. */
export class LocalRedis {
  child: ChildProcess | undefined;
  readonly configPath: string;

  constructor(readonly opts: LocalRedisOptions) {
    this.configPath = join(opts.dir, 'redis.conf');
  }

  get port(): number {
    return this.opts.port;
  }

  writeConfig(): void {
    mkdirSync(this.opts.dir, { recursive: true });
    const lines = [
      `port ${this.opts.port}`,
      'bind 127.0.0.1',
      `dir ${this.opts.dir}`,
      'daemonize no',
      `logfile ${join(this.opts.dir, 'redis.log')}`,
      'appendonly yes',
      ...(this.opts.replicaOf ? [`replicaof ${this.opts.replicaOf.host} ${this.opts.replicaOf.port}`] : []),
      ...(this.opts.extra ?? []),
    ];
    writeFileSync(this.configPath, lines.join('\n') + '\n');
  }

  async start(): Promise<void> {
    this.child = spawn('redis-server', [this.configPath], { stdio: 'ignore' });
    track(this.child);
    await waitUntil(`redis-server on port ${this.port}`, () => ping(this.port), 10_000);
  }

  kill9(): void {
    this.child?.kill('SIGKILL');
  }

  stop(): Promise<void> {
    return stopChild(this.child);
  }
}

function repoRoot(): string {
  return resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
}

/** A Vigil monitor process run from a sentinel.conf in its own directory. */
export class LocalMonitor {
  child: ChildProcess | undefined;
  readonly configPath: string;

  constructor(
    readonly port: number,
    readonly dir: string,
    readonly lines: readonly string[],
  ) {
    this.configPath = join(dir, 'sentinel.conf');
  }

  writeConfig(): void {
    mkdirSync(this.dir, { recursive: true });
    writeFileSync(
      this.configPath,
      [`port ${this.port}`, 'bind 127.0.0.1', `logfile ${join(this.dir, 'vigil.log')}`, ...this.lines].join(
        '\n',
      ) + '\n',
    );
  }

  async start(): Promise<void> {
    this.child = spawn(process.execPath, [join(repoRoot(), 'bin', 'vigil-sentinel'), this.configPath], {
      stdio: 'ignore',
    });
    track(this.child);
    await waitUntil(`Vigil monitor on port ${this.port}`, () => ping(this.port), 10_000);
  }

  stop(): Promise<void> {
    return stopChild(this.child);
  }
}
