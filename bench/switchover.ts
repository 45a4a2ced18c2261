// Benchmark: acknowledged writes lost, and write gaps, over consecutive planned switchovers:
// Vigil's `SENTINEL FAILOVER <name> COORDINATED`, the plain `SENTINEL FAILOVER <name>` that
// existing scripts send (to Vigil, which hands over the coordinated way while the primary
// answers, and to redis-sentinel), side by side on the same group shape.
//
// Each system gets one run: a fresh replication group (a primary and two replicas, persistence
// off), three monitors (quorum 2, down-after 5000 ms, so that no reactive failover interferes),
// and several writers through real client libraries using Sentinel discovery (ioredis, node-redis
// `createSentinel`, redis-py `Sentinel.master_for` in a child process), every write a unique key,
// every acknowledgement recorded with its time. Then N switchovers one after another, each waiting
// until every monitor reports the new primary with no failover in progress, the group replicates
// from it, and every writer has had a write acknowledged again, plus a short settle. At the end
// every acknowledged key is read back from the final primary. Everything a run starts is stopped
// before the next begins; every switchover, every run and the whole bench have a deadline.
//
//   node dist/bench/switchover.js [--switchovers 20] [--writers 3] [--systems vigil,redis-sentinel]
//                                 [--switchover-timeout 60] [--json out.json]
import { loadavg } from 'node:os';
import { setTimeout as delay } from 'node:timers/promises';
import { errorMessage } from '../src/node/errors.js';
import {
  AbortWait,
  nowMs,
  parseInstanceDetails,
  RespError,
  waitFor,
  withTimeout,
  type RedisServer,
  type SentinelEvent,
  type SentinelKind,
  type WriteRecord,
} from '../test/harness/index.js';
import { MonitorCluster } from '../test/harness/monitors.js';
import { commandOutput, ioredisVersion, machine, packageVersion } from './lib/environment.js';
import { intOption, listOption, readOptions, reproduceCommand } from './lib/options.js';
import { fmt, nearestRank, stat, table } from './lib/report.js';
import { benchMain, checkpoint, runPlan, writeJson } from './lib/runs.js';
import {
  LIBRARIES,
  makeWriter,
  type BenchWriter,
  type Library,
  type WriterConfig,
  type WriterSetup,
} from './lib/writers.js';

const MASTER = 'mymaster';
const MONITORS = 3;
const QUORUM = 2;
/** Long enough that no monitor ever sees the primary as down during a switchover. */
const DOWN_AFTER_MS = 5000;
const FAILOVER_TIMEOUT_MS = 10_000;
const PERSISTENCE = 'none';
/** A write not acknowledged within this long counts as failed (and the next one follows). */
const WRITE_TIMEOUT_MS = 1000;
/** Pause after a failed write, in every writer. */
const ERROR_BACKOFF_MS = 10;
/** Reconnect delay of the ioredis and node-redis clients (redis-py reconnects on the next write). */
const RECONNECT_MS = 10;
/** Writes before the first switchover, after every writer's first acknowledgement. */
const WARMUP_MS = 1000;
/** Writes go on this long after every writer is back, before the next switchover. */
const SETTLE_MS = 500;
/** Keys per MGET when the acknowledged writes are read back. */
const VERIFY_BATCH = 1000;
/** Vigil's target (the issue): no acknowledged write lost, longest write gap at most this (aim: half). */
const TARGET_GAP_MS = 100;
const AIM_GAP_MS = 50;
const TARGET_SWITCHOVERS = 20;
/** Setup (group, monitors, clients, warm-up) and verification, on top of the switchovers' deadlines. */
const RUN_OVERHEAD_MS = 120_000;

type System = 'vigil' | 'vigil-classic' | 'redis-sentinel';
const ALL_SYSTEMS: readonly System[] = ['vigil', 'vigil-classic', 'redis-sentinel'];
const SYSTEM_KIND: Record<System, SentinelKind> = {
  vigil: 'vigil',
  'vigil-classic': 'vigil',
  'redis-sentinel': 'redis',
};
/** What each system is asked to do. */
const SWITCHOVER_COMMAND: Record<System, string[]> = {
  vigil: ['SENTINEL', 'FAILOVER', MASTER, 'COORDINATED'],
  'vigil-classic': ['SENTINEL', 'FAILOVER', MASTER],
  'redis-sentinel': ['SENTINEL', 'FAILOVER', MASTER],
};

/** Events whose first occurrence (on any monitor) after each command is recorded. */
const MILESTONES = [
  '+elected-leader',
  '+coordinated-handover',
  '+promoted-slave',
  '+switch-master',
  '+failover-end',
  '+convert-to-slave',
] as const;
type Milestone = (typeof MILESTONES)[number];

interface Options {
  switchovers: number;
  writers: number;
  systems: System[];
  switchoverTimeoutMs: number;
  json: string | undefined;
}

const USAGE = [
  'usage: node dist/bench/switchover.js [options]',
  `  --switchovers N          consecutive switchovers per system (default ${TARGET_SWITCHOVERS})`,
  '  --writers K              writers in all, assigned in turn to ioredis, node-redis, redis-py',
  '                           (default 3, at least 3: one per library)',
  '  --systems LIST           comma-separated: vigil,vigil-classic,redis-sentinel (default all)',
  '  --switchover-timeout S   deadline of one switchover in seconds (default 60)',
  '  --json FILE              also write every switchover (with its events) and the summary to FILE',
].join('\n');

