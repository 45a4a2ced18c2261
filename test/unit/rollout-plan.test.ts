/**
 * The rolling-restart planner on hand-built observations: one test (at least) per gate, the
 * order of a whole rollout per topology (replayed step by step through an executor that makes
 * every step succeed at once, so the plan is recomputed from the new state each time, as the
 * rollout loop does), the choice of the handover target, and what makes a process stale.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { emptyPrimaryReason, handoverTarget, planRollout, unsyncedReason } from '../../src/rollout/plan.js';
import { staleReasons } from '../../src/rollout/spec.js';
import {
  nodeId,
  type DataNode,
  type Decision,
  type Gate,
  type MonitorNode,
  type NodeAddr,
  type ObservedGroup,
  type PlanOptions,
  type Step,
} from '../../src/rollout/types.js';

// ---------------------------------------------------------------------------------------------
// Builders

const HOST = '10.0.0.1';
const OLD = '7.0.15';
const NEW = '7.2.5';
/** What the monitors report as their version (vigil_version): never a Redis version. */
const VIGIL = '0.1.0';
/** The restart token: monitors are rolled by it, data nodes by it or by their version. */
const TOKEN = Date.UTC(2026, 10, 22, 10);
const BEFORE = TOKEN - 3_600_000;
const AFTER = TOKEN + 60_000;
const RESTARTED = TOKEN + 120_000;
const WANT: PlanOptions = { desired: { version: NEW, restartedAfterMs: TOKEN } };

/** Running `version`, started after the token: stale or current by its version alone. */
const runs = (version: string) => ({ version, startedAtMs: AFTER });

const at = (port: number): NodeAddr => ({ host: HOST, port });
const id = (port: number): string => nodeId(at(port));
const portOf = (nid: string): number => Number(nid.slice(nid.lastIndexOf(':') + 1));
/** How steps name a node here: its port on HOST, else its host. */
const label = (nid: string): string =>
  nid.startsWith(`${HOST}:`) ? String(portOf(nid)) : nid.slice(0, nid.lastIndexOf(':'));

/** A reachable primary with 100 keys at offset 5000 of history 'h1', running the old version. */
function primaryNode(port: number, over: Partial<DataNode> = {}): DataNode {
  return {
    id: id(port),
    addr: at(port),
    reachable: true,
    role: 'primary',
    linkUp: false,
    loading: false,
    syncing: false,
    replId: 'h1',
    offset: 5000,
    keys: 100,
    persistent: true,
    priority: 100,
    running: runs(OLD),
    ...over,
  };
}

/** A replica of `of`, in sync with primaryNode's defaults. */
function replicaNode(port: number, of: number, over: Partial<DataNode> = {}): DataNode {
  return primaryNode(port, { role: 'replica', primary: at(of), linkUp: true, ...over });
}

/** What observe.ts reports for a node that does not answer. */
function downNode(port: number): DataNode {
  return {
    id: id(port),
    addr: at(port),
    reachable: false,
    linkUp: false,
    loading: false,
    syncing: false,
    replId: '',
    offset: 0,
    keys: 0,
    persistent: false,
    priority: 100,
    running: {},
  };
}

function monitorNode(port: number, primary: number, over: Partial<MonitorNode> = {}): MonitorNode {
  return {
    id: id(port),
    addr: at(port),
    reachable: true,
    running: { version: VIGIL, startedAtMs: AFTER },
    primary: at(primary),
    failoverInProgress: false,
    primaryDown: false,
    peers: 2,
    ...over,
  };
}

interface ReplOpts {
  primary?: number;
  replicas?: number[];
  monitors?: number;
  quorum?: number;
  /** Version of the data nodes (default OLD: all stale). */
  data?: string;
  /** The monitors started before the restart token (stale) or after (current, the default). */
  mon?: 'stale' | 'current';
}

/** A replication group: primary 6379, replicas 6380 and 6381, monitors 26379.. (quorum 2). */
function replication(o: ReplOpts = {}): ObservedGroup {
  const p = o.primary ?? 6379;
  const replicas = o.replicas ?? [6380, 6381];
  const count = o.monitors ?? 3;
  const running = () => runs(o.data ?? OLD);
  return {
    topology: 'replication',
    name: 'mymaster',
    nodes: [
      primaryNode(p, { running: running() }),
      ...replicas.map((r) => replicaNode(r, p, { running: running() })),
    ],
    monitors: Array.from({ length: count }, (_, i) =>
      monitorNode(26379 + i, p, {
        peers: count - 1,
        running: { version: VIGIL, startedAtMs: o.mon === 'stale' ? BEFORE : AFTER },
      }),
    ),
    quorum: o.quorum ?? 2,
  };
}

/** A Redis Cluster: one shard per [primary, replicas], node ids 'n<port>'. */
function cluster(shards: [number, number[]][], version = OLD): ObservedGroup {
  const nodes: DataNode[] = [];
  for (const [p, rs] of shards) {
    const common = () => ({ replId: `h${p}`, running: runs(version), clusterOk: true });
    nodes.push(primaryNode(p, { ...common(), clusterId: `n${p}` }));
    for (const r of rs)
      nodes.push(
        replicaNode(r, p, { ...common(), clusterId: `n${r}`, clusterPrimaryId: `n${p}`, primary: at(p) }),
      );
  }
  return { topology: 'cluster', nodes, monitors: [], clusterAgreed: true };
}

