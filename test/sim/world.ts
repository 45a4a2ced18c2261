/**
 * A whole replication group and its monitors in one process, on simulated time: fake Redis
 * nodes answer PING/INFO/SLAVEOF/PUBLISH, monitors are real decision cores, and every message
 * goes through a seeded network that can delay, drop or partition. Same seed, same run.
 *
 * The network keeps TCP's promises: messages on one connection arrive in order, a connection
 * belongs to one incarnation of its peer (after a restart the old connection is dead), a killed
 * process resets its connections (the peer hears it unless a partition is in the way), and a
 * frozen process keeps its connections open while what is sent to it waits in its socket.
 * Nodes and monitors can be killed, restarted and frozen; a restarted monitor is rebuilt from
 * what it last persisted (see persisted.ts).
 */
import { VIGIL_CHANNEL } from '../../src/core/constants.js';
import { SentinelCore } from '../../src/core/core.js';
import { newMasterRecord } from '../../src/core/record.js';
import type { Addr, CoreReply, Effect, ReplyTag } from '../../src/core/types.js';
import { restoreCore, snapshotCore, type PersistedState } from './persisted.js';

import { mulberry32 } from '../harness/random.js';

export interface SimNode {
  addr: Addr;
  runId: string;
  role: 'master' | 'slave';
  master: Addr | undefined;
  alive: boolean;
  replId: string;
  /**
   * The histories restarts replaced while it kept its role (a restarted primary gets a new
   * replication id even when it keeps its data), oldest first; cleared when its role changes.
   */
  prevReplIds: string[];
  /** The history it continues ('' when none), as Redis's master_replid2 ... */
  replId2: string;
  /** ... up to this offset (second_repl_offset; -1 when none). */
  secondOffset: number;
  offset: number;
  /** Keys in its data set: a primary gains one per millisecond of writes, replicas copy it. */
  keys: number;
  priority: number;
  /** True once the replica has synced with its current master. */
  synced: boolean;
  /** A paused process (SIGSTOP): it keeps its connections but answers nothing until thawed. */
  frozen: boolean;
  /** CLIENT PAUSE WRITE: a primary takes no writes until then (0: not paused). */
  pausedUntil: number;
  /** Restarted with persistence: loading its data set until then (INFO shows a part of it). */
  loadingUntil: number;
  /** Whether a restart keeps the data set (RDB/AOF); the role survives either way (CONFIG REWRITE). */
  persistent: boolean;
  /** Bumped at every kill: connections opened to an earlier incarnation are dead. */
  incarnation: number;
  /** When the replication link went down; 0 while it is up. */
  linkDownSince: number;
  /** The replica's replication link (unused on a primary). */
  repl: ReplLink;
}

/**
 * A replica's link to the node it replicates from, as Redis runs it: after a break it reconnects
 * on its once-a-second replication cron, then PSYNCs: a partial resync when it holds the
 * upstream's history (same or continued replication id), else a full sync that takes a while
 * (master_sync_in_progress:1) and replaces its data set and history with the upstream's.
 */
export interface ReplLink {
  state: 'down' | 'connecting' | 'syncing' | 'up';
  /** Which node (key) and incarnation the link is to. */
  to: string;
  inc: number;
  /** When connecting or syncing is done. */
  readyAt: number;
}

export interface SimEvent {
  t: number;
  monitor: number;
  type: string;
  message: string;
  /** The monitor's current epoch when the event happened. */
  epoch: number;
  /** For +elected-leader: the epoch of the failover the monitor was elected for. */
  failoverEpoch?: number;
}

/** What a monitor received from a data node: the ground truth at the moment the node answered. */
export interface NodeAnswer {
  monitor: number;
  node: string;
  /** When the answer reached the monitor. */
  t: number;
  /** When the node produced it, and what it was then. */
  sentAt: number;
  command: string;
  role: 'master' | 'slave';
  priority: number;
  replId: string;
  replId2: string;
}

interface Pending {
  at: number;
  seq: number;
  run: () => void;
}

/** One monitor's end of a link: where it points and which connection (by serial) is current. */
interface LinkRec {
  target: Addr;
  /** Index of the target monitor, or -1 for a data node. */
  peer: number;
  /** Incarnation of the target when the command connection opened. */
  incarnation: number;
  /** Serial of the current command connection; 0 when none. */
  cc: number;
  /** Whether that connection actually opened. */
  ccOk: boolean;
  /** Serial of the current pub/sub connection; 0 when none. */
  pc: number;
  /** FIFO: no message on this connection arrives before the previous one. */
  lastCmdAt: number;
  lastReplyAt: number;
}

interface Sub {
  monitor: number;
  core: SentinelCore;
  link: string;
  serial: number;
  incarnation: number;
  lastAt: number;
}

interface MonitorSlot {
  alive: boolean;
  frozen: boolean;
  incarnation: number;
  links: Map<string, LinkRec>;
  nextTick: number;
  persisted: PersistedState;
  /** Deliveries that reached the monitor while it was frozen, run in order when it thaws. */
  backlog: (() => void)[];
}

const key = (a: Addr) => `${a.host}:${a.port}`;

/**
 * A replication id as Redis makes them (40 hex characters), unique per node, cause and time, so
 * the config file a monitor writes of it is one the parser accepts.
 */
