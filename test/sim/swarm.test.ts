/**
 * The swarm simulation on a fixed set of seeds: each seed derives its own group, timeouts,
 * network and fault schedule (see swarm.ts); every seed must keep the safety invariants through
 * its faults and converge once they heal. `npm run soak` runs as many seeds as asked.
 *
 * Any failure fails the suite, with the seed and the command that replays it.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { currentMasterAddr } from '../../src/core/instance.js';
import { Checker, InvariantViolation } from './invariants.js';
import { deriveConfig, describeConfig, runSeed } from './swarm.js';
import { World } from './world.js';

const FIRST_SEED = 1;
const SEEDS = 300;

/** Core bugs this simulation found, fixed since; their seeds and a scripted case stay as regression tests. */
const FIXED_CORE_BUGS: Record<string, string> = {
  'config-adopted-without-switch':
    'a monitor still in reconf_slaves of its own older failover got a hello with a newer config epoch naming ' +
    'its pre-failover primary and adopted the epoch without switching',
  'vote-epoch-drift':
    'a monitor whose failover started in epoch E adopted a newer epoch E2, collected votes in E2 and acted as ' +
    'the leader of E, which another monitor had already won',
  'stale-primary-history':
    'the primary history the safe policy compares candidates with outlived a change of primary, so every ' +
    'candidate was refused forever',
};

function check(seed: number): void {
  const r = runSeed(seed);
  if (r.ok) return;
  assert.fail(
    `seed ${seed} ${r.kind} [${r.invariant}] ${r.detail ?? ''}\n  ${describeConfig(r.config)}\n` +
      `  replay: node dist/bench/soak.js --seed ${seed} --verbose\n  ${r.state.join('\n  ')}`,
  );
}

describe(`swarm: seeds ${FIRST_SEED}..${FIRST_SEED + SEEDS - 1}`, () => {
  for (let seed = FIRST_SEED; seed < FIRST_SEED + SEEDS; seed++) {
    test(`seed ${seed}`, () => check(seed));
  }
});

describe('swarm: the harness itself', () => {
  test('a seed is a pure function: same seed, same configuration, same run', () => {
    assert.deepEqual(deriveConfig(42), deriveConfig(42));
    const a = runSeed(42, { trace: true });
    const b = runSeed(42, { trace: true });
    assert.deepEqual(a.trace, b.trace);
    assert.equal(a.steps, b.steps);
  });

  test('seeds vary what they derive: monitors, quorum, replicas, faults', () => {
    const cfgs = Array.from({ length: 200 }, (_, i) => deriveConfig(i + 1));
    assert.deepEqual(new Set(cfgs.map((c) => c.monitors)), new Set([1, 3, 5]));
    assert.ok(
      cfgs.some((c) => c.quorum === c.monitors && c.monitors > 1),
      'quorum N',
    );
    assert.ok(
      cfgs.some((c) => c.quorum < Math.floor(c.monitors / 2) + 1),
      'quorum below a majority',
    );
    assert.deepEqual(new Set(cfgs.map((c) => c.replicas)), new Set([1, 2, 3]));
    assert.ok(
      cfgs.some((c) => c.persistent.includes(false)),
      'persistence off',
    );
    assert.ok(
      cfgs.some((c) => c.dropRate > 0.05),
      'loss',
    );
    const kinds = new Set(cfgs.flatMap((c) => c.faults.map((f) => f.kind)));
    assert.equal(kinds.size, 15, `fault kinds seen: ${[...kinds].join(' ')}`);
  });

  test('a restarted monitor comes back with what it persisted: id, epochs, peers, replicas', () => {
    const w = new World(7);
    w.addNode(6000);
    w.addNode(6001, 6000);
    for (let i = 0; i < 3; i++) w.addMonitor(26000 + i, 6000, 2);
    w.run(5000);
    w.killNode(w.node(6000));
    const settled = () =>
      w.monitors.every((c) => {
        const mm = c.masters.get('mymaster')!;
        return mm.configEpoch === 1 && mm.failoverState === 'none';
      });
    assert.ok(w.runUntil(settled, 30_000));
    const before = w.monitors[1]!;
    const m = before.masters.get('mymaster')!;
    w.crashMonitor(1);
    w.run(3000);
    const after = w.restartMonitor(1);
    const m2 = after.masters.get('mymaster')!;
    assert.notEqual(after, before);
    assert.equal(after.myid, before.myid);
    assert.equal(after.currentEpoch, before.currentEpoch);
    assert.equal(m2.configEpoch, m.configEpoch);
    assert.equal(m2.leaderEpoch, m.leaderEpoch);
    assert.deepEqual(currentMasterAddr(m2), currentMasterAddr(m));
    assert.deepEqual([...m2.sentinels.keys()].sort(), [...m.sentinels.keys()].sort());
    assert.deepEqual([...m2.replicas.keys()].sort(), [...m.replicas.keys()].sort());
  });

  test('a frozen node keeps its connections: what it was sent is answered when it thaws', () => {
    const w = new World(8);
    w.addNode(6000);
    w.addNode(6001, 6000);
    w.addMonitor(26000, 6000, 1, 5000);
    w.run(3000);
    const answered = () => w.monitors[0]!.masters.get('mymaster')!.link.lastPongTime;
    w.freezeNode(w.node(6000));
    const frozenAt = w.now;
    w.run(2000);
    assert.ok(answered() <= frozenAt + 10, 'a frozen node answers nothing');
    w.thawNode(w.node(6000));
    w.run(50);
    assert.ok(answered() >= frozenAt + 2000, 'the queued PINGs are answered at once on thaw');
    assert.equal(w.eventsOf('+sdown').length, 0);
  });

  test('a restarted node has a new run id; without persistence it starts a new history', () => {
    const w = new World(9);
    const p = w.addNode(6000);
    const r = w.addNode(6001, 6000);
    r.persistent = false;
    w.run(100);
    const { runId, replId } = r;
    w.killNode(r);
    assert.equal(r.alive, false);
    w.restartNode(r);
    assert.notEqual(r.runId, runId);
    assert.notEqual(r.replId, replId);
    assert.equal(r.offset, 0);
    w.run(2500);
    assert.equal(r.replId, p.replId, 'it resyncs from its primary (full sync: reconnect, then transfer)');
    assert.equal(r.replId2, '');
  });
});

