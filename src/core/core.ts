/**
 * The monitor's decision core: Redis Sentinel's semantics with no I/O and no clock.
 *
 * The shell calls `tick(now)` about ten times a second and reports what the network did
 * (links up/down, replies, hello messages); operators' requests come in as typed inputs
 * (SENTINEL SET, MONITOR, FAILOVER...). The core updates its picture and queues effects
 * (connect, send, publish events, rewrite the config) that the shell drains and performs.
 * Readers get a read-only view. This class only routes: each concern has its module.
 */
import type { Timing } from './constants.js';
import { CoreContext, type CoreOptions, type PeerAuth, type SimFailure } from './context.js';
import { startCoordinated, type CoordinatedResult } from './coordinated.js';
import { nextTickDelay, tick } from './cycle.js';
import { salvageDone, salvageStreaming, type SalvageOutcome } from './demotion.js';
import { forceFailover, manualFailover, type StartFailoverResult } from './failover.js';
import { ensureReplica } from './info-refresh.js';
import { applyMasterChange, setPeerAuth, setTiming, type MasterChange } from './inputs.js';
import { newMaster, recordOf, recordedReplicas } from './instance.js';
import { closeInstanceLinks, linkDown, linksById } from './links.js';
import { onReply } from './on-reply.js';
import { onVigilMessage, setPause } from './pause.js';
import { addPeer, hello } from './peers.js';
import { newMasterRecord, type MasterRecord } from './record.js';
import { resetMaster } from './reset.js';
import type { Addr, CoreReply, Effect, ReplyTag } from './types.js';
import type { CoreView, MasterView } from './view.js';
import { isMasterDownByAddr } from './votes.js';

export type { CoreOptions, PeerAuth, SimFailure } from './context.js';
export type { CoordinatedResult } from './coordinated.js';
export type { StartFailoverResult } from './failover.js';
export type { MasterChange } from './inputs.js';

export class SentinelCore implements CoreView {
  private readonly c: CoreContext;

  constructor(opts: CoreOptions, rand: () => number, now: number) {
    this.c = new CoreContext(opts, rand, now);
  }

  /** Effects queued since the last drain, in the order they must be performed. */
  drain(): Effect[] {
    const out = this.c.out;
    this.c.out = [];
    return out;
  }

  /** Every input starts here: the time it happened is the only clock the core knows. */
  private at(now: number): CoreContext {
    this.c.now = now;
    return this.c;
  }

  // ------------------------------------------------------------------ the read-only view

  get masters(): ReadonlyMap<string, MasterView> {
    return this.c.masters;
  }
  get myid(): string {
    return this.c.myid;
  }
  get currentEpoch(): number {
    return this.c.currentEpoch;
  }
  get tilt(): boolean {
    return this.c.tilt;
  }
  get tiltStartTime(): number {
    return this.c.tiltStartTime;
  }
  get simFailure(): Readonly<SimFailure> {
    return this.c.simFailure;
  }
  get announceIp(): string | undefined {
    return this.c.announceIp;
  }
  get announcePort(): number {
    return this.c.announcePort;
  }
  get port(): number {
    return this.c.port;
  }
  get timing(): Readonly<Timing> {
    return this.c.timing;
  }

  /** The durable record of every primary, as the config rewrite writes it. */
  records(): MasterRecord[] {
    return [...this.c.masters.values()].map(recordOf);
  }

  // ------------------------------------------------------------------ observations

  tick(now: number): void {
    tick(this.at(now));
  }

  /** How long the shell may wait before the next tick (see cycle.ts). */
  nextTickDelay(): number {
    return nextTickDelay(this.c);
  }

  /** A reply arrived for a command sent with `tag`; `batch` is how many commands it closes. */
  reply(now: number, tag: ReplyTag, r: CoreReply, batch = 1): void {
    onReply(this.at(now), tag, r, batch);
  }

  /** The shell reports a connection that failed or closed. */
  linkDown(now: number, linkId: string, which: 'cc' | 'pc'): void {
    linkDown(this.at(now), linkId, which);
  }

  /** Any message on a pub/sub connection proves it alive. */
  pubsubActivity(now: number, linkId: string): void {
    for (const l of linksById(this.at(now), linkId)) l.pcLastActivity = now;
  }

  /** A hello payload received on a data node's pub/sub channel or by PUBLISH to this monitor. */
  hello(now: number, payload: string): void {
    hello(this.at(now), payload);
  }

  /** A salvage's node must stop taking writes now: demoted unless a newer configuration came. */
  salvageStreaming(now: number, master: string, replica: string): boolean {
    return salvageStreaming(this.at(now), master, replica);
  }

  /** The shell reports how a salvage ended. */
  salvageDone(now: number, master: string, replica: string, res: SalvageOutcome): void {
    salvageDone(this.at(now), master, replica, res);
  }

  /** SENTINEL IS-MASTER-DOWN-BY-ADDR from a peer: our view, and our vote when one is asked. */
  isMasterDownByAddr(
    now: number,
    host: string,
    port: number,
    reqEpoch: number,
    runId: string,
    switchover = false,
  ): { down: boolean; leader: string; epoch: number } {
    return isMasterDownByAddr(this.at(now), host, port, reqEpoch, runId, switchover);
  }

  // ------------------------------------------------------------------ operators' inputs

