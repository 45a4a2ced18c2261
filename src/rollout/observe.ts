/**
 * Reads the live state a rollout plans from: the monitors' view of the group, then every data
 * node's own INFO (and CLUSTER NODES in a cluster). Nothing here decides anything.
 */
import { parseInfo, type InfoSnapshot } from '../core/info.js';
import { describeError } from '../node/errors.js';
import type { ConnPool } from '../node/pool.js';
import { pairs, pairsList } from '../node/replies.js';
import type { NodeDriver } from './driver.js';
import { nodeId, type DataNode, type MonitorNode, type NodeAddr, type ObservedGroup } from './types.js';

function num(v: string | undefined, fallback = 0): number {
  const n = Number(v);
  return v === undefined || v === '' || !Number.isFinite(n) ? fallback : n;
}

/**
 * When the process started, to the second: Redis computes uptime_in_seconds from the same cached
 * clock as server_time_usec, so their difference is exactly its start second.
 */
export function startedAtMs(fields: ReadonlyMap<string, string>, now: number): number {
  const uptime = num(fields.get('uptime_in_seconds'));
  const usec = fields.get('server_time_usec');
  if (usec === undefined) return now - uptime * 1000;
  return (Math.floor(num(usec) / 1e6) - uptime) * 1000;
}

function keysOf(fields: ReadonlyMap<string, string>): number {
  let total = 0;
  for (const [k, v] of fields) {
    if (!/^db\d+$/.test(k)) continue;
    const m = /keys=(\d+)/.exec(v);
    if (m) total += Number(m[1]);
  }
  return total;
}

function unreachable(addr: NodeAddr): DataNode {
  return {
    id: nodeId(addr),
    addr,
    reachable: false,
    linkUp: false,
    loading: false,
    syncing: false,
    replId: '',
    offset: 0,
    keys: 0,
    persistent: false,
    priority: 100,
    running: {},
  };
}

export interface ObserveContext {
  nodes: ConnPool;
  monitors: ConnPool;
  driver: NodeDriver;
  now: () => number;
}

/** One data node, from INFO (and CONFIG GET for persistence when allowed). */
export async function observeNode(ctx: ObserveContext, addr: NodeAddr): Promise<DataNode> {
  let info: InfoSnapshot;
  try {
    info = parseInfo(String(await ctx.nodes.call(addr, 'INFO', 'all')));
  } catch (e) {
    if (e instanceof Error && /^LOADING/.test(e.message)) {
      return { ...unreachable(addr), reachable: true, loading: true };
    }
    return unreachable(addr);
  }
  const f = info.fields;
  const role = info.role === 'master' ? 'primary' : info.role === 'slave' ? 'replica' : undefined;
  let persistent = f.get('aof_enabled') === '1';
  if (!persistent) {
    try {
      const save = pairs(await ctx.nodes.call(addr, 'CONFIG', 'GET', 'save'));
      persistent = (save['save'] ?? '').trim() !== '';
    } catch {
      // CONFIG may be renamed or denied: judge by the last save instead.
      persistent = num(f.get('rdb_last_save_time')) > 0 && f.get('rdb_changes_since_last_save') !== undefined;
    }
  }
  const now = ctx.now();
  const described = await ctx.driver.describe(addr, 'data', info);
  const node: DataNode = {
    id: nodeId(addr),
    addr,
    reachable: true,
    role,
    primary:
      role === 'replica' && info.masterHost !== undefined
        ? { host: info.masterHost, port: info.masterPort ?? 0 }
        : undefined,
    linkUp: info.masterLinkUp === true,
    loading: info.loading === true || f.get('async_loading') === '1',
    syncing: info.masterSyncInProgress === true,
    replId: info.masterReplId ?? '',
    offset: info.masterReplOffset ?? 0,
    keys: keysOf(f),
    persistent,
    priority: info.replicaPriority ?? 100,
    running: {
      version: f.get('redis_version'),
      executable: f.get('executable'),
      startedAtMs: startedAtMs(f, now),
      ...described.running,
    },
    desiredConfigHash: described.desiredConfigHash,
  };
  return node;
}

async function sentinelCall(ctx: ObserveContext, m: NodeAddr, ...args: string[]): Promise<unknown> {
  return ctx.monitors.call(m, 'SENTINEL', ...args);
}