function parseOptions(argv: string[]): Options {
  const values = readOptions(
    argv,
    USAGE,
    {
      switchovers: String(TARGET_SWITCHOVERS),
      writers: '3',
      systems: ALL_SYSTEMS.join(','),
      'switchover-timeout': '60',
    },
    ['json'],
  );
  return {
    switchovers: intOption('switchovers', values.switchovers, 1, 200),
    writers: intOption('writers', values.writers, 3, 30),
    systems: listOption('systems', values.systems, ALL_SYSTEMS),
    switchoverTimeoutMs: intOption('switchover-timeout', values['switchover-timeout'], 10, 600) * 1000,
    json: values.json,
  };
}

function reproduce(o: Options): string {
  return reproduceCommand(
    'switchover.js',
    [
      ['switchovers', o.switchovers],
      ['writers', o.writers],
      ['systems', o.systems.join(',')],
      ['switchover-timeout', o.switchoverTimeoutMs / 1000],
    ],
    o.json,
  );
}

function runBudgetMs(o: Options): number {
  return RUN_OVERHEAD_MS + o.switchovers * (o.switchoverTimeoutMs + SETTLE_MS);
}

const WRITER_CONFIG: WriterConfig = {
  name: MASTER,
  writeTimeoutMs: WRITE_TIMEOUT_MS,
  errorBackoffMs: ERROR_BACKOFF_MS,
  reconnectMs: RECONNECT_MS,
};

function makeWriters(system: System, count: number, sentinels: WriterSetup['sentinels'], maxMs: number) {
  return Array.from({ length: count }, (_, i): BenchWriter => {
    const library = LIBRARIES[i % LIBRARIES.length]!;
    return makeWriter(library, WRITER_CONFIG, {
      id: `${system}-${library}-${i + 1}`,
      sentinels,
      maxDurationMs: maxMs,
    });
  });
}

/** Whether some write sent at or after `t` has been acknowledged (records are in send order). */
function ackedSince(records: readonly WriteRecord[], t: number): boolean {
  for (let k = records.length - 1; k >= 0 && records[k]!.sentAt >= t; k--) {
    if (records[k]!.ackAt !== undefined) return true;
  }
  return false;
}

/** Waits until every writer has had a write sent at or after `since` acknowledged. */
async function waitForWriters(writers: BenchWriter[], since: number, timeoutMs: number, what: string) {
  try {
    await waitFor(() => writers.every((w) => ackedSince(w.records(), since)), {
      what: `every writer to have a write acknowledged ${what}`,
      timeoutMs,
      intervalMs: 5,
    });
  } catch (err) {
    const late = writers.filter((w) => !ackedSince(w.records(), since));
    const last = (w: BenchWriter): string => {
      const r = w.records().at(-1);
      return r === undefined
        ? 'no write yet'
        : `last write: ${r.error ?? (r.ackAt !== undefined ? 'acknowledged' : 'in flight')}`;
    };
    throw new Error(
      `${errorMessage(err)}; not back: ${late.map((w) => `${w.id} (${[last(w), ...w.problems()].join('; ')})`).join(', ')}`,
      { cause: err },
    );
  }
}

/**
 * Waits until every monitor lists every node but `primary` as a replica that reports role slave,
 * replicates from `primary` with its link up, and is not flagged down or disconnected.
 */
async function waitForReplicaViews(cluster: MonitorCluster, primary: RedisServer, timeoutMs: number) {
  const others = cluster.group.nodes.filter((n) => n !== primary).map((n) => n.port);
  await waitFor(
    async () => {
      for (const m of cluster.monitors) {
        const seen = (await m.replicas(MASTER)).filter(
          (r) =>
            r['role-reported'] === 'slave' &&
            r['master-port'] === String(primary.port) &&
            r['master-link-status'] === 'ok' &&
            !/s_down|o_down|disconnected/.test(r['flags'] ?? ''),
        );
        if (!others.every((p) => seen.some((r) => r['port'] === String(p)))) return false;
      }
      return true;
    },
    {
      what: `every monitor to see ${others.join(', ')} replicate from ${primary.addr}`,
      timeoutMs,
      intervalMs: 50,
    },
  );
}

// ---------------------------------------------------------------------------------------------
// One system: group, monitors, writers, N switchovers, verification.

interface EventTime {
  /** Milliseconds after the command. */
  ms: number;
  /** 1-based index of the monitor that published it first. */
  monitor: number;
}

