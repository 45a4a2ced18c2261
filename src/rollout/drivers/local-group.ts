/**
 * A replication group on this machine run the way the `local` driver expects: one directory per
 * process under a root, each with its config file and a `vigil node` supervisor. Used by the
 * demo, the tests and the benchmarks; `vigil rollout --local-root <root>` restarts it.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { connect } from '../../node/connect.js';
import { freePort, ping, waitUntil } from '../../node/local-process.js';
import { readNodeState, spawnSupervisor, stopSupervisedDirs, type NodeState } from '../../node/supervised.js';

export interface LocalGroupOptions {
  root: string;
  name?: string | undefined;
  replicas?: number | undefined;
  monitors?: number | undefined;
  quorum?: number | undefined;
  downAfterMs?: number | undefined;
  failoverTimeoutMs?: number | undefined;
  /** Config lines for every data node (persistence is appendonly unless overridden here). */
  extra?: readonly string[] | undefined;
  /** Lines for every monitor's sentinel.conf. */
  monitorExtra?: readonly string[] | undefined;
  ports?: number[] | undefined;
  /** Run this monitor executable instead of Vigil's (e.g. redis-sentinel, for comparisons). */
  monitorServer?: string | undefined;
  /** Data node supervisors hand the primary role over when stopped. Default true. */
  handover?: boolean | undefined;
  /** On a restart, supervisors keep their server down this long. Default 0. */
  restartDelayMs?: number | undefined;
}

export interface LocalProcess {
  dir: string;
  port: number;
}

export class LocalGroup {
  private constructor(
    readonly root: string,
    readonly name: string,
    readonly data: LocalProcess[],
    readonly monitors: LocalProcess[],
  ) {}

  static async start(opts: LocalGroupOptions): Promise<LocalGroup> {
    const name = opts.name ?? 'mymaster';
    const nReplicas = opts.replicas ?? 2;
    const nMonitors = opts.monitors ?? 3;
    const ports: number[] = [];
    for (let i = 0; i < 1 + nReplicas + nMonitors; i++) ports.push(opts.ports?.[i] ?? (await freePort()));
    const data = ports
      .slice(0, 1 + nReplicas)
      .map((port, i) => ({ dir: join(opts.root, `redis-${i + 1}`), port }));
    const monitors = ports
      .slice(1 + nReplicas)
      .map((port, i) => ({ dir: join(opts.root, `monitor-${i + 1}`), port }));
    const group = new LocalGroup(opts.root, name, data, monitors);
    const primary = data[0]!;
    const monitorList = monitors.map((m) => `127.0.0.1:${m.port}`).join(',');
    try {
      for (const [i, n] of data.entries()) {
        mkdirSync(n.dir, { recursive: true });
        const lines = [
          `port ${n.port}`,
          'bind 127.0.0.1',
          `dir ${n.dir}`,
          `logfile ${join(n.dir, 'redis.log')}`,
          'appendonly yes',
          'repl-diskless-sync-delay 0',
          ...(i > 0 ? [`replicaof 127.0.0.1 ${primary.port}`] : []),
          ...(opts.extra ?? []),
        ];
        // The operator's settings (node.conf) apart from the file Redis rewrites (redis.conf).
        writeFileSync(join(n.dir, 'node.conf'), lines.join('\n') + '\n');
        await spawnSupervisor(n.dir, [
          join(n.dir, 'node.conf'),
          '--runtime-config',
          join(n.dir, 'redis.conf'),
          ...(opts.handover === false || nMonitors === 0 ? [] : ['--sentinel', monitorList, '--name', name]),
          ...(opts.restartDelayMs ? ['--restart-delay', String(opts.restartDelayMs)] : []),
        ]);
      }
      for (const n of data) await waitUntil(`redis-server on port ${n.port}`, () => ping(n.port), 10_000);
      for (const m of monitors) {
        mkdirSync(m.dir, { recursive: true });
        const lines = [
          `port ${m.port}`,
          'bind 127.0.0.1',
          `logfile ${join(m.dir, 'vigil.log')}`,
          `sentinel monitor ${name} 127.0.0.1 ${primary.port} ${opts.quorum ?? Math.floor(nMonitors / 2) + 1}`,
          `sentinel down-after-milliseconds ${name} ${opts.downAfterMs ?? 2000}`,
          `sentinel failover-timeout ${name} ${opts.failoverTimeoutMs ?? 10_000}`,
          ...(opts.monitorExtra ?? []),
        ];
        writeFileSync(join(m.dir, 'sentinel.conf'), lines.join('\n') + '\n');
        await spawnSupervisor(m.dir, [
          '--monitor',
          join(m.dir, 'sentinel.conf'),
          ...(opts.monitorServer ? ['--monitor-server', opts.monitorServer] : []),
        ]);
      }
      for (const m of monitors) await waitUntil(`monitor on port ${m.port}`, () => ping(m.port), 10_000);
      // Ready when every monitor knows every replica and every other monitor.
      for (const m of monitors) {
        await waitUntil(
          `monitor ${m.port} to discover the group`,
          async () => {
            const c = await connect({ host: '127.0.0.1', port: m.port });
            try {
              const replicas = (await c.call('SENTINEL', 'REPLICAS', name)) as unknown[];
              const peers = (await c.call('SENTINEL', 'SENTINELS', name)) as unknown[];
              return replicas.length === nReplicas && peers.length === nMonitors - 1;
            } finally {
              c.close();
            }
          },
          15_000,
        );
      }
    } catch (e) {
      await group.stop();
      throw e;
    }
    return group;
  }

  /** Every supervisor's current record (a restart replaces it). */
  states(): NodeState[] {
    return [...this.data, ...this.monitors].flatMap((p) => {
      const s = readNodeState(p.dir);
      return s ? [s] : [];
    });
  }

  /** Stops every process: monitors first (no failover while the data nodes stop), then the data nodes. */
  async stop(): Promise<void> {
    // With the monitors gone, a data node's supervisor cannot hand over and stops at once.
    await stopSupervisedDirs(this.monitors.map((m) => m.dir));
    await stopSupervisedDirs(this.data.map((d) => d.dir));
  }
}
