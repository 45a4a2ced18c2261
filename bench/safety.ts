// Benchmark: acknowledged writes lost, failovers, and windows with two primaries, when someone
// else acts: mixed quorums of Vigil and redis-sentinel after a kill -9 of the primary, and a
// restart of the primary with its data (AOF) or without it.
//
// Each run: a fresh primary with two replicas, three monitors of the given mix (quorum 2), a
// redis-py and an ioredis writer through Sentinel discovery (unique keys, every acknowledgement
// timed), and a poller asking every node's ROLE every 10 ms. Then the scenario's action, a wait
// until every monitor names one primary that every node follows, a hold (a late second failover
// shows itself in it), the same agreement again, and every acknowledged key read back from the
// final primary. Everything a run starts is stopped before the next; every wait has a deadline.
//
//   node dist/bench/safety.js --scenario kill|restart-aof|restart-empty [--runs 20]
//                             [--mixes vigil3,vigil2-redis1,vigil1-redis2,redis3] [--json out.json]
import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { errorMessage } from '../src/node/errors.js';
import { nowMs, waitFor, type SentinelKind, type WriteRecord } from '../test/harness/index.js';
import { MonitorCluster } from '../test/harness/monitors.js';
import type { Persistence } from '../test/harness/redis-server.js';
import { RolePoller } from '../test/harness/role-poller.js';
import { machine } from './lib/environment.js';
import { intOption, listOption, readOptions, reproduceCommand } from './lib/options.js';
import { fmt, stat, table } from './lib/report.js';
import { benchMain, checkpoint, runPlan, writeJson, type RunState } from './lib/runs.js';
import { makeWriter, type BenchWriter, type WriterConfig } from './lib/writers.js';

const MASTER = 'mymaster';
const WRITER_CONFIG: WriterConfig = {
  name: MASTER,
  writeTimeoutMs: 1000,
  errorBackoffMs: 10,
  reconnectMs: 10,
};
/** Kept after the group agrees: redis-sentinel's late second failover came about 1 s after the first. */
const HOLD_MS = 12_000;
const RUN_TIMEOUT_MS = 90_000;

type Scenario = 'kill' | 'restart-aof' | 'restart-empty';
const SCENARIOS: readonly Scenario[] = ['kill', 'restart-aof', 'restart-empty'];
type Mix = 'vigil3' | 'vigil2-redis1' | 'vigil1-redis2' | 'redis3';
const MIXES: readonly Mix[] = ['vigil3', 'vigil2-redis1', 'vigil1-redis2', 'redis3'];
const KINDS: Record<Mix, SentinelKind[]> = {
  vigil3: ['vigil', 'vigil', 'vigil'],
  'vigil2-redis1': ['vigil', 'vigil', 'redis'],
  'vigil1-redis2': ['vigil', 'redis', 'redis'],
  redis3: ['redis', 'redis', 'redis'],
};
/** A kill fails over fast; a restart must fit inside down-after to be a restart, not an outage. */
const SETUP: Record<Scenario, { persistence: Persistence; downAfterMs: number; what: string }> = {
  kill: { persistence: 'none', downAfterMs: 1000, what: 'kill -9 of the primary' },
  'restart-aof': {
    persistence: 'aof',
    downAfterMs: 5000,
    what: 'graceful restart of the primary, AOF on: it comes back with its data',
  },
  'restart-empty': {
    persistence: 'none',
    downAfterMs: 5000,
    what: 'restart of the primary without persistence: it comes back empty',
  },
};

interface Options {
  scenario: Scenario;
  runs: number;
  mixes: Mix[];
  json: string | undefined;
}

const USAGE = [
  'usage: node dist/bench/safety.js --scenario kill|restart-aof|restart-empty [options]',
  '  --runs N        runs per monitor mix (default 20)',
  `  --mixes LIST    comma-separated: ${MIXES.join(',')} (default all)`,
  '  --json FILE     also write every run and the summary to FILE',
].join('\n');

function parseOptions(argv: string[]): Options {
  const v = readOptions(argv, USAGE, { scenario: 'kill', runs: '20', mixes: MIXES.join(',') }, ['json']);
  const [scenario] = listOption('scenario', v.scenario, SCENARIOS);
  return {
    scenario: scenario!,
    runs: intOption('runs', v.runs, 1, 200),
    mixes: listOption('mixes', v.mixes, MIXES),
    json: v.json,
  };
}

