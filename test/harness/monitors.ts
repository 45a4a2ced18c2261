// A replication group watched by several monitors (Vigil, redis-sentinel or a mix), each with a
// recorded event subscription; and the checks the failover tests share: agreement of every monitor
// on one primary and epoch, roles of the nodes, and a dump of everything for failure messages.
import assert from 'node:assert/strict';
import { Redis } from 'ioredis';
import { RedisGroup } from './group.js';
import type { Persistence, RedisServer } from './redis-server.js';
import {
  SentinelProcess,
  type EventRecorder,
  type SentinelEvent,
  type SentinelKind,
} from './sentinel-process.js';
import { waitFor, waitForValue } from './wait.js';
import type { ContinuousWriter } from './writer.js';

/** A monitor and every subscription made to it (a restarted monitor gets a new one). */
export interface Watched {
  monitor: SentinelProcess;
  recorders: EventRecorder[];
}

export interface MonitorClusterOptions {
  /** One monitor per entry, in this order. */
  kinds: SentinelKind[];
  quorum: number;
  downAfterMs: number;
  failoverTimeoutMs: number;
  /** Default 2. */
  replicas?: number;
  /** Default `mymaster`. */
  name?: string;
  /** Persistence of every node. Default 'none'. */
  persistence?: Persistence;
  /** Runs once the group is replicating, before any monitor starts (e.g. CONFIG SET on a node). */
  beforeMonitors?: (group: RedisGroup) => Promise<void>;
}

/** What one monitor says about the primary. */
export interface MonitorView {
  label: string;
  /** Port from GET-MASTER-ADDR-BY-NAME. */
  addrPort: number | undefined;
  /** ip and port from SENTINEL MASTER. */
  ip: string | undefined;
  port: number;
  epoch: number;
  flags: string;
}

export class MonitorCluster {
  private constructor(
    readonly group: RedisGroup,
    readonly watched: Watched[],
    readonly name: string,
  ) {}

  /**
   * Starts the group and the monitors, waits until every monitor knows every replica and every
   * other monitor, and subscribes to each one's events.
   */
  static async start(opts: MonitorClusterOptions): Promise<MonitorCluster> {
    const name = opts.name ?? 'mymaster';
    const replicas = opts.replicas ?? 2;
    const group = await RedisGroup.start({ replicas, persistence: opts.persistence ?? 'none' });
    await opts.beforeMonitors?.(group);
    const spec = group.monitorSpec(name, {
      quorum: opts.quorum,
      downAfterMs: opts.downAfterMs,
      failoverTimeoutMs: opts.failoverTimeoutMs,
    });
    const monitors = await Promise.all(
      opts.kinds.map((kind, i) =>
        SentinelProcess.start({ kind, label: `${kind}-${i + 1}`, masters: [spec], startTimeoutMs: 20_000 }),
      ),
    );
    await Promise.all(
      monitors.map(async (m) => {
        await m.waitForReplicas(name, replicas, 15_000);
        await m.waitForSentinels(name, monitors.length - 1, 15_000);
      }),
    );
    const c = new MonitorCluster(
      group,
      monitors.map((monitor) => ({ monitor, recorders: [] })),
      name,
    );
    for (const w of c.watched) await c.subscribe(w);
    return c;
  }

  get monitors(): SentinelProcess[] {
    return this.watched.map((w) => w.monitor);
  }

  /** The monitors whose process is running. */
  live(): Watched[] {
    return this.watched.filter((w) => w.monitor.running);
  }

  byLabel(label: string): Watched {
    const w = this.watched.find((x) => x.monitor.label === label);
    assert.ok(w, `no monitor labelled ${label}`);
    return w;
  }

  /** Adds a subscription (after a restart, for example). */
  async subscribe(w: Watched): Promise<void> {
    w.recorders.push(await w.monitor.subscribe('*'));
  }

  /** Events on `channel` received from this monitor at or after `since`. */
  events(w: Watched, channel: string, since: number): SentinelEvent[] {
    return w.recorders.flatMap((r) => r.find(channel, (e) => e.at >= since));
  }

  /** Events on `channel` from every monitor at or after `since`, with the monitor's label. */
  all(channel: string, since: number): { label: string; event: SentinelEvent }[] {
    return this.watched.flatMap((w) =>
      this.events(w, channel, since).map((event) => ({ label: w.monitor.label, event })),
    );
  }

  /** Waits until every given monitor (default: every running one) has published `channel` since `since`. */
  async waitForEveryone(
    channel: string,
    since: number,
    opts: { predicate?: (e: SentinelEvent) => boolean; timeoutMs?: number; monitors?: Watched[] } = {},
  ): Promise<void> {
    const who = opts.monitors ?? this.live();
    const ok = (e: SentinelEvent): boolean => opts.predicate === undefined || opts.predicate(e);
    await waitFor(() => who.every((w) => this.events(w, channel, since).some(ok)), {
      what: `${channel} from ${who.map((w) => w.monitor.label).join(', ')}`,
      timeoutMs: opts.timeoutMs ?? 20_000,
      intervalMs: 20,
    });
  }

