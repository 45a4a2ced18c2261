/** The monitor's picture of each primary, replica and peer monitor: plain data, no behaviour. */
import { DEFAULT_REPLICA_PRIORITY } from './constants.js';
import {
  replicaKey,
  settingsOf,
  type MasterRecord,
  type MasterSettings,
  type ReplicaHistoryRecord,
} from './record.js';
import type { Journal } from './history.js';
import type { Addr } from './types.js';
import type { DeepReadonly } from './view.js';

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

export function linkDisconnected(l: Readonly<Pick<Link, 'cc' | 'pc'>>, pubsub: boolean): boolean {
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
  /** Keys in its data set, as its last INFO counted them (undefined until known). */
  keys: number | undefined;
  roleReported: Role;
  roleReportedTime: number;
  scriptKillSent: boolean;
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
  /** This node was the primary until a newer configuration replaced it (see fence.ts). */
  fence: Fence | undefined;
  /**
   * Where this former primary's history forked from the current primary's (the promoted
   * replica's replid2 and second_repl_offset): writes it accepted from there on are salvaged
   * before it is demoted. Set only on the monitor that led the failover.
   */
  salvageFrom: { replId: string; offset: number } | undefined;
  salvageRunning: boolean;
  /**
   * Completed a sync with its primary since its own last restart (run id). A replica that
   * restarted empty and is still syncing holds nothing worth promoting.
   */
  syncedSinceRestart: boolean;
}

/** A replaced primary, to be stopped from taking writes wherever it shows up as a primary again. */
export interface Fence {
  /** Its replication id as the replaced primary (undefined when not known). */
  history: string | undefined;
  /** This monitor led the failover that replaced it: it salvages its writes, then demotes it. */
  leader: boolean;
  /** Replaced by the wiped-primary guard: it restarted empty, every key it holds is new. */
  wiped: boolean;
  /** The peer whose hello announced the configuration that replaced it (undefined: our own). */
  announcer: string | undefined;
  /** The configuration epoch that replaced it: a newer one ends the fence (fence.ts). */
  configEpoch: number;
  /** No INFO from it since it was replaced: a link opening to it acts at once (it may be frozen). */
  unseen: boolean;
  /** When this monitor paused its writes (0: not yet); after its grace it demotes it itself. */
  pausedAt: number;
  /** When the pause was last sent (it is renewed while the node stays a primary). */
  renewedAt: number;
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
  /**
   * Whether the peer understands Vigil's additions to IS-MASTER-DOWN-BY-ADDR (undefined until a
   * request tells): a redis-sentinel peer answers them with an arity error.
   */
  vigil: boolean | undefined;
}

export type FailoverState =
  | 'none'
  | 'wait_start'
  | 'select_slave'
  | 'send_slaveof_noone'
  | 'wait_promotion'
  | 'reconf_slaves'
  | 'update_config';

export interface MasterState extends InstanceBase, MasterSettings {
  readonly kind: 'master';
  readonly name: string;
  masterReboot: boolean;
  masterRebootSince: number;
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
  /** How long after ODOWN this monitor waits before starting a failover (see FAILOVER_START_STAGGER). */
  startDelay: number;
  /** The primary's replication history as last seen in its INFO (persisted across restarts). */
  replId: string | undefined;
  replOffset: number;
  /** The history it continues (master_replid2) up to second_repl_offset: where it forked. */
  replId2: string | undefined;
  secondOffset: number;
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
  /** The failover this monitor is running, noted step by step for the history (history.ts). */
  journal: Journal | undefined;
  /** Why the wiped-primary guard started the running failover. */
  guardReason: string | undefined;
  /** Maintenance mode: no automatic failover while active (see pause.ts). */
  pause: PauseState | undefined;
  /** What was last logged as held back by the pause, so it is logged once. */
  pauseLogged: string | undefined;
  /** When the leader paused the replaced primary's writes at the promotion (0: it did not). */
  pausedAtPromotion: number;
  /** Votes this monitor gave and refused for this primary's failovers (since it started). */
  votesGranted: number;
  votesRefused: number;
  /** `runId:epoch` of the last refusal logged, so a retried request is logged once. */
  lastRefusal: string | undefined;
  /**
   * A peer asked for a vote this monitor refused (it saw the primary up then), and when: while
   * that election may still be running, this monitor does not start a competing failover; it
   * votes for the peer when asked again, once it sees the primary down too.
   */
  refusedElection: { runId: string; epoch: number; at: number } | undefined;
  /**
   * A wiped-primary guard failover waiting for this monitor's turn to start, for the node and the
   * configuration it was decided for: a switch to another primary or a newer epoch cancels it.
   */
  guardPending: GuardPending | undefined;
  /** The primary restarted and is still loading its data: its restart is judged once it is done. */
  rebootLoading: boolean;
  /** The primary restarted with a new history: its data is being compared with its replicas'. */
  rebootCheck:
    | {
        askedAt: number;
        /** Replicas whose fresh INFO has not come yet. */
        waiting: Set<string>;
        newReplId: string | undefined;
        newOffset: number;
      }
    | undefined;
}