function replIdFor(port: number, cause: 'start' | 'restart' | 'promotion', now: number): string {
  const c = { start: '0', restart: '1', promotion: '2' }[cause];
  return `${port.toString(16).padStart(4, '0')}${c}${now.toString(16).padStart(12, '0')}`.padEnd(40, 'e');
}

/** A binary heap of pending deliveries ordered by (time, sequence): FIFO among equal times. */
class Agenda {
  private h: Pending[] = [];
  get size(): number {
    return this.h.length;
  }
  peek(): Pending | undefined {
    return this.h[0];
  }
  private less(a: Pending, b: Pending): boolean {
    return a.at < b.at || (a.at === b.at && a.seq < b.seq);
  }
  push(p: Pending): void {
    const h = this.h;
    h.push(p);
    let i = h.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.less(h[i]!, h[parent]!)) break;
      [h[i], h[parent]] = [h[parent]!, h[i]!];
      i = parent;
    }
  }
  pop(): Pending | undefined {
    const h = this.h;
    const top = h[0];
    const last = h.pop();
    if (h.length > 0 && last) {
      h[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < h.length && this.less(h[l]!, h[m]!)) m = l;
        if (r < h.length && this.less(h[r]!, h[m]!)) m = r;
        if (m === i) break;
        [h[i], h[m]] = [h[m]!, h[i]!];
        i = m;
      }
    }
    return top;
  }
}

export class World {
  now = 1_000_000;
  readonly rand: () => number;
  readonly nodes = new Map<string, SimNode>();
  readonly monitors: SentinelCore[] = [];
  readonly monitorAddrs: Addr[] = [];
  readonly events: SimEvent[] = [];
  /** Pairs of endpoints that cannot talk (by address key). */
  readonly cut = new Set<string>();
  dropRate = 0;
  /** One-way latency is minLatency..maxLatency ms (uniform). */
  minLatency = 1;
  maxLatency = 2;
  /** Called for every event as it is emitted (checkers subscribe here). */
  onEvent: ((e: SimEvent) => void) | undefined;
  /** Every effect a monitor's core asked for, as it is performed. */
  onEffect: ((monitor: number, e: Effect) => void) | undefined;
  /** Called for every answer a data node gives a monitor, when it reaches the monitor. */
  onAnswer: ((a: NodeAnswer) => void) | undefined;
  /** Called after every step: every instant at which something happened. */
  afterStep: (() => void) | undefined;
  /** Steps taken so far (a step is one instant at which something happened). */
  steps = 0;
  private queue = new Agenda();
  private seq = 0;
  private serial = 0;
  private slots: MonitorSlot[] = [];
  /** Pub/sub subscriptions: node key -> `${monitor}|${link}` -> subscription. */
  private subs = new Map<string, Map<string, Sub>>();
  /** Deliveries that reached a frozen node, run in order when it thaws. */
  private nodeBacklog = new Map<string, (() => void)[]>();
  private idCounter = 0;

  constructor(seed: number) {
    this.rand = mulberry32(seed);
  }

  private newRunId(): string {
    this.idCounter++;
    return (this.idCounter.toString(16).padStart(8, '0') + 'f'.repeat(32)).slice(0, 40);
  }

  get queueSize(): number {
    return this.queue.size;
  }

  addNode(port: number, master?: number): SimNode {
    const addr = { host: '127.0.0.1', port };
    const upstream = master === undefined ? undefined : this.nodes.get(`127.0.0.1:${master}`);
    const n: SimNode = {
      addr,
      runId: this.newRunId(),
      role: master === undefined ? 'master' : 'slave',
      master: master === undefined ? undefined : { host: '127.0.0.1', port: master },
      alive: true,
      replId: master === undefined ? replIdFor(port, 'start', 0) : (upstream?.replId ?? ''),
      prevReplIds: [],
      replId2: '',
      secondOffset: -1,
      offset: 0,
      keys: upstream?.keys ?? 0,
      priority: 100,
      synced: master === undefined || upstream !== undefined,
      frozen: false,
      pausedUntil: 0,
      loadingUntil: 0,
      persistent: true,
      incarnation: 1,
      linkDownSince: 0,
      // A group starts in sync: replicas of an existing primary have their link up.
      repl: {
        state: upstream ? 'up' : 'down',
        to: upstream ? key(upstream.addr) : '',
        inc: upstream?.incarnation ?? 0,
        readyAt: 0,
      },
    };
    this.nodes.set(key(addr), n);
    return n;
  }

  addMonitor(
    port: number,
    masterPort: number,
    quorum: number,
    downAfterMs = 1000,
    failoverTimeoutMs = 10_000,
  ): SentinelCore {
    const idx = this.monitors.length;
    const myid = `${(idx + 1).toString(16).padStart(2, '0')}${'a'.repeat(38)}`;
    const core = new SentinelCore(
      { myid, currentEpoch: 0, port, announceIp: '127.0.0.1' },
      this.rand,
      this.now,
    );
    core.addMaster(
      newMasterRecord('mymaster', { host: '127.0.0.1', port: masterPort }, quorum, {
        downAfterMs,
        failoverTimeoutMs,
      }),
      this.now,
    );
    this.monitors.push(core);
    this.monitorAddrs.push({ host: '127.0.0.1', port });
    this.slots.push({
      alive: true,
      frozen: false,
      incarnation: 1,
      links: new Map(),
      nextTick: this.now + Math.floor(this.rand() * 100),
      // A fresh monitor writes its config (with its new id) at start-up, as the daemon does.
      persisted: snapshotCore(core),
      backlog: [],
    });
    core.announceMonitors(this.now);
    this.perform(idx, core.drain());
    return core;
  }

