// A real Redis Cluster: N shards of one primary and M replicas, every node a RedisServer with
// `cluster-enabled yes` on a free loopback port (its bus port, port + 10000, reserved as well).
// The cluster is formed the way `redis-cli --cluster create` does it (distinct config epochs,
// slots assigned evenly, CLUSTER MEET, CLUSTER REPLICATE) and every step waits on a condition
// with a deadline. Processes are stopped by the cleanup registry like any other RedisServer.
import { RedisServer, type HostPort, type Persistence } from './redis-server.js';
import { infoFields } from './resp.js';
import { waitForValue } from './wait.js';

/** Number of hash slots of a Redis Cluster. */
export const CLUSTER_SLOTS = 16_384;

export interface RedisClusterOptions {
  /** Number of shards (primaries). Default 3. */
  shards?: number;
  /** Replicas of every primary. Default 1. */
  replicasPerShard?: number;
  /** Default 'aof'. */
  persistence?: Persistence;
  /** Extra config lines for every node, appended after the cluster ones (so they win). */
  extraConfig?: string[];
  /** cluster-node-timeout. Default 2000 ms. */
  nodeTimeoutMs?: number;
  /**
   * Deadline of every node's start and of every stage of forming the cluster. Default 15 000 ms.
   * Redis 7.0 keeps a primary at cluster_state:fail for 2 s after it starts, so forming takes that long at least.
   */
  startTimeoutMs?: number;
  /** Label prefix of the nodes. Default `cluster`. */
  label?: string;
}

/** One line of CLUSTER NODES. */
export interface ClusterNodeView {
  id: string;
  /** Empty for a node whose address is unknown (`:0@0`, flag noaddr) or for `myself` before it learned its IP. */
  host: string;
  port: number;
  /** The cluster bus port (`@cport`), when the line has one. */
  busPort?: number;
  /** The announced hostname (`ip:port@cport,hostname`), when set. */
  hostname?: string;
  /** As listed (myself, master, slave, fail?, fail, handshake, noaddr, nofailover, ...); `noflags` gives []. */
  flags: string[];
  /** 'replica' when the flags say slave (or replica), 'master' otherwise (also for handshake nodes). */
  role: 'master' | 'replica';
  /** The primary's id, for a replica that knows it. */
  masterId?: string;
  /** connected / disconnected: the state of the reporting node's link to this node. */
  linkState: string;
  /** Slot ranges (`0-5460`, `5461`) and importing/migrating entries (`[42-<-id]`, `[42->-id]`) as listed. */
  slots: string[];
}

export type SlotToken =
  | { kind: 'range'; start: number; end: number }
  | { kind: 'migrating'; slot: number; to: string }
  | { kind: 'importing'; slot: number; from: string };

function slotNumber(text: string, token: string): number {
  const n = Number(text);
  if (!/^\d+$/.test(text) || n >= CLUSTER_SLOTS) throw new Error(`bad slot ${JSON.stringify(token)}`);
  return n;
}

/** Parses one slot entry of a CLUSTER NODES line. */
export function parseSlotToken(token: string): SlotToken {
  const moving = /^\[(\d+)-([<>])-([^\]\s]+)\]$/.exec(token);
  if (moving) {
    const slot = slotNumber(moving[1] ?? '', token);
    const peer = moving[3] ?? '';
    return moving[2] === '>'
      ? { kind: 'migrating', slot, to: peer }
      : { kind: 'importing', slot, from: peer };
  }
  const range = /^(\d+)(?:-(\d+))?$/.exec(token);
  if (range) {
    const start = slotNumber(range[1] ?? '', token);
    const end = range[2] === undefined ? start : slotNumber(range[2], token);
    if (end < start) throw new Error(`bad slot range ${JSON.stringify(token)}`);
    return { kind: 'range', start, end };
  }
  throw new Error(`bad slot entry ${JSON.stringify(token)}`);
}

/** Whether a slot entry is a plain range (as opposed to an importing/migrating marker). */
export function isSlotRange(token: string): boolean {
  return parseSlotToken(token).kind === 'range';
}

