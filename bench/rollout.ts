// Benchmark: a rolling restart under continuous writers, Vigil's order next to the naive one.
//
// Two topologies, every process run by a `vigil node` supervisor (the `local` driver's layout),
// every data node with appendonly on, and a config change (`hz 20` appended to every node.conf)
// that needs a restart of every data node:
//   (a) replication: a primary, two replicas, three monitors;
//   (b) cluster: three shards, one replica each.
// Each restart keeps the server down for --downtime ms (a package upgrade, a pod reschedule),
// the same for every order. The systems:
//   vigil rollout             `vigil rollout` with the local driver: replicas first, the primary
//                             role handed over (coordinated switchover / CLUSTER FAILOVER), then
//                             the old primary;
//   naive + redis-sentinel    restart in place, highest ordinal first (the initial primary last),
//                             waiting after each node until it is back, its replicas are linked and
//                             the monitors agree on one primary; redis-sentinel fails over when the
//                             primary goes down (a readiness-probe rollout, as a StatefulSet does);
//   naive + vigil monitors    the same order with Vigil's monitors (no handover on stop);
//   naive + cluster failover  (b) the same order, waiting for the cluster to converge after each
//                             node; the cluster's own failover (cluster-node-timeout) reacts.
// Runs alternate between the systems. The bench reports acknowledged writes lost (read back from
// the final primary / the cluster), failed writes, the longest write gap over the roll and around
// each handover (each primary restart for the naive order), and the total time of the roll.
// Everything a run starts is stopped before the next run; every run and the whole bench have a
// deadline.
//
//   node dist/bench/rollout.js [--runs 1] [--topologies replication,cluster]
//                              [--systems vigil,naive,naive-vigil] [--downtime 3000]
//                              [--down-after 2000] [--node-timeout 2000] [--run-timeout 150]
//                              [--json out.json]
import { spawn, type ChildProcess } from 'node:child_process';
import { appendFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { setTimeout as delay } from 'node:timers/promises';
import { Cluster, Redis } from 'ioredis';
import { errorMessage } from '../src/node/errors.js';
import { LocalCluster } from '../src/rollout/drivers/local-cluster.js';
import { LocalGroup } from '../src/rollout/drivers/local-group.js';
import {
  killSupervisedSync,
  processAlive,
  readNodeState,
  vigilBin,
  type NodeState,
} from '../src/node/supervised.js';
import { parseClusterNodesText } from '../src/rollout/observe.js';
import {
  ContinuousWriter,
  infoFields,
  makeTempDir,
  nowMs,
  onCleanup,
  onProcessExit,
  RespError,
  respExchange,
  trackPid,
  untrackPid,
  waitForValue,
  withTimeout,
  type RespValue,
  type WriteRecord,
} from '../test/harness/index.js';
import { ioredisVersion, machine } from './lib/environment.js';
import { intOption, listOption, readOptions, reproduceCommand } from './lib/options.js';
import { fmt, mdTable, ratio, statsOf, type Metric, type Stat } from './lib/report.js';
import { benchMain, checkpoint, runPlan, writeJson } from './lib/runs.js';
import { longWriter, sentinelWriterClient } from './lib/writers.js';

const MASTER = 'mymaster';
const REPLICAS = 2;
const MONITORS = 3;
const QUORUM = 2;
const FAILOVER_TIMEOUT_MS = 10_000;
const SHARDS = 3;
const CLUSTER_SLOTS = 16_384;
const REPLICAS_PER_SHARD = 1;
/** The config change that makes every data node stale. */
const CONFIG_CHANGE = 'hz 20';
const WRITERS = 2;
/** A write not acknowledged within this long counts as failed (and the next one follows). */
const WRITE_TIMEOUT_MS = 1000;
/** Pause after a failed write. */
const ERROR_BACKOFF_MS = 10;
/** Reconnect delay of the clients. */
const RECONNECT_MS = 10;
/** Writes before the roll starts, after every writer's first acknowledgement. */
const WARMUP_MS = 1000;
/** Writes go on this long after the roll, before the writers stop. */
const SETTLE_MS = 1000;
/** Write gaps longer than this are listed (JSON, and the per-run lines). */
const LIST_GAP_MS = 50;
/** The issue's target for Vigil: no acknowledged write lost, every handover's write gap at most this. */
const TARGET_GAP_MS = 100;
const VERIFY_BATCH = 2000;

type Topology = 'replication' | 'cluster';
const ALL_TOPOLOGIES: readonly Topology[] = ['replication', 'cluster'];
type SystemId = 'vigil' | 'naive' | 'naive-vigil';
const ALL_SYSTEMS: readonly SystemId[] = ['vigil', 'naive', 'naive-vigil'];
/** The systems each topology has, with their labels. */
const LABELS: Record<Topology, Partial<Record<SystemId, string>>> = {
  replication: {
    vigil: 'vigil rollout',
    naive: 'naive + redis-sentinel',
    'naive-vigil': 'naive + vigil monitors',
  },
  cluster: { vigil: 'vigil rollout', naive: 'naive + cluster failover' },
};

interface Options {
  runs: number;
  topologies: Topology[];
  systems: SystemId[];
  downtimeMs: number;
  downAfterMs: number;
  nodeTimeoutMs: number;
  runTimeoutMs: number;
  json: string | undefined;
}

const USAGE = [
  'usage: node dist/bench/rollout.js [options]',
  '  --runs K             runs per system and topology (default 1)',
  '  --topologies LIST    comma-separated: replication,cluster (default both)',
  '  --systems LIST       comma-separated: vigil,naive,naive-vigil (default all; naive-vigil is',
  '                       replication only)',
  '  --downtime MS        how long every restarted server stays down (default 3000)',
  "  --down-after MS      the monitors' down-after-milliseconds (default 2000)",
  "  --node-timeout MS    the cluster's cluster-node-timeout (default 2000)",
  '  --run-timeout S      deadline of one run in seconds (default 150)',
  '  --json FILE          also write every run (steps, gaps, rollout output) and the summary',
].join('\n');

function parseOptions(argv: string[]): Options {
  const values = readOptions(
    argv,
    USAGE,
    {
      runs: '1',
      topologies: ALL_TOPOLOGIES.join(','),
      systems: ALL_SYSTEMS.join(','),
      downtime: '3000',
      'down-after': '2000',
      'node-timeout': '2000',
      'run-timeout': '150',
    },
    ['json'],
  );
  const topologies = listOption('topologies', values.topologies, ALL_TOPOLOGIES);
  const systems = listOption('systems', values.systems, ALL_SYSTEMS);
  if (!topologies.some((t) => systems.some((s) => LABELS[t][s] !== undefined))) {
    throw new Error('--systems: none of them applies to the chosen topologies');
  }
  return {
    runs: intOption('runs', values.runs, 1, 100),
    topologies,
    systems,
    downtimeMs: intOption('downtime', values.downtime, 0, 60_000),
    downAfterMs: intOption('down-after', values['down-after'], 500, 60_000),
    nodeTimeoutMs: intOption('node-timeout', values['node-timeout'], 500, 60_000),
    runTimeoutMs: intOption('run-timeout', values['run-timeout'], 30, 1800) * 1000,
    json: values.json,
  };
}

function reproduce(o: Options): string {
  return reproduceCommand(
    'rollout.js',
    [
      ['runs', o.runs],
      ['topologies', o.topologies.join(',')],
      ['systems', o.systems.join(',')],
      ['downtime', o.downtimeMs],
      ['down-after', o.downAfterMs],
      ['node-timeout', o.nodeTimeoutMs],
      ['run-timeout', o.runTimeoutMs / 1000],
    ],
    o.json,
  );
}

function sentinelBinary(): string {
  return process.env['VIGIL_REDIS_SENTINEL'] ?? '/usr/bin/redis-sentinel';
}

// ---------------------------------------------------------------------------------------------
// Every group and cluster a run starts: stopped by the run, by cleanupAll(), and SIGKILLed (every
// supervisor and server pid in their state files) when the bench process exits or is signalled.

interface Started {
  states(): NodeState[];
}
const live = new Set<Started>();
let exitHookInstalled = false;

function killStates(t: Started): void {
  killSupervisedSync(t.states());
}

function track(t: Started & { stop(): Promise<void> }, label: string): () => Promise<void> {
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    onProcessExit(() => {
      for (const x of live) killStates(x);
    });
  }
  live.add(t);
  let stopped = false;
  const stop = async (): Promise<void> => {
    if (stopped) return;
    stopped = true;
    try {
      await withTimeout(t.stop(), 40_000, `stop ${label}`);
    } finally {
      // Whatever a graceful stop left behind.
      killStates(t);
      live.delete(t);
    }
  };
  onCleanup(`stop ${label}`, stop, 'process');
  return stop;
}