function standalone(over: Partial<DataNode> = {}): ObservedGroup {
  return { topology: 'standalone', nodes: [primaryNode(6379, over)], monitors: [] };
}

function node(g: ObservedGroup, port: number): DataNode {
  const n = g.nodes.find((x) => x.addr.port === port);
  assert.ok(n, `no node ${port}`);
  return n;
}

function mon(g: ObservedGroup, port: number): MonitorNode {
  const m = g.monitors.find((x) => x.addr.port === port);
  assert.ok(m, `no monitor ${port}`);
  return m;
}

function replace(g: ObservedGroup, port: number, n: DataNode): void {
  g.nodes = g.nodes.map((x) => (x.addr.port === port ? n : x));
}

// ---------------------------------------------------------------------------------------------
// Assertions and a perfect executor

function short(s: Step): string {
  switch (s.kind) {
    case 'restart-replica':
    case 'restart-primary':
    case 'restart-monitor':
      return `${s.kind} ${label(s.node)}`;
    case 'switchover':
    case 'cluster-failover':
      return `${s.kind} ${label(s.from)}>${label(s.to)}`;
  }
}

function nextOf(d: Decision): string {
  const n = d.next;
  switch (n.kind) {
    case 'act':
      return short(n.step);
    case 'wait':
      return `wait ${n.gate}`;
    case 'stop':
      return `stop ${n.gate}`;
    case 'done':
      return 'done';
  }
}

function expectAct(d: Decision, step: string): Step {
  assert.equal(nextOf(d), step, JSON.stringify(d.next));
  assert.ok(d.next.kind === 'act');
  return d.next.step;
}

function expectWait(d: Decision, gate: Gate, subject?: number): void {
  const n = d.next;
  assert.ok(n.kind === 'wait' && n.gate === gate, `wanted wait ${gate}, got ${JSON.stringify(n)}`);
  assert.ok(n.reason.length > 0);
  if (subject !== undefined) assert.equal(n.subject, id(subject));
}

function expectStop(d: Decision, gate: Gate): string {
  const n = d.next;
  assert.ok(n.kind === 'stop' && n.gate === gate, `wanted stop ${gate}, got ${JSON.stringify(n)}`);
  return n.reason;
}

let historySeq = 0;

/** Carries out one step at once and perfectly: the restarted process runs NEW and is in sync. */
function applyPerfect(g: ObservedGroup, step: Step): void {
  switch (step.kind) {
    case 'restart-replica':
    case 'restart-primary': {
      const n = g.nodes.find((x) => x.id === step.node)!;
      n.running = { ...n.running, version: NEW, startedAtMs: RESTARTED };
      return;
    }
    case 'restart-monitor': {
      const m = g.monitors.find((x) => x.id === step.node)!;
      m.running = { ...m.running, startedAtMs: RESTARTED };
      return;
    }
    case 'switchover':
    case 'cluster-failover': {
      const from = g.nodes.find((x) => x.id === step.from)!;
      const to = g.nodes.find((x) => x.id === step.to)!;
      assert.equal(from.role, 'primary', `${short(step)}: the source is not a primary`);
      assert.equal(to.role, 'replica', `${short(step)}: the target is not a replica`);
      const history = `s${++historySeq}`;
      const followers =
        step.kind === 'switchover'
          ? g.nodes.filter((x) => x !== to)
          : g.nodes.filter(
              (x) =>
                x === from || (x !== to && x.role === 'replica' && x.clusterPrimaryId === from.clusterId),
            );
      to.role = 'primary';
      to.primary = undefined;
      to.linkUp = false;
      to.clusterPrimaryId = undefined;
      to.replId = history;
      for (const f of followers) {
        f.role = 'replica';
        f.primary = to.addr;
        f.linkUp = true;
        f.replId = history;
        if (to.clusterId !== undefined) f.clusterPrimaryId = to.clusterId;
      }
      for (const m of g.monitors) m.primary = to.addr;
      return;
    }
  }
}

/** Plans and carries out at most `count` steps (fewer when the planner does not act). */
function advance(g: ObservedGroup, count: number, opts: PlanOptions = WANT): void {
  for (let i = 0; i < count; i++) {
    const d = planRollout(g, opts);
    if (d.next.kind !== 'act') return;
    applyPerfect(g, d.next.step);
  }
}

/** Plans, carries out and plans again until the planner does not act: the steps, then the end. */
function replay(g: ObservedGroup, opts: PlanOptions = WANT, limit = 40): string[] {
  const out: string[] = [];
  for (let i = 0; i < limit; i++) {
    const d = planRollout(g, opts);
    if (d.next.kind !== 'act') {
      out.push(nextOf(d));
      return out;
    }
    out.push(short(d.next.step));
    applyPerfect(g, d.next.step);
  }
  assert.fail(`no end after ${limit} steps: ${out.join(', ')}`);
}

// ---------------------------------------------------------------------------------------------

