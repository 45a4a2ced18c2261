/**
 * The monitor's decision core: Redis Sentinel's semantics with no I/O and no clock.
 *
 * The shell calls `tick(now)` about ten times a second and reports what the network did
 * (links up/down, replies, hello messages); the core updates its picture and queues effects
 * (connect, send, publish events, rewrite the config) that the shell drains and performs.
 * Everything here is deterministic given the inputs and the injected random source.
 */
import {
  defaultTiming,
  FAILOVER_START_JITTER,
  FAILOVER_START_STAGGER,
  FAST_ASK_PERIOD,
  MAX_DESYNC,
  COORDINATED_MAX_TIMEOUT,
  COORDINATED_MIN_TIMEOUT,
  COORDINATED_POLL_PERIOD,
  HANDOVER_HZ,
  MAX_PENDING_COMMANDS,
  PRIMARY_RECONNECT_PERIOD,
  SELECT_FRESH_INFO_WAIT,
  type Timing,
} from './constants.js';
import { describe, type AnyInstance } from './events.js';
import { helloTail, parseHello } from './hello.js';
import { parseInfo } from './info.js';
import {
  currentMasterAddr,
  failoverInProgress,
  linkDisconnected,
  newLink,
  newMaster,
  newPeer,
  newReplica,
  noDownFor,
  replicaName,
  type Link,
  type MasterSpec,
  type MasterState,
  type PeerState,
  type ReplicaState,
} from './instance.js';
import { candidates, selectReplica, sentinelCandidates } from './select-replica.js';
import {
  addrEqual,
  addrKey,
  type Addr,
  type CoreReply,
  type Effect,
  type LogLevel,
  type ReplyTag,
} from './types.js';

export interface CoreOptions {
  myid: string;
  currentEpoch: number;
  /** The port this monitor listens on, announced in hello messages. */
  port: number;
  announceIp?: string | undefined;
  announcePort?: number | undefined;
  /** Credentials for links to peer monitors (sentinel-user/sentinel-pass, else requirepass). */
  peerAuth?: { user?: string | undefined; pass?: string | undefined } | undefined;
  timing?: Timing | undefined;
}

export type StartFailoverResult = 'ok' | 'inprog' | 'nogoodslave';

export type CoordinatedResult =
  { ok: true; target: string; timeoutMs: number } | { ok: false; error: string };

type DataInstance = MasterState | ReplicaState;

export class SentinelCore {
  readonly masters = new Map<string, MasterState>();
  readonly timing: Timing;
  myid: string;
  currentEpoch: number;
  port: number;
  announceIp: string | undefined;
  announcePort: number;
  peerAuth: { user?: string | undefined; pass?: string | undefined };
  tilt = false;
  tiltStartTime = 0;
  previousTime: number;
  simFailure = { crashAfterElection: false, crashAfterPromotion: false };
  private out: Effect[] = [];
  private now: number;

  constructor(
    opts: CoreOptions,
    private readonly rand: () => number,
    now: number,
  ) {
    this.myid = opts.myid;
    this.currentEpoch = opts.currentEpoch;
    this.port = opts.port;
    this.announceIp = opts.announceIp;
    this.announcePort = opts.announcePort ?? 0;
    this.peerAuth = opts.peerAuth ?? {};
    this.timing = opts.timing ?? defaultTiming();
    this.now = now;
    this.previousTime = now;
  }

  /** Effects queued since the last drain, in the order they must be performed. */
  drain(): Effect[] {
    const out = this.out;
    this.out = [];
    return out;
  }

  // ------------------------------------------------------------------ setup

  /** Add a monitored primary (config load or SENTINEL MONITOR). Returns undefined if the name exists. */
  addMaster(spec: MasterSpec, now: number): MasterState | undefined {
    this.now = now;
    if (this.masters.has(spec.name)) return undefined;
    const m = newMaster(
      spec,
      { downAfter: this.timing.defaultDownAfter, failoverTimeout: this.timing.defaultFailoverTimeout },
      now,
    );
    this.masters.set(m.name, m);
    for (const a of spec.knownReplicas ?? []) {
      const r = this.ensureReplica(m, { host: a.host, port: a.port });
      if (r && a.history) {
        r.masterReplId = a.history.replId;
        r.replOffset = a.history.offset;
        r.runId = a.history.runId;
        // Still synced only if it turns out to be the same run (a restart would change the run id).
        r.syncedSinceRestart = a.history.synced;
      }
    }
    for (const s of spec.knownSentinels ?? []) this.addPeer(m, s.addr, s.runId);
    return m;
  }

  removeMaster(name: string, now: number): boolean {
    this.now = now;
    const m = this.masters.get(name);
    if (!m) return false;
    this.event('warning', '-monitor', m, '');
    this.closeInstanceLinks(m);
    this.masters.delete(name);
    return true;
  }

  /** The +monitor events Sentinel generates at start-up. */
  announceMonitors(now: number): void {
    this.now = now;
    for (const m of this.masters.values()) this.event('warning', '+monitor', m, ` quorum ${m.quorum}`);
  }

  // ------------------------------------------------------------------ time

  tick(now: number): void {
    this.now = now;
    this.checkTilt();
    let switchTo: MasterState | undefined;
    for (const m of this.masters.values()) {
      this.handleInstance(m, m);
      for (const r of m.replicas.values()) this.handleInstance(r, m);
      for (const s of m.sentinels.values()) this.handleInstance(s, m);
      if (m.failoverState === 'update_config') switchTo = m;
    }
    if (switchTo) this.switchToPromoted(switchTo);
  }

  /**
   * How long the shell may wait before the next tick: Sentinel's jittered 10-20 Hz, or less when
   * an instance reaches its down-after deadline sooner, so SDOWN is declared on time rather than
   * up to a timer period late.
   */
  nextTickDelay(): number {
    let delay = Math.floor(1000 / (10 + Math.floor(this.rand() * 10)));
    for (const m of this.masters.values()) {
      for (const i of [m, ...m.replicas.values(), ...m.sentinels.values()]) {
        if (i.sDown || i.link.actPingTime === 0) continue;
        const due = i.link.actPingTime + i.downAfterMs + 1 - this.now;
        if (due >= 0 && due < delay) delay = due;
      }
      if (m.coordinated && m.failoverState === 'wait_promotion')
        delay = Math.min(delay, COORDINATED_POLL_PERIOD);
      if (m.oDown && m.failoverState === 'none') {
        const start = m.oDownSince + m.startDelay - this.now;
        if (start >= 0 && start < delay) delay = start;
      }
    }
    return Math.max(1, delay);
  }

  private checkTilt(): void {
    const delta = this.now - this.previousTime;
    if (delta < 0 || delta > this.timing.tiltTrigger) {
      this.tilt = true;
      this.tiltStartTime = this.now;
      this.event('warning', '+tilt', undefined, '#tilt mode entered');
    }
    this.previousTime = this.now;
  }

  /**
   * The acting half for one primary, run again as soon as a reply can change the outcome (a
   * vote, a peer's down report, a promoted replica's INFO) instead of at the next timer run.
   */
  private actOnMaster(m: MasterState): void {
    if (this.tilt || !this.masters.has(m.name)) return;
    this.maybeStartGuard(m);
    this.checkObjectivelyDown(m);
    if (this.startFailoverIfNeeded(m)) this.askOthers(m, true);
    this.failoverStep(m);
  }

  private handleInstance(i: AnyInstance, master: MasterState): void {
    this.reconnect(i, master);
    this.sendPeriodic(i, master);
    if (this.tilt) {
      if (this.now - this.tiltStartTime < this.timing.tiltPeriod) return;
      this.tilt = false;
      this.event('warning', '-tilt', undefined, '#tilt mode exited');
    }
    this.checkSubjectivelyDown(i);
    if (i.kind === 'master') {
      this.maybeStartGuard(i);
      this.checkObjectivelyDown(i);
      if (this.startFailoverIfNeeded(i)) this.askOthers(i, true);
      this.failoverStep(i);
      this.askOthers(i, false);
    }
  }

  // ------------------------------------------------------------------ links

  private linkAuth(i: AnyInstance, master: MasterState) {
    if (i.kind === 'sentinel') return this.peerAuth;
    return { user: master.authUser, pass: master.authPass };
  }

  private reconnect(i: AnyInstance, master: MasterState): void {
    const l = i.link;
    const wantsPubsub = i.kind !== 'sentinel';
    if (!linkDisconnected(l, wantsPubsub)) return;
    if (i.addr.port === 0) return;
    const period =
      i.kind === 'master'
        ? Math.min(PRIMARY_RECONNECT_PERIOD, this.timing.pingPeriod)
        : this.timing.pingPeriod;
    if (this.now - l.lastReconnTime < period) return;
    l.lastReconnTime = this.now;
    const needCc = !l.cc;
    const needPc = wantsPubsub && !l.pc;
    this.out.push({
      kind: 'connect',
      link: l.id,
      addr: i.addr,
      pubsub: needPc,
      cc: needCc,
      auth: this.linkAuth(i, master),
      clientNamePrefix: `sentinel-${this.myid.slice(0, 8)}`,
      renamed: i.kind === 'sentinel' ? new Map<string, string>() : master.renamedCommands,
    });
    if (needCc) {
      l.cc = true;
      l.pendingCommands = 0;
      l.ccConnTime = this.now;
      this.sendPing(i);
      // A node that comes back may have restarted: learn its run id and history at once.
      if (i.kind !== 'sentinel') this.sendInfo(i, master);
      if (i.kind === 'replica' && i.demoteOnSight && !this.tilt) this.demote(i, master);
    }
    if (needPc) {
      l.pc = true;
      l.pcConnTime = this.now;
    }
  }