/** Number of slots the plain ranges of `slots` cover (importing/migrating markers count nothing). */
export function countSlots(slots: readonly string[]): number {
  let n = 0;
  for (const s of slots) {
    const t = parseSlotToken(s);
    if (t.kind === 'range') n += t.end - t.start + 1;
  }
  return n;
}

function parseAddress(
  field: string,
  line: string,
): Pick<ClusterNodeView, 'host' | 'port' | 'busPort' | 'hostname'> {
  // ip:port@cport[,hostname[,aux=value...]] (nodes.conf of 7.2+ adds aux fields; a bare `,` is an empty hostname).
  const [addr = '', second] = field.split(',');
  const at = addr.indexOf('@');
  const hostPort = at >= 0 ? addr.slice(0, at) : addr;
  const colon = hostPort.lastIndexOf(':');
  if (colon < 0) throw new Error(`bad address in CLUSTER NODES line: ${JSON.stringify(line)}`);
  let host = hostPort.slice(0, colon);
  if (host.startsWith('[') && host.endsWith(']')) host = host.slice(1, -1);
  const portText = hostPort.slice(colon + 1);
  const port = Number(portText);
  if (!/^\d+$/.test(portText) || port > 65_535)
    throw new Error(`bad port in CLUSTER NODES line: ${JSON.stringify(line)}`);
  const out: Pick<ClusterNodeView, 'host' | 'port' | 'busPort' | 'hostname'> = { host, port };
  if (at >= 0) {
    const busText = addr.slice(at + 1);
    if (!/^\d+$/.test(busText))
      throw new Error(`bad bus port in CLUSTER NODES line: ${JSON.stringify(line)}`);
    out.busPort = Number(busText);
  }
  if (second !== undefined && second !== '' && !second.includes('=')) out.hostname = second;
  return out;
}

/**
 * Parses CLUSTER NODES output (also the node lines of a nodes.conf):
 * `<id> <ip:port@cport[,hostname]> <flags> <master-id|-> <ping-sent> <pong-recv> <config-epoch> <link-state> <slot>...`
 */
export function parseClusterNodes(text: string): ClusterNodeView[] {
  const out: ClusterNodeView[] = [];
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    // nodes.conf ends with a `vars currentEpoch ... lastVoteEpoch ...` line.
    if (line === '' || line.startsWith('vars ')) continue;
    const f = line.split(/\s+/);
    if (f.length < 8) throw new Error(`malformed CLUSTER NODES line: ${JSON.stringify(line)}`);
    const field = (i: number): string => f[i] ?? '';
    const flags = field(2)
      .split(',')
      .filter((x) => x !== '' && x !== 'noflags');
    const view: ClusterNodeView = {
      id: field(0),
      ...parseAddress(field(1), line),
      flags,
      role: flags.includes('slave') || flags.includes('replica') ? 'replica' : 'master',
      linkState: field(7),
      slots: f.slice(8),
    };
    if (field(3) !== '-') view.masterId = field(3);
    for (const s of view.slots) parseSlotToken(s);
    out.push(view);
  }
  return out;
}

export interface ClusterShard {
  primary: RedisServer;
  replicas: RedisServer[];
  /** The primary's slot ranges as listed (importing/migrating markers left out). */
  slots: string[];
}

function firstSlot(slots: readonly string[]): number {
  let min = CLUSTER_SLOTS;
  for (const s of slots) {
    const t = parseSlotToken(s);
    if (t.kind === 'range') min = Math.min(min, t.start);
  }
  return min;
}

function message(err: unknown): string {
  return err instanceof Error ? err.message.split('\n', 1)[0]! : String(err);
}

const BAD_FLAGS = ['fail', 'fail?', 'handshake', 'noaddr'];

/** Expected role of a node: null for a primary, its primary for a replica. */
type Layout = Map<RedisServer, RedisServer | null>;

export class RedisCluster {
  /** Every node: shard by shard, the shard's initial primary first, then its replicas. */
  readonly nodes: RedisServer[];
  readonly nodeTimeoutMs: number;
  private readonly stageTimeoutMs: number;

