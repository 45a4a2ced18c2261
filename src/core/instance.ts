/** The monitor's picture of each primary, replica and peer monitor: plain data, no behaviour. */
import { DEFAULT_PARALLEL_SYNCS, DEFAULT_REPLICA_PRIORITY } from './constants.js';
import type { Addr } from './types.js';

/** One link (a command connection plus, for data nodes, a pub/sub one) and its liveness clocks. */
export interface Link {
  readonly id: string;
  refcount: number;
  cc: boolean;
  pc: boolean;
  pendingCommands: number;
  ccConnTime: number;
  pcConnTime: number;
  pcLastActivity: number;
  /** Last reply to PING we consider valid (PONG, LOADING, MASTERDOWN). */
  lastAvailTime: number;
  /** Time the oldest unanswered PING was sent; 0 when none is pending. */
  actPingTime: number;
  lastPingTime: number;
  /** Last reply to PING of any kind. */
  lastPongTime: number;
  lastReconnTime: number;
}

export function newLink(id: string, now: number): Link {
  return {
    id,
    refcount: 1,
    cc: false,
    pc: false,
    pendingCommands: 0,
    ccConnTime: 0,
    pcConnTime: 0,
    pcLastActivity: 0,
    // Counting from creation means a node we never reach is still detected as down.
    lastAvailTime: now,
    actPingTime: now,
    lastPingTime: 0,
    lastPongTime: now,
    lastReconnTime: 0,
  };
}

export function linkDisconnected(l: Link, pubsub: boolean): boolean {
  return !l.cc || (pubsub && !l.pc);
}

export type Role = 'master' | 'slave';

/** Fields every monitored instance has. */
export interface InstanceBase {
  addr: Addr;
  link: Link;
  runId: string | undefined;
  sDown: boolean;
  sDownSince: number;
  downAfterMs: number;
  lastPubTime: number;
  info: string | undefined;
  infoRefresh: number;
  roleReported: Role;
  roleReportedTime: number;
  scriptKillSent: boolean;
  renamedCommands: Map<string, string>;
}

export interface ReplicaState extends InstanceBase {
  readonly kind: 'replica';
  /** ip:port, the key in the master's table and the name Sentinel reports. */
  readonly name: string;
  masterLinkDownTime: number;
  priority: number;
  announced: boolean;
  slaveMasterHost: string | undefined;
  slaveMasterPort: number;
  slaveMasterLinkUp: boolean;
  slaveConfChangeTime: number;
  replOffset: number;
  promoted: boolean;
  reconf: 'none' | 'sent' | 'inprog' | 'done';
  reconfSentTime: number;
  /** Replication history, kept for the promotion safety rules. */
  masterReplId: string | undefined;
  masterReplId2: string | undefined;
  secondReplOffset: number | undefined;
  masterSyncInProgress: boolean;
  loading: boolean;
  /**
   * This is a former primary, replaced by a failover with a newer config epoch: it is told to
   * replicate from the current primary as soon as a link to it opens (even while it is still
   * frozen, the command waits in its socket), not after Sentinel's 8-second grace period.
   */
  demoteOnSight: boolean;
  /**
   * Where this former primary's history forked from the current primary's (the promoted
   * replica's replid2 and second_repl_offset): writes it accepted from there on are salvaged
   * before it is demoted. Set only on the monitor that led the failover.
   */
  salvageFrom: { replId: string; offset: number } | undefined;
  salvageRunning: boolean;
  /**
   * The replication id this node had as the replaced primary. Seen again as a primary with that
   * id, it is the old primary come back: demoted at once. As a primary with another id it was
   * promoted by someone since (another monitor's later failover): left to Sentinel's normal rules.
   */
  replacedHistory: string | undefined;
  /**
   * Completed a sync with its primary since its own last restart (run id). A replica that
   * restarted empty and is still syncing holds nothing worth promoting.
   */
  syncedSinceRestart: boolean;
}

export interface PeerState {
  readonly kind: 'sentinel';
  /** The peer's run id is its identity (and its name in replies). */
  readonly name: string;
  addr: Addr;
  link: Link;
  runId: string;
  sDown: boolean;
  sDownSince: number;
  downAfterMs: number;
  lastPubTime: number;
  lastHelloTime: number;
  lastMasterDownReplyTime: number;
  masterDown: boolean;
  /** The leader this peer voted for, and in which epoch. */
  leader: string | undefined;
  leaderEpoch: number;
}

export type FailoverState =
  | 'none'
  | 'wait_start'
  | 'select_slave'
  | 'send_slaveof_noone'
  | 'wait_promotion'
  | 'reconf_slaves'
  | 'update_config';

