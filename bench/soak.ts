// Soak: run many seeds of the swarm simulation (test/sim/swarm.ts) and report the failing ones.
//
//   node dist/bench/soak.js --seeds 10000 [--from 1] [--jobs N] [--keep-going]
//   node dist/bench/soak.js --seed 1729 [--verbose]
//
// Each seed derives a whole configuration and fault schedule; a run is a safety phase with
// faults, then a liveness phase without them that must converge. Seeds run in worker threads,
// each seed bounded in simulated time, steps, events and pending messages, plus a wall-clock
// limit per seed and for the whole soak. Exit code: 0 every seed passed; 3 some seed broke a
// safety invariant; else 2 some seed did not converge (liveness); else 1 some seed crashed (an
// exception, a bound exceeded, a hung seed); 4 the soak's deadline passed; 64 bad options.
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import { describeConfig, runSeed, type SeedResult } from '../test/sim/swarm.js';

type Kind = 'crash' | 'liveness' | 'safety';

interface Outcome {
  seed: number;
  ok: boolean;
  kind?: Kind;
  invariant?: string;
  detail?: string;
  simMs: number;
  livenessMs?: number;
  maxDualPrimaryMs: number;
}

interface WorkerTask {
  seeds: number[];
  keepGoing: boolean;
}

type FromWorker = { t: 'start'; seed: number } | { t: 'done'; outcome: Outcome };

const EXIT = { ok: 0, crash: 1, liveness: 2, safety: 3, deadline: 4, usage: 64 } as const;

function outcomeOf(r: SeedResult): Outcome {
  return {
    seed: r.seed,
    ok: r.ok,
    kind: r.kind,
    invariant: r.invariant,
    detail: r.detail,
    simMs: r.simMs,
    livenessMs: r.livenessMs,
    maxDualPrimaryMs: r.maxDualPrimaryMs,
  };
}

if (!isMainThread) {
  const task = workerData as WorkerTask;
  for (const seed of task.seeds) {
    parentPort!.postMessage({ t: 'start', seed } satisfies FromWorker);
    let outcome: Outcome;
    try {
      outcome = outcomeOf(runSeed(seed, { keepGoing: task.keepGoing }));
    } catch (e) {
      outcome = {
        seed,
        ok: false,
        kind: 'crash',
        invariant: 'exception',
        detail: String(e),
        simMs: 0,
        maxDualPrimaryMs: 0,
      };
    }
    parentPort!.postMessage({ t: 'done', outcome } satisfies FromWorker);
  }
} else {
  main();
}

function usage(msg: string): never {
  console.error(`soak: ${msg}`);
  console.error(
    'usage: node dist/bench/soak.js --seeds N [--from S] [--jobs J] [--keep-going] [--seed-timeout SEC] [--deadline SEC]\n' +
      '       node dist/bench/soak.js --seed S [--verbose]',
  );
  process.exit(EXIT.usage);
}

function intOpt(v: string | undefined, name: string, dflt: number, min: number): number {
  if (v === undefined) return dflt;
  if (!/^\d+$/.test(v) || Number(v) < min) usage(`--${name} needs an integer >= ${min}`);
  return Number(v);
}

function main(): void {
  let parsed;
  try {
    parsed = parseArgs({
      options: {
        seeds: { type: 'string' },
        from: { type: 'string' },
        seed: { type: 'string' },
        jobs: { type: 'string' },
        verbose: { type: 'boolean', short: 'v', default: false },
        'keep-going': { type: 'boolean', default: false },
        'seed-timeout': { type: 'string' },
        deadline: { type: 'string' },
      },
      strict: true,
    });
  } catch (e) {
    usage((e as Error).message);
  }
  const o = parsed.values;
  if (o.seed !== undefined) {
    process.exit(replay(intOpt(o.seed, 'seed', 0, 0), o.verbose, o['keep-going']));
  }
  const count = intOpt(o.seeds, 'seeds', 0, 1);
  if (o.seeds === undefined) usage('--seeds N or --seed S is required');
  const from = intOpt(o.from, 'from', 1, 0);
  const jobs = Math.min(intOpt(o.jobs, 'jobs', availableParallelism(), 1), count);
  const seedTimeoutMs = intOpt(o['seed-timeout'], 'seed-timeout', 60, 1) * 1000;
  // A generous bound for the whole soak (a seed takes ~20 ms of one core), so it always ends.
  const deadlineMs = intOpt(o.deadline, 'deadline', Math.max(600, Math.ceil(count / 10)), 1) * 1000;
  soak({ from, count, jobs, seedTimeoutMs, deadlineMs, keepGoing: o['keep-going'], verbose: o.verbose });
}

