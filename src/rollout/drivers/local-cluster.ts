/**
 * A Redis Cluster on this machine in the `local` driver's layout: one directory per node with
 * its node.conf and a `vigil node` supervisor. Used by the tests and the benchmarks; `vigil
 * rollout --cluster <node> --local-root <root>` restarts it shard by shard.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseInfo } from '../../core/info.js';
import { connect, type Conn } from '../../node/connect.js';
import { freePort, ping, waitUntil } from '../../node/local-process.js';
import { readNodeState, spawnSupervisor, stopSupervisedDirs, type NodeState } from '../../node/supervised.js';
import { parseClusterNodesText } from '../observe.js';

export interface LocalClusterOptions {
  root: string;
  shards?: number | undefined;
  replicasPerShard?: number | undefined;
  nodeTimeoutMs?: number | undefined;
  extra?: readonly string[] | undefined;
  /** On a restart, supervisors keep their server down this long. Default 0. */
  restartDelayMs?: number | undefined;
}

export interface ClusterProcess {
  dir: string;
  port: number;
  shard: number;
}

const SLOTS = 16384;

/** A port whose cluster bus port (+10000) is free too. */
async function clusterPort(): Promise<number> {
  for (;;) {
    const p = await freePort();
    if (p + 10000 > 65535) continue;
    const bus = await new Promise<boolean>((resolve) => {
      void import('node:net').then(({ default: net }) => {
        const s = net.createServer();
        s.once('error', () => resolve(false));
        s.listen(p + 10000, '127.0.0.1', () => s.close(() => resolve(true)));
      });
    });
    if (bus) return p;
  }
}

async function withConn<T>(port: number, fn: (c: Conn) => Promise<T>): Promise<T> {
  const c = await connect({ host: '127.0.0.1', port });
  try {
    return await fn(c);
  } finally {
    c.close();
  }
}

export class LocalCluster {
  private constructor(
    readonly root: string,
    readonly nodes: ClusterProcess[],
  ) {}

  static async start(opts: LocalClusterOptions): Promise<LocalCluster> {
    const shards = opts.shards ?? 3;
    const perShard = opts.replicasPerShard ?? 1;
    const nodes: ClusterProcess[] = [];
    for (let s = 0; s < shards; s++)
      for (let r = 0; r <= perShard; r++)
        nodes.push({ dir: join(opts.root, `node-${s + 1}-${r}`), port: await clusterPort(), shard: s });
    const cluster = new LocalCluster(opts.root, nodes);
    try {
      for (const n of nodes) {
        mkdirSync(n.dir, { recursive: true });
        const lines = [
          `port ${n.port}`,
          'bind 127.0.0.1',
          `dir ${n.dir}`,
          `logfile ${join(n.dir, 'redis.log')}`,
          'appendonly yes',
          'repl-diskless-sync-delay 0',
          'cluster-enabled yes',
          'cluster-config-file nodes.conf',
          `cluster-node-timeout ${opts.nodeTimeoutMs ?? 2000}`,
          'cluster-allow-replica-migration no',
          ...(opts.extra ?? []),
        ];
        writeFileSync(join(n.dir, 'node.conf'), lines.join('\n') + '\n');
        await spawnSupervisor(n.dir, [
          join(n.dir, 'node.conf'),
          '--runtime-config',
          join(n.dir, 'redis.conf'),
          ...(opts.restartDelayMs ? ['--restart-delay', String(opts.restartDelayMs)] : []),
        ]);
      }
      for (const n of nodes) await waitUntil(`redis-server on port ${n.port}`, () => ping(n.port), 10_000);
      const ids = await Promise.all(
        nodes.map((n) => withConn(n.port, async (c) => String(await c.call('CLUSTER', 'MYID')))),
      );
      await Promise.all(
        nodes.map((n, i) => withConn(n.port, (c) => c.call('CLUSTER', 'SET-CONFIG-EPOCH', i + 1))),
      );
      const primaries = nodes.filter((_, i) => i % (perShard + 1) === 0);
      await Promise.all(
        primaries.map((p, s) => {
          const start = Math.floor((s * SLOTS) / shards);
          const end = Math.floor(((s + 1) * SLOTS) / shards) - 1;
          return withConn(p.port, (c) => c.call('CLUSTER', 'ADDSLOTSRANGE', start, end));
        }),
      );
      for (const n of nodes.slice(1))
        await withConn(nodes[0]!.port, (c) => c.call('CLUSTER', 'MEET', '127.0.0.1', n.port));
      await waitUntil(
        'every cluster node to know every other',
        async () => {
          for (const n of nodes) {
            const view = parseClusterNodesText(
              String(await withConn(n.port, (c) => c.call('CLUSTER', 'NODES'))),
            );
            if (view.filter((v) => !v.flags.includes('handshake')).length !== nodes.length) return false;
          }
          return true;
        },
        20_000,
      );
      for (const [i, n] of nodes.entries()) {
        if (i % (perShard + 1) === 0) continue;
        const primaryId = ids[i - (i % (perShard + 1))]!;
        await waitUntil(
          `node ${n.port} to replicate its shard's primary`,
          async () => {
            await withConn(n.port, (c) => c.call('CLUSTER', 'REPLICATE', primaryId));
            return true;
          },
          10_000,
        );
      }
      await cluster.waitForConvergence(30_000);
    } catch (e) {
      await cluster.stop();
      throw e;
    }
    return cluster;
  }

  /** Every node reports cluster_state ok, sees every node without failure flags, and replicas are linked. */
  async waitForConvergence(timeoutMs = 30_000): Promise<void> {
    await waitUntil(
      'the cluster to converge',
      async () => {
        for (const n of this.nodes) {
          const ok = await withConn(n.port, async (c) => {
            const info = parseInfo(String(await c.call('CLUSTER', 'INFO')));
            if (info.fields.get('cluster_state') !== 'ok') return false;
            const view = parseClusterNodesText(String(await c.call('CLUSTER', 'NODES')));
            if (view.length !== this.nodes.length) return false;
            if (view.some((v) => v.flags.some((f) => f === 'fail' || f === 'fail?' || f === 'handshake')))
              return false;
            const repl = parseInfo(String(await c.call('INFO', 'replication')));
            return repl.role === 'master' || repl.masterLinkUp === true;
          });
          if (!ok) return false;
        }
        return true;
      },
      timeoutMs,
    );
  }

  seeds(): { host: string; port: number }[] {
    return this.nodes.map((n) => ({ host: '127.0.0.1', port: n.port }));
  }

  states(): NodeState[] {
    return this.nodes.flatMap((n) => {
      const s = readNodeState(n.dir);
      return s ? [s] : [];
    });
  }

  async stop(): Promise<void> {
    await stopSupervisedDirs(this.nodes.map((n) => n.dir));
  }
}