  /** What one monitor says about the primary. */
  async view(m: SentinelProcess): Promise<MonitorView> {
    const [addr, master] = await Promise.all([m.masterAddr(this.name), m.master(this.name)]);
    return {
      label: m.label,
      addrPort: addr?.port,
      ip: master['ip'],
      port: Number(master['port']),
      epoch: Number(master['config-epoch']),
      flags: master['flags'] ?? '',
    };
  }

  /**
   * Waits until every given monitor (default: every running one) names the same primary (other
   * than `notPort`) in both GET-MASTER-ADDR-BY-NAME and SENTINEL MASTER, with the same config
   * epoch and flags `master` (no failover in progress, not down); then until that node is the only
   * one whose ROLE says master and every other running node replicates from it with its link up.
   */
  async waitForAgreement(
    opts: { monitors?: SentinelProcess[]; notPort?: number; timeoutMs?: number } = {},
  ): Promise<{ primary: RedisServer; epoch: number }> {
    const monitors = opts.monitors ?? this.live().map((w) => w.monitor);
    const timeoutMs = opts.timeoutMs ?? 20_000;
    const views = await waitForValue(
      () => Promise.all(monitors.map((m) => this.view(m))),
      (vs) =>
        vs.every(
          (v) =>
            v.addrPort === vs[0]!.addrPort &&
            v.port === v.addrPort &&
            v.ip === '127.0.0.1' &&
            v.port !== opts.notPort &&
            v.epoch === vs[0]!.epoch &&
            v.flags === 'master',
        ),
      {
        what: `${monitors.map((m) => m.label).join(', ')} to agree on the primary and its epoch`,
        timeoutMs,
      },
    );
    const port = views[0]!.port;
    const primary = this.group.nodeByPort(port);
    assert.ok(primary, `the monitors name ${port}, which is none of the group's nodes`);
    await waitFor(
      async () => {
        const masters = await this.group.masters();
        return masters.length === 1 && masters[0] === primary;
      },
      { what: `${primary.label} ${primary.addr} to be the only node with role master`, timeoutMs },
    );
    await this.group.waitForReplication({ primary, timeoutMs });
    return { primary, epoch: views[0]!.epoch };
  }

  /** A sentinel-aware ioredis client that knows every monitor, with short retries. */
  client(): Redis {
    const client = new Redis({
      sentinels: this.monitors.map((m) => ({ host: m.host, port: m.port })),
      name: this.name,
      retryStrategy: () => 50,
      sentinelRetryStrategy: () => 50,
      sentinelCommandTimeout: 500,
      connectTimeout: 1000,
      commandTimeout: 1000,
      maxRetriesPerRequest: 1,
    });
    client.on('error', () => undefined);
    return client;
  }

  /** Every monitor's events and log tail, and every node's role: what a failing test should show. */
  async dump(): Promise<string> {
    const parts: string[] = [];
    for (const w of this.watched) {
      const m = w.monitor;
      const lines = w.recorders.flatMap((r) => r.events);
      const t0 = lines[0]?.at ?? 0;
      parts.push(
        `=== ${m.label} ${m.addr} (${m.running ? 'running' : 'stopped'}) events:\n` +
          lines
            .slice(-80)
            .map((e) => `  +${Math.round(e.at - t0)}ms ${e.channel} ${e.payload}`)
            .join('\n') +
          `\n--- log tail:\n${m.logTail(40)}`,
      );
    }
    const roles = await this.group.roles();
    parts.push(
      '=== nodes:\n' +
        this.group.nodes
          .map((n) => {
            const r = roles.get(n);
            const what =
              r === undefined
                ? 'stopped'
                : r instanceof Error
                  ? r.message
                  : r.role === 'replica'
                    ? `replica of ${r.masterPort} (${r.state})`
                    : r.role;
            return `  ${n.label} ${n.addr}: ${what}`;
          })
          .join('\n'),
    );
    return parts.join('\n');
  }

  /** Runs `fn`; on failure, rethrows with every monitor's events and log tail and the nodes' roles. */
  async withDump(fn: () => Promise<void>): Promise<void> {
    try {
      await fn();
    } catch (err) {
      const msg = err instanceof Error ? (err.stack ?? err.message) : String(err);
      const dump = await this.dump().catch((e: unknown) => `(dump failed: ${String(e)})`);
      throw new Error(`${msg}\n${dump}`, { cause: err });
    }
  }
}

/** Writes acknowledged at or after `since` that are missing from `node`. */
export async function missingAckedSince(
  writer: ContinuousWriter,
  since: number,
  node: RedisServer,
): Promise<string[]> {
  const keys = writer.records.filter((r) => r.ackAt !== undefined && r.ackAt >= since).map((r) => r.key);
  const client = node.client();
  const missing: string[] = [];
  try {
    for (let i = 0; i < keys.length; i += 500) {
      const batch = keys.slice(i, i + 500);
      const values = await client.mget(batch);
      batch.forEach((k, j) => {
        if (values[j] === null || values[j] === undefined) missing.push(k);
      });
    }
  } finally {
    client.disconnect();
  }
  return missing;
}