/** One seed in this thread, with its configuration, fault log, events and final state. */
function replay(seed: number, verbose: boolean, keepGoing: boolean): number {
  const t0 = performance.now();
  const r = runSeed(seed, { trace: verbose, keepGoing });
  const wall = performance.now() - t0;
  console.log(describeConfig(r.config));
  if (verbose) {
    console.log('faults (offsets from the start of the safety phase, ms):');
    for (const f of r.config.faults) {
      console.log(`  ${String(f.at).padStart(6)} ${f.kind} for ${f.durationMs} ms (picks ${f.a}, ${f.b})`);
    }
    console.log('trace (ms from the start of the run):');
    for (const line of r.trace ?? []) console.log(`  ${line}`);
    console.log('final state:');
    for (const line of r.state) console.log(`  ${line}`);
  }
  for (const v of r.violations) console.log(`seed ${seed} ${v.kind} [${v.invariant}] ${v.detail}`);
  console.log(
    `seed ${seed}: ${r.ok ? 'passed' : 'FAILED'}; ${(r.simMs / 1000).toFixed(1)} s simulated` +
      `${r.livenessMs !== undefined ? `, converged ${(r.livenessMs / 1000).toFixed(1)} s after healing` : ''}` +
      `, ${r.steps} steps, ${r.events} events, longest dual primary ${r.maxDualPrimaryMs} ms; ${wall.toFixed(0)} ms wall`,
  );
  return r.ok ? EXIT.ok : EXIT[r.kind ?? 'crash'];
}

interface SoakOptions {
  from: number;
  count: number;
  jobs: number;
  seedTimeoutMs: number;
  deadlineMs: number;
  keepGoing: boolean;
  verbose: boolean;
}