  /** The shell reports a connection that failed or closed. */
  linkDown(now: number, linkId: string, which: 'cc' | 'pc'): void {
    this.now = now;
    this.linkDownState(linkId, which);
    // A node that closed our connection (CLIENT KILL at a switch) is usually alive: reconnect
    // now rather than at the next timer run; reconnect() keeps its own rate limit.
    for (const m of this.masters.values()) {
      for (const i of [m, ...m.replicas.values()]) if (i.link.id === linkId) this.reconnect(i, m);
    }
  }

  private linkDownState(linkId: string, which: 'cc' | 'pc'): void {
    for (const l of this.linksById(linkId)) {
      if (which === 'cc') {
        l.cc = false;
        l.pendingCommands = 0;
        // Unreachable since the connection broke, not since the next reconnect's PING.
        if (l.actPingTime === 0) l.actPingTime = this.now;
      } else {
        l.pc = false;
      }
    }
  }

  /** Any message on a pub/sub connection proves it alive. */
  pubsubActivity(now: number, linkId: string): void {
    this.now = now;
    for (const l of this.linksById(linkId)) l.pcLastActivity = now;
  }

  private linksById(id: string): Link[] {
    const found: Link[] = [];
    for (const m of this.masters.values()) {
      if (m.link.id === id) found.push(m.link);
      for (const r of m.replicas.values()) if (r.link.id === id) found.push(r.link);
      for (const s of m.sentinels.values())
        if (s.link.id === id && !found.includes(s.link)) found.push(s.link);
    }
    return found;
  }

  private closeLink(l: Link, which: 'cc' | 'pc' | 'both'): void {
    if (which !== 'pc' && l.cc) {
      l.cc = false;
      l.pendingCommands = 0;
    }
    if (which !== 'cc') l.pc = false;
    this.out.push({ kind: 'close', link: l.id, which });
  }

  private closeInstanceLinks(m: MasterState): void {
    this.closeLink(m.link, 'both');
    for (const r of m.replicas.values()) this.closeLink(r.link, 'both');
    for (const s of m.sentinels.values()) {
      s.link.refcount--;
      if (s.link.refcount <= 0) this.closeLink(s.link, 'both');
    }
  }

  private send(l: Link, commands: readonly (readonly string[])[], tag: ReplyTag): boolean {
    if (!l.cc) return false;
    l.pendingCommands += commands.length;
    this.out.push({ kind: 'send', link: l.id, commands, tag });
    return true;
  }

  private cmd(master: MasterState | undefined, name: string): string {
    return master?.renamedCommands.get(name.toLowerCase()) ?? name;
  }

  // ------------------------------------------------------------------ periodic commands

  private sendPing(i: AnyInstance): boolean {
    const master = this.masterOf(i);
    const ok = this.send(i.link, [[this.cmd(i.kind === 'sentinel' ? undefined : master, 'PING')]], {
      t: 'ping',
      link: i.link.id,
    });
    if (ok) {
      i.link.lastPingTime = this.now;
      if (i.link.actPingTime === 0) i.link.actPingTime = this.now;
    }
    return ok;
  }

  private masterOf(i: AnyInstance): MasterState | undefined {
    if (i.kind === 'master') return i;
    for (const m of this.masters.values()) {
      if (i.kind === 'replica' && m.replicas.get(i.name) === i) return m;
      if (i.kind === 'sentinel' && m.sentinels.get(i.name) === i) return m;
    }
    return undefined;
  }

  private sendPeriodic(i: AnyInstance, master: MasterState): void {
    const l = i.link;
    if (linkDisconnected(l, i.kind !== 'sentinel')) return;
    if (l.pendingCommands >= MAX_PENDING_COMMANDS * l.refcount) return;
    let infoPeriod = this.timing.infoPeriod;
    if (i.kind === 'replica' && (master.oDown || failoverInProgress(master) || i.masterLinkDownTime !== 0)) {
      infoPeriod = 1000;
    }
    const pingPeriod = Math.min(i.downAfterMs, this.timing.pingPeriod);
    if (i.kind !== 'sentinel' && (i.infoRefresh === 0 || this.now - i.infoRefresh > infoPeriod)) {
      this.sendInfo(i, master);
    }
    if (this.now - l.lastPongTime > pingPeriod && this.now - l.lastPingTime > pingPeriod / 2) {
      this.sendPing(i);
    }
    // PUBLISH is a write: on a primary paused for a coordinated handover it would block this
    // link (and the PINGs behind it) until the pause ends.
    const paused = i.kind === 'master' && master.coordinated !== undefined && master.coordinated.pausedAt > 0;
    if (!paused && this.now - i.lastPubTime > this.timing.publishPeriod) this.sendHello(i, master);
  }

  private sendInfo(i: DataInstance, master: MasterState): void {
    this.send(i.link, [[this.cmd(master, 'INFO')]], {
      t: 'info',
      master: master.name,
      ...(i.kind === 'replica' ? { replica: i.name } : {}),
      addr: addrKey(i.addr),
    });
  }

  private sendHello(i: AnyInstance, master: MasterState): void {
    if (linkDisconnected(i.link, i.kind !== 'sentinel')) return;
    const addr = currentMasterAddr(master);
    const tail = helloTail({
      runId: this.myid,
      currentEpoch: this.currentEpoch,
      masterName: master.name,
      masterIp: addr.host,
      masterPort: addr.port,
      masterConfigEpoch: master.configEpoch,
    });
    const port = this.announcePort || this.port;
    const tag: ReplyTag = {
      t: 'publish',
      master: master.name,
      ...(i.kind === 'replica' ? { replica: i.name } : {}),
      ...(i.kind === 'sentinel' ? { sentinel: i.name } : {}),
    };
    i.link.pendingCommands++;
    this.out.push({
      kind: 'hello',
      link: i.link.id,
      announceIp: this.announceIp,
      port,
      tail,
      publishCommand: this.cmd(i.kind === 'sentinel' ? undefined : master, 'PUBLISH'),
      tag,
    });
  }

  /** Force a hello to every instance of this primary at the next tick. */
  forceHelloUpdate(m: MasterState): void {
    const back = this.timing.publishPeriod + 1;
    const bump = (i: { lastPubTime: number }) => {
      if (i.lastPubTime >= back) i.lastPubTime -= back;
    };
    bump(m);
    for (const s of m.sentinels.values()) bump(s);
    for (const r of m.replicas.values()) bump(r);
  }

  // ------------------------------------------------------------------ replies

  /** A reply arrived for a command sent with `tag`; `batch` is how many commands it closes. */
  reply(now: number, tag: ReplyTag, r: CoreReply, batch = 1): void {
    this.now = now;
    if (r.t === 'none') return;
    switch (tag.t) {
      case 'ping': {
        const links = this.linksById(tag.link);
        for (const l of links) l.pendingCommands = Math.max(0, l.pendingCommands - batch);
        this.onPingReply(tag.link, links, r);
        return;
      }
      case 'info': {
        const m = this.masters.get(tag.master);
        const i = tag.replica === undefined ? m : m?.replicas.get(tag.replica);
        if (!m || !i) return;
        i.link.pendingCommands = Math.max(0, i.link.pendingCommands - batch);
        // A reply still in flight when the primary changed address belongs to the old node.
        if (addrKey(i.addr) !== tag.addr) return;
        if (r.t === 'string') this.refreshInfo(i, m, r.v);
        if (m.coordinated && i === m.promoted) this.coordinatedProgress(m);
        this.actOnMaster(m);
        return;
      }
      case 'publish': {
        const m = this.masters.get(tag.master);
        if (!m) return;
        const i =
          tag.replica !== undefined
            ? m.replicas.get(tag.replica)
            : tag.sentinel !== undefined
              ? m.sentinels.get(tag.sentinel)
              : m;
        if (!i) return;
        i.link.pendingCommands = Math.max(0, i.link.pendingCommands - batch);
        if (r.t !== 'error') i.lastPubTime = now;
        return;
      }
      case 'coordinated-hz': {
        const m = this.masters.get(tag.master);
        const c = m?.coordinated;
        if (!m || !c) return;
        m.link.pendingCommands = Math.max(0, m.link.pendingCommands - batch);
        const get = r.t === 'array' ? r.v[0] : undefined;
        const hz = get?.t === 'array' && get.v[1]?.t === 'string' ? Number(get.v[1].v) : NaN;
        c.configuredHz = Number.isFinite(hz) && hz > 0 ? hz : undefined;
        c.hzRaisedAt = now;
        this.actOnMaster(m);
        return;
      }
      case 'coordinated-pause': {
        const m = this.masters.get(tag.master);
        if (!m) return;
        m.link.pendingCommands = Math.max(0, m.link.pendingCommands - batch);
        this.onCoordinatedPaused(m, r);
        return;
      }
      case 'is-master-down': {
        const m = this.masters.get(tag.master);
        const s = m?.sentinels.get(tag.sentinel);
        if (!m || !s) return;
        s.link.pendingCommands = Math.max(0, s.link.pendingCommands - batch);
        this.onIsMasterDownReply(s, r);
        this.actOnMaster(m);
        return;
      }
      case 'discard': {
        for (const l of this.linksById(tag.link)) l.pendingCommands = Math.max(0, l.pendingCommands - batch);
        return;
      }
      case 'demote': {
        const m = this.masters.get(tag.master);
        const i = m?.replicas.get(tag.replica);
        if (!m || !i) return;
        i.link.pendingCommands = Math.max(0, i.link.pendingCommands - batch);
        if (r.t !== 'error') this.event('notice', '+convert-to-slave', i, '');
        return;
      }
    }
  }

