// Continuous writers: a stream of SETs of unique keys through some client (direct or
// sentinel-aware), recording for every write when it was sent and when it was acknowledged or
// failed, so that a test can measure unavailability and check that no acknowledged write was lost.
import { setTimeout as delay } from 'node:timers/promises';
import type { Redis } from 'ioredis';
import { onCleanup } from './cleanup.js';
import { RedisServer } from './redis-server.js';
import { nowMs, waitFor } from './wait.js';

export interface ContinuousWriterOptions {
  /** A client to share (not closed by the writer) or a factory (the writer owns and closes the client). */
  client: Redis | (() => Redis);
  /** Keys are `w:<writerId>:<seq>`. Default: a unique id. */
  writerId?: string;
  /** A write not acknowledged within this many ms counts as failed (timed out). Default 500. */
  commandTimeoutMs?: number;
  /** The writer stops by itself after this long. Default 60 000 ms. */
  maxDurationMs?: number;
  /** The writer stops by itself after this many writes. Default 500 000. */
  maxWrites?: number;
  /** Pause between writes of one loop. Default 0 (back to back). */
  intervalMs?: number;
  /** Writes in flight at once. Default 1. */
  concurrency?: number;
  /** Pause after a failed write (keeps a down server from producing a flood of errors). Default 10 ms. */
  errorBackoffMs?: number;
  /** Gaps between consecutive acknowledgements longer than this are listed in the report. Default 250 ms. */
  gapThresholdMs?: number;
}

export interface WriteRecord {
  seq: number;
  key: string;
  sentAt: number;
  /** Acknowledged within the command timeout. */
  ackAt?: number;
  /** Failed or timed out at. */
  failedAt?: number;
  error?: string;
  timedOut?: boolean;
  /** Acknowledged only after having been counted as timed out. */
  lateAckAt?: number;
}

export interface Gap {
  ms: number;
  /** Time of the acknowledgement that opened the gap (nowMs() clock). */
  from: number;
  /** Time of the acknowledgement that closed it. */
  to: number;
}

export interface WriterReport {
  writerId: string;
  attempted: number;
  acknowledged: number;
  /** Timed out, then acknowledged after all (the server did apply them). */
  lateAcknowledged: number;
  /** Error replies, connection errors and timeouts. */
  failed: number;
  timedOut: number;
  startedAt: number;
  stoppedAt: number;
  durationMs: number;
  /** Longest interval between consecutive acknowledgements (0 with fewer than two). */
  longestGapMs: number;
  /** When that interval started (time of the acknowledgement before it), undefined if none. */
  longestGapStartedAt: number | undefined;
  /** From start to the first acknowledgement (the whole run if there was none). */
  leadingGapMs: number;
  /** From the last acknowledgement to the stop (the whole run if there was none). */
  trailingGapMs: number;
  gapThresholdMs: number;
  /** Every gap between consecutive acknowledgements longer than gapThresholdMs, in time order. */
  gaps: Gap[];
  /** Error message (first 100 chars) -> count. */
  errors: Record<string, number>;
}

export interface VerifyReport {
  /** Acknowledged keys read back. */
  checked: number;
  /** Acknowledged keys missing on the node. */
  lost: number;
  /** The first few missing keys. */
  lostKeys: string[];
  /** Acknowledged keys present with a value other than the one written. */
  wrongValue: number;
  wrongValueKeys: string[];
}

export interface VerifyOptions {
  /** Keys per MGET. Default 1000. */
  batchSize?: number;
  /** How many keys to list. Default 10. */
  sample?: number;
  /** Also check writes acknowledged after their timeout. Default true. */
  includeLateAcks?: boolean;
}

/** A node to read back from: an ioredis client, or a RedisServer (a temporary client is used). */
export type VerifyTarget = Redis | RedisServer;

let writerCounter = 0;

function computeGaps(ackTimes: number[], threshold: number): { longest: Gap | undefined; gaps: Gap[] } {
  let longest: Gap | undefined;
  const gaps: Gap[] = [];
  for (let i = 1; i < ackTimes.length; i++) {
    const from = ackTimes[i - 1]!;
    const to = ackTimes[i]!;
    const g = { ms: to - from, from, to };
    if (longest === undefined || g.ms > longest.ms) longest = g;
    if (g.ms > threshold) gaps.push(g);
  }
  return { longest, gaps };
}

async function readBack(
  target: VerifyTarget,
  expected: { key: string; value: string }[],
  opts: VerifyOptions,
): Promise<VerifyReport> {
  const batchSize = opts.batchSize ?? 1000;
  const sample = opts.sample ?? 10;
  const client = target instanceof RedisServer ? target.client() : target;
  const report: VerifyReport = { checked: 0, lost: 0, lostKeys: [], wrongValue: 0, wrongValueKeys: [] };
  try {
    for (let i = 0; i < expected.length; i += batchSize) {
      const batch = expected.slice(i, i + batchSize);
      const values = await client.mget(batch.map((e) => e.key));
      batch.forEach((e, j) => {
        const v = values[j];
        report.checked++;
        if (v === null || v === undefined) {
          report.lost++;
          if (report.lostKeys.length < sample) report.lostKeys.push(e.key);
        } else if (v !== e.value) {
          report.wrongValue++;
          if (report.wrongValueKeys.length < sample) report.wrongValueKeys.push(`${e.key}=${v}`);
        }
      });
    }
  } finally {
    if (target instanceof RedisServer) client.disconnect();
  }
  return report;
}