  private constructor(nodes: RedisServer[], nodeTimeoutMs: number, stageTimeoutMs: number) {
    this.nodes = nodes;
    this.nodeTimeoutMs = nodeTimeoutMs;
    this.stageTimeoutMs = stageTimeoutMs;
  }

  /**
   * Starts every node, assigns the slots evenly to the shard primaries, joins the nodes with
   * CLUSTER MEET, attaches the replicas with CLUSTER REPLICATE, and waits until the cluster has
   * converged to exactly that layout (see waitForConvergence()).
   */
  static async start(opts: RedisClusterOptions = {}): Promise<RedisCluster> {
    const shardCount = opts.shards ?? 3;
    const replicasPerShard = opts.replicasPerShard ?? 1;
    if (!Number.isInteger(shardCount) || shardCount < 1 || shardCount > CLUSTER_SLOTS)
      throw new Error(`RedisCluster: bad shard count ${shardCount}`);
    if (!Number.isInteger(replicasPerShard) || replicasPerShard < 0)
      throw new Error(`RedisCluster: bad replica count ${replicasPerShard}`);
    const nodeTimeoutMs = opts.nodeTimeoutMs ?? 2000;
    const stageTimeoutMs = opts.startTimeoutMs ?? 15_000;
    const label = opts.label ?? 'cluster';
    const extraConfig = [
      'cluster-enabled yes',
      'cluster-config-file nodes.conf',
      `cluster-node-timeout ${nodeTimeoutMs}`,
      // A replica stays with the primary it was given, even when another primary is left without one.
      'cluster-allow-replica-migration no',
      ...(opts.extraConfig ?? []),
    ];
    const startNode = (name: string): Promise<RedisServer> =>
      RedisServer.start({
        label: `${label}-${name}`,
        persistence: opts.persistence ?? 'aof',
        extraConfig,
        startTimeoutMs: stageTimeoutMs,
      });
    // Nodes that fail to start, or are started and then abandoned by a failure here, are all
    // registered with the cleanup registry already.
    const shards = await Promise.all(
      Array.from({ length: shardCount }, async (_, s) => {
        const [primary, replicas] = await Promise.all([
          startNode(`s${s + 1}-primary`),
          Promise.all(
            Array.from({ length: replicasPerShard }, (_x, r) => startNode(`s${s + 1}-replica${r + 1}`)),
          ),
        ]);
        return { primary, replicas };
      }),
    );
    const nodes = shards.flatMap((s) => [s.primary, ...s.replicas]);
    const cluster = new RedisCluster(nodes, nodeTimeoutMs, stageTimeoutMs);
    const layout: Layout = new Map();
    for (const s of shards) {
      layout.set(s.primary, null);
      for (const r of s.replicas) layout.set(r, s.primary);
    }
    try {
      await cluster.form(shards, layout);
    } catch (err) {
      throw new Error(
        `RedisCluster: forming the cluster failed: ${err instanceof Error ? err.message : String(err)}\n` +
          nodes.map((n) => n.diagnostics(10)).join('\n'),
        { cause: err },
      );
    }
    return cluster;
  }

  private async form(
    shards: { primary: RedisServer; replicas: RedisServer[] }[],
    layout: Layout,
  ): Promise<void> {
    const ids = new Map<RedisServer, string>();
    await Promise.all(this.nodes.map(async (n) => ids.set(n, String(await n.cli('CLUSTER', 'MYID')))));
    // Distinct config epochs up front, as redis-cli does: otherwise every primary claims its slots
    // with epoch 0 and the collision handling has to bump the epochs one by one.
    await Promise.all(this.nodes.map((n, i) => n.cli('CLUSTER', 'SET-CONFIG-EPOCH', i + 1)));
    await Promise.all(
      shards.map((s, i) =>
        s.primary.cli(
          'CLUSTER',
          'ADDSLOTSRANGE',
          Math.floor((CLUSTER_SLOTS * i) / shards.length),
          Math.floor((CLUSTER_SLOTS * (i + 1)) / shards.length) - 1,
        ),
      ),
    );
    // Every node meets every other directly: meeting one node only and leaving the rest to gossip
    // takes about a second longer, since a ping carries only a few of the known nodes.
    await Promise.all(
      this.nodes.flatMap((n, i) =>
        this.nodes.slice(0, i).map((m) => n.cli('CLUSTER', 'MEET', m.host, m.port)),
      ),
    );
    // A replica attaches as soon as it knows its primary by its real id, linked.
    await Promise.all(
      shards.flatMap((s) =>
        s.replicas.map(async (r) => {
          const primaryId = ids.get(s.primary)!;
          await waitForValue(
            () => this.view(r),
            (view) =>
              view.some(
                (e) =>
                  e.id === primaryId &&
                  e.linkState === 'connected' &&
                  !e.flags.some((f) => BAD_FLAGS.includes(f)),
              ),
            {
              what: `${this.name(r)} to know its primary ${this.name(s.primary)}`,
              timeoutMs: this.stageTimeoutMs,
            },
          );
          await r.cli('CLUSTER', 'REPLICATE', primaryId);
        }),
      ),
    );
    await this.waitFor(layout, this.stageTimeoutMs, 'the new cluster to converge');
  }

