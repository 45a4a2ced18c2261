/**
 * The rollout loop: observe, plan, carry out the one next step, and again, until the plan is
 * empty or a gate stops it. Every step is chosen from a fresh observation, so the loop keeps no
 * state that matters for safety: killing it at any point and running it again is safe.
 */
import { describeError } from '../node/errors.js';
import { requestSwitchover } from '../node/handover.js';
import type { ConnPool } from '../node/pool.js';
import type { NodeDriver } from './driver.js';
import { planRollout } from './plan.js';
import type { Decision, NodeAddr, ObservedGroup, PlanOptions, Step } from './types.js';

export interface RolloutOptions {
  /** The monitored name (replication groups). */
  name?: string | undefined;
  observe: () => Promise<ObservedGroup>;
  driver: NodeDriver;
  plan: PlanOptions;
  nodes: ConnPool;
  monitors: ConnPool;
  /** The write pause allowed to each switchover (default: the monitors' choice). */
  switchoverTimeoutMs?: number | undefined;
  /** Longest wait for one gate (a node coming back, a replica syncing). Default 120 000 ms. */
  gateTimeoutMs?: number | undefined;
  /** Longest wait for a restarted node to report the desired spec. Default 120 000 ms. */
  restartTimeoutMs?: number | undefined;
  pollMs?: number | undefined;
  dryRun?: boolean | undefined;
  out: (line: string) => void;
  now?: (() => number) | undefined;
}

