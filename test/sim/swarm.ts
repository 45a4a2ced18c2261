/**
 * Swarm simulation of the decision core, in the style of TigerBeetle's VOPR: one seed derives the
 * whole configuration (monitors, quorum, replicas, priorities, persistence, timeouts, latency,
 * loss) and every fault (kills and restarts of nodes and monitors, pauses, partitions). A run has
 * three phases:
 *
 *  1. warm-up, no faults: until every monitor knows every replica and every other monitor;
 *  2. safety: faults fire on the seed's schedule; the checkers in invariants.ts run after every
 *     event and every step;
 *  3. liveness: every fault heals (partitions, pauses, loss), every process runs again, and the
 *     group must converge on one primary that every monitor reports, and stay so for a while.
 *
 * Everything is bounded: simulated time per phase, steps, events, pending messages.
 */
import {
  InvariantViolation,
  Checker,
  MASTER,
  convergence,
  describeWorld,
  type FailureKind,
} from './invariants.js';
import { mulberry32 } from '../harness/random.js';
import { World, type SimNode } from './world.js';

export const FAULT_KINDS = [
  'kill-primary',
  'kill-replica',
  'kill-node',
  'freeze-primary',
  'freeze-node',
  'crash-monitor',
  'freeze-monitor',
  'cut-monitor-primary',
  'cut-monitor-node',
  'cut-monitors',
  'cut-nodes',
  'isolate-primary',
  'isolate-node',
  'isolate-monitor',
  'split',
] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

export interface Fault {
  /** Offset from the start of the safety phase, ms. */
  at: number;
  kind: FaultKind;
  /** How long until the fault heals (restart, thaw, reconnect); may outlast the safety phase. */
  durationMs: number;
  /** Random picks, resolved against what exists when the fault fires. */
  a: number;
  b: number;
}

export interface SwarmConfig {
  seed: number;
  monitors: number;
  quorum: number;
  replicas: number;
  priorities: number[];
  persistent: boolean[];
  downAfterMs: number;
  failoverTimeoutMs: number;
  minLatency: number;
  maxLatency: number;
  dropRate: number;
  enabled: FaultKind[];
  faults: Fault[];
  warmupMaxMs: number;
  safetyMs: number;
  livenessMaxMs: number;
  settleMs: number;
}

export interface SeedLimits {
  maxSteps: number;
  maxEvents: number;
  maxPending: number;
}

export const DEFAULT_LIMITS: SeedLimits = { maxSteps: 3_000_000, maxEvents: 300_000, maxPending: 200_000 };

export interface SeedOptions {
  /** Keep a trace (the fault log and every event) in the result. */
  trace?: boolean;
  /** Record the first violation of each invariant and run on, instead of stopping at the first. */
  keepGoing?: boolean;
  limits?: Partial<SeedLimits>;
}

export interface SeedResult {
  seed: number;
  ok: boolean;
  kind?: FailureKind;
  invariant?: string;
  detail?: string;
  /** Every violation found (one per invariant; more than one only with keepGoing), in order. */
  violations: { kind: FailureKind; invariant: string; detail: string }[];
  config: SwarmConfig;
  /** Simulated ms from the start of the run to its end. */
  simMs: number;
  /** Simulated ms the liveness phase needed to converge (and settle). */
  livenessMs?: number;
  steps: number;
  events: number;
  /** Longest stretch during which two or more running nodes were primaries (not an invariant). */
  maxDualPrimaryMs: number;
  /** The world's state at the end, and with `trace`, the faults and events. */
  state: string[];
  trace?: string[];
}

const PORT_BASE = 6000;
const MONITOR_PORT_BASE = 26000;

/** Distinct streams of one seed: the configuration never depends on how the run unfolds. */
function stream(seed: number, salt: number): () => number {
  return mulberry32(Math.imul(seed ^ 0x5bd1e995, 0x27d4eb2d) ^ Math.imul(salt, 0x165667b1));
}

function pick<T>(r: () => number, choices: readonly (readonly [number, T])[]): T {
  const total = choices.reduce((s, [w]) => s + w, 0);
  let x = r() * total;
  for (const [w, v] of choices) {
    if (x < w) return v;
    x -= w;
  }
  return choices[choices.length - 1]![1];
}

const int = (r: () => number, lo: number, hi: number) => lo + Math.floor(r() * (hi - lo + 1));