  /** Label and address of a node, for messages. */
  private name(n: RedisServer): string {
    return `${n.label} ${n.port}`;
  }

  /** The node listening on `port`, if it is one of this cluster's. */
  nodeByPort(port: number): RedisServer | undefined {
    return this.nodes.find((n) => n.port === port);
  }

  private nodeOf(entry: ClusterNodeView): RedisServer {
    const n = this.nodeByPort(entry.port);
    if (n === undefined)
      throw new Error(`CLUSTER NODES lists ${entry.host}:${entry.port}, not a node of this cluster`);
    return n;
  }

  /** That node's CLUSTER NODES. */
  async view(node: RedisServer): Promise<ClusterNodeView[]> {
    return parseClusterNodes(String(await node.commandWithTimeout(2000, 'CLUSTER', 'NODES')));
  }

  /** That node's CLUSTER INFO, field -> value. */
  async clusterInfo(node: RedisServer): Promise<Record<string, string>> {
    return infoFields(String(await node.commandWithTimeout(2000, 'CLUSTER', 'INFO')));
  }

  /**
   * The shards as one reachable node currently sees them: every primary that owns slots, with the
   * nodes listed as its replicas (failed ones included), ordered by first slot.
   */
  async shards(): Promise<ClusterShard[]> {
    let view: ClusterNodeView[] | undefined;
    const errors: string[] = [];
    for (const n of this.nodes.filter((x) => x.running && !x.paused)) {
      try {
        view = await this.view(n);
        break;
      } catch (err) {
        errors.push(`${this.name(n)}: ${message(err)}`);
      }
    }
    if (view === undefined) throw new Error(`no cluster node answered CLUSTER NODES (${errors.join('; ')})`);
    const v = view;
    return v
      .filter((e) => e.role === 'master' && countSlots(e.slots) > 0)
      .map((m) => ({
        primary: this.nodeOf(m),
        replicas: v.filter((e) => e.role === 'replica' && e.masterId === m.id).map((e) => this.nodeOf(e)),
        slots: m.slots.filter(isSlotRange),
      }))
      .sort((a, b) => firstSlot(a.slots) - firstSlot(b.slots));
  }

  /**
   * Waits until every live (running, not paused) node reports cluster_state:ok; every live node's
   * CLUSTER NODES lists every live node, by the same id, linked, and flagged neither fail, fail?,
   * handshake nor noaddr; all those views agree on which node serves which slots and on every live
   * node's role (and primary, for a replica); and every live replica reports master_link_status:up
   * to the primary its view names. Dead nodes may be flagged fail.
   *
   * The state before a change is converged too: after CLUSTER FAILOVER, for example, first wait
   * for the promotion itself, then for convergence.
   */
  async waitForConvergence(opts: { timeoutMs?: number } = {}): Promise<void> {
    await this.waitFor(undefined, opts.timeoutMs ?? 15_000, 'the cluster to converge');
  }

  private async waitFor(layout: Layout | undefined, timeoutMs: number, what: string): Promise<void> {
    await waitForValue(
      () => this.convergenceProblems(layout),
      (p) => p.length === 0,
      { what, timeoutMs },
    );
  }