describe('staleReasons', () => {
  test('nothing wanted: current, whatever runs', () => {
    assert.deepEqual(staleReasons({ version: OLD, executable: '/x', args: '--a' }, {}), []);
    assert.deepEqual(staleReasons({}, {}), []);
  });

  test('version: different, unknown, equal', () => {
    const r = staleReasons({ version: OLD }, { version: NEW });
    assert.equal(r.length, 1);
    assert.match(r[0]!, new RegExp(`version ${OLD}, wanted ${NEW}`));
    assert.match(staleReasons({}, { version: NEW })[0]!, /version unknown/);
    assert.deepEqual(staleReasons({ version: NEW }, { version: NEW }), []);
  });

  test('executable: different, unknown, equal', () => {
    const want = { executable: '/opt/redis-7.2/bin/redis-server' };
    assert.match(
      staleReasons({ executable: '/usr/bin/redis-server' }, want)[0]!,
      /runs \/usr\/bin\/redis-server, wanted \/opt\/redis-7\.2/,
    );
    assert.match(staleReasons({}, want)[0]!, /unknown executable/);
    assert.deepEqual(staleReasons({ executable: want.executable }, want), []);
  });

  test('args: different, unknown (counts as none), equal', () => {
    assert.match(staleReasons({ args: '--maxmemory 1gb' }, { args: '--maxmemory 2gb' })[0]!, /arguments/);
    assert.match(staleReasons({}, { args: '--maxmemory 2gb' })[0]!, /arguments '', wanted/);
    assert.deepEqual(staleReasons({}, { args: '' }), []);
    assert.deepEqual(staleReasons({ args: '--x' }, { args: '--x' }), []);
  });

  test('configHash: changed (shortened to 12 characters), unknown, equal, not wanted', () => {
    const a = 'aaaaaaaaaaaaaaaaaaaa';
    const b = 'bbbbbbbbbbbbbbbbbbbb';
    assert.deepEqual(staleReasons({ configHash: a }, {}, b), [
      'configuration changed (aaaaaaaaaaaa -> bbbbbbbbbbbb)',
    ]);
    assert.match(staleReasons({}, {}, b)[0]!, /unknown configuration \(wanted bbbbbbbbbbbb\)/);
    assert.deepEqual(staleReasons({ configHash: b }, {}, b), []);
    assert.deepEqual(staleReasons({ configHash: a }, {}), []);
  });

  test('restartedAfterMs: started before, at, after, unknown (to the second, as Redis reports uptime)', () => {
    const token = Date.UTC(2026, 0, 1);
    assert.match(
      staleReasons({ startedAtMs: token - 1 }, { restartedAfterMs: token })[0]!,
      /before the restart token/,
    );
    assert.match(
      staleReasons({ startedAtMs: token - 5000 }, { restartedAfterMs: token })[0]!,
      /2025-12-31T23:59:55/,
    );
    assert.deepEqual(staleReasons({ startedAtMs: token + 100 }, { restartedAfterMs: token + 900 }), []);
    assert.deepEqual(staleReasons({ startedAtMs: token }, { restartedAfterMs: token }), []);
    assert.deepEqual(staleReasons({ startedAtMs: token + 1 }, { restartedAfterMs: token }), []);
    assert.deepEqual(staleReasons({}, { restartedAfterMs: token }), ['start time unknown']);
  });

  test('every field that differs gives its own reason', () => {
    const r = staleReasons(
      { version: OLD, executable: '/a', args: '', configHash: 'c1', startedAtMs: 1000 },
      { version: NEW, executable: '/b', args: '--x', restartedAfterMs: 5000 },
      'c2',
    );
    assert.equal(r.length, 5, r.join(' | '));
  });

  test('the planner takes the configuration hash a driver reports for each node', () => {
    const g = replication({ data: NEW });
    for (const n of g.nodes) {
      n.running.configHash = 'c1';
      n.desiredConfigHash = 'c1';
    }
    assert.equal(planRollout(g, WANT).next.kind, 'done');
    node(g, 6381).desiredConfigHash = 'c2';
    const d = planRollout(g, WANT);
    assert.deepEqual(d.stale, [
      { id: id(6381), kind: 'replica', reasons: ['configuration changed (c1 -> c2)'] },
    ]);
    expectAct(d, 'restart-replica 6381');
  });

  test('restart token through the planner: a node started after it is current', () => {
    const token = 1_000_000;
    const g = replication({ data: NEW });
    for (const n of g.nodes) n.running.startedAtMs = token + 10_000;
    for (const m of g.monitors) m.running.startedAtMs = token + 10_000;
    node(g, 6380).running.startedAtMs = token - 10_000;
    const d = planRollout(g, { desired: { restartedAfterMs: token } });
    assert.deepEqual(
      d.stale.map((s) => s.id),
      [id(6380)],
    );
    expectAct(d, 'restart-replica 6380');
  });
});

describe('done', () => {
  test('nothing stale: done, no steps, no stale nodes', () => {
    for (const g of [
      replication({ data: NEW }),
      cluster([[7000, [7001]]], NEW),
      standalone({ running: runs(NEW) }),
    ]) {
      const d = planRollout(g, WANT);
      assert.deepEqual(d.next, { kind: 'done' }, g.topology);
      assert.deepEqual(d.plan, []);
      assert.deepEqual(d.stale, []);
      assert.deepEqual(d.warnings, []);
    }
  });

  test('stale monitors are left alone with monitors: false', () => {
    const g = replication({ data: NEW, mon: 'stale' });
    assert.equal(planRollout(g, WANT).next.kind, 'act');
    const d = planRollout(g, { ...WANT, monitors: false });
    assert.deepEqual(d.next, { kind: 'done' });
    assert.deepEqual(d.stale, []);
  });
});