/** 0 done (or dry run), 2 stopped by a gate or a failed step, 3 a gate did not clear in time. */
export interface RolloutResult {
  code: 0 | 2 | 3;
  steps: number;
  elapsedMs: number;
  message: string;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export function describeStep(s: Step): string {
  switch (s.kind) {
    case 'restart-replica':
      return `restart replica ${s.node}`;
    case 'restart-primary':
      return `restart standalone primary ${s.node}`;
    case 'restart-monitor':
      return `restart monitor ${s.node}`;
    case 'switchover':
      return `hand the primary role over ${s.from} -> ${s.to} (coordinated switchover)`;
    case 'cluster-failover':
      return `hand the primary role over ${s.from} -> ${s.to} (CLUSTER FAILOVER)`;
  }
}

export function formatPlan(d: Decision): string[] {
  const lines: string[] = [];
  if (d.stale.length === 0) lines.push('every process runs the desired spec');
  for (const s of d.stale) lines.push(`stale ${s.kind} ${s.id}: ${s.reasons.join('; ')}`);
  for (const w of d.warnings) lines.push(`warning: ${w}`);
  d.plan.forEach((s, i) => lines.push(`${String(i + 1).padStart(3)}. ${describeStep(s)}`));
  return lines;
}

function addrOf(g: ObservedGroup, id: string): NodeAddr | undefined {
  return g.nodes.find((n) => n.id === id)?.addr ?? g.monitors.find((m) => m.id === id)?.addr;
}

export async function runRollout(opts: RolloutOptions): Promise<RolloutResult> {
  const now = opts.now ?? (() => Date.now());
  const t0 = now();
  const gateTimeout = opts.gateTimeoutMs ?? 120_000;
  const restartTimeout = opts.restartTimeoutMs ?? 120_000;
  const poll = opts.pollMs ?? 100;
  const stamp = () => `[+${((now() - t0) / 1000).toFixed(1)}s]`.padEnd(10);
  const say = (s: string) => opts.out(`${stamp()} ${s}`);
  const result = (code: RolloutResult['code'], message: string): RolloutResult => ({
    code,
    steps,
    elapsedMs: now() - t0,
    message,
  });
  let steps = 0;
  let waiting: { key: string; since: number } | undefined;
  let returning: { id: string; at: number } | undefined;
  const attempts = new Map<string, number>();
  let first = true;
  /** The step the monitors turned down last time round: not announced again. */
  let retrying: string | undefined;

  const observeOrWait = async (): Promise<ObservedGroup | string> => {
    try {
      return await opts.observe();
    } catch (e) {
      return describeError(e);
    }
  };
  const waitOn = (key: string, reason: string): RolloutResult | undefined => {
    if (waiting?.key !== key) {
      waiting = { key, since: now() };
      say(`waiting: ${reason}`);
      return undefined;
    }
    if (now() - waiting.since > gateTimeout)
      return result(
        3,
        `gave up after ${Math.round((now() - waiting.since) / 1000)} s waiting: ${reason}. Nothing else was touched; ` +
          `fix that and run the same command again: the rollout resumes from what the servers show`,
      );
    return undefined;
  };

  for (;;) {
    const g = await observeOrWait();
    if (typeof g === 'string') {
      const r = waitOn('observe', `cannot observe the group (${g})`);
      if (r) return r;
      await sleep(poll);
      continue;
    }
    const d = planRollout(g, opts.plan);
    if (first) {
      first = false;
      for (const l of formatPlan(d)) say(l);
      if (opts.dryRun === true) {
        const n = d.next;
        if (n.kind === 'wait') say(`the first step would wait: ${n.reason}`);
        if (n.kind === 'stop') return result(2, `the rollout would stop: ${n.reason}`);
        return result(0, d.plan.length === 0 ? 'nothing to do' : `dry run: ${d.plan.length} steps`);
      }
    }
    // Back and in sync once nothing is waited for any more (every gate checks every node).
    if (returning && d.next.kind !== 'wait') {
      say(
        `${returning.id} is back and in sync (${((now() - returning.at) / 1000).toFixed(1)} s after its restart)`,
      );
      returning = undefined;
    }
    const next = d.next;
    if (next.kind === 'done')
      return result(
        0,
        steps === 0 ? 'nothing to do: every process runs the desired spec' : `done: ${steps} steps`,
      );
    if (next.kind === 'stop') return result(2, next.reason);
    if (next.kind === 'wait') {
      const r = waitOn(`${next.gate}:${next.subject}`, next.reason);
      if (r) return r;
      await sleep(poll);
      continue;
    }
    waiting = undefined;
    const step = next.step;
    steps++;
    const stepStart = now();
    const stepKey = describeStep(step);
    if (retrying !== stepKey) say(`step ${steps}: ${stepKey} (${step.why.join('; ')})`);
    retrying = undefined;
    if (
      step.kind === 'restart-replica' ||
      step.kind === 'restart-primary' ||
      step.kind === 'restart-monitor'
    ) {
      const addr = addrOf(g, step.node);
      if (!addr) return result(2, `lost track of ${step.node}`);
      const kind = step.kind === 'restart-monitor' ? 'monitor' : 'data';
      try {
        await opts.driver.restart(addr, kind);
      } catch (e) {
        return result(2, `the restart of ${step.node} failed: ${describeError(e)}`);
      }
      // The restart is done when the node reports the desired spec; until then it is not.
      const deadline = now() + restartTimeout;
      for (;;) {
        const h = await observeOrWait();
        const stillStale =
          typeof h === 'string' ? undefined : planRollout(h, opts.plan).stale.find((s) => s.id === step.node);
        if (typeof h !== 'string') {
          const node = h.nodes.find((n) => n.id === step.node) ?? h.monitors.find((m) => m.id === step.node);
          if (node?.reachable && !stillStale) break;
        }
        if (now() > deadline)
          return result(
            3,
            `${step.node} was restarted but ${stillStale ? `still ${stillStale.reasons.join('; ')}` : 'does not answer'} after ${restartTimeout / 1000} s: ` +
              `check that the restart command restarts it with the desired spec`,
          );
        await sleep(poll);
      }
      say(`${step.node} restarted (${((now() - stepStart) / 1000).toFixed(1)} s)`);
      returning = { id: step.node, at: now() };
      continue;
    }
    // A handover.
    const key = `${step.from}->${step.to}`;
    const n = (attempts.get(key) ?? 0) + 1;
    attempts.set(key, n);
    if (n > 3)
      return result(
        2,
        `the handover ${key} was called off 3 times: see the monitors' -failover-abort-coordinated events (a busy ` +
          `replica that cannot catch up within the switchover timeout?). Run again with a longer --switchover-timeout`,
      );
    const to = addrOf(g, step.to);
    if (!to) return result(2, `lost track of ${step.to}`);
    if (step.kind === 'switchover') {
      const r = await requestSwitchover(
        opts.monitors,
        g.monitors.filter((m) => m.reachable).map((m) => m.addr),
        opts.name ?? '',
        { to, timeoutMs: opts.switchoverTimeoutMs },
      );
      if (!r.ok) {
        steps--;
        attempts.set(key, n - 1);
        retrying = stepKey;
        if (r.kind === 'inprog') say('a failover is already in progress (-INPROG): waiting for it');
        const w = waitOn(`handover:${key}`, `the monitors do not start the switchover yet: ${r.message}`);
        if (w) return w;
        await sleep(poll * 5);
        continue;
      }
    } else {
      try {
        await opts.nodes.call(to, 'CLUSTER', 'FAILOVER');
      } catch (e) {
        return result(2, `CLUSTER FAILOVER on ${step.to} failed: ${describeError(e)}`);
      }
    }
    // Wait for the new primary, or for the handover to be called off.
    const deadline = now() + (opts.switchoverTimeoutMs ?? 5000) + 15_000;
    let outcome: 'done' | 'aborted' | 'timeout' = 'timeout';
    while (now() < deadline) {
      await sleep(20);
      const h = await observeOrWait();
      if (typeof h === 'string') continue;
      const target = h.nodes.find((x) => x.id === step.to);
      const busy = h.monitors.some((m) => m.failoverInProgress);
      if (target?.reachable && target.role === 'primary') {
        const announced = h.monitors.every(
          (m) => !m.reachable || (m.primary?.port === to.port && m.primary.host === to.host),
        );
        if (announced) {
          outcome = 'done';
          break;
        }
      } else if (step.kind === 'switchover' && !busy && now() - stepStart > 1000) {
        outcome = 'aborted';
        break;
      }
    }
    if (outcome === 'done') {
      say(`${step.to} is the primary (handover took ${now() - stepStart} ms)`);
      continue;
    }
    say(
      outcome === 'aborted'
        ? `the handover ${key} was called off (see the monitors' -failover-abort-coordinated event); trying again`
        : `the handover ${key} did not complete within ${Math.round((deadline - stepStart) / 1000)} s; looking again`,
    );
  }
}