/** Everything a seed decides, before the run starts. */
export function deriveConfig(seed: number): SwarmConfig {
  const r = stream(seed, 1);
  const monitors = pick(r, [
    [1, 1],
    [5, 3],
    [4, 5],
  ] as const);
  const majority = Math.floor(monitors / 2) + 1;
  const quorum = pick(r, [
    [6, majority],
    [2, monitors],
    [2, Math.max(1, int(r, 1, majority - 1))],
  ] as const);
  const replicas = int(r, 1, 3);
  const priorities: number[] = [];
  for (let i = 0; i < replicas; i++) {
    priorities.push(
      pick(r, [
        [7, 100],
        [2, int(r, 1, 200)],
        [1, 0],
      ] as const),
    );
  }
  const persistence = pick(r, [
    [2, 'on'],
    [1, 'off'],
    [1, 'mixed'],
  ] as const);
  const persistent: boolean[] = [];
  for (let i = 0; i <= replicas; i++) {
    persistent.push(persistence === 'on' ? true : persistence === 'off' ? false : r() < 0.5);
  }
  const downAfterMs = pick(r, [
    [2, 500],
    [4, 1000],
    [2, 2000],
    [1, 5000],
  ] as const);
  const failoverTimeoutMs = pick(r, [
    [2, 3000],
    [3, 5000],
    [3, 10_000],
    [1, 20_000],
  ] as const);
  const minLatency = int(r, 1, 3);
  const maxLatency =
    minLatency +
    pick(r, [
      [3, 1],
      [3, 5],
      [2, 20],
      [1, Math.floor(downAfterMs / 8)],
    ] as const);
  const dropRate = r() < 0.3 ? 0 : Math.round(r() * 0.1 * 1000) / 1000;
  // Swarm testing: each seed enables its own subset of fault kinds.
  let enabled = FAULT_KINDS.filter(() => r() < 0.5);
  if (monitors === 1) enabled = enabled.filter((k) => k !== 'cut-monitors');
  if (enabled.length === 0) enabled = [FAULT_KINDS[int(r, 0, FAULT_KINDS.length - 1)]!];
  const safetyMs = int(r, 30, 60) * 1000;
  const faultCount = pick(r, [
    [1, 0],
    [3, int(r, 1, 4)],
    [4, int(r, 5, 12)],
    [2, int(r, 13, 30)],
  ] as const);
  const faults: Fault[] = [];
  for (let i = 0; i < faultCount && enabled.length > 0; i++) {
    const durationMs = pick(r, [
      [4, int(r, 200, 2000)],
      [4, int(r, 2000, 10_000)],
      [2, int(r, 10_000, 30_000)],
    ] as const);
    faults.push({
      at: int(r, 0, safetyMs - 1),
      kind: enabled[int(r, 0, enabled.length - 1)]!,
      durationMs,
      a: int(r, 0, 1 << 20),
      b: int(r, 0, 1 << 20),
    });
  }
  faults.sort((x, y) => x.at - y.at);
  return {
    seed,
    monitors,
    quorum,
    replicas,
    priorities,
    persistent,
    downAfterMs,
    failoverTimeoutMs,
    minLatency,
    maxLatency,
    dropRate,
    enabled,
    faults,
    warmupMaxMs: 30_000,
    safetyMs,
    // Long enough for a monitor paused into TILT (30 s) plus a few failover attempts, each
    // at most failover-timeout long and at least twice that apart on one monitor.
    livenessMaxMs: 90_000 + 8 * failoverTimeoutMs,
    settleMs: 5000,
  };
}

export function describeConfig(c: SwarmConfig): string {
  const prio = c.priorities.join('/');
  const pers = c.persistent.map((p) => (p ? 'y' : 'n')).join('');
  return (
    `seed ${c.seed}: ${c.monitors} monitors quorum ${c.quorum}, primary + ${c.replicas} replicas ` +
    `(priority ${prio}, persistence ${pers}), down-after ${c.downAfterMs} ms, failover-timeout ` +
    `${c.failoverTimeoutMs} ms, latency ${c.minLatency}-${c.maxLatency} ms, loss ${(c.dropRate * 100).toFixed(1)}%, ` +
    `safety ${c.safetyMs / 1000} s with ${c.faults.length} faults of [${c.enabled.join(' ')}]`
  );
}

class LimitExceeded extends Error {}