describe('replication: order of a whole rollout', () => {
  test('3 nodes + 3 monitors, all stale: the plan as printed before the first step', () => {
    const d = planRollout(replication({ mon: 'stale' }), WANT);
    assert.deepEqual(d.plan.map(short), [
      'restart-replica 6380',
      'restart-replica 6381',
      'switchover 6379>6380',
      'restart-replica 6379',
      'restart-monitor 26379',
      'restart-monitor 26380',
      'restart-monitor 26381',
    ]);
    assert.deepEqual(
      d.stale.map((s) => `${s.kind} ${portOf(s.id)}`),
      ['primary 6379', 'replica 6380', 'replica 6381', 'monitor 26379', 'monitor 26380', 'monitor 26381'],
    );
    for (const s of d.stale) assert.ok(s.reasons.length > 0);
    expectAct(d, 'restart-replica 6380');
    assert.deepEqual(d.warnings, []);
  });

  test('3 nodes + 3 monitors, replayed: replicas, handover, old primary, then monitors', () => {
    assert.deepEqual(replay(replication({ mon: 'stale' })), [
      'restart-replica 6380',
      'restart-replica 6381',
      'switchover 6379>6380',
      'restart-replica 6379',
      'restart-monitor 26379',
      'restart-monitor 26380',
      'restart-monitor 26381',
      'done',
    ]);
  });

  test('the old primary is restarted as a replica, with the reason it is restarted', () => {
    const g = replication();
    advance(g, 2); // the two replicas
    const d = planRollout(g, WANT);
    const sw = expectAct(d, 'switchover 6379>6380');
    assert.ok(sw.why.some((w) => w.includes(OLD)));
    const last = d.plan[1]!;
    assert.equal(short(last), 'restart-replica 6379');
    assert.ok(last.why.some((w) => w.includes('after the handover to')));
    applyPerfect(g, sw);
    expectAct(planRollout(g, WANT), 'restart-replica 6379');
  });

  test('resumes from any point: a half-done group plans only what is left', () => {
    const g = replication();
    node(g, 6381).running.version = NEW;
    assert.deepEqual(replay(g), [
      'restart-replica 6380',
      'switchover 6379>6380',
      'restart-replica 6379',
      'done',
    ]);
    const h = replication({ data: NEW });
    applyPerfect(h, { kind: 'switchover', from: id(6379), to: id(6381), why: [] });
    node(h, 6379).running.version = OLD; // handed over, not restarted yet
    assert.deepEqual(replay(h), ['restart-replica 6379', 'done']);
  });

  test('only the primary stale: handover first, then it is restarted', () => {
    const g = replication({ data: NEW });
    node(g, 6379).running.version = OLD;
    assert.deepEqual(replay(g), ['switchover 6379>6380', 'restart-replica 6379', 'done']);
  });

  test('only monitors stale: one at a time, in port order', () => {
    assert.deepEqual(replay(replication({ data: NEW, mon: 'stale', monitors: 5, quorum: 3 })), [
      'restart-monitor 26379',
      'restart-monitor 26380',
      'restart-monitor 26381',
      'restart-monitor 26382',
      'restart-monitor 26383',
      'done',
    ]);
  });
});

describe('standalone', () => {
  test('persistent: a plain restart, with a warning that writes fail meanwhile', () => {
    const d = planRollout(standalone(), WANT);
    const s = expectAct(d, 'restart-primary 6379');
    assert.ok(s.kind === 'restart-primary');
    assert.match(s.warning, /writes fail while it restarts/);
    assert.deepEqual(d.warnings, [s.warning]);
    assert.deepEqual(
      d.stale.map((x) => x.kind),
      ['primary'],
    );
  });

  test('without persistence and holding keys: stop (only-copy) unless acceptDataLoss', () => {
    const g = standalone({ persistent: false, keys: 42 });
    const reason = expectStop(planRollout(g, WANT), 'only-copy');
    assert.match(reason, /42 keys are erased/);
    assert.match(reason, /accept-data-loss/);
    const d = planRollout(g, { ...WANT, acceptDataLoss: true });
    const s = expectAct(d, 'restart-primary 6379');
    assert.ok(s.kind === 'restart-primary');
    assert.match(s.warning, /42 keys are erased/);
  });

  test('without persistence but empty: nothing to lose, restarted', () => {
    expectAct(planRollout(standalone({ persistent: false, keys: 0 }), WANT), 'restart-primary 6379');
  });

  test('not up: wait (node-down); current: done', () => {
    expectWait(planRollout({ ...standalone(), nodes: [downNode(6379)] }, WANT), 'node-down', 6379);
    expectWait(planRollout(standalone({ loading: true }), WANT), 'node-down', 6379);
    assert.deepEqual(planRollout(standalone({ running: runs(NEW) }), WANT).next, { kind: 'done' });
  });

  test('no node at all: stop', () => {
    expectStop(planRollout({ topology: 'standalone', nodes: [], monitors: [] }, WANT), 'unknown-primary');
  });

  test('replayed: one step, then done', () => {
    assert.deepEqual(replay(standalone()), ['restart-primary 6379', 'done']);
  });
});