  node(port: number): SimNode {
    const n = this.nodes.get(`127.0.0.1:${port}`);
    if (!n) throw new Error(`no node ${port}`);
    return n;
  }

  monitorAlive(idx: number): boolean {
    return this.slots[idx]?.alive ?? false;
  }

  monitorFrozen(idx: number): boolean {
    return this.slots[idx]?.frozen ?? false;
  }

  /** What monitor `idx` last wrote to its config file. */
  persistedState(idx: number): PersistedState {
    return this.slots[idx]!.persisted;
  }

  reachable(a: Addr, b: Addr): boolean {
    if (this.cut.size === 0) return true;
    return !this.cut.has(`${key(a)}|${key(b)}`) && !this.cut.has(`${key(b)}|${key(a)}`);
  }

  partition(a: Addr, b: Addr): void {
    this.cut.add(`${key(a)}|${key(b)}`);
  }

  unpartition(a: Addr, b: Addr): void {
    this.cut.delete(`${key(a)}|${key(b)}`);
    this.cut.delete(`${key(b)}|${key(a)}`);
  }

  heal(): void {
    this.cut.clear();
  }

  private schedule(delay: number, run: () => void): number {
    const at = this.now + delay;
    this.queue.push({ at, seq: this.seq++, run });
    return at;
  }

  /** Run `run` at absolute time `at` (no earlier than the next millisecond). */
  at(at: number, run: () => void): void {
    this.queue.push({ at: Math.max(at, this.now + 1), seq: this.seq++, run });
  }

  private latency(): number {
    const span = Math.max(1, this.maxLatency - this.minLatency + 1);
    return this.minLatency + Math.floor(this.rand() * span);
  }

  /** Delay for the next message on a FIFO connection whose last message arrives at `last`. */
  private fifo(last: number): number {
    return Math.max(this.latency(), last - this.now);
  }

  /** Advance simulated time by `ms`, stopping at every instant where something happens. */
  run(ms: number): void {
    const end = this.now + ms;
    // Changes made from outside (kills, restarts, partitions) take effect on replication now.
    this.replicationStep();
    for (;;) {
      let next = this.queue.peek()?.at ?? Infinity;
      for (const s of this.slots) if (s.alive && !s.frozen && s.nextTick < next) next = s.nextTick;
      next = Math.max(next, this.now + 1);
      if (next > end) {
        this.replicate(end - this.now);
        this.now = end;
        return;
      }
      this.replicate(next - this.now);
      this.now = next;
      this.steps++;
      this.replicationStep();
      for (let p = this.queue.peek(); p !== undefined && p.at <= this.now; p = this.queue.peek()) {
        this.queue.pop();
        p.run();
      }
      this.slots.forEach((slot, i) => {
        if (!slot.alive || slot.frozen || slot.nextTick > this.now) return;
        const core = this.monitors[i]!;
        core.tick(this.now);
        this.perform(i, core.drain());
        slot.nextTick = this.now + core.nextTickDelay();
      });
      this.afterStep?.();
    }
  }

  // ------------------------------------------------------------------ data nodes

  /** The node a replica replicates from, when its replication link is up. */
  private upstream(n: SimNode): SimNode | undefined {
    if (!n.alive || n.role !== 'slave' || !n.master || n.repl.state !== 'up') return undefined;
    const m = this.nodes.get(n.repl.to);
    if (!m || !m.alive || m.incarnation !== n.repl.inc) return undefined;
    return m;
  }

  /** `ms` milliseconds of replication: a primary takes writes continuously, linked replicas follow. */
  private replicate(ms: number): void {
    if (ms <= 0) return;
    for (const n of this.nodes.values()) {
      if (n.alive && !n.frozen && n.role === 'master' && this.now >= n.loadingUntil) {
        // Writes stop while paused; a pause ending within this step lets the rest of it through.
        const open = Math.min(ms, Math.max(0, this.now + ms - n.pausedUntil));
        n.offset += 10 * open;
        n.keys += open;
      }
    }
    for (const n of this.nodes.values()) {
      if (n.frozen) continue;
      const m = this.upstream(n);
      if (m) {
        n.offset = m.offset;
        n.keys = m.keys;
      }
    }
  }

  private replDown(n: SimNode): void {
    n.repl.state = 'down';
    if (n.linkDownSince === 0) n.linkDownSince = this.now;
  }

  /** Can `n` resume from `m` with a partial resync? (Backlog size is not modelled.) */
  private canContinue(n: SimNode, m: SimNode): boolean {
    if (n.replId === '') return false;
    if (n.replId === m.replId) return n.offset <= m.offset;
    return n.replId === m.replId2 && n.offset <= m.secondOffset;
  }

  /** Adopt `m`'s history by a partial resync (shifting our id to replid2 when it was promoted). */
  private continueFrom(n: SimNode, m: SimNode): void {
    if (n.replId !== m.replId) {
      n.replId2 = n.replId;
      n.secondOffset = m.secondOffset;
      n.replId = m.replId;
    }
    n.offset = m.offset;
    n.keys = m.keys;
  }