interface RunResult {
  mix: Mix;
  run: number;
  ok: boolean;
  acknowledged: number;
  /** Acknowledged writes missing from the final primary... */
  lost: number;
  /** ... of which acknowledged after the action (the ones a monitor's decision can lose). */
  lostAfter: number;
  /** Failovers after the action (+elected-leader events). */
  failovers: number;
  /** Longest time two nodes answered ROLE master together, and how many such windows. */
  dualMs: number;
  dualWindows: number;
  /** Longest time two nodes took writes together (a fenced primary answers ROLE master, paused). */
  writableMs: number;
  /** The primary at the end is the one named by every monitor, and every node follows it. */
  converged: boolean;
  longestGapMs: number;
  /** Longest gap of each writer, by library. */
  gaps: Record<string, number>;
  problems: string[];
}

interface State extends RunState {
  cluster?: MonitorCluster;
  writers: BenchWriter[];
  poller?: RolePoller;
}

function longestGap(records: readonly WriteRecord[], from: number): number {
  let last = from;
  let gap = 0;
  for (const r of records) {
    if (r.ackAt === undefined || r.ackAt < from) continue;
    gap = Math.max(gap, r.ackAt - last);
    last = r.ackAt;
  }
  return gap;
}

async function runOnce(
  o: Options,
  mix: Mix,
  run: number,
  state: State,
  deadline: number,
): Promise<RunResult> {
  const setup = SETUP[o.scenario];
  const c = await MonitorCluster.start({
    kinds: KINDS[mix],
    quorum: 2,
    downAfterMs: setup.downAfterMs,
    failoverTimeoutMs: 10_000,
    persistence: setup.persistence,
  });
  state.cluster = c;
  checkpoint(state);
  const sentinels = c.monitors.map((m) => ({ host: m.host, port: m.port }));
  const maxDurationMs = Math.max(1000, deadline - nowMs());
  state.writers = (['redis-py', 'ioredis'] as const).map((library) =>
    makeWriter(library, WRITER_CONFIG, { id: `${mix}-${run}-${library}`, sentinels, maxDurationMs }),
  );
  for (const w of state.writers) await w.start();
  const poller = new RolePoller(c.group.nodes, 10, true);
  state.poller = poller;
  poller.start();
  await waitFor(() => state.writers.every((w) => w.acknowledged() >= 200), {
    what: 'every writer to have 200 writes acknowledged',
    timeoutMs: 20_000,
  });
  const old = c.group.primary;
  const t0 = nowMs();
  if (o.scenario === 'kill') await old.kill9();
  else await old.restart();
  const agreement = await c.waitForAgreement({
    // A kill and an empty restart fail over; a restart with the data must not.
    ...(o.scenario !== 'restart-aof' ? { notPort: old.port } : {}),
    timeoutMs: Math.min(40_000, deadline - nowMs()),
  });
  checkpoint(state);
  await delay(HOLD_MS);
  let converged = true;
  let final = agreement.primary;
  try {
    final = (await c.waitForAgreement({ timeoutMs: 15_000 })).primary;
  } catch {
    converged = false;
  }
  for (const w of state.writers) await w.stop();
  await poller.stop();
  // Each failover has one elected leader, whoever it is.
  const failovers = c.all('+elected-leader', t0).length;
  const records = state.writers.flatMap((w) => [...w.records()]);
  const acked = records.filter((r) => r.ackAt !== undefined);
  const client = final.client();
  const missing = new Set<string>();
  try {
    for (let i = 0; i < acked.length; i += 1000) {
      const batch = acked.slice(i, i + 1000).map((r) => r.key);
      const values = await client.mget(batch);
      batch.forEach((k, j) => {
        if (values[j] === null || values[j] === undefined) missing.add(k);
      });
    }
  } finally {
    client.disconnect();
  }
  const lostAfter = acked.filter((r) => missing.has(r.key) && r.ackAt! >= t0).length;
  const problems = state.writers.flatMap((w) => w.problems());
  if (
    missing.size > 0 ||
    failovers > (o.scenario === 'kill' ? 1 : o.scenario === 'restart-empty' ? 1 : 0) ||
    !converged
  )
    problems.push(await saveDump(c, `${mix}-${run}`));
  return {
    mix,
    run,
    ok: true,
    acknowledged: acked.length,
    lost: missing.size,
    lostAfter,
    failovers,
    dualMs: poller.longest(),
    dualWindows: poller.windows.length,
    writableMs: poller.longestWritable(),
    converged,
    longestGapMs: Math.max(...state.writers.map((w) => longestGap(w.records(), t0))),
    gaps: Object.fromEntries(state.writers.map((w) => [w.library, Math.round(longestGap(w.records(), t0))])),
    problems,
  };
}

/** Every monitor's events and log tail and the nodes' roles, kept for a run that went wrong. */
async function saveDump(c: MonitorCluster | undefined, name: string): Promise<string> {
  if (!c) return 'no dump: the group did not start';
  const path = join(tmpdir(), `vigil-safety-${name}-${Date.now()}.dump`);
  try {
    writeFileSync(path, await c.dump());
    return `dump: ${path}`;
  } catch (e) {
    return `no dump: ${errorMessage(e)}`;
  }
}