/** Partitions held by overlapping faults: a pair is cut while any fault holds it. */
class Cuts {
  private held = new Map<string, number>();
  constructor(private readonly w: World) {}
  private k(a: { port: number }, b: { port: number }) {
    return a.port < b.port ? `${a.port}|${b.port}` : `${b.port}|${a.port}`;
  }
  cut(a: { host: string; port: number }, b: { host: string; port: number }): void {
    if (a.port === b.port) return;
    const k = this.k(a, b);
    const n = this.held.get(k) ?? 0;
    this.held.set(k, n + 1);
    if (n === 0) this.w.partition(a, b);
  }
  uncut(a: { host: string; port: number }, b: { host: string; port: number }): void {
    if (a.port === b.port) return;
    const k = this.k(a, b);
    const n = this.held.get(k) ?? 0;
    if (n <= 1) {
      this.held.delete(k);
      this.w.unpartition(a, b);
    } else this.held.set(k, n - 1);
  }
  clear(): void {
    this.held.clear();
    this.w.heal();
  }
}

/** Run one seed to completion. Never throws: every failure is reported in the result. */
export function runSeed(seed: number, opts: SeedOptions = {}): SeedResult {
  const cfg = deriveConfig(seed);
  const limits = { ...DEFAULT_LIMITS, ...opts.limits };
  const w = new World(seed);
  w.minLatency = cfg.minLatency;
  w.maxLatency = cfg.maxLatency;
  const trace: string[] = [];
  const log = (s: string) => {
    if (opts.trace) trace.push(`${String(w.now - start).padStart(7)} ${s}`);
  };
  const start = w.now;
  const nodes: SimNode[] = [];
  nodes.push(w.addNode(PORT_BASE));
  for (let i = 0; i < cfg.replicas; i++) {
    const n = w.addNode(PORT_BASE + 1 + i, PORT_BASE);
    n.priority = cfg.priorities[i]!;
    nodes.push(n);
  }
  nodes.forEach((n, i) => (n.persistent = cfg.persistent[i]!));
  for (let i = 0; i < cfg.monitors; i++) {
    w.addMonitor(MONITOR_PORT_BASE + i, PORT_BASE, cfg.quorum, cfg.downAfterMs, cfg.failoverTimeoutMs);
  }
  const checker = new Checker(w, cfg.monitors, opts.keepGoing ?? false);
  let phase: 'warmup' | 'safety' | 'liveness' = 'warmup';
  let dualSince = 0;
  let maxDual = 0;
  let convergedSince = 0;
  w.onAnswer = (a) => checker.onAnswer(a);
  w.onEvent = (e) => {
    if (opts.trace) log(`m${e.monitor} e${e.epoch} ${e.type} ${e.message}`);
    checker.onEvent(e);
  };
  w.afterStep = () => {
    checker.afterStep();
    if (w.steps > limits.maxSteps) throw new LimitExceeded(`more than ${limits.maxSteps} steps`);
    if (w.events.length > limits.maxEvents) throw new LimitExceeded(`more than ${limits.maxEvents} events`);
    if (w.queueSize > limits.maxPending)
      throw new LimitExceeded(`more than ${limits.maxPending} pending messages`);
    let masters = 0;
    for (const n of nodes) if (n.alive && !n.frozen && n.role === 'master') masters++;
    if (masters >= 2) {
      if (dualSince === 0) dualSince = w.now;
      maxDual = Math.max(maxDual, w.now - dualSince);
    } else dualSince = 0;
    if (phase === 'liveness') {
      if (convergence(w) === undefined) {
        if (convergedSince === 0) convergedSince = w.now;
      } else convergedSince = 0;
    }
  };

  const result = (failure: Partial<SeedResult>): SeedResult => {
    const violations = checker.violations.map((v) => ({
      kind: v.kind,
      invariant: v.invariant,
      detail: v.message,
    }));
    if (failure.kind !== undefined) {
      violations.push({
        kind: failure.kind,
        invariant: failure.invariant ?? '',
        detail: failure.detail ?? '',
      });
    }
    const first = violations[0];
    return {
      seed,
      ok: first === undefined,
      ...(first ? { kind: first.kind, invariant: first.invariant, detail: first.detail } : {}),
      violations,
      config: cfg,
      simMs: w.now - start,
      steps: w.steps,
      events: w.events.length,
      maxDualPrimaryMs: maxDual,
      state: describeWorld(w),
      ...(opts.trace ? { trace } : {}),
      livenessMs: failure.livenessMs,
    };
  };

  try {
    // ---- 1. warm-up: discovery, no faults. Without loss too: a monitor that has not yet heard
    // of its peers counts only itself as a voter (Sentinel's rule), so a false SDOWN before
    // discovery could elect it alone; deployments start faults after discovery, so do we.
    const discovered = () =>
      w.monitors.every((c) => {
        const m = c.masters.get(MASTER)!;
        return m.replicas.size === cfg.replicas && m.sentinels.size === cfg.monitors - 1;
      });
    if (!w.runUntil(discovered, cfg.warmupMaxMs)) {
      return result({
        kind: 'liveness',
        invariant: 'discovery',
        detail: `monitors did not discover every replica and peer within ${cfg.warmupMaxMs} ms`,
      });
    }
    log('warm-up done: every monitor knows every replica and peer');

    // ---- 2. safety: the seed's faults.
    phase = 'safety';
    w.dropRate = cfg.dropRate;
    const safetyStart = w.now;
    const cuts = new Cuts(w);
    const endpoints = [...nodes.map((n) => n.addr), ...w.monitorAddrs];
    const later = (ms: number, run: () => void) =>
      w.at(w.now + ms, () => {
        if (phase === 'safety') run();
      });
    const primaries = () => nodes.filter((n) => n.alive && n.role === 'master');
    const choose = <T>(xs: T[], k: number): T | undefined =>
      xs.length === 0 ? undefined : xs[k % xs.length];
    const isolate = (a: { host: string; port: number }, d: number) => {
      for (const b of endpoints) cuts.cut(a, b);
      later(d, () => {
        for (const b of endpoints) cuts.uncut(a, b);
      });
    };
    const fire = (f: Fault) => {
      const d = f.durationMs;
      const N = cfg.monitors;
      switch (f.kind) {
        case 'kill-primary':
        case 'kill-replica':
        case 'kill-node': {
          const pool =
            f.kind === 'kill-primary'
              ? primaries()
              : f.kind === 'kill-replica'
                ? nodes.filter((n) => n.alive && n.role === 'slave')
                : nodes.filter((n) => n.alive);
          const n = choose(pool, f.a);
          if (!n) return;
          log(`FAULT ${f.kind} ${n.addr.port} for ${d} ms`);
          w.killNode(n);
          later(d, () => {
            log(`HEAL restart node ${n.addr.port}`);
            w.restartNode(n);
          });
          return;
        }
        case 'freeze-primary':
        case 'freeze-node': {
          const pool = (f.kind === 'freeze-primary' ? primaries() : nodes.filter((n) => n.alive)).filter(
            (n) => !n.frozen,
          );
          const n = choose(pool, f.a);
          if (!n) return;
          log(`FAULT ${f.kind} ${n.addr.port} for ${d} ms`);
          w.freezeNode(n);
          later(d, () => {
            log(`HEAL thaw node ${n.addr.port}`);
            w.thawNode(n);
          });
          return;
        }
        case 'crash-monitor': {
          const i = f.a % N;
          if (!w.monitorAlive(i)) return;
          log(`FAULT crash monitor ${i} for ${d} ms`);
          w.crashMonitor(i);
          later(d, () => {
            log(`HEAL restart monitor ${i}`);
            w.restartMonitor(i);
          });
          return;
        }
        case 'freeze-monitor': {
          const i = f.a % N;
          if (!w.monitorAlive(i) || w.monitorFrozen(i)) return;
          log(`FAULT freeze monitor ${i} for ${d} ms`);
          w.freezeMonitor(i);
          later(d, () => {
            log(`HEAL thaw monitor ${i}`);
            w.thawMonitor(i);
          });
          return;
        }
        case 'cut-monitor-primary':
        case 'cut-monitor-node': {
          const i = f.a % N;
          const n = f.kind === 'cut-monitor-primary' ? choose(primaries(), f.b) : nodes[f.b % nodes.length];
          if (!n) return;
          const m = w.monitorAddrs[i]!;
          log(`FAULT cut monitor ${i} from node ${n.addr.port} for ${d} ms`);
          cuts.cut(m, n.addr);
          later(d, () => cuts.uncut(m, n.addr));
          return;
        }
        case 'cut-monitors': {
          const i = f.a % N;
          const j = (i + 1 + (f.b % Math.max(1, N - 1))) % N;
          if (i === j) return;
          const a = w.monitorAddrs[i]!;
          const b = w.monitorAddrs[j]!;
          log(`FAULT cut monitor ${i} from monitor ${j} for ${d} ms`);
          cuts.cut(a, b);
          later(d, () => cuts.uncut(a, b));
          return;
        }
        case 'cut-nodes': {
          const x = nodes[f.a % nodes.length]!;
          const y = nodes[(f.a + 1 + (f.b % (nodes.length - 1))) % nodes.length]!;
          if (x === y) return;
          log(`FAULT cut node ${x.addr.port} from node ${y.addr.port} for ${d} ms`);
          cuts.cut(x.addr, y.addr);
          later(d, () => cuts.uncut(x.addr, y.addr));
          return;
        }
        case 'isolate-primary':
        case 'isolate-node': {
          const n = f.kind === 'isolate-primary' ? choose(primaries(), f.a) : nodes[f.a % nodes.length];
          if (!n) return;
          log(`FAULT isolate node ${n.addr.port} for ${d} ms`);
          isolate(n.addr, d);
          return;
        }
        case 'isolate-monitor': {
          const i = f.a % N;
          log(`FAULT isolate monitor ${i} for ${d} ms`);
          isolate(w.monitorAddrs[i]!, d);
          return;
        }
        case 'split': {
          // Bits of `a` put each endpoint on one side; `b` breaks an all-on-one-side draw.
          const side = endpoints.map((_, i) => ((f.a >> i) & 1) === 1);
          if (side.every((s) => s) || side.every((s) => !s))
            side[f.b % side.length] = !side[f.b % side.length];
          const left = endpoints.filter((_, i) => side[i]);
          const right = endpoints.filter((_, i) => !side[i]);
          log(
            `FAULT split {${left.map((a) => a.port).join(' ')}} | {${right.map((a) => a.port).join(' ')}} for ${d} ms`,
          );
          for (const a of left) for (const b of right) cuts.cut(a, b);
          later(d, () => {
            for (const a of left) for (const b of right) cuts.uncut(a, b);
          });
          return;
        }
      }
    };
    for (const f of cfg.faults) {
      w.at(safetyStart + f.at, () => {
        if (phase === 'safety') fire(f);
      });
    }
    w.run(cfg.safetyMs);

    // ---- 3. liveness: everything heals; the group must converge and stay converged.
    phase = 'liveness';
    log('LIVENESS: heal every partition, restart and thaw everything, no loss');
    cuts.clear();
    w.dropRate = 0;
    for (const n of nodes) {
      w.thawNode(n);
      w.restartNode(n);
    }
    for (let i = 0; i < cfg.monitors; i++) {
      w.thawMonitor(i);
      w.restartMonitor(i);
    }
    const livenessStart = w.now;
    const deadline = livenessStart + cfg.livenessMaxMs;
    convergedSince = 0;
    while (w.now < deadline) {
      w.run(Math.min(100, deadline - w.now));
      if (convergedSince !== 0 && w.now - convergedSince >= cfg.settleMs) {
        return result({ livenessMs: w.now - livenessStart });
      }
    }
    const why = convergence(w) ?? `converged only ${w.now - convergedSince} ms before the deadline`;
    // What the monitors last said about why they could not fail over, if they tried.
    const refusals = w.events
      .filter((e) => e.t >= livenessStart && /^-failover-(abort|refused)/.test(e.type))
      .slice(-3)
      .map((e) => `m${e.monitor} ${e.type} ${e.message}`);
    return result({
      kind: 'liveness',
      invariant: 'convergence',
      detail:
        `no convergence ${cfg.livenessMaxMs} ms after the faults healed: ${why}` +
        (refusals.length > 0 ? `; last failover refusals: ${refusals.join('; ')}` : ''),
    });
  } catch (e) {
    if (e instanceof InvariantViolation) {
      return result({ kind: e.kind, invariant: e.invariant, detail: e.message });
    }
    if (e instanceof LimitExceeded) {
      return result({ kind: 'crash', invariant: 'limit', detail: e.message });
    }
    const err = e as Error;
    return result({
      kind: 'crash',
      invariant: 'exception',
      detail: `${err.message}\n${err.stack ?? ''}`,
    });
  }
}

/** One line about a failed seed: what broke, and the command that replays it. */
export function describeFailure(r: SeedResult): string {
  return `seed ${r.seed} ${r.kind} [${r.invariant}] ${r.detail ?? ''}`;
}