describe('cluster: shard by shard', () => {
  // redis-cli --cluster create lays out primaries first: 7000..7002, then their replicas.
  const usual = (): ObservedGroup =>
    cluster([
      [7000, [7003]],
      [7001, [7004]],
      [7002, [7005]],
    ]);
  const shardOrder = [
    'restart-replica 7003',
    'cluster-failover 7000>7003',
    'restart-replica 7000',
    'restart-replica 7004',
    'cluster-failover 7001>7004',
    'restart-replica 7001',
    'restart-replica 7005',
    'cluster-failover 7002>7005',
    'restart-replica 7002',
  ];

  test('3 shards x 1 replica: the plan as printed before the first step', () => {
    const d = planRollout(usual(), WANT);
    assert.deepEqual(d.plan.map(short), shardOrder);
    expectAct(d, 'restart-replica 7003');
  });

  test('3 shards x 1 replica, replicas on the lower ports: replayed, one shard after the other', () => {
    const g = cluster([
      [7003, [7000]],
      [7004, [7001]],
      [7005, [7002]],
    ]);
    assert.deepEqual(replay(g), [
      'restart-replica 7000',
      'cluster-failover 7003>7000',
      'restart-replica 7003',
      'restart-replica 7001',
      'cluster-failover 7004>7001',
      'restart-replica 7004',
      'restart-replica 7002',
      'cluster-failover 7005>7002',
      'restart-replica 7005',
      'done',
    ]);
  });

  test('3 shards x 1 replica, usual layout: replayed, a shard is finished before the next starts', () => {
    assert.deepEqual(replay(usual()), [...shardOrder, 'done']);
  });

  test('3 shards x 1 replica, every node on port 6379 of its own host: a shard is finished before the next', () => {
    // Hosts .1 .2 .3 hold the primaries, .4 .5 .6 their replicas.
    const g: ObservedGroup = { topology: 'cluster', nodes: [], monitors: [], clusterAgreed: true };
    for (const [p, r] of [
      [1, 4],
      [2, 5],
      [3, 6],
    ] as const) {
      const pa = { host: `10.0.1.${p}`, port: 6379 };
      const ra = { host: `10.0.1.${r}`, port: 6379 };
      const common = () => ({ replId: `h${p}`, running: runs(OLD), clusterOk: true });
      g.nodes.push(primaryNode(6379, { ...common(), id: nodeId(pa), addr: pa, clusterId: `n${p}` }));
      g.nodes.push(
        replicaNode(6379, 6379, {
          ...common(),
          id: nodeId(ra),
          addr: ra,
          primary: pa,
          clusterId: `n${r}`,
          clusterPrimaryId: `n${p}`,
        }),
      );
    }
    assert.deepEqual(replay(g), [
      'restart-replica 10.0.1.4',
      'cluster-failover 10.0.1.1>10.0.1.4',
      'restart-replica 10.0.1.1',
      'restart-replica 10.0.1.5',
      'cluster-failover 10.0.1.2>10.0.1.5',
      'restart-replica 10.0.1.2',
      'restart-replica 10.0.1.6',
      'cluster-failover 10.0.1.3>10.0.1.6',
      'restart-replica 10.0.1.3',
      'done',
    ]);
  });

  test('a stale shard without replica stops the rollout when its turn comes (only-copy)', () => {
    const g = cluster([
      [7003, [7000]],
      [7004, []],
    ]);
    assert.deepEqual(replay(g), [
      'restart-replica 7000',
      'cluster-failover 7003>7000',
      'restart-replica 7003',
      'stop only-copy',
    ]);
  });

  test('a stale shard without replica, usual layout: the shard before it is finished first', () => {
    const g = cluster([
      [7000, [7003]],
      [7001, []],
    ]);
    assert.deepEqual(replay(g), [
      'restart-replica 7003',
      'cluster-failover 7000>7003',
      'restart-replica 7000',
      'stop only-copy',
    ]);
  });

  test('a later shard that cannot hand over (priority 0) stops the rollout when its turn comes', () => {
    const g = cluster([
      [7003, [7000]],
      [7004, [7001]],
    ]);
    node(g, 7001).priority = 0;
    assert.deepEqual(replay(g), [
      'restart-replica 7000',
      'cluster-failover 7003>7000',
      'restart-replica 7003',
      'stop no-target',
    ]);
  });
});