  /** At every step: replication links break, reconnect, resync (see ReplLink). */
  private replicationStep(): void {
    for (const n of this.nodes.values()) {
      if (!n.alive || n.frozen || n.role !== 'slave' || !n.master) continue;
      const l = n.repl;
      const m = this.nodes.get(key(n.master));
      const reach = m !== undefined && m.alive && m !== n && this.reachable(n.addr, m.addr);
      if (l.state !== 'down' && !(reach && l.to === key(m.addr) && l.inc === m.incarnation)) this.replDown(n);
      if (!reach) continue;
      if (l.state === 'up' && n.replId !== m.replId) {
        // The upstream changed history: a promotion continues it, anything else breaks the link.
        if (n.replId === m.replId2) this.continueFrom(n, m);
        else this.replDown(n);
      }
      if (l.state === 'down') {
        l.state = 'connecting';
        l.to = key(m.addr);
        l.inc = m.incarnation;
        l.readyAt = this.now + 1 + Math.floor(this.rand() * 1000);
        this.at(l.readyAt, () => undefined);
      }
      if (l.readyAt > this.now || l.state === 'up') continue;
      if (m.frozen || this.now < m.loadingUntil) {
        // A frozen or loading upstream serves no PSYNC: try again shortly.
        l.readyAt = this.now + 100;
        this.at(l.readyAt, () => undefined);
        continue;
      }
      if (l.state === 'connecting' && this.canContinue(n, m)) {
        this.continueFrom(n, m);
      } else if (l.state === 'connecting') {
        l.state = 'syncing';
        l.readyAt = this.now + 100 + Math.floor(this.rand() * 900);
        this.at(l.readyAt, () => undefined);
        continue;
      } else {
        // Full sync done: the upstream's data set and history replace ours.
        n.replId = m.replId;
        n.replId2 = '';
        n.secondOffset = -1;
        n.offset = m.offset;
        n.keys = m.keys;
      }
      l.state = 'up';
      n.linkDownSince = 0;
      n.synced = true;
    }
  }

  /** Kill a node (SIGKILL): its connections reset, what it was sent is lost. */
  killNode(n: SimNode): void {
    if (!n.alive) return;
    n.alive = false;
    n.frozen = false;
    n.repl.state = 'down';
    this.nodeBacklog.delete(key(n.addr));
    this.resetConnectionsTo(n.addr, n.incarnation);
    n.incarnation++;
  }

  /**
   * Start a killed node again, in the role its config file names (Sentinel's SLAVEOF rewrites it),
   * with a new run id. As Redis does: a replica with persistence reloads its replication id and
   * offset (it can resume with a partial sync); a primary, or a node without persistence, starts
   * a new history (an empty one without persistence).
   */
  restartNode(n: SimNode): void {
    if (n.alive) return;
    n.alive = true;
    n.frozen = false;
    n.runId = this.newRunId();
    if (!n.persistent || n.role === 'master') {
      n.prevReplIds.push(n.replId);
      n.replId = replIdFor(n.addr.port, 'restart', this.now);
      n.replId2 = '';
      n.secondOffset = -1;
      n.offset = 0;
      if (!n.persistent) n.keys = 0;
      n.synced = n.role === 'master';
    }
    // Reloading what it persisted takes a moment, during which INFO shows a part of it.
    if (n.persistent && n.keys > 0) {
      n.loadingUntil = this.now + 50 + Math.floor(this.rand() * 250);
      this.at(n.loadingUntil, () => undefined);
    }
    n.repl.state = 'down';
    n.linkDownSince = n.role === 'slave' ? this.now : 0;
  }

  freezeNode(n: SimNode): void {
    if (n.alive) n.frozen = true;
  }

  thawNode(n: SimNode): void {
    if (!n.frozen) return;
    n.frozen = false;
    const backlog = this.nodeBacklog.get(key(n.addr)) ?? [];
    this.nodeBacklog.delete(key(n.addr));
    for (const run of backlog) run();
  }

  private info(n: SimNode): string {
    const lines = [`# Server`, `run_id:${n.runId}`, `# Replication`, `role:${n.role}`];
    if (n.role === 'master') {
      let i = 0;
      for (const r of this.nodes.values()) {
        const linked =
          r.alive &&
          r.role === 'slave' &&
          (r.repl.state === 'up' || r.repl.state === 'syncing') &&
          r.repl.to === key(n.addr) &&
          r.repl.inc === n.incarnation;
        if (linked) {
          const state = r.repl.state === 'up' ? 'online' : 'send_bulk';
          lines.push(
            `slave${i++}:ip=${r.addr.host},port=${r.addr.port},state=${state},offset=${r.offset},lag=0`,
          );
        }
      }
      lines.push(...this.replLines(n));
    } else if (n.master) {
      const up = this.upstream(n) !== undefined;
      const downFor = n.linkDownSince === 0 ? 0 : this.now - n.linkDownSince;
      lines.push(
        `master_host:${n.master.host}`,
        `master_port:${n.master.port}`,
        `master_link_status:${up ? 'up' : 'down'}`,
        ...(up ? [] : [`master_link_down_since_seconds:${Math.max(1, Math.floor(downFor / 1000))}`]),
        `master_sync_in_progress:${n.repl.state === 'syncing' ? 1 : 0}`,
        `slave_repl_offset:${n.offset}`,
        `slave_priority:${n.priority}`,
        ...this.replLines(n),
      );
    }
    const loading = this.now < n.loadingUntil;
    lines.push(`loading:${loading ? 1 : 0}`, '# Keyspace');
    // While loading, the keys read so far.
    const keys = loading ? Math.floor(n.keys * this.rand()) : n.keys;
    if (keys > 0) lines.push(`db0:keys=${keys},expires=0,avg_ttl=0`);
    return lines.join('\r\n') + '\r\n';
  }

