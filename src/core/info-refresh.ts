/**
 * What an INFO reply teaches the monitor (run id, role, replicas, replication history) and what
 * it does about it: discover replicas, notice reboots and role changes, confirm a promotion,
 * send a replaced primary back to being a replica, fix a replica following the wrong primary.
 */
import type { CoreContext } from './context.js';
import { adoptCompletedHandover } from './coordinated.js';
import { masterLooksSane, sendReplicaOf } from './demotion.js';
import { fenceStalePrimary } from './fence.js';
import { onPromotionConfirmed } from './failover.js';
import {
  judgeReboot,
  scheduleGuard,
  settleRebootCheck,
  startRebootCheck,
  type RebootVerdict,
} from './guard.js';
import { parseInfo, type InfoSnapshot } from './info.js';
import {
  failoverInProgress,
  newReplica,
  noDownFor,
  replicaName,
  type MasterState,
  type ReplicaState,
} from './instance.js';
import { reconnect } from './links.js';
import { sendInfo, type DataInstance } from './periodic.js';
import { addrEqual, type Addr } from './types.js';

/** Add a replica to a primary's table; undefined when it is already there. */
export function ensureReplica(c: CoreContext, m: MasterState, addr: Addr): ReplicaState | undefined {
  const name = replicaName(addr);
  if (m.replicas.has(name)) return undefined;
  const r = newReplica(m, addr, c.now);
  m.replicas.set(name, r);
  return r;
}

export function refreshInfo(c: CoreContext, i: DataInstance, m: MasterState, text: string): void {
  const info = parseInfo(text);
  i.info = text;
  if (info.keys !== undefined) i.keys = info.keys;
  if (i.kind === 'replica') i.masterLinkDownTime = 0;

  const verdict = noticeReboot(c, i, info);
  if (i.kind === 'master') discoverReplicas(c, m, info);
  if (i.kind === 'replica') recordReplicaInfo(c, i, info);
  if (i.kind === 'master') {
    i.reportedReplicaOf =
      info.role === 'slave' && info.masterHost !== undefined && info.masterPort !== undefined
        ? { host: info.masterHost, port: info.masterPort }
        : undefined;
  }
  adoptCompletedHandover(c, m);
  if (verdict?.kind === 'wiped' && i.kind === 'master') {
    scheduleGuard(c, i, verdict.why, info.masterReplId);
  } else if (verdict?.kind === 'compare-keys' && i.kind === 'master') {
    startRebootCheck(c, i, info);
  } else if (
    i.kind === 'master' &&
    info.role === 'master' &&
    info.masterReplId !== undefined &&
    !protectingHistory(m)
  ) {
    const changed = i.replId !== info.masterReplId;
    i.replId = info.masterReplId;
    i.replOffset = info.masterReplOffset ?? i.replOffset;
    i.replId2 = info.masterReplId2;
    i.secondOffset = info.secondReplOffset ?? -1;
    // The primary's history is part of what must survive a monitor restart.
    if (changed) c.flushConfig();
  }
  i.infoRefresh = c.now;
  if (i.kind === 'replica' && m.rebootCheck) {
    m.rebootCheck.waiting.delete(i.name);
    settleRebootCheck(c, m);
  }

  noticeRoleChange(c, i, m, info);
  if (c.tilt) return;
  if (i.kind === 'replica') actOnReplicaInfo(c, i, m, info);
}

/**
 * While a restart is being judged, or the guard is pending or running, the history to protect is
 * the one the replicas hold, not the one the restarted primary reports now.
 */
function protectingHistory(m: MasterState): boolean {
  return m.rebootLoading || m.rebootCheck !== undefined || m.guardPending !== undefined || m.guard;
}

/** A new run id is a restart: for a primary, what it means for its replicas' data. */
function noticeReboot(c: CoreContext, i: DataInstance, info: InfoSnapshot): RebootVerdict | undefined {
  if (info.runId === undefined) return undefined;
  if (i.runId === undefined) {
    i.runId = info.runId;
    return undefined;
  }
  // A primary still loading its data set shows a part of it: judged once the load is over.
  if (i.kind === 'master' && i.rebootLoading && info.loading !== true) {
    i.rebootLoading = false;
    return info.role === 'master' ? judgeReboot(c, i, info) : undefined;
  }
  if (i.runId === info.runId) return undefined;
  let verdict: RebootVerdict | undefined;
  c.event('notice', '+reboot', i, '');
  if (i.kind === 'master' && info.role === 'master') {
    if (info.loading === true) i.rebootLoading = true;
    else verdict = judgeReboot(c, i, info);
  }
  if (i.kind === 'replica') i.syncedSinceRestart = false;
  if (i.kind === 'master' && i.masterRebootDownAfterMs !== 0) {
    i.masterReboot = true;
    i.masterRebootSince = c.now;
  }
  i.runId = info.runId;
  return verdict;
}