export interface MasterState extends InstanceBase {
  readonly kind: 'master';
  readonly name: string;
  quorum: number;
  parallelSyncs: number;
  failoverTimeoutMs: number;
  masterRebootDownAfterMs: number;
  masterReboot: boolean;
  masterRebootSince: number;
  authPass: string | undefined;
  authUser: string | undefined;
  notificationScript: string | undefined;
  clientReconfigScript: string | undefined;
  configEpoch: number;
  oDown: boolean;
  oDownSince: number;
  replicas: Map<string, ReplicaState>;
  sentinels: Map<string, PeerState>;
  /** The leader this monitor voted for, per Sentinel's `leader`/`leader_epoch`. */
  leader: string | undefined;
  leaderEpoch: number;
  failoverState: FailoverState;
  failoverEpoch: number;
  failoverStateChangeTime: number;
  failoverStartTime: number;
  failoverDelayLogged: number;
  forceFailover: boolean;
  promoted: ReplicaState | undefined;
  /** Vigil extensions (unused by Sentinel's default rules). */
  failoverPolicy: 'safe' | 'available';
  maxLagOnFailover: number | undefined;
  /** How long after ODOWN this monitor waits before starting a failover (see FAILOVER_START_STAGGER). */
  startDelay: number;
  /** The primary's replication history as last seen in its INFO (persisted across restarts). */
  replId: string | undefined;
  replOffset: number;
  /**
   * The running failover protects replicas from a primary that restarted with less than they
   * hold: it runs although the primary answers, and repoints every replica at once.
   */
  guard: boolean;
  /** Under the guard: the rebooted primary's new history, to salvage what it took since its restart. */
  guardFork: { replId: string; offset: number } | undefined;
  /** A planned, coordinated switchover in progress (SENTINEL FAILOVER <name> COORDINATED). */
  coordinated: CoordinatedSwitch | undefined;
  /** Whom the primary says it replicates from, when its INFO reports role slave. */
  reportedReplicaOf: Addr | undefined;
  /** A wiped-primary guard failover waiting for this monitor's turn to start. */
  guardPending: { why: string; newReplId: string | undefined; at: number } | undefined;
}

export interface CoordinatedSwitch {
  /** The replica asked for, if any (else the safe selection's first choice). */
  to: Addr | undefined;
  /** CLIENT PAUSE and FAILOVER timeout, ms. */
  timeoutMs: number;
  /** When the primary was paused (0: not yet). */
  pausedAt: number;
  /** The primary's replication offset once writes were paused (-1: not known yet). */
  pausedOffset: number;
  /** FAILOVER sent: the target had everything when it was told to take over. */
  handedOver: boolean;
  /** The primary's configured hz, restored after the handover (raised meanwhile; see core). */
  configuredHz: number | undefined;
  /** When the faster hz was confirmed (0: not yet). */
  hzRaisedAt: number;
  /**
   * Completing a handover another monitor started and could not finish: the target is already
   * the primary, so nothing is paused or handed over; the config is brought up to date.
   */
  adopted: boolean;
  lastPoll: number;
}

/** What a monitor remembers of a replica across its own restarts (durable offsets). */
export interface ReplicaHistory {
  replId: string;
  offset: number;
  runId: string;
  synced: boolean;
}

export interface MasterSpec {
  name: string;
  addr: Addr;
  quorum: number;
  downAfterMs?: number | undefined;
  failoverTimeoutMs?: number | undefined;
  parallelSyncs?: number | undefined;
  authPass?: string | undefined;
  authUser?: string | undefined;
  notificationScript?: string | undefined;
  clientReconfigScript?: string | undefined;
  configEpoch?: number | undefined;
  leaderEpoch?: number | undefined;
  masterRebootDownAfterMs?: number | undefined;
  renamedCommands?: ReadonlyMap<string, string> | undefined;
  knownReplicas?: readonly (Addr & { history?: ReplicaHistory | undefined })[] | undefined;
  knownSentinels?: readonly { addr: Addr; runId: string }[] | undefined;
  failoverPolicy?: 'safe' | 'available' | undefined;
  maxLagOnFailover?: number | undefined;
  /** The primary's last known replication id and offset, from a previous run. */
  history?: { replId: string; offset: number } | undefined;
}