interface SwitchoverResult {
  /** 1-based. */
  index: number;
  ok: boolean;
  error?: string;
  /** 1-based index of the monitor the command was sent to. */
  via: number;
  from: string;
  to?: string;
  /** nowMs() when the accepted command was sent. */
  startedAt: number;
  /** nowMs() when the settle after it ended (or it failed). */
  endedAt: number;
  /** Round trip of the accepted command. */
  replyMs?: number;
  /** -INPROG replies before the command was accepted. */
  inprogRetries: number;
  events: Partial<Record<Milestone, EventTime>>;
  /** +switch-master from the last of the monitors, ms after the command. */
  allSwitchedMs?: number;
  /** Every monitor names the new primary with no failover in progress, and the group replicates from it. */
  agreedMs?: number;
  /** Every writer has had a write sent after the agreement acknowledged. */
  resumedMs?: number;
  /** Every monitor lists every other node as a replica of the new primary, link up. */
  replicasSeenMs?: number;
  /** Longest time in [command, end] during which no writer got an acknowledgement. */
  gapMs?: number;
  /** Where that gap began (the acknowledgement before it), ms after the command. */
  gapStartMs?: number;
  /** The same per library (no writer of that library got one). */
  gapByLibrary: Partial<Record<Library, number>>;
  /** The longest such time of any single writer. */
  worstWriterGapMs?: number;
  /** Writes acknowledged from this command to the next one. */
  acknowledged: number;
  /** Of those, lost on the final primary (or holding another value). */
  lost: number;
  problems: string[];
  /** Every event of every monitor in [command, end], ms after the command. */
  eventLog: { ms: number; monitor: number; channel: string; payload: string }[];
  diagnostics?: string;
}

interface WriterSummary {
  id: string;
  library: Library;
  attempted: number;
  acknowledged: number;
  lateAcknowledged: number;
  failed: number;
  lost: number;
  errors: Record<string, number>;
}

interface SystemResult {
  system: System;
  ok: boolean;
  error?: string;
  switchovers: SwitchoverResult[];
  writers: WriterSummary[];
  initialPrimary?: string;
  finalPrimary?: string;
  acknowledged?: number;
  /** Acknowledged writes checked (including writes acknowledged after their timeout). */
  checked?: number;
  lost?: number;
  wrongValue?: number;
  lostKeys: string[];
  lostByLibrary: Partial<Record<Library, number>>;
  /** Acknowledged before the first switchover and lost. */
  lostBeforeFirst: number;
  /** Longest time with no acknowledgement from any writer over the whole run. */
  longestGapMs?: number;
  /** 1-minute load average when the switchovers ended (other load on the machine shows here). */
  loadAverage?: number;
  problems: string[];
}

/** What a run has started so far, for diagnostics and cancellation. */
interface RunState {
  cancelled: boolean;
  cluster: MonitorCluster | undefined;
  writers: BenchWriter[];
}

/** Whether an event concerns the monitored master (itself, or one of its replicas). */
function concernsMaster(e: SentinelEvent): boolean {
  if (e.channel === '+switch-master') return e.payload.split(' ')[0] === MASTER;
  const d = parseInstanceDetails(e.payload);
  if (d === undefined) return false;
  return d.master?.name === MASTER || (d.type === 'master' && d.name === MASTER);
}

function firstEvent(cluster: MonitorCluster, channel: string, from: number): EventTime | undefined {
  let best: EventTime | undefined;
  cluster.watched.forEach((w, i) => {
    const e = cluster.events(w, channel, from).find(concernsMaster);
    if (e !== undefined && (best === undefined || e.at - from < best.ms)) {
      best = { ms: e.at - from, monitor: i + 1 };
    }
  });
  return best;
}

async function dumpOf(cluster: MonitorCluster | undefined): Promise<string> {
  if (cluster === undefined) return '(nothing started yet)';
  return withTimeout(cluster.dump(), 10_000, 'diagnostics').catch(
    (err: unknown) => `(diagnostics failed: ${errorMessage(err)})`,
  );
}