// ---------------------------------------------------------------------------------------------
// Probes (fresh connections, short deadlines; a node that is down or loading is "not ready").

async function exchange(port: number, commands: string[][], timeoutMs = 1000): Promise<RespValue[]> {
  const replies = await respExchange('127.0.0.1', port, commands, timeoutMs);
  for (const r of replies) if (r instanceof RespError) throw r;
  return replies;
}

async function roleOf(port: number): Promise<string | undefined> {
  try {
    const [info] = await exchange(port, [['INFO', 'replication']]);
    return infoFields(String(info))['role'];
  } catch {
    return undefined;
  }
}

/** Why the replication group is not settled ('' when it is): one primary every monitor names, replicas linked. */
async function groupProblem(group: LocalGroup): Promise<string> {
  const named = new Set<number>();
  for (const m of group.monitors) {
    try {
      const [r] = await exchange(m.port, [['SENTINEL', 'GET-MASTER-ADDR-BY-NAME', group.name]]);
      if (!Array.isArray(r)) return `monitor ${m.port} names no primary`;
      named.add(Number(r[1]));
    } catch (err) {
      return `monitor ${m.port}: ${errorMessage(err)}`;
    }
  }
  if (named.size !== 1) return `the monitors name different primaries: ${[...named].join(', ')}`;
  const primary = [...named][0]!;
  for (const n of group.data) {
    let info: Record<string, string>;
    try {
      const [pong, text] = await exchange(n.port, [['PING'], ['INFO', 'replication']]);
      if (pong !== 'PONG') return `${n.port} answers PING with ${String(pong)}`;
      info = infoFields(String(text));
    } catch (err) {
      return `${n.port}: ${errorMessage(err)}`;
    }
    if (n.port === primary) {
      if (info['role'] !== 'master') return `${n.port}, named by the monitors, is not a primary`;
    } else if (info['role'] !== 'slave') {
      return `${n.port} is a primary too`;
    } else if (Number(info['master_port']) !== primary || info['master_link_status'] !== 'up') {
      return `${n.port} replicates from ${info['master_port']} (link ${info['master_link_status']}), not ${primary}`;
    }
  }
  return '';
}

/** Why the cluster is not settled ('' when it is): every node ok and seeing every node healthy, one primary per shard, replicas linked. */
async function clusterProblem(cluster: LocalCluster): Promise<string> {
  let primaries = 0;
  for (const n of cluster.nodes) {
    let info: Record<string, string>;
    let repl: Record<string, string>;
    let view: ReturnType<typeof parseClusterNodesText>;
    try {
      const [pong, ci, nodes, r] = await exchange(n.port, [
        ['PING'],
        ['CLUSTER', 'INFO'],
        ['CLUSTER', 'NODES'],
        ['INFO', 'replication'],
      ]);
      if (pong !== 'PONG') return `${n.port} answers PING with ${String(pong)}`;
      info = infoFields(String(ci));
      view = parseClusterNodesText(String(nodes));
      repl = infoFields(String(r));
    } catch (err) {
      return `${n.port}: ${errorMessage(err)}`;
    }
    if (info['cluster_state'] !== 'ok') return `${n.port}: cluster_state ${info['cluster_state']}`;
    if (view.length !== cluster.nodes.length) return `${n.port} knows ${view.length} nodes`;
    const bad = view.find((v) => v.flags.some((f) => f === 'fail' || f === 'fail?' || f === 'handshake'));
    if (bad !== undefined) return `${n.port} sees ${bad.addr.port} as ${bad.flags.join(',')}`;
    const me = view.find((v) => v.flags.includes('myself'));
    if (repl['role'] === 'master') {
      if (me === undefined || me.slots.length === 0) return `${n.port} is a primary without slots`;
      primaries++;
    } else if (repl['master_link_status'] !== 'up') {
      return `${n.port}: replication link ${repl['master_link_status']}`;
    }
  }
  return primaries === SHARDS ? '' : `${primaries} primaries, not ${SHARDS}`;
}

