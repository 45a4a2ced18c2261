/**
 * The rolling-restart planner driving a small simulated group, tick by tick, on many seeds.
 *
 * The world: data nodes (role, the primary they follow, version and start time, up / down /
 * loading phases, a full sync in progress, the link to their primary, replication history and
 * offset; keys follow the offset: one key per 100 bytes written), monitors (announced primary,
 * peers they know, a failover in progress) and, for a cluster, whether the nodes agree. Writes
 * advance the primaries' offsets; replicas stream them, sometimes a tick behind.
 *
 * The rollout: every tick it observes the world, asks the planner and carries out the next step
 * through an executor that keeps no state of its own (restart: the node goes down, comes back
 * loading, then resyncs; switchover / cluster-failover: after a tick or two the target is
 * promoted, the old primary and the other replicas follow it and reconnect, the monitors catch up
 * one by one). Interference: the rollout process crashes and is started again (it re-plans from
 * the world), a replica's link drops for a few ticks, a monitor does not answer for a few ticks,
 * the cluster nodes briefly disagree.
 *
 * Checked on every tick, with the seed and the last steps printed on failure: at most one process
 * restarting at a time and no step issued while another node is down or not in sync; no restart
 * of a primary (but a standalone one); every handover to a current, in-sync, promotable, non-empty
 * replica after every replica of its shard is current; monitors last and only while enough of
 * them stay; the primary changes only through a handover; a primary never holds fewer keys than
 * any primary of its shard held before; the rollout ends within a bounded number of ticks with
 * every process current and one primary per shard.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { planRollout } from '../../src/rollout/plan.js';
import {
  nodeId,
  type DataNode,
  type DesiredSpec,
  type MonitorNode,
  type NodeAddr,
  type ObservedGroup,
  type PlanOptions,
  type Step,
  type Topology,
} from '../../src/rollout/types.js';
import { mulberry32 } from '../harness/random.js';

const HOST = '10.0.0.1';
const OLD = '7.0.15';
const NEW = '7.2.5';
const BYTES_PER_KEY = 100;
/** The restart token of 'token' and 'both' seeds; tick t is TOKEN + 10 s + t seconds. */
const TOKEN = 1_800_000_000_000;
const MAX_TICKS = 3000;
const TRACE_LINES = 40;

/** What the monitors report as their version: never the Redis version the data nodes run. */
const VIGIL = '0.1.0';

/** A monitor, and a data node on the 'ports' layout: HOST, its number as the port. */
const at = (port: number): NodeAddr => ({ host: HOST, port });
/**
 * A data node on the 'hosts' layout: every node on port 6379 of its own host, as in most
 * production clusters; the host encodes the node's number (7000 is 10.1.27.88).
 */
const onHost = (key: number): NodeAddr => ({ host: `10.1.${key >> 8}.${key & 255}`, port: 6379 });
/** The node's number back from its id, on either layout. */
function keyOf(nid: string): number {
  const m = /^10\.1\.(\d+)\.(\d+):6379$/.exec(nid);
  return m ? Number(m[1]) * 256 + Number(m[2]) : Number(nid.slice(nid.lastIndexOf(':') + 1));
}

// ---------------------------------------------------------------------------------------------
// Configuration per seed

interface SimConfig {
  seed: number;
  topology: Topology;
  shards: number;
  replicasPerShard: number;
  monitors: number;
  quorum: number;
  maxLagBytes: number;
  /** What tells a stale process: the Redis version, the restart token, or both. */
  spec: 'version' | 'token' | 'both';
  layout: 'ports' | 'hosts';
  rollMonitors: boolean;
  acceptDataLoss: boolean;
  /** Every replica has replica-priority 0: nothing can take over from the primary. */
  noTarget: boolean;
}

function describeConfig(c: SimConfig): string {
  const parts = [`${c.topology}`, `spec=${c.spec}`, `maxLag=${c.maxLagBytes}`];
  parts.push(c.layout === 'hosts' ? 'layout=hosts (node N is 10.1.<N/256>.<N%256>:6379)' : 'layout=ports');
  if (c.topology === 'replication')
    parts.push(
      `replicas=${c.replicasPerShard}`,
      `monitors=${c.monitors}/q${c.quorum}`,
      `rollMonitors=${c.rollMonitors}`,
      ...(c.noTarget ? ['every replica priority 0'] : []),
    );
  if (c.topology === 'cluster') parts.push(`shards=${c.shards}x${c.replicasPerShard}`);
  if (c.topology === 'standalone') parts.push(`acceptDataLoss=${c.acceptDataLoss}`);
  return parts.join(' ');
}

// ---------------------------------------------------------------------------------------------
// The world

