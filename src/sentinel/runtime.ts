/**
 * The shell around the decision core: drives its timer, performs the effects it asks for,
 * and feeds back what the network reports. It owns no policy of its own.
 */
import { SentinelCore } from '../core/core.js';
import type { HistoryEntry } from '../core/history.js';
import type { CoreReply, Effect, LogLevel, ReplyTag } from '../core/types.js';
import { LinkPool } from '../node/links.js';
import { copyKeys, salvage } from '../node/salvage.js';
import type { Logger } from './logger.js';
import type { PubSubHub } from './pubsub.js';
import { ScriptRunner } from './scripts.js';

export interface RuntimeDeps {
  core: SentinelCore;
  logger: Logger;
  hub: PubSubHub;
  /** Persist the current state; must be durable when it returns (votes depend on it). */
  persist: () => void;
  /** Keep a history entry (a failover, switchover, refusal, fence, salvage, pause). */
  history: (entry: HistoryEntry) => void;
  /** Called on SENTINEL SIMULATE-FAILURE crashes. */
  exit: (code: number) => void;
}

export class Runtime {
  readonly core: SentinelCore;
  readonly pool: LinkPool;
  readonly scripts: ScriptRunner;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private flushing = false;
  private flushPending = false;

  constructor(private readonly deps: RuntimeDeps) {
    this.core = deps.core;
    this.scripts = new ScriptRunner(this.core.timing, (type, message) =>
      this.publishEvent('warning', type, message),
    );
    this.pool = new LinkPool({
      linkDown: (id, which) => this.observe(() => this.core.linkDown(Date.now(), id, which)),
      reply: (tag: ReplyTag, r: CoreReply, batch: number) =>
        this.observe(() => this.core.reply(Date.now(), tag, r, batch)),
      hello: (_id, payload) => this.observe(() => this.core.hello(Date.now(), payload)),
      vigil: (_id, payload) => this.observe(() => this.core.vigilMessage(Date.now(), payload)),
      pubsubActivity: (id) => this.core.pubsubActivity(Date.now(), id),
    });
  }

  start(): void {
    this.stopped = false;
    const loop = () => {
      if (this.stopped) return;
      this.tick();
      this.timer = setTimeout(loop, this.core.nextTickDelay());
    };
    this.timer = setTimeout(loop, 0);
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.pool.closeAll();
    this.scripts.killAll();
  }

  tick(): void {
    this.observe(() => this.core.tick(Date.now()));
    this.scripts.tick(Date.now());
  }

  /** Run something that changes the core, then carry out whatever it decided. */
  observe(fn: () => void): void {
    fn();
    this.perform(this.core.drain());
  }

  /** Carry out effects queued by a command handler (SENTINEL SET, MONITOR, votes). */
  flushEffects(): void {
    this.perform(this.core.drain());
  }

  private perform(effects: Effect[]): void {
    for (const e of effects) {
      switch (e.kind) {
        case 'connect':
          this.pool.connect(e);
          break;
        case 'close':
          this.pool.close(e.link, e.which);
          break;
        case 'send':
          this.pool.send(e.link, e.commands, e.tag);
          break;
        case 'hello':
          this.pool.hello(e);
          break;
        case 'event':
          this.publishEvent(e.level, e.type, e.message);
          break;
        case 'log':
          this.deps.logger.log(e.level, e.message);
          break;
        case 'script':
          this.scripts.schedule(e.path, e.args);
          break;
        case 'salvage':
          this.startSalvage(e);
          break;
        case 'flush-config':
          this.persist();
          break;
        case 'history':
          this.deps.history(e.entry);
          break;
        case 'crash':
          this.deps.logger.warning(`Sentinel CRASH because of ${e.reason}`);
          this.deps.exit(99);
          break;
      }
    }
  }

  private startSalvage(e: Extract<Effect, { kind: 'salvage' }>): void {
    this.deps.logger.verbose(
      `Salvaging writes from replaced primary ${e.from.host}:${e.from.port} (after ${e.replId}:${e.offset}) into ${e.to.host}:${e.to.port} before demoting it`,
    );
    (e.copyKeys ? copyKeys : salvage)({
      from: e.from,
      to: e.to,
      auth: e.auth,
      replId: e.replId,
      offset: e.offset,
      demote: () => {
        let demoted = false;
        this.observe(() => {
          demoted = this.core.salvageStreaming(Date.now(), e.master, e.replica);
        });
        return demoted;
      },
    }).then(
      (res) => this.observe(() => this.core.salvageDone(Date.now(), e.master, e.replica, res)),
      (err: unknown) =>
        this.observe(() =>
          this.core.salvageDone(Date.now(), e.master, e.replica, {
            outcome: 'unreachable',
            replayed: 0,
            failed: 0,
            detail: err instanceof Error ? err.message : String(err),
          }),
        ),
    );
  }

  /** Effects are performed in order, so a persisted vote is on disk before its reply is written. */
  private persist(): void {
    if (this.flushing) {
      this.flushPending = true;
      return;
    }
    this.flushing = true;
    try {
      do {
        this.flushPending = false;
        this.deps.persist();
      } while (this.flushPending);
    } finally {
      this.flushing = false;
    }
  }

  publishEvent(level: LogLevel, type: string, message: string): void {
    this.deps.logger.log(level, message === '' ? type : `${type} ${message}`);
    if (level !== 'debug') this.deps.hub.publish(type, message);
  }
}