async function switchover(
  system: System,
  index: number,
  cluster: MonitorCluster,
  writers: BenchWriter[],
  from: RedisServer,
  deadline: number,
  state: RunState,
): Promise<{ result: SwitchoverResult; primary: RedisServer | undefined }> {
  const remaining = (): number => Math.max(1, deadline - nowMs());
  const via = ((index - 1) % MONITORS) + 1;
  const monitor = cluster.monitors[via - 1]!;
  const result: SwitchoverResult = {
    index,
    ok: false,
    via,
    from: from.addr,
    startedAt: nowMs(),
    endedAt: 0,
    inprogRetries: 0,
    events: {},
    gapByLibrary: {},
    acknowledged: 0,
    lost: 0,
    problems: [],
    eventLog: [],
  };
  let primary: RedisServer | undefined;
  try {
    // redis-sentinel answers -INPROG while its last failover runs; the previous switchover
    // waited for the end of it, so a retry here is noted as a problem.
    for (;;) {
      result.startedAt = nowMs();
      try {
        const reply = await monitor.commandWithTimeout(
          Math.min(5000, remaining()),
          ...SWITCHOVER_COMMAND[system],
        );
        if (reply !== 'OK')
          throw new Error(`${SWITCHOVER_COMMAND[system].join(' ')} answered ${String(reply)}`);
        break;
      } catch (err) {
        if (err instanceof RespError && err.code === 'INPROG' && remaining() > 1000) {
          result.inprogRetries++;
          await delay(100);
          continue;
        }
        throw err;
      }
    }
    const t0 = result.startedAt;
    result.replyMs = nowMs() - t0;
    if (result.inprogRetries > 0) result.problems.push(`${result.inprogRetries} -INPROG replies first`);
    checkpoint(state);

    await waitFor(
      () => {
        // -failover-abort-coordinated (Vigil), or any other abort of this failover.
        const aborts = cluster.watched.flatMap((w) =>
          w.recorders.flatMap((r) => r.find(/^-failover-abort/, (e) => e.at >= t0 && concernsMaster(e))),
        );
        if (aborts.length > 0) {
          throw new AbortWait(`${aborts[0]!.channel} ${aborts[0]!.payload}`);
        }
        return firstEvent(cluster, '+switch-master', t0) !== undefined;
      },
      { what: `+switch-master from any monitor`, timeoutMs: remaining(), intervalMs: 5 },
    );
    checkpoint(state);
    const agreed = await cluster.waitForAgreement({ notPort: from.port, timeoutMs: remaining() });
    primary = agreed.primary;
    result.to = primary.addr;
    const ready = nowMs();
    result.agreedMs = ready - t0;
    checkpoint(state);
    await waitForWriters(writers, ready, remaining(), 'after the agreement');
    result.resumedMs = nowMs() - t0;
    // Before the next switchover, every monitor must also have seen every other node replicate
    // from the new primary: redis-sentinel refreshes a replica's INFO only every 10 s, and a
    // monitor that still believes a freshly demoted node reports role master "converts" it back
    // when the next switchover promotes it (+convert-to-slave of the promoted replica).
    await waitForReplicaViews(cluster, primary, remaining());
    result.replicasSeenMs = nowMs() - t0;
    await delay(Math.min(SETTLE_MS, remaining()));
    checkpoint(state);
    result.ok = true;
  } catch (err) {
    result.error = errorMessage(err);
    result.diagnostics = await dumpOf(cluster);
  }
  result.endedAt = nowMs();
  const t0 = result.startedAt;
  for (const m of MILESTONES) {
    const f = firstEvent(cluster, m, t0);
    if (f !== undefined && f.ms <= result.endedAt - t0) result.events[m] = f;
  }
  const switched = cluster.watched.map(
    (w) =>
      cluster.events(w, '+switch-master', t0).find((e) => concernsMaster(e) && e.at <= result.endedAt)?.at,
  );
  if (switched.every((t) => t !== undefined)) result.allSwitchedMs = Math.max(...switched) - t0;
  const targets = new Set(
    cluster.watched.flatMap((w) =>
      cluster
        .events(w, '+switch-master', t0)
        .filter((e) => concernsMaster(e) && e.at <= result.endedAt)
        .map((e) => e.payload.split(' ').slice(3, 5).join(':')),
    ),
  );
  // Nothing is killed, restarted or cut off in this bench: these events point at a monitor bug
  // or at a machine too loaded to answer in time.
  for (const [i, w] of cluster.watched.entries()) {
    for (const r of w.recorders) {
      for (const e of r.find(/^\+(reboot|sdown|odown|tilt)$/, (x) => x.at >= t0 && x.at <= result.endedAt)) {
        result.problems.push(
          `unexpected ${e.channel} ${e.payload} on monitor ${i + 1} at ${Math.round(e.at - t0)} ms`,
        );
      }
    }
  }
  if (targets.size > 1)
    result.problems.push(`monitors announced different new primaries: ${[...targets].join(', ')}`);
  result.eventLog = cluster.watched
    .flatMap((w, i) =>
      w.recorders.flatMap((r) =>
        r.events
          .filter((e) => e.at >= t0 && e.at <= result.endedAt)
          .map((e) => ({ ms: e.at - t0, monitor: i + 1, channel: e.channel, payload: e.payload })),
      ),
    )
    .sort((a, b) => a.ms - b.ms);
  return { result, primary };
}

