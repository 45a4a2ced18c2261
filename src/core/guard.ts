/**
 * The wiped-primary guard: a primary that restarts holding less than its replicas would make
 * them resync and lose what it lost. Its best replica is promoted first, before they resync.
 */
import { FAILOVER_START_JITTER, FAILOVER_START_STAGGER } from './constants.js';
import type { CoreContext } from './context.js';
import { failoverStep, startFailover } from './failover.js';
import { failoverInProgress, type MasterState } from './instance.js';
import { askOthers } from './votes.js';

/**
 * A primary that rebooted holding less than its replicas (no persistence: empty, with a new
 * replication id; or an old snapshot: a smaller offset). Returns why, or undefined when it
 * came back whole.
 */
export function wipedPrimary(
  c: CoreContext,
  m: MasterState,
  replId: string | undefined,
  offset: number,
): string | undefined {
  if (m.replId === undefined || c.tilt || failoverInProgress(m)) return undefined;
  const holders = [...m.replicas.values()].filter(
    (r) => r.masterReplId === m.replId && r.syncedSinceRestart && r.priority > 0,
  );
  if (holders.length === 0) return undefined;
  const best = Math.max(...holders.map((r) => r.replOffset));
  if (replId !== m.replId) {
    return `it restarted with a new replication id ${replId ?? '?'} (its history ${m.replId} is only on its replicas, up to offset ${best})`;
  }
  if (offset < best) return `it restarted at offset ${offset}, behind its replicas at ${best}`;
  return undefined;
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
  };
  c.event('warning', '+wiped-primary', m, ` ${why}`);
  maybeStartGuard(c, m);
}

export function maybeStartGuard(c: CoreContext, m: MasterState): void {
  const g = m.guardPending;
  if (!g || c.now < g.at) return;
  m.guardPending = undefined;
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
  startFailover(c, m);
  // What it accepted since its restart can still be salvaged, from its new history.
  m.guardFork = newReplId !== undefined ? { replId: newReplId, offset: 1 } : undefined;
  askOthers(c, m, true);
  failoverStep(c, m);
}
