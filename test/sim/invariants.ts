/**
 * Invariant checkers for the swarm simulation. They live outside the code under test: they read
 * the events the monitors publish, the answers data nodes gave (ground truth recorded by the
 * world at the moment a node answered), and what a monitor exposes to clients (its current
 * epoch, and per primary its address, config epoch and vote epoch, as SENTINEL MASTERS shows).
 */
import { currentMasterAddr } from '../../src/core/instance.js';
import type { NodeAnswer, SimEvent, World } from './world.js';

export type FailureKind = 'crash' | 'liveness' | 'safety';

export class InvariantViolation extends Error {
  constructor(
    readonly kind: FailureKind,
    readonly invariant: string,
    detail: string,
  ) {
    super(`${invariant}: ${detail}`);
  }
}

export const MASTER = 'mymaster';

const addrKeyOf = (a: { host: string; port: number }) => `${a.host}:${a.port}`;

interface Evidence {
  /** Last answer of any kind the monitor received from the node: it was alive and reachable. */
  lastAny?: NodeAnswer;
  /** Last INFO answer the monitor received from the node. */
  lastInfo?: NodeAnswer;
}

/**
 * Checks, after every event and every step:
 *  (a) at most one monitor is elected leader per (primary, epoch), and each monitor votes for at
 *      most one leader per epoch, across its restarts;
 *  (b) a monitor's current epoch, and per primary its config epoch and vote epoch, never go back,
 *      across its restarts;
 *  (c) a replica chosen for promotion (+selected-slave) was eligible on what the node really was
 *      when it last answered that monitor: it answered within the PING validity window (so it was
 *      alive and reachable), and its last INFO came from a replica with priority > 0, or from a
 *      primary whose history continues the failing primary's (an interrupted promotion); +promoted-slave names the selected node after it really became a
 *      primary;
 *  (e) a config epoch names one primary: no two monitors ever publish different primaries for the
 *      same config epoch.
 * The convergence check (d) is `convergence()`, run in the liveness phase.
 */
export class Checker {
  /** Window in which Sentinel's rules require a candidate to have answered (5 ping periods). */
  readonly pingValidityMs: number;
  /** Window in which the INFO a candidate is judged on must be (3 INFO periods at most). */
  readonly infoValidityMs: number;
  private readonly leaders = new Map<number, { monitor: number; voteEpoch: number; t: number }>();
  private readonly votes = new Map<string, string>();
  private readonly maxCurrentEpoch: number[];
  private readonly maxConfigEpoch: number[];
  private readonly maxLeaderEpoch: number[];
  private readonly configAddr = new Map<number, { addr: string; monitor: number; t: number; how: string }>();
  private readonly evidence = new Map<string, Evidence>();
  private readonly selected = new Map<number, string>();
  checks = 0;
  /** With keepGoing, the first violation of each invariant, in the order they happened. */
  readonly violations: InvariantViolation[] = [];

  /** keepGoing: record violations and go on (to see every bug a seed hits) instead of throwing. */
  constructor(
    private readonly world: World,
    monitors: number,
    private readonly keepGoing = false,
  ) {
    const timing = world.monitors[0]!.timing;
    this.pingValidityMs = timing.pingPeriod * 5;
    this.infoValidityMs = timing.infoPeriod * 3;
    this.maxCurrentEpoch = new Array<number>(monitors).fill(0);
    this.maxConfigEpoch = new Array<number>(monitors).fill(0);
    this.maxLeaderEpoch = new Array<number>(monitors).fill(0);
  }

  private violate(v: InvariantViolation): void {
    if (!this.keepGoing) throw v;
    if (!this.violations.some((x) => x.invariant === v.invariant)) this.violations.push(v);
  }

  /** Fed by the world for every answer a data node gives a monitor. */
  onAnswer(a: NodeAnswer): void {
    const k = `${a.monitor}|${a.node}`;
    const ev = this.evidence.get(k) ?? {};
    ev.lastAny = a;
    if (a.command === 'INFO') ev.lastInfo = a;
    this.evidence.set(k, ev);
  }

  /** Fed by the world for every event a monitor emits. */
  onEvent(e: SimEvent): void {
    switch (e.type) {
      case '+elected-leader':
        return this.onElected(e);
      case '+vote-for-leader':
        return this.onVote(e);
      case '+selected-slave':
        return this.onSelected(e);
      case '+promoted-slave':
        return this.onPromoted(e);
      default:
        return;
    }
  }

  /**
   * Keyed by the failover epoch: the epoch the leader stamps on the configuration it installs
   * (the config epoch of its promotion). `e.epoch` (the monitor's current epoch, in which its
   * votes were counted) is reported alongside: the two differ when a monitor adopted a newer
   * epoch during its election.
   */
  private onElected(e: SimEvent): void {
    const epoch = e.failoverEpoch ?? e.epoch;
    const other = this.leaders.get(epoch);
    if (other !== undefined && other.monitor !== e.monitor) {
      this.violate(
        new InvariantViolation(
          'safety',
          'one leader per epoch',
          `monitors ${other.monitor} and ${e.monitor} were both elected leader of ${MASTER} for failover epoch ${epoch} ` +
            `(votes counted in epoch ${other.voteEpoch} at t=${other.t} and in epoch ${e.epoch} at t=${e.t})`,
        ),
      );
    }
    this.leaders.set(epoch, { monitor: e.monitor, voteEpoch: e.epoch, t: e.t });
  }