  private onPingReply(linkId: string, links: Link[], r: CoreReply): void {
    // Status replies arrive as 'status' or, from clients that do not tell them apart, 'string'.
    if (r.t !== 'status' && r.t !== 'error' && r.t !== 'string') {
      for (const l of links) l.lastPongTime = this.now;
      return;
    }
    const v = r.v;
    const valid = v.startsWith('PONG') || v.startsWith('LOADING') || v.startsWith('MASTERDOWN');
    for (const l of links) {
      if (valid) {
        l.lastAvailTime = this.now;
        l.actPingTime = 0;
      }
      l.lastPongTime = this.now;
    }
    for (const m of this.masters.values()) {
      const owners: DataInstance[] = [m, ...m.replicas.values()].filter((x) => x.link.id === linkId);
      for (const i of owners) {
        if (valid && i.kind === 'master' && i.masterReboot && v.startsWith('PONG')) i.masterReboot = false;
        if (!valid && v.startsWith('BUSY') && i.sDown && !i.scriptKillSent) {
          this.send(i.link, [[this.cmd(m, 'SCRIPT'), 'KILL']], { t: 'discard', link: i.link.id });
          i.scriptKillSent = true;
        }
      }
    }
  }

  // ------------------------------------------------------------------ INFO

  private ensureReplica(m: MasterState, addr: Addr): ReplicaState | undefined {
    const name = replicaName(addr);
    if (m.replicas.has(name)) return undefined;
    const r = newReplica(m, addr, this.now);
    m.replicas.set(name, r);
    return r;
  }

  private refreshInfo(i: DataInstance, m: MasterState, text: string): void {
    const info = parseInfo(text);
    i.info = text;
    if (i.kind === 'replica') i.masterLinkDownTime = 0;

    let wiped: string | undefined;
    if (info.runId !== undefined) {
      if (i.runId === undefined) {
        i.runId = info.runId;
      } else if (i.runId !== info.runId) {
        this.event('notice', '+reboot', i, '');
        if (i.kind === 'master' && info.role === 'master')
          wiped = this.wipedPrimary(i, info.masterReplId, info.masterReplOffset ?? 0);
        if (i.kind === 'replica') i.syncedSinceRestart = false;
        if (i.kind === 'master' && i.masterRebootDownAfterMs !== 0) {
          i.masterReboot = true;
          i.masterRebootSince = this.now;
        }
        i.runId = info.runId;
      }
    }

    if (i.kind === 'master') {
      for (const rl of info.replicas) {
        const r = this.ensureReplica(m, { host: rl.ip, port: rl.port });
        if (r) {
          this.event('notice', '+slave', r, '');
          this.flushConfig();
          this.reconnect(r, m);
        }
      }
    }

    const role = info.role;
    if (i.kind === 'replica') {
      i.masterLinkDownTime = info.masterLinkDownSinceMs;
      if (role === 'slave') {
        if (
          info.masterHost !== undefined &&
          (i.slaveMasterHost ?? '').toLowerCase() !== info.masterHost.toLowerCase()
        ) {
          i.slaveMasterHost = info.masterHost;
          i.slaveConfChangeTime = this.now;
        }
        if (info.masterPort !== undefined && i.slaveMasterPort !== info.masterPort) {
          i.slaveMasterPort = info.masterPort;
          i.slaveConfChangeTime = this.now;
        }
        if (info.masterLinkUp !== undefined) i.slaveMasterLinkUp = info.masterLinkUp;
        if (info.replicaPriority !== undefined) i.priority = info.replicaPriority;
        if (info.replicaReplOffset !== undefined) i.replOffset = info.replicaReplOffset;
        if (info.replicaAnnounced !== undefined) i.announced = info.replicaAnnounced;
        i.masterSyncInProgress = info.masterSyncInProgress ?? false;
      }
      i.masterReplId = info.masterReplId;
      i.masterReplId2 = info.masterReplId2;
      i.secondReplOffset = info.secondReplOffset;
      i.loading = info.loading ?? false;
      if (role === 'slave' && i.slaveMasterLinkUp && !i.masterSyncInProgress && !i.loading)
        i.syncedSinceRestart = true;
    }
    if (i.kind === 'master') {
      i.reportedReplicaOf =
        role === 'slave' && info.masterHost !== undefined && info.masterPort !== undefined
          ? { host: info.masterHost, port: info.masterPort }
          : undefined;
    }
    this.adoptCompletedHandover(m);
    if (wiped !== undefined && i.kind === 'master') {
      this.scheduleGuard(i, wiped, info.masterReplId);
    } else if (i.kind === 'master' && role === 'master' && info.masterReplId !== undefined) {
      const changed = i.replId !== info.masterReplId;
      i.replId = info.masterReplId;
      i.replOffset = info.masterReplOffset ?? i.replOffset;
      // The primary's history is part of what must survive a monitor restart.
      if (changed) this.flushConfig();
    }
    i.infoRefresh = this.now;

    // ---- acting half
    if (role !== undefined && role !== i.roleReported) {
      i.roleReportedTime = this.now;
      i.roleReported = role;
      if (role === 'slave' && i.kind === 'replica') i.slaveConfChangeTime = this.now;
      const coherent = (i.kind === 'master' ? 'master' : 'slave') === role;
      this.event('verbose', coherent ? '+role-change' : '-role-change', i, ` new reported role is ${role}`);
      // An unexpected role: look at the other side now (a handover may have completed without us).
      if (!coherent && i.kind === 'replica') this.sendInfo(m, m);
      if (!coherent && i.kind === 'master' && info.masterHost !== undefined) {
        const host = info.masterHost;
        const port = info.masterPort ?? 0;
        const x = [...m.replicas.values()].find((r) => addrEqual(r.addr, { host, port }));
        if (x) this.sendInfo(x, m);
      }
    }
    if (this.tilt) return;
    if (i.kind !== 'replica') return;

    // The first INFO since the failover decides: demote-on-sight applies only until then.
    const returning =
      i.demoteOnSight &&
      role === 'master' &&
      (i.replacedHistory === undefined || info.masterReplId === i.replacedHistory);
    if (role !== undefined) i.demoteOnSight = false;
    if (role === 'master') {
      if (i.promoted && failoverInProgress(m) && m.failoverState === 'wait_promotion') {
        this.onPromotionConfirmed(m, i);
      } else if (returning && !i.promoted && this.masterLooksSane(m)) {
        // The replaced primary, back and still taking writes: every write it acknowledges now
        // would be lost. (Salvaged first, then demoted.)
        this.demote(i, m);
      } else {
        const wait = this.timing.publishPeriod * 4;
        if (
          !i.promoted &&
          this.masterLooksSane(m) &&
          noDownFor(i, 0, this.now, wait) &&
          this.now - i.roleReportedTime > wait
        ) {
          if (this.sendReplicaOf(i, m, m.addr)) this.event('notice', '+convert-to-slave', i, '');
        }
      }
    }

    if (
      role === 'slave' &&
      (i.slaveMasterPort !== m.addr.port ||
        (i.slaveMasterHost ?? '').toLowerCase() !== m.addr.host.toLowerCase())
    ) {
      const wait = m.failoverTimeoutMs;
      if (
        this.masterLooksSane(m) &&
        noDownFor(i, 0, this.now, wait) &&
        this.now - i.slaveConfChangeTime > wait
      ) {
        if (this.sendReplicaOf(i, m, m.addr)) this.event('notice', '+fix-slave-config', i, '');
      }
    }

    if (role === 'slave' && (i.reconf === 'sent' || i.reconf === 'inprog')) {
      const p = m.promoted;
      if (
        i.reconf === 'sent' &&
        p !== undefined &&
        i.slaveMasterHost !== undefined &&
        i.slaveMasterHost.toLowerCase() === p.addr.host.toLowerCase() &&
        i.slaveMasterPort === p.addr.port
      ) {
        i.reconf = 'inprog';
        this.event('notice', '+slave-reconf-inprog', i, '');
      }
      if (i.reconf === 'inprog' && i.slaveMasterLinkUp) {
        i.reconf = 'done';
        this.event('notice', '+slave-reconf-done', i, '');
      }
    }
  }