function soak(opts: SoakOptions): void {
  const started = performance.now();
  const self = fileURLToPath(import.meta.url);
  console.log(
    `soak: seeds ${opts.from}..${opts.from + opts.count - 1} on ${opts.jobs} threads ` +
      `(per-seed limit ${opts.seedTimeoutMs / 1000} s, deadline ${opts.deadlineMs / 1000} s)`,
  );
  const outcomes: Outcome[] = [];
  const failures: Outcome[] = [];
  let lastProgress = started;
  let finished = false;

  // Worker w runs seeds from + w, from + w + jobs, ...: every worker gets a like mix.
  const queues: number[][] = Array.from({ length: opts.jobs }, () => []);
  for (let i = 0; i < opts.count; i++) queues[i % opts.jobs]!.push(opts.from + i);
  const running = new Map<Worker, { seed: number; since: number; queue: number[] }>();

  const record = (out: Outcome) => {
    outcomes.push(out);
    if (!out.ok) {
      failures.push(out);
      console.log(`FAIL seed ${out.seed} ${out.kind} [${out.invariant}] ${out.detail ?? ''}`);
      console.log(`     replay: node dist/bench/soak.js --seed ${out.seed} --verbose`);
    }
    const now = performance.now();
    if (opts.verbose || now - lastProgress > 5000) {
      lastProgress = now;
      console.log(
        `[${String(outcomes.length).padStart(String(opts.count).length)}/${opts.count}] ` +
          `${failures.length} failed, ${((now - started) / 1000).toFixed(1)} s`,
      );
    }
  };

  const spawn = (queue: number[]) => {
    if (queue.length === 0) return;
    const w = new Worker(self, {
      workerData: { seeds: queue, keepGoing: opts.keepGoing } satisfies WorkerTask,
    });
    running.set(w, { seed: queue[0]!, since: performance.now(), queue });
    w.on('message', (m: FromWorker) => {
      const st = running.get(w);
      if (!st) return;
      if (m.t === 'start') {
        st.seed = m.seed;
        st.since = performance.now();
      } else {
        st.queue.shift();
        record(m.outcome);
      }
    });
    w.on('error', (e) => {
      const st = running.get(w);
      if (!st) return;
      running.delete(w);
      const seed = st.queue.shift();
      if (seed !== undefined) {
        record({
          seed,
          ok: false,
          kind: 'crash',
          invariant: 'worker',
          detail: e.message,
          simMs: 0,
          maxDualPrimaryMs: 0,
        });
      }
      spawn(st.queue);
      maybeDone();
    });
    w.on('exit', () => {
      if (running.delete(w)) maybeDone();
    });
  };

  const watchdog = setInterval(() => {
    const now = performance.now();
    if (now - started > opts.deadlineMs) {
      console.log(`soak: deadline of ${opts.deadlineMs / 1000} s passed; stopping`);
      finish(true);
      return;
    }
    for (const [w, st] of running) {
      if (now - st.since <= opts.seedTimeoutMs) continue;
      // A seed that runs away (no progress in simulated time) is a crash; go on with the rest.
      running.delete(w);
      void w.terminate();
      const seed = st.queue.shift();
      if (seed !== undefined) {
        record({
          seed,
          ok: false,
          kind: 'crash',
          invariant: 'hung',
          detail: `still running after ${opts.seedTimeoutMs / 1000} s of wall time`,
          simMs: 0,
          maxDualPrimaryMs: 0,
        });
      }
      spawn(st.queue);
    }
    maybeDone();
  }, 250);

  function maybeDone(): void {
    if (running.size === 0 && !finished) finish(false);
  }

  function finish(deadline: boolean): void {
    if (finished) return;
    finished = true;
    clearInterval(watchdog);
    for (const w of running.keys()) void w.terminate();
    const wall = (performance.now() - started) / 1000;
    const by = (k: Kind) => failures.filter((f) => f.kind === k).length;
    const liv = outcomes
      .filter((x) => x.ok && x.livenessMs !== undefined)
      .map((x) => x.livenessMs!)
      .sort((a, b) => a - b);
    const pct = (p: number) =>
      liv.length ? (liv[Math.min(liv.length - 1, Math.floor(liv.length * p))]! / 1000).toFixed(1) : '-';
    const sim = outcomes.reduce((s, x) => s + x.simMs, 0) / 1000;
    const dual = outcomes.reduce((m, x) => Math.max(m, x.maxDualPrimaryMs), 0);
    console.log('');
    console.log(
      `soak: ${outcomes.length} of ${opts.count} seeds run, ${outcomes.length - failures.length} passed, ` +
        `${failures.length} failed (safety ${by('safety')}, liveness ${by('liveness')}, crash ${by('crash')})`,
    );
    console.log(
      `soak: ${wall.toFixed(1)} s wall on ${opts.jobs} threads (${((wall * 1000 * opts.jobs) / Math.max(1, outcomes.length)).toFixed(1)} ms of a thread per seed), ` +
        `${(sim / 3600).toFixed(1)} h simulated`,
    );
    console.log(
      `soak: convergence after healing p50 ${pct(0.5)} s, p99 ${pct(0.99)} s, max ${pct(1)} s; longest dual primary ${dual} ms`,
    );
    if (failures.length > 0) {
      console.log(
        `soak: failing seeds: ${failures.map((f) => `${f.seed} (${f.kind}: ${f.invariant})`).join(', ')}`,
      );
    }
    const code = deadline
      ? EXIT.deadline
      : by('safety') > 0
        ? EXIT.safety
        : by('liveness') > 0
          ? EXIT.liveness
          : by('crash') > 0
            ? EXIT.crash
            : EXIT.ok;
    process.exitCode = code;
    // Terminated workers may take a moment; leave without waiting on them.
    setTimeout(() => process.exit(code), 50).unref();
  }

  for (const q of queues) spawn(q);
}
