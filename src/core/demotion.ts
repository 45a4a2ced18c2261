/**
 * Turning a node into a replica: the SLAVEOF transaction every reconfiguration uses, and the
 * demotion of a replaced primary, whose writes after the fork are salvaged first.
 */
import type { CoreContext } from './context.js';
import type { MasterState, ReplicaState } from './instance.js';
import { sendInfo, type DataInstance } from './periodic.js';
import type { Addr, ReplyTag } from './types.js';

/**
 * SLAVEOF in a transaction that also rewrites the node's config and disconnects its clients,
 * so they ask a monitor where the primary is now. `to` undefined means SLAVEOF NO ONE.
 */
export function replicaOfCommands(
  c: CoreContext,
  m: MasterState,
  to: Addr | undefined,
  unpause = false,
): string[][] {
  const host = to ? to.host : 'NO';
  const port = to ? String(to.port) : 'ONE';
  return [
    [c.cmd(m, 'MULTI')],
    [c.cmd(m, 'SLAVEOF'), host, port],
    [c.cmd(m, 'CONFIG'), 'REWRITE'],
    [c.cmd(m, 'CLIENT'), 'KILL', 'TYPE', 'normal'],
    [c.cmd(m, 'CLIENT'), 'KILL', 'TYPE', 'pubsub'],
    // A fenced node's pause would block the hellos published through it as a replica.
    ...(unpause ? [[c.cmd(m, 'CLIENT'), 'UNPAUSE']] : []),
    [c.cmd(m, 'EXEC')],
  ];
}

export function sendReplicaOf(
  c: CoreContext,
  i: DataInstance,
  m: MasterState,
  to: Addr | undefined,
  tag: ReplyTag = { t: 'discard', link: i.link.id },
): boolean {
  const ok = c.send(i.link, replicaOfCommands(c, m, to), tag);
  // Learn the new role at once: a role believed stale for seconds would have us "fix" the
  // node back when someone else promotes it later (Sentinel waits for the next INFO).
  if (ok && to !== undefined) sendInfo(c, i, m);
  return ok;
}

/**
 * SLAVEOF the current primary; +convert-to-slave is published when the node answers. When the
 * node may hold writes from after the fork, they are salvaged first (see node/salvage.ts).
 */
export function demote(c: CoreContext, r: ReplicaState, m: MasterState): void {
  const tag: ReplyTag = { t: 'demote', master: m.name, replica: r.name };
  if (r.salvageRunning) return;
  // Any monitor may have paused a fenced node's writes; CLIENT UNPAUSE needs Redis 6.2.
  const unpause = r.fence !== undefined && supportsPause(r.info);
  if (r.salvageFrom) {
    r.salvageRunning = true;
    c.out.push({
      kind: 'salvage',
      master: m.name,
      replica: r.name,
      link: r.link.id,
      from: r.addr,
      to: m.addr,
      auth: { user: m.authUser, pass: m.authPass },
      replId: r.salvageFrom.replId,
      offset: r.salvageFrom.offset,
      copyKeys: r.fence?.wiped === true,
      tag,
    });
    return;
  }
  if (c.send(r.link, replicaOfCommands(c, m, m.addr, unpause), tag)) sendInfo(c, r, m);
}

/**
 * A running salvage reached the point where the node must stop taking writes (its stream
 * started, or its keys were copied): demote it now, unless the configuration it was salvaged for
 * is no longer the newest (a later failover may have promoted this very node). Returns whether
 * it was demoted; if not, the shell stops the salvage.
 */
export function salvageStreaming(c: CoreContext, master: string, replica: string): boolean {
  const m = c.masters.get(master);
  const r = m?.replicas.get(replica);
  if (!m || !r || !r.salvageRunning) return false;
  if (r.fence !== undefined && r.fence.configEpoch !== m.configEpoch) return false;
  const unpause = r.fence !== undefined && supportsPause(r.info);
  const tag: ReplyTag = { t: 'demote', master: m.name, replica: r.name };
  if (c.send(r.link, replicaOfCommands(c, m, m.addr, unpause), tag)) sendInfo(c, r, m);
  return true;
}

export interface SalvageOutcome {
  outcome: 'continued' | 'refused' | 'unreachable';
  replayed: number;
  failed: number;
  detail: string;
}

/** How a salvage the shell ran for a replaced primary ended. */
export function salvageDone(c: CoreContext, master: string, replica: string, res: SalvageOutcome): void {
  const m = c.masters.get(master);
  const r = m?.replicas.get(replica);
  if (!m || !r) return;
  r.salvageRunning = false;
  if (res.outcome === 'unreachable') return; // tried again when a link to it opens
  const from = r.salvageFrom;
  r.salvageFrom = undefined;
  if (res.outcome === 'continued') {
    c.event(
      res.failed > 0 ? 'warning' : 'notice',
      '+salvage',
      r,
      ` ${res.replayed} writes replayed on ${m.addr.host}:${m.addr.port}${res.failed ? `, ${res.failed} refused` : ''}`,
    );
  } else {
    c.event(
      'warning',
      '-salvage',
      r,
      ` cannot read its writes after ${from?.replId ?? '?'}:${from?.offset ?? '?'} (${res.detail}); it was demoted anyway`,
    );
  }
}

/** The primary as this monitor sees it now is one to point other nodes at. */
export function masterLooksSane(c: CoreContext, m: MasterState): boolean {
  return (
    m.roleReported === 'master' && !m.sDown && !m.oDown && c.now - m.infoRefresh < c.timing.infoPeriod * 2
  );
}

/** CLIENT PAUSE ... WRITE and CLIENT UNPAUSE exist from Redis 6.2 (Valkey has them all). */
export function supportsPause(info: string | undefined): boolean {
  const v = /(?:^|\n)redis_version:(\d+)\.(\d+)/.exec(info ?? '');
  if (!v) return true;
  const major = Number(v[1]);
  return major > 6 || (major === 6 && Number(v[2]) >= 2);
}