export class ContinuousWriter {
  readonly writerId: string;
  /** One record per attempted write, in send order. */
  readonly records: WriteRecord[] = [];
  private readonly opts: ContinuousWriterOptions;
  private client: Redis | undefined;
  private ownsClient = false;
  private nextSeq = 1;
  private stopRequested = false;
  private readonly abort = new AbortController();
  private loops: Promise<void> | undefined;
  private startedAt = 0;
  private stoppedAt: number | undefined;
  private acked = 0;
  private unregister: (() => void) | undefined;

  constructor(opts: ContinuousWriterOptions) {
    this.opts = opts;
    this.writerId =
      opts.writerId ?? `${process.pid}-${++writerCounter}-${Math.random().toString(36).slice(2, 6)}`;
  }

  /** Writes acknowledged so far. */
  get acknowledged(): number {
    return this.acked;
  }

  get running(): boolean {
    return this.loops !== undefined && this.stoppedAt === undefined;
  }

  /** Begins writing; returns at once. The writer ends by itself at maxDurationMs / maxWrites. */
  start(): void {
    if (this.loops !== undefined) throw new Error(`writer ${this.writerId} already started`);
    const c = this.opts.client;
    if (typeof c === 'function') {
      this.client = c();
      this.ownsClient = true;
    } else {
      this.client = c;
    }
    this.startedAt = nowMs();
    const deadline = this.startedAt + (this.opts.maxDurationMs ?? 60_000);
    const concurrency = Math.max(1, this.opts.concurrency ?? 1);
    this.loops = Promise.all(Array.from({ length: concurrency }, () => this.loop(deadline))).then(() => {
      this.stoppedAt ??= nowMs();
    });
    this.unregister = onCleanup(`stop writer ${this.writerId}`, async () => {
      await this.stop();
    });
  }

  private async loop(deadline: number): Promise<void> {
    const maxWrites = this.opts.maxWrites ?? 500_000;
    const interval = this.opts.intervalMs ?? 0;
    const backoff = this.opts.errorBackoffMs ?? 10;
    while (!this.stopRequested && this.nextSeq <= maxWrites && nowMs() < deadline) {
      const seq = this.nextSeq++;
      const rec: WriteRecord = { seq, key: `w:${this.writerId}:${seq}`, sentAt: nowMs() };
      this.records.push(rec);
      await this.writeOne(rec);
      const pause = rec.ackAt === undefined ? backoff : interval;
      if (pause > 0 && !this.stopRequested) {
        await delay(pause, undefined, { signal: this.abort.signal }).catch(() => undefined);
      }
    }
  }

  private writeOne(rec: WriteRecord): Promise<void> {
    const client = this.client!;
    const timeoutMs = this.opts.commandTimeoutMs ?? 500;
    return new Promise<void>((resolve) => {
      let settled = false;
      const timer = setTimeout(() => {
        if (settled) return;
        settled = true;
        rec.failedAt = nowMs();
        rec.timedOut = true;
        rec.error = `timed out after ${timeoutMs} ms`;
        resolve();
      }, timeoutMs);
      let sent: Promise<unknown>;
      try {
        sent = client.set(rec.key, String(rec.seq));
      } catch (err) {
        sent = Promise.reject(err instanceof Error ? err : new Error(String(err)));
      }
      sent.then(
        () => {
          const t = nowMs();
          if (settled) {
            rec.lateAckAt = t;
            return;
          }
          settled = true;
          clearTimeout(timer);
          rec.ackAt = t;
          this.acked++;
          resolve();
        },
        (err: unknown) => {
          if (settled) return;
          settled = true;
          clearTimeout(timer);
          rec.failedAt = nowMs();
          rec.error = err instanceof Error ? err.message : String(err);
          resolve();
        },
      );
    });
  }

  /** Stops writing, waits for the writes in flight (each bounded by the command timeout), reports. */
  async stop(): Promise<WriterReport> {
    if (this.loops === undefined) throw new Error(`writer ${this.writerId} was never started`);
    this.stopRequested = true;
    this.abort.abort();
    await this.loops;
    if (this.ownsClient && this.client !== undefined) this.client.disconnect();
    this.unregister?.();
    this.unregister = undefined;
    return this.report();
  }

  /** Resolves when the writer has ended by itself (duration or write limit reached) or was stopped. */
  async finished(): Promise<WriterReport> {
    if (this.loops === undefined) throw new Error(`writer ${this.writerId} was never started`);
    await this.loops;
    return this.report();
  }

  /** Waits until at least `count` writes have been acknowledged in total. */
  async waitForAcks(count: number, timeoutMs = 10_000): Promise<void> {
    await waitFor(() => this.acked >= count, {
      what: `writer ${this.writerId} to have ${count} acknowledged writes (has ${this.acked})`,
      timeoutMs,
      intervalMs: 10,
    });
  }

