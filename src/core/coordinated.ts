/**
 * The coordinated switchover (SENTINEL FAILOVER <name> COORDINATED): a planned handover that
 * loses no acknowledged write. Unlike a plain SENTINEL FAILOVER it wins an election first (no
 * other monitor can race it), then pauses writes on the primary and hands over with Redis's
 * FAILOVER command, so the target has every acknowledged write before it takes over.
 */
import {
  COORDINATED_MAX_TIMEOUT,
  COORDINATED_MIN_TIMEOUT,
  COORDINATED_POLL_PERIOD,
  HANDOVER_HZ,
} from './constants.js';
import type { CoreContext } from './context.js';
import { sendReplicaOf } from './demotion.js';
import { abortFailover, failoverStep, startFailover, switchToPromoted } from './failover.js';
import { parseInfo } from './info.js';
import {
  failoverInProgress,
  linkDisconnected,
  type Link,
  type MasterState,
  type ReplicaState,
} from './instance.js';
import { sendInfo } from './periodic.js';
import { candidates } from './select-replica.js';
import { addrEqual, type Addr, type CoreReply } from './types.js';
import { askOthers } from './votes.js';

export type CoordinatedResult =
  { ok: true; target: string; timeoutMs: number } | { ok: false; error: string };

export function startCoordinated(
  c: CoreContext,
  m: MasterState,
  opts: { to?: Addr | undefined; timeoutMs?: number | undefined; fallback?: boolean },
): CoordinatedResult {
  if (failoverInProgress(m)) return { ok: false, error: 'INPROG Failover already in progress' };
  if (m.sDown)
    return {
      ok: false,
      error: `ERR the primary of ${m.name} is down: a coordinated switchover needs it; use SENTINEL FAILOVER ${m.name}`,
    };
  const list = candidates(m, c.timing, c.now);
  let target: ReplicaState | undefined;
  if (opts.to) {
    const to = opts.to;
    const x = list.find((y) => addrEqual(y.replica.addr, to));
    if (!x) return { ok: false, error: `ERR ${to.host}:${to.port} is not a known replica of ${m.name}` };
    if (!x.eligible)
      return { ok: false, error: `NOGOODSLAVE ${x.replica.name} cannot take over: it ${x.reason}` };
    target = x.replica;
  } else {
    target = list.find((y) => y.rank === 1)?.replica;
    if (!target) {
      const why = list.map((y) => `${y.replica.name} ${y.reason}`).join('; ');
      return { ok: false, error: `NOGOODSLAVE No suitable replica to promote${why ? `: ${why}` : ''}` };
    }
  }
  const timeoutMs =
    opts.timeoutMs ??
    Math.min(COORDINATED_MAX_TIMEOUT, Math.max(COORDINATED_MIN_TIMEOUT, Math.floor(m.downAfterMs / 2)));
  c.log('warning', `Executing user requested COORDINATED FAILOVER of '${m.name}' to ${target.name}`);
  m.coordinated = {
    to: target.addr,
    timeoutMs,
    pausedAt: 0,
    pausedOffset: -1,
    handedOver: false,
    configuredHz: undefined,
    hzRaisedAt: 0,
    adopted: false,
    lastPoll: 0,
    fallback: opts.fallback === true,
  };
  // Redis refreshes its clock only in its cron (10 Hz by default), which delays FAILOVER's
  // own timeout by up to 100 ms: the primary runs at hz 100 for the switchover, set now so
  // the faster cron is in effect by the time writes are paused. Restored at the end.
  c.send(
    m.link,
    [
      [c.cmd(m, 'MULTI')],
      [c.cmd(m, 'CONFIG'), 'GET', 'hz'],
      [c.cmd(m, 'CONFIG'), 'SET', 'hz', String(HANDOVER_HZ)],
      [c.cmd(m, 'EXEC')],
    ],
    { t: 'coordinated-hz', master: m.name },
  );
  startFailover(c, m);
  askOthers(c, m, true);
  failoverStep(c, m);
  return { ok: true, target: target.name, timeoutMs };
}

/** The reply to the CONFIG GET/SET hz transaction: the primary's own hz, restored at the end. */
export function onCoordinatedHz(c: CoreContext, m: MasterState, r: CoreReply): void {
  const co = m.coordinated;
  if (!co) return;
  const get = r.t === 'array' ? r.v[0] : undefined;
  const hz = get?.t === 'array' && get.v[1]?.t === 'string' ? Number(get.v[1].v) : NaN;
  co.configuredHz = Number.isFinite(hz) && hz > 0 ? hz : undefined;
  co.hzRaisedAt = c.now;
}