  /**
   * A primary that rebooted holding less than its replicas (no persistence: empty, with a new
   * replication id; or an old snapshot: a smaller offset) would make them resync and lose what
   * it lost. Returns why, or undefined when it came back whole.
   */
  private wipedPrimary(m: MasterState, replId: string | undefined, offset: number): string | undefined {
    if (m.replId === undefined || this.tilt || failoverInProgress(m)) return undefined;
    const holders = [...m.replicas.values()].filter(
      (r) => r.masterReplId === m.replId && r.syncedSinceRestart && r.priority > 0,
    );
    if (holders.length === 0) return undefined;
    const best = Math.max(...holders.map((r) => r.replOffset));
    if (replId !== m.replId) {
      return `it restarted with a new replication id ${replId ?? '?'} (its history ${m.replId} is only on its replicas, up to offset ${best})`;
    }
    if (offset < best) return `it restarted at offset ${offset}, behind its replicas at ${best}`;
    return undefined;
  }

  /**
   * Every monitor sees the wiped reboot at about the same moment: like ODOWN, the start is
   * staggered by rank so the first asker gets the votes (see FAILOVER_START_STAGGER).
   */
  private scheduleGuard(m: MasterState, why: string, newReplId: string | undefined): void {
    let rank = 0;
    const me = this.myid.toLowerCase();
    for (const s of m.sentinels.values()) if (!s.sDown && s.runId.toLowerCase() < me) rank++;
    m.guardPending = {
      why,
      newReplId,
      at: this.now + rank * FAILOVER_START_STAGGER + Math.floor(this.rand() * FAILOVER_START_JITTER),
    };
    this.event('warning', '+wiped-primary', m, ` ${why}`);
    this.maybeStartGuard(m);
  }

  private maybeStartGuard(m: MasterState): void {
    const g = m.guardPending;
    if (!g || this.now < g.at) return;
    m.guardPending = undefined;
    // Someone else may have started already (we voted for it): then nothing to do here.
    if (failoverInProgress(m) || this.now - m.failoverStartTime < m.failoverTimeoutMs * 2) return;
    this.startGuardFailover(m, g.why, g.newReplId);
  }

  /** Promote the best replica now, before the replicas resync from a primary that lost data. */
  private startGuardFailover(m: MasterState, why: string, newReplId: string | undefined): void {
    this.log(
      'warning',
      `Primary ${m.name} came back without its data (${why}). Promoting its best replica before the replicas resync from it and lose their copy.`,
    );
    m.guard = true;
    this.startFailover(m);
    // What it accepted since its restart can still be salvaged, from its new history.
    m.guardFork = newReplId !== undefined ? { replId: newReplId, offset: 1 } : undefined;
    this.askOthers(m, true);
    this.failoverStep(m);
  }

  private replicatesFrom(r: ReplicaState, a: Addr): boolean {
    return r.slaveMasterPort === a.port && (r.slaveMasterHost ?? '').toLowerCase() === a.host.toLowerCase();
  }

  /**
   * SLAVEOF the current primary; +convert-to-slave is published when the node answers. When the
   * node may hold writes from after the fork, they are salvaged first (see node/salvage.ts).
   */
  private demote(r: ReplicaState, m: MasterState): void {
    const tag: ReplyTag = { t: 'demote', master: m.name, replica: r.name };
    if (r.salvageRunning) return;
    if (r.salvageFrom) {
      r.salvageRunning = true;
      this.out.push({
        kind: 'salvage',
        master: m.name,
        replica: r.name,
        link: r.link.id,
        from: r.addr,
        to: m.addr,
        auth: { user: m.authUser, pass: m.authPass },
        replId: r.salvageFrom.replId,
        offset: r.salvageFrom.offset,
        demote: this.replicaOfCommands(m, m.addr),
        tag,
      });
      return;
    }
    this.sendReplicaOf(r, m, m.addr, tag);
  }

  /** The shell reports how a salvage ended. */
  salvageDone(
    now: number,
    master: string,
    replica: string,
    res: {
      outcome: 'continued' | 'refused' | 'unreachable';
      replayed: number;
      failed: number;
      detail: string;
    },
  ): void {
    this.now = now;
    const m = this.masters.get(master);
    const r = m?.replicas.get(replica);
    if (!m || !r) return;
    r.salvageRunning = false;
    if (res.outcome === 'unreachable') return; // tried again when a link to it opens
    const from = r.salvageFrom;
    r.salvageFrom = undefined;
    if (res.outcome === 'continued') {
      this.event(
        res.failed > 0 ? 'warning' : 'notice',
        '+salvage',
        r,
        ` ${res.replayed} writes replayed on ${m.addr.host}:${m.addr.port}${res.failed ? `, ${res.failed} refused` : ''}`,
      );
    } else {
      this.event(
        'warning',
        '-salvage',
        r,
        ` cannot read its writes after ${from?.replId ?? '?'}:${from?.offset ?? '?'} (${res.detail}); it was demoted anyway`,
      );
    }
  }

  private masterLooksSane(m: MasterState): boolean {
    return (
      m.roleReported === 'master' &&
      !m.sDown &&
      !m.oDown &&
      this.now - m.infoRefresh < this.timing.infoPeriod * 2
    );
  }

  private onPromotionConfirmed(m: MasterState, r: ReplicaState): void {
    const coordinated = m.coordinated !== undefined;
    if (coordinated) this.finishCoordinated(m, r);
    m.configEpoch = m.failoverEpoch;
    m.failoverState = 'reconf_slaves';
    m.failoverStateChangeTime = this.now;
    this.flushConfig();
    this.event('warning', '+promoted-slave', r, '');
    if (this.simFailure.crashAfterPromotion) this.crash('SENTINEL simulate-failure crash-after-promotion');
    this.event('warning', '+failover-state-reconf-slaves', m, '');
    this.clientReconfScript(m, 'leader', m.addr, r.addr);
    this.forceHelloUpdate(m);
    // Tell the peers and the data nodes now, not at the next timer run.
    for (const i of [m, ...m.sentinels.values(), ...m.replicas.values()]) {
      if (i === m && m.coordinated) continue;
      this.sendHello(i, m);
    }
    if (coordinated) {
      // The old primary already replicates from the new one (FAILOVER did it): repoint every
      // other replica now and announce the new configuration at once, so clients that ask this
      // monitor (SENTINEL MASTERS included) are sent to the new primary without delay.
      for (const x of m.replicas.values()) {
        if (x === r || linkDisconnected(x.link, true)) continue;
        if (this.sendReplicaOf(x, m, r.addr)) {
          x.reconf = 'sent';
          x.reconfSentTime = this.now;
          this.event('notice', '+slave-reconf-sent', x, '');
        }
      }
      this.event('warning', '+failover-end', m, '');
      m.failoverState = 'update_config';
      m.failoverStateChangeTime = this.now;
      this.switchToPromoted(m);
    }
  }

  // ------------------------------------------------------------------ hello

  /** A hello payload received on a data node's pub/sub channel or by PUBLISH to this monitor. */
  hello(now: number, payload: string): void {
    this.now = now;
    if (payload.includes(this.myid)) return;
    const h = parseHello(payload);
    if (!h) return;
    const m = this.masters.get(h.masterName);
    if (!m) return;
    const addr = { host: h.ip, port: h.port };
    let si = [...m.sentinels.values()].find((s) => s.runId === h.runId && addrEqual(s.addr, addr));
    if (!si) {
      const removed = this.removePeerByRunId(m, h.runId);
      if (removed) {
        this.event('notice', '+sentinel-address-switch', m, ` ip ${h.ip} port ${h.port} for ${h.runId}`);
      } else {
        const other = [...m.sentinels.values()].find((s) => addrEqual(s.addr, addr));
        if (other) {
          this.event('notice', '+sentinel-invalid-addr', other, '');
          for (const mm of this.masters.values()) this.removePeerByRunId(mm, other.runId);
        }
      }
      si = this.addPeer(m, addr, h.runId);
      if (!removed) this.event('notice', '+sentinel', si, '');
      this.flushConfig();
      // Link up at once rather than at the next timer run: votes may be needed any moment.
      this.reconnect(si, m);
    }
    if (h.currentEpoch > this.currentEpoch) {
      this.currentEpoch = h.currentEpoch;
      this.flushConfig();
      this.event('warning', '+new-epoch', m, `${this.currentEpoch}`, true);
    }
    if (m.configEpoch < h.masterConfigEpoch) {
      m.configEpoch = h.masterConfigEpoch;
      // Compare with where clients are sent now: mid-failover that is our promoted replica, and
      // a newer configuration naming the old address must still win (and end our failover).
      const cur = currentMasterAddr(m);
      const differs = h.masterPort !== cur.port || h.masterIp.toLowerCase() !== cur.host.toLowerCase();
      if (differs) {
        this.event('warning', '+config-update-from', si, '');
        this.event(
          'warning',
          '+switch-master',
          m,
          `${m.name} ${cur.host} ${cur.port} ${h.masterIp} ${h.masterPort}`,
          true,
        );
        const old = cur;
        this.resetMasterAndChangeAddress(m, { host: h.masterIp, port: h.masterPort });
        this.clientReconfScript(m, 'observer', old, m.addr);
      }
    }
    si.lastHelloTime = now;
  }