  private replLines(n: SimNode): string[] {
    return [
      `master_replid:${n.replId || '0'.repeat(40)}`,
      `master_replid2:${n.replId2 || '0'.repeat(40)}`,
      `master_repl_offset:${n.offset}`,
      `second_repl_offset:${n.secondOffset}`,
    ];
  }

  /**
   * What a node answers to a batch: the reply of its last command, or EXEC's array for a
   * transaction. Commands a monitor sends that change nothing modelled here answer OK.
   */
  private execNode(n: SimNode, cmds: readonly (readonly string[])[]): CoreReply {
    const replies: CoreReply[] = [];
    for (const cmd of cmds) {
      if (cmd[0] === 'MULTI' || cmd[0] === 'EXEC') continue;
      replies.push(this.execOne(n, cmd));
    }
    if (cmds[0]?.[0] === 'MULTI') return { t: 'array', v: replies };
    return replies[replies.length - 1] ?? { t: 'status', v: 'OK' };
  }

  private execOne(n: SimNode, cmd: readonly string[]): CoreReply {
    const [name, a1, a2] = cmd;
    const ok: CoreReply = { t: 'status', v: 'OK' };
    switch (name) {
      case 'PING':
        return { t: 'status', v: 'PONG' };
      case 'INFO':
        return { t: 'string', v: this.info(n) };
      case 'SLAVEOF':
        if (a1 === 'NO' && a2 === 'ONE') this.promote(n);
        else this.follow(n, { host: a1 ?? '', port: Number(a2) });
        return ok;
      case 'CONFIG':
        return a1 === 'GET'
          ? {
              t: 'array',
              v: [
                { t: 'string', v: a2 ?? '' },
                { t: 'string', v: '10' },
              ],
            }
          : ok;
      case 'CLIENT':
        if (a1 === 'PAUSE') n.pausedUntil = this.now + Number(a2);
        if (a1 === 'UNPAUSE') n.pausedUntil = 0;
        return ok;
      case 'FAILOVER':
        if (a1 === 'TO') this.failoverTo(n, { host: a2 ?? '', port: Number(cmd[3]) });
        return ok;
      default:
        return ok;
    }
  }

  private promote(n: SimNode): void {
    if (n.role !== 'slave') return;
    n.role = 'master';
    n.master = undefined;
    n.prevReplIds = [];
    n.replId2 = n.replId;
    n.secondOffset = n.offset + 1;
    n.replId = replIdFor(n.addr.port, 'promotion', this.now);
    n.linkDownSince = 0;
    n.repl.state = 'down';
  }

  private follow(n: SimNode, to: Addr): void {
    if (n.role === 'master' || !n.master || key(n.master) !== key(to)) {
      n.role = 'slave';
      n.master = to;
      n.prevReplIds = [];
      n.synced = false;
      n.linkDownSince = 0;
      this.replDown(n);
    }
  }

  /**
   * Redis's FAILOVER TO (with FORCE, as the coordinated switchover sends it once the target has
   * caught up): the primary becomes a replica of the target, whose PSYNC FAILOVER promotes it
   * continuing the primary's history, so the old primary resumes with a partial sync.
   */
  private failoverTo(n: SimNode, to: Addr): void {
    const t = this.nodes.get(key(to));
    if (n.role !== 'master' || !t || !t.alive || t.frozen || !this.reachable(n.addr, t.addr)) return;
    if (t.role !== 'slave' || !t.master || key(t.master) !== key(n.addr)) return;
    this.promote(t);
    this.follow(n, to);
    n.pausedUntil = 0;
  }

  // ------------------------------------------------------------------ monitors

  /** Kill a monitor (SIGKILL): what it did not persist is lost; its connections reset. */
  crashMonitor(idx: number): void {
    const slot = this.slots[idx]!;
    if (!slot.alive) return;
    slot.alive = false;
    slot.frozen = false;
    slot.backlog = [];
    slot.links.clear();
    for (const subs of this.subs.values()) {
      for (const [k, s] of subs) if (s.monitor === idx) subs.delete(k);
    }
    this.resetConnectionsTo(this.monitorAddrs[idx]!, slot.incarnation);
    slot.incarnation++;
  }

  /** Start a crashed monitor again from its persisted configuration, as the daemon does. */
  restartMonitor(idx: number): SentinelCore {
    const slot = this.slots[idx]!;
    if (slot.alive) return this.monitors[idx]!;
    const core = restoreCore(slot.persisted, this.rand, this.now);
    this.monitors[idx] = core;
    slot.alive = true;
    slot.frozen = false;
    slot.links = new Map();
    slot.nextTick = this.now + 1 + Math.floor(this.rand() * 100);
    slot.persisted = snapshotCore(core, slot.persisted);
    core.announceMonitors(this.now);
    this.perform(idx, core.drain());
    return core;
  }

