/**
 * Starting a primary's picture over: SENTINEL RESET, and the switch to a new primary address at
 * the end of a failover (ours or one a peer announced), which keeps what is known of each node.
 */
import type { CoreContext } from './context.js';
import { finishJournal } from './history.js';
import { ensureReplica } from './info-refresh.js';
import { replicaName, type Fence, type MasterState } from './instance.js';
import { closeLink, releasePeerLink } from './links.js';
import { addrEqual, type Addr } from './types.js';

export function resetMaster(
  c: CoreContext,
  m: MasterState,
  opts: { keepSentinels: boolean; event: boolean },
): void {
  finishJournal(c, m, 'aborted', 'reset');
  for (const r of m.replicas.values()) closeLink(c, r.link, 'both');
  m.replicas.clear();
  if (!opts.keepSentinels) {
    for (const s of m.sentinels.values()) releasePeerLink(c, s.link);
    m.sentinels.clear();
  }
  closeLink(c, m.link, 'both');
  m.sDown = false;
  m.oDown = false;
  m.masterReboot = false;
  m.scriptKillSent = false;
  m.forceFailover = false;
  m.leader = undefined;
  m.failoverState = 'none';
  m.failoverStateChangeTime = 0;
  m.failoverStartTime = 0;
  m.promoted = undefined;
  // A guard decided for the previous picture must not fire against the new one.
  m.guardPending = undefined;
  m.rebootCheck = undefined;
  m.rebootLoading = false;
  m.guard = false;
  m.guardFork = undefined;
  m.runId = undefined;
  m.link.actPingTime = c.now;
  m.link.lastPingTime = 0;
  m.link.lastAvailTime = c.now;
  m.link.lastPongTime = c.now;
  m.roleReportedTime = c.now;
  m.roleReported = 'master';
  if (opts.event) c.event('warning', '+reset-master', m, '');
}

/** What the monitor that led a failover keeps, to salvage and demote the replaced primary. */
export interface LeaderHandoff {
  leader: boolean;
  fork: { replId: string; offset: number } | undefined;
  replaced?: string | undefined;
  /** The replaced primary restarted without its data (the wiped-primary guard). */
  wiped?: boolean | undefined;
  /** The peer whose hello announced the new configuration. */
  announcer?: string | undefined;
}

export function resetMasterAndChangeAddress(
  c: CoreContext,
  m: MasterState,
  to: Addr,
  lead: LeaderHandoff = { leader: false, fork: undefined },
): void {
  const old = m.addr;
  const keep: Addr[] = [];
  for (const r of m.replicas.values()) if (!addrEqual(r.addr, to)) keep.push(r.addr);
  if (!addrEqual(to, m.addr)) keep.push(m.addr);
  // What we know of each node survives the switch: a replica that synced since its restart
  // still holds its data under the new primary, and the old primary held all of it.
  const known = new Map<string, { runId: string | undefined; synced: boolean; fence: Fence | undefined }>();
  for (const r of m.replicas.values())
    known.set(replicaName(r.addr), { runId: r.runId, synced: r.syncedSinceRestart, fence: r.fence });
  if (m.runId !== undefined && m.roleReported === 'master')
    known.set(replicaName(m.addr), { runId: m.runId, synced: true, fence: undefined });
  // The history the replaced primary had, and whether its writes were paused at the promotion.
  const replacedHistory = lead.replaced ?? m.replId;
  const pausedAt = m.pausedAtPromotion;
  m.pausedAtPromotion = 0;
  resetMaster(c, m, { keepSentinels: true, event: false });
  if (!addrEqual(to, old)) {
    // The new primary's history is its own (a promotion starts a new replication id): unknown
    // until its INFO arrives, which is asked for as soon as the link is up. Meanwhile a node
    // that reports itself a primary is never taken for a replica of it (select-replica.ts).
    m.replId = undefined;
    m.replOffset = 0;
    m.replId2 = undefined;
    m.secondOffset = -1;
  }
  m.addr = to;
  for (const a of keep) {
    const r = ensureReplica(c, m, a);
    if (!r) continue;
    const k = known.get(replicaName(a));
    if (k) {
      r.runId = k.runId;
      r.syncedSinceRestart = k.synced;
      r.fence = k.fence;
    }
    c.event('notice', '+slave', r, '');
    if (addrEqual(a, old)) {
      // Replaced, whoever replaced it: fenced wherever it answers as a primary again.
      r.fence = {
        history: replacedHistory,
        leader: lead.leader,
        wiped: lead.wiped === true,
        announcer: lead.announcer,
        configEpoch: m.configEpoch,
        unseen: true,
        pausedAt,
        renewedAt: pausedAt,
      };
      if (lead.leader) r.salvageFrom = lead.fork;
    }
  }
  c.flushConfig();
}
