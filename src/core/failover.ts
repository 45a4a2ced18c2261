/**
 * Sentinel's failover state machine: start (a new epoch), wait to be elected, select a replica,
 * promote it, confirm the promotion, repoint the other replicas, and switch the configuration.
 * The coordinated switchover (coordinated.ts) and the wiped-primary guard (guard.ts) run through
 * the same states.
 */
import {
  FAILOVER_START_JITTER,
  FAILOVER_START_STAGGER,
  FENCE_PAUSE,
  MAX_DESYNC,
  SELECT_FRESH_INFO_WAIT,
} from './constants.js';
import type { CoreContext } from './context.js';
import {
  startCoordinated,
  type CoordinatedResult,
  coordinatedWaitPromotion,
  completeCoordinatedPromotion,
  finishCoordinated,
  sendCoordinatedHandover,
} from './coordinated.js';
import { sendReplicaOf } from './demotion.js';
import { failoverInProgress, linkDisconnected, type MasterState, type ReplicaState } from './instance.js';
import { forceHelloUpdate, sendHello, sendInfo } from './periodic.js';
import { finishJournal, noteSelection } from './history.js';
import { heldBack, isPaused } from './pause.js';
import { resetMasterAndChangeAddress } from './reset.js';
import { candidates, selectReplica, sentinelCandidates } from './select-replica.js';
import { addrEqual } from './types.js';
import { getLeader } from './votes.js';

export type StartFailoverResult = 'ok' | 'inprog' | 'nogoodslave';

export function startFailover(c: CoreContext, m: MasterState): void {
  m.failoverState = 'wait_start';
  m.failoverEpoch = ++c.currentEpoch;
  c.event('warning', '+new-epoch', m, `${c.currentEpoch}`, true);
  c.event('warning', '+try-failover', m, '');
  m.failoverStartTime = c.now + Math.floor(c.rand() * MAX_DESYNC);
  m.failoverStateChangeTime = c.now;
}

/** This monitor's place among those that see the primary down, by id, as a start delay. */
export function failoverStartDelay(c: CoreContext, m: MasterState): number {
  let rank = 0;
  const me = c.myid.toLowerCase();
  for (const s of m.sentinels.values()) {
    if (s.masterDown && !s.sDown && s.runId.toLowerCase() < me) rank++;
  }
  return rank * FAILOVER_START_STAGGER + Math.floor(c.rand() * FAILOVER_START_JITTER);
}

export function startFailoverIfNeeded(c: CoreContext, m: MasterState): boolean {
  if (!m.oDown) return false;
  if (failoverInProgress(m)) return false;
  if (c.now - m.oDownSince < m.startDelay) return false;
  if (isPaused(c, m)) {
    heldBack(c, m, `it is objectively down since ${new Date(m.oDownSince).toISOString()}`);
    return false;
  }
  // A peer started an election this monitor refused a moment ago (it did not see the primary
  // down yet): that peer asks again and now gets the vote; a second failover of our own would
  // only compete with it. Once its election can no longer be running, start our own.
  const r = m.refusedElection;
  if (
    r &&
    r.epoch >= c.currentEpoch &&
    c.now - r.at < Math.min(c.timing.electionTimeout, m.failoverTimeoutMs)
  )
    return false;
  if (c.now - m.failoverStartTime < m.failoverTimeoutMs * 2) {
    if (m.failoverDelayLogged !== m.failoverStartTime) {
      m.failoverDelayLogged = m.failoverStartTime;
      const at = new Date(m.failoverStartTime + m.failoverTimeoutMs * 2).toUTCString();
      c.log('warning', `Next failover delay: I will not start a failover before ${at}`);
    }
    return false;
  }
  startFailover(c, m);
  return true;
}

/** SENTINEL FAILOVER: a forced failover that needs no agreement. */
export function forceFailover(c: CoreContext, m: MasterState): StartFailoverResult {
  if (failoverInProgress(m)) return 'inprog';
  if (selectReplica(m, c.timing, c.now) === undefined) return 'nogoodslave';
  c.log('warning', `Executing user requested FAILOVER of '${m.name}'`);
  startFailover(c, m);
  m.forceFailover = true;
  return 'ok';
}