  /** What keeps the cluster from being converged (to `layout`, when given); empty when it is. */
  private async convergenceProblems(layout: Layout | undefined): Promise<string[]> {
    const live = this.nodes.filter((n) => n.running && !n.paused);
    if (live.length === 0) return ['no live node'];
    const problems: string[] = [];
    const seen = await Promise.all(
      live.map(async (n) => {
        try {
          const [info, view, repl] = await Promise.all([
            this.clusterInfo(n),
            this.view(n),
            n.commandWithTimeout(2000, 'INFO', 'replication').then((r) => infoFields(String(r))),
          ]);
          return { node: n, info, view, repl };
        } catch (err) {
          problems.push(`${this.name(n)}: ${message(err)}`);
          return undefined;
        }
      }),
    );
    const signatures = new Map<string, RedisServer[]>();
    for (const s of seen) {
      if (s === undefined) continue;
      const { node, info, view, repl } = s;
      const who = this.name(node);
      if (info['cluster_state'] !== 'ok') problems.push(`${who}: cluster_state:${info['cluster_state']}`);
      const myself = view.find((e) => e.flags.includes('myself'));
      if (myself?.port !== node.port) problems.push(`${who}: no myself entry on its own port`);
      const portOf = new Map(view.map((e) => [e.id, e.port]));
      for (const e of view)
        if (e.flags.includes('handshake'))
          problems.push(`${who}: handshake with ${e.host}:${e.port} pending`);
      const lines: string[] = [];
      for (const l of live) {
        const e = view.find((x) => x.port === l.port && !x.flags.includes('handshake'));
        if (e === undefined) {
          problems.push(`${who} does not list ${this.name(l)}`);
          continue;
        }
        const bad = e.flags.filter((f) => BAD_FLAGS.includes(f));
        if (bad.length > 0) problems.push(`${who} flags ${this.name(l)} ${bad.join(',')}`);
        if (e.linkState !== 'connected') problems.push(`${who}: link to ${this.name(l)} ${e.linkState}`);
        const masterPort = e.masterId === undefined ? undefined : portOf.get(e.masterId);
        if (e.role === 'replica' && masterPort === undefined)
          problems.push(`${who}: ${this.name(l)} is a replica of unknown ${e.masterId ?? '-'}`);
        lines.push(`${l.port} ${e.id} ${e.role}${e.role === 'replica' ? ` of ${masterPort}` : ''}`);
        const want = layout?.get(l);
        if (want === null && e.role !== 'master') problems.push(`${who}: ${this.name(l)} is not a master`);
        if (want !== undefined && want !== null && (e.role !== 'replica' || masterPort !== want.port))
          problems.push(`${who}: ${this.name(l)} is not a replica of ${this.name(want)}`);
      }
      for (const m of view) {
        if (m.role !== 'master') continue;
        for (const t of m.slots) if (isSlotRange(t)) lines.push(`slots ${t} on ${m.port}`);
      }
      const sig = lines.sort().join('\n');
      signatures.set(sig, [...(signatures.get(sig) ?? []), node]);
      if (myself?.role === 'replica') {
        const want = myself.masterId === undefined ? undefined : portOf.get(myself.masterId);
        if (
          repl['role'] !== 'slave' ||
          repl['master_link_status'] !== 'up' ||
          repl['master_port'] !== String(want)
        )
          problems.push(
            `${who}: replication role:${repl['role']} master_port:${repl['master_port']} ` +
              `link:${repl['master_link_status']} (its view says replica of ${want})`,
          );
      }
    }
    if (signatures.size > 1) {
      problems.push(
        `views differ: ${[...signatures]
          .map(([sig, ns]) => `[${ns.map((n) => n.port).join(',')}] ${sig.replace(/\n/g, '; ')}`)
          .join(' | ')}`,
      );
    }
    return problems;
  }

  /** Addresses of every node, for cluster clients. */
  seedNodes(): HostPort[] {
    return this.nodes.map((n) => ({ host: n.host, port: n.port }));
  }
}
