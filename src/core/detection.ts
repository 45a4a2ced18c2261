/**
 * Failure detection: TILT (the monitor's own clock jumped, so its timers cannot be trusted),
 * SDOWN (this monitor sees an instance down) and ODOWN (enough monitors agree on a primary).
 */
import type { CoreContext } from './context.js';
import type { AnyInstance } from './events.js';
import { failoverStartDelay } from './failover.js';
import { linkDisconnected, type MasterState } from './instance.js';
import { closeLink } from './links.js';
import { sendInfo } from './periodic.js';
import { objectivelyDown } from './quorum.js';

export function checkTilt(c: CoreContext): void {
  const delta = c.now - c.previousTime;
  if (delta < 0 || delta > c.timing.tiltTrigger) {
    c.tilt = true;
    c.tiltStartTime = c.now;
    c.event('warning', '+tilt', undefined, '#tilt mode entered');
  }
  c.previousTime = c.now;
}

/** TILT ends after a quiet tilt period; until then the monitor watches but does not act. */
export function stillInTilt(c: CoreContext): boolean {
  if (!c.tilt) return false;
  if (c.now - c.tiltStartTime < c.timing.tiltPeriod) return true;
  c.tilt = false;
  c.event('warning', '-tilt', undefined, '#tilt mode exited');
  return false;
}

export function checkSubjectivelyDown(c: CoreContext, i: AnyInstance): void {
  const l = i.link;
  let elapsed = 0;
  if (l.actPingTime) elapsed = c.now - l.actPingTime;
  else if (linkDisconnected(l, i.kind !== 'sentinel')) elapsed = c.now - l.lastAvailTime;

  // A connection that stopped answering is replaced, in case it is the connection that is stuck.
  if (
    l.cc &&
    c.now - l.ccConnTime > c.timing.minLinkReconnectPeriod &&
    l.actPingTime !== 0 &&
    c.now - l.actPingTime > i.downAfterMs / 2 &&
    c.now - l.lastPongTime > i.downAfterMs / 2
  ) {
    closeLink(c, l, 'cc');
  }
  if (
    l.pc &&
    c.now - l.pcConnTime > c.timing.minLinkReconnectPeriod &&
    c.now - l.pcLastActivity > c.timing.publishPeriod * 3
  ) {
    closeLink(c, l, 'pc');
  }

  const roleMismatch =
    i.kind === 'master' &&
    i.roleReported === 'slave' &&
    c.now - i.roleReportedTime > i.downAfterMs + c.timing.infoPeriod * 2;
  const rebootDown =
    i.kind === 'master' && i.masterReboot && c.now - i.masterRebootSince > i.masterRebootDownAfterMs;
  if (elapsed > i.downAfterMs || roleMismatch || rebootDown) {
    if (!i.sDown) {
      c.event('warning', '+sdown', i, '');
      i.sDownSince = c.now;
      i.sDown = true;
      if (i.kind === 'master') for (const r of i.replicas.values()) sendInfo(c, r, i);
    }
  } else if (i.sDown) {
    c.event('warning', '-sdown', i, '');
    i.sDown = false;
    if (i.kind !== 'sentinel') i.scriptKillSent = false;
  }
}

export function checkObjectivelyDown(c: CoreContext, m: MasterState): void {
  let agreeing = 0;
  let odown = false;
  if (m.sDown) {
    agreeing = 1;
    for (const s of m.sentinels.values()) if (s.masterDown) agreeing++;
    odown = objectivelyDown(agreeing, m.quorum);
  }
  if (odown) {
    if (!m.oDown) {
      c.event('warning', '+odown', m, ` #quorum ${agreeing}/${m.quorum}`);
      m.oDown = true;
      m.oDownSince = c.now;
      m.startDelay = failoverStartDelay(c, m);
    }
  } else if (m.oDown) {
    c.event('warning', '-odown', m, '');
    m.oDown = false;
  }
}
