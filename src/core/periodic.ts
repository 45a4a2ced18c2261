/** The commands a monitor sends on its own schedule: PING, INFO and hello messages. */
import { MAX_PENDING_COMMANDS, VIGIL_CHANNEL } from './constants.js';
import type { CoreContext } from './context.js';
import type { AnyInstance } from './events.js';
import { helloTail } from './hello.js';
import {
  currentMasterAddr,
  failoverInProgress,
  linkDisconnected,
  type MasterState,
  type ReplicaState,
} from './instance.js';
import { pauseMessage } from './pause.js';
import { addrKey, type ReplyTag } from './types.js';

export type DataInstance = MasterState | ReplicaState;

export function sendPing(c: CoreContext, i: AnyInstance): boolean {
  const master = c.masterOf(i);
  const ok = c.send(i.link, [[c.cmd(i.kind === 'sentinel' ? undefined : master, 'PING')]], {
    t: 'ping',
    link: i.link.id,
  });
  if (ok) {
    i.link.lastPingTime = c.now;
    if (i.link.actPingTime === 0) i.link.actPingTime = c.now;
  }
  return ok;
}

export function sendInfo(c: CoreContext, i: DataInstance, master: MasterState): void {
  c.send(i.link, [[c.cmd(master, 'INFO')]], {
    t: 'info',
    master: master.name,
    ...(i.kind === 'replica' ? { replica: i.name } : {}),
    addr: addrKey(i.addr),
  });
}

export function sendPeriodic(c: CoreContext, i: AnyInstance, master: MasterState): void {
  const l = i.link;
  if (linkDisconnected(l, i.kind !== 'sentinel')) return;
  if (l.pendingCommands >= MAX_PENDING_COMMANDS * l.refcount) return;
  let infoPeriod = c.timing.infoPeriod;
  if (i.kind === 'replica' && (master.oDown || failoverInProgress(master) || i.masterLinkDownTime !== 0)) {
    infoPeriod = 1000;
  }
  const pingPeriod = Math.min(i.downAfterMs, c.timing.pingPeriod);
  if (i.kind !== 'sentinel' && (i.infoRefresh === 0 || c.now - i.infoRefresh > infoPeriod)) {
    sendInfo(c, i, master);
  }
  if (c.now - l.lastPongTime > pingPeriod && c.now - l.lastPingTime > pingPeriod / 2) {
    sendPing(c, i);
  }
  // PUBLISH is a write: on a primary paused for a coordinated handover it would block this
  // link (and the PINGs behind it) until the pause ends.
  const paused = i.kind === 'master' && master.coordinated !== undefined && master.coordinated.pausedAt > 0;
  if (!paused && c.now - i.lastPubTime > c.timing.publishPeriod) {
    sendHello(c, i, master);
    if (i.kind !== 'sentinel') sendPauseGossip(c, i, master);
  }
}

/** A maintenance pause, told to the other Vigil monitors through the data nodes (see pause.ts). */
function sendPauseGossip(c: CoreContext, i: DataInstance, master: MasterState): void {
  const msg = pauseMessage(c, master);
  if (msg !== undefined)
    c.send(i.link, [[c.cmd(master, 'PUBLISH'), VIGIL_CHANNEL, msg]], { t: 'discard', link: i.link.id });
}

export function sendHello(c: CoreContext, i: AnyInstance, master: MasterState): void {
  if (linkDisconnected(i.link, i.kind !== 'sentinel')) return;
  const addr = currentMasterAddr(master);
  const tail = helloTail({
    runId: c.myid,
    currentEpoch: c.currentEpoch,
    masterName: master.name,
    masterIp: addr.host,
    masterPort: addr.port,
    masterConfigEpoch: master.configEpoch,
  });
  const port = c.announcePort || c.port;
  const tag: ReplyTag = {
    t: 'publish',
    master: master.name,
    ...(i.kind === 'replica' ? { replica: i.name } : {}),
    ...(i.kind === 'sentinel' ? { sentinel: i.name } : {}),
  };
  i.link.pendingCommands++;
  c.out.push({
    kind: 'hello',
    link: i.link.id,
    announceIp: c.announceIp,
    port,
    tail,
    publishCommand: c.cmd(i.kind === 'sentinel' ? undefined : master, 'PUBLISH'),
    tag,
  });
}

/** Force a hello to every instance of this primary at the next tick. */
export function forceHelloUpdate(c: CoreContext, m: MasterState): void {
  const back = c.timing.publishPeriod + 1;
  const bump = (i: { lastPubTime: number }) => {
    if (i.lastPubTime >= back) i.lastPubTime -= back;
  };
  bump(m);
  for (const s of m.sentinels.values()) bump(s);
  for (const r of m.replicas.values()) bump(r);
}