describe('gates', () => {
  describe('only-copy', () => {
    test('replication: a stale primary without replicas', () => {
      const reason = expectStop(planRollout(replication({ replicas: [] }), WANT), 'only-copy');
      assert.match(reason, /only copy/);
    });
    test('cluster: a stale primary without replicas', () => {
      expectStop(planRollout(cluster([[7000, []]]), WANT), 'only-copy');
    });
    test('standalone without persistence holding keys', () => {
      expectStop(planRollout(standalone({ persistent: false }), WANT), 'only-copy');
    });
    test('a current primary without replicas is no reason to stop', () => {
      assert.equal(planRollout(replication({ replicas: [], data: NEW }), WANT).next.kind, 'done');
    });
  });

  describe('empty-primary', () => {
    test('the primary holds no keys while a replica holds some: stop, even with nothing stale', () => {
      for (const data of [OLD, NEW]) {
        const g = replication({ data });
        node(g, 6379).keys = 0;
        const reason = expectStop(planRollout(g, WANT), 'empty-primary');
        assert.match(reason, new RegExp(id(6380).replace(/\./g, '\\.')));
      }
    });
    test('the primary is on a new, shorter history than a disconnected replica', () => {
      const g = replication();
      node(g, 6379).replId = 'fresh';
      node(g, 6379).offset = 200;
      node(g, 6381).linkUp = false;
      expectStop(planRollout(g, WANT), 'empty-primary');
    });
    test('an unreachable replica is not evidence', () => {
      const g = replication();
      node(g, 6379).keys = 0;
      for (const p of [6380, 6381]) replace(g, p, downNode(p));
      expectWait(planRollout(g, WANT), 'node-down', 6380);
    });
    test('everything empty is a new group, not an empty primary', () => {
      const g = replication();
      for (const n of g.nodes) n.keys = 0;
      expectAct(planRollout(g, WANT), 'restart-replica 6380');
    });
    test('cluster: an empty shard primary with a full replica, in any shard', () => {
      const g = cluster([
        [7000, [7003]],
        [7001, [7004]],
      ]);
      node(g, 7001).keys = 0;
      expectStop(planRollout(g, WANT), 'empty-primary');
    });
    test('emptyPrimaryReason directly', () => {
      const p = primaryNode(6379, { keys: 0 });
      assert.equal(emptyPrimaryReason(p, [replicaNode(6380, 6379, { keys: 0 })]), undefined);
      assert.match(emptyPrimaryReason(p, [replicaNode(6380, 6379)]) ?? '', /holds no keys/);
    });
  });

  describe('replica-sync', () => {
    const cases: [string, (n: DataNode) => void][] = [
      ['link down', (n) => (n.linkUp = false)],
      ['full sync in progress', (n) => (n.syncing = true)],
      ['another history', (n) => (n.replId = 'other')],
      ['behind its primary', (n) => (n.offset = 4999)],
      ['follows another primary', (n) => (n.primary = at(6390))],
      ['follows nothing', (n) => (n.primary = undefined)],
    ];
    for (const [what, change] of cases) {
      test(`a replica ${what} holds back a step on another node`, () => {
        const g = replication();
        change(node(g, 6381));
        const d = planRollout(g, WANT);
        expectWait(d, 'replica-sync', 6381);
        assert.equal(short(d.plan[0]!), 'restart-replica 6380', 'the plan itself is unchanged');
      });
    }
    test('within maxLagBytes counts as in sync', () => {
      const g = replication();
      node(g, 6381).offset = 4000;
      expectWait(planRollout(g, { ...WANT, maxLagBytes: 999 }), 'replica-sync', 6381);
      expectAct(planRollout(g, { ...WANT, maxLagBytes: 1000 }), 'restart-replica 6380');
    });
    test('cluster: a replica on another history than its primary', () => {
      const g = cluster([[7000, [7001]]]);
      node(g, 7001).replId = 'other';
      expectWait(planRollout(g, WANT), 'replica-sync', 7001);
    });
    test('unsyncedReason directly: a primary is never unsynced by replication', () => {
      const p = primaryNode(6379);
      assert.equal(unsyncedReason(p, undefined, 0), undefined);
      assert.equal(unsyncedReason(replicaNode(6380, 6379), p, 0), undefined);
      assert.equal(unsyncedReason(replicaNode(6380, 6379, { loading: true }), p, 0)?.gate, 'node-down');
    });
  });

  describe('node-down', () => {
    test('a replica that does not answer', () => {
      const g = replication();
      replace(g, 6381, downNode(6381));
      expectWait(planRollout(g, WANT), 'node-down', 6381);
    });
    test('a replica loading its data', () => {
      const g = replication();
      node(g, 6380).loading = true;
      expectWait(planRollout(g, WANT), 'node-down', 6380);
    });
    test('the primary does not answer', () => {
      const g = replication();
      replace(g, 6379, downNode(6379));
      expectWait(planRollout(g, WANT), 'node-down', 6379);
    });
    test('a monitor sees the primary down', () => {
      const g = replication();
      mon(g, 26380).primaryDown = true;
      expectWait(planRollout(g, WANT), 'node-down', 26380);
    });
    test('at most one node down: the next stale replica waits for the restarted one', () => {
      const g = replication();
      const restarted = node(g, 6380);
      restarted.running.version = NEW;
      restarted.loading = true;
      expectWait(planRollout(g, WANT), 'node-down', 6380);
      restarted.loading = false;
      restarted.linkUp = false;
      expectWait(planRollout(g, WANT), 'replica-sync', 6380);
      restarted.linkUp = true;
      expectAct(planRollout(g, WANT), 'restart-replica 6381');
    });
    test('no monitor restart while a data node is down', () => {
      const g = replication({ data: NEW, mon: 'stale' });
      node(g, 6381).loading = true;
      expectWait(planRollout(g, WANT), 'node-down', 6381);
    });
    test('cluster: a node down anywhere holds every shard back', () => {
      const g = cluster([
        [7000, [7003]],
        [7001, [7004]],
      ]);
      replace(g, 7004, { ...downNode(7004), clusterId: 'n7004', clusterPrimaryId: 'n7001' });
      expectWait(planRollout(g, WANT), 'node-down', 7004);
    });
  });

  describe('failover-in-progress', () => {
    test('a monitor reports a failover of the group in progress', () => {
      const g = replication();
      mon(g, 26381).failoverInProgress = true;
      expectWait(planRollout(g, WANT), 'failover-in-progress', 26381);
    });
  });

  describe('monitors-disagree', () => {
    test('a monitor announces another primary', () => {
      const g = replication();
      mon(g, 26380).primary = at(6380);
      expectWait(planRollout(g, WANT), 'monitors-disagree', 26380);
    });
    test('a monitor announces no primary', () => {
      const g = replication();
      mon(g, 26381).primary = undefined;
      expectWait(planRollout(g, WANT), 'monitors-disagree', 26381);
    });
    test('the announced primary reports itself a replica', () => {
      const g = replication();
      for (const m of g.monitors) m.primary = at(6380);
      expectWait(planRollout(g, WANT), 'monitors-disagree', 6380);
    });
    test('before a handover: a replica the monitors have no link to (it would not be repointed)', () => {
      const g = replication({ data: NEW });
      node(g, 6379).running = runs(OLD);
      node(g, 6381).monitorLinkDown = true;
      expectWait(planRollout(g, WANT), 'monitors-disagree', 6381);
      node(g, 6381).monitorLinkDown = false;
      expectAct(planRollout(g, WANT), `switchover 6379>6380`);
    });
    test('a replica restart does not wait for the monitors to relink another replica', () => {
      const g = replication();
      node(g, 6381).monitorLinkDown = true;
      expectAct(planRollout(g, WANT), 'restart-replica 6380');
    });
  });

  describe('monitor-quorum', () => {
    test('a monitor does not answer: wait', () => {
      const g = replication();
      mon(g, 26380).reachable = false;
      expectWait(planRollout(g, WANT), 'monitor-quorum', 26380);
    });
    test('a monitor does not know every other monitor yet: wait', () => {
      const g = replication();
      mon(g, 26381).peers = 1;
      expectWait(planRollout(g, WANT), 'monitor-quorum', 26381);
    });
    test('no monitor answers: stop', () => {
      const g = replication();
      for (const m of g.monitors) m.reachable = false;
      expectStop(planRollout(g, WANT), 'monitor-quorum');
    });
    const quorumCases: [number, number | undefined, boolean][] = [
      [1, 1, false],
      [2, 2, false],
      [2, 1, false], // majority of 2 is 2
      [2, undefined, false],
      [3, 2, true],
      [3, 3, false],
      [4, 2, true], // 3 left >= majority 3
      [5, 3, true],
      [5, 5, false],
    ];
    for (const [count, quorum, ok] of quorumCases) {
      test(`${count} monitors, quorum ${quorum ?? 'unknown'}: ${ok ? 'restarted one at a time' : 'stop'}`, () => {
        const g = replication({ data: NEW, mon: 'stale', monitors: count, quorum: 1 });
        g.quorum = quorum;
        const d = planRollout(g, WANT);
        if (ok) expectAct(d, 'restart-monitor 26379');
        else assert.match(expectStop(d, 'monitor-quorum'), /fewer than the/);
      });
    }
    test('the quorum stop comes after the data nodes are done', () => {
      const g = replication({ mon: 'stale', monitors: 2, quorum: 2 });
      g.nodes = g.nodes.slice(0, 2);
      assert.deepEqual(replay(g), [
        'restart-replica 6380',
        'switchover 6379>6380',
        'restart-replica 6379',
        'stop monitor-quorum',
      ]);
    });
  });

  describe('no-target', () => {
    test('every replica has priority 0: stop before touching anything', () => {
      const g = replication();
      for (const p of [6380, 6381]) node(g, p).priority = 0;
      assert.match(expectStop(planRollout(g, WANT), 'no-target'), /replica-priority 0/);
    });
    test('a replica with priority 0 is restarted like any other when another can take over', () => {
      const g = replication();
      node(g, 6380).priority = 0;
      assert.deepEqual(replay(g), [
        'restart-replica 6380',
        'restart-replica 6381',
        'switchover 6379>6381',
        'restart-replica 6379',
        'done',
      ]);
    });
    test('the only current, in-sync replica is empty while the primary holds keys: wait', () => {
      const g = replication({ replicas: [6380] });
      node(g, 6380).running.version = NEW;
      node(g, 6380).keys = 0;
      expectWait(planRollout(g, WANT), 'no-target', 6379);
    });
  });

  describe('cluster-converging', () => {
    test('the nodes do not agree on the roles', () => {
      const g = cluster([[7000, [7001]]]);
      g.clusterAgreed = false;
      expectWait(planRollout(g, WANT), 'cluster-converging');
    });
    test('a node reports cluster_state other than ok', () => {
      const g = cluster([[7000, [7001]]]);
      node(g, 7000).clusterOk = false;
      expectWait(planRollout(g, WANT), 'cluster-converging');
    });
    test('a replica follows no known primary', () => {
      const g = cluster([[7000, [7001]]]);
      node(g, 7001).clusterPrimaryId = 'gone';
      expectWait(planRollout(g, WANT), 'cluster-converging', 7001);
    });
  });

  describe('unknown-primary', () => {
    test('the monitors announce a node that is not in the group', () => {
      const g = replication();
      for (const m of g.monitors) m.primary = at(6999);
      expectWait(planRollout(g, WANT), 'unknown-primary');
    });
    test('two nodes report themselves primary', () => {
      const g = replication();
      node(g, 6381).role = 'primary';
      expectWait(planRollout(g, WANT), 'unknown-primary', 6381);
    });
  });

  describe('loading primary', () => {
    // INFO answers while a server loads its data (loading:1, role, the keys loaded so far).
    test('replication: a primary loading its data is a node-down wait, not an empty primary', () => {
      const g = replication();
      node(g, 6379).loading = true;
      node(g, 6379).keys = 0;
      expectWait(planRollout(g, WANT), 'node-down', 6379);
    });
    test('replication: a primary loading with no role yet is node-down, not monitors-disagree', () => {
      const g = replication();
      replace(g, 6379, { ...downNode(6379), reachable: true, loading: true });
      expectWait(planRollout(g, WANT), 'node-down', 6379);
    });
    test('cluster: a shard primary loading its data is a node-down wait, not an empty primary', () => {
      const g = cluster([[7000, [7001]]]);
      node(g, 7000).loading = true;
      node(g, 7000).keys = 0;
      expectWait(planRollout(g, WANT), 'node-down', 7000);
    });
  });

  describe('monitors and the data-node spec', () => {
    test('a monitor is not judged by the version, executable or arguments meant for Redis', () => {
      // vigil rollout --redis-version 7.2.5 --restart-monitor ...: the monitors report
      // vigil_version, never 7.2.5; restarting them would not make them current.
      const g = replication({ data: NEW });
      const all: PlanOptions = {
        desired: { version: NEW, executable: '/opt/redis/bin/redis-server', args: '--x' },
      };
      for (const n of g.nodes)
        n.running = { ...n.running, executable: '/opt/redis/bin/redis-server', args: '--x' };
      assert.deepEqual(planRollout(g, all).next, { kind: 'done' });
    });
    test('a monitor is rolled by the restart token alone', () => {
      const g = replication({ data: NEW, mon: 'stale' });
      const d = planRollout(g, WANT);
      const s = expectAct(d, 'restart-monitor 26379');
      assert.equal(s.why.length, 1);
      assert.match(s.why[0]!, /before the restart token/);
      assert.deepEqual(planRollout(g, { desired: { version: NEW } }).next, { kind: 'done' });
    });
  });
});

