// A Sentinel process: the real redis-sentinel, or Vigil's bin/vigil-sentinel (a drop-in that takes
// the same sentinel.conf), on a loopback port in its own temp directory.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Redis, type RedisOptions } from 'ioredis';
import { onCleanup } from './cleanup.js';
import { ManagedProcess } from './managed-process.js';
import type { HostPort } from './redis-server.js';
import { pairsToRecord, respCommand, RespSubscriber, type RespArg, type RespValue } from './resp.js';
import { nowMs, waitForValue } from './wait.js';

export type SentinelKind = 'redis' | 'vigil';

export interface MonitoredMaster {
  name: string;
  host: string;
  port: number;
  quorum: number;
  /** sentinel down-after-milliseconds. Default 1000 (Sentinel's own default is 30 000). */
  downAfterMs?: number;
  /** sentinel failover-timeout. Default 10 000 (Sentinel's own default is 180 000). */
  failoverTimeoutMs?: number;
  /** sentinel parallel-syncs. Default 1. */
  parallelSyncs?: number;
  /** sentinel auth-pass. */
  authPass?: string;
  /** Further config lines for this master, verbatim (e.g. `sentinel notification-script <name> ...`). */
  extra?: string[];
}

export interface SentinelProcessOptions {
  /** 'redis' (default): /usr/bin/redis-sentinel. 'vigil': <repo>/bin/vigil-sentinel. */
  kind?: SentinelKind;
  /** Default: a free port chosen by the harness. */
  port?: number;
  dir?: string;
  masters: MonitoredMaster[];
  /** Extra top-level config lines, written before the `sentinel monitor` blocks. */
  extra?: string[];
  requirepass?: string;
  label?: string;
  /** Readiness deadline of each start. Default 10 000 ms. */
  startTimeoutMs?: number;
  /** Override the executable (for 'vigil', a script run with the current node). */
  binary?: string;
}

/** Root of the repository: the nearest ancestor of this file with the project's package.json. */
export function repoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  let firstWithPackage: string | undefined;
  for (;;) {
    const pkg = join(dir, 'package.json');
    if (existsSync(pkg)) {
      firstWithPackage ??= dir;
      try {
        const parsed = JSON.parse(readFileSync(pkg, 'utf8')) as { name?: unknown };
        if (parsed.name === 'vigil') return dir;
      } catch {
        // Not JSON: keep walking.
      }
    }
    const parent = dirname(dir);
    if (parent === dir) break;
    dir = parent;
  }
  if (firstWithPackage !== undefined) return firstWithPackage;
  throw new Error(`no package.json above ${fileURLToPath(import.meta.url)}`);
}

export interface SentinelEvent {
  /** 1-based position in the recorder. */
  seq: number;
  pattern: string | undefined;
  channel: string;
  payload: string;
  /** Receive time, nowMs() clock (comparable with ContinuousWriter timestamps). */
  at: number;
}

/** `<type> <name> <ip> <port> @ <master-name> <master-ip> <master-port>` as found in most event payloads. */
export interface InstanceDetails {
  type: string;
  name: string;
  host: string;
  port: number;
  master: { name: string; host: string; port: number } | undefined;
  /** Whatever follows (e.g. `#quorum 2/2`). */
  rest: string;
}

export function parseInstanceDetails(payload: string): InstanceDetails | undefined {
  const w = payload.trim().split(/\s+/);
  if (w.length < 4) return undefined;
  const port = Number(w[3]);
  if (!Number.isInteger(port)) return undefined;
  let master: InstanceDetails['master'];
  let restFrom = 4;
  if (w[4] === '@' && w.length >= 8) {
    master = { name: w[5]!, host: w[6]!, port: Number(w[7]) };
    restFrom = 8;
  }
  return { type: w[0]!, name: w[1]!, host: w[2]!, port, master, rest: w.slice(restFrom).join(' ') };
}

/** Collects every pub/sub message of a subscription, with receive timestamps. */
export class EventRecorder {
  readonly events: SentinelEvent[] = [];
  private readonly waiters = new Set<() => void>();
  private closedReason: string | undefined;
  private closer: (() => void) | undefined;

  /** @internal */
  constructor(readonly source: string) {}

  /** @internal */
  setCloser(fn: () => void): void {
    this.closer = fn;
  }

  /** Ends the subscription (recorded events stay available). */
  close(): void {
    this.closer?.();
  }

  /** @internal */
  record(m: { pattern: string | undefined; channel: string; payload: string }): void {
    this.events.push({ seq: this.events.length + 1, ...m, at: nowMs() });
    for (const w of [...this.waiters]) w();
  }

  /** @internal */
  markClosed(reason: string): void {
    this.closedReason = reason;
    for (const w of [...this.waiters]) w();
  }

