/** Shared pieces of the operator commands: addresses, short-lived connections, reply shapes, tables. */
import { Redis } from 'ioredis';

export interface Endpoint {
  host: string;
  port: number;
}

export interface Credentials {
  user?: string | undefined;
  password?: string | undefined;
}

export const DEFAULT_MONITOR = '127.0.0.1:26379';

/** A failure the operator can act on: printed as is, exit code 1. */
export class UsageError extends Error {
  override name = 'UsageError';
}

/** `host:port`, `[v6]:port`, or a bare host (then `defaultPort`). */
export function parseEndpoint(s: string, defaultPort = 26379): Endpoint {
  const text = s.trim();
  let host = text;
  let port = String(defaultPort);
  const v6 = /^\[([^\]]+)\](?::(\d+))?$/.exec(text);
  if (v6) {
    host = v6[1]!;
    port = v6[2] ?? port;
  } else if ((text.match(/:/g) ?? []).length === 1) {
    const i = text.lastIndexOf(':');
    host = text.slice(0, i);
    port = text.slice(i + 1);
  }
  const n = Number(port);
  if (host === '' || !/^\d+$/.test(port) || n < 1 || n > 65535) {
    throw new UsageError(`'${s}' is not an address: use host:port, e.g. ${DEFAULT_MONITOR}`);
  }
  return { host, port: n };
}

export function formatEndpoint(e: Endpoint): string {
  return e.host.includes(':') ? `[${e.host}]:${e.port}` : `${e.host}:${e.port}`;
}

/** An open connection that remembers where it goes (for messages). */
export interface Conn {
  readonly endpoint: Endpoint;
  readonly client: Redis;
  call(...args: (string | number)[]): Promise<unknown>;
  close(): void;
}

export interface ConnectOptions extends Credentials {
  connectTimeoutMs?: number;
  commandTimeoutMs?: number;
}

/** The error behind a failed connection, in words an operator can act on. */
export function describeError(e: unknown): string {
  if (!(e instanceof Error)) return String(e);
  const code = (e as NodeJS.ErrnoException).code;
  if (code === 'ECONNREFUSED') return 'connection refused';
  if (code === 'ETIMEDOUT' || /connect ETIMEDOUT/.test(e.message)) return 'connection timed out';
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return 'host not found';
  if (code === 'EHOSTUNREACH' || code === 'ENETUNREACH') return 'host unreachable';
  if (/Command timed out/i.test(e.message)) return 'no reply (timed out)';
  return e.message;
}

/**
 * Connects (no reconnection, short deadlines), then authenticates with AUTH sent as an ordinary
 * command, so that a wrong or superfluous password is reported as such and never printed by
 * the client library. Throws with a readable message.
 */
export async function connect(endpoint: Endpoint, opts: ConnectOptions = {}): Promise<Conn> {
  const client = new Redis({
    host: endpoint.host,
    port: endpoint.port,
    protocol: 2,
    disableClientInfo: true,
    lazyConnect: true,
    enableReadyCheck: false,
    retryStrategy: () => null,
    maxRetriesPerRequest: 0,
    connectTimeout: opts.connectTimeoutMs ?? 2000,
    // 0: no deadline (a subscription). ioredis would take 0 as a zero-millisecond deadline.
    ...(opts.commandTimeoutMs === 0 ? {} : { commandTimeout: opts.commandTimeoutMs ?? 3000 }),
    // A frozen peer never acknowledges the close: do not keep the process waiting for it.
    disconnectTimeout: 100,
  });
  let lastError: unknown;
  client.on('error', (e: unknown) => {
    lastError = e;
  });
  const close = (): void => {
    client.disconnect();
  };
  try {
    await client.connect();
  } catch (e) {
    close();
    throw new Error(describeError(lastError ?? e), { cause: e });
  }
  if (opts.password !== undefined) {
    const args = opts.user !== undefined ? [opts.user, opts.password] : [opts.password];
    try {
      await client.call('AUTH', ...args);
    } catch (e) {
      const msg = e instanceof Error ? e.message : String(e);
      // Sentinel and Redis without a password configured: the password is simply not needed.
      if (!/without any password configured|no password is set/i.test(msg)) {
        close();
        throw new Error(msg, { cause: e });
      }
    }
  }
  return {
    endpoint,
    client,
    call: (...args) => client.call(String(args[0]), ...args.slice(1).map(String)),
    close,
  };
}

/** A flat [k1, v1, k2, v2, ...] reply (RESP2 map) as a record of strings. */
export function pairs(reply: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (!Array.isArray(reply)) return out;
  for (let i = 0; i + 1 < reply.length; i += 2) out[String(reply[i])] = String(reply[i + 1]);
  return out;
}

/** An array of flat maps (SENTINEL REPLICAS, SENTINELS, CANDIDATES). */
export function pairsList(reply: unknown): Record<string, string>[] {
  return Array.isArray(reply) ? reply.map(pairs) : [];
}

/** INFO text as field -> value (section headers and blank lines dropped). */
export function parseInfoText(text: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of String(text).split(/\r?\n/)) {
    if (line === '' || line.startsWith('#')) continue;
    const i = line.indexOf(':');
    if (i > 0) out[line.slice(0, i)] = line.slice(i + 1);
  }
  return out;
}

/** Round-trip times of `count` PINGs in a row, in milliseconds. */
export async function pingTimes(conn: Conn, count = 5): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < count; i++) {
    const t0 = process.hrtime.bigint();
    await conn.call('PING');
    out.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  return out;
}

/** Left-aligned columns separated by two spaces; trailing spaces trimmed. */
export function table(rows: readonly (readonly string[])[]): string[] {
  const widths: number[] = [];
  for (const r of rows) r.forEach((c, i) => (widths[i] = Math.max(widths[i] ?? 0, c.length)));
  return rows.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i] ?? 0))).join('  '));
}

export function errorMessage(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** Turns a monitor's error into advice: what to pass or where to look. */
export function monitorError(where: Endpoint, e: unknown, name?: string): UsageError {
  const msg = errorMessage(e);
  const at = formatEndpoint(where);
  if (/^NOAUTH/.test(msg))
    return new UsageError(
      `the monitor at ${at} requires a password: pass --password (and --user for an ACL user)`,
    );
  if (/^WRONGPASS|invalid password|invalid username-password/i.test(msg))
    return new UsageError(`the monitor at ${at} refused the credentials: check --password and --user`);
  if (/^NOPERM/.test(msg))
    return new UsageError(
      `the monitor at ${at} refused the command for this user (${msg}): use a user allowed +sentinel`,
    );
  if (/unknown command 'SENTINEL'/i.test(msg))
    return new UsageError(
      `${at} is not a monitor (a Redis server?): point --sentinel at a vigil-sentinel port (26379 by default)`,
    );
  if (/No such master/i.test(msg))
    return new UsageError(
      `the monitor at ${at} watches no primary named '${name ?? '?'}': see SENTINEL MASTERS for the names it knows`,
    );
  if (/connection refused|timed out|not found|unreachable|Connection is closed/i.test(msg))
    return new UsageError(
      `cannot reach a monitor at ${at} (${msg}): check --sentinel host:port and that the monitor is running`,
    );
  return new UsageError(`the monitor at ${at} answered: ${msg}`);
}