  freezeMonitor(idx: number): void {
    const slot = this.slots[idx]!;
    if (slot.alive) slot.frozen = true;
  }

  thawMonitor(idx: number): void {
    const slot = this.slots[idx]!;
    if (!slot.frozen) return;
    slot.frozen = false;
    slot.nextTick = this.now;
    const backlog = slot.backlog;
    slot.backlog = [];
    for (const run of backlog) run();
  }

  /** Deliver something to monitor `idx` if it is still the process `core`; a frozen one queues it. */
  private toMonitor(idx: number, core: SentinelCore, run: () => void): void {
    const slot = this.slots[idx]!;
    if (!slot.alive || this.monitors[idx] !== core) return;
    if (slot.frozen) {
      slot.backlog.push(() => this.toMonitor(idx, core, run));
      return;
    }
    run();
    this.perform(idx, core.drain());
  }

  /** Deliver something to data node `n` in incarnation `inc`; a frozen one queues it. */
  private toNode(n: SimNode, inc: number, run: () => void): void {
    if (!n.alive || n.incarnation !== inc) return;
    if (n.frozen) {
      const k = key(n.addr);
      const b = this.nodeBacklog.get(k) ?? [];
      b.push(() => this.toNode(n, inc, run));
      this.nodeBacklog.set(k, b);
      return;
    }
    run();
  }

  /** The endpoint at `a` died: every monitor connected to it hears a reset, unless cut off. */
  private resetConnectionsTo(a: Addr, inc: number): void {
    this.slots.forEach((slot, j) => {
      if (!slot.alive) return;
      const core = this.monitors[j]!;
      const reachable = this.reachable(this.monitorAddrs[j]!, a);
      for (const [id, rec] of slot.links) {
        if (key(rec.target) !== key(a) || rec.incarnation !== inc) continue;
        if (rec.cc !== 0 && rec.ccOk && reachable) {
          const serial = rec.cc;
          this.schedule(this.latency(), () =>
            this.toMonitor(j, core, () => {
              if (slot.links.get(id) === rec && rec.cc === serial) core.linkDown(this.now, id, 'cc');
            }),
          );
        }
      }
    });
    const subs = this.subs.get(key(a));
    if (!subs) return;
    for (const s of subs.values()) {
      if (s.incarnation !== inc || !this.reachable(this.monitorAddrs[s.monitor]!, a)) continue;
      const slot = this.slots[s.monitor]!;
      this.schedule(this.latency(), () =>
        this.toMonitor(s.monitor, s.core, () => {
          const rec = slot.links.get(s.link);
          if (rec && rec.pc === s.serial) s.core.linkDown(this.now, s.link, 'pc');
        }),
      );
    }
    this.subs.delete(key(a));
  }

  private incarnationOf(a: Addr): { peer: number; inc: number; alive: boolean } {
    const peer = this.monitorAddrs.findIndex((m) => key(m) === key(a));
    if (peer >= 0) {
      const s = this.slots[peer]!;
      return { peer, inc: s.incarnation, alive: s.alive };
    }
    const n = this.nodes.get(key(a));
    return { peer: -1, inc: n?.incarnation ?? 0, alive: n?.alive ?? false };
  }

  /** Hand an operator's request to a monitor (SENTINEL FAILOVER...) and carry out what it decided. */
  command<T>(idx: number, request: (core: SentinelCore) => T): T {
    const core = this.monitors[idx]!;
    const res = request(core);
    this.perform(idx, core.drain());
    return res;
  }

