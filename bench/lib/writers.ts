/** The writers' clients: ioredis with Sentinel discovery, set up the way an application would for failovers. */
import { Redis } from 'ioredis';
import { ContinuousWriter } from '../../test/harness/index.js';

export interface SentinelWriterOptions {
  sentinels: readonly { host: string; port: number }[];
  name: string;
  /** Reconnect (asking the monitors for the primary again) this long after a lost connection. */
  reconnectMs: number;
  /** A write not acknowledged within this long fails. */
  commandTimeoutMs: number;
  /**
   * ioredis's documented setting for failovers: a write refused by a demoted primary (READONLY)
   * reconnects, asking the monitors again, and is sent again.
   */
  reconnectOnReadonly: boolean;
}

export function sentinelWriterClient(o: SentinelWriterOptions): Redis {
  const c = new Redis({
    sentinels: o.sentinels.map((s) => ({ host: s.host, port: s.port })),
    name: o.name,
    retryStrategy: () => o.reconnectMs,
    sentinelRetryStrategy: () => o.reconnectMs,
    sentinelCommandTimeout: 500,
    connectTimeout: 1000,
    commandTimeout: o.commandTimeoutMs,
    maxRetriesPerRequest: 1,
    ...(o.reconnectOnReadonly
      ? { reconnectOnError: (err: Error) => (err.message.startsWith('READONLY') ? 2 : false) }
      : {}),
  });
  c.on('error', () => undefined);
  return c;
}

export interface LongWriterOptions {
  id: string;
  /** A client to share, or a factory (the writer then owns the client). */
  client: Redis | (() => Redis);
  commandTimeoutMs: number;
  errorBackoffMs: number;
  maxDurationMs: number;
  /** Gaps longer than this are listed in the writer's report. */
  gapThresholdMs?: number | undefined;
}

/** A ContinuousWriter for a whole run: back-to-back SETs bounded by time, not by a write count. */
export function longWriter(o: LongWriterOptions): ContinuousWriter {
  return new ContinuousWriter({
    writerId: o.id,
    client: o.client,
    commandTimeoutMs: o.commandTimeoutMs,
    errorBackoffMs: o.errorBackoffMs,
    maxDurationMs: o.maxDurationMs,
    maxWrites: 50_000_000,
    ...(o.gapThresholdMs !== undefined ? { gapThresholdMs: o.gapThresholdMs } : {}),
  });
}