describe('swarm: regressions for core bugs it found', () => {
  const cases: { seed: number; id: string }[] = [
    // Monitor 2 leads epoch 1 (6000 -> 6002) and stays in reconf_slaves; monitor 0's epoch 2
    // promotes 6000 back; monitor 2 takes config epoch 2 from the hello without switching and
    // publishes 6002 under it while the others publish 6000.
    { seed: 5066, id: 'config-adopted-without-switch' },
    // Monitor 0 wins epoch 1; monitor 2, cut off then, starts its own failover as epoch 1, adopts
    // epoch 2 from monitor 0's vote request, gets monitor 1's vote in epoch 2, adds its own vote
    // of epoch 1, and is elected leader of failover epoch 1 too.
    { seed: 4545, id: 'vote-epoch-drift' },
    // Two leaders (epochs 1 and 2) promote 6002 and 6001; the epoch-1 leader's SLAVEOF 6002 then
    // demotes 6001, which every monitor agrees on (config epoch 2); every later failover refuses
    // every replica against the primary history replid-6000, two failovers old: no convergence.
    { seed: 2388, id: 'stale-primary-history' },
  ];
  for (const { seed, id } of cases) {
    test(`seed ${seed}: ${id}: ${FIXED_CORE_BUGS[id] ?? ''}`, () => {
      const r = runSeed(seed);
      assert.ok(r.ok, `seed ${seed} ${r.kind} [${r.invariant}] ${r.detail ?? ''}`);
    });
  }
});

test('scripted: a leader still in reconf_slaves takes a newer config epoch naming its old primary without switching', () => {
  // 6002 has priority 0, so each failover has exactly one candidate.
  const w = new World(11);
  w.addNode(6000);
  w.addNode(6001, 6000);
  w.addNode(6002, 6000).priority = 0;
  for (let i = 0; i < 3; i++) w.addMonitor(26000 + i, 6000, 2);
  const checker = new Checker(w, 3);
  w.afterStep = () => checker.afterStep();
  w.run(5000);
  // 1. The primary dies; freeze the leader the moment it has promoted 6001, so it stays in
  //    reconf_slaves (its hello still tells the others, who switch to 6001, config epoch 1).
  let leader = -1;
  w.onEvent = (e) => {
    if (e.type === '+promoted-slave' && leader < 0) {
      leader = e.monitor;
      w.freezeMonitor(e.monitor);
    }
  };
  w.killNode(w.node(6000));
  const others = () =>
    [0, 1, 2].filter((i) => i !== leader).map((i) => w.monitors[i]!.masters.get('mymaster')!);
  assert.ok(w.runUntil(() => leader >= 0 && others().every((m) => m.configEpoch >= 1), 90_000));
  // 2. 6000 comes back, is made a replica of 6001 and syncs; then 6001 dies and the two
  //    others promote 6000 in epoch 2: the leader's pre-failover primary.
  w.restartNode(w.node(6000));
  assert.ok(w.runUntil(() => w.node(6000).role === 'slave' && w.node(6000).repl.state === 'up', 30_000));
  w.run(12_000); // an INFO period: the monitors see it synced
  w.killNode(w.node(6001));
  assert.ok(
    w.runUntil(() => others().every((m) => m.addr.port === 6000 && m.failoverState === 'none'), 90_000),
  );
  // 3. The leader wakes (in TILT) and hears config epoch 2 for 6000, its own m.addr.
  w.thawMonitor(leader);
  try {
    w.run(5000);
  } catch (e) {
    if (e instanceof InvariantViolation) assert.fail(e.message);
    throw e;
  }
});
