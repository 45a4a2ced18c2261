// A minimal RESP client used by the harness for probes, one-shot commands and pub/sub recording.
// It speaks RESP2 the way redis-cli does, so it works against a paused, loading or half-broken
// server (every call has a deadline) and against any Sentinel-compatible implementation.
import net from 'node:net';
import { parseInfo } from '../../src/core/info.js';

/** An error reply (`-ERR ...`). `code` is its first word: ERR, LOADING, READONLY, NOAUTH, ... */
export class RespError extends Error {
  override readonly name = 'RespError';
  readonly code: string;
  constructor(message: string) {
    super(message);
    this.code = message.split(' ', 1)[0] ?? '';
  }
}

/** The server closed the connection before every expected reply arrived (for example after SHUTDOWN). */
export class RespConnectionClosedError extends Error {
  override readonly name = 'RespConnectionClosedError';
}

/** Simple and bulk strings are strings, integers and doubles numbers, nil is null. */
export type RespValue = string | number | null | RespError | RespValue[];

export type RespArg = string | number | Buffer;

export function encodeCommand(args: readonly RespArg[]): Buffer {
  const parts: Buffer[] = [Buffer.from(`*${args.length}\r\n`)];
  for (const a of args) {
    const b = Buffer.isBuffer(a) ? a : Buffer.from(String(a));
    parts.push(Buffer.from(`$${b.length}\r\n`), b, Buffer.from('\r\n'));
  }
  return Buffer.concat(parts);
}

type Parsed = { value: RespValue; next: number } | undefined;

function parseAt(buf: Buffer, pos: number): Parsed {
  if (pos >= buf.length) return undefined;
  const eol = buf.indexOf('\r\n', pos);
  if (eol < 0) return undefined;
  const type = String.fromCharCode(buf[pos]!);
  const line = buf.toString('utf8', pos + 1, eol);
  const after = eol + 2;
  switch (type) {
    case '+':
      return { value: line, next: after };
    case '-':
      return { value: new RespError(line), next: after };
    case ':':
      return { value: Number(line), next: after };
    case ',':
      return { value: line === 'inf' ? Infinity : line === '-inf' ? -Infinity : Number(line), next: after };
    case '#':
      return { value: line === 't' ? 1 : 0, next: after };
    case '_':
      return { value: null, next: after };
    case '$':
    case '=':
    case '!': {
      const len = Number(line);
      if (len < 0) return { value: null, next: after };
      if (buf.length < after + len + 2) return undefined;
      let s = buf.toString('utf8', after, after + len);
      if (type === '=') s = s.slice(4);
      return { value: type === '!' ? new RespError(s) : s, next: after + len + 2 };
    }
    case '*':
    case '~':
    case '>':
    case '%': {
      const n = Number(line);
      if (n < 0) return { value: null, next: after };
      const count = type === '%' ? n * 2 : n;
      const items: RespValue[] = [];
      let next = after;
      for (let i = 0; i < count; i++) {
        const r = parseAt(buf, next);
        if (r === undefined) return undefined;
        items.push(r.value);
        next = r.next;
      }
      return { value: items, next };
    }
    default:
      throw new Error(`RESP protocol error: unexpected type byte ${JSON.stringify(type)}`);
  }
}

/** Incremental parser: feed it chunks, get back every complete reply. */
export class RespParser {
  private buf: Buffer = Buffer.alloc(0);

  feed(chunk: Buffer): RespValue[] {
    this.buf = this.buf.length === 0 ? chunk : Buffer.concat([this.buf, chunk]);
    const out: RespValue[] = [];
    let offset = 0;
    for (;;) {
      const r = parseAt(this.buf, offset);
      if (r === undefined) break;
      out.push(r.value);
      offset = r.next;
    }
    this.buf = this.buf.subarray(offset);
    return out;
  }
}

export interface RespCallOptions {
  /** Deadline for connect + all replies. Default 2000 ms. */
  timeoutMs?: number;
  password?: string;
  username?: string;
}

function describeCommand(args: readonly RespArg[]): string {
  return args
    .slice(0, 4)
    .map((a) => (Buffer.isBuffer(a) ? '<buf>' : String(a)))
    .join(' ');
}

/**
 * Opens a connection, sends every command pipelined and resolves with one reply per command
 * (error replies are returned as RespError values, not thrown). Rejects on timeout, on a
 * connection error, or with RespConnectionClosedError if the server closes early.
 */
export function respExchange(
  host: string,
  port: number,
  commands: readonly (readonly RespArg[])[],
  timeoutMs = 2000,
): Promise<RespValue[]> {
  return new Promise<RespValue[]>((resolve, reject) => {
    const replies: RespValue[] = [];
    const parser = new RespParser();
    let settled = false;
    const socket = net.connect({ host, port });
    const finish = (err: Error | undefined): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      if (err) reject(err);
      else resolve(replies);
    };
    const what = `${commands.map(describeCommand).join('; ')} on ${host}:${port}`;
    const timer = setTimeout(
      () => finish(new Error(`RESP call timed out after ${timeoutMs} ms: ${what}`)),
      timeoutMs,
    );
    socket.setNoDelay(true);
    socket.on('connect', () => socket.write(Buffer.concat(commands.map((c) => encodeCommand(c)))));
    socket.on('data', (chunk: Buffer) => {
      try {
        replies.push(...parser.feed(chunk));
      } catch (err) {
        finish(err instanceof Error ? err : new Error(String(err)));
        return;
      }
      if (replies.length >= commands.length) finish(undefined);
    });
    socket.on('error', (err) => finish(new Error(`RESP call failed (${err.message}): ${what}`)));
    socket.on('close', () =>
      finish(
        new RespConnectionClosedError(
          `connection closed after ${replies.length}/${commands.length} replies: ${what}`,
        ),
      ),
    );
  });
}