/** In wait_promotion: abort when the target is lost or late, else keep polling it. */
export function coordinatedWaitPromotion(c: CoreContext, m: MasterState): void {
  const co = m.coordinated;
  if (!co) return;
  const target = m.promoted;
  if (target?.sDown) return abortCoordinated(c, m, `the target ${target.name} went down`);
  if (c.now - co.pausedAt > co.timeoutMs + COORDINATED_MIN_TIMEOUT) {
    if (co.fallback && co.pausedOffset < 0 && target) return fallBackToForced(c, m, target);
    return abortCoordinated(c, m, `the target did not take over within ${co.timeoutMs} ms (not caught up?)`);
  }
  if (target && c.now - co.lastPoll >= COORDINATED_POLL_PERIOD && target.link.pendingCommands === 0) {
    co.lastPoll = c.now;
    sendInfo(c, target, m);
  }
}

/**
 * First half of the handover: MULTI; CLIENT PAUSE <t> WRITE; INFO replication; EXEC. Writes
 * stop, and the reply tells the offset every acknowledged write lies within.
 */
export function sendCoordinatedHandover(c: CoreContext, m: MasterState, r: ReplicaState): boolean {
  const co = m.coordinated;
  if (co?.adopted) {
    co.pausedAt = c.now;
    co.pausedOffset = 0;
    co.handedOver = true;
    return true;
  }
  if (!co || linkDisconnected(m.link, false)) return false;
  // Pause only once the primary's faster cron is in effect (one old cron period after the
  // CONFIG SET), unless that confirmation is long overdue.
  const oldPeriod = 1000 / (co.configuredHz ?? 10);
  const waited = c.now - m.failoverStateChangeTime;
  if ((co.hzRaisedAt === 0 || c.now - co.hzRaisedAt < oldPeriod + 5) && waited < co.timeoutMs) return false;
  const t = String(co.timeoutMs);
  const ok = c.send(
    m.link,
    [
      [c.cmd(m, 'MULTI')],
      [c.cmd(m, 'CLIENT'), 'PAUSE', t, 'WRITE'],
      [c.cmd(m, 'INFO'), 'replication'],
      [c.cmd(m, 'EXEC')],
    ],
    { t: 'coordinated-pause', master: m.name },
  );
  if (ok) {
    co.pausedAt = c.now;
    c.event('warning', '+coordinated-handover', r, ` writes paused on the primary for at most ${t} ms`);
  }
  return ok;
}

export function onCoordinatedPaused(c: CoreContext, m: MasterState, r: CoreReply): void {
  const co = m.coordinated;
  if (!co || r.t !== 'array') return;
  const info = r.v[1];
  if (info?.t !== 'string') return;
  co.pausedOffset = parseInfo(info.v).masterReplOffset ?? -1;
  coordinatedProgress(c, m);
}

/**
 * Second half: once the target has processed everything up to the paused offset, FAILOVER TO
 * it with FORCE. Redis's FAILOVER waits for the replica's next once-a-second ACK to learn
 * what we already know from its INFO; FORCE (after 1 ms) skips that wait, safely, because
 * the target has been seen to hold every write. FAILOVER then completes the switch on the
 * nodes themselves, even if this monitor dies now.
 */
export function coordinatedProgress(c: CoreContext, m: MasterState): void {
  const co = m.coordinated;
  const r = m.promoted;
  if (!co || !r || co.handedOver || co.pausedOffset < 0) return;
  if (r.replOffset < co.pausedOffset) return;
  co.handedOver = true;
  c.send(m.link, [[c.cmd(m, 'FAILOVER'), 'TO', r.addr.host, String(r.addr.port), 'TIMEOUT', '1', 'FORCE']], {
    t: 'discard',
    link: m.link.id,
  });
}

function restoreHz(c: CoreContext, m: MasterState): string[][] {
  const hz = m.coordinated?.configuredHz;
  return hz === undefined ? [] : [[c.cmd(m, 'CONFIG'), 'SET', 'hz', String(hz)]];
}

