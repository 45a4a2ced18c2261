/**
 * Links to the monitored nodes and peer monitors: when to (re)connect, what a broken connection
 * means for the liveness clocks, and closing them.
 */
import { PRIMARY_RECONNECT_PERIOD } from './constants.js';
import type { CoreContext, PeerAuth } from './context.js';
import { fenceOnConnect } from './fence.js';
import type { AnyInstance } from './events.js';
import { linkDisconnected, type Link, type MasterState } from './instance.js';
import { sendInfo, sendPing } from './periodic.js';
import { probePeer } from './votes.js';

function linkAuth(c: CoreContext, i: AnyInstance, master: MasterState): PeerAuth {
  if (i.kind === 'sentinel') return c.peerAuth;
  return { user: master.authUser, pass: master.authPass };
}

export function reconnect(c: CoreContext, i: AnyInstance, master: MasterState): void {
  const l = i.link;
  const wantsPubsub = i.kind !== 'sentinel';
  if (!linkDisconnected(l, wantsPubsub)) return;
  if (i.addr.port === 0) return;
  const period =
    i.kind === 'master' ? Math.min(PRIMARY_RECONNECT_PERIOD, c.timing.pingPeriod) : c.timing.pingPeriod;
  if (c.now - l.lastReconnTime < period) return;
  l.lastReconnTime = c.now;
  const needCc = !l.cc;
  const needPc = wantsPubsub && !l.pc;
  c.out.push({
    kind: 'connect',
    link: l.id,
    addr: i.addr,
    pubsub: needPc,
    cc: needCc,
    auth: linkAuth(c, i, master),
    clientNamePrefix: `sentinel-${c.myid.slice(0, 8)}`,
    renamed: i.kind === 'sentinel' ? new Map<string, string>() : master.renamedCommands,
  });
  if (needCc) {
    l.cc = true;
    l.pendingCommands = 0;
    l.ccConnTime = c.now;
    sendPing(c, i);
    // A node that comes back may have restarted: learn its run id and history at once.
    if (i.kind !== 'sentinel') sendInfo(c, i, master);
    // A peer: learn whether it is a Vigil monitor (see fence.ts), once.
    if (i.kind === 'sentinel' && i.vigil === undefined) probePeer(c, master, i);
    if (i.kind === 'replica') fenceOnConnect(c, i, master);
  }
  if (needPc) {
    l.pc = true;
    l.pcConnTime = c.now;
  }
}

/** A connection failed or closed. */
export function linkDown(c: CoreContext, linkId: string, which: 'cc' | 'pc'): void {
  for (const l of linksById(c, linkId)) {
    if (which === 'cc') {
      l.cc = false;
      l.pendingCommands = 0;
      // Unreachable since the connection broke, not since the next reconnect's PING.
      if (l.actPingTime === 0) l.actPingTime = c.now;
    } else {
      l.pc = false;
    }
  }
  // A node that closed our connection (CLIENT KILL at a switch) is usually alive: reconnect
  // now rather than at the next timer run; reconnect() keeps its own rate limit.
  for (const m of c.masters.values()) {
    for (const i of [m, ...m.replicas.values()]) if (i.link.id === linkId) reconnect(c, i, m);
  }
}

export function linksById(c: CoreContext, id: string): Link[] {
  const found: Link[] = [];
  for (const m of c.masters.values()) {
    if (m.link.id === id) found.push(m.link);
    for (const r of m.replicas.values()) if (r.link.id === id) found.push(r.link);
    for (const s of m.sentinels.values()) if (s.link.id === id && !found.includes(s.link)) found.push(s.link);
  }
  return found;
}

/** A reply (or a failure) closes `batch` commands in flight on a link. */
export function settle(l: Link, batch: number): void {
  l.pendingCommands = Math.max(0, l.pendingCommands - batch);
}

export function closeLink(c: CoreContext, l: Link, which: 'cc' | 'pc' | 'both'): void {
  if (which !== 'pc' && l.cc) {
    l.cc = false;
    l.pendingCommands = 0;
  }
  if (which !== 'cc') l.pc = false;
  c.out.push({ kind: 'close', link: l.id, which });
}

/** Peer links are shared by every primary the peer monitors too: closed with the last user. */
export function releasePeerLink(c: CoreContext, l: Link): void {
  l.refcount--;
  if (l.refcount <= 0) closeLink(c, l, 'both');
}

export function closeInstanceLinks(c: CoreContext, m: MasterState): void {
  closeLink(c, m.link, 'both');
  for (const r of m.replicas.values()) closeLink(c, r.link, 'both');
  for (const s of m.sentinels.values()) releasePeerLink(c, s.link);
}
