// Benchmark: the write outage of a kill -9 failover, Vigil and redis-sentinel side by side.
//
// Every run starts a fresh replication group (a primary and two replicas, persistence off), N
// monitors of one system watching it, and a client writing unique keys back to back through
// Sentinel discovery. After ~2 s of writes the primary is killed with SIGKILL; the run records
// when the monitors announce +sdown, +odown, ... +switch-master, when writes are acknowledged
// again, and then reads every acknowledged key back from the new primary. The systems alternate
// run by run so that drift of the machine affects both alike. Everything a run starts is stopped
// before the next one begins; every run and the whole bench have a deadline.
//
//   node dist/bench/failover-outage.js [--runs 5] [--monitors 1|3|5] [--systems vigil,redis-sentinel]
//                                      [--run-timeout 60] [--json out.json]
import { setTimeout as delay } from 'node:timers/promises';
import {
  ContinuousWriter,
  nowMs,
  parseInstanceDetails,
  RedisGroup,
  SentinelProcess,
  waitFor,
  withTimeout,
  type EventRecorder,
  type SentinelEvent,
  type SentinelKind,
} from '../test/harness/index.js';
import { machine } from './lib/environment.js';
import { intOption, listOption, readOptions, reproduceCommand } from './lib/options.js';
import { fmt, ratio, statsOf, table, type Metric, type Stat } from './lib/report.js';
import { benchMain, checkpoint, runPlan, writeJson } from './lib/runs.js';
import { sentinelWriterClient } from './lib/writers.js';

const MASTER = 'mymaster';
const DOWN_AFTER_MS = 1000;
const FAILOVER_TIMEOUT_MS = 10_000;
/** A write not acknowledged within this long counts as failed. Must stay below DOWN_AFTER_MS (see outage()). */
const WRITE_TIMEOUT_MS = 500;
const WARMUP_MS = 2000;
/** Writes keep going this long after the first acknowledgement on the new primary. */
const SETTLE_MS = 500;
const PERSISTENCE = 'none';

const SYSTEM_KIND: Record<System, SentinelKind> = { vigil: 'vigil', 'redis-sentinel': 'redis' };
type System = 'vigil' | 'redis-sentinel';
const ALL_SYSTEMS: readonly System[] = ['vigil', 'redis-sentinel'];

/** The Sentinel events whose first occurrence (on any monitor) after the kill is recorded, in failover order. */
const MILESTONES = [
  '+sdown',
  '+odown',
  '+try-failover',
  '+elected-leader',
  '+selected-slave',
  '+promoted-slave',
  '+switch-master',
  '+failover-end',
] as const;
type Milestone = (typeof MILESTONES)[number];

interface Options {
  runs: number;
  monitors: number;
  systems: System[];
  json: string | undefined;
  runTimeoutMs: number;
}

interface EventTime {
  /** Milliseconds after the kill. */
  ms: number;
  /** 1-based index of the monitor that published it first. */
  monitor: number;
}

interface RunResult {
  system: System;
  /** 1-based run number of this system. */
  run: number;
  ok: boolean;
  error?: string;
  killedPrimary?: string;
  newPrimary?: string;
  /** (first acknowledgement of a write sent after the kill) - (last acknowledgement of a write sent before it). */
  outageMs?: number;
  /** Longest interval between consecutive acknowledgements over the whole run. */
  longestGapMs?: number;
  /** First acknowledgement of a write sent after the kill, ms after the kill. */
  resumedMs?: number;
  /** Last acknowledgement of a write sent before the kill, ms relative to the kill (<= 0 normally). */
  lastAckBeforeKillMs?: number;
  events: Partial<Record<Milestone, EventTime>>;
  writes?: {
    attempted: number;
    acknowledged: number;
    failed: number;
    timedOut: number;
    lateAcknowledged: number;
  };
  /** Acknowledged writes missing on the new primary. */
  lost?: number;
  /** Acknowledged writes present on the new primary with another value. */
  wrongValue?: number;
  lostKeys?: string[];
  /** Anything that looked wrong without making the measurement impossible. */
  problems: string[];
  /** Every event published by the monitors from the kill on, ms after the kill. */
  eventLog: { ms: number; monitor: number; channel: string; payload: string }[];
}

