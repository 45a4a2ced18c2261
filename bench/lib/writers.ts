/**
 * The writers of the benchmarks: ioredis, node-redis and redis-py clients with Sentinel discovery,
 * set up the way an application would for failovers, behind one interface whose records are all
 * on the bench's clock (nowMs()).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { Redis } from 'ioredis';
import { Redis as IORedis } from 'ioredis';
import { createSentinel } from 'redis';
import {
  ContinuousWriter,
  makeTempDir,
  nowMs,
  onCleanup,
  repoRoot,
  trackPid,
  untrackPid,
  withTimeout,
  type WriteRecord,
} from '../../test/harness/index.js';

export type Library = 'ioredis' | 'node-redis' | 'redis-py';
export const LIBRARIES: readonly Library[] = ['ioredis', 'node-redis', 'redis-py'];

/** What every writer of a run shares: the group's name and the client settings. */
export interface WriterConfig {
  name: string;
  /** A write not acknowledged within this long counts as failed (and the next one follows). */
  writeTimeoutMs: number;
  /** Pause after a failed write. */
  errorBackoffMs: number;
  /** Reconnect delay of the ioredis and node-redis clients (redis-py reconnects on the next write). */
  reconnectMs: number;
}

export function makeWriter(library: Library, cfg: WriterConfig, setup: WriterSetup): BenchWriter {
  switch (library) {
    case 'ioredis':
      return ioredisWriter(cfg, setup);
    case 'node-redis':
      return nodeRedisWriter(cfg, setup);
    case 'redis-py':
      return new RedisPyWriter(setup.id, cfg, setup);
  }
}

export interface SentinelWriterOptions {
  sentinels: readonly { host: string; port: number }[];
  name: string;
  /** Reconnect (asking the monitors for the primary again) this long after a lost connection. */
  reconnectMs: number;
  /** A write not acknowledged within this long fails. */
  commandTimeoutMs: number;
  /**
   * ioredis's documented setting for failovers: a write refused by a demoted primary (READONLY)
   * reconnects, asking the monitors again, and is sent again.
   */
  reconnectOnReadonly: boolean;
}

export function sentinelWriterClient(o: SentinelWriterOptions): Redis {
  const c = new IORedis({
    sentinels: o.sentinels.map((s) => ({ host: s.host, port: s.port })),
    name: o.name,
    retryStrategy: () => o.reconnectMs,
    sentinelRetryStrategy: () => o.reconnectMs,
    sentinelCommandTimeout: 500,
    connectTimeout: 1000,
    commandTimeout: o.commandTimeoutMs,
    maxRetriesPerRequest: 1,
    ...(o.reconnectOnReadonly
      ? { reconnectOnError: (err: Error) => (err.message.startsWith('READONLY') ? 2 : false) }
      : {}),
  });
  c.on('error', () => undefined);
  return c;
}

export interface LongWriterOptions {
  id: string;
  /** A client to share, or a factory (the writer then owns the client). */
  client: Redis | (() => Redis);
  commandTimeoutMs: number;
  errorBackoffMs: number;
  maxDurationMs: number;
  /** Gaps longer than this are listed in the writer's report. */
  gapThresholdMs?: number | undefined;
}

/** A ContinuousWriter for a whole run: back-to-back SETs bounded by time, not by a write count. */
export function longWriter(o: LongWriterOptions): ContinuousWriter {
  return new ContinuousWriter({
    writerId: o.id,
    client: o.client,
    commandTimeoutMs: o.commandTimeoutMs,
    errorBackoffMs: o.errorBackoffMs,
    maxDurationMs: o.maxDurationMs,
    maxWrites: 50_000_000,
    ...(o.gapThresholdMs !== undefined ? { gapThresholdMs: o.gapThresholdMs } : {}),
  });
}

// Writers: one interface over the harness's ContinuousWriter (ioredis, node-redis) and a redis-py
// child process. Every record is on the bench's clock (nowMs()).

export interface BenchWriter {
  readonly library: Library;
  readonly id: string;
  start(): Promise<void>;
  /** Every write so far, in send order. */
  records(): readonly WriteRecord[];
  acknowledged(): number;
  /** Stops writing, waits for the write in flight, closes the client. */
  stop(): Promise<void>;
  /** Anything that went wrong with the writer itself (not with its writes). */
  problems(): string[];
}

/** The harness's ContinuousWriter, with what closes the client it writes through. */
class HarnessWriter implements BenchWriter {
  constructor(
    readonly library: Library,
    readonly id: string,
    private readonly writer: ContinuousWriter,
    private readonly before: () => Promise<void>,
    private readonly after: () => Promise<void>,
  ) {}

  async start(): Promise<void> {
    await this.before();
    this.writer.start();
  }

  records(): readonly WriteRecord[] {
    return this.writer.records;
  }

  acknowledged(): number {
    return this.writer.acknowledged;
  }

  async stop(): Promise<void> {
    if (this.writer.running) await this.writer.stop();
    await this.after();
  }

  problems(): string[] {
    return [];
  }
}

export interface WriterSetup {
  id: string;
  sentinels: { host: string; port: number }[];
  maxDurationMs: number;
}

function ioredisWriter(cfg: WriterConfig, s: WriterSetup): BenchWriter {
  const writer = longWriter({
    id: s.id,
    client: () =>
      sentinelWriterClient({
        sentinels: s.sentinels,
        name: cfg.name,
        reconnectMs: cfg.reconnectMs,
        commandTimeoutMs: cfg.writeTimeoutMs,
        reconnectOnReadonly: true,
      }),
    commandTimeoutMs: cfg.writeTimeoutMs,
    errorBackoffMs: cfg.errorBackoffMs,
    maxDurationMs: s.maxDurationMs,
  });
  return new HarnessWriter(
    'ioredis',
    s.id,
    writer,
    () => Promise.resolve(),
    () => Promise.resolve(),
  );
}

