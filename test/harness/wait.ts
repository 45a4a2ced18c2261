// Condition waits with deadlines. Nothing in the harness sleeps and hopes: every wait polls a
// condition and, on timeout, says what it was waiting for and what it last saw.
import { inspect } from 'node:util';
import { setTimeout as delay } from 'node:timers/promises';

/** Wall-clock milliseconds with sub-millisecond resolution, monotonic within the process. */
export function nowMs(): number {
  return performance.timeOrigin + performance.now();
}

export interface WaitOptions {
  /** What is being waited for; named in the timeout error. */
  what: string;
  /** Default 10 000 ms. */
  timeoutMs?: number;
  /** Pause between probes. Default 50 ms. */
  intervalMs?: number;
}

/** Thrown when a wait's deadline passes. */
export class WaitTimeoutError extends Error {
  override readonly name = 'WaitTimeoutError';
  constructor(
    message: string,
    readonly what: string,
    readonly lastValue: unknown,
    readonly lastError: unknown,
  ) {
    super(message);
  }
}

/** Throw this from a probe to end the wait at once (for example: the process being waited on exited). */
export class AbortWait extends Error {
  override readonly name = 'AbortWait';
}

function show(v: unknown): string {
  if (v instanceof Error) return `${v.name}: ${v.message}`;
  const s = inspect(v, { depth: 4, breakLength: Infinity });
  return s.length > 600 ? `${s.slice(0, 600)}...` : s;
}

const PENDING = Symbol('pending');

/**
 * Polls `probe` until `accept(value)` holds and returns that value. A probe that throws counts as a
 * miss (the exception is remembered); a probe still pending at the deadline does not extend it.
 */
export async function waitForValue<T>(
  probe: () => Promise<T> | T,
  accept: (value: T) => boolean,
  opts: WaitOptions,
): Promise<T> {
  const timeoutMs = opts.timeoutMs ?? 10_000;
  const intervalMs = opts.intervalMs ?? 50;
  const start = nowMs();
  const deadline = start + timeoutMs;
  let lastValue: unknown = PENDING;
  let lastError: unknown;
  let probes = 0;
  for (;;) {
    probes++;
    const remaining = deadline - nowMs();
    let timer: NodeJS.Timeout | undefined;
    try {
      const probed = Promise.resolve().then(probe);
      probed.catch(() => undefined);
      const timedOut = new Promise<typeof PENDING>((res) => {
        timer = setTimeout(() => res(PENDING), Math.max(remaining, 1));
      });
      const v = await Promise.race([probed, timedOut]);
      if (v !== PENDING) {
        lastValue = v;
        lastError = undefined;
        if (accept(v)) return v;
      } else {
        lastError = new Error('probe still pending at the deadline');
      }
    } catch (err) {
      if (err instanceof AbortWait) throw err;
      lastError = err;
    } finally {
      clearTimeout(timer);
    }
    const left = deadline - nowMs();
    if (left <= 0) {
      const observed =
        lastError !== undefined
          ? `last probe failed: ${show(lastError)}${lastValue !== PENDING ? `; last value: ${show(lastValue)}` : ''}`
          : `last value: ${show(lastValue)}`;
      throw new WaitTimeoutError(
        `timed out after ${Math.round(nowMs() - start)} ms (${probes} probes) waiting for ${opts.what}; ${observed}`,
        opts.what,
        lastValue === PENDING ? undefined : lastValue,
        lastError,
      );
    }
    await delay(Math.min(intervalMs, left));
  }
}

/** Polls `cond` until it returns true. */
export async function waitFor(cond: () => Promise<boolean> | boolean, opts: WaitOptions): Promise<void> {
  await waitForValue(cond, (v) => v, opts);
}

/** Resolves or rejects like `p`, but rejects with a WaitTimeoutError if `p` takes longer than `timeoutMs`. */
export async function withTimeout<T>(p: Promise<T>, timeoutMs: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  p.catch(() => undefined);
  const timeout = new Promise<never>((_, rej) => {
    timer = setTimeout(
      () =>
        rej(
          new WaitTimeoutError(
            `timed out after ${timeoutMs} ms waiting for ${what}`,
            what,
            undefined,
            undefined,
          ),
        ),
      timeoutMs,
    );
  });
  try {
    return await Promise.race([p, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
