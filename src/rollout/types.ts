/**
 * What a rolling restart sees and decides. The planner works on these plain values only: the
 * shells (observe.ts, the drivers, run.ts) fill them from live servers and carry out the step
 * the planner chooses.
 */
import { formatAddr } from '../node/address.js';

export interface NodeAddr {
  host: string;
  port: number;
}

/** `host:port` (`[v6]:port`): how nodes are named in plans and messages. */
export type NodeId = string;

export function nodeId(a: NodeAddr): NodeId {
  return formatAddr(a);
}

/** What a running process is, as far as it can be observed. */
export interface RunningSpec {
  /** INFO server redis_version (or the monitor's version). */
  version?: string | undefined;
  /** INFO server executable. */
  executable?: string | undefined;
  /** Hash of the configuration the process was started with (drivers that know it). */
  configHash?: string | undefined;
  /** Extra command-line arguments it was started with (drivers that know them). */
  args?: string | undefined;
  /** When the process started (ms since the epoch). */
  startedAtMs?: number | undefined;
}

/**
 * What every process should be. Unset fields are not checked. A node is stale when any set
 * field differs from what it runs.
 */
export interface DesiredSpec {
  version?: string | undefined;
  executable?: string | undefined;
  args?: string | undefined;
  /** Restart everything that started before this time (ms since the epoch). */
  restartedAfterMs?: number | undefined;
}

export type DataRole = 'primary' | 'replica';

export interface DataNode {
  id: NodeId;
  addr: NodeAddr;
  /** Answered INFO in this observation. */
  reachable: boolean;
  /** Unknown when unreachable. */
  role?: DataRole | undefined;
  /** For a replica: the primary it follows. */
  primary?: NodeAddr | undefined;
  /** master_link_status:up (replicas). */
  linkUp: boolean;
  /** Loading its dataset (INFO persistence loading / async_loading). */
  loading: boolean;
  /** A full sync in progress (master_sync_in_progress). */
  syncing: boolean;
  /** master_replid. */
  replId: string;
  /** master_repl_offset: for a replica, how far it has processed its primary's stream. */
  offset: number;
  /** DBSIZE summed over databases (INFO keyspace). */
  keys: number;
  /** appendonly yes, or at least one save point. */
  persistent: boolean;
  /** replica-priority (0: never promoted). */
  priority: number;
  /**
   * What the monitors' failover rules say of promoting this replica now (SENTINEL CANDIDATES of
   * a Vigil monitor), when known: a switchover to a replica they refuse would be turned down.
   */
  monitorVerdict?: { eligible: boolean; reason: string } | undefined;
  /**
   * The monitors list this replica as disconnected or down: a failover now would not repoint it,
   * and it would follow the old primary until they reconnect and fix it.
   */
  monitorLinkDown?: boolean | undefined;
  running: RunningSpec;
  /** The configuration hash it should run, when the driver can tell. */
  desiredConfigHash?: string | undefined;
  /** Redis Cluster: this node's id and, for a replica, its primary's id. */
  clusterId?: string | undefined;
  clusterPrimaryId?: string | undefined;
  /** Redis Cluster: cluster_state:ok in this node's CLUSTER INFO. */
  clusterOk?: boolean | undefined;
}

export interface MonitorNode {
  id: NodeId;
  addr: NodeAddr;
  reachable: boolean;
  running: RunningSpec;
  /** The primary this monitor announces for the group. */
  primary?: NodeAddr | undefined;
  /** It reports a failover of the group in progress. */
  failoverInProgress: boolean;
  /** It reports the primary subjectively down. */
  primaryDown: boolean;
  /** Number of other monitors it knows. */
  peers: number;
}

export type Topology = 'replication' | 'standalone' | 'cluster';

export interface ObservedGroup {
  topology: Topology;
  /** The monitored name (replication). */
  name?: string | undefined;
  nodes: DataNode[];
  monitors: MonitorNode[];
  /** The group's quorum as the monitors report it. */
  quorum?: number | undefined;
  /**
   * Redis Cluster: every reachable node's CLUSTER NODES agrees on who is primary of what and on
   * every replica's primary, with no node flagged failing.
   */
  clusterAgreed?: boolean | undefined;
}

export interface PlanOptions {
  desired: DesiredSpec;
  /** Roll the monitors too (replication groups). Default true. */
  monitors?: boolean | undefined;
  /** A replica counts as caught up when at most this many bytes behind its primary. Default 0. */
  maxLagBytes?: number | undefined;
  /** Restart a standalone primary although it has no persistence (its data is lost). */
  acceptDataLoss?: boolean | undefined;
}

export type Step =
  | { kind: 'restart-replica'; node: NodeId; why: string[] }
  | { kind: 'switchover'; from: NodeId; to: NodeId; why: string[] }
  | { kind: 'cluster-failover'; from: NodeId; to: NodeId; why: string[] }
  | { kind: 'restart-primary'; node: NodeId; why: string[]; warning: string }
  | { kind: 'restart-monitor'; node: NodeId; why: string[] };

/** Which check holds the rollout back: each has its own test. */
export type Gate =
  | 'node-down'
  | 'replica-sync'
  | 'only-copy'
  | 'empty-primary'
  | 'failover-in-progress'
  | 'monitors-disagree'
  | 'monitor-quorum'
  | 'no-target'
  | 'cluster-converging'
  | 'unknown-primary';

export type Next =
  | { kind: 'act'; step: Step }
  /** A gate that clears by itself (a node coming back, a replica catching up): wait and look again. */
  | { kind: 'wait'; gate: Gate; subject: string; reason: string }
  /** A gate that needs an operator: stop with this message. */
  | { kind: 'stop'; gate: Gate; reason: string }
  | { kind: 'done' };

export interface StaleNode {
  id: NodeId;
  kind: 'primary' | 'replica' | 'monitor';
  reasons: string[];
}

export interface Decision {
  next: Next;
  /** Every step still to do, in order, as things stand now (what --dry-run prints). */
  plan: Step[];
  stale: StaleNode[];
  warnings: string[];
}