/** A maintenance pause (see pause.ts), or the resume that ended one early. */
export interface PauseState {
  active: boolean;
  /** Epoch ms: the pause ends, and the setting is forgotten. */
  until: number;
  /** Epoch ms of the setting: the newest wins between monitors. */
  setAt: number;
  reason: string;
  /** The monitor it was set on. */
  by: string;
}

export interface GuardPending {
  why: string;
  newReplId: string | undefined;
  at: number;
  /** The primary's address and config epoch when the guard was decided. */
  addr: string;
  configEpoch: number;
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
  /**
   * Asked for by a plain SENTINEL FAILOVER: if the primary turns out not to answer (its writes
   * were never confirmed paused), the failover goes on the forced way, as Sentinel's would.
   */
  fallback: boolean;
}

/** What a monitor remembers of a replica across its own restarts (durable offsets). */
export interface ReplicaHistory {
  replId: string;
  offset: number;
  runId: string;
  synced: boolean;
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
    keys: undefined,
    roleReported: role,
    roleReportedTime: now,
    scriptKillSent: false,
  };
}

/** A primary's state, built from its record; the replicas and peers it lists are added by the core. */
export function newMaster(record: MasterRecord, now: number): MasterState {
  const settings = settingsOf(record);
  // Commands are looked up by their lower-case name (see SentinelCore's cmd()).
  settings.renamedCommands = new Map([...record.renamedCommands].map(([k, v]) => [k.toLowerCase(), v]));
  return {
    kind: 'master',
    name: record.name,
    ...baseFields(
      { host: record.host, port: record.port },
      newLink(`master:${record.name}`, now),
      record.downAfterMs,
      now,
      'master',
    ),
    ...settings,
    masterReboot: false,
    masterRebootSince: 0,
    configEpoch: record.configEpoch,
    oDown: false,
    oDownSince: 0,
    replicas: new Map(),
    sentinels: new Map(),
    leader: undefined,
    leaderEpoch: record.leaderEpoch,
    failoverState: 'none',
    failoverEpoch: 0,
    failoverStateChangeTime: 0,
    failoverStartTime: 0,
    failoverDelayLogged: 0,
    forceFailover: false,
    promoted: undefined,
    startDelay: 0,
    replId: record.primaryHistory?.replId,
    replOffset: record.primaryHistory?.offset ?? 0,
    replId2: undefined,
    secondOffset: -1,
    guard: false,
    guardFork: undefined,
    coordinated: undefined,
    reportedReplicaOf: undefined,
    guardPending: undefined,
    rebootCheck: undefined,
    rebootLoading: false,
    pausedAtPromotion: 0,
    journal: undefined,
    guardReason: undefined,
    pause: record.pause ? { ...record.pause } : undefined,
    pauseLogged: undefined,
    votesGranted: 0,
    votesRefused: 0,
    lastRefusal: undefined,
    refusedElection: undefined,
  };
}

