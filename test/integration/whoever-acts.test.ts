/**
 * Vigil's promise when someone else acts, on real servers:
 * - a vote is given only for a failover of a primary the monitor sees down itself (redis-sentinel,
 *   side by side, votes regardless);
 * - a primary restarted with its data (AOF) costs no failover, and nothing is lost;
 * - the plain SENTINEL FAILOVER that existing scripts send hands over the coordinated way while
 *   the primary answers (nothing lost under a writer), and still fails over a primary that does
 *   not answer;
 * - a replaced primary that comes back after a failover led by redis-sentinel is fenced by the
 *   Vigil monitors at once, not after Sentinel's eight seconds.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import {
  ContinuousWriter,
  nowMs,
  parseInstanceDetails,
  registerCleanupHooks,
  SentinelProcess,
  RedisGroup,
  waitFor,
} from '../harness/index.js';
import { missingAckedSince, MonitorCluster } from '../harness/monitors.js';
import { RolePoller } from '../harness/role-poller.js';

registerCleanupHooks();

const NAME = 'mymaster';

test('a vote means "I see it down too": Vigil refuses a vote for a healthy primary, redis-sentinel gives it', async () => {
  const group = await RedisGroup.start({ replicas: 1, persistence: 'none' });
  const spec = group.monitorSpec(NAME, { quorum: 2, downAfterMs: 5000 });
  const [vigil, redis] = await Promise.all([
    SentinelProcess.start({ kind: 'vigil', masters: [spec] }),
    SentinelProcess.start({ kind: 'redis', masters: [spec] }),
  ]);
  const rogue = 'c'.repeat(40);
  const ask = (s: SentinelProcess, epoch: number, ...extra: string[]) =>
    s.command(
      'SENTINEL',
      'IS-MASTER-DOWN-BY-ADDR',
      '127.0.0.1',
      String(group.primary.port),
      String(epoch),
      rogue,
      ...extra,
    );
  // Both see the primary up.
  assert.deepEqual(await ask(redis, 1), [0, rogue, 1], 'redis-sentinel votes whatever it sees');
  assert.deepEqual(await ask(vigil, 1), [0, '*', 0], 'Vigil gives no vote for a primary it sees up');
  await waitFor(() => vigil.logTail(20).includes(`Refused to vote for ${rogue} in epoch 1`), {
    what: 'the refusal in the log',
    timeoutMs: 5000,
  });
  // A planned switchover's request is marked; Vigil votes for it; redis-sentinel refuses the word.
  assert.deepEqual(await ask(vigil, 2, 'SWITCHOVER'), [0, rogue, 2]);
  await assert.rejects(ask(redis, 2, 'SWITCHOVER'), /wrong number of arguments/);
  // Once it sees the primary down, Vigil votes.
  await group.primary.pause();
  await waitFor(async () => (await vigil.master(NAME))['flags']?.includes('s_down') === true, {
    what: 'Vigil to see the primary down',
    timeoutMs: 10_000,
  });
  assert.deepEqual(await ask(vigil, 3), [1, rogue, 3]);
  await group.primary.resume();
});

test(
  'a primary restarted with its data (AOF) costs no failover and loses nothing',
  { timeout: 120_000 },
  async () => {
    const c = await MonitorCluster.start({
      kinds: ['vigil', 'vigil', 'vigil'],
      quorum: 2,
      downAfterMs: 5000,
      failoverTimeoutMs: 10_000,
      persistence: 'aof',
    });
    await c.withDump(async () => {
      const writer = new ContinuousWriter({
        client: () => c.client(),
        commandTimeoutMs: 1000,
        maxDurationMs: 60_000,
      });
      writer.start();
      await writer.waitForAcks(500, 15_000);
      const old = c.group.primary;
      const t0 = nowMs();
      // SHUTDOWN: the AOF is flushed, and the node comes back with every key but a new replication id.
      await old.restart();
      await writer.waitForAcks(writer.acknowledged + 500, 20_000);
      await delay(3000);
      await writer.stop();
      assert.deepEqual(c.all('+try-failover', t0), [], 'no failover was attempted');
      assert.deepEqual(c.all('+wiped-primary', t0), [], 'the guard did not fire');
      const { primary } = await c.waitForAgreement();
      assert.equal(primary, old, 'every monitor still names the restarted primary');
      assert.deepEqual(await missingAckedSince(writer, 0, primary), [], 'no acknowledged write lost');
    });
  },
);

test(
  'plain SENTINEL FAILOVER on Vigil: coordinated while the primary answers, forced when it does not',
  { timeout: 120_000 },
  async () => {
    const c = await MonitorCluster.start({
      kinds: ['vigil', 'vigil', 'vigil'],
      quorum: 2,
      downAfterMs: 5000,
      failoverTimeoutMs: 10_000,
    });
    await c.withDump(async () => {
      const writer = new ContinuousWriter({
        client: () => c.client(),
        commandTimeoutMs: 1000,
        maxDurationMs: 90_000,
      });
      writer.start();
      await writer.waitForAcks(500, 15_000);
      const first = c.group.primary;
      const t0 = nowMs();
      assert.equal(await c.monitors[0]!.command('SENTINEL', 'FAILOVER', NAME), 'OK');
      const { primary: second } = await c.waitForAgreement({ notPort: first.port, timeoutMs: 20_000 });
      assert.ok(c.all('+coordinated-handover', t0).length > 0, 'handed over the coordinated way');
      await writer.waitForAcks(writer.acknowledged + 500, 20_000);
      assert.deepEqual(await missingAckedSince(writer, 0, second), [], 'no acknowledged write lost');

      // A primary that does not answer: Sentinel's forced promotion.
      await second.pause();
      const t1 = nowMs();
      assert.equal(await c.monitors[1]!.command('SENTINEL', 'FAILOVER', NAME), 'OK');
      await c.waitForEveryone('+switch-master', t1, {
        predicate: (e) => e.payload.startsWith(`${NAME} 127.0.0.1 ${second.port} `),
        timeoutMs: 20_000,
      });
      assert.ok(c.all('+failover-forced', t1).length > 0, 'forced: the primary did not answer the pause');
      await second.resume();
      await c.waitForAgreement({ notPort: second.port, timeoutMs: 30_000 });
      await writer.stop();
    });
  },
);

test(
  'a primary replaced in a failover led by redis-sentinel is fenced by Vigil as soon as it answers',
  { timeout: 120_000 },
  async () => {
    const c = await MonitorCluster.start({
      kinds: ['vigil', 'vigil', 'redis'],
      quorum: 2,
      downAfterMs: 2000,
      failoverTimeoutMs: 10_000,
    });
    await c.withDump(async () => {
      const [v1, v2, redis] = c.watched as [
        (typeof c.watched)[0],
        (typeof c.watched)[0],
        (typeof c.watched)[0],
      ];
      // redis-sentinel leads: the Vigils never reach ODOWN (quorum 4) but vote once they see it down.
      assert.equal(await redis.monitor.command('SENTINEL', 'SET', NAME, 'quorum', '1'), 'OK');
      for (const w of [v1, v2]) {
        assert.equal(
          await w.monitor.command('SENTINEL', 'SET', NAME, 'quorum', '4', 'down-after-milliseconds', '2500'),
          'OK',
        );
      }
      const old = c.group.primary;
      const poller = new RolePoller(c.group.nodes, 10, true);
      await old.pause();
      const t0 = nowMs();
      await c.waitForEveryone('+switch-master', t0, {
        predicate: (e) => e.payload.startsWith(`${NAME} 127.0.0.1 ${old.port} `),
        timeoutMs: 30_000,
      });
      const leaders = c.all('+elected-leader', t0).map((x) => x.label);
      assert.deepEqual(leaders, [redis.monitor.label], 'redis-sentinel led the failover');
      poller.start();
      // It wakes up still a primary: the Vigils pause its writes at once, then demote it.
      const woke = nowMs();
      await old.resume();
      await waitFor(async () => (await old.role()).role === 'replica', {
        what: `${old.label} to be a replica`,
        timeoutMs: 15_000,
      });
      const demotedAfter = nowMs() - woke;
      await poller.stop();
      // The Vigil with the smallest id salvages and demotes it in redis-sentinel's place; the
      // other pauses its writes if it sees it first.
      const acted = ['+fence', '+salvage', '-salvage', '+convert-to-slave'].flatMap((ch) =>
        c
          .all(ch, woke)
          .filter(
            (x) => x.label.startsWith('vigil') && parseInstanceDetails(x.event.payload)?.port === old.port,
          ),
      );
      assert.ok(acted.length > 0, 'a Vigil fenced it');
      console.log(
        `# old primary demoted ${Math.round(demotedAfter)} ms after it woke (Sentinel alone: ~8-10 s); two nodes answered ROLE master for ${Math.round(poller.longest())} ms, two took writes for ${Math.round(poller.longestWritable())} ms`,
      );
      assert.ok(demotedAfter < 5000, `demoted after ${Math.round(demotedAfter)} ms`);
      assert.ok(
        poller.longestWritable() < 500,
        `two nodes took writes for ${Math.round(poller.longestWritable())} ms`,
      );
      await c.waitForAgreement({ notPort: old.port, timeoutMs: 20_000 });
    });
  },
);
