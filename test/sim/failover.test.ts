import assert from 'node:assert/strict';
import { test } from 'node:test';
import { currentMasterAddr } from '../../src/core/instance.js';
import { World } from './world.js';

function group(seed: number, monitors: number, quorum: number): World {
  const w = new World(seed);
  w.addNode(6000);
  w.addNode(6001, 6000);
  w.addNode(6002, 6000);
  for (let i = 0; i < monitors; i++) w.addMonitor(26000 + i, 6000, quorum);
  return w;
}

test('one monitor discovers both replicas and reports the primary', () => {
  const w = group(1, 1, 1);
  w.run(2000);
  const m = w.monitors[0]!.masters.get('mymaster')!;
  assert.equal(m.replicas.size, 2);
  assert.deepEqual(
    w
      .eventsOf('+slave')
      .map((e) => e.message.split(' ')[1])
      .sort(),
    ['127.0.0.1:6001', '127.0.0.1:6002'],
  );
  assert.equal(m.sDown, false);
});

test('kill of the primary: SDOWN after down-after, one failover, the best replica promoted', () => {
  const w = group(2, 1, 1);
  w.node(6002).priority = 50; // the preferred replica
  w.run(3000);
  const killedAt = w.now;
  w.node(6000).alive = false;
  assert.ok(
    w.runUntil(() => w.eventsOf('+switch-master').length > 0, 20_000),
    'no +switch-master',
  );
  const sdown = w.eventsOf('+sdown').find((e) => e.message.startsWith('master'))!;
  assert.ok(sdown.t - killedAt >= 1000 && sdown.t - killedAt < 1300, `sdown after ${sdown.t - killedAt} ms`);
  const sw = w.eventsOf('+switch-master');
  assert.equal(sw.length, 1);
  assert.equal(sw[0]!.message, 'mymaster 127.0.0.1 6000 127.0.0.1 6002');
  assert.equal(w.node(6002).role, 'master');
  assert.equal(w.node(6001).role, 'slave');
  assert.equal(w.node(6001).master?.port, 6002);
  const m = w.monitors[0]!.masters.get('mymaster')!;
  assert.equal(m.configEpoch, 1);
  assert.deepEqual(currentMasterAddr(m), { host: '127.0.0.1', port: 6002 });
  // The old primary is remembered as a replica so it can be converted when it returns.
  assert.ok(m.replicas.has('127.0.0.1:6000'));
});

test('the old primary returning is converted into a replica of the new one', () => {
  const w = group(3, 1, 1);
  w.run(3000);
  w.node(6000).alive = false;
  assert.ok(w.runUntil(() => w.eventsOf('+switch-master').length > 0, 20_000));
  const newPrimary = w.monitors[0]!.masters.get('mymaster')!.addr.port;
  w.node(6000).alive = true;
  assert.ok(
    w.runUntil(() => w.eventsOf('+convert-to-slave').length > 0, 30_000),
    'no +convert-to-slave',
  );
  assert.equal(w.node(6000).role, 'slave');
  assert.equal(w.node(6000).master?.port, newPrimary);
});

test('a replica with priority 0 is never promoted; with no other candidate the failover aborts', () => {
  const w = new World(4);
  w.addNode(6000);
  const r = w.addNode(6001, 6000);
  r.priority = 0;
  w.addMonitor(26000, 6000, 1);
  w.run(3000);
  w.node(6000).alive = false;
  assert.ok(w.runUntil(() => w.eventsOf('-failover-abort-no-good-slave').length > 0, 20_000));
  assert.equal(w.eventsOf('+switch-master').length, 0);
  assert.equal(r.role, 'slave');
});

test('three monitors with quorum 2: exactly one leader, every monitor converges on the new primary', () => {
  for (const seed of [10, 11, 12, 13, 14]) {
    const w = group(seed, 3, 2);
    w.run(5000);
    for (const core of w.monitors)
      assert.equal(core.masters.get('mymaster')!.sentinels.size, 2, `seed ${seed}`);
    w.node(6000).alive = false;
    const converged = () => w.monitors.every((c) => c.masters.get('mymaster')!.addr.port !== 6000);
    assert.ok(w.runUntil(converged, 60_000), `seed ${seed}: monitors did not converge`);
    const ports = new Set(w.monitors.map((c) => c.masters.get('mymaster')!.addr.port));
    assert.equal(ports.size, 1, `seed ${seed}`);
    const elected = w.eventsOf('+elected-leader');
    const epochs = new Set(w.monitors.map((c) => c.masters.get('mymaster')!.configEpoch));
    assert.equal(epochs.size, 1, `seed ${seed}: config epochs differ`);
    // At most one leader per epoch.
    const leaders = new Map<number, Set<number>>();
    for (const e of elected) leaders.set(e.epoch, (leaders.get(e.epoch) ?? new Set()).add(e.monitor));
    for (const [epoch, who] of leaders)
      assert.equal(who.size, 1, `seed ${seed}: epoch ${epoch} had ${who.size} leaders`);
    assert.ok(elected.length >= 1, `seed ${seed}`);
    const promoted = [...w.nodes.values()].filter((n) => n.role === 'master' && n.alive);
    assert.equal(promoted.length, 1, `seed ${seed}: ${promoted.length} primaries`);
  }
});

test('fewer monitors than the quorum see the primary down: no ODOWN, no failover', () => {
  const w = group(20, 3, 3);
  w.run(5000);
  // Only monitor 0 loses the primary.
  w.partition(w.monitorAddrs[0]!, { host: '127.0.0.1', port: 6000 });
  w.run(10_000);
  assert.ok(w.events.some((e) => e.type === '+sdown' && e.monitor === 0 && e.message.startsWith('master')));
  assert.equal(w.eventsOf('+odown').length, 0);
  assert.equal(w.eventsOf('+switch-master').length, 0);
});

test('a primary that answers again before any promotion: the failover is abandoned, no second primary', () => {
  const w = group(30, 3, 2);
  w.run(5000);
  w.node(6000).alive = false;
  for (let n = 0; n < 10_000 && w.eventsOf('+try-failover').length === 0; n++) w.run(1);
  assert.equal(w.eventsOf('+try-failover').length, 1);
  // The primary is back before anyone could be elected: the monitors cannot reach each other.
  for (let i = 0; i < w.monitors.length; i++) {
    for (let j = i + 1; j < w.monitors.length; j++) w.partition(w.monitorAddrs[i]!, w.monitorAddrs[j]!);
  }
  w.node(6000).alive = true;
  w.run(3000);
  w.heal();
  w.run(3000);
  assert.equal(w.eventsOf('+promoted-slave').length, 0);
  assert.ok(
    w.eventsOf('-failover-abort-master-recovered').length +
      w.eventsOf('-failover-abort-not-elected').length >=
      1,
  );
  const masters = [...w.nodes.values()].filter((n) => n.role === 'master');
  assert.deepEqual(
    masters.map((n) => n.addr.port),
    [6000],
  );
});