async function waitSettled(what: string, probe: () => Promise<string>, timeoutMs: number): Promise<void> {
  await waitForValue(probe, (v) => v === '', { what, timeoutMs: Math.max(1, timeoutMs), intervalMs: 50 });
}

// ---------------------------------------------------------------------------------------------
// The two topologies behind one interface.

interface DataNode {
  dir: string;
  port: number;
}

interface Topo {
  readonly kind: Topology;
  readonly root: string;
  /** Data nodes in ordinal order (the initial primary of a replication group first). */
  readonly data: DataNode[];
  readonly stop: () => Promise<void>;
  writer(id: string, maxDurationMs: number): { writer: ContinuousWriter; close: () => void };
  /** Why it is not settled yet ('' when it is). */
  problem(): Promise<string>;
  rolloutArgs(): string[];
  /** Reads every acknowledged write back from the final primary (or the cluster). */
  verify(expected: { key: string; value: string }[]): Promise<Set<string>>;
  /** The primaries, as ports, comma-separated. */
  primaries(): Promise<string>;
}

function clusterClient(cluster: LocalCluster, autoPipeline = false): Cluster {
  const c = new Cluster(cluster.seeds(), {
    clusterRetryStrategy: () => 50,
    // A client that notices a failover even when its only hint is a refused connection.
    slotsRefreshInterval: 1000,
    retryDelayOnFailover: 20,
    retryDelayOnClusterDown: 50,
    retryDelayOnTryAgain: 20,
    enableAutoPipelining: autoPipeline,
    redisOptions: {
      commandTimeout: WRITE_TIMEOUT_MS,
      connectTimeout: 1000,
      maxRetriesPerRequest: 1,
    },
  });
  c.on('error', () => undefined);
  return c;
}

function makeWriter(id: string, client: Redis, maxDurationMs: number): ContinuousWriter {
  return longWriter({
    id,
    client,
    commandTimeoutMs: WRITE_TIMEOUT_MS,
    errorBackoffMs: ERROR_BACKOFF_MS,
    maxDurationMs,
    gapThresholdMs: LIST_GAP_MS,
  });
}

function replicationTopo(group: LocalGroup, stop: () => Promise<void>): Topo {
  const primaryPort = async (): Promise<number> => {
    const [r] = await exchange(group.monitors[0]!.port, [
      ['SENTINEL', 'GET-MASTER-ADDR-BY-NAME', group.name],
    ]);
    if (!Array.isArray(r)) throw new Error('the monitors name no primary');
    return Number(r[1]);
  };
  return {
    kind: 'replication',
    root: group.root,
    data: group.data,
    stop,
    writer: (id, maxDurationMs) => {
      const client = sentinelWriterClient({
        sentinels: group.monitors.map((m) => ({ host: '127.0.0.1', port: m.port })),
        name: group.name,
        reconnectMs: RECONNECT_MS,
        commandTimeoutMs: WRITE_TIMEOUT_MS,
        reconnectOnReadonly: true,
      });
      return { writer: makeWriter(id, client, maxDurationMs), close: () => client.disconnect() };
    },
    problem: () => groupProblem(group),
    rolloutArgs: () => [
      'rollout',
      group.name,
      '--sentinel',
      `127.0.0.1:${group.monitors[0]!.port}`,
      '--local-root',
      group.root,
    ],
    verify: async (expected) => {
      const port = await primaryPort();
      const client = new Redis({ host: '127.0.0.1', port, maxRetriesPerRequest: 2 });
      client.on('error', () => undefined);
      const lost = new Set<string>();
      try {
        for (let i = 0; i < expected.length; i += VERIFY_BATCH) {
          const batch = expected.slice(i, i + VERIFY_BATCH);
          const values = await client.mget(batch.map((e) => e.key));
          batch.forEach((e, j) => {
            if (values[j] !== e.value) lost.add(e.key);
          });
        }
      } finally {
        client.disconnect();
      }
      return lost;
    },
    primaries: async () => String(await primaryPort()),
  };
}

function clusterTopo(cluster: LocalCluster, stop: () => Promise<void>): Topo {
  return {
    kind: 'cluster',
    root: cluster.root,
    data: cluster.nodes,
    stop,
    writer: (id, maxDurationMs) => {
      const client = clusterClient(cluster);
      // ContinuousWriter calls set(key, value) only, which a Cluster client has with the same meaning.
      return {
        writer: makeWriter(id, client as unknown as Redis, maxDurationMs),
        close: () => client.disconnect(),
      };
    },
    problem: () => clusterProblem(cluster),
    rolloutArgs: () => [
      'rollout',
      '--cluster',
      `127.0.0.1:${cluster.nodes[0]!.port}`,
      '--local-root',
      cluster.root,
    ],
    verify: async (expected) => {
      // GET key by key (the keys of one MGET must share a slot), pipelined per node by the client.
      const client = clusterClient(cluster, true);
      const lost = new Set<string>();
      try {
        for (let i = 0; i < expected.length; i += VERIFY_BATCH) {
          const batch = expected.slice(i, i + VERIFY_BATCH);
          const values = await Promise.all(batch.map((e) => client.get(e.key)));
          batch.forEach((e, j) => {
            if (values[j] !== e.value) lost.add(e.key);
          });
        }
      } finally {
        client.disconnect();
      }
      return lost;
    },
    primaries: async () => {
      const ports: number[] = [];
      for (const n of cluster.nodes) if ((await roleOf(n.port)) === 'master') ports.push(n.port);
      return ports.join(',');
    },
  };
}

