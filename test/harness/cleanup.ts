// Registry of everything the harness starts (processes, clients, temp dirs, writers), so that a
// test run never leaks a server holding a port:
//  - cleanupAll() stops everything registered (node:test: registerCleanupHooks() runs it in `after`);
//  - a process 'exit' hook and SIGINT/SIGTERM/SIGHUP handlers SIGKILL every child still alive;
//  - reapOrphans() kills servers left behind by a harness process that was itself SIGKILLed
//    (each process records its children in <tmpdir>/vigil-h-<ownerPid>-*/pids).
import { after } from 'node:test';
import {
  appendFileSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  readlinkSync,
  realpathSync,
  rmSync,
} from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { withTimeout } from './wait.js';

/** Cleanup runs in this order: writers/subscriptions, then clients, then processes, then directories. */
export type CleanupKind = 'other' | 'client' | 'process' | 'dir';
const PHASES: readonly CleanupKind[] = ['other', 'client', 'process', 'dir'];

interface Entry {
  id: number;
  label: string;
  kind: CleanupKind;
  fn: () => void | Promise<void>;
}

const entries = new Map<number, Entry>();
let nextId = 1;
const CLEANUP_STEP_TIMEOUT_MS = 10_000;

/** Set VIGIL_HARNESS_KEEP=1 to keep temp dirs (configs, logs, data) for inspection. */
export const keepTempDirs = process.env['VIGIL_HARNESS_KEEP'] === '1';

/** Registers a cleanup step; returns a function that unregisters it (call it once the thing is gone). */
export function onCleanup(
  label: string,
  fn: () => void | Promise<void>,
  kind: CleanupKind = 'other',
): () => void {
  const id = nextId++;
  entries.set(id, { id, label, kind, fn });
  return () => {
    entries.delete(id);
  };
}

/** Labels of registered cleanup steps not yet run. */
export function pendingCleanups(): string[] {
  return [...entries.values()].map((e) => `${e.kind}: ${e.label}`);
}

/**
 * Runs every registered step (phase by phase, steps of a phase concurrently, each with a deadline),
 * then removes this process's harness root directory. Throws an AggregateError naming the steps
 * that failed, after having attempted all of them.
 */
export async function cleanupAll(): Promise<void> {
  const errors: Error[] = [];
  for (const phase of PHASES) {
    const batch = [...entries.values()].filter((e) => e.kind === phase).reverse();
    for (const e of batch) entries.delete(e.id);
    const results = await Promise.allSettled(
      batch.map((e) =>
        withTimeout(Promise.resolve().then(e.fn), CLEANUP_STEP_TIMEOUT_MS, `cleanup: ${e.label}`),
      ),
    );
    results.forEach((r, i) => {
      if (r.status === 'rejected') {
        const reason: unknown = r.reason;
        const msg = reason instanceof Error ? reason.message : String(reason);
        errors.push(new Error(`cleanup step '${batch[i]!.label}' failed: ${msg}`));
      }
    });
  }
  // Anything still alive at this point (a step failed or was never registered) is killed outright.
  killAllSync();
  if (root !== undefined && !keepTempDirs) {
    const r = root;
    root = undefined;
    await rm(r, { recursive: true, force: true, maxRetries: 3 });
  }
  if (errors.length > 0) throw new AggregateError(errors, errors.map((e) => e.message).join('; '));
}

/** node:test: run cleanupAll() after the file's tests (call once at the top of a test file). */
export function registerCleanupHooks(): void {
  after(async () => {
    await cleanupAll();
  });
}

// ---------------------------------------------------------------------------------------------
// Harness root directory and temp dirs.

let root: string | undefined;
let reaped = false;
const ROOT_PREFIX = 'vigil-h-';

/** This process's harness directory, <tmpdir>/vigil-h-<pid>-XXXXXX, created on first use. */
export function harnessRoot(): string {
  if (!reaped) {
    reaped = true;
    reapOrphans();
  }
  root ??= realpathSync(mkdtempSync(join(tmpdir(), `${ROOT_PREFIX}${process.pid}-`)));
  return root;
}

