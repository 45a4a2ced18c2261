/**
 * Fencing replaced primaries. Once a monitor knows a newer configuration naming another primary
 * (its own failover, a peer's, a redis-sentinel peer's, a coordinated switchover), the node it
 * replaced must take no write: every write it acknowledges would be thrown away when it resyncs.
 * Wherever it shows up as a primary again it is fenced at once, not after Sentinel's
 * eight-second role check:
 *
 * - the monitor that led the failover salvages what it accepted after the fork, then demotes it;
 *   when a redis-sentinel peer led it, one Vigil monitor does so in its place (the one with the
 *   smallest id among those known to be Vigil), so no write is replayed twice;
 * - every other monitor pauses its writes at once (CLIENT PAUSE WRITE) and leaves the salvage to
 *   the leader for FENCE_GRACE, then demotes it itself.
 *
 * One rule keeps this from undoing a later failover: a node is fenced only while it is a stale
 * primary, that is it reports the history it had when it was replaced, or a history that does not
 * continue the current primary's. A node promoted by a later failover continues the history of the
 * primary it replicated from (Redis keeps it as its replid2), so the highest configuration wins.
 */
import { FENCE_GRACE, FENCE_PAUSE } from './constants.js';
import type { CoreContext } from './context.js';
import { demote, masterLooksSane } from './demotion.js';
import type { InfoSnapshot } from './info.js';
import type { Fence, MasterState, ReplicaState } from './instance.js';
import { sendInfo } from './periodic.js';

/** Does this node, answering as a primary, hold a replaced history rather than a newer one? */
export function stalePrimary(m: MasterState, r: ReplicaState, info: InfoSnapshot): boolean {
  const f = r.fence;
  if (!f) return false;
  if (f.history !== undefined && info.masterReplId === f.history) return true;
  // The current primary's history is not known yet (just switched): wait for its INFO.
  if (m.replId === undefined) return false;
  if (info.masterReplId === m.replId || info.masterReplId2 === m.replId) return false;
  return true;
}

/** An INFO from a fenced node that reports itself a primary. */
export function fenceStalePrimary(
  c: CoreContext,
  r: ReplicaState,
  m: MasterState,
  info: InfoSnapshot,
): boolean {
  const f = r.fence;
  if (!f || r.promoted || !masterLooksSane(c, m) || !stalePrimary(m, r, info)) return false;
  if (f.leader) {
    demote(c, r, m);
    return true;
  }
  if (salvagesForPeer(c, m, f)) {
    // Where the new primary's history forked from this node's, when it continues it.
    if (
      r.salvageFrom === undefined &&
      f.history !== undefined &&
      m.replId2 === f.history &&
      m.secondOffset > 0
    )
      r.salvageFrom = { replId: f.history, offset: m.secondOffset };
    demote(c, r, m);
    return true;
  }
  pause(c, r, m);
  const grace = graceFor(m, f);
  if (c.now - f.pausedAt >= grace) {
    c.log(
      'warning',
      `${r.name} still answers as a primary of ${m.name} ${grace} ms after its writes were paused: demoting it (the failover leader salvages its writes, if it is a Vigil monitor that can reach it).`,
    );
    demote(c, r, m);
  }
  return true;
}

/**
 * The failover was announced by a redis-sentinel peer (it salvages nothing): the Vigil monitor
 * with the smallest id does it in the leader's place. A peer not yet known either way counts as
 * a Vigil, so at most one monitor ever replays the writes.
 */
function salvagesForPeer(c: CoreContext, m: MasterState, f: Fence): boolean {
  if (f.announcer === undefined || m.sentinels.get(f.announcer)?.vigil !== false) return false;
  const me = c.myid.toLowerCase();
  for (const s of m.sentinels.values()) if (s.vigil !== false && s.runId.toLowerCase() < me) return false;
  return true;
}

/**
 * A link to the primary this monitor replaced opened before any INFO from it: demote it now, the
 * command waits in its socket if it is frozen. (Others wait for its INFO: it may have been handed
 * over already, and a pause would then only block the hellos published through it.)
 */
export function fenceOnConnect(c: CoreContext, r: ReplicaState, m: MasterState): void {
  const f = r.fence;
  if (f?.unseen && f.leader && !c.tilt) demote(c, r, m);
}

/**
 * How long a monitor that did not lead leaves the node to the leader. A Vigil leader salvages its
 * writes first, which a demotion by anyone else would throw away: it gets the failover timeout
 * (it demotes at the switch, once the replicas are reconfigured). A redis-sentinel leader never
 * will: FENCE_GRACE. The node's writes stay paused meanwhile either way.
 */
function graceFor(m: MasterState, f: Fence): number {
  const leader = f.announcer === undefined ? undefined : m.sentinels.get(f.announcer);
  return leader?.vigil === true ? Math.max(FENCE_GRACE, m.failoverTimeoutMs) : FENCE_GRACE;
}

/** While a fenced node's grace runs, keep its writes paused, and look again once it is over. */
export function checkFence(c: CoreContext, r: ReplicaState, m: MasterState): void {
  const f = r.fence;
  if (!f || f.leader || f.pausedAt === 0 || r.roleReported !== 'master') return;
  const grace = graceFor(m, f);
  if (c.now - f.pausedAt < grace) pause(c, r, m);
  else if (r.link.pendingCommands === 0 && c.now - r.infoRefresh >= FENCE_GRACE) sendInfo(c, r, m);
}

function pause(c: CoreContext, r: ReplicaState, m: MasterState): void {
  const f = r.fence;
  if (!f) return;
  // Renewed while it stays a primary; the first pause starts the grace.
  if (f.renewedAt !== 0 && c.now - f.renewedAt < FENCE_PAUSE / 2) return;
  if (
    !c.send(r.link, [[c.cmd(m, 'CLIENT'), 'PAUSE', String(FENCE_PAUSE), 'WRITE']], {
      t: 'discard',
      link: r.link.id,
    })
  )
    return;
  f.renewedAt = c.now;
  if (f.pausedAt === 0) {
    f.pausedAt = c.now;
    c.event(
      'warning',
      '+fence',
      r,
      ` writes paused: it answers as a primary after ${m.name} moved to ${m.addr.host}:${m.addr.port}`,
    );
  }
}
