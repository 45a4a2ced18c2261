/**
 * The one model of a monitored primary's configuration: what `sentinel.conf` declares, what
 * `SENTINEL SET` changes, and what the monitor must remember across its own restarts. The
 * config parser produces a `MasterRecord`, the core is built from it (`newMaster`), and the
 * config rewrite writes what `recordOf` reads back out of the core: nothing is copied by hand.
 */
import { DEFAULT_PARALLEL_SYNCS } from './constants.js';
import type { Addr } from './types.js';
import type { DeepReadonly } from './view.js';

/**
 * Vigil-only: what a failover may trade away. `safe` (the default) refuses to promote a replica
 * that could lose acknowledged writes; `available` behaves like Redis Sentinel.
 */
export type FailoverPolicy = 'safe' | 'available';
export const FAILOVER_POLICIES: readonly FailoverPolicy[] = ['safe', 'available'];
export const DEFAULT_FAILOVER_POLICY: FailoverPolicy = 'safe';
export const DEFAULT_MASTER_REBOOT_DOWN_AFTER_MS = 0;

/**
 * Vigil-only: what SENTINEL FAILOVER <name> does while the primary answers. `coordinated` (the
 * default) hands over without losing an acknowledged write (writes paused, the target caught up,
 * clients moved); `forced` is Sentinel's promotion, which loses what the target had not received.
 * A primary that does not answer is failed over the forced way either way.
 */
export type ManualFailover = 'coordinated' | 'forced';
export const MANUAL_FAILOVER_MODES: readonly ManualFailover[] = ['coordinated', 'forced'];
export const DEFAULT_MANUAL_FAILOVER: ManualFailover = 'coordinated';

/** The settings of one monitored primary (`sentinel <option> <name> ...`, `SENTINEL SET`). */
export interface MasterSettings {
  quorum: number;
  downAfterMs: number;
  failoverTimeoutMs: number;
  parallelSyncs: number;
  authPass?: string | undefined;
  authUser?: string | undefined;
  notificationScript?: string | undefined;
  clientReconfigScript?: string | undefined;
  masterRebootDownAfterMs: number;
  /**
   * `sentinel rename-command <master> <command> <new-name>`: command -> name to use on the
   * monitored instances. Command names compare case-insensitively (see `renamedCommand`).
   */
  renamedCommands: Map<string, string>;
  /** Vigil-only: `sentinel failover-policy <master> safe|available`. */
  failoverPolicy: FailoverPolicy;
  /** Vigil-only: `sentinel max-lag-on-failover <master> <bytes>`; undefined means no limit. */
  maxLagOnFailoverBytes?: number | undefined;
  /** Vigil-only: `sentinel manual-failover <master> coordinated|forced`. */
  manualFailover: ManualFailover;
}

export interface KnownReplica {
  host: string;
  port: number;
}

export interface KnownSentinel {
  host: string;
  port: number;
  runid: string;
}

/**
 * Vigil-only: `sentinel primary-history <master> <replid> <offset>`, the primary's replication id
 * and offset as last seen in its INFO.
 */
export interface PrimaryHistory {
  /** 40 lower-case hex characters. */
  replId: string;
  offset: number;
}

/**
 * Vigil-only: `sentinel replica-history <master> <ip> <port> <replid|-> <offset> <runid|-> yes|no`,
 * what was last seen of one replica: the replication id it follows, its offset, its run id, and
 * whether it had completed a sync with its primary since its own restart.
 */
export interface ReplicaHistoryRecord {
  host: string;
  port: number;
  /** 40 lower-case hex characters; undefined (written `-`) when unknown. */
  replId?: string | undefined;
  offset: number;
  /** 40 lower-case hex characters; undefined (written `-`) when unknown. */
  runId?: string | undefined;
  synced: boolean;
}

export interface PauseRecord {
  active: boolean;
  until: number;
  setAt: number;
  by: string;
  reason: string;
}

/** A monitored primary as the configuration file holds it: settings plus durable state. */
export interface MasterRecord extends MasterSettings {
  name: string;
  host: string;
  port: number;
  configEpoch: number;
  leaderEpoch: number;
  knownReplicas: KnownReplica[];
  knownSentinels: KnownSentinel[];
  /** Vigil-only: `sentinel primary-history`; undefined when not known. */
  primaryHistory?: PrimaryHistory | undefined;
  /** Vigil-only: `sentinel pause <name> <until> <set-at> yes|no <by> <reason>`, a maintenance pause. */
  pause?: PauseRecord | undefined;
  /**
   * Vigil-only: `sentinel replica-history` lines by `replicaKey`, in file (or discovery) order. A
   * replica listed here is known even without a `known-replica` line.
   */
  replicaHistory: Map<string, ReplicaHistoryRecord>;
}

/** The key of a replica in `MasterRecord.replicaHistory`: `ip:port` (`[ip]:port` for IPv6), host lower-cased. */
export function replicaKey(host: string, port: number): string {
  const h = host.toLowerCase();
  return h.includes(':') ? `[${h}]:${port}` : `${h}:${port}`;
}

/** A new record with Sentinel's defaults (the monitor's current ones for the two timers). */
export function newMasterRecord(
  name: string,
  addr: Addr,
  quorum: number,
  defaults: { downAfterMs: number; failoverTimeoutMs: number },
): MasterRecord {
  return {
    name,
    host: addr.host,
    port: addr.port,
    quorum,
    downAfterMs: defaults.downAfterMs,
    failoverTimeoutMs: defaults.failoverTimeoutMs,
    parallelSyncs: DEFAULT_PARALLEL_SYNCS,
    configEpoch: 0,
    leaderEpoch: 0,
    masterRebootDownAfterMs: DEFAULT_MASTER_REBOOT_DOWN_AFTER_MS,
    knownReplicas: [],
    knownSentinels: [],
    renamedCommands: new Map(),
    failoverPolicy: DEFAULT_FAILOVER_POLICY,
    manualFailover: DEFAULT_MANUAL_FAILOVER,
    replicaHistory: new Map(),
  };
}

/** The name to send for `command`, honouring `sentinel rename-command` (case-insensitively). */
export function renamedCommand(
  settings: { readonly renamedCommands: ReadonlyMap<string, string> },
  command: string,
): string {
  const wanted = command.toLowerCase();
  for (const [from, to] of settings.renamedCommands) {
    if (from.toLowerCase() === wanted) return to;
  }
  return command;
}

/** The settings part of anything that carries them, as a fresh copy. */
export function settingsOf(s: DeepReadonly<MasterSettings>): MasterSettings {
  const out: MasterSettings = {
    quorum: s.quorum,
    downAfterMs: s.downAfterMs,
    failoverTimeoutMs: s.failoverTimeoutMs,
    parallelSyncs: s.parallelSyncs,
    masterRebootDownAfterMs: s.masterRebootDownAfterMs,
    renamedCommands: new Map(s.renamedCommands),
    failoverPolicy: s.failoverPolicy,
    manualFailover: s.manualFailover,
  };
  if (s.authPass !== undefined) out.authPass = s.authPass;
  if (s.authUser !== undefined) out.authUser = s.authUser;
  if (s.notificationScript !== undefined) out.notificationScript = s.notificationScript;
  if (s.clientReconfigScript !== undefined) out.clientReconfigScript = s.clientReconfigScript;
  if (s.maxLagOnFailoverBytes !== undefined) out.maxLagOnFailoverBytes = s.maxLagOnFailoverBytes;
  return out;
}
