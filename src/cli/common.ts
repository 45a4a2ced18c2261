/** Shared pieces of the operator commands: addresses, monitor errors, latency, tables. */
import { formatAddr } from '../node/address.js';
import type { Conn } from '../node/connect.js';
import { errorMessage } from '../node/errors.js';

export interface Endpoint {
  host: string;
  port: number;
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

/** Turns a monitor's error into advice: what to pass or where to look. */
export function monitorError(where: Endpoint, e: unknown, name?: string): UsageError {
  const msg = errorMessage(e);
  const at = formatAddr(where);
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