  private addPeer(m: MasterState, addr: Addr, runId: string): PeerState {
    // Links to the same peer monitor are shared across primaries.
    let link: Link | undefined;
    for (const mm of this.masters.values()) {
      const p = mm.sentinels.get(runId);
      if (p && mm !== m) {
        link = p.link;
        break;
      }
    }
    if (link) link.refcount++;
    else link = newLink(`sentinel:${runId}`, this.now);
    const p = newPeer(m, addr, runId, link, this.now);
    m.sentinels.set(runId, p);
    return p;
  }

  private removePeerByRunId(m: MasterState, runId: string): number {
    const p = m.sentinels.get(runId);
    if (!p) return 0;
    m.sentinels.delete(runId);
    p.link.refcount--;
    if (p.link.refcount <= 0) this.closeLink(p.link, 'both');
    return 1;
  }

  // ------------------------------------------------------------------ down detection

  private checkSubjectivelyDown(i: AnyInstance): void {
    const l = i.link;
    let elapsed = 0;
    if (l.actPingTime) elapsed = this.now - l.actPingTime;
    else if (linkDisconnected(l, i.kind !== 'sentinel')) elapsed = this.now - l.lastAvailTime;

    if (
      l.cc &&
      this.now - l.ccConnTime > this.timing.minLinkReconnectPeriod &&
      l.actPingTime !== 0 &&
      this.now - l.actPingTime > i.downAfterMs / 2 &&
      this.now - l.lastPongTime > i.downAfterMs / 2
    ) {
      this.closeLink(l, 'cc');
    }
    if (
      l.pc &&
      this.now - l.pcConnTime > this.timing.minLinkReconnectPeriod &&
      this.now - l.pcLastActivity > this.timing.publishPeriod * 3
    ) {
      this.closeLink(l, 'pc');
    }

    const roleMismatch =
      i.kind === 'master' &&
      i.roleReported === 'slave' &&
      this.now - i.roleReportedTime > i.downAfterMs + this.timing.infoPeriod * 2;
    const rebootDown =
      i.kind === 'master' && i.masterReboot && this.now - i.masterRebootSince > i.masterRebootDownAfterMs;
    if (elapsed > i.downAfterMs || roleMismatch || rebootDown) {
      if (!i.sDown) {
        this.event('warning', '+sdown', i, '');
        i.sDownSince = this.now;
        i.sDown = true;
        if (i.kind === 'master') for (const r of i.replicas.values()) this.sendInfo(r, i);
      }
    } else if (i.sDown) {
      this.event('warning', '-sdown', i, '');
      i.sDown = false;
      if (i.kind !== 'sentinel') i.scriptKillSent = false;
    }
  }

  private checkObjectivelyDown(m: MasterState): void {
    let quorum = 0;
    let odown = false;
    if (m.sDown) {
      quorum = 1;
      for (const s of m.sentinels.values()) if (s.masterDown) quorum++;
      if (quorum >= m.quorum) odown = true;
    }
    if (odown) {
      if (!m.oDown) {
        this.event('warning', '+odown', m, ` #quorum ${quorum}/${m.quorum}`);
        m.oDown = true;
        m.oDownSince = this.now;
        m.startDelay = this.failoverStartDelay(m);
      }
    } else if (m.oDown) {
      this.event('warning', '-odown', m, '');
      m.oDown = false;
    }
  }

  private askOthers(m: MasterState, forced: boolean): void {
    for (const s of m.sentinels.values()) {
      if (this.now - s.lastMasterDownReplyTime > this.timing.askPeriod * 5) {
        s.masterDown = false;
        s.leader = undefined;
      }
      if (!m.sDown && !m.guard && !(m.coordinated && m.failoverState === 'wait_start')) continue;
      if (!s.link.cc || s.link.pendingCommands >= MAX_PENDING_COMMANDS) continue;
      const period = s.masterDown ? this.timing.askPeriod : Math.min(FAST_ASK_PERIOD, this.timing.askPeriod);
      if (!forced && this.now - s.lastMasterDownReplyTime < period) continue;
      this.send(
        s.link,
        [
          [
            'SENTINEL',
            'is-master-down-by-addr',
            m.addr.host,
            String(m.addr.port),
            String(this.currentEpoch),
            failoverInProgress(m) ? this.myid : '*',
          ],
        ],
        { t: 'is-master-down', master: m.name, sentinel: s.name },
      );
    }
  }

  private onIsMasterDownReply(s: PeerState, r: CoreReply): void {
    if (r.t !== 'array' || r.v.length !== 3) return;
    const [down, leader, epoch] = r.v as [CoreReply, CoreReply, CoreReply];
    if (down.t !== 'int' || leader.t !== 'string' || epoch.t !== 'int') return;
    s.lastMasterDownReplyTime = this.now;
    s.masterDown = down.v === 1;
    if (leader.v !== '*') {
      if (s.leaderEpoch !== epoch.v) this.log('warning', `${s.name} voted for ${leader.v} ${epoch.v}`);
      s.leader = leader.v;
      s.leaderEpoch = epoch.v;
    }
  }

  // ------------------------------------------------------------------ votes

  /** Sentinel's sentinelVoteLeader: vote once per epoch, persisting before the reply leaves. */
  voteLeader(
    m: MasterState,
    reqEpoch: number,
    reqRunId: string,
  ): { leader: string | undefined; epoch: number } {
    if (reqEpoch > this.currentEpoch) {
      this.currentEpoch = reqEpoch;
      this.flushConfig();
      this.event('warning', '+new-epoch', m, `${this.currentEpoch}`, true);
    }
    if (m.leaderEpoch < reqEpoch && this.currentEpoch <= reqEpoch) {
      m.leader = reqRunId;
      m.leaderEpoch = this.currentEpoch;
      this.flushConfig();
      this.event('warning', '+vote-for-leader', m, `${m.leader} ${m.leaderEpoch}`, true);
      if (m.leader.toLowerCase() !== this.myid.toLowerCase()) {
        m.failoverStartTime = this.now + Math.floor(this.rand() * MAX_DESYNC);
      }
    }
    return { leader: m.leader, epoch: m.leaderEpoch };
  }

  /** SENTINEL IS-MASTER-DOWN-BY-ADDR, answered from our own view. */
  isMasterDownByAddr(
    now: number,
    host: string,
    port: number,
    reqEpoch: number,
    runId: string,
  ): { down: boolean; leader: string; epoch: number } {
    this.now = now;
    const m = [...this.masters.values()].find((x) => addrEqual(x.addr, { host, port }));
    const down = !this.tilt && m !== undefined && m.sDown;
    let leader: string | undefined;
    let epoch = 0;
    if (m && runId !== '*') {
      const v = this.voteLeader(m, reqEpoch, runId);
      leader = v.leader;
      epoch = v.epoch;
    }
    return { down, leader: leader ?? '*', epoch };
  }

  private getLeader(m: MasterState, epoch: number): string | undefined {
    const counters = new Map<string, number>();
    const voters = m.sentinels.size + 1;
    for (const s of m.sentinels.values()) {
      // Only votes cast in the failover's own epoch count (Sentinel compares with the current
      // epoch, which a later epoch may have moved past: two leaders for one failover epoch).
      if (s.leader !== undefined && s.leaderEpoch === epoch) {
        counters.set(s.leader, (counters.get(s.leader) ?? 0) + 1);
      }
    }
    let winner: string | undefined;
    let maxVotes = 0;
    for (const [id, votes] of counters) {
      if (votes > maxVotes) {
        maxVotes = votes;
        winner = id;
      }
    }
    const mine = this.voteLeader(m, epoch, winner ?? this.myid);
    if (mine.leader !== undefined && mine.epoch === epoch) {
      const votes = (counters.get(mine.leader) ?? 0) + 1;
      counters.set(mine.leader, votes);
      if (votes > maxVotes) {
        maxVotes = votes;
        winner = mine.leader;
      }
    }
    const majority = Math.floor(voters / 2) + 1;
    if (winner !== undefined && (maxVotes < majority || maxVotes < m.quorum)) winner = undefined;
    return winner;
  }

  // ------------------------------------------------------------------ failover

  private startFailover(m: MasterState): void {
    m.failoverState = 'wait_start';
    m.failoverEpoch = ++this.currentEpoch;
    this.event('warning', '+new-epoch', m, `${this.currentEpoch}`, true);
    this.event('warning', '+try-failover', m, '');
    m.failoverStartTime = this.now + Math.floor(this.rand() * MAX_DESYNC);
    m.failoverStateChangeTime = this.now;
  }