  private perform(monitorIdx: number, effects: Effect[]): void {
    const slot = this.slots[monitorIdx]!;
    const links = slot.links;
    const core = this.monitors[monitorIdx]!;
    const me = this.monitorAddrs[monitorIdx]!;
    for (const e of effects) {
      this.onEffect?.(monitorIdx, e);
      switch (e.kind) {
        case 'connect': {
          const target = this.incarnationOf(e.addr);
          const ok = target.alive && this.reachable(me, e.addr);
          let rec = links.get(e.link);
          if (!rec || e.cc) {
            const prev = rec;
            rec = {
              target: e.addr,
              peer: target.peer,
              incarnation: target.inc,
              cc: 0,
              ccOk: false,
              pc: prev?.pc ?? 0,
              lastCmdAt: 0,
              lastReplyAt: 0,
            };
            links.set(e.link, rec);
          }
          const linkId = e.link;
          const r = rec;
          if (e.cc) {
            r.cc = ++this.serial;
            r.ccOk = ok;
            if (!ok) {
              const serial = r.cc;
              this.schedule(this.latency(), () =>
                this.toMonitor(monitorIdx, core, () => {
                  if (links.get(linkId) === r && r.cc === serial) core.linkDown(this.now, linkId, 'cc');
                }),
              );
            }
          }
          if (e.pubsub) {
            r.pc = ++this.serial;
            if (ok && target.peer < 0) {
              const subs = this.subs.get(key(e.addr)) ?? new Map<string, Sub>();
              subs.set(`${monitorIdx}|${linkId}`, {
                monitor: monitorIdx,
                core,
                link: linkId,
                serial: r.pc,
                incarnation: target.inc,
                lastAt: 0,
              });
              this.subs.set(key(e.addr), subs);
            } else {
              const serial = r.pc;
              this.schedule(this.latency(), () =>
                this.toMonitor(monitorIdx, core, () => {
                  if (links.get(linkId) === r && r.pc === serial) core.linkDown(this.now, linkId, 'pc');
                }),
              );
            }
          }
          break;
        }
        case 'close': {
          const rec = links.get(e.link);
          if (!rec) break;
          if (e.which !== 'pc') rec.cc = 0;
          if (e.which !== 'cc') {
            rec.pc = 0;
            this.subs.get(key(rec.target))?.delete(`${monitorIdx}|${e.link}`);
          }
          break;
        }
        case 'send':
          this.sendOnLink(monitorIdx, core, e.link, e.commands, e.tag);
          break;
        case 'salvage':
          this.salvage(monitorIdx, core, e);
          break;
        case 'hello': {
          const rec = links.get(e.link);
          if (!rec || rec.cc === 0 || !rec.ccOk) break;
          if (this.dropRate > 0 && this.rand() < this.dropRate) break;
          const serial = rec.cc;
          const payload = `${e.announceIp ?? '127.0.0.1'},${e.port},${e.tail}`;
          rec.lastCmdAt = this.schedule(this.fifo(rec.lastCmdAt), () =>
            this.arriveHello(monitorIdx, core, e.link, rec, serial, payload, e.tag),
          );
          break;
        }
        case 'event': {
          const ev: SimEvent = {
            t: this.now,
            monitor: monitorIdx,
            type: e.type,
            message: e.message,
            epoch: core.currentEpoch,
          };
          if (e.type === '+elected-leader') {
            const name = e.message.split(' ')[1] ?? '';
            ev.failoverEpoch = core.masters.get(name)?.failoverEpoch;
          }
          this.events.push(ev);
          this.onEvent?.(ev);
          break;
        }
        case 'flush-config':
          slot.persisted = snapshotCore(core, slot.persisted);
          break;
        default:
          break;
      }
    }
  }

  /** Write commands on a monitor's command connection (lost with the drop rate, like any message). */
  private sendOnLink(
    monitorIdx: number,
    core: SentinelCore,
    linkId: string,
    commands: readonly (readonly string[])[],
    tag: ReplyTag,
  ): void {
    const rec = this.slots[monitorIdx]!.links.get(linkId);
    if (!rec || this.rand() < this.dropRate) return;
    if (rec.cc === 0 || !rec.ccOk) return;
    const serial = rec.cc;
    rec.lastCmdAt = this.schedule(this.fifo(rec.lastCmdAt), () =>
      this.arrive(monitorIdx, core, linkId, rec, serial, commands, tag),
    );
  }

  /**
   * The shell's salvage of a replaced primary (src/node/salvage.ts): PSYNC from the fork point on a
   * connection of its own; the node continues if it still holds that history, else refuses; a dead
   * node refuses the connection, a cut-off or frozen one leaves it hanging until the shell's 60 s
   * timer. Whatever the outcome the node is then demoted on the monitor's link, and the core told.
   * Data is not modelled, so nothing is replayed.
   */
  private salvage(idx: number, core: SentinelCore, e: Extract<Effect, { kind: 'salvage' }>): void {
    const slot = this.slots[idx]!;
    const me = this.monitorAddrs[idx]!;
    let finished = false;
    const finish = (outcome: 'continued' | 'refused' | 'unreachable', detail: string) => {
      if (finished || this.monitors[idx] !== core || !slot.alive) return;
      finished = true;
      core.salvageStreaming(this.now, e.master, e.replica);
      this.perform(idx, core.drain());
      this.schedule(this.latency(), () =>
        this.toMonitor(idx, core, () =>
          core.salvageDone(this.now, e.master, e.replica, { outcome, replayed: 0, failed: 0, detail }),
        ),
      );
    };
    this.schedule(60_000, () => finish('unreachable', 'no answer to PSYNC in time'));
    const n = this.nodes.get(key(e.from));
    if (!n || !this.reachable(me, e.from)) return;
    if (!n.alive) {
      this.schedule(this.latency(), () => finish('unreachable', 'connection refused'));
      return;
    }
    const inc = n.incarnation;
    this.schedule(this.latency(), () => {
      if (!this.reachable(me, e.from)) return;
      this.toNode(n, inc, () => {
        const holds =
          n.replId === e.replId
            ? n.offset + 1 >= e.offset
            : n.replId2 === e.replId && e.offset <= n.secondOffset;
        this.schedule(this.latency(), () =>
          finish(holds ? 'continued' : 'refused', holds ? 'stream closed' : '-ERR no such history'),
        );
      });
    });
  }