  private onVote(e: SimEvent): void {
    const [leader, epoch] = e.message.split(' ');
    const k = `${e.monitor}|${epoch}`;
    const before = this.votes.get(k);
    if (before !== undefined && before !== leader) {
      this.violate(
        new InvariantViolation(
          'safety',
          'one vote per epoch',
          `monitor ${e.monitor} voted for ${before.slice(0, 8)} and then ${leader?.slice(0, 8)} in epoch ${epoch}`,
        ),
      );
    }
    this.votes.set(k, leader ?? '');
  }

  /** `slave <name> <ip> <port> @ <master> <ip> <port>` -> the replica's and the primary's keys. */
  private parseReplicaEvent(e: SimEvent): { node: string; master: string } {
    const w = e.message.split(' ');
    return { node: `${w[2]}:${w[3]}`, master: `${w[6]}:${w[7]}` };
  }

  private onSelected(e: SimEvent): void {
    const { node, master } = this.parseReplicaEvent(e);
    let ok = true;
    const fail = (why: string) => {
      if (!ok) return;
      ok = false;
      this.violate(
        new InvariantViolation(
          'safety',
          'promoted replica was eligible',
          `monitor ${e.monitor} selected ${node} to replace ${master} at t=${e.t}: ${why}`,
        ),
      );
    };
    if (node === master) fail('it is the primary being replaced');
    if (!this.world.nodes.has(node)) fail('no such node');
    const ev = this.evidence.get(`${e.monitor}|${node}`);
    const last = ev?.lastAny;
    if (!last) fail('it never answered this monitor');
    else if (e.t - last.t > this.pingValidityMs)
      fail(`its last answer reached the monitor ${e.t - last.t} ms ago`);
    const info = ev?.lastInfo;
    if (!info) fail('it never answered an INFO of this monitor');
    else {
      if (e.t - info.t > this.infoValidityMs)
        fail(`its last INFO answer reached the monitor ${e.t - info.t} ms ago`);
      if (info.role === 'master') {
        // Already a primary: eligible only as the replica an interrupted failover promoted, whose
        // history continues the failing primary's (its current one, or one it had before restarts
        // gave it new ids); Sentinel retries such a promotion. Any other primary brings a history
        // of its own, and promoting it discards the failing primary's writes.
        const failing = this.world.nodes.get(master);
        const ok =
          failing !== undefined &&
          info.replId2 !== '' &&
          [failing.replId, ...failing.prevReplIds].includes(info.replId2);
        if (!ok) {
          fail(
            `when it last answered INFO (t=${info.sentAt}) it was a primary with history ${info.replId}` +
              `${info.replId2 ? ` (before: ${info.replId2})` : ''}, not a continuation of ${master}'s ` +
              `${failing?.replId}${failing?.prevReplIds.length ? ` (before restarts: ${failing.prevReplIds.join(', ')})` : ''}`,
          );
        }
      } else if (info.priority <= 0) fail(`its replica-priority was ${info.priority}`);
    }
    this.selected.set(e.monitor, node);
  }

  private onPromoted(e: SimEvent): void {
    const { node } = this.parseReplicaEvent(e);
    const fail = (why: string) =>
      this.violate(
        new InvariantViolation(
          'safety',
          'promoted replica was eligible',
          `monitor ${e.monitor} announced ${node} promoted at t=${e.t}: ${why}`,
        ),
      );
    if (this.selected.get(e.monitor) !== node) fail('it is not the replica this monitor selected');
    const info = this.evidence.get(`${e.monitor}|${node}`)?.lastInfo;
    if (!info || info.role !== 'master') fail('its last INFO answer did not show it as a primary');
  }

