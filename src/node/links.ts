/**
 * Outbound links to Redis nodes and peer monitors, carried by ioredis connections. The pool
 * does what the core asks (connect, send, close) and reports back; it never retries on its
 * own, because reconnection timing is a decision the core makes (as Sentinel does).
 */
import type { Redis } from 'ioredis';
import type { CoreReply, Effect, ReplyTag } from '../core/types.js';
import { HELLO_CHANNEL, VIGIL_CHANNEL } from '../core/constants.js';
import { createNodeClient } from './client.js';
import { isReplyError } from './errors.js';

export interface LinkObserver {
  linkDown(linkId: string, which: 'cc' | 'pc'): void;
  reply(tag: ReplyTag, reply: CoreReply, batch: number): void;
  hello(linkId: string, payload: string): void;
  /** A message on Vigil's own channel (another Vigil monitor's maintenance pause). */
  vigil(linkId: string, payload: string): void;
  pubsubActivity(linkId: string): void;
}

interface Conns {
  cc: Redis | undefined;
  pc: Redis | undefined;
}

type ConnectEffect = Extract<Effect, { kind: 'connect' }>;
type HelloEffect = Extract<Effect, { kind: 'hello' }>;

/** Map an ioredis reply value to the core's reply shape. */
export function toCoreReply(v: unknown): CoreReply {
  if (v === null || v === undefined) return { t: 'nil' };
  if (typeof v === 'number') return { t: 'int', v };
  if (typeof v === 'string') return { t: 'string', v };
  if (Buffer.isBuffer(v)) return { t: 'string', v: v.toString() };
  if (Array.isArray(v)) return { t: 'array', v: v.map(toCoreReply) };
  return { t: 'string', v: JSON.stringify(v) };
}

export class LinkPool {
  private readonly links = new Map<string, Conns>();

  constructor(
    private readonly observer: LinkObserver,
    private readonly connectTimeoutMs = 10_000,
  ) {}

  private open(e: ConnectEffect, kind: 'cc' | 'pc'): Redis {
    // No handshake options: AUTH and CLIENT SETNAME go out as ordinary first commands, as
    // Sentinel sends them, so whatever the core queues follows at once, even to a node that is
    // frozen (SIGSTOP) and will only read it when it resumes. No reconnectMs: reconnecting is
    // the core's decision, so a lost connection is reported and never retried here.
    const conn = createNodeClient({
      host: e.addr.host,
      port: e.addr.port,
      connectTimeoutMs: this.connectTimeoutMs,
      readyCheck: false,
      maxRetriesPerRequest: null,
    });
    let reported = false;
    const down = () => {
      if (reported) return;
      reported = true;
      const c = this.links.get(e.link);
      // A connection the core already replaced or closed must not mark its successor down.
      if (!c || c[kind] !== conn) return;
      c[kind] = undefined;
      this.observer.linkDown(e.link, kind);
    };
    // Errors are reported through 'close'.
    conn.on('close', down);
    conn.on('end', down);
    const ignore = () => undefined;
    const cmd = (name: string) => e.renamed.get(name.toLowerCase()) ?? name;
    if (e.auth.pass !== undefined) {
      const args = e.auth.user !== undefined ? [e.auth.user, e.auth.pass] : [e.auth.pass];
      conn.call(cmd('AUTH'), ...args).catch(ignore);
    }
    conn
      .call(cmd('CLIENT'), 'SETNAME', `${e.clientNamePrefix}-${kind === 'cc' ? 'cmd' : 'pubsub'}`)
      .catch(ignore);
    if (kind === 'pc') {
      conn.on('message', (channel: string, message: string) => {
        this.observer.pubsubActivity(e.link);
        if (channel === VIGIL_CHANNEL) this.observer.vigil(e.link, message);
        else this.observer.hello(e.link, message);
      });
      // ioredis tracks subscriptions itself, so the command goes through its own method
      // (a renamed SUBSCRIBE on the data nodes is not supported on this link).
      conn.subscribe(HELLO_CHANNEL, VIGIL_CHANNEL).then(
        () => this.observer.pubsubActivity(e.link),
        () => conn.disconnect(),
      );
    }
    return conn;
  }

  connect(e: ConnectEffect): void {
    let c = this.links.get(e.link);
    if (!c) {
      c = { cc: undefined, pc: undefined };
      this.links.set(e.link, c);
    }
    if (e.cc && !c.cc) c.cc = this.open(e, 'cc');
    if (e.pubsub && !c.pc) c.pc = this.open(e, 'pc');
  }

  close(linkId: string, which: 'cc' | 'pc' | 'both'): void {
    const c = this.links.get(linkId);
    if (!c) return;
    if (which !== 'pc' && c.cc) {
      const cc = c.cc;
      c.cc = undefined;
      cc.disconnect();
    }
    if (which !== 'cc' && c.pc) {
      const pc = c.pc;
      c.pc = undefined;
      pc.disconnect();
    }
    if (!c.cc && !c.pc) this.links.delete(linkId);
  }

  send(linkId: string, commands: readonly (readonly string[])[], tag: ReplyTag): void {
    const cc = this.links.get(linkId)?.cc;
    if (!cc) return;
    let last: Promise<unknown> = Promise.resolve(undefined);
    for (const [name, ...args] of commands) {
      if (name === undefined) continue;
      last = cc.call(name, ...args);
      // Earlier replies in a batch are not looked at (as in Sentinel), but must not go unhandled.
      last.catch(() => undefined);
    }
    last.then(
      (v) => this.observer.reply(tag, toCoreReply(v), commands.length),
      (err: unknown) => {
        if (isReplyError(err)) this.observer.reply(tag, { t: 'error', v: err.message }, commands.length);
      },
    );
  }

  hello(e: HelloEffect): void {
    const cc = this.links.get(e.link)?.cc;
    if (!cc) return;
    const ip = e.announceIp ?? cc.stream?.localAddress;
    if (!ip) {
      this.observer.reply(e.tag, { t: 'error', v: 'ERR no local address yet' }, 1);
      return;
    }
    const payload = `${ip},${e.port},${e.tail}`;
    cc.call(e.publishCommand, HELLO_CHANNEL, payload).then(
      (v) => this.observer.reply(e.tag, toCoreReply(v), 1),
      (err: unknown) => {
        if (isReplyError(err)) this.observer.reply(e.tag, { t: 'error', v: err.message }, 1);
      },
    );
  }

  closeAll(): void {
    for (const id of [...this.links.keys()]) this.close(id, 'both');
  }
}