/** What a run has started so far, for diagnostics when it fails. */
interface RunState {
  cancelled: boolean;
  monitors: SentinelProcess[];
  recorders: EventRecorder[];
  t0: number | undefined;
}

const USAGE = [
  'usage: node dist/bench/failover-outage.js [options]',
  '  --runs K             runs per system (default 5)',
  '  --monitors N         monitors per run: 1, 3 or 5 (default 3); quorum is a majority',
  '  --systems LIST       comma-separated: vigil,redis-sentinel (default both)',
  '  --run-timeout S      deadline of one run in seconds (default 60)',
  '  --json FILE          also write every run and the summary to FILE',
].join('\n');

function parseOptions(argv: string[]): Options {
  const values = readOptions(
    argv,
    USAGE,
    { runs: '5', monitors: '3', systems: ALL_SYSTEMS.join(','), 'run-timeout': '60' },
    ['json'],
  );
  const monitors = intOption('monitors', values.monitors, 1, 5);
  if (![1, 3, 5].includes(monitors)) throw new Error(`--monitors must be 1, 3 or 5, got ${monitors}`);
  return {
    runs: intOption('runs', values.runs, 1, 100),
    monitors,
    systems: listOption('systems', values.systems, ALL_SYSTEMS),
    json: values.json,
    runTimeoutMs: intOption('run-timeout', values['run-timeout'], 10, 600) * 1000,
  };
}

function reproduce(o: Options): string {
  return reproduceCommand(
    'failover-outage.js',
    [
      ['runs', o.runs],
      ['monitors', o.monitors],
      ['systems', o.systems.join(',')],
      ['run-timeout', o.runTimeoutMs / 1000],
    ],
    o.json,
  );
}

function quorumOf(monitors: number): number {
  return Math.floor(monitors / 2) + 1;
}

/** Whether an event concerns the monitored master (and not a replica or a peer monitor). */
function concernsMaster(e: SentinelEvent): boolean {
  if (e.channel === '+switch-master') return e.payload.split(' ')[0] === MASTER;
  const d = parseInstanceDetails(e.payload);
  if (d === undefined) return false;
  if (e.channel === '+selected-slave' || e.channel === '+promoted-slave') return d.master?.name === MASTER;
  return d.type === 'master' && d.name === MASTER;
}

/** First occurrence at or after `from` of `channel` on any recorder (by receive time). */
function firstEvent(
  recorders: EventRecorder[],
  channel: string,
  from: number,
): { event: SentinelEvent; monitor: number } | undefined {
  let best: { event: SentinelEvent; monitor: number } | undefined;
  recorders.forEach((r, i) => {
    const e = r.find(channel, (ev) => ev.at >= from && concernsMaster(ev))[0];
    if (e !== undefined && (best === undefined || e.at < best.event.at)) best = { event: e, monitor: i + 1 };
  });
  return best;
}