interface SimNode {
  port: number;
  shard: number;
  role: 'primary' | 'replica';
  /** The port of the primary it follows (replicas). */
  follows: number | undefined;
  version: string;
  startedAt: number;
  phase: 'up' | 'down' | 'loading';
  phaseLeft: number;
  /** >0: a full sync in progress for that many more ticks. */
  syncLeft: number;
  /** >0: the link to its primary is down for that many more ticks. */
  linkDownLeft: number;
  replId: string;
  offset: number;
  persistent: boolean;
  priority: number;
  /** What it loads back after a restart (persistence). */
  saved: { replId: string; offset: number } | undefined;
}

interface SimMonitor {
  port: number;
  version: string;
  startedAt: number;
  phase: 'up' | 'down';
  downLeft: number;
  /** >0: running but not answering. */
  blipLeft: number;
  announced: number | undefined;
  announceLeft: number;
  known: Set<number>;
  failover: boolean;
  failoverLeft: number;
}

interface Handover {
  kind: 'switchover' | 'cluster-failover';
  shard: number;
  from: number;
  to: number;
  left: number;
}

class Violation extends Error {}

class World {
  readonly rand: () => number;
  t = 0;
  nodes: SimNode[] = [];
  monitors: SimMonitor[] = [];
  handover: Handover | undefined;
  /** Per shard: every replication history the current primary continues. */
  lineage: Set<string>[] = [];
  convergeLeft = 0;
  seq = 0;
  trace: string[] = [];
  /** Per shard: the highest offset (keys) a primary of the shard has held. */
  acked: number[] = [];
  lastPrimary: number[] = [];
  swaps: Handover[] = [];
  counts = { linkDrops: 0, blips: 0, crashes: 0, refused: 0, disagree: 0 };

  constructor(
    readonly cfg: SimConfig,
    seed: number,
  ) {
    this.rand = mulberry32(seed);
  }

  int(lo: number, hi: number): number {
    return lo + Math.floor(this.rand() * (hi - lo + 1));
  }

  chance(p: number): boolean {
    return this.rand() < p;
  }

  now(): number {
    return TOKEN + 10_000 + this.t * 1000;
  }

  log(line: string): void {
    const entry = `t=${this.t} ${line}`;
    const last = this.trace[this.trace.length - 1];
    const m = last ? /^(t=\d+ )(.*?)( x(\d+))?$/.exec(last) : null;
    // Repeated waits are folded: "t=12 wait node-down 6380 x5".
    if (m && m[2] === line && line.startsWith('wait')) {
      this.trace[this.trace.length - 1] = `${m[1]}${line} x${Number(m[4] ?? 1) + 1}`;
      return;
    }
    this.trace.push(entry);
    if (this.trace.length > TRACE_LINES) this.trace.shift();
  }

  node(port: number): SimNode {
    const n = this.nodes.find((x) => x.port === port);
    if (!n) throw new Violation(`no node ${port}`);
    return n;
  }

  primaryOf(shard: number): SimNode | undefined {
    return this.nodes.find((n) => n.shard === shard && n.role === 'primary');
  }

  keys(n: SimNode): number {
    return n.phase === 'up' && n.syncLeft === 0 ? n.offset / BYTES_PER_KEY : 0;
  }

  /** Up, loaded and, for a replica, streaming from its shard's primary within maxLagBytes. */
  synced(n: SimNode): boolean {
    if (n.phase !== 'up' || n.syncLeft > 0) return false;
    if (n.role === 'primary') return true;
    const p = this.primaryOf(n.shard);
    return (
      p !== undefined &&
      p.phase === 'up' &&
      n.linkDownLeft === 0 &&
      n.follows === p.port &&
      n.replId === p.replId &&
      p.offset - n.offset <= this.cfg.maxLagBytes
    );
  }

  /** A data node runs the desired spec. */
  current(running: { version: string; startedAt: number }): boolean {
    const version = running.version === NEW;
    const restarted = Math.floor(running.startedAt / 1000) >= Math.floor(TOKEN / 1000);
    return this.cfg.spec === 'version'
      ? version
      : this.cfg.spec === 'token'
        ? restarted
        : version && restarted;
  }

  /** A monitor is rolled by the restart token only (the Redis version does not describe it). */
  monitorCurrent(m: SimMonitor): boolean {
    return this.cfg.spec === 'version' || Math.floor(m.startedAt / 1000) >= Math.floor(TOKEN / 1000);
  }

  addr(key: number): NodeAddr {
    return this.cfg.layout === 'hosts' ? onHost(key) : at(key);
  }

  monitorAnswers(m: SimMonitor): boolean {
    return m.phase === 'up' && m.blipLeft === 0;
  }

  // --- actions the executor asks for --------------------------------------------------------

  restartNode(port: number): void {
    const n = this.node(port);
    n.saved = n.persistent && n.phase === 'up' ? { replId: n.replId, offset: n.offset } : n.saved;
    if (!n.persistent) n.saved = undefined;
    n.phase = 'down';
    n.phaseLeft = this.int(1, 3);
    n.syncLeft = 0;
    n.linkDownLeft = 0;
    n.version = NEW;
    n.startedAt = this.now();
    if (this.cfg.topology === 'cluster') this.convergeLeft = Math.max(this.convergeLeft, 1);
  }