async function observeMonitor(ctx: ObserveContext, addr: NodeAddr, name: string): Promise<MonitorNode> {
  const base: MonitorNode = {
    id: nodeId(addr),
    addr,
    reachable: false,
    running: {},
    failoverInProgress: false,
    primaryDown: false,
    peers: 0,
  };
  try {
    const master = pairs(await sentinelCall(ctx, addr, 'MASTER', name));
    const peers = pairsList(await sentinelCall(ctx, addr, 'SENTINELS', name));
    const info = parseInfo(String(await ctx.monitors.call(addr, 'INFO', 'server')));
    const flags = (master['flags'] ?? '').split(',');
    const described = await ctx.driver.describe(addr, 'monitor', info);
    return {
      ...base,
      reachable: true,
      primary: master['ip'] ? { host: master['ip'], port: num(master['port']) } : undefined,
      failoverInProgress: flags.includes('failover_in_progress'),
      primaryDown: flags.includes('s_down') || flags.includes('o_down'),
      peers: peers.filter((p) => !(p['flags'] ?? '').includes('s_down')).length,
      running: {
        version: info.fields.get('vigil_version') ?? info.fields.get('redis_version'),
        executable: info.fields.get('executable'),
        startedAtMs: startedAtMs(info.fields, ctx.now()),
        ...described.running,
      },
    };
  } catch {
    return base;
  }
}

/**
 * A monitored replication group: every monitor the given ones know, the primary they announce
 * and every replica any of them lists. Replicas are read after the primary so that a replica in
 * sync shows an offset at least the primary's.
 */
export async function observeReplication(
  ctx: ObserveContext,
  name: string,
  seeds: readonly NodeAddr[],
): Promise<ObservedGroup> {
  const monitorAddrs = new Map<string, NodeAddr>(seeds.map((s) => [nodeId(s), s]));
  const nodeAddrs = new Map<string, NodeAddr>();
  let primaryAddr: NodeAddr | undefined;
  let quorum: number | undefined;
  let lastError: unknown;
  const unlinked = new Set<string>();
  for (const seed of [...monitorAddrs.values()]) {
    try {
      const master = pairs(await sentinelCall(ctx, seed, 'MASTER', name));
      quorum ??= num(master['quorum'], 0) || undefined;
      const p = { host: master['ip'] ?? '', port: num(master['port']) };
      primaryAddr ??= p;
      nodeAddrs.set(nodeId(p), p);
      for (const r of pairsList(await sentinelCall(ctx, seed, 'REPLICAS', name))) {
        const a = { host: r['ip'] ?? '', port: num(r['port']) };
        nodeAddrs.set(nodeId(a), a);
        const flags = (r['flags'] ?? '').split(',');
        if (flags.includes('disconnected') || flags.includes('s_down')) unlinked.add(nodeId(a));
      }
      for (const s of pairsList(await sentinelCall(ctx, seed, 'SENTINELS', name))) {
        const a = { host: s['ip'] ?? '', port: num(s['port']) };
        if (!monitorAddrs.has(nodeId(a))) monitorAddrs.set(nodeId(a), a);
      }
    } catch (e) {
      lastError = e;
    }
  }
  if (primaryAddr === undefined) {
    const msg = describeError(lastError);
    throw new Error(
      /No such master/i.test(msg)
        ? `no monitor watches a primary named '${name}' (SENTINEL MASTERS lists the names they know)`
        : `no monitor answered (${msg}): check --sentinel`,
    );
  }
  const monitors = await Promise.all([...monitorAddrs.values()].map((m) => observeMonitor(ctx, m, name)));
  const primary = await observeNode(ctx, primaryAddr);
  const others = [...nodeAddrs.values()].filter((a) => nodeId(a) !== primary.id);
  const replicas = await Promise.all(others.map((a) => observeNode(ctx, a)));
  for (const r of replicas) if (unlinked.has(r.id)) r.monitorLinkDown = true;
  // The monitors' own verdict on each replica (Vigil monitors only; redis-sentinel has no
  // SENTINEL CANDIDATES): a handover target they refuse would be turned down.
  const asked = monitors.find((m) => m.reachable);
  if (asked) {
    try {
      for (const c of pairsList(await sentinelCall(ctx, asked.addr, 'CANDIDATES', name))) {
        const id = nodeId({ host: c['ip'] ?? '', port: num(c['port']) });
        const r = replicas.find((x) => x.id === id);
        if (r) r.monitorVerdict = { eligible: c['eligible'] === 'yes', reason: c['reason'] ?? '' };
      }
    } catch {
      // Not a Vigil monitor, or an older one: the switchover's own answer tells.
    }
  }
  return { topology: 'replication', name, nodes: [primary, ...replicas], monitors, quorum };
}