async function main(o: Options): Promise<number> {
  const reproduce = reproduceCommand(
    'safety.js',
    [
      ['scenario', o.scenario],
      ['runs', o.runs],
      ['mixes', o.mixes.join(',')],
    ],
    o.json,
  );
  process.stdout.write(`${SETUP[o.scenario].what}\nreproduce: ${reproduce}\n`);
  // Mixes alternate run by run, so the machine's noise spreads evenly over them.
  const plan = Array.from({ length: o.runs }, (_, run) =>
    o.mixes.map((mix) => ({ mix, run: run + 1 })),
  ).flat();
  const results = await runPlan<{ mix: Mix; run: number }, State, RunResult>({
    plan,
    benchDeadlineMs: plan.length * (RUN_TIMEOUT_MS + 30_000) + 60_000,
    runTimeoutMs: RUN_TIMEOUT_MS,
    backstopMs: 15_000,
    cleanupMs: { betweenRuns: 20_000, onAbort: 20_000 },
    label: (p) => `${p.mix} run ${p.run}`,
    newState: () => ({ cancelled: false, writers: [] }),
    run: (p, state, deadline) => runOnce(o, p.mix, p.run, state, deadline),
    failed: async (p, state, message) => ({
      mix: p.mix,
      run: p.run,
      ok: false,
      acknowledged: 0,
      lost: 0,
      lostAfter: 0,
      failovers: 0,
      dualMs: 0,
      dualWindows: 0,
      writableMs: 0,
      converged: false,
      longestGapMs: 0,
      gaps: {},
      problems: [message, await saveDump(state.cluster, `${p.mix}-${p.run}`)],
    }),
    done: (r) =>
      process.stdout.write(
        `${r.mix} run ${r.run}: ${r.ok ? `${r.acknowledged} acked, ${r.lost} lost (${r.lostAfter} after the action), ${r.failovers} failover(s), two primaries for ${Math.round(r.dualMs)} ms (${r.dualWindows} window(s)), two writable for ${Math.round(r.writableMs)} ms, ${r.converged ? 'converged' : 'NOT converged'}, longest gap ${Math.round(r.longestGapMs)} ms ${JSON.stringify(r.gaps)}` : `FAILED: ${r.problems[0] ?? ''}`}${r.problems
          .filter((x) => x.startsWith('dump:'))
          .map((x) => ` (${x})`)
          .join('')}\n`,
      ),
  });
  if (results === undefined) return 3;
  const rows = o.mixes.map((mix) => {
    const rs = results.filter((r) => r.mix === mix && r.ok);
    const sum = (f: (r: RunResult) => number) => rs.reduce((a, r) => a + f(r), 0);
    const runsWith = (f: (r: RunResult) => boolean) => rs.filter(f).length;
    return [
      mix,
      `${rs.length}/${results.filter((r) => r.mix === mix).length}`,
      String(sum((r) => r.acknowledged)),
      `${sum((r) => r.lost)} (${runsWith((r) => r.lost > 0)} runs)`,
      `${sum((r) => r.lostAfter)} (${runsWith((r) => r.lostAfter > 0)} runs)`,
      `${fmt(stat(rs.map((r) => r.failovers))?.median)} [${fmt(stat(rs.map((r) => r.failovers))?.min)}-${fmt(stat(rs.map((r) => r.failovers))?.max)}]`,
      `${fmt(stat(rs.map((r) => r.dualMs))?.max)} (${runsWith((r) => r.dualWindows > 0)} runs)`,
      `${fmt(stat(rs.map((r) => r.writableMs))?.max)}`,
      String(runsWith((r) => !r.converged)),
      `${fmt(stat(rs.map((r) => r.longestGapMs))?.median)} [${fmt(stat(rs.map((r) => r.longestGapMs))?.max)}]`,
    ];
  });
  process.stdout.write(
    `\n${SETUP[o.scenario].what}: ${o.runs} run(s) per mix\n` +
      table(
        [
          'monitors',
          'runs ok',
          'acked',
          'lost',
          'lost after action',
          'failovers, median [range]',
          'two ROLE master, longest ms',
          'two writable, longest ms',
          'not converged',
          'longest gap ms, median [max]',
        ],
        rows,
      ) +
      `\nenvironment: ${JSON.stringify(machine())}\nreproduce: ${reproduce}\n`,
  );
  if (o.json !== undefined) writeJson(o.json, { scenario: o.scenario, options: o, results });
  const bad = results.some((r) => !r.ok);
  return bad ? 1 : 0;
}

benchMain('safety', USAGE, parseOptions, (o) =>
  main(o).catch((err: unknown) => {
    process.stderr.write(`safety: ${errorMessage(err)}\n`);
    return 1;
  }),
);