async function startTopo(topology: Topology, system: SystemId, opts: Options, label: string): Promise<Topo> {
  const root = makeTempDir(label);
  if (topology === 'replication') {
    const group = await LocalGroup.start({
      root,
      name: MASTER,
      replicas: REPLICAS,
      monitors: MONITORS,
      quorum: QUORUM,
      downAfterMs: opts.downAfterMs,
      failoverTimeoutMs: FAILOVER_TIMEOUT_MS,
      monitorServer: system === 'naive' ? sentinelBinary() : undefined,
      handover: system === 'vigil',
      restartDelayMs: opts.downtimeMs,
    });
    return replicationTopo(group, track(group, `group ${root}`));
  }
  const cluster = await LocalCluster.start({
    root,
    shards: SHARDS,
    replicasPerShard: REPLICAS_PER_SHARD,
    nodeTimeoutMs: opts.nodeTimeoutMs,
    restartDelayMs: opts.downtimeMs,
  });
  return clusterTopo(cluster, track(cluster, `cluster ${root}`));
}

// ---------------------------------------------------------------------------------------------
// One run.

interface Step {
  /** 1-based. */
  index: number;
  kind: 'restart' | 'handover';
  /** The restarted node (host:port), or `from -> to` of a handover. */
  what: string;
  /** A handover (Vigil), or the restart of the node that was the primary (naive): a primary change. */
  primaryChange: boolean;
  /** ms after the start of the roll, on the bench's clock. */
  startMs: number;
  /** Until the next step starts (the last: until the writers stop). */
  endMs: number;
  /** What `vigil rollout` printed as the handover's duration. */
  reportedMs?: number;
  /** A restarted primary (naive) that is a primary again at the end: no failover took its place. */
  stillPrimary?: boolean;
  /** Longest time a shard acknowledged no write (of any writer), over the gaps touching this step's window. */
  gapMs?: number;
  /** Longest time one writer went without an acknowledgement, likewise. */
  writerGapMs?: number;
}

interface ListedGap {
  /** 1-based shard (always 1 for a replication group). */
  shard: number;
  /** ms after the start of the roll. */
  fromMs: number;
  ms: number;
}

interface RunResult {
  topology: Topology;
  system: SystemId;
  label: string;
  /** 1-based run number of this topology and system. */
  run: number;
  ok: boolean;
  error?: string;
  /** From the start of the roll (the rollout started / the first restart) until the roll is done and the topology settled. */
  totalMs?: number;
  primariesBefore?: string;
  primariesAfter?: string;
  acknowledged?: number;
  failed?: number;
  lateAcknowledged?: number;
  checked?: number;
  lost?: number;
  lostKeys: string[];
  /** When the lost writes were acknowledged (first and last), ms after the start of the roll. */
  lostAckedMs?: { first: number; last: number };
  /** Longest time a shard acknowledged no write, over the roll and the settle after it. */
  longestGapMs?: number;
  /** Longest time one writer went without an acknowledgement, likewise. */
  longestWriterGapMs?: number;
  steps: Step[];
  /** Every shard's write gap over LIST_GAP_MS, in time order. */
  gaps: ListedGap[];
  /** What `vigil rollout` printed, with the bench's time of arrival (ms after the start of the roll). */
  rolloutOutput: { ms: number; line: string }[];
  rolloutExit?: string;
  errors: Record<string, number>;
  problems: string[];
}

interface RunState {
  cancelled: boolean;
  cli: ChildProcess | undefined;
  output: { at: number; line: string }[];
  topo: Topo | undefined;
}