/** A fresh directory under the harness root, removed by cleanupAll(). */
export function makeTempDir(label: string): string {
  const safe = label.replace(/[^A-Za-z0-9_.-]+/g, '_').slice(0, 40) || 'dir';
  const dir = mkdtempSync(join(harnessRoot(), `${safe}-`));
  onCleanup(
    `remove ${dir}`,
    async () => {
      if (!keepTempDirs) await rm(dir, { recursive: true, force: true, maxRetries: 3 });
    },
    'dir',
  );
  return dir;
}

// ---------------------------------------------------------------------------------------------
// Child processes and the SIGKILL safety net.

const live = new Map<number, string>();
const exitHooks: (() => void)[] = [];

/** Records a spawned child: killed on process exit, and listed for reapOrphans() of a later run. */
export function trackPid(pid: number, label: string, cwd: string): void {
  live.set(pid, label);
  try {
    appendFileSync(join(harnessRoot(), 'pids'), `${pid}\t${realpathSync(cwd)}\n`);
  } catch {
    // The reaper record is a best-effort extra; the exit hook still covers this pid.
  }
}

export function untrackPid(pid: number): void {
  live.delete(pid);
}

/** PIDs of harness children that have not been seen to exit. */
export function livePids(): number[] {
  return [...live.keys()];
}

/** Synchronous work to do when the process exits (after children are killed). */
export function onProcessExit(fn: () => void): void {
  exitHooks.push(fn);
}

function killAllSync(): void {
  for (const pid of live.keys()) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // Already gone.
    }
  }
}

/** Process state letter from /proc/<pid>/stat (R, S, D, T, Z, ...), undefined if unavailable. */
export function procState(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const i = stat.lastIndexOf(')');
    return stat.slice(i + 2, i + 3);
  } catch {
    return undefined;
  }
}

/** Whether a process exists and is not a zombie (an exited child not yet reaped by its parent). */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  return procState(pid) !== 'Z';
}

function runExitHooks(): void {
  for (const fn of exitHooks.splice(0)) {
    try {
      fn();
    } catch {
      // Exit hooks must not throw.
    }
  }
}

process.on('exit', () => {
  killAllSync();
  runExitHooks();
  if (root !== undefined && !keepTempDirs && live.size === 0) {
    try {
      rmSync(root, { recursive: true, force: true });
    } catch {
      // Left for reapOrphans() of a later run.
    }
  }
});

for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  const handler = (): void => {
    killAllSync();
    runExitHooks();
    process.removeListener(sig, handler);
    // Nobody else handles the signal: die of it, as the default disposition would have.
    if (process.listenerCount(sig) === 0) process.kill(process.pid, sig);
  };
  process.on(sig, handler);
}

/**
 * Kills processes recorded by harness processes that no longer exist (a test run killed with
 * SIGKILL cannot run its exit hook) and removes their directories. A recorded pid is only killed
 * if its working directory is still the recorded one, so a recycled pid is never touched.
 * Returns the pids it killed.
 */
export function reapOrphans(): number[] {
  const killed: number[] = [];
  const base = tmpdir();
  let names: string[];
  try {
    names = readdirSync(base);
  } catch {
    return killed;
  }
  for (const name of names) {
    const m = /^vigil-h-(\d+)-/.exec(name);
    if (!m) continue;
    const owner = Number(m[1]);
    if (owner === process.pid || isAlive(owner)) continue;
    const dir = join(base, name);
    let survivors = 0;
    let records = '';
    try {
      records = readFileSync(join(dir, 'pids'), 'utf8');
    } catch {
      // No children recorded.
    }
    for (const line of records.split('\n')) {
      const [pidText, cwd] = line.split('\t');
      const pid = Number(pidText);
      if (!Number.isInteger(pid) || pid <= 0 || cwd === undefined || !isAlive(pid)) continue;
      let actual: string | undefined;
      try {
        actual = readlinkSync(`/proc/${pid}/cwd`);
      } catch {
        continue;
      }
      if (actual !== cwd) continue;
      try {
        process.kill(pid, 'SIGKILL');
        killed.push(pid);
        survivors++;
      } catch {
        // Gone meanwhile.
      }
    }
    // Directories of just-killed processes are removed by a later call, once they are gone.
    if (survivors === 0 && !keepTempDirs) {
      try {
        rmSync(dir, { recursive: true, force: true });
      } catch {
        // Try again next time.
      }
    }
  }
  return killed;
}