/**
 * The replicas a record names, with what is remembered of each: the `known-replica` ones in
 * file order, then those only named by a `replica-history` line.
 */
export function recordedReplicas(record: MasterRecord): (Addr & { history: ReplicaHistory | undefined })[] {
  const listed = new Set(record.knownReplicas.map((r) => replicaKey(r.host, r.port)));
  return [
    ...record.knownReplicas.map((r) => ({
      host: r.host,
      port: r.port,
      history: trustedHistory(record.replicaHistory.get(replicaKey(r.host, r.port))),
    })),
    ...[...record.replicaHistory]
      .filter(([key]) => !listed.has(key))
      .map(([, h]) => ({ host: h.host, port: h.port, history: trustedHistory(h) })),
  ];
}

/**
 * What the core is told of a replica's past. Without its replication id there is nothing to
 * check against; without its run id a restart of the replica cannot be detected, so `synced`
 * could not be trusted (and the first INFO refreshes the rest anyway): the replica then starts
 * with no history, as after a config from redis-sentinel.
 */
function trustedHistory(h: ReplicaHistoryRecord | undefined): ReplicaHistory | undefined {
  if (h?.replId === undefined || h.runId === undefined) return undefined;
  return { replId: h.replId, offset: h.offset, runId: h.runId, synced: h.synced };
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
    fence: undefined,
    salvageFrom: undefined,
    salvageRunning: false,
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
    vigil: undefined,
  };
}

export function failoverInProgress(m: { readonly failoverState: FailoverState }): boolean {
  return m.failoverState !== 'none';
}

/**
 * Where clients are sent (GET-MASTER-ADDR-BY-NAME): the promoted replica from the moment it was
 * told to take over. An old primary that answers again after that is never named again: writes
 * it took would be lost.
 */
export function clientPrimaryAddr(m: DeepReadonly<MasterState>): Addr {
  if (m.promoted && m.failoverState === 'wait_promotion' && !m.coordinated) return m.promoted.addr;
  return currentMasterAddr(m);
}

/** The primary of the current configuration: the promoted replica once it has taken over. */
export function currentMasterAddr(m: DeepReadonly<MasterState>): Addr {
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

/**
 * The record of a primary as it stands now: what the config rewrite writes, and what `newMaster`
 * rebuilds the same picture from after a restart.
 */
export function recordOf(m: DeepReadonly<MasterState>): MasterRecord {
  const addr = currentMasterAddr(m);
  const record: MasterRecord = {
    name: m.name,
    host: addr.host,
    port: addr.port,
    ...settingsOf(m),
    configEpoch: m.configEpoch,
    leaderEpoch: m.leaderEpoch,
    knownReplicas: [],
    knownSentinels: [],
    replicaHistory: new Map(),
  };
  // Replication history: the replid is what the safety rules need; the offsets are hints, and
  // are written whenever the file is rewritten (they change too often to be a reason to).
  if (m.replId !== undefined) record.primaryHistory = { replId: m.replId, offset: m.replOffset };
  if (m.pause !== undefined) record.pause = { ...m.pause };
  for (const r of m.replicas.values()) {
    // Mid-failover the promoted replica is the primary's address; record the old one instead
    // (without a history: the promoted replica's is not the old primary's).
    const swapped = r.addr.port === addr.port && r.addr.host === addr.host;
    const a = swapped ? m.addr : r.addr;
    record.knownReplicas.push({ host: a.host, port: a.port });
    if (swapped || r.masterReplId === undefined) continue;
    const h: ReplicaHistoryRecord = {
      host: a.host,
      port: a.port,
      replId: r.masterReplId,
      offset: r.replOffset,
      synced: r.syncedSinceRestart,
    };
    if (r.runId !== undefined) h.runId = r.runId;
    record.replicaHistory.set(replicaKey(a.host, a.port), h);
  }
  for (const s of m.sentinels.values()) {
    record.knownSentinels.push({ host: s.addr.host, port: s.addr.port, runid: s.runId });
  }
  return record;
}
