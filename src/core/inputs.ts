/**
 * Changes to the core's picture that come from an operator rather than the network: SENTINEL
 * SET, the global announce and peer-credential settings, SENTINEL DEBUG. Each is a typed input
 * applied here, so the consequences (timers of every instance, links to reopen with new
 * credentials) are decided in one place.
 */
import type { Timing } from './constants.js';
import type { CoreContext, PeerAuth } from './context.js';
import type { MasterState } from './instance.js';
import { closeLink, reconnect } from './links.js';
import type { FailoverPolicy, ManualFailover } from './record.js';

/** One SENTINEL SET option, parsed and validated by the command. */
export type MasterChange =
  | { readonly option: 'down-after-milliseconds'; readonly value: number }
  | { readonly option: 'failover-timeout'; readonly value: number }
  | { readonly option: 'parallel-syncs'; readonly value: number }
  | { readonly option: 'quorum'; readonly value: number }
  | { readonly option: 'notification-script'; readonly value: string | undefined }
  | { readonly option: 'client-reconfig-script'; readonly value: string | undefined }
  | { readonly option: 'auth-pass'; readonly value: string | undefined }
  | { readonly option: 'auth-user'; readonly value: string | undefined }
  | { readonly option: 'rename-command'; readonly command: string; readonly renamed: string }
  | { readonly option: 'master-reboot-down-after-period'; readonly value: number }
  | { readonly option: 'failover-policy'; readonly value: FailoverPolicy }
  | { readonly option: 'manual-failover'; readonly value: ManualFailover }
  | { readonly option: 'max-lag-on-failover'; readonly value: number | undefined };

export function applyMasterChange(c: CoreContext, m: MasterState, change: MasterChange): void {
  switch (change.option) {
    case 'down-after-milliseconds':
      m.downAfterMs = change.value;
      for (const r of m.replicas.values()) r.downAfterMs = change.value;
      for (const s of m.sentinels.values()) s.downAfterMs = change.value;
      return;
    case 'failover-timeout':
      m.failoverTimeoutMs = change.value;
      return;
    case 'parallel-syncs':
      m.parallelSyncs = change.value;
      return;
    case 'quorum':
      m.quorum = change.value;
      return;
    case 'notification-script':
      m.notificationScript = change.value;
      return;
    case 'client-reconfig-script':
      m.clientReconfigScript = change.value;
      return;
    case 'auth-pass':
      m.authPass = change.value;
      reopenDataLinks(c, m);
      return;
    case 'auth-user':
      m.authUser = change.value;
      reopenDataLinks(c, m);
      return;
    case 'rename-command': {
      const from = change.command.toLowerCase();
      m.renamedCommands.delete(from);
      if (from !== change.renamed.toLowerCase()) m.renamedCommands.set(from, change.renamed);
      return;
    }
    case 'master-reboot-down-after-period':
      m.masterRebootDownAfterMs = change.value;
      return;
    case 'failover-policy':
      m.failoverPolicy = change.value;
      return;
    case 'manual-failover':
      m.manualFailover = change.value;
      return;
    case 'max-lag-on-failover':
      m.maxLagOnFailoverBytes = change.value;
      return;
  }
}

/** New credentials: the links to the primary and its replicas are opened again with them. */
function reopenDataLinks(c: CoreContext, m: MasterState): void {
  for (const i of [m, ...m.replicas.values()]) {
    closeLink(c, i.link, 'both');
    // Unreachable from now on, until the new connection answers.
    if (i.link.actPingTime === 0) i.link.actPingTime = c.now;
  }
  for (const i of [m, ...m.replicas.values()]) reconnect(c, i, m);
}

/** New peer credentials: links to peer monitors are opened again with them at the next tick. */
export function setPeerAuth(c: CoreContext, auth: PeerAuth): void {
  c.peerAuth = auth;
  const seen = new Set<string>();
  for (const m of c.masters.values()) {
    for (const s of m.sentinels.values()) {
      if (seen.has(s.link.id)) continue;
      seen.add(s.link.id);
      closeLink(c, s.link, 'both');
      if (s.link.actPingTime === 0) s.link.actPingTime = c.now;
    }
  }
}

/** SENTINEL DEBUG: change one of the tunable timers. */
export function setTiming(c: CoreContext, key: keyof Timing, value: number): void {
  c.timing[key] = value;
}