  /** After every step: epochs never go back; a config epoch names one primary. */
  afterStep(): void {
    this.checks++;
    const w = this.world;
    for (let i = 0; i < w.monitors.length; i++) {
      if (!w.monitorAlive(i)) continue;
      const core = w.monitors[i]!;
      if (core.currentEpoch < this.maxCurrentEpoch[i]!) {
        this.violate(
          new InvariantViolation(
            'safety',
            'epochs never go back',
            `monitor ${i}: current epoch ${core.currentEpoch} after ${this.maxCurrentEpoch[i]} (t=${w.now})`,
          ),
        );
      }
      this.maxCurrentEpoch[i] = core.currentEpoch;
      const m = core.masters.get(MASTER);
      if (!m) {
        this.violate(new InvariantViolation('safety', 'primary monitored', `monitor ${i} lost ${MASTER}`));
        continue;
      }
      if (m.configEpoch < this.maxConfigEpoch[i]!) {
        this.violate(
          new InvariantViolation(
            'safety',
            'epochs never go back',
            `monitor ${i}: config epoch of ${MASTER} ${m.configEpoch} after ${this.maxConfigEpoch[i]} (t=${w.now})`,
          ),
        );
      }
      this.maxConfigEpoch[i] = m.configEpoch;
      if (m.leaderEpoch < this.maxLeaderEpoch[i]!) {
        this.violate(
          new InvariantViolation(
            'safety',
            'epochs never go back',
            `monitor ${i}: vote epoch of ${MASTER} ${m.leaderEpoch} after ${this.maxLeaderEpoch[i]} (t=${w.now})`,
          ),
        );
      }
      this.maxLeaderEpoch[i] = m.leaderEpoch;
      const addr = addrKeyOf(currentMasterAddr(m));
      const seen = this.configAddr.get(m.configEpoch);
      const how = `failover state ${m.failoverState}, primary field ${addrKeyOf(m.addr)}`;
      if (seen === undefined) {
        this.configAddr.set(m.configEpoch, { addr, monitor: i, t: w.now, how });
      } else if (seen.addr !== addr) {
        this.violate(
          new InvariantViolation(
            'safety',
            'a config epoch names one primary',
            `config epoch ${m.configEpoch}: monitor ${seen.monitor} had ${seen.addr} (t=${seen.t}, ${seen.how}), ` +
              `monitor ${i} has ${addr} (t=${w.now}, ${how})`,
          ),
        );
      }
    }
  }
}

/**
 * (d) Convergence: every monitor is up and reports the same primary, with no failover under way
 * and no down flag on it; that node is alive and a primary, and every other node replicates from
 * it (and has synced with it). Returns undefined when converged, else what is missing.
 */
export function convergence(w: World): string | undefined {
  let primary: string | undefined;
  for (let i = 0; i < w.monitors.length; i++) {
    if (!w.monitorAlive(i) || w.monitorFrozen(i)) return `monitor ${i} is not running`;
    const m = w.monitors[i]!.masters.get(MASTER);
    if (!m) return `monitor ${i} does not monitor ${MASTER}`;
    const a = addrKeyOf(currentMasterAddr(m));
    if (primary === undefined) primary = a;
    else if (primary !== a) return `monitor 0 reports ${primary}, monitor ${i} reports ${a}`;
    if (m.failoverState !== 'none') return `monitor ${i} is in failover state ${m.failoverState}`;
    if (m.sDown || m.oDown) return `monitor ${i} sees ${a} down`;
  }
  if (primary === undefined) return 'no monitor';
  const p = w.nodes.get(primary);
  if (!p) return `the reported primary ${primary} is not a node`;
  if (!p.alive || p.frozen) return `the reported primary ${primary} is not running`;
  if (p.role !== 'master') return `the reported primary ${primary} is a replica of ${p.master?.port}`;
  for (const [k, n] of w.nodes) {
    if (k === primary) continue;
    if (!n.alive || n.frozen) return `node ${k} is not running`;
    if (n.role === 'master') return `${k} is a primary too`;
    if (!n.master || addrKeyOf(n.master) !== primary) return `${k} replicates from ${n.master?.port}`;
    if (n.replId !== p.replId) return `${k} has not synced with ${primary}`;
  }
  return undefined;
}

/** A one-line picture of every monitor's view and every node, for failure reports. */
export function describeWorld(w: World): string[] {
  const out: string[] = [];
  for (let i = 0; i < w.monitors.length; i++) {
    const c = w.monitors[i]!;
    const m = c.masters.get(MASTER);
    const state = !w.monitorAlive(i) ? 'DEAD' : w.monitorFrozen(i) ? 'FROZEN' : 'up';
    if (!m) {
      out.push(`monitor ${i} (${state}): no ${MASTER}`);
      continue;
    }
    const a = currentMasterAddr(m);
    out.push(
      `monitor ${i} (${state}${c.tilt ? ', TILT' : ''}): epoch ${c.currentEpoch}, primary ${a.port} ` +
        `config-epoch ${m.configEpoch} vote-epoch ${m.leaderEpoch} failover ${m.failoverState}` +
        `${m.sDown ? ' SDOWN' : ''}${m.oDown ? ' ODOWN' : ''}, replicas [${[...m.replicas.values()]
          .map((r) => `${r.addr.port}${r.sDown ? '!' : ''}`)
          .join(' ')}], peers ${m.sentinels.size}`,
    );
  }
  for (const [k, n] of w.nodes) {
    const state = !n.alive ? 'DEAD' : n.frozen ? 'FROZEN' : 'up';
    out.push(
      `node ${k} (${state}): ${n.role}${n.master ? ` of ${n.master.port}` : ''} offset ${n.offset} ` +
        `replid ${n.replId} prio ${n.priority}${n.persistent ? '' : ' no-persistence'}`,
    );
  }
  return out;
}
