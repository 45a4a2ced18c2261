/**
 * Every ioredis client Vigil opens to a Redis node or a monitor is made here, so that what a
 * connection carries (address, credentials, TLS, deadlines, reconnection, protocol) is decided
 * in one place. The callers differ on purpose (a monitor's link never reconnects by itself, the
 * salvage replay does; an operator command has short deadlines): each says so in its options.
 */
import type { ConnectionOptions } from 'node:tls';
import { Redis, type RedisOptions } from 'ioredis';

export interface NodeClientOptions {
  host: string;
  port: number;
  /**
   * Sent by ioredis in the handshake. Callers that must send AUTH as an ordinary command (to
   * honour a renamed command, or to report a refused password in their own words) leave these
   * unset.
   */
  user?: string | undefined;
  password?: string | undefined;
  /** TLS to the node, handed to ioredis as is; unset: plain TCP. */
  tls?: ConnectionOptions | undefined;
  /** CLIENT SETNAME in the handshake. */
  clientName?: string | undefined;
  /** RESP version. Default 2, what Sentinel speaks to the nodes. */
  protocol?: 2 | 3 | undefined;
  /** Default 10 000 ms (ioredis's). */
  connectTimeoutMs?: number | undefined;
  /** Deadline of each command. Unset or 0: none (ioredis would take 0 as zero milliseconds). */
  commandTimeoutMs?: number | undefined;
  /** How long disconnect() waits for the peer to acknowledge the close. Default ioredis's. */
  disconnectTimeoutMs?: number | undefined;
  /** Reconnect this long after a lost connection. Unset: never; the connection just ends. */
  reconnectMs?: number | undefined;
  /** With reconnectMs: give up after this many attempts in a row. Unset: never give up. */
  reconnectAttempts?: number | undefined;
  /** Reconnections a command waits through before it fails (null: any number). Default ioredis's. */
  maxRetriesPerRequest?: number | null | undefined;
  /** Connect on connect() rather than at once. Default false. */
  lazyConnect?: boolean | undefined;
  /** Wait for INFO to report loading:0 before the first command. Default true. */
  readyCheck?: boolean | undefined;
}

function nodeClientOptions(o: NodeClientOptions): RedisOptions {
  const never = o.reconnectMs === undefined;
  return {
    host: o.host,
    port: o.port,
    username: o.user,
    password: o.password,
    ...(o.tls !== undefined ? { tls: o.tls } : {}),
    ...(o.clientName !== undefined ? { connectionName: o.clientName } : {}),
    protocol: o.protocol ?? 2,
    // CLIENT SETINFO does not exist before Redis 7.2; sending it would only add errors to the nodes' stats.
    disableClientInfo: true,
    lazyConnect: o.lazyConnect ?? false,
    ...(o.readyCheck !== undefined ? { enableReadyCheck: o.readyCheck } : {}),
    ...(o.connectTimeoutMs !== undefined ? { connectTimeout: o.connectTimeoutMs } : {}),
    ...(o.commandTimeoutMs ? { commandTimeout: o.commandTimeoutMs } : {}),
    ...(o.disconnectTimeoutMs !== undefined ? { disconnectTimeout: o.disconnectTimeoutMs } : {}),
    ...(o.maxRetriesPerRequest !== undefined ? { maxRetriesPerRequest: o.maxRetriesPerRequest } : {}),
    retryStrategy: (attempt: number) =>
      never || (o.reconnectAttempts !== undefined && attempt > o.reconnectAttempts)
        ? null
        : (o.reconnectMs ?? null),
    // A connection that never comes back has nothing to resubscribe or resend: say so, so that
    // nothing queued before the loss is replayed on some later connection.
    ...(never ? { autoResubscribe: false, autoResendUnfulfilledCommands: false } : {}),
  };
}

/**
 * A client to one node or monitor. Its errors reach the caller through rejected commands and
 * 'close'/'end'; the listener added here keeps ioredis from printing each one.
 */
export function createNodeClient(o: NodeClientOptions): Redis {
  const client = new Redis(nodeClientOptions(o));
  client.on('error', () => undefined);
  return client;
}

export interface DiscoveryClientOptions {
  /** The monitors to ask for the primary's address. */
  sentinels: readonly { host: string; port: number }[];
  /** The monitored name. */
  name: string;
  protocol: 2 | 3;
  /** Reconnect (asking the monitors again) this long after a lost connection. */
  reconnectMs: number;
  /** Ask the next monitor this long after one did not answer. */
  sentinelRetryMs: number;
  commandTimeoutMs?: number | undefined;
  maxRetriesPerRequest?: number | undefined;
}

/**
 * A client of the group's primary found through Sentinel discovery, the way applications
 * connect (the demo writes through one).
 */
export function createDiscoveryClient(o: DiscoveryClientOptions): Redis {
  const client = new Redis({
    sentinels: o.sentinels.map((s) => ({ host: s.host, port: s.port })),
    name: o.name,
    protocol: o.protocol,
    retryStrategy: () => o.reconnectMs,
    sentinelRetryStrategy: () => o.sentinelRetryMs,
    ...(o.commandTimeoutMs ? { commandTimeout: o.commandTimeoutMs } : {}),
    ...(o.maxRetriesPerRequest !== undefined ? { maxRetriesPerRequest: o.maxRetriesPerRequest } : {}),
  });
  client.on('error', () => undefined);
  return client;
}
