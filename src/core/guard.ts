/**
 * The wiped-primary guard: a primary that restarts holding less than its replicas would make
 * them resync and lose what it lost. Its best replica is promoted first, before they resync.
 */
import { FAILOVER_START_JITTER, FAILOVER_START_STAGGER, GUARD_FRESH_INFO_WAIT } from './constants.js';
import type { CoreContext } from './context.js';
import { failoverStep, startFailover } from './failover.js';
import type { InfoSnapshot } from './info.js';
import { failoverInProgress, type MasterState, type ReplicaState } from './instance.js';
import { isPaused, heldBack } from './pause.js';
import { sendInfo } from './periodic.js';
import { addrKey } from './types.js';
import { askOthers } from './votes.js';

/** What a primary's restart means for the data its replicas hold. */
export type RebootVerdict =
  | { readonly kind: 'whole' }
  | { readonly kind: 'wiped'; readonly why: string }
  /** A new history: only the data can tell, compared with the replicas' fresh key counts. */
  | { readonly kind: 'compare-keys' };

/** The replicas that hold the primary's history and could be promoted in its place. */
function holders(m: MasterState): ReplicaState[] {
  return [...m.replicas.values()].filter(
    (r) => r.masterReplId === m.replId && r.syncedSinceRestart && r.priority > 0,
  );
}

/**
 * A primary rebooted: did it come back holding less than its replicas (without persistence it
 * comes back empty, from an old snapshot short)? Judged on the data, not on replication ids
 * alone: Redis gives a restarted primary a new replication id even when it reloaded everything
 * (from AOF it also starts again at offset 0), so a new id says nothing by itself.
 */
export function judgeReboot(c: CoreContext, m: MasterState, info: InfoSnapshot): RebootVerdict {
  if (m.replId === undefined || c.tilt || failoverInProgress(m)) return { kind: 'whole' };
  const hs = holders(m);
  if (hs.length === 0) return { kind: 'whole' };
  const best = Math.max(...hs.map((r) => r.replOffset));
  const offset = info.masterReplOffset ?? 0;
  // It kept its history (same id, or an RDB reload that continues it as replid2): offsets compare.
  if (info.masterReplId === m.replId) {
    return offset < best
      ? { kind: 'wiped', why: `it restarted at offset ${offset}, behind its replicas at ${best}` }
      : { kind: 'whole' };
  }
  if (info.masterReplId2 === m.replId && (info.secondReplOffset ?? 0) > 0) {
    const kept = (info.secondReplOffset ?? 0) - 1;
    return kept < best
      ? { kind: 'wiped', why: `it restarted at offset ${kept}, behind its replicas at ${best}` }
      : { kind: 'whole' };
  }
  return { kind: 'compare-keys' };
}

/**
 * A new history: the restarted primary holds `keys`; its replicas hold what they last reported
 * (asked again at the reboot, so they report the data from before it). Returns why it is wiped,
 * or undefined when it reloaded its data or there was nothing to protect.
 */
export function wipedByKeys(
  c: CoreContext,
  m: MasterState,
  keys: number,
  newReplId: string | undefined,
): string | undefined {
  const hs = holders(m);
  const held = Math.max(0, ...hs.map((r) => r.keys ?? 0));
  if (held === 0) return undefined;
  if (keys >= held) {
    c.log(
      'notice',
      `Primary ${m.name} restarted with a new replication id and ${keys} keys (its replicas hold up to ${held}): it reloaded its data, nothing to protect.`,
    );
    return undefined;
  }
  return `it restarted with ${keys} keys and a new replication id ${newReplId ?? '?'}, while its replicas hold up to ${held} keys of its history ${m.replId}`;
}

/**
 * The primary came back with a new history: ask the replicas that hold the old one what they
 * hold now (before they resync from it), and keep the old history as the primary's until the
 * data is compared (settleRebootCheck).
 */
export function startRebootCheck(c: CoreContext, m: MasterState, info: InfoSnapshot): void {
  const hs = holders(m);
  m.rebootCheck = {
    askedAt: c.now,
    waiting: new Set(hs.map((r) => r.name)),
    newReplId: info.masterReplId,
    newOffset: info.masterReplOffset ?? 0,
  };
  for (const r of hs) sendInfo(c, r, m);
}

/** Decide once every holder answered, or when waiting longer would let them resync. */
export function settleRebootCheck(c: CoreContext, m: MasterState): void {
  const rc = m.rebootCheck;
  if (!rc) return;
  if (rc.waiting.size > 0 && c.now - rc.askedAt < GUARD_FRESH_INFO_WAIT) return;
  m.rebootCheck = undefined;
  const why = wipedByKeys(c, m, m.keys ?? 0, rc.newReplId);
  if (why !== undefined) {
    scheduleGuard(c, m, why, rc.newReplId);
    return;
  }
  m.replId = rc.newReplId;
  m.replOffset = rc.newOffset;
  c.flushConfig();
}

/**
 * Every monitor sees the wiped reboot at about the same moment: like ODOWN, the start is
 * staggered by rank so the first asker gets the votes (see FAILOVER_START_STAGGER).
 */
export function scheduleGuard(
  c: CoreContext,
  m: MasterState,
  why: string,
  newReplId: string | undefined,
): void {
  let rank = 0;
  const me = c.myid.toLowerCase();
  for (const s of m.sentinels.values()) if (!s.sDown && s.runId.toLowerCase() < me) rank++;
  m.guardPending = {
    why,
    newReplId,
    at: c.now + rank * FAILOVER_START_STAGGER + Math.floor(c.rand() * FAILOVER_START_JITTER),
    addr: addrKey(m.addr),
    configEpoch: m.configEpoch,
  };
  c.event('warning', '+wiped-primary', m, ` ${why}`);
  maybeStartGuard(c, m);
}

export function maybeStartGuard(c: CoreContext, m: MasterState): void {
  const g = m.guardPending;
  if (!g) return;
  // Decided for another primary or an older configuration: it no longer applies.
  if (g.addr !== addrKey(m.addr) || g.configEpoch !== m.configEpoch) {
    m.guardPending = undefined;
    return;
  }
  if (c.now < g.at) return;
  m.guardPending = undefined;
  if (isPaused(c, m)) {
    heldBack(c, m, `it came back without its data: ${g.why}; its replicas will resync from it`);
    return;
  }
  // Someone else may have started already (we voted for it): then nothing to do here.
  if (failoverInProgress(m) || c.now - m.failoverStartTime < m.failoverTimeoutMs * 2) return;
  startGuardFailover(c, m, g.why, g.newReplId);
}

/** Promote the best replica now, before the replicas resync from a primary that lost data. */
function startGuardFailover(
  c: CoreContext,
  m: MasterState,
  why: string,
  newReplId: string | undefined,
): void {
  c.log(
    'warning',
    `Primary ${m.name} came back without its data (${why}). Promoting its best replica before the replicas resync from it and lose their copy.`,
  );
  m.guard = true;
  m.guardReason = `the primary came back without its data: ${why}`;
  startFailover(c, m);
  // What it accepted since its restart can still be salvaged, from its new history.
  m.guardFork = newReplId !== undefined ? { replId: newReplId, offset: 1 } : undefined;
  askOthers(c, m, true);
  failoverStep(c, m);
}