describe('handover target', () => {
  const p = primaryNode(6379, { running: runs(NEW) });
  const none = new Set<string>();

  test('highest offset first, whatever the port', () => {
    const g = replication({ data: NEW });
    node(g, 6379).running.version = OLD;
    node(g, 6380).offset = 4950;
    assert.deepEqual(replay(g, { ...WANT, maxLagBytes: 100 }), [
      'switchover 6379>6381',
      'restart-replica 6379',
      'done',
    ]);
  });

  test('equal offsets: the lowest port', () => {
    const rs = [replicaNode(6382, 6379), replicaNode(6380, 6379), replicaNode(6381, 6379)];
    assert.equal(handoverTarget(p, rs, none, 0)?.id, id(6380));
  });

  test('never a stale replica, one with priority 0, an unsynced one', () => {
    const rs = [
      replicaNode(6380, 6379, { offset: 6000 }),
      replicaNode(6381, 6379, { priority: 0 }),
      replicaNode(6382, 6379, { linkUp: false }),
      replicaNode(6383, 6379, { offset: 4000 }),
      replicaNode(6384, 6379),
    ];
    assert.equal(handoverTarget(p, rs, new Set([id(6380)]), 0)?.id, id(6384));
    assert.equal(handoverTarget(p, rs, new Set([id(6380), id(6384)]), 0), undefined);
    assert.equal(handoverTarget(p, rs, new Set([id(6380), id(6384)]), 1000)?.id, id(6383));
  });

  test('never an empty replica while the primary holds keys; an empty primary may hand over to one', () => {
    const empty = replicaNode(6380, 6379, { keys: 0, offset: 5000 });
    const full = replicaNode(6381, 6379, { offset: 4990 });
    assert.equal(handoverTarget(p, [empty, full], none, 100)?.id, id(6381));
    assert.equal(handoverTarget(p, [empty], none, 100), undefined);
    assert.equal(handoverTarget({ ...p, keys: 0 }, [empty], none, 100)?.id, id(6380));
  });

  test('through the planner: a replica with priority 0 and the highest offset is passed over', () => {
    const g = replication({ data: NEW });
    node(g, 6379).running.version = OLD;
    node(g, 6380).priority = 0;
    node(g, 6380).offset = 5000;
    node(g, 6381).offset = 4990;
    expectAct(planRollout(g, { ...WANT, maxLagBytes: 10 }), 'switchover 6379>6381');
  });

  test('the printed plan names the best replica by what is seen now, before the replicas restart', () => {
    const g = replication();
    node(g, 6381).offset = 5000;
    node(g, 6380).offset = 4900;
    const d = planRollout(g, { ...WANT, maxLagBytes: 100 });
    assert.equal(short(d.plan[2]!), 'switchover 6379>6381');
  });
});