  /** A command reaches the other end of link `linkId` of monitor `from`. */
  private arrive(
    from: number,
    core: SentinelCore,
    linkId: string,
    rec: LinkRec,
    serial: number,
    cmds: readonly (readonly string[])[],
    tag: ReplyTag,
  ): void {
    if (!this.reachable(this.monitorAddrs[from]!, rec.target)) return;
    if (rec.peer >= 0) {
      const peerSlot = this.slots[rec.peer]!;
      const peer = this.monitors[rec.peer]!;
      if (!peerSlot.alive || peerSlot.incarnation !== rec.incarnation) return;
      this.toMonitor(rec.peer, peer, () => {
        const [name, sub, host, port, epoch, runId, marker] = cmds[0] ?? [];
        if (name === 'PING')
          return this.answer(from, core, linkId, rec, serial, tag, { t: 'status', v: 'PONG' }, 1);
        if (name === 'SENTINEL' && sub === 'is-master-down-by-addr') {
          const res = peer.isMasterDownByAddr(
            this.now,
            host ?? '',
            Number(port),
            Number(epoch),
            runId ?? '*',
            marker !== undefined,
          );
          // The vote is persisted (flush-config) before the reply leaves.
          this.perform(rec.peer, peer.drain());
          this.answer(from, core, linkId, rec, serial, tag, {
            t: 'array',
            v: [
              { t: 'int', v: res.down ? 1 : 0 },
              { t: 'string', v: res.leader },
              { t: 'int', v: res.epoch },
            ],
          });
        }
      });
      return;
    }
    const n = this.nodes.get(key(rec.target));
    if (!n) return;
    this.toNode(n, rec.incarnation, () => {
      const sentAt = this.now;
      const r = this.execNode(n, cmds);
      const [verb, channel, message] = cmds[0] ?? [];
      if (verb === 'PUBLISH' && channel === VIGIL_CHANNEL && message !== undefined)
        this.publishVigil(n, message);
      const { role, priority, replId, replId2 } = n;
      const command = cmds[0]?.[0] ?? '';
      this.answer(from, core, linkId, rec, serial, tag, r, cmds.length, () =>
        this.onAnswer?.({
          monitor: from,
          node: key(n.addr),
          t: this.now,
          sentAt,
          command,
          role,
          priority,
          replId,
          replId2,
        }),
      );
    });
  }

  /** Send a reply back on the same connection; it is lost if the connection or the route is gone. */
  private answer(
    to: number,
    core: SentinelCore,
    linkId: string,
    rec: LinkRec,
    serial: number,
    tag: ReplyTag,
    r: CoreReply,
    batch = 1,
    received?: () => void,
  ): void {
    const slot = this.slots[to]!;
    rec.lastReplyAt = this.schedule(this.fifo(rec.lastReplyAt), () => {
      if (!this.reachable(this.monitorAddrs[to]!, rec.target)) return;
      this.toMonitor(to, core, () => {
        if (slot.links.get(linkId) !== rec || rec.cc !== serial) return;
        received?.();
        core.reply(this.now, tag, r, batch);
      });
    });
  }

  /** A Vigil-channel message published on a node reaches the monitors subscribed to it. */
  private publishVigil(n: SimNode, payload: string): void {
    for (const s of this.subs.get(key(n.addr))?.values() ?? []) {
      if (s.incarnation !== n.incarnation || !this.reachable(this.monitorAddrs[s.monitor]!, n.addr)) continue;
      const subSlot = this.slots[s.monitor]!;
      s.lastAt = this.schedule(this.fifo(s.lastAt), () => {
        if (!this.reachable(this.monitorAddrs[s.monitor]!, n.addr)) return;
        this.toMonitor(s.monitor, s.core, () => {
          if (subSlot.links.get(s.link)?.pc !== s.serial) return;
          s.core.vigilMessage(this.now, payload);
        });
      });
    }
  }

  private arriveHello(
    from: number,
    core: SentinelCore,
    linkId: string,
    rec: LinkRec,
    serial: number,
    payload: string,
    tag: ReplyTag,
  ): void {
    if (!this.reachable(this.monitorAddrs[from]!, rec.target)) return;
    if (rec.peer >= 0) {
      const peerSlot = this.slots[rec.peer]!;
      const peer = this.monitors[rec.peer]!;
      if (!peerSlot.alive || peerSlot.incarnation !== rec.incarnation) return;
      this.toMonitor(rec.peer, peer, () => {
        peer.hello(this.now, payload);
        this.perform(rec.peer, peer.drain());
        this.answer(from, core, linkId, rec, serial, tag, { t: 'int', v: 1 });
      });
      return;
    }
    const n = this.nodes.get(key(rec.target));
    if (!n) return;
    this.toNode(n, rec.incarnation, () => {
      let receivers = 0;
      for (const s of this.subs.get(key(n.addr))?.values() ?? []) {
        if (s.incarnation !== n.incarnation || !this.reachable(this.monitorAddrs[s.monitor]!, n.addr))
          continue;
        receivers++;
        const subSlot = this.slots[s.monitor]!;
        s.lastAt = this.schedule(this.fifo(s.lastAt), () => {
          if (!this.reachable(this.monitorAddrs[s.monitor]!, n.addr)) return;
          this.toMonitor(s.monitor, s.core, () => {
            if (subSlot.links.get(s.link)?.pc !== s.serial) return;
            s.core.pubsubActivity(this.now, s.link);
            s.core.hello(this.now, payload);
          });
        });
      }
      this.answer(from, core, linkId, rec, serial, tag, { t: 'int', v: receivers });
    });
  }

  eventsOf(type: string): SimEvent[] {
    return this.events.filter((e) => e.type === type);
  }

  /** Run until `cond` holds or `maxMs` of simulated time pass; returns whether it held. */
  runUntil(cond: () => boolean, maxMs: number): boolean {
    const end = this.now + maxMs;
    while (this.now < end) {
      if (cond()) return true;
      this.run(10);
    }
    return cond();
  }
}
