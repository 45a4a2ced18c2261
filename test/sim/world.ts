/**
 * A whole replication group and its monitors in one process, on simulated time: fake Redis
 * nodes answer PING/INFO/SLAVEOF/PUBLISH, monitors are real decision cores, and every message
 * goes through a seeded network that can delay, drop or partition. Same seed, same run.
 */
import { SentinelCore } from '../../src/core/core.js';
import { HELLO_CHANNEL } from '../../src/core/constants.js';
import type { Addr, CoreReply, Effect, ReplyTag } from '../../src/core/types.js';

export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface SimNode {
  addr: Addr;
  runId: string;
  role: 'master' | 'slave';
  master: Addr | undefined;
  alive: boolean;
  replId: string;
  offset: number;
  priority: number;
  /** True once the replica has synced with its current master. */
  synced: boolean;
}

export interface SimEvent {
  t: number;
  monitor: number;
  type: string;
  message: string;
  /** The monitor's current epoch when the event happened. */
  epoch: number;
}

interface Pending {
  at: number;
  seq: number;
  run: () => void;
}

const key = (a: Addr) => `${a.host}:${a.port}`;

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
  maxLatency = 2;
  private queue: Pending[] = [];
  private seq = 0;
  private nextTick: number[] = [];
  /** Pub/sub subscriptions: node key -> monitor indexes subscribed to hello. */
  private subs = new Map<string, Set<number>>();
  /** Link id (per monitor) -> address it points to. */
  private linkAddr: Map<string, Addr>[] = [];
  private idCounter = 0;

  constructor(seed: number) {
    this.rand = mulberry32(seed);
  }

  private newRunId(): string {
    this.idCounter++;
    return (this.idCounter.toString(16).padStart(8, '0') + 'f'.repeat(32)).slice(0, 40);
  }

  addNode(port: number, master?: number): SimNode {
    const addr = { host: '127.0.0.1', port };
    const n: SimNode = {
      addr,
      runId: this.newRunId(),
      role: master === undefined ? 'master' : 'slave',
      master: master === undefined ? undefined : { host: '127.0.0.1', port: master },
      alive: true,
      replId: master === undefined ? `replid-${port}` : '',
      offset: 0,
      priority: 100,
      synced: master === undefined,
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
      {
        name: 'mymaster',
        addr: { host: '127.0.0.1', port: masterPort },
        quorum,
        downAfterMs,
        failoverTimeoutMs,
      },
      this.now,
    );
    this.monitors.push(core);
    this.monitorAddrs.push({ host: '127.0.0.1', port });
    this.linkAddr.push(new Map());
    this.nextTick.push(this.now + Math.floor(this.rand() * 100));
    core.announceMonitors(this.now);
    this.perform(idx, core.drain());
    return core;
  }

  node(port: number): SimNode {
    const n = this.nodes.get(`127.0.0.1:${port}`);
    if (!n) throw new Error(`no node ${port}`);
    return n;
  }

  private reachable(a: Addr, b: Addr): boolean {
    return !this.cut.has(`${key(a)}|${key(b)}`) && !this.cut.has(`${key(b)}|${key(a)}`);
  }

  partition(a: Addr, b: Addr): void {
    this.cut.add(`${key(a)}|${key(b)}`);
  }

  heal(): void {
    this.cut.clear();
  }

  private schedule(delay: number, run: () => void): void {
    this.queue.push({ at: this.now + delay, seq: this.seq++, run });
  }

  private latency(): number {
    return 1 + Math.floor(this.rand() * this.maxLatency);
  }

  /** Advance simulated time by `ms`, in 1 ms steps. */
  run(ms: number): void {
    const end = this.now + ms;
    while (this.now < end) {
      this.now++;
      this.replicate();
      this.queue.sort((x, y) => x.at - y.at || x.seq - y.seq);
      while (this.queue.length && (this.queue[0]?.at ?? Infinity) <= this.now) this.queue.shift()?.run();
      this.monitors.forEach((core, i) => {
        if ((this.nextTick[i] ?? 0) <= this.now) {
          core.tick(this.now);
          this.perform(i, core.drain());
          this.nextTick[i] = this.now + core.nextTickDelay();
        }
      });
    }
  }

  /** Replicas of a live master follow its offset; a primary takes writes continuously. */
  private replicate(): void {
    for (const n of this.nodes.values()) if (n.alive && n.role === 'master') n.offset += 10;
    for (const n of this.nodes.values()) {
      if (!n.alive || n.role !== 'slave' || !n.master) continue;
      const m = this.nodes.get(key(n.master));
      if (m && m.alive && m.role === 'master' && this.reachable(n.addr, m.addr)) {
        if (n.replId !== m.replId) {
          n.replId = m.replId;
          n.synced = true;
        }
        n.offset = m.offset;
      }
    }
  }

  private linkUp(n: SimNode | undefined, monitorIdx: number): boolean {
    return n !== undefined && n.alive && this.reachable(this.monitorAddrs[monitorIdx]!, n.addr);
  }

  private info(n: SimNode): string {
    const lines = [`# Server`, `run_id:${n.runId}`, `# Replication`, `role:${n.role}`];
    if (n.role === 'master') {
      let i = 0;
      for (const r of this.nodes.values()) {
        if (
          r.alive &&
          r.role === 'slave' &&
          r.master &&
          key(r.master) === key(n.addr) &&
          this.reachable(r.addr, n.addr)
        ) {
          lines.push(
            `slave${i++}:ip=${r.addr.host},port=${r.addr.port},state=online,offset=${r.offset},lag=0`,
          );
        }
      }
      lines.push(`master_replid:${n.replId}`, `master_repl_offset:${n.offset}`);
    } else if (n.master) {
      const m = this.nodes.get(key(n.master));
      const up = m !== undefined && m.alive && m.role === 'master' && this.reachable(n.addr, m.addr);
      lines.push(
        `master_host:${n.master.host}`,
        `master_port:${n.master.port}`,
        `master_link_status:${up ? 'up' : 'down'}`,
        ...(up ? [] : ['master_link_down_since_seconds:1']),
        `slave_repl_offset:${n.offset}`,
        `slave_priority:${n.priority}`,
        `master_replid:${n.replId}`,
      );
    }
    return lines.join('\r\n') + '\r\n';
  }

  private reply(monitorIdx: number, tag: ReplyTag, r: CoreReply, batch: number): void {
    const core = this.monitors[monitorIdx]!;
    this.schedule(this.latency(), () => {
      core.reply(this.now, tag, r, batch);
      this.perform(monitorIdx, core.drain());
    });
  }

  private handleCommand(
    monitorIdx: number,
    target: Addr,
    cmds: readonly (readonly string[])[],
    tag: ReplyTag,
  ): void {
    const monitorIndex = this.monitorAddrs.findIndex((a) => key(a) === key(target));
    if (monitorIndex >= 0) {
      const peer = this.monitors[monitorIndex]!;
      const [name, sub, host, port, epoch, runId] = cmds[0] ?? [];
      if (name === 'PING') return this.reply(monitorIdx, tag, { t: 'status', v: 'PONG' }, 1);
      if (name === 'SENTINEL' && sub === 'is-master-down-by-addr') {
        const res = peer.isMasterDownByAddr(this.now, host ?? '', Number(port), Number(epoch), runId ?? '*');
        this.perform(monitorIndex, peer.drain());
        return this.reply(
          monitorIdx,
          tag,
          {
            t: 'array',
            v: [
              { t: 'int', v: res.down ? 1 : 0 },
              { t: 'string', v: res.leader },
              { t: 'int', v: res.epoch },
            ],
          },
          1,
        );
      }
      return;
    }
    const n = this.nodes.get(key(target));
    if (!n || !this.linkUp(n, monitorIdx)) return;
    const first = cmds[0]?.[0];
    if (first === 'PING') return this.reply(monitorIdx, tag, { t: 'status', v: 'PONG' }, 1);
    if (first === 'INFO') return this.reply(monitorIdx, tag, { t: 'string', v: this.info(n) }, 1);
    if (first === 'MULTI') {
      const slaveof = cmds.find((c) => c[0] === 'SLAVEOF');
      if (slaveof) {
        if (slaveof[1] === 'NO' && slaveof[2] === 'ONE') {
          if (n.role === 'slave') {
            n.role = 'master';
            n.master = undefined;
            n.replId = `replid-${n.addr.port}-${this.now}`;
          }
        } else {
          const to = { host: slaveof[1] ?? '', port: Number(slaveof[2]) };
          if (n.role === 'master' || !n.master || key(n.master) !== key(to)) {
            n.role = 'slave';
            n.master = to;
            n.synced = false;
          }
        }
      }
      return this.reply(monitorIdx, tag, { t: 'array', v: [] }, cmds.length);
    }
    return this.reply(monitorIdx, tag, { t: 'status', v: 'OK' }, cmds.length);
  }

  private perform(monitorIdx: number, effects: Effect[]): void {
    const links = this.linkAddr[monitorIdx]!;
    const core = this.monitors[monitorIdx]!;
    for (const e of effects) {
      switch (e.kind) {
        case 'connect': {
          links.set(e.link, e.addr);
          const isMonitor = this.monitorAddrs.some((a) => key(a) === key(e.addr));
          const n = this.nodes.get(key(e.addr));
          const ok = isMonitor
            ? this.reachable(this.monitorAddrs[monitorIdx]!, e.addr)
            : this.linkUp(n, monitorIdx);
          if (!ok) {
            this.schedule(this.latency(), () => {
              if (e.cc) core.linkDown(this.now, e.link, 'cc');
              if (e.pubsub) core.linkDown(this.now, e.link, 'pc');
              this.perform(monitorIdx, core.drain());
            });
          } else if (e.pubsub) {
            const s = this.subs.get(key(e.addr)) ?? new Set<number>();
            s.add(monitorIdx);
            this.subs.set(key(e.addr), s);
          }
          break;
        }
        case 'close':
          if (e.which !== 'cc')
            this.subs.get(key(links.get(e.link) ?? { host: '', port: 0 }))?.delete(monitorIdx);
          break;
        case 'send': {
          const target = links.get(e.link);
          if (!target || this.rand() < this.dropRate) break;
          this.schedule(this.latency(), () => this.handleCommand(monitorIdx, target, e.commands, e.tag));
          break;
        }
        case 'hello': {
          const target = links.get(e.link);
          if (!target) break;
          const payload = `${e.announceIp ?? '127.0.0.1'},${e.port},${e.tail}`;
          this.schedule(this.latency(), () => this.deliverHello(monitorIdx, target, payload, e.tag));
          break;
        }
        case 'event':
          this.events.push({
            t: this.now,
            monitor: monitorIdx,
            type: e.type,
            message: e.message,
            epoch: core.currentEpoch,
          });
          break;
        default:
          break;
      }
    }
  }

  private deliverHello(from: number, target: Addr, payload: string, tag: ReplyTag): void {
    const peerIdx = this.monitorAddrs.findIndex((a) => key(a) === key(target));
    if (peerIdx >= 0) {
      if (!this.reachable(this.monitorAddrs[from]!, target)) return;
      const peer = this.monitors[peerIdx]!;
      peer.hello(this.now, payload);
      this.perform(peerIdx, peer.drain());
      return this.reply(from, tag, { t: 'int', v: 1 }, 1);
    }
    const n = this.nodes.get(key(target));
    if (!n || !this.linkUp(n, from)) return;
    for (const idx of this.subs.get(key(target)) ?? []) {
      if (!this.linkUp(n, idx)) continue;
      const core = this.monitors[idx]!;
      this.schedule(this.latency(), () => {
        core.pubsubActivity(this.now, `${HELLO_CHANNEL}`);
        core.hello(this.now, payload);
        this.perform(idx, core.drain());
      });
    }
    this.reply(from, tag, { t: 'int', v: 1 }, 1);
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