  /** A primary from the config file. Returns undefined if the name exists. */
  addMaster(record: MasterRecord, now: number): MasterView | undefined {
    const c = this.at(now);
    if (c.masters.has(record.name)) return undefined;
    const m = newMaster(record, now);
    c.masters.set(m.name, m);
    for (const a of recordedReplicas(record)) {
      const r = ensureReplica(c, m, { host: a.host, port: a.port });
      if (r && a.history) {
        r.masterReplId = a.history.replId;
        r.replOffset = a.history.offset;
        r.runId = a.history.runId;
        // Still synced only if it turns out to be the same run (a restart would change the run id).
        r.syncedSinceRestart = a.history.synced;
      }
    }
    for (const s of record.knownSentinels) addPeer(c, m, { host: s.host, port: s.port }, s.runid);
    return m;
  }

  /** SENTINEL MONITOR: a new primary with this monitor's current defaults. */
  monitor(now: number, name: string, addr: Addr, quorum: number): MasterView | undefined {
    const t = this.c.timing;
    const record = newMasterRecord(name, addr, quorum, {
      downAfterMs: t.defaultDownAfter,
      failoverTimeoutMs: t.defaultFailoverTimeout,
    });
    const m = this.addMaster(record, now);
    if (m) this.c.event('warning', '+monitor', this.c.masters.get(name), ` quorum ${quorum}`);
    return m;
  }

  /** The +monitor events Sentinel generates at start-up. */
  announceMonitors(now: number): void {
    const c = this.at(now);
    for (const m of c.masters.values()) c.event('warning', '+monitor', m, ` quorum ${m.quorum}`);
  }

  /** SENTINEL REMOVE. */
  removeMaster(name: string, now: number): boolean {
    const c = this.at(now);
    const m = c.masters.get(name);
    if (!m) return false;
    c.event('warning', '-monitor', m, '');
    closeInstanceLinks(c, m);
    c.masters.delete(name);
    return true;
  }

  /** SENTINEL RESET <pattern>: returns how many primaries matched. */
  resetByPattern(now: number, matches: (name: string) => boolean): number {
    const c = this.at(now);
    let n = 0;
    for (const m of c.masters.values()) {
      if (matches(m.name)) {
        resetMaster(c, m, { keepSentinels: false, event: true });
        n++;
      }
    }
    return n;
  }

  /** One SENTINEL SET option; `echo` is the `+set` event's text (secrets masked by the caller). */
  setOption(now: number, name: string, change: MasterChange, echo: string): boolean {
    const c = this.at(now);
    const m = c.masters.get(name);
    if (!m) return false;
    applyMasterChange(c, m, change);
    c.event('warning', '+set', m, echo);
    return true;
  }

  /** SENTINEL CONFIG SET announce-ip / announce-port. */
  setAnnounce(announce: { ip?: string | undefined; port?: number | undefined }): void {
    if ('ip' in announce) this.c.announceIp = announce.ip;
    if (announce.port !== undefined) this.c.announcePort = announce.port;
  }

  /** SENTINEL CONFIG SET sentinel-user / sentinel-pass: peer links reopen with them. */
  setPeerAuth(now: number, auth: PeerAuth): void {
    setPeerAuth(this.at(now), auth);
  }

  /** SENTINEL DEBUG <timer> <ms>. */
  setTiming(key: keyof Timing, value: number): void {
    setTiming(this.c, key, value);
  }

  /** SENTINEL SIMULATE-FAILURE. */
  simulateFailure(flags: SimFailure): void {
    this.c.simFailure = { ...flags };
  }

  /** Sentinel's forced failover, which needs no agreement (the primary may still take writes). */
  forceFailover(now: number, name: string): StartFailoverResult | 'nomaster' {
    const c = this.at(now);
    const m = c.masters.get(name);
    return m ? forceFailover(c, m) : 'nomaster';
  }

  /** SENTINEL FAILOVER <name>: coordinated while the primary answers (see manualFailover). */
  manualFailover(now: number, name: string): ReturnType<typeof manualFailover> | 'nomaster' {
    const c = this.at(now);
    const m = c.masters.get(name);
    return m ? manualFailover(c, m) : 'nomaster';
  }

  /** SENTINEL FAILOVER <name> COORDINATED [TO host port] [TIMEOUT ms]. */
  startCoordinated(
    now: number,
    name: string,
    opts: { to?: Addr | undefined; timeoutMs?: number | undefined },
  ): CoordinatedResult {
    const c = this.at(now);
    const m = c.masters.get(name);
    if (!m) return { ok: false, error: 'ERR No such master with that name' };
    return startCoordinated(c, m, opts);
  }

  /** SENTINEL PAUSE <name> <ms> [reason]: no automatic failover until then (see pause.ts). */
  pause(now: number, name: string, ms: number, reason: string): boolean {
    const c = this.at(now);
    const m = c.masters.get(name);
    if (!m) return false;
    setPause(c, m, { active: true, until: now + ms, reason });
    return true;
  }

  /** SENTINEL RESUME <name>. */
  resume(now: number, name: string): boolean {
    const c = this.at(now);
    const m = c.masters.get(name);
    if (!m) return false;
    if (m.pause?.active && now < m.pause.until)
      setPause(c, m, { active: false, until: m.pause.until, reason: '' });
    return true;
  }

  /** A message on the Vigil channel of a data node (another Vigil monitor's pause setting). */
  vigilMessage(now: number, payload: string): void {
    onVigilMessage(this.at(now), payload);
  }

  /** Set `now` for command handlers that read state without a tick. */
  setNow(now: number): void {
    this.c.now = now;
  }
}