function authCommand(opts: RespCallOptions): RespArg[] | undefined {
  if (opts.password === undefined) return undefined;
  return opts.username === undefined ? ['AUTH', opts.password] : ['AUTH', opts.username, opts.password];
}

/** One command on a fresh connection (AUTH first when a password is given). Error replies throw. */
export async function respCommand(
  host: string,
  port: number,
  args: readonly RespArg[],
  opts: RespCallOptions = {},
): Promise<RespValue> {
  const auth = authCommand(opts);
  const commands = auth ? [auth, args] : [args];
  const replies = await respExchange(host, port, commands, opts.timeoutMs ?? 2000);
  if (auth && replies[0] instanceof RespError) throw replies[0];
  const reply = replies[replies.length - 1] ?? null;
  if (reply instanceof RespError) throw reply;
  return reply;
}

/** `[k1, v1, k2, v2, ...]` (SENTINEL MASTER, CONFIG GET, HGETALL) to a record of strings. */
export function pairsToRecord(reply: RespValue): Record<string, string> {
  if (!Array.isArray(reply)) throw new Error(`expected a flat key/value array, got ${JSON.stringify(reply)}`);
  const out: Record<string, string> = {};
  for (let i = 0; i + 1 < reply.length; i += 2) out[String(reply[i])] = String(reply[i + 1]);
  return out;
}

/** An INFO reply as `field -> value`, read by the monitors' own parser. */
export function infoFields(text: string): Record<string, string> {
  return Object.fromEntries(parseInfo(text).fields);
}

export interface PubSubMessage {
  pattern: string | undefined;
  channel: string;
  payload: string;
}

/**
 * A long-lived subscriber connection. `ready` resolves once the server has acknowledged every
 * (P)SUBSCRIBE; `closed` resolves when the connection ends for any reason.
 */
export class RespSubscriber {
  readonly ready: Promise<void>;
  readonly closed: Promise<Error | undefined>;
  private readonly socket: net.Socket;
  private closeReason: Error | undefined;
  private isClosed = false;

  constructor(
    host: string,
    port: number,
    patterns: readonly string[],
    onMessage: (m: PubSubMessage) => void,
    opts: RespCallOptions = {},
  ) {
    const parser = new RespParser();
    const auth = authCommand(opts);
    let acks = 0;
    let resolveReady!: () => void;
    let rejectReady!: (e: Error) => void;
    this.ready = new Promise<void>((res, rej) => {
      resolveReady = res;
      rejectReady = rej;
    });
    // A caller that never awaits `ready` must not cause an unhandled rejection.
    this.ready.catch(() => undefined);
    let resolveClosed!: (e: Error | undefined) => void;
    this.closed = new Promise<Error | undefined>((res) => (resolveClosed = res));
    const timeoutMs = opts.timeoutMs ?? 2000;
    const timer = setTimeout(() => {
      const err = new Error(`subscribe to ${host}:${port} not acknowledged within ${timeoutMs} ms`);
      rejectReady(err);
      this.destroy(err);
    }, timeoutMs);
    this.socket = net.connect({ host, port });
    this.socket.setNoDelay(true);
    this.socket.on('connect', () => {
      const cmds: Buffer[] = [];
      if (auth) cmds.push(encodeCommand(auth));
      for (const p of patterns)
        cmds.push(encodeCommand(p.includes('*') ? ['PSUBSCRIBE', p] : ['SUBSCRIBE', p]));
      this.socket.write(Buffer.concat(cmds));
    });
    let authPending = auth !== undefined;
    this.socket.on('data', (chunk: Buffer) => {
      let values: RespValue[];
      try {
        values = parser.feed(chunk);
      } catch (err) {
        this.destroy(err instanceof Error ? err : new Error(String(err)));
        return;
      }
      for (const v of values) {
        if (authPending) {
          authPending = false;
          if (v instanceof RespError) {
            rejectReady(v);
            this.destroy(v);
            return;
          }
          continue;
        }
        if (v instanceof RespError) {
          rejectReady(v);
          continue;
        }
        if (!Array.isArray(v)) continue;
        const kind = String(v[0]).toLowerCase();
        if (kind === 'psubscribe' || kind === 'subscribe') {
          acks++;
          if (acks >= patterns.length) {
            clearTimeout(timer);
            resolveReady();
          }
        } else if (kind === 'pmessage' && v.length >= 4) {
          onMessage({ pattern: String(v[1]), channel: String(v[2]), payload: String(v[3]) });
        } else if (kind === 'message' && v.length >= 3) {
          onMessage({ pattern: undefined, channel: String(v[1]), payload: String(v[2]) });
        }
      }
    });
    this.socket.on('error', (err) => {
      this.closeReason ??= err;
    });
    this.socket.on('close', () => {
      this.isClosed = true;
      clearTimeout(timer);
      const reason =
        this.closeReason ?? new RespConnectionClosedError(`subscription to ${host}:${port} closed`);
      rejectReady(reason);
      resolveClosed(this.closeReason);
    });
  }

  get isOpen(): boolean {
    return !this.isClosed;
  }

  destroy(reason?: Error): void {
    if (reason) this.closeReason ??= reason;
    this.socket.destroy();
  }
}
