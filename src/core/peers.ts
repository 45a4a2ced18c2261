/**
 * Peer monitors, learned from hello messages: who they are, where they are, the epochs they
 * report, and the newer configurations they announce (which this monitor adopts).
 */
import type { CoreContext } from './context.js';
import { parseHello } from './hello.js';
import { finishJournal, noteObservedSwitch } from './history.js';
import {
  currentMasterAddr,
  newLink,
  newPeer,
  type Link,
  type MasterState,
  type PeerState,
} from './instance.js';
import { reconnect, releasePeerLink } from './links.js';
import { resetMasterAndChangeAddress } from './reset.js';
import { addrEqual, addrKey, type Addr } from './types.js';

/** A hello payload received on a data node's pub/sub channel or by PUBLISH to this monitor. */
export function hello(c: CoreContext, payload: string): void {
  if (payload.includes(c.myid)) return;
  const h = parseHello(payload);
  if (!h) return;
  const m = c.masters.get(h.masterName);
  if (!m) return;
  const addr = { host: h.ip, port: h.port };
  let si = [...m.sentinels.values()].find((s) => s.runId === h.runId && addrEqual(s.addr, addr));
  if (!si) {
    const removed = removePeerByRunId(c, m, h.runId);
    if (removed) {
      c.event('notice', '+sentinel-address-switch', m, ` ip ${h.ip} port ${h.port} for ${h.runId}`);
    } else {
      const other = [...m.sentinels.values()].find((s) => addrEqual(s.addr, addr));
      if (other) {
        c.event('notice', '+sentinel-invalid-addr', other, '');
        for (const mm of c.masters.values()) removePeerByRunId(c, mm, other.runId);
      }
    }
    si = addPeer(c, m, addr, h.runId);
    if (!removed) c.event('notice', '+sentinel', si, '');
    c.flushConfig();
    // Link up at once rather than at the next timer run: votes may be needed any moment.
    reconnect(c, si, m);
  }
  if (h.currentEpoch > c.currentEpoch) {
    c.currentEpoch = h.currentEpoch;
    c.flushConfig();
    c.event('warning', '+new-epoch', m, `${c.currentEpoch}`, true);
  }
  if (m.configEpoch < h.masterConfigEpoch) {
    m.configEpoch = h.masterConfigEpoch;
    // Compare with where clients are sent now: mid-failover that is our promoted replica, and
    // a newer configuration naming the old address must still win (and end our failover).
    const cur = currentMasterAddr(m);
    const differs = h.masterPort !== cur.port || h.masterIp.toLowerCase() !== cur.host.toLowerCase();
    if (differs) {
      c.event('warning', '+config-update-from', si, '');
      c.event(
        'warning',
        '+switch-master',
        m,
        `${m.name} ${cur.host} ${cur.port} ${h.masterIp} ${h.masterPort}`,
        true,
      );
      const old = cur;
      // Our own failover, if one runs, is superseded.
      finishJournal(c, m, 'aborted', `superseded by a newer configuration (epoch ${h.masterConfigEpoch})`);
      noteObservedSwitch(c, m, addrKey(cur), addrKey({ host: h.masterIp, port: h.masterPort }), si.runId);
      resetMasterAndChangeAddress(
        c,
        m,
        { host: h.masterIp, port: h.masterPort },
        {
          leader: false,
          fork: undefined,
          announcer: si.runId,
        },
      );
      c.clientReconfScript(m, 'observer', old, m.addr);
    }
  }
  si.lastHelloTime = c.now;
}

export function addPeer(c: CoreContext, m: MasterState, addr: Addr, runId: string): PeerState {
  // Links to the same peer monitor are shared across primaries.
  let link: Link | undefined;
  for (const mm of c.masters.values()) {
    const p = mm.sentinels.get(runId);
    if (p && mm !== m) {
      link = p.link;
      break;
    }
  }
  if (link) link.refcount++;
  else link = newLink(`sentinel:${runId}`, c.now);
  const p = newPeer(m, addr, runId, link, c.now);
  m.sentinels.set(runId, p);
  return p;
}

function removePeerByRunId(c: CoreContext, m: MasterState, runId: string): number {
  const p = m.sentinels.get(runId);
  if (!p) return 0;
  m.sentinels.delete(runId);
  releasePeerLink(c, p.link);
  return 1;
}