/** At the switch: disconnect the clients of both nodes, so they ask a monitor again, and unpause. */
export function finishCoordinated(c: CoreContext, m: MasterState, promoted: ReplicaState): void {
  const restore = restoreHz(c, m);
  const batch = (link: Link, first: string[][]) =>
    c.send(
      link,
      [
        [c.cmd(m, 'MULTI')],
        ...first,
        [c.cmd(m, 'CONFIG'), 'REWRITE'],
        [c.cmd(m, 'CLIENT'), 'KILL', 'TYPE', 'normal'],
        [c.cmd(m, 'CLIENT'), 'KILL', 'TYPE', 'pubsub'],
        [c.cmd(m, 'CLIENT'), 'UNPAUSE'],
        [c.cmd(m, 'EXEC')],
      ],
      { t: 'discard', link: link.id },
    );
  batch(m.link, restore);
  batch(promoted.link, []);
}

/**
 * The old primary already replicates from the new one (FAILOVER did it): repoint every other
 * replica now and announce the new configuration at once, so clients that ask this monitor
 * (SENTINEL MASTERS included) are sent to the new primary without delay.
 */
export function completeCoordinatedPromotion(c: CoreContext, m: MasterState, r: ReplicaState): void {
  for (const x of m.replicas.values()) {
    if (x === r || linkDisconnected(x.link, true)) continue;
    if (sendReplicaOf(c, x, m, r.addr)) {
      x.reconf = 'sent';
      x.reconfSentTime = c.now;
      c.event('notice', '+slave-reconf-sent', x, '');
    }
  }
  c.event('warning', '+failover-end', m, '');
  m.failoverState = 'update_config';
  m.failoverStateChangeTime = c.now;
  switchToPromoted(c, m);
}

/**
 * The primary now replicates from one of its replicas, which reports itself a primary holding
 * the old primary's history: a coordinated handover completed on the nodes (FAILOVER does
 * that by itself) but the monitor that led it died before updating the configuration. Finish
 * it from what the nodes show: elect a leader for a new epoch, keep that replica, disconnect
 * the clients still on the old primary, and announce the new configuration.
 */
export function adoptCompletedHandover(c: CoreContext, m: MasterState): void {
  if (c.tilt || failoverInProgress(m) || m.roleReported !== 'slave' || !m.reportedReplicaOf) return;
  const to = m.reportedReplicaOf;
  const x = [...m.replicas.values()].find((r) => addrEqual(r.addr, to));
  if (!x || x.roleReported !== 'master' || x.sDown) return;
  const continues = m.replId !== undefined && (x.masterReplId2 === m.replId || x.masterReplId === m.replId);
  if (!continues) return;
  c.event(
    'warning',
    '+failover-adopted',
    x,
    ` took over from the primary without a configuration update; completing it`,
  );
  m.coordinated = {
    to: x.addr,
    timeoutMs: COORDINATED_MAX_TIMEOUT,
    pausedAt: 0,
    pausedOffset: -1,
    handedOver: false,
    configuredHz: undefined,
    hzRaisedAt: c.now,
    adopted: true,
    lastPoll: 0,
    fallback: false,
  };
  startFailover(c, m);
  askOthers(c, m, true);
  failoverStep(c, m);
}

/**
 * A plain SENTINEL FAILOVER found a primary that does not answer (it froze after the request):
 * nothing was paused, so there is no handover to make; promote the target the forced way, as
 * Sentinel does for a primary that is gone.
 */
function fallBackToForced(c: CoreContext, m: MasterState, target: ReplicaState): void {
  c.event(
    'warning',
    '+failover-forced',
    m,
    ` the primary did not answer the pause within ${m.coordinated?.timeoutMs ?? 0} ms: promoting ${target.name} without a handover`,
  );
  m.coordinated = undefined;
  m.forceFailover = true;
  m.failoverState = 'send_slaveof_noone';
  m.failoverStateChangeTime = c.now;
  failoverStep(c, m);
}

/** The handover did not happen: cancel it and let the primary take writes again. */
function abortCoordinated(c: CoreContext, m: MasterState, reason: string): void {
  c.send(
    m.link,
    [
      [c.cmd(m, 'FAILOVER'), 'ABORT'],
      [c.cmd(m, 'CLIENT'), 'UNPAUSE'],
    ],
    { t: 'discard', link: m.link.id },
  );
  c.event(
    'warning',
    '-failover-abort-coordinated',
    m,
    ` ${reason}; the primary stays and takes writes again`,
  );
  abortFailover(c, m);
}