/**
 * SENTINEL FAILOVER <name>: while the primary answers, a coordinated switchover (no acknowledged
 * write lost) unless `manual-failover forced` asks for Sentinel's promotion; a primary that does
 * not answer is failed over the forced way.
 */
export function manualFailover(
  c: CoreContext,
  m: MasterState,
): { mode: 'coordinated'; result: CoordinatedResult } | { mode: 'forced'; result: StartFailoverResult } {
  const answers =
    !m.sDown &&
    m.link.cc &&
    m.roleReported === 'master' &&
    c.now - m.link.lastAvailTime <= 2 * c.timing.pingPeriod;
  if (m.manualFailover === 'coordinated' && answers && !failoverInProgress(m)) {
    return { mode: 'coordinated', result: startCoordinated(c, m, { fallback: true }) };
  }
  return { mode: 'forced', result: forceFailover(c, m) };
}

/** Run the failover state machine until it waits on something (a reply, a timeout). */
export function failoverStep(c: CoreContext, m: MasterState): void {
  for (let n = 0; n < 8; n++) {
    const before = m.failoverState;
    failoverStepOnce(c, m);
    if (m.failoverState === before || m.failoverState === 'none' || m.failoverState === 'update_config')
      return;
  }
}

function failoverStepOnce(c: CoreContext, m: MasterState): void {
  // The primary answers again and nothing has been promoted yet: promoting now would only
  // create a second primary. (A user-requested SENTINEL FAILOVER goes on.)
  if (
    !m.forceFailover &&
    !m.guard &&
    !m.coordinated &&
    !m.sDown &&
    (m.failoverState === 'wait_start' ||
      m.failoverState === 'select_slave' ||
      m.failoverState === 'send_slaveof_noone')
  ) {
    c.event('warning', '-failover-abort-master-recovered', m, '');
    abortFailover(c, m);
    return;
  }
  switch (m.failoverState) {
    case 'none':
    case 'update_config':
      return;
    case 'wait_start':
      return waitStart(c, m);
    case 'select_slave':
      return selectSlave(c, m);
    case 'send_slaveof_noone':
      return sendSlaveOfNoOne(c, m);
    case 'wait_promotion':
      if (m.coordinated) return coordinatedWaitPromotion(c, m);
      if (c.now - m.failoverStateChangeTime > m.failoverTimeoutMs) {
        c.event('warning', '-failover-abort-slave-timeout', m, '');
        abortFailover(c, m);
      }
      return;
    case 'reconf_slaves':
      return reconfNextSlave(c, m);
  }
}

function waitStart(c: CoreContext, m: MasterState): void {
  if (c.currentEpoch > m.failoverEpoch && !m.forceFailover) {
    // Another monitor has started a newer epoch: this election cannot be trusted any more.
    c.event('warning', '-failover-abort-not-elected', m, '');
    abortFailover(c, m);
    return;
  }
  const leader = getLeader(c, m, m.failoverEpoch);
  if (!c.isMe(leader) && !m.forceFailover) {
    const electionTimeout = Math.min(c.timing.electionTimeout, m.failoverTimeoutMs);
    if (c.now - m.failoverStartTime > electionTimeout) {
      c.event('warning', '-failover-abort-not-elected', m, '');
      abortFailover(c, m);
    }
    return;
  }
  c.event('warning', '+elected-leader', m, '');
  if (c.simFailure.crashAfterElection) c.crash('SENTINEL simulate-failure crash-after-election');
  m.failoverState = 'select_slave';
  m.failoverStateChangeTime = c.now;
  c.event('warning', '+failover-state-select-slave', m, '');
}