async function runOnce(
  system: System,
  run: number,
  opts: Options,
  deadline: number,
  state: RunState,
): Promise<RunResult> {
  const remaining = (): number => Math.max(1, deadline - nowMs());
  const kind = SYSTEM_KIND[system];
  const result: RunResult = { system, run, ok: false, events: {}, problems: [], eventLog: [] };

  const group = await withTimeout(
    RedisGroup.start({ persistence: PERSISTENCE, label: `${system}-${run}` }),
    remaining(),
    'replication group to start',
  );
  checkpoint(state);
  result.killedPrimary = group.primary.addr;
  const spec = group.monitorSpec(MASTER, {
    quorum: quorumOf(opts.monitors),
    downAfterMs: DOWN_AFTER_MS,
    failoverTimeoutMs: FAILOVER_TIMEOUT_MS,
  });
  for (let i = 1; i <= opts.monitors; i++) {
    state.monitors.push(await SentinelProcess.start({ kind, label: `${system}-${i}`, masters: [spec] }));
    checkpoint(state);
  }
  const monitors = state.monitors;
  // Every monitor must know both replicas and every peer before the primary goes.
  await Promise.all(
    monitors.map(async (m) => {
      await m.waitForReplicas(MASTER, 2, remaining());
      if (opts.monitors > 1) await m.waitForSentinels(MASTER, opts.monitors - 1, remaining());
    }),
  );
  checkpoint(state);
  for (const m of monitors) state.recorders.push(await m.subscribe('*'));
  const recorders = state.recorders;

  const sentinels = monitors.map((m) => ({ host: m.host, port: m.port }));
  const writer = new ContinuousWriter({
    client: () =>
      sentinelWriterClient({
        sentinels,
        name: MASTER,
        // Short retries: reconnect (and ask the monitors for the primary again) every 50 ms.
        reconnectMs: 50,
        commandTimeoutMs: WRITE_TIMEOUT_MS,
        reconnectOnReadonly: false,
      }),
    writerId: `${system}-${run}`,
    commandTimeoutMs: WRITE_TIMEOUT_MS,
    maxDurationMs: remaining(),
    errorBackoffMs: 10,
  });
  writer.start();
  await writer.waitForAcks(1, Math.min(remaining(), 15_000));
  await delay(WARMUP_MS);
  checkpoint(state);
  const early = recorders.flatMap((r) => r.find(/^\+(sdown|odown|switch-master)$/, concernsMaster));
  if (early.length > 0) {
    result.problems.push(`before the kill: ${early.map((e) => `${e.channel} ${e.payload}`).join('; ')}`);
  }

  const killed = group.primary;
  const t0 = nowMs();
  state.t0 = t0;
  await killed.kill9();

  await waitFor(() => firstEvent(recorders, '+switch-master', t0) !== undefined, {
    what: `+switch-master from any of the ${system} monitors after the kill`,
    timeoutMs: remaining(),
    intervalMs: 20,
  });
  checkpoint(state);
  await waitFor(() => writer.records.some((r) => r.sentAt >= t0 && r.ackAt !== undefined), {
    what: 'a write sent after the kill to be acknowledged',
    timeoutMs: remaining(),
    intervalMs: 10,
  });
  await delay(Math.min(SETTLE_MS, remaining()));
  checkpoint(state);
  // +failover-end closes the timeline; its absence is noted, not fatal.
  try {
    await waitFor(() => firstEvent(recorders, '+failover-end', t0) !== undefined, {
      what: '+failover-end',
      timeoutMs: Math.min(remaining(), FAILOVER_TIMEOUT_MS + 5000),
      intervalMs: 20,
    });
  } catch {
    result.problems.push('no +failover-end seen');
  }
  const report = await writer.stop();
  checkpoint(state);

  for (const m of MILESTONES) {
    const f = firstEvent(recorders, m, t0);
    if (f !== undefined) result.events[m] = { ms: f.event.at - t0, monitor: f.monitor };
  }
  result.eventLog = recorders
    .flatMap((r, i) =>
      r.events
        .filter((e) => e.at >= t0)
        .map((e) => ({ ms: e.at - t0, monitor: i + 1, channel: e.channel, payload: e.payload })),
    )
    .sort((a, b) => a.ms - b.ms);

  // Writes are back to back with a 500 ms timeout, and no replica can be promoted before
  // down-after (1000 ms): an acknowledged write sent before the kill was acknowledged by the old
  // primary, one sent after it by the new primary.
  let lastBefore: number | undefined;
  let firstAfter: number | undefined;
  for (const r of writer.records) {
    if (r.ackAt === undefined) continue;
    if (r.sentAt < t0) lastBefore = Math.max(lastBefore ?? -Infinity, r.ackAt);
    else firstAfter = Math.min(firstAfter ?? Infinity, r.ackAt);
  }
  if (lastBefore === undefined || firstAfter === undefined) {
    throw new Error('no acknowledged write on one side of the kill');
  }
  result.outageMs = firstAfter - lastBefore;
  result.resumedMs = firstAfter - t0;
  result.lastAckBeforeKillMs = lastBefore - t0;
  result.longestGapMs = report.longestGapMs;
  result.writes = {
    attempted: report.attempted,
    acknowledged: report.acknowledged,
    failed: report.failed,
    timedOut: report.timedOut,
    lateAcknowledged: report.lateAcknowledged,
  };

  const sw = firstEvent(recorders, '+switch-master', t0)!.event.payload.split(' ');
  const newPort = Number(sw[4]);
  const promoted = group.nodeByPort(newPort);
  if (promoted === undefined)
    throw new Error(`+switch-master names ${sw[3]}:${sw[4]}, not a node of the group`);
  result.newPrimary = promoted.addr;
  const disagreeing = recorders
    .map((r, i) => ({ i, e: r.find('+switch-master', (e) => e.at >= t0 && concernsMaster(e)) }))
    .filter(({ e }) => e.some((x) => Number(x.payload.split(' ')[4]) !== newPort));
  for (const { i } of disagreeing) result.problems.push(`monitor ${i + 1} announced another new primary`);
  try {
    const actual = await group.currentPrimary();
    if (actual !== promoted) {
      result.problems.push(`ROLE says the primary is ${actual?.addr ?? 'nobody'}, not ${promoted.addr}`);
    }
  } catch (err) {
    result.problems.push(err instanceof Error ? err.message : String(err));
  }
  const verify = await writer.verify(promoted);
  result.lost = verify.lost;
  result.wrongValue = verify.wrongValue;
  result.lostKeys = [...verify.lostKeys, ...verify.wrongValueKeys];
  monitors.forEach((m, i) => {
    if (!m.running) result.problems.push(`monitor ${i + 1} exited: ${JSON.stringify(m.lastExit)}`);
  });
  result.ok = true;
  return result;
}