  get closed(): boolean {
    return this.closedReason !== undefined;
  }

  /** Recorded events on `channel` (exact name or RegExp) matching `predicate`. */
  find(channel: string | RegExp, predicate?: (e: SentinelEvent) => boolean, fromSeq = 0): SentinelEvent[] {
    return this.events.filter(
      (e) =>
        e.seq > fromSeq &&
        (typeof channel === 'string' ? e.channel === channel : channel.test(e.channel)) &&
        (predicate === undefined || predicate(e)),
    );
  }

  /**
   * The first event (already recorded or still to come) on `channel` that matches `predicate`,
   * considering only events after `fromSeq`. Rejects at the deadline, listing what was received,
   * or as soon as the subscription closes.
   */
  waitForEvent(
    channel: string | RegExp,
    predicate?: (e: SentinelEvent) => boolean,
    timeoutMs = 10_000,
    fromSeq = 0,
  ): Promise<SentinelEvent> {
    return new Promise<SentinelEvent>((resolve, reject) => {
      const what = `event ${String(channel)}${predicate ? ' (with predicate)' : ''} from ${this.source}`;
      const check = (): void => {
        const hit = this.find(channel, predicate, fromSeq)[0];
        if (hit !== undefined) {
          finish();
          resolve(hit);
        } else if (this.closedReason !== undefined) {
          finish();
          reject(
            new Error(
              `subscription closed (${this.closedReason}) while waiting for ${what}\n${this.describe()}`,
            ),
          );
        }
      };
      const timer = setTimeout(() => {
        finish();
        reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}\n${this.describe()}`));
      }, timeoutMs);
      const finish = (): void => {
        clearTimeout(timer);
        this.waiters.delete(check);
      };
      this.waiters.add(check);
      check();
    });
  }

  /** The last `n` events, one per line, with times relative to the first. */
  describe(n = 30): string {
    const t0 = this.events[0]?.at ?? 0;
    const lines = this.events.slice(-n).map((e) => `  +${Math.round(e.at - t0)}ms ${e.channel} ${e.payload}`);
    return `received ${this.events.length} events${lines.length ? ':\n' + lines.join('\n') : ''}`;
  }
}

export class SentinelProcess extends ManagedProcess {
  readonly kind: SentinelKind;
  readonly requirepass: string | undefined;
  private readonly opts: SentinelProcessOptions;

  private constructor(opts: SentinelProcessOptions) {
    const kind = opts.kind ?? 'redis';
    super({
      label: opts.label ?? (kind === 'vigil' ? 'vigil-sentinel' : 'redis-sentinel'),
      port: opts.port,
      dir: opts.dir,
      configFile: 'sentinel.conf',
      logFile: 'sentinel.log',
      startTimeoutMs: opts.startTimeoutMs,
    });
    this.kind = kind;
    this.opts = opts;
    this.requirepass = opts.requirepass;
  }

  /** Writes sentinel.conf, starts the process and waits until PING answers. */
  static async start(opts: SentinelProcessOptions): Promise<SentinelProcess> {
    const s = new SentinelProcess(opts);
    await s.start();
    return s;
  }

  protected override renderConfig(): string {
    const q = (s: string): string => `"${s.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
    const lines = [
      '# Generated by the Vigil test harness.',
      'bind 127.0.0.1',
      `port ${this.port}`,
      'daemonize no',
      `dir ${q(this.dir)}`,
      `logfile ${q(this.logPath)}`,
      `pidfile ${q(join(this.dir, 'sentinel.pid'))}`,
    ];
    if (this.opts.requirepass !== undefined) lines.push(`requirepass ${q(this.opts.requirepass)}`);
    lines.push(...(this.opts.extra ?? []));
    for (const m of this.opts.masters) {
      lines.push(
        `sentinel monitor ${m.name} ${m.host} ${m.port} ${m.quorum}`,
        `sentinel down-after-milliseconds ${m.name} ${m.downAfterMs ?? 1000}`,
        `sentinel failover-timeout ${m.name} ${m.failoverTimeoutMs ?? 10_000}`,
        `sentinel parallel-syncs ${m.name} ${m.parallelSyncs ?? 1}`,
      );
      if (m.authPass !== undefined) lines.push(`sentinel auth-pass ${m.name} ${q(m.authPass)}`);
      lines.push(...(m.extra ?? []));
    }
    return `${lines.join('\n')}\n`;
  }

  protected override spawnCommand(): { file: string; args: string[] } {
    if (this.kind === 'vigil') {
      // VIGIL_SENTINEL_BIN: another build of Vigil (a benchmark's baseline, say).
      const script =
        this.opts.binary ?? process.env['VIGIL_SENTINEL_BIN'] ?? join(repoRoot(), 'bin', 'vigil-sentinel');
      return { file: process.execPath, args: [script, this.configPath] };
    }
    return {
      file: this.opts.binary ?? process.env['VIGIL_REDIS_SENTINEL'] ?? '/usr/bin/redis-sentinel',
      args: [this.configPath],
    };
  }

  protected override async probeReady(): Promise<boolean> {
    return (await this.commandWithTimeout(1000, 'PING')) === 'PONG';
  }

  /** One command on a fresh connection; an error reply throws a RespError. */
  command(...args: RespArg[]): Promise<RespValue> {
    return this.commandWithTimeout(5000, ...args);
  }

  commandWithTimeout(timeoutMs: number, ...args: RespArg[]): Promise<RespValue> {
    return respCommand(this.host, this.port, args, { password: this.requirepass, timeoutMs });
  }

  /** An ioredis client to the sentinel port (no reconnects, disconnected by cleanup). */
  client(options: RedisOptions = {}): Redis {
    const c = new Redis({
      host: this.host,
      port: this.port,
      password: this.requirepass,
      lazyConnect: false,
      retryStrategy: () => null,
      connectTimeout: 2000,
      ...options,
    });
    c.on('error', () => undefined);
    onCleanup(`disconnect client of ${this.label} ${this.addr}`, () => c.disconnect(), 'client');
    return c;
  }

  /** An ioredis client that finds master `name` through this sentinel (reconnects, follows failovers). */
  masterClient(name: string, options: RedisOptions = {}): Redis {
    const c = new Redis({ sentinels: [{ host: this.host, port: this.port }], name, ...options });
    c.on('error', () => undefined);
    onCleanup(`disconnect sentinel-aware client for ${name}`, () => c.disconnect(), 'client');
    return c;
  }

  /** SENTINEL MASTER <name> as field -> value. */
  async master(name: string): Promise<Record<string, string>> {
    return pairsToRecord(await this.command('SENTINEL', 'MASTER', name));
  }

  /** SENTINEL REPLICAS <name>. */
  async replicas(name: string): Promise<Record<string, string>[]> {
    const reply = await this.command('SENTINEL', 'REPLICAS', name);
    return (Array.isArray(reply) ? reply : []).map(pairsToRecord);
  }

  /** SENTINEL SENTINELS <name> (the other sentinels this one knows). */
  async sentinels(name: string): Promise<Record<string, string>[]> {
    const reply = await this.command('SENTINEL', 'SENTINELS', name);
    return (Array.isArray(reply) ? reply : []).map(pairsToRecord);
  }

  /** SENTINEL GET-MASTER-ADDR-BY-NAME, null when unknown. */
  async masterAddr(name: string): Promise<HostPort | null> {
    const reply = await this.command('SENTINEL', 'GET-MASTER-ADDR-BY-NAME', name);
    if (!Array.isArray(reply) || reply.length < 2) return null;
    return { host: String(reply[0]), port: Number(reply[1]) };
  }

  /** Waits until SENTINEL REPLICAS lists at least `count` replicas of `name`; returns them. */
  waitForReplicas(name: string, count: number, timeoutMs = 10_000): Promise<Record<string, string>[]> {
    return waitForValue(
      () => this.replicas(name),
      (r) => r.length >= count,
      { what: `${this.label} ${this.addr} to know ${count} replicas of ${name}`, timeoutMs },
    );
  }

  /** Waits until SENTINEL SENTINELS lists at least `count` other sentinels for `name`. */
  waitForSentinels(name: string, count: number, timeoutMs = 10_000): Promise<Record<string, string>[]> {
    return waitForValue(
      () => this.sentinels(name),
      (r) => r.length >= count,
      { what: `${this.label} ${this.addr} to know ${count} other sentinels of ${name}`, timeoutMs },
    );
  }

  /**
   * Subscribes (PSUBSCRIBE for a pattern with `*`, else SUBSCRIBE) and records every message.
   * Resolves once the subscription is acknowledged; closed by cleanup.
   */
  async subscribe(pattern = '*'): Promise<EventRecorder> {
    const recorder = new EventRecorder(`${this.label} ${this.addr}`);
    const sub = new RespSubscriber(this.host, this.port, [pattern], (m) => recorder.record(m), {
      password: this.requirepass,
      timeoutMs: 5000,
    });
    recorder.setCloser(() => sub.destroy());
    const unregister = onCleanup(
      `close subscription to ${this.label} ${this.addr}`,
      () => sub.destroy(),
      'other',
    );
    void sub.closed.then((reason) => {
      recorder.markClosed(reason?.message ?? 'connection closed');
      unregister();
    });
    await sub.ready;
    return recorder;
  }
}
