/**
 * The monitor's cycle: every tick each instance is reconnected, pinged and checked, and each
 * primary gets its acting half (guard, ODOWN, failover start, the failover's next steps), which
 * also runs as soon as a reply can change the outcome rather than at the next tick.
 */
import { COORDINATED_POLL_PERIOD } from './constants.js';
import type { CoreContext } from './context.js';
import { checkObjectivelyDown, checkSubjectivelyDown, checkTilt, stillInTilt } from './detection.js';
import type { AnyInstance } from './events.js';
import { failoverStep, startFailoverIfNeeded, switchToPromoted } from './failover.js';
import { checkFence } from './fence.js';
import { maybeStartGuard, settleRebootCheck } from './guard.js';
import { checkPause } from './pause.js';
import type { MasterState } from './instance.js';
import { reconnect } from './links.js';
import { sendPeriodic } from './periodic.js';
import { askOthers } from './votes.js';

export function tick(c: CoreContext): void {
  checkTilt(c);
  let switchTo: MasterState | undefined;
  for (const m of c.masters.values()) {
    handleInstance(c, m, m);
    for (const r of m.replicas.values()) handleInstance(c, r, m);
    for (const s of m.sentinels.values()) handleInstance(c, s, m);
    if (m.failoverState === 'update_config') switchTo = m;
  }
  if (switchTo) switchToPromoted(c, switchTo);
}

function handleInstance(c: CoreContext, i: AnyInstance, master: MasterState): void {
  reconnect(c, i, master);
  sendPeriodic(c, i, master);
  if (stillInTilt(c)) return;
  checkSubjectivelyDown(c, i);
  if (i.kind === 'replica') checkFence(c, i, master);
  if (i.kind === 'master') {
    checkPause(c, i);
    settleRebootCheck(c, i);
    maybeStartGuard(c, i);
    checkObjectivelyDown(c, i);
    if (startFailoverIfNeeded(c, i)) askOthers(c, i, true);
    failoverStep(c, i);
    askOthers(c, i, false);
  }
}

/**
 * The acting half for one primary, run again as soon as a reply can change the outcome (a
 * vote, a peer's down report, a promoted replica's INFO) instead of at the next timer run.
 */
export function actOnMaster(c: CoreContext, m: MasterState): void {
  if (c.tilt || !c.masters.has(m.name)) return;
  maybeStartGuard(c, m);
  checkObjectivelyDown(c, m);
  if (startFailoverIfNeeded(c, m)) askOthers(c, m, true);
  failoverStep(c, m);
}

/**
 * How long the shell may wait before the next tick: Sentinel's jittered 10-20 Hz, or less when
 * an instance reaches its down-after deadline sooner, so SDOWN is declared on time rather than
 * up to a timer period late.
 */
export function nextTickDelay(c: CoreContext): number {
  let delay = Math.floor(1000 / (10 + Math.floor(c.rand() * 10)));
  for (const m of c.masters.values()) {
    for (const i of [m, ...m.replicas.values(), ...m.sentinels.values()]) {
      if (i.sDown || i.link.actPingTime === 0) continue;
      const due = i.link.actPingTime + i.downAfterMs + 1 - c.now;
      if (due >= 0 && due < delay) delay = due;
    }
    if (m.coordinated && m.failoverState === 'wait_promotion')
      delay = Math.min(delay, COORDINATED_POLL_PERIOD);
    if (m.oDown && m.failoverState === 'none') {
      const start = m.oDownSince + m.startDelay - c.now;
      if (start >= 0 && start < delay) delay = start;
    }
  }
  return Math.max(1, delay);
}