function diagnostics(state: RunState): string {
  const parts: string[] = [];
  state.recorders.forEach((r, i) => parts.push(`--- monitor ${i + 1} events ---\n${r.describe(40)}`));
  for (const m of state.monitors) parts.push(m.diagnostics(40));
  return parts.join('\n');
}

// ---------------------------------------------------------------------------------------------
// Statistics and tables.

const METRICS: Metric<RunResult>[] = [
  { label: 'write outage (ms)', get: (r) => r.outageMs },
  { label: 'longest ack gap (ms)', get: (r) => r.longestGapMs },
  ...MILESTONES.map((m) => ({ label: `${m} (ms after kill)`, get: (r: RunResult) => r.events[m]?.ms })),
  { label: 'writes resumed (ms after kill)', get: (r) => r.resumedMs },
  {
    label: 'lost acknowledged writes',
    get: (r) => (r.lost === undefined ? undefined : r.lost + r.wrongValue!),
  },
];

type Summary = Record<string, Record<string, Stat | undefined>>;

function summarize(results: RunResult[], systems: System[]): Summary {
  const out: Summary = {};
  for (const s of systems) {
    out[s] = statsOf(
      results.filter((r) => r.system === s && r.ok),
      METRICS,
    );
  }
  return out;
}

function render(results: RunResult[], opts: Options, summary: Summary): string {
  const out: string[] = [];
  for (const s of opts.systems) {
    const mine = results.filter((r) => r.system === s);
    const ok = mine.filter((r) => r.ok).length;
    out.push(
      `\n${s}: ${ok} of ${mine.length} runs measured (${opts.monitors} monitor${opts.monitors > 1 ? 's' : ''}, quorum ${quorumOf(opts.monitors)})`,
    );
    out.push(
      table(
        ['metric', 'median', 'min', 'max', 'runs'],
        METRICS.map((m) => {
          const st = summary[s]![m.label];
          return [m.label, fmt(st?.median), fmt(st?.min), fmt(st?.max), String(st?.n ?? 0)];
        }),
      ),
    );
  }
  if (opts.systems.includes('vigil') && opts.systems.includes('redis-sentinel')) {
    out.push('\nmedians side by side (ratio = vigil / redis-sentinel)');
    out.push(
      table(
        ['metric', 'vigil', 'redis-sentinel', 'ratio'],
        METRICS.map((m) => {
          const v = summary['vigil']![m.label]?.median;
          const r = summary['redis-sentinel']![m.label]?.median;
          return [m.label, fmt(v), fmt(r), ratio(v, r) ?? '-'];
        }),
      ),
    );
  }
  const failed = results.filter((r) => !r.ok);
  if (failed.length > 0) {
    out.push(`\n${failed.length} run(s) failed:`);
    for (const r of failed) out.push(`  ${r.system} run ${r.run}: ${(r.error ?? '').split('\n')[0]}`);
  }
  const problems = results.filter((r) => r.problems.length > 0);
  if (problems.length > 0) {
    out.push('\nproblems noted:');
    for (const r of problems) out.push(`  ${r.system} run ${r.run}: ${r.problems.join('; ')}`);
  }
  return out.join('\n');
}