  restartMonitor(port: number): void {
    const m = this.monitors.find((x) => x.port === port);
    if (!m) throw new Violation(`no monitor ${port}`);
    m.phase = 'down';
    m.downLeft = this.int(1, 3);
    m.blipLeft = 0;
    m.startedAt = this.now();
    m.failover = false;
    for (const o of this.monitors) o.known.delete(port);
  }

  requestHandover(kind: Handover['kind'], from: number, to: number): void {
    const f = this.node(from);
    if (this.handover) {
      this.counts.refused++;
      this.log(`  refused ${kind} ${from}>${to}: a handover is in progress`);
      return;
    }
    this.handover = { kind, shard: f.shard, from, to, left: this.int(1, 2) };
    if (kind === 'switchover') {
      const leader = this.monitors.find((m) => this.monitorAnswers(m));
      if (leader) {
        leader.failover = true;
        leader.failoverLeft = Number.MAX_SAFE_INTEGER;
      }
    }
  }

  // --- one tick of time ----------------------------------------------------------------------

  advance(): void {
    this.t++;
    this.swaps = [];
    if (this.convergeLeft > 0) this.convergeLeft--;
    this.progressHandover();
    for (const n of this.nodes) this.progressNode(n);
    // Writes, unless the shard's primary pauses them for a handover.
    for (let s = 0; s < this.cfg.shards; s++) {
      const p = this.primaryOf(s);
      if (!p || p.phase !== 'up' || this.handover?.shard === s) continue;
      p.offset += BYTES_PER_KEY * this.int(0, 2);
    }
    for (const n of this.nodes) this.stream(n);
    for (const m of this.monitors) this.progressMonitor(m);
  }

  private progressHandover(): void {
    const h = this.handover;
    if (!h || --h.left > 0) return;
    this.handover = undefined;
    const from = this.node(h.from);
    const to = this.node(h.to);
    // A coordinated handover lets the target catch up first when it streams the same history;
    // otherwise it would be promoted with what it has (the rollout must never ask for that).
    if (to.phase === 'up' && to.syncLeft === 0 && to.linkDownLeft === 0 && to.replId === from.replId)
      to.offset = from.offset;
    const history = `H${++this.seq}`;
    to.role = 'primary';
    to.follows = undefined;
    to.linkDownLeft = 0;
    to.replId = history;
    this.lineage[h.shard]!.add(history);
    for (const n of this.nodes) {
      if (n.shard !== h.shard || n === to) continue;
      n.role = 'replica';
      n.follows = to.port;
      n.linkDownLeft = Math.max(n.linkDownLeft, this.int(1, 2));
    }
    for (const m of this.monitors) {
      m.announceLeft = this.int(0, 2);
      if (m.failover) m.failoverLeft = this.int(1, 2);
    }
    if (h.kind === 'cluster-failover') this.convergeLeft = Math.max(this.convergeLeft, this.int(1, 3));
    this.swaps.push(h);
    this.log(`  ${h.kind} done: ${h.to} is the primary`);
  }

  private progressNode(n: SimNode): void {
    if (n.phase === 'down') {
      if (--n.phaseLeft > 0) return;
      n.phase = 'loading';
      n.phaseLeft = n.saved ? this.int(1, 3) : 1;
      return;
    }
    if (n.phase === 'loading') {
      if (--n.phaseLeft > 0) return;
      n.phase = 'up';
      n.replId = n.saved?.replId ?? '';
      n.offset = n.saved?.offset ?? 0;
      if (n.role === 'replica') n.linkDownLeft = 1;
      this.log(`  ${n.port} is up (${n.saved ? `reloaded ${n.offset / BYTES_PER_KEY} keys` : 'empty'})`);
      return;
    }
    if (n.linkDownLeft > 0) n.linkDownLeft--;
  }

  /** Replication from the shard's primary: partial when the history is known, else a full sync. */
  private stream(n: SimNode): void {
    if (n.role !== 'replica' || n.phase !== 'up' || n.linkDownLeft > 0) return;
    const p = this.primaryOf(n.shard);
    if (!p || p.phase !== 'up' || n.follows !== p.port) return;
    if (n.syncLeft > 0) {
      if (--n.syncLeft === 0) {
        n.replId = p.replId;
        n.offset = p.offset;
        this.log(`  ${n.port} has its full sync (${n.offset / BYTES_PER_KEY} keys)`);
      }
      return;
    }
    if (n.replId === '' || !this.lineage[n.shard]!.has(n.replId) || n.offset > p.offset) {
      n.syncLeft = this.int(1, 3);
      n.replId = '';
      this.log(`  ${n.port} starts a full sync`);
      return;
    }
    n.replId = p.replId;
    n.offset = this.chance(0.75) ? p.offset : Math.max(n.offset, p.offset - BYTES_PER_KEY * this.int(1, 3));
  }