  /** Statistics so far (final once stopped). */
  report(): WriterReport {
    const end = this.stoppedAt ?? nowMs();
    const threshold = this.opts.gapThresholdMs ?? 250;
    const ackTimes = this.records
      .map((r) => r.ackAt)
      .filter((t): t is number => t !== undefined)
      .sort((a, b) => a - b);
    const { longest, gaps } = computeGaps(ackTimes, threshold);
    const errors: Record<string, number> = {};
    let failed = 0;
    let timedOut = 0;
    let late = 0;
    for (const r of this.records) {
      if (r.error !== undefined) {
        failed++;
        const k = r.error.slice(0, 100);
        errors[k] = (errors[k] ?? 0) + 1;
      }
      if (r.timedOut === true) timedOut++;
      if (r.lateAckAt !== undefined) late++;
    }
    const first = ackTimes[0];
    const last = ackTimes[ackTimes.length - 1];
    return {
      writerId: this.writerId,
      attempted: this.records.length,
      acknowledged: ackTimes.length,
      lateAcknowledged: late,
      failed,
      timedOut,
      startedAt: this.startedAt,
      stoppedAt: end,
      durationMs: end - this.startedAt,
      longestGapMs: longest?.ms ?? 0,
      longestGapStartedAt: longest?.from,
      leadingGapMs: (first ?? end) - this.startedAt,
      trailingGapMs: end - (last ?? this.startedAt),
      gapThresholdMs: threshold,
      gaps,
      errors,
    };
  }

  /** Keys and values this writer expects to find (acknowledged writes). */
  expectedEntries(includeLateAcks = true): { key: string; value: string }[] {
    return this.records
      .filter((r) => r.ackAt !== undefined || (includeLateAcks && r.lateAckAt !== undefined))
      .map((r) => ({ key: r.key, value: String(r.seq) }));
  }

  /** Reads back every acknowledged key from a node and reports the ones missing or wrong. */
  verify(target: VerifyTarget, opts: VerifyOptions = {}): Promise<VerifyReport> {
    return readBack(target, this.expectedEntries(opts.includeLateAcks ?? true), opts);
  }
}

export interface WriterGroupReport {
  writers: WriterReport[];
  attempted: number;
  acknowledged: number;
  lateAcknowledged: number;
  failed: number;
  timedOut: number;
  /** Longest interval during which no writer got an acknowledgement. */
  longestGapMs: number;
  longestGapStartedAt: number | undefined;
  /** Intervals over the threshold during which no writer got an acknowledgement. */
  gaps: Gap[];
}

/** Several ContinuousWriters running concurrently, each with its own id (and client, given a factory). */
export class WriterGroup {
  readonly writers: ContinuousWriter[];

  constructor(count: number, opts: Omit<ContinuousWriterOptions, 'writerId'> & { idPrefix?: string }) {
    const prefix = opts.idPrefix ?? `${process.pid}-${++writerCounter}`;
    this.writers = Array.from(
      { length: count },
      (_, i) => new ContinuousWriter({ ...opts, writerId: `${prefix}-${i + 1}` }),
    );
  }

  start(): void {
    for (const w of this.writers) w.start();
  }

  get acknowledged(): number {
    return this.writers.reduce((n, w) => n + w.acknowledged, 0);
  }

  async waitForAcks(count: number, timeoutMs = 10_000): Promise<void> {
    await waitFor(() => this.acknowledged >= count, {
      what: `writers to have ${count} acknowledged writes in total (have ${this.acknowledged})`,
      timeoutMs,
      intervalMs: 10,
    });
  }

  async stop(): Promise<WriterGroupReport> {
    await Promise.all(this.writers.map((w) => w.stop()));
    return this.report();
  }

  report(): WriterGroupReport {
    const writers = this.writers.map((w) => w.report());
    const threshold = writers[0]?.gapThresholdMs ?? 250;
    const ackTimes = this.writers
      .flatMap((w) => w.records.map((r) => r.ackAt))
      .filter((t): t is number => t !== undefined)
      .sort((a, b) => a - b);
    const { longest, gaps } = computeGaps(ackTimes, threshold);
    const sum = (f: (r: WriterReport) => number): number => writers.reduce((n, r) => n + f(r), 0);
    return {
      writers,
      attempted: sum((r) => r.attempted),
      acknowledged: sum((r) => r.acknowledged),
      lateAcknowledged: sum((r) => r.lateAcknowledged),
      failed: sum((r) => r.failed),
      timedOut: sum((r) => r.timedOut),
      longestGapMs: longest?.ms ?? 0,
      longestGapStartedAt: longest?.from,
      gaps,
    };
  }

  /** Reads back every writer's acknowledged keys from one node. */
  verify(target: VerifyTarget, opts: VerifyOptions = {}): Promise<VerifyReport> {
    const expected = this.writers.flatMap((w) => w.expectedEntries(opts.includeLateAcks ?? true));
    return readBack(target, expected, opts);
  }
}