function runLine(r: RunResult): string {
  if (!r.ok) return `${r.system} run ${r.run}: FAILED: ${(r.error ?? '').split('\n')[0]}`;
  const ev = (m: Milestone): string => `${m} ${fmt(r.events[m]?.ms)}`;
  return (
    `${r.system} run ${r.run}: outage ${fmt(r.outageMs)} ms, ` +
    `${ev('+sdown')}, ${ev('+odown')}, ${ev('+switch-master')}, ` +
    `resumed ${fmt(r.resumedMs)}, lost ${(r.lost ?? 0) + (r.wrongValue ?? 0)}, ` +
    `${r.writes?.acknowledged ?? 0} acked, ${r.killedPrimary} -> ${r.newPrimary}` +
    (r.problems.length > 0 ? ` [${r.problems.join('; ')}]` : '')
  );
}

// ---------------------------------------------------------------------------------------------

async function main(opts: Options): Promise<number> {
  const command = reproduce(opts);
  const env = machine();
  const total = opts.runs * opts.systems.length;
  const benchDeadlineMs = total * (opts.runTimeoutMs + 20_000) + 30_000;
  process.stdout.write(
    `failover write outage after kill -9: ${opts.runs} run(s) per system of ${opts.systems.join(', ')}, ` +
      `alternating\n` +
      `group: primary + 2 replicas, persistence ${PERSISTENCE}; ${opts.monitors} monitor(s), quorum ` +
      `${quorumOf(opts.monitors)}, down-after-milliseconds ${DOWN_AFTER_MS}, failover-timeout ` +
      `${FAILOVER_TIMEOUT_MS}\n` +
      `writer: ioredis through Sentinel discovery, SET of unique keys back to back, ${WRITE_TIMEOUT_MS} ms ` +
      `timeout; kill after ${WARMUP_MS} ms of writes\n` +
      `environment: node ${env['node']}, vigil ${env['vigil']}, ${env['redis']}\n` +
      `deadlines: ${opts.runTimeoutMs / 1000} s per run, ${Math.round(benchDeadlineMs / 1000)} s in all\n` +
      `reproduce: ${command}\n\n`,
  );

  // Runs alternate between the systems, so that drift of the machine affects both alike.
  const plan: { system: System; run: number }[] = [];
  for (let run = 1; run <= opts.runs; run++) for (const system of opts.systems) plan.push({ system, run });
  const results = await runPlan<{ system: System; run: number }, RunState, RunResult>({
    plan,
    benchDeadlineMs,
    runTimeoutMs: opts.runTimeoutMs,
    backstopMs: 5000,
    cleanupMs: { betweenRuns: 30_000, onAbort: 20_000 },
    label: ({ system, run }) => `${system} run ${run}`,
    newState: () => ({ cancelled: false, monitors: [], recorders: [], t0: undefined }),
    run: ({ system, run }, state, deadline) => runOnce(system, run, opts, deadline, state),
    failed: ({ system, run }, state, msg) => {
      process.stderr.write(`\n${system} run ${run} failed: ${msg}\n${diagnostics(state)}\n\n`);
      return {
        system,
        run,
        ok: false,
        error: `${msg}\n${diagnostics(state)}`,
        events: {},
        problems: [],
        eventLog: [],
      };
    },
    done: (r) => process.stdout.write(`${runLine(r)}\n`),
  });
  if (results === undefined) return 130;

  const summary = summarize(results, opts.systems);
  process.stdout.write(`${render(results, opts, summary)}\n`);
  process.stdout.write(`\nreproduce: ${command}\n`);
  if (opts.json !== undefined) {
    writeJson(opts.json, {
      command,
      environment: env,
      setup: {
        persistence: PERSISTENCE,
        replicas: 2,
        monitors: opts.monitors,
        quorum: quorumOf(opts.monitors),
        downAfterMs: DOWN_AFTER_MS,
        failoverTimeoutMs: FAILOVER_TIMEOUT_MS,
        writeTimeoutMs: WRITE_TIMEOUT_MS,
        warmupMs: WARMUP_MS,
      },
      summary,
      runs: results,
    });
  }
  return results.every((r) => r.ok) ? 0 : 1;
}

benchMain('failover-outage', USAGE, parseOptions, main);
