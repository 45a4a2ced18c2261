/** Which replica Sentinel would promote (sentinelSelectSlave), with the reason for each refusal. */
import type { Timing } from './constants.js';
import type { MasterState, ReplicaState } from './instance.js';
import { linkDisconnected } from './instance.js';

export interface Candidate {
  replica: ReplicaState;
  eligible: boolean;
  reason: string;
}

export function compareForPromotion(a: ReplicaState, b: ReplicaState): number {
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
export function sentinelCandidates(master: MasterState, timing: Timing, now: number): Candidate[] {
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

export function selectReplica(master: MasterState, timing: Timing, now: number): ReplicaState | undefined {
  const ok = sentinelCandidates(master, timing, now)
    .filter((c) => c.eligible)
    .map((c) => c.replica);
  ok.sort(compareForPromotion);
  return ok[0];
}