function discoverReplicas(c: CoreContext, m: MasterState, info: InfoSnapshot): void {
  for (const rl of info.replicas) {
    const r = ensureReplica(c, m, { host: rl.ip, port: rl.port });
    if (r) {
      c.event('notice', '+slave', r, '');
      c.flushConfig();
      reconnect(c, r, m);
    }
  }
}

function recordReplicaInfo(c: CoreContext, i: ReplicaState, info: InfoSnapshot): void {
  i.masterLinkDownTime = info.masterLinkDownSinceMs;
  if (info.role === 'slave') {
    if (
      info.masterHost !== undefined &&
      (i.slaveMasterHost ?? '').toLowerCase() !== info.masterHost.toLowerCase()
    ) {
      i.slaveMasterHost = info.masterHost;
      i.slaveConfChangeTime = c.now;
    }
    if (info.masterPort !== undefined && i.slaveMasterPort !== info.masterPort) {
      i.slaveMasterPort = info.masterPort;
      i.slaveConfChangeTime = c.now;
    }
    if (info.masterLinkUp !== undefined) i.slaveMasterLinkUp = info.masterLinkUp;
    if (info.replicaPriority !== undefined) i.priority = info.replicaPriority;
    if (info.replicaReplOffset !== undefined) i.replOffset = info.replicaReplOffset;
    if (info.replicaAnnounced !== undefined) i.announced = info.replicaAnnounced;
    i.masterSyncInProgress = info.masterSyncInProgress ?? false;
  }
  i.masterReplId = info.masterReplId;
  i.masterReplId2 = info.masterReplId2;
  i.secondReplOffset = info.secondReplOffset;
  i.loading = info.loading ?? false;
  if (info.role === 'slave' && i.slaveMasterLinkUp && !i.masterSyncInProgress && !i.loading)
    i.syncedSinceRestart = true;
}

function noticeRoleChange(c: CoreContext, i: DataInstance, m: MasterState, info: InfoSnapshot): void {
  const role = info.role;
  if (role === undefined || role === i.roleReported) return;
  i.roleReportedTime = c.now;
  i.roleReported = role;
  if (role === 'slave' && i.kind === 'replica') i.slaveConfChangeTime = c.now;
  const coherent = (i.kind === 'master' ? 'master' : 'slave') === role;
  c.event('verbose', coherent ? '+role-change' : '-role-change', i, ` new reported role is ${role}`);
  // An unexpected role: look at the other side now (a handover may have completed without us).
  if (!coherent && i.kind === 'replica') sendInfo(c, m, m);
  if (!coherent && i.kind === 'master' && info.masterHost !== undefined) {
    const host = info.masterHost;
    const port = info.masterPort ?? 0;
    const x = [...m.replicas.values()].find((r) => addrEqual(r.addr, { host, port }));
    if (x) sendInfo(c, x, m);
  }
}

function actOnReplicaInfo(c: CoreContext, i: ReplicaState, m: MasterState, info: InfoSnapshot): void {
  const role = info.role;
  if (i.fence && role !== undefined) i.fence.unseen = false;
  // Once it follows someone it takes no write: the fence has done its work.
  if (i.fence && role === 'slave') i.fence = undefined;
  if (role === 'master') {
    if (i.promoted && failoverInProgress(m) && m.failoverState === 'wait_promotion') {
      onPromotionConfirmed(c, m, i);
    } else if (fenceStalePrimary(c, i, m, info)) {
      // A replaced primary, back and taking writes: fenced (see fence.ts).
    } else {
      const wait = c.timing.publishPeriod * 4;
      if (
        !i.promoted &&
        masterLooksSane(c, m) &&
        noDownFor(i, 0, c.now, wait) &&
        c.now - i.roleReportedTime > wait
      ) {
        if (sendReplicaOf(c, i, m, m.addr)) c.event('notice', '+convert-to-slave', i, '');
      }
    }
  }

  if (
    role === 'slave' &&
    (i.slaveMasterPort !== m.addr.port ||
      (i.slaveMasterHost ?? '').toLowerCase() !== m.addr.host.toLowerCase())
  ) {
    const wait = m.failoverTimeoutMs;
    if (masterLooksSane(c, m) && noDownFor(i, 0, c.now, wait) && c.now - i.slaveConfChangeTime > wait) {
      if (sendReplicaOf(c, i, m, m.addr)) c.event('notice', '+fix-slave-config', i, '');
    }
  }

  if (role === 'slave' && (i.reconf === 'sent' || i.reconf === 'inprog')) {
    const p = m.promoted;
    if (
      i.reconf === 'sent' &&
      p !== undefined &&
      i.slaveMasterHost !== undefined &&
      i.slaveMasterHost.toLowerCase() === p.addr.host.toLowerCase() &&
      i.slaveMasterPort === p.addr.port
    ) {
      i.reconf = 'inprog';
      c.event('notice', '+slave-reconf-inprog', i, '');
    }
    if (i.reconf === 'inprog' && i.slaveMasterLinkUp) {
      i.reconf = 'done';
      c.event('notice', '+slave-reconf-done', i, '');
    }
  }
}