  private progressMonitor(m: SimMonitor): void {
    if (m.phase === 'down') {
      if (--m.downLeft > 0) return;
      m.phase = 'up';
      m.announced = undefined;
      m.announceLeft = 1;
      m.known = new Set();
      this.log(`  monitor ${m.port} is up`);
      return;
    }
    if (m.blipLeft > 0) m.blipLeft--;
    const p = this.primaryOf(0);
    if (p && m.announced !== p.port) {
      if (m.announceLeft > 0) m.announceLeft--;
      else m.announced = p.port;
    }
    if (m.failover && --m.failoverLeft <= 0) m.failover = false;
    // Hello messages: one more peer a tick.
    const unknown = this.monitors.find((o) => o !== m && o.phase === 'up' && !m.known.has(o.port));
    if (unknown) m.known.add(unknown.port);
  }

  /** Random trouble the rollout did not cause. */
  interfere(): void {
    if (this.chance(0.04)) {
      const streaming = this.nodes.filter((n) => n.role === 'replica' && this.synced(n));
      const r = streaming[this.int(0, streaming.length - 1)];
      if (r) {
        r.linkDownLeft = this.int(1, 3);
        this.counts.linkDrops++;
        this.log(`  interference: ${r.port}'s link drops`);
      }
    }
    if (this.monitors.length > 0 && this.chance(0.03)) {
      const m = this.monitors[this.int(0, this.monitors.length - 1)]!;
      if (m.phase === 'up') {
        m.blipLeft = this.int(1, 3);
        this.counts.blips++;
        this.log(`  interference: monitor ${m.port} does not answer`);
      }
    }
    if (this.cfg.topology === 'cluster' && this.chance(0.02)) {
      this.convergeLeft = Math.max(this.convergeLeft, this.int(1, 2));
      this.counts.disagree++;
    }
  }

  // --- what the rollout sees -----------------------------------------------------------------