async function runSystem(
  system: System,
  opts: Options,
  deadline: number,
  state: RunState,
): Promise<SystemResult> {
  const remaining = (): number => Math.max(1, deadline - nowMs());
  const result: SystemResult = {
    system,
    ok: false,
    switchovers: [],
    writers: [],
    lostKeys: [],
    lostByLibrary: {},
    lostBeforeFirst: 0,
    problems: [],
  };
  const kind = SYSTEM_KIND[system];
  const cluster = await withTimeout(
    MonitorCluster.start({
      kinds: Array.from({ length: MONITORS }, () => kind),
      quorum: QUORUM,
      downAfterMs: DOWN_AFTER_MS,
      failoverTimeoutMs: FAILOVER_TIMEOUT_MS,
      replicas: 2,
    }),
    Math.min(remaining(), 60_000),
    'the group and the monitors to start',
  );
  state.cluster = cluster;
  checkpoint(state);
  let primary = (await cluster.waitForAgreement({ timeoutMs: Math.min(remaining(), 30_000) })).primary;
  result.initialPrimary = primary.addr;
  await waitForReplicaViews(cluster, primary, Math.min(remaining(), 30_000));

  const sentinels = cluster.monitors.map((m) => ({ host: m.host, port: m.port }));
  const writers = makeWriters(system, opts.writers, sentinels, remaining());
  state.writers = writers;
  for (const w of writers) await w.start();
  checkpoint(state);
  await waitFor(() => writers.every((w) => w.acknowledged() > 0), {
    what: `every writer's first acknowledged write (${writers
      .filter((w) => w.acknowledged() === 0)
      .map((w) => `${w.id}: ${w.problems().join('; ') || 'none yet'}`)
      .join(', ')})`,
    timeoutMs: Math.min(remaining(), 20_000),
    intervalMs: 10,
  });
  await delay(WARMUP_MS);
  checkpoint(state);

  for (let i = 1; i <= opts.switchovers; i++) {
    const swDeadline = Math.min(deadline, nowMs() + opts.switchoverTimeoutMs);
    const { result: sw, primary: next } = await switchover(
      system,
      i,
      cluster,
      writers,
      primary,
      swDeadline,
      state,
    );
    result.switchovers.push(sw);
    process.stdout.write(`${switchoverLine(system, sw)}\n`);
    checkpoint(state);
    if (sw.ok && next !== undefined) {
      primary = next;
      continue;
    }
    process.stderr.write(
      `\n${system} switchover ${i} failed: ${sw.error ?? ''}\n` +
        `events since the command:\n${sw.eventLog
          .map((e) => `  +${Math.round(e.ms)}ms monitor ${e.monitor} ${e.channel} ${e.payload}`)
          .join('\n')}\n${sw.diagnostics ?? ''}\n\n`,
    );
    // Go on from wherever the group settles (an aborted handover leaves the old primary).
    try {
      primary = (await cluster.waitForAgreement({ timeoutMs: Math.min(remaining(), 30_000) })).primary;
      await waitForWriters(writers, nowMs(), Math.min(remaining(), 30_000), 'after the failed switchover');
      await waitForReplicaViews(cluster, primary, Math.min(remaining(), 30_000));
      await delay(SETTLE_MS);
    } catch (err) {
      result.problems.push(`no recovery after switchover ${i}: ${errorMessage(err)}`);
      break;
    }
  }
  const stopAt = nowMs();
  result.loadAverage = loadavg()[0];
  await Promise.all(writers.map((w) => w.stop()));
  checkpoint(state);
  for (const w of writers) result.problems.push(...w.problems());

  // The final primary: the one every monitor names, the only node whose ROLE says master.
  const final = await cluster.waitForAgreement({ timeoutMs: Math.min(remaining(), 30_000) });
  result.finalPrimary = final.primary.addr;
  const byRole = await cluster.group.currentPrimary();
  if (byRole !== final.primary) result.problems.push(`ROLE says the primary is ${byRole?.addr ?? 'nobody'}`);

  await verify(result, writers, final.primary);
  measure(result, writers, stopAt);
  cluster.monitors.forEach((m, i) => {
    if (!m.running) result.problems.push(`monitor ${i + 1} exited: ${JSON.stringify(m.lastExit)}`);
  });
  result.ok = result.switchovers.length === opts.switchovers && result.switchovers.every((s) => s.ok);
  if (!result.ok && result.error === undefined) {
    result.error = `${result.switchovers.filter((s) => s.ok).length} of ${opts.switchovers} switchovers completed`;
  }
  return result;
}

/** Index of the switchover an acknowledgement at `t` falls under (0: before the first). */
function switchoverAt(switchovers: SwitchoverResult[], t: number): number {
  let k = 0;
  for (const s of switchovers) if (s.startedAt <= t) k = s.index;
  return k;
}

/** Reads every acknowledged key back from the final primary with MGET, in batches. */
async function verify(result: SystemResult, writers: BenchWriter[], primary: RedisServer): Promise<void> {
  const client = primary.client();
  let checked = 0;
  let lost = 0;
  let wrong = 0;
  try {
    for (const w of writers) {
      // Batch by batch straight from the records: a long run has millions of them.
      const recs = w.records();
      let writerLost = 0;
      let batch: WriteRecord[] = [];
      const check = async (): Promise<void> => {
        const values = await client.mget(batch.map((r) => r.key));
        batch.forEach((r, j) => {
          checked++;
          const v = values[j];
          if (v === String(r.seq)) return;
          if (v === null || v === undefined) lost++;
          else wrong++;
          writerLost++;
          if (result.lostKeys.length < 20)
            result.lostKeys.push(v === null || v === undefined ? r.key : `${r.key}=${v}`);
          const k = switchoverAt(result.switchovers, (r.ackAt ?? r.lateAckAt)!);
          if (k === 0) result.lostBeforeFirst++;
          else result.switchovers[k - 1]!.lost++;
        });
        batch = [];
      };
      for (const r of recs) {
        if (r.ackAt === undefined && r.lateAckAt === undefined) continue;
        batch.push(r);
        if (batch.length >= VERIFY_BATCH) await check();
      }
      if (batch.length > 0) await check();
      result.lostByLibrary[w.library] = (result.lostByLibrary[w.library] ?? 0) + writerLost;
      const errors: Record<string, number> = {};
      for (const r of recs) {
        if (r.error === undefined) continue;
        // Ports and numbers vary from write to write; group the messages without them.
        const k = r.error.replace(/\d+/g, 'N').slice(0, 100);
        errors[k] = (errors[k] ?? 0) + 1;
      }
      result.writers.push({
        id: w.id,
        library: w.library,
        attempted: recs.length,
        acknowledged: w.acknowledged(),
        lateAcknowledged: recs.filter((r) => r.lateAckAt !== undefined).length,
        failed: recs.filter((r) => r.error !== undefined).length,
        lost: writerLost,
        errors,
      });
    }
  } finally {
    client.disconnect();
  }
  result.checked = checked;
  result.lost = lost;
  result.wrongValue = wrong;
  result.acknowledged = writers.reduce((n, w) => n + w.acknowledged(), 0);
}