  /** This monitor's place among those that see the primary down, by id, as a start delay. */
  private failoverStartDelay(m: MasterState): number {
    let rank = 0;
    const me = this.myid.toLowerCase();
    for (const s of m.sentinels.values()) {
      if (s.masterDown && !s.sDown && s.runId.toLowerCase() < me) rank++;
    }
    return rank * FAILOVER_START_STAGGER + Math.floor(this.rand() * FAILOVER_START_JITTER);
  }

  private startFailoverIfNeeded(m: MasterState): boolean {
    if (!m.oDown) return false;
    if (failoverInProgress(m)) return false;
    if (this.now - m.oDownSince < m.startDelay) return false;
    if (this.now - m.failoverStartTime < m.failoverTimeoutMs * 2) {
      if (m.failoverDelayLogged !== m.failoverStartTime) {
        m.failoverDelayLogged = m.failoverStartTime;
        const at = new Date(m.failoverStartTime + m.failoverTimeoutMs * 2).toUTCString();
        this.log('warning', `Next failover delay: I will not start a failover before ${at}`);
      }
      return false;
    }
    this.startFailover(m);
    return true;
  }

  /** SENTINEL FAILOVER: a forced failover that needs no agreement. */
  forceFailover(now: number, m: MasterState): StartFailoverResult {
    this.now = now;
    if (failoverInProgress(m)) return 'inprog';
    if (selectReplica(m, this.timing, now) === undefined) return 'nogoodslave';
    this.log('warning', `Executing user requested FAILOVER of '${m.name}'`);
    this.startFailover(m);
    m.forceFailover = true;
    return 'ok';
  }

  /** Run the failover state machine until it waits on something (a reply, a timeout). */
  /**
   * SENTINEL FAILOVER <name> COORDINATED: a planned switchover that loses no acknowledged write.
   * Unlike a plain SENTINEL FAILOVER it wins an election first (no other monitor can race it),
   * then pauses writes on the primary and hands over with Redis's FAILOVER command, so the
   * target has every acknowledged write before it takes over.
   */
  startCoordinated(
    now: number,
    m: MasterState,
    opts: { to?: Addr | undefined; timeoutMs?: number | undefined },
  ): CoordinatedResult {
    this.now = now;
    if (failoverInProgress(m)) return { ok: false, error: 'INPROG Failover already in progress' };
    if (m.sDown)
      return {
        ok: false,
        error: `ERR the primary of ${m.name} is down: a coordinated switchover needs it; use SENTINEL FAILOVER ${m.name}`,
      };
    const list = candidates(m, this.timing, now);
    let target: ReplicaState | undefined;
    if (opts.to) {
      const to = opts.to;
      const c = list.find((x) => addrEqual(x.replica.addr, to));
      if (!c) return { ok: false, error: `ERR ${to.host}:${to.port} is not a known replica of ${m.name}` };
      if (!c.eligible)
        return { ok: false, error: `NOGOODSLAVE ${c.replica.name} cannot take over: it ${c.reason}` };
      target = c.replica;
    } else {
      target = list.find((c) => c.rank === 1)?.replica;
      if (!target) {
        const why = list.map((c) => `${c.replica.name} ${c.reason}`).join('; ');
        return { ok: false, error: `NOGOODSLAVE No suitable replica to promote${why ? `: ${why}` : ''}` };
      }
    }
    const timeoutMs =
      opts.timeoutMs ??
      Math.min(COORDINATED_MAX_TIMEOUT, Math.max(COORDINATED_MIN_TIMEOUT, Math.floor(m.downAfterMs / 2)));
    this.log('warning', `Executing user requested COORDINATED FAILOVER of '${m.name}' to ${target.name}`);
    m.coordinated = {
      to: target.addr,
      timeoutMs,
      pausedAt: 0,
      pausedOffset: -1,
      handedOver: false,
      configuredHz: undefined,
      hzRaisedAt: 0,
      adopted: false,
      lastPoll: 0,
    };
    // Redis refreshes its clock only in its cron (10 Hz by default), which delays FAILOVER's
    // own timeout by up to 100 ms: the primary runs at hz 100 for the switchover, set now so
    // the faster cron is in effect by the time writes are paused. Restored at the end.
    this.send(
      m.link,
      [
        [this.cmd(m, 'MULTI')],
        [this.cmd(m, 'CONFIG'), 'GET', 'hz'],
        [this.cmd(m, 'CONFIG'), 'SET', 'hz', String(HANDOVER_HZ)],
        [this.cmd(m, 'EXEC')],
      ],
      { t: 'coordinated-hz', master: m.name },
    );
    this.startFailover(m);
    this.askOthers(m, true);
    this.failoverStep(m);
    return { ok: true, target: target.name, timeoutMs };
  }

  private failoverStep(m: MasterState): void {
    for (let n = 0; n < 8; n++) {
      const before = m.failoverState;
      this.failoverStepOnce(m);
      if (m.failoverState === before || m.failoverState === 'none' || m.failoverState === 'update_config')
        return;
    }
  }

  private failoverStepOnce(m: MasterState): void {
    // The primary answers again and nothing has been promoted yet: promoting now would only
    // create a second primary. (A user-requested SENTINEL FAILOVER goes on.)
    if (
      !m.forceFailover &&
      !m.guard &&
      !m.coordinated &&
      !m.sDown &&
      (m.failoverState === 'wait_start' ||
        m.failoverState === 'select_slave' ||
        m.failoverState === 'send_slaveof_noone')
    ) {
      this.event('warning', '-failover-abort-master-recovered', m, '');
      this.abortFailover(m);
      return;
    }
    switch (m.failoverState) {
      case 'none':
      case 'update_config':
        return;
      case 'wait_start':
        return this.failoverWaitStart(m);
      case 'select_slave':
        return this.failoverSelectSlave(m);
      case 'send_slaveof_noone':
        return this.failoverSendSlaveOfNoOne(m);
      case 'wait_promotion':
        if (m.coordinated) {
          const c = m.coordinated;
          const target = m.promoted;
          if (target?.sDown) return this.abortCoordinated(m, `the target ${target.name} went down`);
          if (this.now - c.pausedAt > c.timeoutMs + COORDINATED_MIN_TIMEOUT) {
            return this.abortCoordinated(
              m,
              `the target did not take over within ${c.timeoutMs} ms (not caught up?)`,
            );
          }
          if (
            target &&
            this.now - c.lastPoll >= COORDINATED_POLL_PERIOD &&
            target.link.pendingCommands === 0
          ) {
            c.lastPoll = this.now;
            this.sendInfo(target, m);
          }
          return;
        }
        if (this.now - m.failoverStateChangeTime > m.failoverTimeoutMs) {
          this.event('warning', '-failover-abort-slave-timeout', m, '');
          this.abortFailover(m);
        }
        return;
      case 'reconf_slaves':
        return this.failoverReconfNextSlave(m);
    }
  }

  private failoverWaitStart(m: MasterState): void {
    if (this.currentEpoch > m.failoverEpoch && !m.forceFailover) {
      // Another monitor has started a newer epoch: this election cannot be trusted any more.
      this.event('warning', '-failover-abort-not-elected', m, '');
      this.abortFailover(m);
      return;
    }
    const leader = this.getLeader(m, m.failoverEpoch);
    const isLeader = leader !== undefined && leader.toLowerCase() === this.myid.toLowerCase();
    if (!isLeader && !m.forceFailover) {
      const electionTimeout = Math.min(this.timing.electionTimeout, m.failoverTimeoutMs);
      if (this.now - m.failoverStartTime > electionTimeout) {
        this.event('warning', '-failover-abort-not-elected', m, '');
        this.abortFailover(m);
      }
      return;
    }
    this.event('warning', '+elected-leader', m, '');
    if (this.simFailure.crashAfterElection) this.crash('SENTINEL simulate-failure crash-after-election');
    m.failoverState = 'select_slave';
    m.failoverStateChangeTime = this.now;
    this.event('warning', '+failover-state-select-slave', m, '');
  }

