/**
 * Maintenance mode on real servers, in a mixed quorum (two Vigil monitors and redis-sentinel):
 * a pause set on one Vigil reaches the other, survives a restart of a monitor, lets an explicit
 * switchover through, stops every automatic failover (the Vigils refuse their votes, so
 * redis-sentinel cannot fail over alone either), and ends on resume or by itself.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import {
  nowMs,
  pairsToRecord,
  registerCleanupHooks,
  waitFor,
  type SentinelProcess,
} from '../harness/index.js';
import { MonitorCluster } from '../harness/monitors.js';

registerCleanupHooks();

const NAME = 'mymaster';

async function paused(m: SentinelProcess): Promise<Record<string, string>> {
  return pairsToRecord(await m.command('SENTINEL', 'PAUSED', NAME));
}

test(
  'a pause stops automatic failovers in a mixed quorum, lets a planned switchover through, and ends',
  { timeout: 120_000 },
  async () => {
    const c = await MonitorCluster.start({
      kinds: ['vigil', 'vigil', 'redis'],
      quorum: 2,
      downAfterMs: 1000,
      failoverTimeoutMs: 5000,
    });
    await c.withDump(async () => {
      const [v1, v2, redis] = c.watched;
      assert.equal(
        await v1!.monitor.command('SENTINEL', 'PAUSE', NAME, '600000', 'network', 'upgrade'),
        'OK',
      );
      // The other Vigil learns it through the data nodes.
      await waitFor(async () => (await paused(v2!.monitor))['paused'] === 'yes', {
        what: `${v2!.monitor.label} to learn the pause`,
        timeoutMs: 10_000,
      });
      assert.equal((await paused(v2!.monitor))['reason'], 'network upgrade');
      assert.equal(c.events(v1!, '+pause', 0).length, 1);

      // Persisted: a Vigil restarted during the pause is still paused.
      await v2!.monitor.restart();
      await c.subscribe(v2!);
      assert.equal((await paused(v2!.monitor))['paused'], 'yes');

      // An explicit switchover still runs.
      const first = c.group.primary;
      const t0 = nowMs();
      assert.equal(await v1!.monitor.command('SENTINEL', 'FAILOVER', NAME), 'OK');
      const { primary: second } = await c.waitForAgreement({ notPort: first.port, timeoutMs: 30_000 });

      // The new primary dies: nobody fails it over, redis-sentinel included (no Vigil votes).
      const t1 = nowMs();
      await second.kill9();
      await waitFor(() => c.all('+odown', t1).length >= 2, { what: 'ODOWN', timeoutMs: 10_000 });
      await delay(4000);
      assert.deepEqual(
        c.all('+switch-master', t1).map((x) => x.label),
        [],
        'no failover while paused',
      );
      assert.ok(
        v1!.monitor.logTail(200).includes('is paused for maintenance') ||
          v2!.monitor.logTail(200).includes('is paused for maintenance'),
        'a Vigil says what it holds back',
      );
      assert.ok(t1 > t0);

      // Resumed: the failover happens, whoever leads it.
      assert.equal(await v2!.monitor.command('SENTINEL', 'RESUME', NAME), 'OK');
      await c.waitForAgreement({ notPort: second.port, timeoutMs: 40_000 });
      await waitFor(async () => (await paused(v1!.monitor))['paused'] === 'no', {
        what: `${v1!.monitor.label} to learn the resume`,
        timeoutMs: 10_000,
      });
      assert.ok(redis);

      // A pause ends by itself.
      assert.equal(await v1!.monitor.command('SENTINEL', 'PAUSE', NAME, '1500'), 'OK');
      await c.waitForEveryone('-pause', nowMs() - 100, {
        monitors: [v1!],
        predicate: (e) => e.payload.endsWith('expired'),
        timeoutMs: 10_000,
      });
    });
  },
);