function nodeRedisWriter(cfg: WriterConfig, s: WriterSetup): BenchWriter {
  const socket = { connectTimeout: 1000, reconnectStrategy: () => cfg.reconnectMs };
  const client = createSentinel({
    name: cfg.name,
    sentinelRootNodes: s.sentinels,
    nodeClientOptions: { socket },
    sentinelClientOptions: { socket },
  });
  client.on('error', () => undefined);
  let unregister: (() => void) | undefined;
  const close = async (): Promise<void> => {
    unregister?.();
    unregister = undefined;
    await withTimeout(client.destroy(), 5000, `node-redis client ${s.id} to close`).catch(() => undefined);
  };
  // ContinuousWriter drives an ioredis-shaped client; with a shared client it calls only
  // set(key, value), which node-redis's sentinel client has with the same meaning.
  const shim = { set: (key: string, value: string) => client.set(key, value) } as unknown as Redis;
  const writer = longWriter({
    id: s.id,
    client: shim,
    commandTimeoutMs: cfg.writeTimeoutMs,
    errorBackoffMs: cfg.errorBackoffMs,
    maxDurationMs: s.maxDurationMs,
  });
  return new HarnessWriter(
    'node-redis',
    s.id,
    writer,
    async () => {
      unregister = onCleanup(`close node-redis client ${s.id}`, () => close(), 'client');
      await withTimeout(client.connect(), 15_000, `node-redis client ${s.id} to connect`);
    },
    close,
  );
}

/** bench/switchover_writer.py in a child process; its lines carry times of CLOCK_MONOTONIC. */
export class RedisPyWriter implements BenchWriter {
  readonly library = 'redis-py' as const;
  private readonly recs: WriteRecord[] = [];
  private acked = 0;
  private child: ChildProcess | undefined;
  private exited: Promise<void> = Promise.resolve();
  private running = false;
  private stderr = '';
  private readonly issues: string[] = [];
  /** nowMs() - CLOCK_MONOTONIC in ms: Python's time.monotonic() and Node's hrtime are that clock. */
  private readonly clockOffset: number;

  constructor(
    readonly id: string,
    private readonly cfg: WriterConfig,
    private readonly setup: WriterSetup,
  ) {
    this.clockOffset = nowMs() - Number(process.hrtime.bigint()) / 1e6;
  }

  start(): Promise<void> {
    const script = join(repoRoot(), 'bench', 'switchover_writer.py');
    const python = process.env['VIGIL_PYTHON'] ?? '/usr/bin/python3';
    const dir = makeTempDir(`redis-py-${this.id}`);
    const args = [
      script,
      this.setup.sentinels.map((x) => `${x.host}:${x.port}`).join(','),
      this.cfg.name,
      `w:${this.id}`,
      String(this.cfg.writeTimeoutMs),
      String(Math.ceil(this.setup.maxDurationMs / 1000)),
    ];
    const child = spawn(python, args, { cwd: dir, stdio: ['pipe', 'pipe', 'pipe'] });
    this.child = child;
    this.running = true;
    const pid = child.pid;
    if (pid !== undefined) trackPid(pid, `redis-py writer ${this.id}`, dir);
    const unregister = onCleanup(`stop redis-py writer ${this.id}`, () => this.stop(), 'process');
    this.exited = new Promise<void>((resolve) => {
      child.once('close', (code, signal) => {
        this.running = false;
        if (pid !== undefined) untrackPid(pid);
        unregister();
        if (code !== 0) {
          this.issues.push(
            `redis-py writer ${this.id} exited (${signal ?? `code ${code}`}): ${this.stderr.trim().slice(-500)}`,
          );
        }
        resolve();
      });
      child.once('error', (err) => {
        this.running = false;
        this.issues.push(`redis-py writer ${this.id}: ${err.message}`);
        resolve();
      });
    });
    child.stdin?.on('error', () => undefined);
    child.stderr?.on('data', (d: Buffer) => {
      this.stderr = (this.stderr + d.toString()).slice(-4000);
    });
    if (child.stdout !== null) createInterface({ input: child.stdout }).on('line', (l) => this.onLine(l));
    return Promise.resolve();
  }

  private onLine(line: string): void {
    const w = line.split(' ');
    const seq = Number(w[1]);
    const sentAt = Number(w[2]) + this.clockOffset;
    const at = Number(w[3]) + this.clockOffset;
    const key = `w:${this.id}:${seq}`;
    if (w[0] === 'ok') {
      this.recs.push({ seq, key, sentAt, ackAt: at });
      this.acked++;
    } else if (w[0] === 'err') {
      const error = w.slice(4).join(' ');
      this.recs.push({ seq, key, sentAt, failedAt: at, error, timedOut: /timeout/i.test(error) });
    } else if (w[0] !== 'end') {
      this.issues.push(`redis-py writer ${this.id}: unexpected line '${line.slice(0, 200)}'`);
    }
  }

  records(): readonly WriteRecord[] {
    return this.recs;
  }

  acknowledged(): number {
    return this.acked;
  }

  async stop(): Promise<void> {
    const child = this.child;
    if (child === undefined) return;
    if (this.running) {
      child.stdin?.end();
      try {
        await withTimeout(this.exited, this.cfg.writeTimeoutMs + 4000, `redis-py writer ${this.id} to exit`);
      } catch {
        child.kill('SIGKILL');
      }
    }
    await withTimeout(this.exited, 5000, `redis-py writer ${this.id} to exit`);
  }

  problems(): string[] {
    return this.issues;
  }
}