/** A standalone primary (no replicas, no monitors). */
export async function observeStandalone(ctx: ObserveContext, addr: NodeAddr): Promise<ObservedGroup> {
  const node = await observeNode(ctx, addr);
  return { topology: 'standalone', nodes: [node], monitors: [] };
}

/** One line of CLUSTER NODES. */
export interface ClusterLine {
  id: string;
  addr: NodeAddr;
  flags: string[];
  primaryId: string | undefined;
  slots: string[];
}

export function parseClusterNodesText(text: string): ClusterLine[] {
  const out: ClusterLine[] = [];
  for (const line of text.split('\n')) {
    const f = line.trim().split(' ');
    if (f.length < 8) continue;
    const [id, address, flagText, primaryId] = f as [string, string, string, string];
    const hp = address.split('@')[0] ?? '';
    const i = hp.lastIndexOf(':');
    out.push({
      id,
      addr: { host: hp.slice(0, i), port: Number(hp.slice(i + 1)) },
      flags: flagText.split(','),
      primaryId: primaryId === '-' ? undefined : primaryId,
      slots: f.slice(8),
    });
  }
  return out;
}

function roleMap(lines: readonly ClusterLine[]): string {
  return lines
    .filter((l) => !l.flags.includes('handshake') && !l.flags.includes('noaddr'))
    .map((l) => `${l.id}:${l.flags.includes('master') ? 'M' : `S>${l.primaryId ?? ''}`}`)
    .sort()
    .join(' ');
}

/**
 * A Redis Cluster from any of its nodes: every node's INFO, CLUSTER INFO and CLUSTER NODES. The
 * nodes agree when every reachable node's view has the same roles and no node flagged failing.
 */
export async function observeCluster(
  ctx: ObserveContext,
  seeds: readonly NodeAddr[],
): Promise<ObservedGroup> {
  let view: ClusterLine[] | undefined;
  let lastError: unknown;
  for (const s of seeds) {
    try {
      view = parseClusterNodesText(String(await ctx.nodes.call(s, 'CLUSTER', 'NODES')));
      break;
    } catch (e) {
      lastError = e;
    }
  }
  if (!view)
    throw new Error(`no cluster node answered CLUSTER NODES (${describeError(lastError)}): check --node`);
  const lines = view;
  let agreed = true;
  const reference = roleMap(lines);
  const one = async (l: ClusterLine): Promise<DataNode> => {
    const node = await observeNode(ctx, l.addr);
    node.clusterId = l.id;
    node.clusterPrimaryId = l.primaryId;
    if (!node.reachable || node.loading) return node;
    try {
      const ci = parseInfo(String(await ctx.nodes.call(l.addr, 'CLUSTER', 'INFO')));
      node.clusterOk = ci.fields.get('cluster_state') === 'ok';
      const own = parseClusterNodesText(String(await ctx.nodes.call(l.addr, 'CLUSTER', 'NODES')));
      if (roleMap(own) !== reference) agreed = false;
      if (own.some((o) => o.flags.includes('fail') || o.flags.includes('fail?'))) agreed = false;
      const self = own.find((o) => o.flags.includes('myself'));
      if (self) node.clusterPrimaryId = self.primaryId;
    } catch {
      node.clusterOk = false;
    }
    return node;
  };
  // Primaries first: a replica in sync then shows an offset at least its primary's.
  const primaries = await Promise.all(lines.filter((l) => l.flags.includes('master')).map(one));
  const replicas = await Promise.all(lines.filter((l) => !l.flags.includes('master')).map(one));
  const nodes = [...primaries, ...replicas];
  return { topology: 'cluster', nodes, monitors: [], clusterAgreed: agreed };
}