function baseFields(addr: Addr, link: Link, downAfterMs: number, now: number, role: Role) {
  return {
    addr,
    link,
    runId: undefined,
    sDown: false,
    sDownSince: 0,
    downAfterMs,
    lastPubTime: now,
    info: undefined,
    infoRefresh: 0,
    roleReported: role,
    roleReportedTime: now,
    scriptKillSent: false,
    renamedCommands: new Map<string, string>(),
  };
}

export function newMaster(
  spec: MasterSpec,
  defaults: { downAfter: number; failoverTimeout: number },
  now: number,
): MasterState {
  const downAfterMs = spec.downAfterMs ?? defaults.downAfter;
  return {
    kind: 'master',
    name: spec.name,
    ...baseFields(spec.addr, newLink(`master:${spec.name}`, now), downAfterMs, now, 'master'),
    renamedCommands: new Map(spec.renamedCommands ?? []),
    quorum: spec.quorum,
    parallelSyncs: spec.parallelSyncs ?? DEFAULT_PARALLEL_SYNCS,
    failoverTimeoutMs: spec.failoverTimeoutMs ?? defaults.failoverTimeout,
    masterRebootDownAfterMs: spec.masterRebootDownAfterMs ?? 0,
    masterReboot: false,
    masterRebootSince: 0,
    authPass: spec.authPass,
    authUser: spec.authUser,
    notificationScript: spec.notificationScript,
    clientReconfigScript: spec.clientReconfigScript,
    configEpoch: spec.configEpoch ?? 0,
    oDown: false,
    oDownSince: 0,
    replicas: new Map(),
    sentinels: new Map(),
    leader: undefined,
    leaderEpoch: spec.leaderEpoch ?? 0,
    failoverState: 'none',
    failoverEpoch: 0,
    failoverStateChangeTime: 0,
    failoverStartTime: 0,
    failoverDelayLogged: 0,
    forceFailover: false,
    promoted: undefined,
    failoverPolicy: spec.failoverPolicy ?? 'safe',
    maxLagOnFailover: spec.maxLagOnFailover,
    startDelay: 0,
    replId: spec.history?.replId,
    replOffset: spec.history?.offset ?? 0,
    guard: false,
    guardFork: undefined,
    coordinated: undefined,
    reportedReplicaOf: undefined,
    guardPending: undefined,
  };
}

export function replicaName(addr: Addr): string {
  return addr.host.includes(':') ? `[${addr.host}]:${addr.port}` : `${addr.host}:${addr.port}`;
}

export function newReplica(master: MasterState, addr: Addr, now: number): ReplicaState {
  const name = replicaName(addr);
  return {
    kind: 'replica',
    name,
    ...baseFields(addr, newLink(`replica:${master.name}:${name}`, now), master.downAfterMs, now, 'slave'),
    masterLinkDownTime: 0,
    priority: DEFAULT_REPLICA_PRIORITY,
    announced: true,
    slaveMasterHost: undefined,
    slaveMasterPort: 0,
    slaveMasterLinkUp: false,
    slaveConfChangeTime: now,
    replOffset: 0,
    promoted: false,
    reconf: 'none',
    reconfSentTime: 0,
    masterReplId: undefined,
    masterReplId2: undefined,
    secondReplOffset: undefined,
    masterSyncInProgress: false,
    loading: false,
    demoteOnSight: false,
    salvageFrom: undefined,
    salvageRunning: false,
    replacedHistory: undefined,
    syncedSinceRestart: false,
  };
}

export function newPeer(master: MasterState, addr: Addr, runId: string, link: Link, now: number): PeerState {
  return {
    kind: 'sentinel',
    name: runId,
    addr,
    link,
    runId,
    sDown: false,
    sDownSince: 0,
    downAfterMs: master.downAfterMs,
    lastPubTime: now,
    lastHelloTime: now,
    lastMasterDownReplyTime: now,
    masterDown: false,
    leader: undefined,
    leaderEpoch: 0,
  };
}

export function failoverInProgress(m: MasterState): boolean {
  return m.failoverState !== 'none';
}

/** Where clients should go: the promoted replica once it has taken over, else the primary. */
export function currentMasterAddr(m: MasterState): Addr {
  if (m.promoted && (m.failoverState === 'reconf_slaves' || m.failoverState === 'update_config')) {
    return m.promoted.addr;
  }
  return m.addr;
}

/** Sentinel's sentinelRedisInstanceNoDownFor: not down during the last `ms`. */
export function noDownFor(i: { sDownSince: number }, oDownSince: number, now: number, ms: number): boolean {
  // Like Sentinel, the since-times are not cleared on recovery: "down recently" counts.
  const when = Math.max(i.sDownSince, oDownSince);
  return when === 0 || now - when > ms;
}
