/**
 * The in-memory form of a `sentinel.conf`, as read by `parseConfig` and written back by
 * `renderConfig`. Field defaults follow Redis 7.0 in Sentinel mode (see `defaultSentinelConfig`).
 */
import { randomBytes } from 'node:crypto';

export type LogLevel = 'debug' | 'verbose' | 'notice' | 'warning';

/**
 * Vigil-only: what a failover may trade away. `safe` (the default) refuses to promote a replica
 * that could lose acknowledged writes; `available` behaves like Redis Sentinel.
 */
export type FailoverPolicy = 'safe' | 'available';

export const FAILOVER_POLICIES: readonly FailoverPolicy[] = ['safe', 'available'];

export const DEFAULT_SENTINEL_PORT = 26379;
export const DEFAULT_DOWN_AFTER_MS = 30_000;
export const DEFAULT_FAILOVER_TIMEOUT_MS = 180_000;
export const DEFAULT_PARALLEL_SYNCS = 1;
export const DEFAULT_MASTER_REBOOT_DOWN_AFTER_MS = 0;
export const DEFAULT_FAILOVER_POLICY: FailoverPolicy = 'safe';
/** Redis's default `bind` list; a config whose bind equals it has no `bind` line after a rewrite. */
export const DEFAULT_BIND: readonly string[] = ['*', '-::*'];
/** Length of a Sentinel run id (`sentinel myid`, known-sentinel run ids). */
export const RUN_ID_LENGTH = 40;
/** Length of a Redis replication id and of a Redis run id: 40 hex characters. */
export const REPL_ID_LENGTH = 40;

export interface KnownReplica {
  host: string;
  port: number;
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
export interface ReplicaHistoryConfig {
  host: string;
  port: number;
  /** 40 lower-case hex characters; undefined (written `-`) when unknown. */
  replId?: string;
  offset: number;
  /** 40 lower-case hex characters; undefined (written `-`) when unknown. */
  runId?: string;
  synced: boolean;
}

/** The key of a replica in `MasterConfig.replicaHistory`: `ip:port` (`[ip]:port` for IPv6), host lower-cased. */
export function replicaKey(host: string, port: number): string {
  const h = host.toLowerCase();
  return h.includes(':') ? `[${h}]:${port}` : `${h}:${port}`;
}

export interface KnownSentinel {
  host: string;
  port: number;
  runid: string;
}

export interface MasterConfig {
  name: string;
  host: string;
  port: number;
  quorum: number;
  downAfterMs: number;
  failoverTimeoutMs: number;
  parallelSyncs: number;
  authPass?: string;
  authUser?: string;
  notificationScript?: string;
  clientReconfigScript?: string;
  configEpoch: number;
  leaderEpoch: number;
  masterRebootDownAfterMs: number;
  knownReplicas: KnownReplica[];
  knownSentinels: KnownSentinel[];
  /**
   * `sentinel rename-command <master> <command> <new-name>`: command as written -> name to use on
   * the monitored instances. Command names compare case-insensitively (see `lookupRenamedCommand`).
   */
  renamedCommands: Map<string, string>;
  /** Vigil-only: `sentinel failover-policy <master> safe|available`. */
  failoverPolicy: FailoverPolicy;
  /** Vigil-only: `sentinel max-lag-on-failover <master> <bytes>`; undefined means no limit. */
  maxLagOnFailoverBytes?: number;
  /** Vigil-only: `sentinel primary-history`; undefined when not known. */
  primaryHistory?: PrimaryHistory;
  /**
   * Vigil-only: `sentinel replica-history` lines by `replicaKey`, in file (or discovery) order. A
   * replica listed here is known even without a `known-replica` line.
   */
  replicaHistory: Map<string, ReplicaHistoryConfig>;
  /**
   * The file whose `sentinel monitor` line defined this master: the main config file, or a file
   * pulled in by `include`. The rewrite does not copy lines that an included file already holds.
   */
  definedIn?: string;
}

/** A server directive redis-sentinel accepts but that has no effect on Vigil. */
export interface IgnoredDirective {
  /** Lower-case directive name as written (an alias stays an alias). */
  name: string;
  args: string[];
  file: string;
  line: number;
}

export interface SentinelConfig {
  // ---- server options ----
  port: number;
  /** Empty list: listen on no TCP address (`bind ""`). */
  bind: string[];
  protectedMode: boolean;
  daemonize: boolean;
  pidfile?: string;
  /** Empty string: log to standard output. */
  logfile: string;
  loglevel: LogLevel;
  /**
   * Working directory, absolute (relative `dir` values are resolved like Redis's chdir). Undefined
   * when the file has no `dir` line: the process's own working directory applies.
   */
  dir?: string;
  requirepass?: string;
  aclfile?: string;
  /** Inline ACL users: the arguments of each `user` line, the user name first. */
  users: string[][];
  /** Top-level `rename-command <command> <new-name>`, in file order. */
  renameCommand: Map<string, string>;
  /** `include` arguments, in file order. */
  includes: string[];
  /** Accepted-but-ignored server directives, in file order. */
  ignoredDirectives: IgnoredDirective[];

  // ---- sentinel options ----
  myid?: string;
  currentEpoch: number;
  resolveHostnames: boolean;
  announceHostnames: boolean;
  announceIp?: string;
  /** 0: announce the listening port. */
  announcePort: number;
  denyScriptsReconfig: boolean;
  sentinelUser?: string;
  sentinelPass?: string;
  /** Monitored masters by name, in the order of their `sentinel monitor` lines. */
  masters: Map<string, MasterConfig>;
}

export function defaultSentinelConfig(): SentinelConfig {
  return {
    port: DEFAULT_SENTINEL_PORT,
    bind: [...DEFAULT_BIND],
    protectedMode: false,
    daemonize: false,
    logfile: '',
    loglevel: 'notice',
    users: [],
    renameCommand: new Map(),
    includes: [],
    ignoredDirectives: [],
    currentEpoch: 0,
    resolveHostnames: false,
    announceHostnames: false,
    announcePort: 0,
    denyScriptsReconfig: true,
    masters: new Map(),
  };
}

export function newMasterConfig(name: string, host: string, port: number, quorum: number): MasterConfig {
  return {
    name,
    host,
    port,
    quorum,
    downAfterMs: DEFAULT_DOWN_AFTER_MS,
    failoverTimeoutMs: DEFAULT_FAILOVER_TIMEOUT_MS,
    parallelSyncs: DEFAULT_PARALLEL_SYNCS,
    configEpoch: 0,
    leaderEpoch: 0,
    masterRebootDownAfterMs: DEFAULT_MASTER_REBOOT_DOWN_AFTER_MS,
    knownReplicas: [],
    knownSentinels: [],
    renamedCommands: new Map(),
    failoverPolicy: DEFAULT_FAILOVER_POLICY,
    replicaHistory: new Map(),
  };
}

/** A fresh random Sentinel id: 40 lower-case hex characters, as redis-sentinel generates. */
export function generateMyId(): string {
  return randomBytes(RUN_ID_LENGTH / 2).toString('hex');
}

/** The name to send for `command` to a master's instances, honouring `sentinel rename-command`. */
export function lookupRenamedCommand(master: MasterConfig, command: string): string {
  const wanted = command.toLowerCase();
  for (const [from, to] of master.renamedCommands) {
    if (from.toLowerCase() === wanted) return to;
  }
  return command;
}