function sortedAcks(writers: BenchWriter[]): Float64Array {
  const out: number[] = [];
  for (const w of writers) for (const r of w.records()) if (r.ackAt !== undefined) out.push(r.ackAt);
  return Float64Array.from(out).sort();
}

/** First index with a[i] >= t. */
function lowerBound(a: Float64Array, t: number): number {
  let lo = 0;
  let hi = a.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (a[mid]! < t) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Longest interval in [from, to] without an acknowledgement, from the last one before `from`. */
function longestGap(acks: Float64Array, from: number, to: number): { ms: number; start: number } {
  let i = lowerBound(acks, from);
  let prev = i > 0 ? acks[i - 1]! : from;
  let best = { ms: 0, start: prev };
  for (; i < acks.length && acks[i]! <= to; i++) {
    if (acks[i]! - prev > best.ms) best = { ms: acks[i]! - prev, start: prev };
    prev = acks[i]!;
  }
  return to - prev > best.ms ? { ms: to - prev, start: prev } : best;
}

function measure(result: SystemResult, writers: BenchWriter[], stopAt: number): void {
  const all = sortedAcks(writers);
  const byLibrary = new Map(
    LIBRARIES.map((l) => [l, sortedAcks(writers.filter((w) => w.library === l))] as const),
  );
  const byWriter = writers.map((w) => sortedAcks([w]));
  const sws = result.switchovers;
  sws.forEach((s, k) => {
    const to = s.endedAt;
    const gap = longestGap(all, s.startedAt, to);
    s.gapMs = gap.ms;
    s.gapStartMs = gap.start - s.startedAt;
    for (const [l, acks] of byLibrary)
      if (acks.length > 0) s.gapByLibrary[l] = longestGap(acks, s.startedAt, to).ms;
    s.worstWriterGapMs = Math.max(...byWriter.map((a) => longestGap(a, s.startedAt, to).ms));
    const next = sws[k + 1]?.startedAt ?? stopAt;
    s.acknowledged = lowerBound(all, next) - lowerBound(all, s.startedAt);
  });
  let longest = 0;
  for (let i = 1; i < all.length; i++) longest = Math.max(longest, all[i]! - all[i - 1]!);
  result.longestGapMs = longest;
}

// ---------------------------------------------------------------------------------------------
// Statistics and tables.

interface Stat {
  n: number;
  median: number;
  p90: number;
  max: number;
}

/** Median, p90 (nearest rank) and max. */
function statP90(xs: number[]): Stat | undefined {
  const s = stat(xs);
  return s && { n: s.n, median: s.median, p90: nearestRank(xs, 0.9)!, max: s.max };
}

interface Summary {
  switchoversRequested: number;
  switchoversCompleted: number;
  acknowledged: number | undefined;
  lost: number | undefined;
  gap: Stat | undefined;
  gapByLibrary: Partial<Record<Library, Stat>>;
  worstWriterGap: Stat | undefined;
  agreed: Stat | undefined;
  resumed: Stat | undefined;
  replicasSeen: Stat | undefined;
  firstSwitch: Stat | undefined;
  longestGapMs: number | undefined;
}

function summarize(r: SystemResult, requested: number): Summary {
  const done = r.switchovers.filter((s) => s.ok);
  const of = (f: (s: SwitchoverResult) => number | undefined): Stat | undefined =>
    statP90(done.map(f).filter((x): x is number => x !== undefined));
  const gapByLibrary: Partial<Record<Library, Stat>> = {};
  for (const l of LIBRARIES) {
    const st = of((s) => s.gapByLibrary[l]);
    if (st !== undefined) gapByLibrary[l] = st;
  }
  return {
    switchoversRequested: requested,
    switchoversCompleted: done.length,
    acknowledged: r.acknowledged,
    lost: r.lost === undefined ? undefined : r.lost + (r.wrongValue ?? 0),
    gap: of((s) => s.gapMs),
    gapByLibrary,
    worstWriterGap: of((s) => s.worstWriterGapMs),
    agreed: of((s) => s.agreedMs),
    resumed: of((s) => s.resumedMs),
    replicasSeen: of((s) => s.replicasSeenMs),
    firstSwitch: of((s) => s.events['+switch-master']?.ms),
    longestGapMs: r.longestGapMs,
  };
}

function switchoverLine(system: System, s: SwitchoverResult): string {
  if (!s.ok)
    return `${system} switchover ${s.index} via monitor ${s.via}: FAILED: ${s.error ?? ''}`.split('\n')[0]!;
  return (
    `${system} switchover ${s.index} via monitor ${s.via}: ${s.from} -> ${s.to ?? '?'}, ` +
    `+switch-master ${fmt(s.events['+switch-master']?.ms)} ms, agreed ${fmt(s.agreedMs)} ms, ` +
    `writers back ${fmt(s.resumedMs)} ms` +
    (s.problems.length > 0 ? ` [${s.problems.join('; ')}]` : '')
  );
}

function perSwitchoverTable(r: SystemResult): string {
  const libs = LIBRARIES.filter((l) => r.switchovers.some((s) => s.gapByLibrary[l] !== undefined));
  const port = (addr: string | undefined): string => addr?.split(':')[1] ?? '?';
  return table(
    [
      '#',
      'via',
      'primary',
      '+switch-master',
      'all agree',
      'writers back',
      'replicas seen',
      'gap',
      'gap at',
      ...libs.map((l) => `gap ${l}`),
      'acked',
      'lost',
    ],
    r.switchovers.map((s) => [
      String(s.index),
      String(s.via),
      s.ok ? `${port(s.from)}->${port(s.to)}` : 'FAILED',
      fmt(s.events['+switch-master']?.ms),
      fmt(s.agreedMs),
      fmt(s.resumedMs),
      fmt(s.replicasSeenMs),
      fmt(s.gapMs),
      fmt(s.gapStartMs),
      ...libs.map((l) => fmt(s.gapByLibrary[l])),
      String(s.acknowledged),
      String(s.lost),
    ]),
  );
}

function statCells(st: Stat | undefined): string[] {
  return [fmt(st?.median), fmt(st?.p90), fmt(st?.max)];
}

function render(results: SystemResult[], summaries: Map<System, Summary>, opts: Options): string {
  const out: string[] = [];
  for (const r of results) {
    const s = summaries.get(r.system)!;
    out.push(
      `\n${r.system}: ${s.switchoversCompleted} of ${s.switchoversRequested} switchovers completed` +
        ` (${SWITCHOVER_COMMAND[r.system].join(' ')}); ${r.initialPrimary ?? '?'} first, ${r.finalPrimary ?? '?'} last`,
    );
    out.push('times in ms after the command; gaps: longest time without an acknowledgement, per switchover');
    out.push(perSwitchoverTable(r));
    out.push('');
    out.push(
      table(
        ['per switchover (ms)', 'median', 'p90', 'max'],
        [
          ['longest gap, all writers', ...statCells(s.gap)],
          ...LIBRARIES.filter((l) => s.gapByLibrary[l] !== undefined).map((l) => [
            `longest gap, ${l}`,
            ...statCells(s.gapByLibrary[l]),
          ]),
          ['longest gap, single writer', ...statCells(s.worstWriterGap)],
          ['first +switch-master', ...statCells(s.firstSwitch)],
          ['every monitor agrees', ...statCells(s.agreed)],
          ['every writer back', ...statCells(s.resumed)],
          ['every monitor sees the replicas', ...statCells(s.replicasSeen)],
        ],
      ),
    );
    out.push(
      `acknowledged writes: ${fmt(r.acknowledged)} (checked ${fmt(r.checked)}), lost: ${fmt(s.lost)}` +
        (r.lost !== undefined
          ? ` (${LIBRARIES.map((l) => `${l} ${r.lostByLibrary[l] ?? 0}`).join(', ')}; before the first switchover ${r.lostBeforeFirst})`
          : '') +
        `; longest gap over the whole run ${fmt(r.longestGapMs)} ms; load average ${r.loadAverage?.toFixed(1) ?? '-'}`,
    );
    if (r.lostKeys.length > 0) out.push(`some lost keys: ${r.lostKeys.slice(0, 5).join(', ')}`);
    for (const w of r.writers) {
      const errs = Object.entries(w.errors)
        .sort((a, b) => b[1] - a[1])
        .slice(0, 3)
        .map(([k, n]) => `${n}x ${k}`)
        .join('; ');
      out.push(
        `  ${w.id}: ${w.attempted} sent, ${w.acknowledged} acked, ${w.failed} failed, ${w.lost} lost` +
          (errs !== '' ? ` (${errs})` : ''),
      );
    }
  }
  const measured = ALL_SYSTEMS.filter((x) => summaries.has(x));
  if (measured.length >= 2) {
    out.push('\nside by side');
    const row = (label: string, f: (s: Summary) => number | undefined): string[] => [
      label,
      ...measured.map((x) => fmt(f(summaries.get(x)!))),
    ];
    out.push(
      table(
        ['metric', ...measured],
        [
          row('switchovers completed', (s) => s.switchoversCompleted),
          row('acknowledged writes', (s) => s.acknowledged),
          row('lost acknowledged writes', (s) => s.lost),
          row('longest gap, median (ms)', (s) => s.gap?.median),
          row('longest gap, p90 (ms)', (s) => s.gap?.p90),
          row('longest gap, max (ms)', (s) => s.gap?.max),
          ...LIBRARIES.map((l) => row(`${l} gap, max (ms)`, (s) => s.gapByLibrary[l]?.max)),
          row('single writer gap, max (ms)', (s) => s.worstWriterGap?.max),
          row('every monitor agrees, median (ms)', (s) => s.agreed?.median),
        ],
      ),
    );
  }
  for (const system of ['vigil', 'vigil-classic'] as const) {
    const v = summaries.get(system);
    if (v === undefined) continue;
    {
      const enough = v.switchoversCompleted >= TARGET_SWITCHOVERS;
      const lostOk = v.lost === 0;
      const gapMax = v.gap?.max;
      const gapOk = gapMax !== undefined && gapMax <= TARGET_GAP_MS;
      out.push(
        `\n${system} target (0 acknowledged writes lost over >= ${TARGET_SWITCHOVERS} consecutive switchovers, ` +
          `longest gap <= ${TARGET_GAP_MS} ms, aim ${AIM_GAP_MS}): ` +
          `${enough && lostOk && gapOk ? 'MET' : 'NOT MET'} ` +
          `(${v.switchoversCompleted} switchovers, ${fmt(v.lost)} lost, longest gap ${fmt(gapMax)} ms` +
          `${gapMax !== undefined && gapMax <= AIM_GAP_MS ? ', within the aim' : ''})` +
          (opts.switchovers < TARGET_SWITCHOVERS ? ` [only ${opts.switchovers} requested]` : ''),
      );
    }
  }
  const failed = results.filter((r) => !r.ok);
  if (failed.length > 0) {
    out.push('\nnot measured in full:');
    for (const r of failed) out.push(`  ${r.system}: ${(r.error ?? '').split('\n')[0]}`);
  }
  const problems = results.flatMap((r) => [
    ...r.problems.map((p) => `  ${r.system}: ${p}`),
    ...r.switchovers
      .filter((s) => s.problems.length > 0)
      .map((s) => `  ${r.system} #${s.index}: ${s.problems.join('; ')}`),
  ]);
  if (problems.length > 0) out.push(`\nproblems noted:\n${problems.join('\n')}`);
  return out.join('\n');
}

function environment(): Record<string, string> {
  return {
    ...machine(),
    ioredis: ioredisVersion(),
    'node-redis': packageVersion('node_modules', 'redis', 'package.json'),
    'redis-py': commandOutput(process.env['VIGIL_PYTHON'] ?? '/usr/bin/python3', [
      '-c',
      'import sys, redis; print("%s (python %s)" % (redis.__version__, sys.version.split()[0]))',
    ]),
  };
}

// ---------------------------------------------------------------------------------------------

async function main(opts: Options): Promise<number> {
  const command = reproduce(opts);
  const env = environment();
  const benchDeadlineMs = opts.systems.length * (runBudgetMs(opts) + 30_000) + 30_000;
  const mix = LIBRARIES.map((l, i) => `${Math.floor((opts.writers - i - 1) / LIBRARIES.length) + 1} ${l}`);
  process.stdout.write(
    `consecutive switchovers under continuous writers: ${opts.switchovers} per system, ` +
      `${opts.systems.join(', ')}, one after the other\n` +
      `group: primary + 2 replicas, persistence ${PERSISTENCE}; ${MONITORS} monitors, quorum ${QUORUM}, ` +
      `down-after-milliseconds ${DOWN_AFTER_MS}, failover-timeout ${FAILOVER_TIMEOUT_MS}\n` +
      `writers: ${opts.writers} (${mix.join(', ')}) through Sentinel discovery, SET of unique keys ` +
      `back to back, ${WRITE_TIMEOUT_MS} ms timeout, reconnect after ${RECONNECT_MS} ms\n` +
      `environment: ${env['cpus']} cpus, load average ${env['loadAverage']}, node ${env['node']}, vigil ${env['vigil']}, ${env['redis']}, ioredis ${env['ioredis']}, ` +
      `node-redis ${env['node-redis']}, redis-py ${env['redis-py']}\n` +
      `deadlines: ${opts.switchoverTimeoutMs / 1000} s per switchover, ${Math.round(runBudgetMs(opts) / 1000)} s ` +
      `per system, ${Math.round(benchDeadlineMs / 1000)} s in all\n` +
      `reproduce: ${command}\n\n`,
  );

  const results = await runPlan<System, RunState, SystemResult>({
    plan: opts.systems,
    benchDeadlineMs,
    runTimeoutMs: runBudgetMs(opts),
    backstopMs: 20_000,
    cleanupMs: { betweenRuns: 30_000, onAbort: 20_000 },
    label: (system) => `${system} run`,
    newState: () => ({ cancelled: false, cluster: undefined, writers: [] }),
    run: (system, state, deadline) => runSystem(system, opts, deadline, state),
    failed: async (system, state, msg) => {
      const diag = await dumpOf(state.cluster);
      process.stderr.write(`\n${system} run failed: ${msg}\n${diag}\n\n`);
      return {
        system,
        ok: false,
        error: `${msg}\n${diag}`,
        switchovers: [],
        writers: [],
        lostKeys: [],
        lostByLibrary: {},
        lostBeforeFirst: 0,
        problems: [],
      };
    },
  });
  if (results === undefined) return 130;

  const summaries = new Map(results.map((r) => [r.system, summarize(r, opts.switchovers)] as const));
  process.stdout.write(`${render(results, summaries, opts)}\n`);
  process.stdout.write(`\nreproduce: ${command}\n`);
  if (opts.json !== undefined) {
    writeJson(opts.json, {
      command,
      environment: env,
      setup: {
        persistence: PERSISTENCE,
        replicas: 2,
        monitors: MONITORS,
        quorum: QUORUM,
        downAfterMs: DOWN_AFTER_MS,
        failoverTimeoutMs: FAILOVER_TIMEOUT_MS,
        writers: opts.writers,
        writeTimeoutMs: WRITE_TIMEOUT_MS,
        reconnectMs: RECONNECT_MS,
        settleMs: SETTLE_MS,
        commands: SWITCHOVER_COMMAND,
      },
      summary: Object.fromEntries(summaries),
      systems: results,
    });
  }
  return results.length === opts.systems.length && results.every((r) => r.ok) ? 0 : 1;
}

benchMain('switchover', USAGE, parseOptions, main);
