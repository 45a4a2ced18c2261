/**
 * The in-memory form of a `sentinel.conf`, as read by `parseConfig` and written back by
 * `renderConfig`. Field defaults follow Redis 7.0 in Sentinel mode (see `defaultSentinelConfig`).
 */
import { randomBytes } from 'node:crypto';
import {
  newMasterRecord,
  renamedCommand,
  type MasterRecord,
  type ReplicaHistoryRecord,
} from '../../core/record.js';

export type LogLevel = 'debug' | 'verbose' | 'notice' | 'warning';

export {
  DEFAULT_FAILOVER_POLICY,
  DEFAULT_MANUAL_FAILOVER,
  DEFAULT_MASTER_REBOOT_DOWN_AFTER_MS,
  FAILOVER_POLICIES,
  MANUAL_FAILOVER_MODES,
  type ManualFailover,
  replicaKey,
  type FailoverPolicy,
  type KnownReplica,
  type KnownSentinel,
  type PrimaryHistory,
} from '../../core/record.js';

export const DEFAULT_SENTINEL_PORT = 26379;
export const DEFAULT_DOWN_AFTER_MS = 30_000;
export const DEFAULT_FAILOVER_TIMEOUT_MS = 180_000;
export const DEFAULT_PARALLEL_SYNCS = 1;
/** Redis's default `bind` list; a config whose bind equals it has no `bind` line after a rewrite. */
export const DEFAULT_BIND: readonly string[] = ['*', '-::*'];
/** Length of a Sentinel run id (`sentinel myid`, known-sentinel run ids). */
export const RUN_ID_LENGTH = 40;
/** Length of a Redis replication id and of a Redis run id: 40 hex characters. */
export const REPL_ID_LENGTH = 40;

/** `sentinel replica-history` as the file holds it (see the core's record). */
export type ReplicaHistoryConfig = ReplicaHistoryRecord;

/**
 * A monitored master as the file declares it: the core's own record of a primary (one model,
 * shared), plus which file declared it.
 */
export interface MasterConfig extends MasterRecord {
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
  return newMasterRecord(name, { host, port }, quorum, {
    downAfterMs: DEFAULT_DOWN_AFTER_MS,
    failoverTimeoutMs: DEFAULT_FAILOVER_TIMEOUT_MS,
  });
}

/** A fresh random Sentinel id: 40 lower-case hex characters, as redis-sentinel generates. */
export function generateMyId(): string {
  return randomBytes(RUN_ID_LENGTH / 2).toString('hex');
}

/** The name to send for `command` to a master's instances, honouring `sentinel rename-command`. */
export function lookupRenamedCommand(master: MasterConfig, command: string): string {
  return renamedCommand(master, command);
}
