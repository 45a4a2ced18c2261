/** Replies to what the core sent, routed by the tag it sent them with. */
import type { CoreContext } from './context.js';
import { coordinatedProgress, onCoordinatedHz, onCoordinatedPaused } from './coordinated.js';
import { actOnMaster } from './cycle.js';
import { refreshInfo } from './info-refresh.js';
import type { Link } from './instance.js';
import { linksById, settle } from './links.js';
import { addrKey, type CoreReply, type ReplyTag } from './types.js';
import { onIsMasterDownReply } from './votes.js';

/** A reply arrived for a command sent with `tag`; `batch` is how many commands it closes. */
export function onReply(c: CoreContext, tag: ReplyTag, r: CoreReply, batch: number): void {
  if (r.t === 'none') return;
  switch (tag.t) {
    case 'ping': {
      const links = linksById(c, tag.link);
      for (const l of links) settle(l, batch);
      onPingReply(c, tag.link, links, r);
      return;
    }
    case 'info': {
      const m = c.masters.get(tag.master);
      const i = tag.replica === undefined ? m : m?.replicas.get(tag.replica);
      if (!m || !i) return;
      settle(i.link, batch);
      // A reply still in flight when the primary changed address belongs to the old node.
      if (addrKey(i.addr) !== tag.addr) return;
      if (r.t === 'string') refreshInfo(c, i, m, r.v);
      if (m.coordinated && i === m.promoted) coordinatedProgress(c, m);
      actOnMaster(c, m);
      return;
    }
    case 'publish': {
      const m = c.masters.get(tag.master);
      if (!m) return;
      const i =
        tag.replica !== undefined
          ? m.replicas.get(tag.replica)
          : tag.sentinel !== undefined
            ? m.sentinels.get(tag.sentinel)
            : m;
      if (!i) return;
      settle(i.link, batch);
      if (r.t !== 'error') i.lastPubTime = c.now;
      return;
    }
    case 'coordinated-hz': {
      const m = c.masters.get(tag.master);
      if (!m?.coordinated) return;
      settle(m.link, batch);
      onCoordinatedHz(c, m, r);
      actOnMaster(c, m);
      return;
    }
    case 'coordinated-pause': {
      const m = c.masters.get(tag.master);
      if (!m) return;
      settle(m.link, batch);
      onCoordinatedPaused(c, m, r);
      return;
    }
    case 'is-master-down': {
      const m = c.masters.get(tag.master);
      const s = m?.sentinels.get(tag.sentinel);
      if (!m || !s) return;
      settle(s.link, batch);
      onIsMasterDownReply(c, m, s, r, tag.switchover === true);
      actOnMaster(c, m);
      return;
    }
    case 'discard': {
      for (const l of linksById(c, tag.link)) settle(l, batch);
      return;
    }
    case 'demote': {
      const m = c.masters.get(tag.master);
      const i = m?.replicas.get(tag.replica);
      if (!m || !i) return;
      settle(i.link, batch);
      if (r.t !== 'error') c.event('notice', '+convert-to-slave', i, '');
      return;
    }
  }
}

function onPingReply(c: CoreContext, linkId: string, links: Link[], r: CoreReply): void {
  // Status replies arrive as 'status' or, from clients that do not tell them apart, 'string'.
  if (r.t !== 'status' && r.t !== 'error' && r.t !== 'string') {
    for (const l of links) l.lastPongTime = c.now;
    return;
  }
  const v = r.v;
  const valid = v.startsWith('PONG') || v.startsWith('LOADING') || v.startsWith('MASTERDOWN');
  for (const l of links) {
    if (valid) {
      l.lastAvailTime = c.now;
      l.actPingTime = 0;
    }
    l.lastPongTime = c.now;
  }
  for (const m of c.masters.values()) {
    for (const i of [m, ...m.replicas.values()]) {
      if (i.link.id !== linkId) continue;
      if (valid && i.kind === 'master' && i.masterReboot && v.startsWith('PONG')) i.masterReboot = false;
      if (!valid && v.startsWith('BUSY') && i.sDown && !i.scriptKillSent) {
        c.send(i.link, [[c.cmd(m, 'SCRIPT'), 'KILL']], { t: 'discard', link: i.link.id });
        i.scriptKillSent = true;
      }
    }
  }
}
