/**
 * The frame every benchmark runs in: one run after another, each under its own deadline and a
 * backstop, everything a run started stopped before the next; Ctrl-C, SIGTERM and the bench's
 * own deadline stop every process it started.
 */
import { writeFileSync } from 'node:fs';
import { cleanupAll, nowMs, withTimeout } from '../../test/harness/index.js';
import { errorMessage } from '../../src/node/errors.js';

/** What a run has started so far; `cancelled` tells it to stop at its next checkpoint. */
export interface RunState {
  cancelled: boolean;
}

export function checkpoint(state: RunState): void {
  if (state.cancelled) throw new Error('run cancelled');
}

export interface RunPlanOptions<P, S extends RunState, R extends { problems: string[] }> {
  plan: readonly P[];
  /** The whole bench's deadline: past it, every process is stopped and the bench exits with 3. */
  benchDeadlineMs: number;
  /** Deadline of one run; its waits are bounded by it. */
  runTimeoutMs: number;
  /** Time on top of runTimeoutMs before a run that ignores its deadline is given up. */
  backstopMs: number;
  /** Longest wait for the processes to stop, between runs and when the bench is stopped. */
  cleanupMs: { betweenRuns: number; onAbort: number };
  label(p: P): string;
  newState(): S;
  run(p: P, state: S, deadline: number): Promise<R>;
  /** The result of a run that threw (or missed its backstop). */
  failed(p: P, state: S, message: string): R | Promise<R>;
  /** Stops what cancelling the state does not (a child process of the run). */
  kill?(state: S): void;
  /** Called once the run's processes are stopped. */
  done?(result: R): void;
}

/** Runs the plan; undefined when the bench was stopped (the process exits by itself then). */
export async function runPlan<P, S extends RunState, R extends { problems: string[] }>(
  o: RunPlanOptions<P, S, R>,
): Promise<R[] | undefined> {
  const results: R[] = [];
  let current: S | undefined;
  let stopping = false;
  const abort = (why: string, code: number): void => {
    if (stopping) process.exit(code);
    stopping = true;
    if (current !== undefined) {
      current.cancelled = true;
      o.kill?.(current);
    }
    process.stderr.write(`\n${why}: stopping every process the bench started\n`);
    void withTimeout(cleanupAll(), o.cleanupMs.onAbort, 'cleanup')
      .catch((err: unknown) => process.stderr.write(`cleanup: ${String(err)}\n`))
      .finally(() => process.exit(code));
  };
  // The harness's own handlers (installed first) have already SIGKILLed every child by now.
  const onSigint = (): void => abort('interrupted (SIGINT)', 130);
  const onSigterm = (): void => abort('terminated (SIGTERM)', 143);
  process.on('SIGINT', onSigint);
  process.on('SIGTERM', onSigterm);
  const benchTimer = setTimeout(
    () => abort(`the bench's deadline (${Math.round(o.benchDeadlineMs / 1000)} s) passed`, 3),
    o.benchDeadlineMs,
  );
  try {
    for (const p of o.plan) {
      if (stopping) break;
      const state = o.newState();
      current = state;
      const deadline = nowMs() + o.runTimeoutMs;
      const attempt = o.run(p, state, deadline);
      let result: R;
      try {
        // run() bounds each of its waits by the deadline; this is the backstop.
        result = await withTimeout(attempt, o.runTimeoutMs + o.backstopMs, o.label(p));
      } catch (err) {
        attempt.catch(() => undefined);
        o.kill?.(state);
        result = await o.failed(p, state, errorMessage(err));
      } finally {
        state.cancelled = true;
      }
      if (stopping) break;
      try {
        await withTimeout(cleanupAll(), o.cleanupMs.betweenRuns, 'cleanup between runs');
      } catch (err) {
        result.problems.push(`cleanup: ${errorMessage(err)}`);
      }
      results.push(result);
      o.done?.(result);
    }
  } finally {
    clearTimeout(benchTimer);
  }
  if (stopping) return undefined;
  process.off('SIGINT', onSigint);
  process.off('SIGTERM', onSigterm);
  return results;
}

/** Writes the JSON document of a bench and says where. */
export function writeJson(path: string, doc: unknown): void {
  writeFileSync(path, `${JSON.stringify(doc, null, 2)}\n`);
  process.stdout.write(`wrote ${path}\n`);
}

/**
 * Parses the options (exit code 2 and the usage when they are wrong), runs the bench and exits
 * with its code; an unexpected error is printed and every process stopped.
 */
export function benchMain<O>(
  name: string,
  usage: string,
  parse: (argv: string[]) => O,
  main: (opts: O) => Promise<number>,
): void {
  let opts: O;
  try {
    opts = parse(process.argv.slice(2));
  } catch (err) {
    process.stderr.write(`${errorMessage(err)}\n${usage}\n`);
    process.exitCode = 2;
    return;
  }
  main(opts).then(
    (code) => {
      // Whatever a client library left open must not keep a finished bench alive.
      void cleanupAll()
        .catch(() => undefined)
        .finally(() => process.exit(code));
    },
    (err: unknown) => {
      process.stderr.write(`${name}: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
      void cleanupAll()
        .catch(() => undefined)
        .finally(() => process.exit(1));
    },
  );
}