function selectSlave(c: CoreContext, m: MasterState): void {
  const to = m.coordinated?.to;
  const r = to
    ? candidates(m, c.timing, c.now).find((x) => x.eligible && addrEqual(x.replica.addr, to))?.replica
    : selectReplica(m, c.timing, c.now);
  if (!r && c.now - m.failoverStateChangeTime < SELECT_FRESH_INFO_WAIT) {
    // Refused only for stale INFO? Ask again and decide on fresh facts, briefly.
    const stale = sentinelCandidates(m, c.timing, c.now).filter((x) => x.reason.startsWith('INFO is'));
    if (stale.length > 0) {
      for (const x of stale) if (x.replica.link.pendingCommands === 0) sendInfo(c, x.replica, m);
      return;
    }
  }
  if (!r) {
    c.event('warning', '-failover-abort-no-good-slave', m, '');
    // Say why, replica by replica: an operator woken by this needs to know what to fix.
    const refused = candidates(m, c.timing, c.now);
    for (const x of refused) c.event('warning', '-failover-refused-replica', x.replica, ` ${x.reason}`);
    c.log(
      'warning',
      `No replica of ${m.name} can be promoted safely: ${
        refused.length === 0
          ? 'it has no known replicas'
          : refused.map((x) => `${x.replica.name} ${x.reason}`).join('; ')
      }.${m.failoverPolicy === 'safe' ? ` To promote regardless of data loss: SENTINEL SET ${m.name} failover-policy available.` : ''}`,
    );
    abortFailover(c, m);
    return;
  }
  c.event('warning', '+selected-slave', r, '');
  const skipped = candidates(m, c.timing, c.now).filter((x) => !x.eligible);
  if (skipped.length > 0) {
    c.log(
      'notice',
      `Promoting ${r.name}; passed over: ${skipped.map((x) => `${x.replica.name} ${x.reason}`).join('; ')}`,
    );
  }
  noteSelection(
    c,
    m,
    r.name,
    `priority ${r.priority}, offset ${r.replOffset}${m.replId !== undefined ? ` (the primary's last known ${m.replOffset})` : ''}: the first of the replicas allowed`,
    skipped.map((x) => ({ replica: x.replica.name, reason: x.reason })),
  );
  r.promoted = true;
  m.promoted = r;
  m.failoverState = 'send_slaveof_noone';
  m.failoverStateChangeTime = c.now;
  c.event('notice', '+failover-state-send-slaveof-noone', r, '');
}

function sendSlaveOfNoOne(c: CoreContext, m: MasterState): void {
  const r = m.promoted;
  if (!r) return;
  if (linkDisconnected(r.link, true)) {
    if (c.now - m.failoverStateChangeTime > m.failoverTimeoutMs) {
      c.event('warning', '-failover-abort-slave-timeout', m, '');
      abortFailover(c, m);
    }
    return;
  }
  if (m.coordinated) {
    if (!sendCoordinatedHandover(c, m, r)) return;
  } else if (!sendReplicaOf(c, r, m, undefined)) return;
  c.event('notice', '+failover-state-wait-promotion', r, '');
  m.failoverState = 'wait_promotion';
  m.failoverStateChangeTime = c.now;
  // INFO on the same connection runs right after the promotion: its reply confirms the new
  // role at once, where Sentinel waits for the next once-a-second INFO.
  sendInfo(c, r, m);
}

/** The promoted replica reports itself a primary: the new configuration starts here. */
export function onPromotionConfirmed(c: CoreContext, m: MasterState, r: ReplicaState): void {
  const coordinated = m.coordinated !== undefined;
  if (coordinated) finishCoordinated(c, m, r);
  m.configEpoch = m.failoverEpoch;
  m.failoverState = 'reconf_slaves';
  m.failoverStateChangeTime = c.now;
  c.flushConfig();
  c.event('warning', '+promoted-slave', r, '');
  if (c.simFailure.crashAfterPromotion) c.crash('SENTINEL simulate-failure crash-after-promotion');
  c.event('warning', '+failover-state-reconf-slaves', m, '');
  c.clientReconfScript(m, 'leader', m.addr, r.addr);
  // The old primary still answers (the guard, or it came back mid-failover): from this moment
  // every write it takes would be lost, so its writes are paused now (see fence.ts).
  if (!coordinated && !m.sDown && m.link.cc && m.roleReported === 'master') {
    if (
      c.send(m.link, [[c.cmd(m, 'CLIENT'), 'PAUSE', String(FENCE_PAUSE), 'WRITE']], {
        t: 'discard',
        link: m.link.id,
      })
    )
      m.pausedAtPromotion = c.now;
  }
  forceHelloUpdate(c, m);
  // Tell the peers and the data nodes now, not at the next timer run.
  for (const i of [m, ...m.sentinels.values(), ...m.replicas.values()]) {
    if (i === m && m.coordinated) continue;
    sendHello(c, i, m);
  }
  if (coordinated) completeCoordinatedPromotion(c, m, r);
}

function reconfNextSlave(c: CoreContext, m: MasterState): void {
  const promoted = m.promoted;
  if (!promoted) return;
  let inProgress = 0;
  for (const r of m.replicas.values()) if (r.reconf === 'sent' || r.reconf === 'inprog') inProgress++;
  // Under the wiped-primary guard every replica is repointed at once: waiting is being wiped.
  const parallel = m.guard ? Number.POSITIVE_INFINITY : m.parallelSyncs;
  for (const r of m.replicas.values()) {
    if (inProgress >= parallel) break;
    if (r.promoted || r.reconf === 'done') continue;
    if (r.reconf === 'sent' && c.now - r.reconfSentTime > c.timing.slaveReconfTimeout) {
      c.event('notice', '-slave-reconf-sent-timeout', r, '');
      r.reconf = 'done';
    }
    if (r.reconf === 'sent' || r.reconf === 'inprog' || r.reconf === 'done') continue;
    if (linkDisconnected(r.link, true)) continue;
    if (sendReplicaOf(c, r, m, promoted.addr)) {
      r.reconf = 'sent';
      r.reconfSentTime = c.now;
      c.event('notice', '+slave-reconf-sent', r, '');
      inProgress++;
    }
  }
  detectEnd(c, m);
}

function detectEnd(c: CoreContext, m: MasterState): void {
  const promoted = m.promoted;
  if (!promoted || promoted.sDown) return;
  let notReconfigured = 0;
  for (const r of m.replicas.values()) {
    if (r.promoted || r.reconf === 'done') continue;
    if (r.sDown) continue;
    notReconfigured++;
  }
  let timeout = false;
  if (c.now - m.failoverStateChangeTime > m.failoverTimeoutMs) {
    notReconfigured = 0;
    timeout = true;
    c.event('warning', '+failover-end-for-timeout', m, '');
  }
  if (notReconfigured === 0) {
    c.event('warning', '+failover-end', m, '');
    m.failoverState = 'update_config';
    m.failoverStateChangeTime = c.now;
  }
  if (timeout) {
    for (const r of m.replicas.values()) {
      if (r.promoted || r.reconf === 'done' || r.reconf === 'sent') continue;
      if (linkDisconnected(r.link, true)) continue;
      if (sendReplicaOf(c, r, m, promoted.addr)) {
        c.event('notice', '+slave-reconf-sent-be', r, '');
        r.reconf = 'sent';
      }
    }
  }
}

export function abortFailover(c: CoreContext, m: MasterState): void {
  finishJournal(c, m, 'aborted');
  m.guardReason = undefined;
  m.coordinated = undefined;
  m.guard = false;
  m.guardFork = undefined;
  m.failoverState = 'none';
  m.forceFailover = false;
  m.failoverStateChangeTime = c.now;
  if (m.promoted) {
    m.promoted.promoted = false;
    m.promoted = undefined;
  }
}

/** The failover ended: the promoted replica becomes the primary of this name. */
export function switchToPromoted(c: CoreContext, m: MasterState): void {
  const ref = m.promoted ?? m;
  c.event(
    'warning',
    '+switch-master',
    m,
    `${m.name} ${m.addr.host} ${m.addr.port} ${ref.addr.host} ${ref.addr.port}`,
    true,
  );
  // Only the monitor that led the failover takes care of the old primary at once (salvage,
  // then demotion); the others keep Sentinel's delayed +convert-to-slave, so they never race it.
  const p = m.promoted;
  const fork = m.guard
    ? m.guardFork
    : p?.masterReplId2 !== undefined && p.secondReplOffset !== undefined && p.secondReplOffset > 0
      ? { replId: p.masterReplId2, offset: p.secondReplOffset }
      : undefined;
  const replaced = m.guard ? m.guardFork?.replId : m.replId;
  // After a coordinated handover the old primary already replicates from the new one.
  const leader = m.coordinated === undefined;
  const wiped = m.guard;
  finishJournal(c, m, 'done');
  m.guardReason = undefined;
  m.guard = false;
  m.guardFork = undefined;
  m.coordinated = undefined;
  resetMasterAndChangeAddress(c, m, ref.addr, { leader, fork, replaced, wiped });
}