/** Runs `vigil rollout`, recording every output line on arrival; bounded by timeoutMs (SIGKILL). */
async function runRolloutCli(
  args: string[],
  cwd: string,
  timeoutMs: number,
  state: RunState,
): Promise<{ code: number | null; signal: string | null }> {
  const child = spawn(process.execPath, [vigilBin(), ...args], { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  state.cli = child;
  const pid = child.pid;
  if (pid !== undefined) trackPid(pid, 'vigil rollout', cwd);
  const record = (prefix: string) => (line: string) =>
    state.output.push({ at: nowMs(), line: prefix + line });
  createInterface({ input: child.stdout }).on('line', record(''));
  createInterface({ input: child.stderr }).on('line', record('stderr: '));
  const timer = setTimeout(() => {
    state.output.push({ at: nowMs(), line: `(killed by the bench after ${timeoutMs} ms)` });
    child.kill('SIGKILL');
  }, timeoutMs);
  try {
    return await new Promise((resolve, reject) => {
      child.once('error', reject);
      child.once('close', (code, signal) => resolve({ code, signal }));
    });
  } finally {
    clearTimeout(timer);
    if (pid !== undefined) untrackPid(pid);
    state.cli = undefined;
  }
}

/** The steps of `vigil rollout`, from its output. */
function stepsFromOutput(
  output: { at: number; line: string }[],
  t0: number,
): { steps: Step[]; notes: string[] } {
  const steps: Step[] = [];
  const notes: string[] = [];
  let waited: string | undefined;
  for (const { at, line } of output) {
    const m = /step (\d+): (.*)$/.exec(line);
    if (m !== null) {
      const desc = m[2]!;
      const h = /hand the primary role over (\S+) -> (\S+)/.exec(desc);
      let startMs = at - t0;
      const previous = steps[steps.length - 1];
      if (previous !== undefined && previous.index === Number(m[1])) {
        // The same step number again: the last step was turned down (e.g. by the monitors) and
        // planned anew. One step; its window starts with the first attempt.
        steps.pop();
        startMs = previous.startMs;
        notes.push(
          `step ${m[1]} (${previous.what}) was turned down${waited !== undefined ? ` (${waited})` : ''}; planned again`,
        );
      }
      waited = undefined;
      steps.push({
        index: Number(m[1]),
        kind: h !== null ? 'handover' : 'restart',
        what:
          h !== null
            ? `${h[1]} -> ${h[2]}`
            : (/restart (?:replica|standalone primary|monitor) (\S+)/.exec(desc)?.[1] ?? desc),
        primaryChange: h !== null,
        startMs,
        endMs: startMs,
      });
      continue;
    }
    waited ??= /waiting: (.*)$/.exec(line)?.[1];
    const done = /(\S+) is the primary \(handover took (\d+) ms\)/.exec(line);
    const last = steps[steps.length - 1];
    if (done !== null && last?.kind === 'handover') last.reportedMs = Number(done[2]);
  }
  return { steps, notes };
}

/** Restarts every data node in place, highest ordinal first, waiting after each until the topology has settled. */
async function naiveRoll(topo: Topo, t0: number, deadline: number, state: RunState): Promise<Step[]> {
  const steps: Step[] = [];
  for (const n of [...topo.data].reverse()) {
    checkpoint(state);
    const before = readNodeState(n.dir);
    if (before === undefined) throw new Error(`no supervisor state in ${n.dir}`);
    const wasPrimary = (await roleOf(n.port)) === 'master';
    const step: Step = {
      index: steps.length + 1,
      kind: 'restart',
      what: `127.0.0.1:${n.port}`,
      primaryChange: wasPrimary,
      startMs: nowMs() - t0,
      endMs: 0,
    };
    steps.push(step);
    process.kill(before.supervisorPid, 'SIGHUP');
    await waitForValue(
      () => {
        const s = readNodeState(n.dir);
        if (!processAlive(before.supervisorPid)) throw new Error(`the supervisor of ${n.dir} exited`);
        return s !== undefined && s.pid !== before.pid && processAlive(s.pid);
      },
      (v) => v,
      { what: `${n.port} to be started again`, timeoutMs: Math.max(1, deadline - nowMs()), intervalMs: 20 },
    );
    await waitSettled(
      `the ${topo.kind} to settle after restarting ${n.port}`,
      () => topo.problem(),
      deadline - nowMs(),
    );
    step.endMs = nowMs() - t0;
  }
  return steps;
}

// The slot of a key (CRC16/XMODEM of the key or of its {hash tag}, mod 16384), as Redis Cluster computes it.
const CRC16_TABLE = Array.from({ length: 256 }, (_, i) => {
  let c = i << 8;
  for (let k = 0; k < 8; k++) c = c & 0x8000 ? ((c << 1) ^ 0x1021) & 0xffff : (c << 1) & 0xffff;
  return c;
});

function keySlot(key: string): number {
  let b = Buffer.from(key);
  const open = b.indexOf('{');
  if (open >= 0) {
    const close = b.indexOf('}', open + 1);
    if (close > open + 1) b = b.subarray(open + 1, close);
  }
  let crc = 0;
  for (const byte of b) crc = ((crc << 8) & 0xffff) ^ CRC16_TABLE[((crc >> 8) ^ byte) & 0xff]!;
  return crc % CLUSTER_SLOTS;
}

/** The shard (0-based) that owns a slot in the layout LocalCluster sets up (and nothing reshards). */
function shardOfSlot(slot: number): number {
  for (let s = SHARDS - 1; s > 0; s--) if (slot >= Math.floor((s * CLUSTER_SLOTS) / SHARDS)) return s;
  return 0;
}

/** Sorted acknowledgement times. */
function ackTimes(records: readonly WriteRecord[], keep: (r: WriteRecord) => boolean = () => true): number[] {
  return records
    .filter((r) => r.ackAt !== undefined && keep(r))
    .map((r) => r.ackAt!)
    .sort((a, b) => a - b);
}

/** Intervals between consecutive acknowledgements that overlap [lo, hi). */
function gapsIn(acks: number[], lo: number, hi: number): { from: number; to: number }[] {
  const out: { from: number; to: number }[] = [];
  for (let i = 1; i < acks.length; i++) {
    const from = acks[i - 1]!;
    const to = acks[i]!;
    if (from < hi && to > lo) out.push({ from, to });
  }
  return out;
}

function longestIn(acks: number[], lo: number, hi: number): number {
  let best = 0;
  for (const g of gapsIn(acks, lo, hi)) best = Math.max(best, g.to - g.from);
  return best;
}

async function runOnce(
  topology: Topology,
  system: SystemId,
  run: number,
  opts: Options,
  deadline: number,
  state: RunState,
): Promise<RunResult> {
  const remaining = (): number => Math.max(1, deadline - nowMs());
  const label = LABELS[topology][system]!;
  const result: RunResult = {
    topology,
    system,
    label,
    run,
    ok: false,
    lostKeys: [],
    steps: [],
    gaps: [],
    rolloutOutput: [],
    errors: {},
    problems: [],
  };
  const topo = await withTimeout(
    startTopo(topology, system, opts, `${topology}-${system}-${run}`),
    remaining(),
    `the ${topology} to start`,
  );
  state.topo = topo;
  const writers: { writer: ContinuousWriter; close: () => void }[] = [];
  try {
    checkpoint(state);
    for (let i = 1; i <= WRITERS; i++)
      writers.push(topo.writer(`${topology}-${system}-${run}-${i}`, remaining()));
    for (const w of writers) w.writer.start();
    for (const w of writers) await w.writer.waitForAcks(1, Math.min(remaining(), 15_000));
    await delay(WARMUP_MS);
    checkpoint(state);
    result.primariesBefore = await topo.primaries();
    for (const n of topo.data) appendFileSync(join(n.dir, 'node.conf'), `${CONFIG_CHANGE}\n`);

    const t0 = nowMs();
    let rollEnd: number;
    if (system === 'vigil') {
      const exit = await runRolloutCli(topo.rolloutArgs(), topo.root, remaining(), state);
      result.rolloutExit = exit.signal !== null ? `signal ${exit.signal}` : `code ${exit.code}`;
      result.rolloutOutput = state.output.map((o) => ({ ms: o.at - t0, line: o.line }));
      const parsed = stepsFromOutput(state.output, t0);
      result.steps = parsed.steps;
      result.problems.push(...parsed.notes);
      if (exit.code !== 0) {
        throw new Error(
          `vigil rollout exited with ${result.rolloutExit}:\n${state.output.map((o) => `  ${o.line}`).join('\n')}`,
        );
      }
      // Done by its own account; the roll ends when the topology has settled too (normally at once).
      await waitSettled(`the ${topology} to settle after the rollout`, () => topo.problem(), remaining());
      rollEnd = nowMs();
    } else {
      result.steps = await naiveRoll(topo, t0, deadline, state);
      rollEnd = nowMs();
    }
    result.totalMs = rollEnd - t0;
    checkpoint(state);
    await delay(Math.min(SETTLE_MS, remaining()));
    const reports = await Promise.all(writers.map((w) => w.writer.stop()));
    const stoppedAt = nowMs();
    checkpoint(state);

    // Write gaps per shard (every writer's writes to it together; a replication group is one
    // shard) and per writer. A writer blocked on a key of a shard that is down moves on to keys
    // of other shards when that write fails, so its own gaps understate the shard's outage.
    const records = writers.flatMap((w) => w.writer.records);
    const shards =
      topology === 'cluster'
        ? Array.from({ length: SHARDS }, (_, s) =>
            ackTimes(records, (r) => shardOfSlot(keySlot(r.key)) === s),
          )
        : [ackTimes(records)];
    const perWriter = writers.map((w) => ackTimes(w.writer.records));
    const longest = (series: number[][], lo: number, hi: number): number =>
      Math.max(0, ...series.map((acks) => longestIn(acks, lo, hi)));
    const steps = result.steps;
    steps.forEach((s, i) => {
      s.endMs = i + 1 < steps.length ? steps[i + 1]!.startMs : stoppedAt - t0;
      s.gapMs = longest(shards, t0 + s.startMs, t0 + s.endMs);
      s.writerGapMs = longest(perWriter, t0 + s.startMs, t0 + s.endMs);
    });
    result.longestGapMs = longest(shards, t0, stoppedAt);
    result.longestWriterGapMs = longest(perWriter, t0, stoppedAt);
    result.gaps = shards
      .flatMap((acks, shard) =>
        gapsIn(acks, t0, stoppedAt)
          .filter((g) => g.to - g.from > LIST_GAP_MS)
          .map((g) => ({ shard: shard + 1, fromMs: g.from - t0, ms: g.to - g.from })),
      )
      .sort((a, b) => a.fromMs - b.fromMs);
    result.acknowledged = reports.reduce((n, r) => n + r.acknowledged, 0);
    result.failed = reports.reduce((n, r) => n + r.failed, 0);
    result.lateAcknowledged = reports.reduce((n, r) => n + r.lateAcknowledged, 0);
    for (const r of reports)
      for (const [k, v] of Object.entries(r.errors)) result.errors[k] = (result.errors[k] ?? 0) + v;

    result.primariesAfter = await topo.primaries();
    // Every acknowledged write (those acknowledged after their timeout too) read back.
    const expected = writers.flatMap((w) => w.writer.expectedEntries(true));
    const lost = await withTimeout(
      topo.verify(expected),
      remaining(),
      'reading the acknowledged writes back',
    );
    result.checked = expected.length;
    result.lost = lost.size;
    result.lostKeys = [...lost].slice(0, 10);
    if (lost.size > 0) {
      // When the lost writes were acknowledged: which node took them and then dropped them.
      const at = records
        .filter((r) => lost.has(r.key))
        .map((r) => (r.ackAt ?? r.lateAckAt ?? 0) - t0)
        .sort((a, b) => a - b);
      result.lostAckedMs = { first: at[0]!, last: at[at.length - 1]! };
    }
    for (const s of steps.filter((x) => x.kind === 'restart' && x.primaryChange)) {
      const port = Number(s.what.split(':')[1]);
      s.stillPrimary = (await roleOf(port)) === 'master';
    }
    if (!steps.some((s) => s.primaryChange)) result.problems.push('no primary change seen');
    result.ok = true;
    return result;
  } finally {
    for (const w of writers) {
      if (w.writer.running) await w.writer.stop().catch(() => undefined);
      w.close();
    }
    await topo.stop();
  }
}

// ---------------------------------------------------------------------------------------------
// Statistics and tables.

function fmtStat(st: Stat | undefined, digits = 0): string {
  if (st === undefined) return '-';
  if (st.n === 1 || st.min === st.max) return fmt(st.median, digits);
  return `${fmt(st.median, digits)} [${fmt(st.min, digits)}–${fmt(st.max, digits)}]`;
}

/** The handovers of a run (Vigil) or the restarts of its primary (naive). */
function primaryChanges(r: RunResult): Step[] {
  return r.steps.filter((s) => s.primaryChange);
}

function worstHandoverGap(r: RunResult): number | undefined {
  const h = primaryChanges(r);
  return h.length === 0 ? undefined : Math.max(...h.map((s) => s.gapMs ?? 0));
}

interface RolloutMetric extends Metric<RunResult> {
  digits: number;
}

const METRICS: RolloutMetric[] = [
  {
    label: 'total time (s)',
    digits: 1,
    get: (r) => (r.totalMs === undefined ? undefined : r.totalMs / 1000),
  },
  { label: 'longest write gap (ms)', digits: 0, get: (r) => r.longestGapMs },
  { label: 'longest write gap of one writer (ms)', digits: 0, get: (r) => r.longestWriterGapMs },
  { label: 'longest gap around a handover (ms)', digits: 0, get: worstHandoverGap },
  { label: 'handovers / primary restarts', digits: 0, get: (r) => primaryChanges(r).length },
  { label: 'acknowledged writes', digits: 0, get: (r) => r.acknowledged },
  { label: 'lost acknowledged writes', digits: 0, get: (r) => r.lost },
  { label: 'failed writes', digits: 0, get: (r) => r.failed },
];

type Summary = Record<string, Record<string, Record<string, Stat | undefined>>>;

function systemsOf(topology: Topology, opts: Options): SystemId[] {
  return opts.systems.filter((s) => LABELS[topology][s] !== undefined);
}

function summarize(results: RunResult[], opts: Options): Summary {
  const out: Summary = {};
  for (const t of opts.topologies) {
    out[t] = {};
    for (const s of systemsOf(t, opts)) {
      out[t][s] = statsOf(
        results.filter((r) => r.topology === t && r.system === s && r.ok),
        METRICS,
      );
    }
  }
  return out;
}

function handoverCell(r: RunResult): string {
  const h = primaryChanges(r);
  if (h.length === 0) return '-';
  return h.map((s) => `${fmt(s.gapMs)}${s.reportedMs !== undefined ? ` (${s.reportedMs})` : ''}`).join(', ');
}

function meetsTarget(r: RunResult): boolean {
  const worst = worstHandoverGap(r);
  return r.ok && r.lost === 0 && worst !== undefined && worst <= TARGET_GAP_MS;
}

function render(results: RunResult[], opts: Options, summary: Summary): string {
  const out: string[] = [];
  for (const t of opts.topologies) {
    const systems = systemsOf(t, opts);
    if (systems.length === 0) continue;
    const shape =
      t === 'replication'
        ? `a primary + ${REPLICAS} replicas, ${MONITORS} monitors (quorum ${QUORUM}, down-after ${opts.downAfterMs} ms)`
        : `${SHARDS} shards x (1 primary + ${REPLICAS_PER_SHARD} replica), cluster-node-timeout ${opts.nodeTimeoutMs} ms`;
    out.push(`\n## ${t}: ${shape}, every restart down ${opts.downtimeMs} ms\n`);
    const mine = results.filter((r) => r.topology === t);
    out.push(
      mdTable(
        [
          'run',
          'system',
          'total (s)',
          'acked',
          'failed',
          'lost',
          'longest gap (ms)',
          'gap per handover, ms (rollout says)',
          `<= ${TARGET_GAP_MS} ms, 0 lost`,
        ],
        mine.map((r) =>
          r.ok
            ? [
                String(r.run),
                r.label,
                fmt((r.totalMs ?? 0) / 1000, 1),
                fmt(r.acknowledged),
                fmt(r.failed),
                fmt(r.lost),
                fmt(r.longestGapMs),
                handoverCell(r),
                meetsTarget(r) ? 'yes' : 'no',
              ]
            : [String(r.run), r.label, 'FAILED', '', '', '', '', '', ''],
        ),
      ),
    );
    out.push('');
    out.push(
      mdTable(
        ['median [min–max]', ...systems.map((s) => LABELS[t][s]!)],
        METRICS.map((m) => [m.label, ...systems.map((s) => fmtStat(summary[t]![s]![m.label], m.digits))]),
      ),
    );
    const naive = systems.filter((s) => s !== 'vigil');
    if (systems.includes('vigil') && naive.length > 0) {
      out.push('');
      const versus = (label: string, s: SystemId, digits: number): string => {
        const v = summary[t]!['vigil']![label]?.median;
        const n = summary[t]![s]![label]?.median;
        const r = ratio(v, n);
        return r === undefined ? '-' : `${r} (${fmt(v, digits)} / ${fmt(n, digits)})`;
      };
      out.push(
        mdTable(
          ['ratio of medians', ...naive.map((s) => `vigil / ${LABELS[t][s]!}`)],
          [
            ['longest write gap', ...naive.map((s) => versus('longest write gap (ms)', s, 0))],
            [
              'longest gap around a handover',
              ...naive.map((s) => versus('longest gap around a handover (ms)', s, 0)),
            ],
            ['total time', ...naive.map((s) => versus('total time (s)', s, 1))],
          ],
        ),
      );
    }
    if (systems.includes('vigil')) {
      const v = mine.filter((r) => r.system === 'vigil');
      const met = v.filter(meetsTarget).length;
      out.push(
        `\nvigil target (0 acknowledged writes lost, every handover's write gap <= ${TARGET_GAP_MS} ms): ` +
          `${v.length > 0 && met === v.length ? 'MET' : 'NOT MET'} in ${met} of ${v.length} runs`,
      );
    }
  }
  const failed = results.filter((r) => !r.ok);
  if (failed.length > 0) {
    out.push(`\n${failed.length} run(s) failed:`);
    for (const r of failed)
      out.push(`  ${r.topology} ${r.label} run ${r.run}: ${(r.error ?? '').split('\n')[0]}`);
  }
  const problems = results.filter((r) => r.problems.length > 0);
  if (problems.length > 0) {
    out.push('\nproblems noted:');
    for (const r of problems) out.push(`  ${r.topology} ${r.label} run ${r.run}: ${r.problems.join('; ')}`);
  }
  return out.join('\n');
}

function runLine(r: RunResult): string {
  const head = `${r.topology}, ${r.label}, run ${r.run}`;
  if (!r.ok) return `${head}: FAILED: ${(r.error ?? '').split('\n')[0]}`;
  const changes = primaryChanges(r)
    .map(
      (s) =>
        `${s.what} ${fmt(s.gapMs)} ms${s.reportedMs !== undefined ? ` (rollout: ${s.reportedMs})` : ''}` +
        (s.stillPrimary === true ? ' (back as the primary before any failover)' : ''),
    )
    .join('; ');
  const shown = r.gaps
    .slice(0, 16)
    .map((g) => `${r.topology === 'cluster' ? `s${g.shard}:` : ''}${fmt(g.ms)}@${fmt(g.fromMs / 1000, 1)}s`);
  if (r.gaps.length > shown.length) shown.push(`and ${r.gaps.length - shown.length} more`);
  const gaps = shown.join(' ');
  const lostWhen =
    r.lostAckedMs !== undefined
      ? ` (acknowledged ${fmt(r.lostAckedMs.first / 1000, 1)}–${fmt(r.lostAckedMs.last / 1000, 1)} s after the start)`
      : '';
  return (
    `${head}: ${r.steps.length} steps in ${fmt((r.totalMs ?? 0) / 1000, 1)} s, ${r.acknowledged} acked, ` +
    `${r.failed} failed, ${r.lost} lost${lostWhen}, longest gap ${fmt(r.longestGapMs)} ms; ` +
    `${r.system === 'vigil' ? 'handovers' : 'primary restarts'}: ${changes || 'none'}; ` +
    `primaries ${r.primariesBefore} -> ${r.primariesAfter}` +
    (r.problems.length > 0 ? ` [${r.problems.join('; ')}]` : '') +
    (gaps !== ''
      ? `\n    write gaps > ${LIST_GAP_MS} ms (${r.topology === 'cluster' ? 'shard:' : ''}ms@s after the start): ${gaps}`
      : '')
  );
}

function environment(): Record<string, string> {
  return { ...machine(), ioredis: ioredisVersion() };
}

// ---------------------------------------------------------------------------------------------

async function main(opts: Options): Promise<number> {
  const command = reproduce(opts);
  const env = environment();
  const plan: { topology: Topology; system: SystemId; run: number }[] = [];
  for (let run = 1; run <= opts.runs; run++)
    for (const topology of opts.topologies)
      for (const system of systemsOf(topology, opts)) plan.push({ topology, system, run });
  const benchDeadlineMs = plan.length * (opts.runTimeoutMs + 45_000) + 30_000;
  process.stdout.write(
    `rolling restart under continuous writers: ${opts.runs} run(s) of ` +
      `${opts.topologies
        .map(
          (t) =>
            `${t} (${systemsOf(t, opts)
              .map((s) => LABELS[t][s])
              .join(', ')})`,
        )
        .join('; ')}` +
      `, alternating\n` +
      `change: '${CONFIG_CHANGE}' appended to every data node's node.conf; appendonly yes; every restarted ` +
      `server stays down ${opts.downtimeMs} ms\n` +
      `replication: a primary + ${REPLICAS} replicas, ${MONITORS} monitors, quorum ${QUORUM}, down-after ` +
      `${opts.downAfterMs} ms; cluster: ${SHARDS} shards with ${REPLICAS_PER_SHARD} replica each, ` +
      `cluster-node-timeout ${opts.nodeTimeoutMs} ms\n` +
      `writers: ${WRITERS} ioredis clients (Sentinel discovery / Cluster), SET of unique keys back to back, ` +
      `${WRITE_TIMEOUT_MS} ms timeout, reconnect after ${RECONNECT_MS} ms\n` +
      `environment: ${env['cpus']} cpus, load average ${env['loadAverage']}, node ${env['node']}, vigil ` +
      `${env['vigil']}, ioredis ${env['ioredis']}, ${env['redis']}\n` +
      `deadlines: ${opts.runTimeoutMs / 1000} s per run, ${Math.round(benchDeadlineMs / 1000)} s in all\n` +
      `reproduce: ${command}\n\n`,
  );

  const results = await runPlan<(typeof plan)[number], RunState, RunResult>({
    plan,
    benchDeadlineMs,
    runTimeoutMs: opts.runTimeoutMs,
    backstopMs: 30_000,
    // A run's own stop normally stops everything already; this stops what it did not.
    cleanupMs: { betweenRuns: 45_000, onAbort: 45_000 },
    label: ({ topology, system, run }) => `${topology} ${system} run ${run}`,
    newState: () => ({ cancelled: false, cli: undefined, output: [], topo: undefined }),
    run: ({ topology, system, run }, state, deadline) =>
      runOnce(topology, system, run, opts, deadline, state),
    kill: (state) => state.cli?.kill('SIGKILL'),
    failed: ({ topology, system, run }, state, msg) => {
      const t0 = state.output[0]?.at ?? 0;
      process.stderr.write(`\n${topology} ${system} run ${run} failed: ${msg}\n`);
      if (state.output.length > 0 && !msg.includes('vigil rollout exited')) {
        process.stderr.write(`vigil rollout output:\n${state.output.map((o) => `  ${o.line}`).join('\n')}\n`);
      }
      return {
        topology,
        system,
        label: LABELS[topology][system]!,
        run,
        ok: false,
        error: msg,
        lostKeys: [],
        steps: [],
        gaps: [],
        rolloutOutput: state.output.map((o) => ({ ms: o.at - t0, line: o.line })),
        errors: {},
        problems: [],
      };
    },
    done: (r) => process.stdout.write(`${runLine(r)}\n`),
  });
  if (results === undefined) return 130;

  const summary = summarize(results, opts);
  process.stdout.write(`${render(results, opts, summary)}\n`);
  process.stdout.write(
    `\nwrite gap: longest time a shard (the replication group: its primary) acknowledged no write of any ` +
      `writer; per handover: over the gaps that touch that step (from its start to the next step's), ` +
      `with the duration vigil rollout reported in ()\n`,
  );
  process.stdout.write(`\nreproduce: ${command}\n`);
  if (opts.json !== undefined) {
    writeJson(opts.json, {
      command,
      environment: env,
      setup: {
        configChange: CONFIG_CHANGE,
        downtimeMs: opts.downtimeMs,
        replication: {
          replicas: REPLICAS,
          monitors: MONITORS,
          quorum: QUORUM,
          downAfterMs: opts.downAfterMs,
        },
        cluster: { shards: SHARDS, replicasPerShard: REPLICAS_PER_SHARD, nodeTimeoutMs: opts.nodeTimeoutMs },
        writers: WRITERS,
        writeTimeoutMs: WRITE_TIMEOUT_MS,
        warmupMs: WARMUP_MS,
        settleMs: SETTLE_MS,
        targetGapMs: TARGET_GAP_MS,
      },
      summary,
      runs: results,
    });
  }
  return results.length === plan.length && results.every((r) => r.ok) ? 0 : 1;
}

benchMain('rollout', USAGE, parseOptions, main);