  private failoverSelectSlave(m: MasterState): void {
    const to = m.coordinated?.to;
    const r = to
      ? candidates(m, this.timing, this.now).find((c) => c.eligible && addrEqual(c.replica.addr, to))?.replica
      : selectReplica(m, this.timing, this.now);
    if (!r && this.now - m.failoverStateChangeTime < SELECT_FRESH_INFO_WAIT) {
      // Refused only for stale INFO? Ask again and decide on fresh facts, briefly.
      const stale = sentinelCandidates(m, this.timing, this.now).filter((c) =>
        c.reason.startsWith('INFO is'),
      );
      if (stale.length > 0) {
        for (const c of stale) if (c.replica.link.pendingCommands === 0) this.sendInfo(c.replica, m);
        return;
      }
    }
    if (!r) {
      this.event('warning', '-failover-abort-no-good-slave', m, '');
      // Say why, replica by replica: an operator woken by this needs to know what to fix.
      const refused = candidates(m, this.timing, this.now);
      for (const c of refused) this.event('warning', '-failover-refused-replica', c.replica, ` ${c.reason}`);
      this.log(
        'warning',
        `No replica of ${m.name} can be promoted safely: ${
          refused.length === 0
            ? 'it has no known replicas'
            : refused.map((c) => `${c.replica.name} ${c.reason}`).join('; ')
        }.${m.failoverPolicy === 'safe' ? ` To promote regardless of data loss: SENTINEL SET ${m.name} failover-policy available.` : ''}`,
      );
      this.abortFailover(m);
      return;
    }
    this.event('warning', '+selected-slave', r, '');
    const skipped = candidates(m, this.timing, this.now).filter((c) => !c.eligible);
    if (skipped.length > 0) {
      this.log(
        'notice',
        `Promoting ${r.name}; passed over: ${skipped.map((c) => `${c.replica.name} ${c.reason}`).join('; ')}`,
      );
    }
    r.promoted = true;
    m.promoted = r;
    m.failoverState = 'send_slaveof_noone';
    m.failoverStateChangeTime = this.now;
    this.event('notice', '+failover-state-send-slaveof-noone', r, '');
  }

  private failoverSendSlaveOfNoOne(m: MasterState): void {
    const r = m.promoted;
    if (!r) return;
    if (linkDisconnected(r.link, true)) {
      if (this.now - m.failoverStateChangeTime > m.failoverTimeoutMs) {
        this.event('warning', '-failover-abort-slave-timeout', m, '');
        this.abortFailover(m);
      }
      return;
    }
    if (m.coordinated) {
      if (!this.sendCoordinatedHandover(m, r)) return;
    } else if (!this.sendReplicaOf(r, m, undefined)) return;
    this.event('notice', '+failover-state-wait-promotion', r, '');
    m.failoverState = 'wait_promotion';
    m.failoverStateChangeTime = this.now;
    // INFO on the same connection runs right after the promotion: its reply confirms the new
    // role at once, where Sentinel waits for the next once-a-second INFO.
    this.sendInfo(r, m);
  }

  /**
   * First half of the handover: MULTI; CLIENT PAUSE <t> WRITE; INFO replication; EXEC. Writes
   * stop, and the reply tells the offset every acknowledged write lies within.
   */
  private sendCoordinatedHandover(m: MasterState, r: ReplicaState): boolean {
    const c = m.coordinated;
    if (c?.adopted) {
      c.pausedAt = this.now;
      c.pausedOffset = 0;
      c.handedOver = true;
      return true;
    }
    if (!c || linkDisconnected(m.link, false)) return false;
    // Pause only once the primary's faster cron is in effect (one old cron period after the
    // CONFIG SET), unless that confirmation is long overdue.
    const oldPeriod = 1000 / (c.configuredHz ?? 10);
    const waited = this.now - m.failoverStateChangeTime;
    if ((c.hzRaisedAt === 0 || this.now - c.hzRaisedAt < oldPeriod + 5) && waited < COORDINATED_MAX_TIMEOUT)
      return false;
    const t = String(c.timeoutMs);
    const ok = this.send(
      m.link,
      [
        [this.cmd(m, 'MULTI')],
        [this.cmd(m, 'CLIENT'), 'PAUSE', t, 'WRITE'],
        [this.cmd(m, 'INFO'), 'replication'],
        [this.cmd(m, 'EXEC')],
      ],
      { t: 'coordinated-pause', master: m.name },
    );
    if (ok) {
      c.pausedAt = this.now;
      this.event('warning', '+coordinated-handover', r, ` writes paused on the primary for at most ${t} ms`);
    }
    return ok;
  }

  private onCoordinatedPaused(m: MasterState, r: CoreReply): void {
    const c = m.coordinated;
    if (!c || r.t !== 'array') return;
    const info = r.v[1];
    if (info?.t !== 'string') return;
    c.pausedOffset = parseInfo(info.v).masterReplOffset ?? -1;
    this.coordinatedProgress(m);
  }

  /**
   * Second half: once the target has processed everything up to the paused offset, FAILOVER TO
   * it with FORCE. Redis's FAILOVER waits for the replica's next once-a-second ACK to learn
   * what we already know from its INFO; FORCE (after 1 ms) skips that wait, safely, because
   * the target has been seen to hold every write. FAILOVER then completes the switch on the
   * nodes themselves, even if this monitor dies now.
   */
  private coordinatedProgress(m: MasterState): void {
    const c = m.coordinated;
    const r = m.promoted;
    if (!c || !r || c.handedOver || c.pausedOffset < 0) return;
    if (r.replOffset < c.pausedOffset) return;
    c.handedOver = true;
    this.send(
      m.link,
      [[this.cmd(m, 'FAILOVER'), 'TO', r.addr.host, String(r.addr.port), 'TIMEOUT', '1', 'FORCE']],
      { t: 'discard', link: m.link.id },
    );
  }

  private restoreHz(m: MasterState): string[][] {
    const hz = m.coordinated?.configuredHz;
    return hz === undefined ? [] : [[this.cmd(m, 'CONFIG'), 'SET', 'hz', String(hz)]];
  }

  /** At the switch: disconnect the clients of both nodes, so they ask a monitor again, and unpause. */
  private finishCoordinated(m: MasterState, promoted: ReplicaState): void {
    const restore = this.restoreHz(m);
    const batch = (link: Link, first: string[][]) =>
      this.send(
        link,
        [
          [this.cmd(m, 'MULTI')],
          ...first,
          [this.cmd(m, 'CONFIG'), 'REWRITE'],
          [this.cmd(m, 'CLIENT'), 'KILL', 'TYPE', 'normal'],
          [this.cmd(m, 'CLIENT'), 'KILL', 'TYPE', 'pubsub'],
          [this.cmd(m, 'CLIENT'), 'UNPAUSE'],
          [this.cmd(m, 'EXEC')],
        ],
        { t: 'discard', link: link.id },
      );
    batch(m.link, restore);
    batch(promoted.link, []);
  }

  /**
   * The primary now replicates from one of its replicas, which reports itself a primary holding
   * the old primary's history: a coordinated handover completed on the nodes (FAILOVER does
   * that by itself) but the monitor that led it died before updating the configuration. Finish
   * it from what the nodes show: elect a leader for a new epoch, keep that replica, disconnect
   * the clients still on the old primary, and announce the new configuration.
   */
  private adoptCompletedHandover(m: MasterState): void {
    if (this.tilt || failoverInProgress(m) || m.roleReported !== 'slave' || !m.reportedReplicaOf) return;
    const to = m.reportedReplicaOf;
    const x = [...m.replicas.values()].find((r) => addrEqual(r.addr, to));
    if (!x || x.roleReported !== 'master' || x.sDown) return;
    const continues = m.replId !== undefined && (x.masterReplId2 === m.replId || x.masterReplId === m.replId);
    if (!continues) return;
    this.event(
      'warning',
      '+failover-adopted',
      x,
      ` took over from the primary without a configuration update; completing it`,
    );
    m.coordinated = {
      to: x.addr,
      timeoutMs: COORDINATED_MAX_TIMEOUT,
      pausedAt: 0,
      pausedOffset: -1,
      handedOver: false,
      configuredHz: undefined,
      hzRaisedAt: this.now,
      adopted: true,
      lastPoll: 0,
    };
    this.startFailover(m);
    this.askOthers(m, true);
    this.failoverStep(m);
  }

  /** The handover did not happen: cancel it and let the primary take writes again. */
  private abortCoordinated(m: MasterState, reason: string): void {
    this.send(
      m.link,
      [
        [this.cmd(m, 'FAILOVER'), 'ABORT'],
        [this.cmd(m, 'CLIENT'), 'UNPAUSE'],
      ],
      { t: 'discard', link: m.link.id },
    );
    this.event(
      'warning',
      '-failover-abort-coordinated',
      m,
      ` ${reason}; the primary stays and takes writes again`,
    );
    this.abortFailover(m);
  }

  private failoverReconfNextSlave(m: MasterState): void {
    const promoted = m.promoted;
    if (!promoted) return;
    let inProgress = 0;
    for (const r of m.replicas.values()) if (r.reconf === 'sent' || r.reconf === 'inprog') inProgress++;
    // Under the wiped-primary guard every replica is repointed at once: waiting is being wiped.
    const parallel = m.guard ? Number.POSITIVE_INFINITY : m.parallelSyncs;
    for (const r of m.replicas.values()) {
      if (inProgress >= parallel) break;
      if (r.promoted || r.reconf === 'done') continue;
      if (r.reconf === 'sent' && this.now - r.reconfSentTime > this.timing.slaveReconfTimeout) {
        this.event('notice', '-slave-reconf-sent-timeout', r, '');
        r.reconf = 'done';
      }
      if (r.reconf === 'sent' || r.reconf === 'inprog' || r.reconf === 'done') continue;
      if (linkDisconnected(r.link, true)) continue;
      if (this.sendReplicaOf(r, m, promoted.addr)) {
        r.reconf = 'sent';
        r.reconfSentTime = this.now;
        this.event('notice', '+slave-reconf-sent', r, '');
        inProgress++;
      }
    }
    this.failoverDetectEnd(m);
  }

