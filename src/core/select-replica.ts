/** Which replica Sentinel would promote (sentinelSelectSlave), with the reason for each refusal. */
import type { Timing } from './constants.js';
import type { MasterState, ReplicaState } from './instance.js';
import { linkDisconnected } from './instance.js';
import type { MasterView, ReplicaView } from './view.js';

/**
 * The functions below read a read-only view; called with the core's own state they hand back
 * the same (writable) replica objects, which the overloads say.
 */
export interface Candidate<R extends ReplicaView = ReplicaView> {
  replica: R;
  eligible: boolean;
  reason: string;
}

export function compareForPromotion(a: ReplicaView, b: ReplicaView): number {
  if (a.priority !== b.priority) return a.priority - b.priority;
  if (a.replOffset !== b.replOffset) return a.replOffset > b.replOffset ? -1 : 1;
  if (a.runId === undefined && b.runId === undefined) return 0;
  if (a.runId === undefined) return 1;
  if (b.runId === undefined) return -1;
  const x = a.runId.toLowerCase();
  const y = b.runId.toLowerCase();
  return x < y ? -1 : x > y ? 1 : 0;
}

/** Sentinel's eligibility rules, each refusal with an operator-readable reason. */
export function sentinelCandidates(
  master: MasterState,
  timing: Readonly<Timing>,
  now: number,
): Candidate<ReplicaState>[];
export function sentinelCandidates(master: MasterView, timing: Readonly<Timing>, now: number): Candidate[];
export function sentinelCandidates(master: MasterView, timing: Readonly<Timing>, now: number): Candidate[] {
  let maxMasterDownTime = 0;
  if (master.sDown) maxMasterDownTime += now - master.sDownSince;
  maxMasterDownTime += master.downAfterMs * 10;
  const infoValidity = master.sDown ? timing.pingPeriod * 5 : timing.infoPeriod * 3;
  const out: Candidate[] = [];
  for (const r of master.replicas.values()) {
    let reason = '';
    if (r.sDown) reason = 'subjectively down';
    else if (linkDisconnected(r.link, true)) reason = 'link to the replica is disconnected';
    else if (now - r.link.lastAvailTime > timing.pingPeriod * 5)
      reason = `no valid PING reply for ${now - r.link.lastAvailTime} ms`;
    else if (r.priority === 0) reason = 'replica-priority is 0';
    else if (now - r.infoRefresh > infoValidity) reason = `INFO is ${now - r.infoRefresh} ms old`;
    else if (r.masterLinkDownTime > maxMasterDownTime)
      reason = `replication link down for ${r.masterLinkDownTime} ms (limit ${maxMasterDownTime} ms)`;
    out.push({ replica: r, eligible: reason === '', reason: reason === '' ? 'eligible' : reason });
  }
  return out;
}

/** Does this replica hold the primary's history: same replication id, or continuing it? */
export function historyProblem(master: MasterView, r: ReplicaView): string | undefined {
  if (master.replId === undefined) {
    // Nothing to compare with: a replica is judged by Sentinel's rules, but a node that says it
    // is a primary itself is not a replica of this history.
    return r.roleReported === 'master'
      ? 'reports itself a primary, and the primary history it should continue is unknown'
      : undefined;
  }
  if (r.masterReplId === master.replId) return undefined;
  if (r.masterReplId2 === master.replId && (r.secondReplOffset ?? 0) > 0) return undefined;
  return `holds a different history (replication id ${r.masterReplId ?? 'unknown'}, the primary's is ${master.replId})`;
}

/**
 * Vigil's safe rules on top of Sentinel's: a replica is promoted only if it completed a sync
 * since its own restart, holds the failing primary's history, and lags no more than
 * max-lag-on-failover. Under `failover-policy available` Sentinel's rules alone apply.
 */
export function candidates(
  master: MasterState,
  timing: Readonly<Timing>,
  now: number,
): RankedCandidate<ReplicaState>[];
export function candidates(master: MasterView, timing: Readonly<Timing>, now: number): RankedCandidate[];
export function candidates(master: MasterView, timing: Readonly<Timing>, now: number): RankedCandidate[] {
  const base = sentinelCandidates(master, timing, now);
  if (master.failoverPolicy === 'available') return rank(base);
  return rank(
    base.map((c) => {
      if (!c.eligible) return c;
      const r = c.replica;
      let reason = r.syncedSinceRestart
        ? (historyProblem(master, r) ?? '')
        : 'has not completed a sync with its primary since it restarted';
      if (
        reason === '' &&
        master.maxLagOnFailoverBytes !== undefined &&
        master.replOffset - r.replOffset > master.maxLagOnFailoverBytes
      ) {
        reason = `lags ${master.replOffset - r.replOffset} bytes behind the primary (max-lag-on-failover ${master.maxLagOnFailoverBytes})`;
      }
      return reason === '' ? c : { replica: r, eligible: false, reason };
    }),
  );
}

export interface RankedCandidate<R extends ReplicaView = ReplicaView> extends Candidate<R> {
  /** 1 for the replica that would be promoted, 2 for the next, ...; 0 when ineligible. */
  rank: number;
}

function rank(list: Candidate[]): RankedCandidate[] {
  const ok = list.filter((c) => c.eligible).map((c) => c.replica);
  ok.sort(compareForPromotion);
  return list.map((c) => ({ ...c, rank: c.eligible ? ok.indexOf(c.replica) + 1 : 0 }));
}

export function selectReplica(
  master: MasterState,
  timing: Readonly<Timing>,
  now: number,
): ReplicaState | undefined;
export function selectReplica(
  master: MasterView,
  timing: Readonly<Timing>,
  now: number,
): ReplicaView | undefined;
export function selectReplica(
  master: MasterView,
  timing: Readonly<Timing>,
  now: number,
): ReplicaView | undefined {
  return candidates(master, timing, now).find((c) => c.rank === 1)?.replica;
}