  observe(): ObservedGroup {
    const cluster = this.cfg.topology === 'cluster';
    const nodes = this.nodes.map((n): DataNode => {
      const base: DataNode = {
        id: nodeId(this.addr(n.port)),
        addr: this.addr(n.port),
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
      if (cluster) {
        // The seed's CLUSTER NODES names every node and its primary, up or not.
        base.clusterId = `n${n.port}`;
        base.clusterPrimaryId = n.follows !== undefined ? `n${n.follows}` : undefined;
      }
      if (n.phase === 'down') return base;
      const p = this.primaryOf(n.shard);
      const common: DataNode = {
        ...base,
        reachable: true,
        role: n.role,
        primary: n.follows !== undefined ? this.addr(n.follows) : undefined,
        persistent: n.persistent,
        priority: n.priority,
        running: { version: n.version, startedAtMs: n.startedAt },
      };
      if (n.phase === 'loading') return { ...common, loading: true };
      return {
        ...common,
        linkUp:
          n.role === 'replica' &&
          n.linkDownLeft === 0 &&
          n.syncLeft === 0 &&
          p !== undefined &&
          p.phase === 'up' &&
          n.follows === p.port,
        syncing: n.syncLeft > 0,
        replId: n.replId,
        offset: n.offset,
        keys: this.keys(n),
        ...(cluster ? { clusterOk: true } : {}),
      };
    });
    const monitors = this.monitors.map((m): MonitorNode => ({
      id: nodeId(at(m.port)),
      addr: at(m.port),
      reachable: this.monitorAnswers(m),
      running: this.monitorAnswers(m) ? { version: m.version, startedAtMs: m.startedAt } : {},
      primary: this.monitorAnswers(m) && m.announced !== undefined ? this.addr(m.announced) : undefined,
      failoverInProgress: this.monitorAnswers(m) && m.failover,
      primaryDown: false,
      peers: this.monitorAnswers(m) ? m.known.size : 0,
    }));
    const g: ObservedGroup = { topology: this.cfg.topology, nodes, monitors };
    if (this.cfg.topology === 'replication') {
      g.name = 'mymaster';
      g.quorum = this.cfg.quorum;
    }
    if (cluster) g.clusterAgreed = this.convergeLeft === 0 && this.nodes.every((n) => n.phase === 'up');
    return g;
  }

  state(): string[] {
    const lines = this.nodes.map(
      (n) =>
        `node ${n.port} shard ${n.shard} ${n.role}${n.follows !== undefined ? `>${n.follows}` : ''} ${n.version}` +
        ` ${n.phase} sync=${n.syncLeft} linkDown=${n.linkDownLeft} ${n.replId}@${n.offset}` +
        ` keys=${this.keys(n)} ${n.persistent ? 'persistent' : 'volatile'} prio=${n.priority}`,
    );
    for (const m of this.monitors)
      lines.push(
        `monitor ${m.port} ${m.version} ${m.phase}${m.blipLeft > 0 ? ' silent' : ''} announces ${m.announced ?? '-'}` +
          ` knows ${[...m.known].join(',') || '-'}${m.failover ? ' failover' : ''}`,
      );
    return lines;
  }
}

// ---------------------------------------------------------------------------------------------
// Building a world from a seed

function buildWorld(cfg: SimConfig): World {
  const w = new World(cfg, cfg.seed * 7919 + 17);
  const before = () => TOKEN - w.int(1, 100_000) * 1000;
  const after = () => TOKEN + w.int(0, 9) * 1000;
  const dataRunning = (): { version: string; startedAt: number } => {
    if (!w.chance(0.85)) return { version: NEW, startedAt: after() };
    if (cfg.spec === 'version') return { version: OLD, startedAt: before() };
    if (cfg.spec === 'token') return { version: NEW, startedAt: before() };
    const kind = w.int(0, 2);
    return { version: kind === 1 ? NEW : OLD, startedAt: kind === 0 ? after() : before() };
  };
  const base = cfg.topology === 'cluster' ? 7000 : 6379;
  for (let s = 0; s < cfg.shards; s++) {
    const history = `H${++w.seq}`;
    w.lineage.push(new Set([history]));
    const offset = BYTES_PER_KEY * w.int(cfg.topology === 'standalone' ? 0 : 1, 500);
    const ports = [
      base + s,
      ...Array.from({ length: cfg.replicasPerShard }, (_, i) => base + cfg.shards * (i + 1) + s),
    ];
    ports.forEach((port, i) => {
      w.nodes.push({
        port,
        shard: s,
        role: i === 0 ? 'primary' : 'replica',
        follows: i === 0 ? undefined : ports[0],
        ...dataRunning(),
        phase: 'up',
        phaseLeft: 0,
        syncLeft: 0,
        linkDownLeft: 0,
        replId: history,
        offset,
        persistent: w.chance(0.7),
        priority: 100,
        saved: undefined,
      });
    });
    // Some replicas are never promoted, but at least one of each shard can be (unless noTarget).
    const replicas = w.nodes.filter((n) => n.shard === s && n.role === 'replica');
    if (cfg.topology === 'replication')
      for (const [i, r] of replicas.entries()) if (cfg.noTarget || (i > 0 && w.chance(0.3))) r.priority = 0;
    w.acked.push(offset);
    w.lastPrimary.push(ports[0]!);
  }
  for (let i = 0; i < cfg.monitors; i++) {
    w.monitors.push({
      port: 26379 + i,
      version: VIGIL,
      startedAt: w.chance(0.85) ? before() : after(),
      phase: 'up',
      downLeft: 0,
      blipLeft: 0,
      announced: base,
      announceLeft: 0,
      known: new Set(
        Array.from({ length: cfg.monitors }, (_, j) => 26379 + j).filter((p) => p !== 26379 + i),
      ),
      failover: false,
      failoverLeft: 0,
    });
  }
  return w;
}

function configFor(topology: Topology, seed: number): SimConfig {
  const r = mulberry32(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
  const monitors = topology === 'replication' ? pick([3, 3, 5]) : 0;
  const majority = Math.floor(monitors / 2) + 1;
  return {
    seed,
    topology,
    shards: topology === 'cluster' ? 3 : 1,
    replicasPerShard: topology === 'replication' ? pick([1, 2, 2, 3]) : topology === 'cluster' ? 1 : 0,
    monitors,
    quorum:
      monitors === 0 ? 0 : pick(Array.from({ length: majority - 1 }, (_, i) => i + 2).concat([majority - 1])),
    maxLagBytes: pick([0, 0, 200]),
    spec: pick(['version', 'token', 'both'] as const),
    layout: topology === 'standalone' ? 'ports' : pick(['ports', 'hosts'] as const),
    rollMonitors: pick([true, true, false]),
    acceptDataLoss: pick([true, false]),
    noTarget: topology === 'replication' && r() < 0.05,
  };
}

// ---------------------------------------------------------------------------------------------
// The executor: no memory, only the step and the world

function execute(w: World, step: Step): void {
  switch (step.kind) {
    case 'restart-replica':
    case 'restart-primary':
      w.restartNode(keyOf(step.node));
      return;
    case 'restart-monitor':
      w.restartMonitor(keyOf(step.node));
      return;
    case 'switchover':
    case 'cluster-failover':
      w.requestHandover(step.kind, keyOf(step.from), keyOf(step.to));
      return;
  }
}

function describeStep(s: Step): string {
  switch (s.kind) {
    case 'restart-replica':
    case 'restart-primary':
    case 'restart-monitor':
      return `${s.kind} ${keyOf(s.node)}`;
    case 'switchover':
    case 'cluster-failover':
      return `${s.kind} ${keyOf(s.from)}>${keyOf(s.to)}`;
  }
}

// ---------------------------------------------------------------------------------------------
// Invariants

/** Checked when the rollout issues a step, against the world as it is at that moment. */
function checkIssue(w: World, step: Step, opts: PlanOptions): void {
  const cfg = w.cfg;
  const fail = (msg: string): never => {
    throw new Violation(`${describeStep(step)}: ${msg}`);
  };
  // Every node up and in sync, every monitor answering: whatever the step, it would otherwise
  // make two processes out of service at once.
  const unsynced = w.nodes.filter((n) => !w.synced(n));
  if (unsynced.length > 0)
    fail(`issued while ${unsynced.map((n) => n.port).join(', ')} is down or not in sync`);
  const silent = w.monitors.filter((m) => !w.monitorAnswers(m));
  if (silent.length > 0) fail(`issued while monitor ${silent.map((m) => m.port).join(', ')} does not answer`);
  const h = w.handover;
  if (h && !(step.kind === h.kind && keyOf(step.from) === h.from && keyOf(step.to) === h.to))
    fail(`issued while the handover ${h.from}>${h.to} is in progress`);

  switch (step.kind) {
    case 'restart-replica': {
      const n = w.node(keyOf(step.node));
      if (n.role === 'primary') fail(`${n.port} is the primary of its shard`);
      if (w.current(n)) fail(`${n.port} already runs the desired spec`);
      return;
    }
    case 'restart-primary': {
      if (cfg.topology !== 'standalone') fail('a primary restart outside a standalone group');
      const n = w.node(keyOf(step.node));
      if (!n.persistent && w.keys(n) > 0 && opts.acceptDataLoss !== true)
        fail(`${n.port} holds ${w.keys(n)} keys without persistence and data loss was not accepted`);
      return;
    }
    case 'switchover':
    case 'cluster-failover': {
      if ((cfg.topology === 'cluster') !== (step.kind === 'cluster-failover'))
        fail(`a ${step.kind} in a ${cfg.topology} group`);
      const from = w.node(keyOf(step.from));
      const to = w.node(keyOf(step.to));
      if (from.role !== 'primary') fail(`${from.port} is not a primary`);
      if (to.role !== 'replica' || to.shard !== from.shard)
        fail(`${to.port} is not a replica of ${from.port}`);
      if (!w.current(to)) fail(`the target ${to.port} does not run the desired spec`);
      if (!w.synced(to)) fail(`the target ${to.port} is not in sync`);
      if (to.priority === 0) fail(`the target ${to.port} has priority 0`);
      if (w.keys(from) > 0 && w.keys(to) === 0) fail(`the target ${to.port} is empty`);
      const staleReplica = w.nodes.find(
        (n) => n.shard === from.shard && n.role === 'replica' && !w.current(n),
      );
      if (staleReplica) fail(`handover before the replica ${staleReplica.port} was restarted`);
      return;
    }
    case 'restart-monitor': {
      const m = w.monitors.find((x) => x.port === keyOf(step.node));
      if (!m || w.monitorCurrent(m)) fail(`${keyOf(step.node)} is not a stale monitor`);
      const staleData = w.nodes.find((n) => !w.current(n));
      if (staleData) fail(`monitor restarted before the data node ${staleData.port}`);
      if (opts.monitors === false) fail('monitors were not to be rolled');
      const left = w.monitors.filter((m) => m.port !== keyOf(step.node) && w.monitorAnswers(m)).length;
      const needed = Math.max(cfg.quorum, Math.floor(cfg.monitors / 2) + 1);
      if (left < needed) fail(`only ${left} monitors left, ${needed} needed`);
      return;
    }
  }
}

/** Checked after every tick. */
function checkWorld(w: World): void {
  const fail = (msg: string): never => {
    throw new Violation(msg);
  };
  const restarting =
    w.nodes.filter((n) => n.phase !== 'up' || n.syncLeft > 0).length +
    w.monitors.filter((m) => m.phase !== 'up').length;
  if (restarting > 1) fail(`${restarting} processes restarting at once`);
  for (let s = 0; s < w.cfg.shards; s++) {
    const primaries = w.nodes.filter((n) => n.shard === s && n.role === 'primary');
    if (primaries.length !== 1) fail(`shard ${s} has ${primaries.length} primaries`);
    const p = primaries[0]!;
    if (p.port !== w.lastPrimary[s]) {
      if (!w.swaps.some((h) => h.shard === s && h.to === p.port))
        fail(`shard ${s}: the primary moved ${w.lastPrimary[s]} -> ${p.port} without a handover`);
      w.lastPrimary[s] = p.port;
    }
    if (p.phase !== 'up') continue;
    const lossAccepted = w.cfg.topology === 'standalone' && !p.persistent && w.cfg.acceptDataLoss;
    if (p.offset < w.acked[s]! && !lossAccepted)
      fail(
        `shard ${s}: the primary ${p.port} holds ${w.keys(p)} keys, ${w.acked[s]! / BYTES_PER_KEY} were acknowledged`,
      );
    w.acked[s] = Math.max(p.offset, lossAccepted ? 0 : w.acked[s]!);
  }
}

// ---------------------------------------------------------------------------------------------
// One seed

interface SeedResult {
  ok: boolean;
  message: string;
  end: 'done' | 'stop' | 'timeout' | 'violation';
  stopGate?: string | undefined;
  ticks: number;
  steps: Record<string, number>;
  waits: Record<string, number>;
  /** Cluster: a step on one shard while another shard was started and not finished. */
  shardOrder: string[];
  layout: SimConfig['layout'];
  counts: World['counts'];
  report: string;
}

function runSeed(cfg: SimConfig): SeedResult {
  const w = buildWorld(cfg);
  const desired: DesiredSpec =
    cfg.spec === 'version'
      ? { version: NEW }
      : cfg.spec === 'token'
        ? { restartedAfterMs: TOKEN }
        : { version: NEW, restartedAfterMs: TOKEN };
  const opts: PlanOptions = {
    desired,
    monitors: cfg.rollMonitors,
    maxLagBytes: cfg.maxLagBytes,
    acceptDataLoss: cfg.acceptDataLoss,
  };
  const steps: Record<string, number> = {};
  const waits: Record<string, number> = {};
  const shardOrder: string[] = [];
  const startedShards = new Set<number>();
  let rolloutDownLeft = 0;
  let end: SeedResult['end'] = 'timeout';
  let stopGate: string | undefined;
  let message: string;

  try {
    while (w.t < MAX_TICKS) {
      w.advance();
      w.interfere();
      checkWorld(w);
      if (rolloutDownLeft > 0) {
        if (--rolloutDownLeft === 0) w.log('rollout started again');
        continue;
      }
      if (w.chance(0.05)) {
        rolloutDownLeft = w.int(1, 4);
        w.counts.crashes++;
        w.log(`rollout crashed (${rolloutDownLeft} ticks)`);
        continue;
      }
      const d = planRollout(w.observe(), opts);
      const next = d.next;
      if (next.kind === 'wait') {
        waits[next.gate] = (waits[next.gate] ?? 0) + 1;
        w.log(`wait ${next.gate} ${next.subject ? keyOf(next.subject) : ''}`.trim());
        continue;
      }
      if (next.kind === 'stop') {
        w.log(`stop ${next.gate}: ${next.reason}`);
        end = 'stop';
        stopGate = next.gate;
        break;
      }
      if (next.kind === 'done') {
        w.log('done');
        end = 'done';
        break;
      }
      const step = next.step;
      w.log(`act ${describeStep(step)}`);
      steps[step.kind] = (steps[step.kind] ?? 0) + 1;
      checkIssue(w, step, opts);
      if (cfg.topology === 'cluster') {
        for (const s of [...startedShards])
          if (w.nodes.filter((n) => n.shard === s).every((n) => w.current(n) && w.synced(n)))
            startedShards.delete(s);
        const shard = w.node(keyOf('node' in step ? step.node : step.from)).shard;
        for (const s of startedShards)
          if (s !== shard) shardOrder.push(`t=${w.t} ${describeStep(step)} while shard ${s} is half done`);
        startedShards.add(shard);
      }
      execute(w, step);
    }
    // How the rollout ended.
    if (end === 'timeout') throw new Violation(`no end after ${MAX_TICKS} ticks`);
    if (end === 'stop') {
      const n = w.nodes[0]!;
      const losing =
        cfg.topology === 'standalone' &&
        !n.persistent &&
        w.keys(n) > 0 &&
        !w.current(n) &&
        !cfg.acceptDataLoss;
      const stuck = cfg.noTarget && !w.current(w.primaryOf(0)!);
      if (!(losing && stopGate === 'only-copy') && !(stuck && stopGate === 'no-target'))
        throw new Violation(`stopped (${stopGate ?? '?'}) although the group can be rolled`);
      if (Object.keys(steps).length > 0) throw new Violation(`steps were taken before the ${stopGate} stop`);
    } else {
      if (cfg.noTarget && !w.current(w.primaryOf(0)!))
        throw new Violation('ended with the primary stale but no stop');
      const stale = w.nodes.filter((n) => !w.current(n)).map((n) => n.port);
      if (cfg.rollMonitors) stale.push(...w.monitors.filter((m) => !w.monitorCurrent(m)).map((m) => m.port));
      if (stale.length > 0) throw new Violation(`done with ${stale.join(', ')} not current`);
      const unsynced = w.nodes.filter((n) => !w.synced(n)).map((n) => n.port);
      if (unsynced.length > 0) throw new Violation(`done with ${unsynced.join(', ')} not in sync`);
    }
    checkWorld(w);
    message = `${end} after ${w.t} ticks`;
  } catch (e) {
    if (!(e instanceof Violation)) throw e;
    end = 'violation';
    message = e.message;
  }
  const report =
    `seed ${cfg.seed} (${describeConfig(cfg)}): ${message}\n` +
    `  replay: runSeed(configFor('${cfg.topology}', ${cfg.seed}))\n` +
    `  last steps:\n    ${w.trace.join('\n    ')}\n  world:\n    ${w.state().join('\n    ')}`;
  return {
    ok: end !== 'violation',
    message,
    end,
    stopGate,
    ticks: w.t,
    steps,
    waits,
    shardOrder,
    layout: cfg.layout,
    counts: w.counts,
    report,
  };
}

function runSeeds(topology: Topology, first: number, count: number): SeedResult[] {
  const out: SeedResult[] = [];
  for (let seed = first; seed < first + count; seed++) out.push(runSeed(configFor(topology, seed)));
  return out;
}

function assertAllOk(results: readonly SeedResult[]): void {
  const bad = results.filter((r) => !r.ok);
  if (bad.length > 0)
    assert.fail(
      `${bad.length} of ${results.length} seeds failed (${bad
        .slice(0, 10)
        .map((r) => /^seed \d+/.exec(r.report)?.[0] ?? '?')
        .join(', ')}${bad.length > 10 ? ', ...' : ''}); the first:\n${bad[0]!.report}`,
    );
}

function total(
  results: readonly SeedResult[],
  pick: (r: SeedResult) => Record<string, number>,
): Record<string, number> {
  const sum: Record<string, number> = {};
  for (const r of results) for (const [k, v] of Object.entries(pick(r))) sum[k] = (sum[k] ?? 0) + v;
  return sum;
}

let clusterCache: SeedResult[] | undefined;
const clusterResults = (): SeedResult[] => (clusterCache ??= runSeeds('cluster', 1001, 300));

// ---------------------------------------------------------------------------------------------

describe('rollout simulation', () => {
  test('the world is deterministic: the same seed, the same run', () => {
    for (const topology of ['replication', 'cluster', 'standalone'] as const) {
      const a = runSeed(configFor(topology, 42));
      const b = runSeed(configFor(topology, 42));
      assert.equal(a.report, b.report);
    }
  });

  test('replication: 300 seeds', () => {
    const results = runSeeds('replication', 1, 300);
    assertAllOk(results);
    assert.ok(results.every((r) => r.end === 'done' || r.stopGate === 'no-target'));
    assert.ok(
      results.some((r) => r.stopGate === 'no-target'),
      'no seed had every replica at priority 0',
    );
    // Not vacuous: handovers, monitor restarts and every kind of interference happened.
    const steps = total(results, (r) => r.steps);
    const waits = total(results, (r) => r.waits);
    assert.ok((steps['switchover'] ?? 0) > 200, JSON.stringify(steps));
    assert.ok((steps['restart-monitor'] ?? 0) > 100, JSON.stringify(steps));
    for (const gate of [
      'node-down',
      'replica-sync',
      'failover-in-progress',
      'monitors-disagree',
      'monitor-quorum',
    ])
      assert.ok((waits[gate] ?? 0) > 0, `no wait on ${gate}: ${JSON.stringify(waits)}`);
    const counts = total(results, (r) => r.counts);
    assert.ok(
      counts['crashes']! > 100 && counts['linkDrops']! > 100 && counts['blips']! > 50,
      JSON.stringify(counts),
    );
  });

  test('cluster, 3 shards x 1 replica: 300 seeds', () => {
    const results = clusterResults();
    assertAllOk(results);
    assert.ok(results.every((r) => r.end === 'done'));
    const steps = total(results, (r) => r.steps);
    const waits = total(results, (r) => r.waits);
    assert.ok((steps['cluster-failover'] ?? 0) > 300, JSON.stringify(steps));
    assert.ok((waits['cluster-converging'] ?? 0) > 0, JSON.stringify(waits));
  });

  test('standalone: 100 seeds', () => {
    const results = runSeeds('standalone', 2001, 100);
    assertAllOk(results);
    assert.ok(results.some((r) => r.end === 'stop' && r.stopGate === 'only-copy'));
    assert.ok(results.some((r) => (r.steps['restart-primary'] ?? 0) > 0));
  });

  const shardOrder = (layout: SimConfig['layout']): void => {
    const results = clusterResults().filter((r) => r.layout === layout);
    assert.ok(results.length > 100);
    const bad = results.filter((r) => r.shardOrder.length > 0);
    assert.equal(
      bad.length,
      0,
      `${bad.length} of ${results.length} seeds; the first:\n` +
        `${bad[0]?.shardOrder.slice(0, 3).join('\n') ?? ''}\n${bad[0]?.report ?? ''}`,
    );
  };

  test('cluster, one port per node: a shard is finished before another one is started', () =>
    shardOrder('ports'));

  test('cluster, every node on port 6379 of its own host: a shard is finished before another one is started', () =>
    shardOrder('hosts'));
});
