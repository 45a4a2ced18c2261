/**
 * What every part of the core works on: the monitor's picture (primaries, epoch, TILT), the
 * time of the input being handled, the injected random source, and the queue of effects the
 * shell will perform. The modules of the core are functions over this one object; only
 * `SentinelCore` hands it out.
 */
import { defaultTiming, type Timing } from './constants.js';
import { describe, type AnyInstance } from './events.js';
import { noteEvent } from './history.js';
import type { Link, MasterState } from './instance.js';
import type { Addr, Effect, LogLevel, ReplyTag } from './types.js';

export interface CoreOptions {
  myid: string;
  currentEpoch: number;
  /** The port this monitor listens on, announced in hello messages. */
  port: number;
  announceIp?: string | undefined;
  announcePort?: number | undefined;
  /** Credentials for links to peer monitors (sentinel-user/sentinel-pass, else requirepass). */
  peerAuth?: PeerAuth | undefined;
  timing?: Timing | undefined;
}

export interface PeerAuth {
  readonly user?: string | undefined;
  readonly pass?: string | undefined;
}

export interface SimFailure {
  crashAfterElection: boolean;
  crashAfterPromotion: boolean;
}

export class CoreContext {
  readonly masters = new Map<string, MasterState>();
  readonly timing: Timing;
  myid: string;
  currentEpoch: number;
  port: number;
  announceIp: string | undefined;
  announcePort: number;
  peerAuth: PeerAuth;
  tilt = false;
  tiltStartTime = 0;
  previousTime: number;
  simFailure: SimFailure = { crashAfterElection: false, crashAfterPromotion: false };
  /** The time of the input being handled: every decision reads it, nothing else reads a clock. */
  now: number;
  out: Effect[] = [];

  constructor(
    opts: CoreOptions,
    readonly rand: () => number,
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

  isMe(runId: string | undefined): boolean {
    return runId !== undefined && runId.toLowerCase() === this.myid.toLowerCase();
  }

  /**
   * Queue an event. `plain` events carry only the message (Sentinel's formats without `%@`
   * such as +new-epoch or +switch-master); others are prefixed with the instance description.
   */
  event(level: LogLevel, type: string, i: AnyInstance | undefined, rest: string, plain = false): void {
    const message = i && !plain ? describe(i, this.masterOf(i)) + rest : rest;
    this.out.push({ kind: 'event', level, type, message });
    noteEvent(this, type, i, rest);
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

  crash(reason: string): void {
    this.out.push({ kind: 'crash', reason });
  }

  clientReconfScript(m: MasterState, role: 'leader' | 'observer', from: Addr, to: Addr): void {
    if (!m.clientReconfigScript) return;
    this.out.push({
      kind: 'script',
      path: m.clientReconfigScript,
      args: [m.name, role, 'start', from.host, String(from.port), to.host, String(to.port)],
    });
  }

  /** Queue commands on a link's command connection; false when it is not connected. */
  send(l: Link, commands: readonly (readonly string[])[], tag: ReplyTag): boolean {
    if (!l.cc) return false;
    l.pendingCommands += commands.length;
    this.out.push({ kind: 'send', link: l.id, commands, tag });
    return true;
  }

  /** A command's name on this primary's nodes (`sentinel rename-command`). */
  cmd(master: MasterState | undefined, name: string): string {
    return master?.renamedCommands.get(name.toLowerCase()) ?? name;
  }

  masterOf(i: AnyInstance): MasterState | undefined {
    if (i.kind === 'master') return i;
    for (const m of this.masters.values()) {
      if (i.kind === 'replica' && m.replicas.get(i.name) === i) return m;
      if (i.kind === 'sentinel' && m.sentinels.get(i.name) === i) return m;
    }
    return undefined;
  }
}