  private failoverDetectEnd(m: MasterState): void {
    const promoted = m.promoted;
    if (!promoted || promoted.sDown) return;
    let notReconfigured = 0;
    for (const r of m.replicas.values()) {
      if (r.promoted || r.reconf === 'done') continue;
      if (r.sDown) continue;
      notReconfigured++;
    }
    let timeout = false;
    if (this.now - m.failoverStateChangeTime > m.failoverTimeoutMs) {
      notReconfigured = 0;
      timeout = true;
      this.event('warning', '+failover-end-for-timeout', m, '');
    }
    if (notReconfigured === 0) {
      this.event('warning', '+failover-end', m, '');
      m.failoverState = 'update_config';
      m.failoverStateChangeTime = this.now;
    }
    if (timeout) {
      for (const r of m.replicas.values()) {
        if (r.promoted || r.reconf === 'done' || r.reconf === 'sent') continue;
        if (linkDisconnected(r.link, true)) continue;
        if (this.sendReplicaOf(r, m, promoted.addr)) {
          this.event('notice', '+slave-reconf-sent-be', r, '');
          r.reconf = 'sent';
        }
      }
    }
  }

  private abortFailover(m: MasterState): void {
    m.coordinated = undefined;
    m.guard = false;
    m.guardFork = undefined;
    m.failoverState = 'none';
    m.forceFailover = false;
    m.failoverStateChangeTime = this.now;
    if (m.promoted) {
      m.promoted.promoted = false;
      m.promoted = undefined;
    }
  }

  private switchToPromoted(m: MasterState): void {
    const ref = m.promoted ?? m;
    this.event(
      'warning',
      '+switch-master',
      m,
      `${m.name} ${m.addr.host} ${m.addr.port} ${ref.addr.host} ${ref.addr.port}`,
      true,
    );
    // Only the monitor that led the failover takes care of the old primary at once (salvage,
    // then demotion); the others keep Sentinel's delayed +convert-to-slave, so they never race it.
    const p = m.promoted;
    const fork = m.guard
      ? m.guardFork
      : p?.masterReplId2 !== undefined && p.secondReplOffset !== undefined && p.secondReplOffset > 0
        ? { replId: p.masterReplId2, offset: p.secondReplOffset }
        : undefined;
    const replaced = m.guard ? m.guardFork?.replId : m.replId;
    // After a coordinated handover the old primary already replicates from the new one.
    const leader = m.coordinated === undefined;
    m.guard = false;
    m.guardFork = undefined;
    m.coordinated = undefined;
    this.resetMasterAndChangeAddress(m, ref.addr, { leader, fork, replaced });
  }

  /**
   * SLAVEOF in a transaction that also rewrites the node's config and disconnects its clients,
   * so they ask a monitor where the primary is now. `to` undefined means SLAVEOF NO ONE.
   */
  private sendReplicaOf(
    i: DataInstance,
    m: MasterState,
    to: Addr | undefined,
    tag: ReplyTag = { t: 'discard', link: i.link.id },
  ): boolean {
    const ok = this.send(i.link, this.replicaOfCommands(m, to), tag);
    // Learn the new role at once: a role believed stale for seconds would have us "fix" the
    // node back when someone else promotes it later (Sentinel waits for the next INFO).
    if (ok && to !== undefined) this.sendInfo(i, m);
    return ok;
  }

  private replicaOfCommands(m: MasterState, to: Addr | undefined): string[][] {
    const host = to ? to.host : 'NO';
    const port = to ? String(to.port) : 'ONE';
    return [
      [this.cmd(m, 'MULTI')],
      [this.cmd(m, 'SLAVEOF'), host, port],
      [this.cmd(m, 'CONFIG'), 'REWRITE'],
      [this.cmd(m, 'CLIENT'), 'KILL', 'TYPE', 'normal'],
      [this.cmd(m, 'CLIENT'), 'KILL', 'TYPE', 'pubsub'],
      [this.cmd(m, 'EXEC')],
    ];
  }

  // ------------------------------------------------------------------ reset

  resetMaster(m: MasterState, opts: { keepSentinels: boolean; event: boolean }): void {
    for (const r of m.replicas.values()) this.closeLink(r.link, 'both');
    m.replicas.clear();
    if (!opts.keepSentinels) {
      for (const s of m.sentinels.values()) {
        s.link.refcount--;
        if (s.link.refcount <= 0) this.closeLink(s.link, 'both');
      }
      m.sentinels.clear();
    }
    this.closeLink(m.link, 'both');
    m.sDown = false;
    m.oDown = false;
    m.masterReboot = false;
    m.scriptKillSent = false;
    m.forceFailover = false;
    m.leader = undefined;
    m.failoverState = 'none';
    m.failoverStateChangeTime = 0;
    m.failoverStartTime = 0;
    m.promoted = undefined;
    m.runId = undefined;
    m.link.actPingTime = this.now;
    m.link.lastPingTime = 0;
    m.link.lastAvailTime = this.now;
    m.link.lastPongTime = this.now;
    m.roleReportedTime = this.now;
    m.roleReported = 'master';
    if (opts.event) this.event('warning', '+reset-master', m, '');
  }

  resetByPattern(now: number, matches: (name: string) => boolean): number {
    this.now = now;
    let n = 0;
    for (const m of this.masters.values()) {
      if (matches(m.name)) {
        this.resetMaster(m, { keepSentinels: false, event: true });
        n++;
      }
    }
    return n;
  }

  private resetMasterAndChangeAddress(
    m: MasterState,
    to: Addr,
    lead: {
      leader: boolean;
      fork: { replId: string; offset: number } | undefined;
      replaced?: string | undefined;
    } = {
      leader: false,
      fork: undefined,
    },
  ): void {
    const old = m.addr;
    const keep: Addr[] = [];
    for (const r of m.replicas.values()) if (!addrEqual(r.addr, to)) keep.push(r.addr);
    if (!addrEqual(to, m.addr)) keep.push(m.addr);
    // What we know of each node survives the switch: a replica that synced since its restart
    // still holds its data under the new primary, and the old primary held all of it.
    const known = new Map<string, { runId: string | undefined; synced: boolean }>();
    for (const r of m.replicas.values())
      known.set(replicaName(r.addr), { runId: r.runId, synced: r.syncedSinceRestart });
    if (m.runId !== undefined && m.roleReported === 'master')
      known.set(replicaName(m.addr), { runId: m.runId, synced: true });
    this.resetMaster(m, { keepSentinels: true, event: false });
    if (!addrEqual(to, old)) {
      // The new primary's history is its own (a promotion starts a new replication id): unknown
      // until its INFO arrives, which is asked for as soon as the link is up. Meanwhile a node
      // that reports itself a primary is never taken for a replica of it (select-replica.ts).
      m.replId = undefined;
      m.replOffset = 0;
    }
    m.addr = to;
    for (const a of keep) {
      const r = this.ensureReplica(m, a);
      if (!r) continue;
      const k = known.get(replicaName(a));
      if (k) {
        r.runId = k.runId;
        r.syncedSinceRestart = k.synced;
      }
      this.event('notice', '+slave', r, '');
      if (lead.leader && addrEqual(a, old)) {
        r.demoteOnSight = true;
        r.salvageFrom = lead.fork;
        r.replacedHistory = lead.replaced;
      }
    }
    this.flushConfig();
  }

  // ------------------------------------------------------------------ output helpers

  /**
   * Queue an event. `plain` events carry only the message (Sentinel's formats without `%@`
   * such as +new-epoch or +switch-master); others are prefixed with the instance description.
   */
  event(level: LogLevel, type: string, i: AnyInstance | undefined, rest: string, plain = false): void {
    const message = i && !plain ? describe(i, this.masterOf(i)) + rest : rest;
    this.out.push({ kind: 'event', level, type, message });
    if (level === 'warning' && i) {
      const master = this.masterOf(i);
      if (master?.notificationScript) {
        this.out.push({ kind: 'script', path: master.notificationScript, args: [type, message] });
      }
    }
  }

  log(level: LogLevel, message: string): void {
    this.out.push({ kind: 'log', level, message });
  }

  flushConfig(): void {
    this.out.push({ kind: 'flush-config' });
  }

  private crash(reason: string): void {
    this.out.push({ kind: 'crash', reason });
  }

  private clientReconfScript(m: MasterState, role: 'leader' | 'observer', from: Addr, to: Addr): void {
    if (!m.clientReconfigScript) return;
    this.out.push({
      kind: 'script',
      path: m.clientReconfigScript,
      args: [m.name, role, 'start', from.host, String(from.port), to.host, String(to.port)],
    });
  }

  /** Set `now` for command handlers that read state without a tick. */
  setNow(now: number): void {
    this.now = now;
  }
}
