/**
 * Mixed quorums: Vigil monitors and Debian's redis-sentinel 7.0 watching the same group, finding
 * each other through hello messages, voting for each other and following each other's failovers.
 * In each mix (1 Vigil + 2 redis-sentinel, 2 Vigil + 1 redis-sentinel), one after the other:
 *  - a kill -9 of the primary with an election, won by Vigil in the first mix and by
 *    redis-sentinel in the second (the winner is made the first to see the primary down: quorum 1
 *    on it; the others see it down half a second later and vote then, a Vigil voting only for a
 *    failover of a primary it sees down itself), with a sentinel-aware client writing throughout;
 *  - a failover led by redis-sentinel (SENTINEL FAILOVER on it); the old primary stays a primary
 *    until a monitor turns it into a replica (Sentinel waits 8 s before doing so);
 *  - a failover led by Vigil (SENTINEL FAILOVER on it; by the other Vigil when one of them turned
 *    the old primary into a replica), which demotes the old primary at once;
 *  - right after it, another kill -9 won by the same monitor as the first: the only replica left
 *    is the node Vigil has just demoted;
 * and after each one, every monitor (Vigil and redis-sentinel) reports the same primary, the same
 * config epoch and the same replicas, exactly one node has role master and the others replicate
 * from it, and it was exactly one failover.
 * Then: a failover led by another monitor right after one led by Vigil, promoting the node that
 * Vigil has just demoted, must not be undone by that Vigil; nor may a Vigil that turned an old
 * primary into a replica (Sentinel's delayed conversion) undo its promotion by redis-sentinel
 * after a kill -9 a few seconds later.
 */
import assert from 'node:assert/strict';
import { test, type TestContext } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import {
  AbortWait,
  ContinuousWriter,
  infoFields,
  nowMs,
  parseInstanceDetails,
  registerCleanupHooks,
  RespError,
  waitFor,
  waitForValue,
  type RedisServer,
  type SentinelEvent,
  type SentinelKind,
} from '../harness/index.js';
import { missingAckedSince, MonitorCluster, type Watched } from '../harness/monitors.js';

registerCleanupHooks();

const NAME = 'mymaster';
/**
 * Not 1000: redis-sentinel reconnects to a new primary up to a second (its ping period) after the
 * switch, so with down-after 1000 it may take a healthy new primary for down, and with quorum 1
 * (see steerElection) fail it over at once. Observed with redis-sentinel 7.0.15 as the leader.
 */
const DOWN_AFTER_MS = 2000;
/**
 * down-after of the monitors that must not be first to see the primary down: they see it down
 * half a second after the leader, and only then vote for it (a Vigil votes only for a failover of
 * a primary it sees down itself).
 */
const SLOW_DOWN_AFTER_MS = DOWN_AFTER_MS + 500;
const FAILOVER_TIMEOUT_MS = 5000;

interface Mix {
  title: string;
  kinds: SentinelKind[];
  /** Kind of the monitor that wins the election after the kill -9. */
  killLeader: SentinelKind;
}

const MIXES: Mix[] = [
  { title: '1 Vigil + 2 redis-sentinel', kinds: ['vigil', 'redis', 'redis'], killLeader: 'vigil' },
  { title: '2 Vigil + 1 redis-sentinel', kinds: ['vigil', 'vigil', 'redis'], killLeader: 'redis' },
];

function kindName(kind: SentinelKind): string {
  return kind === 'vigil' ? 'Vigil' : 'redis-sentinel';
}

/** The master0 line of INFO sentinel (name, status, address, slaves, sentinels). */
async function infoSentinelLine(w: Watched): Promise<string> {
  const info = infoFields(String(await w.monitor.command('INFO', 'sentinel')));
  return info['master0'] ?? '';
}

/**
 * After a failover that started at `t0` away from `old`, led by `leader`: waits until every
 * monitor has switched and they all agree with the nodes, then checks that it was exactly one
 * failover (one +elected-leader and one +promoted-slave, both from `leader`; one +switch-master
 * per monitor; a config epoch above `previousEpoch`, the one the leader voted for itself in), and
 * that every monitor lists the same replicas, knows both peers and says the same in INFO.
 */
async function expectOneFailover(
  c: MonitorCluster,
  opts: { t0: number; old: RedisServer; leader: Watched; previousEpoch: number },
): Promise<{ primary: RedisServer; epoch: number }> {
  const { t0, old, leader } = opts;
  const switched = (e: SentinelEvent): boolean => e.payload.startsWith(`${NAME} 127.0.0.1 ${old.port} `);
  await waitFor(
    () => {
      // A failover the leader gave up will not end in a switch: say so at once.
      const aborted = leader.recorders.flatMap((r) => r.find(/^-failover-abort/, (e) => e.at >= t0));
      if (aborted.length > 0) {
        throw new AbortWait(
          `${leader.monitor.label} gave up its failover: ${aborted.map((e) => `${e.channel} ${e.payload}`).join('; ')}`,
        );
      }
      return c.live().every((w) => c.events(w, '+switch-master', t0).some(switched));
    },
    { what: `+switch-master away from ${old.addr} on every monitor`, timeoutMs: 30_000, intervalMs: 20 },
  );
  const now = await c.waitForAgreement({ notPort: old.port, timeoutMs: 30_000 });
  // Give a second, unwanted failover the time to show itself.
  await delay(1000);

  const elected = c.all('+elected-leader', t0);
  assert.deepEqual(
    elected.map((x) => x.label),
    [leader.monitor.label],
    `one +elected-leader, from ${leader.monitor.label}`,
  );
  const promoted = c.all('+promoted-slave', t0);
  assert.deepEqual(
    promoted.map((x) => x.label),
    [leader.monitor.label],
    'one +promoted-slave',
  );
  assert.equal(parseInstanceDetails(promoted[0]!.event.payload)?.port, now.primary.port);
  for (const w of c.live()) {
    assert.deepEqual(
      c.events(w, '+switch-master', t0).map((e) => e.payload),
      [`${NAME} 127.0.0.1 ${old.port} 127.0.0.1 ${now.primary.port}`],
      `${w.monitor.label}: one +switch-master`,
    );
  }
  const myid = String(await leader.monitor.command('SENTINEL', 'MYID'));
  const selfVote = c
    .events(leader, '+vote-for-leader', t0)
    .filter((e) => e.payload.startsWith(`${myid} `))
    .at(-1);
  assert.ok(selfVote, `${leader.monitor.label} voted for itself`);
  assert.equal(now.epoch, Number(selfVote.payload.split(' ')[1]), 'config epoch = the leader epoch');
  assert.ok(now.epoch > opts.previousEpoch, `epoch ${now.epoch} > previous ${opts.previousEpoch}`);

  // Every monitor remembers every other node as a replica of the new primary (the killed or
  // demoted old primary included), knows both peers, and sums it up identically in INFO.
  const expectedReplicas = c.group.nodes
    .filter((n) => n !== now.primary)
    .map((n) => n.port)
    .sort();
  for (const w of c.live()) {
    const m = w.monitor;
    const replicas = (await m.replicas(NAME)).map((r) => Number(r['port'])).sort();
    assert.deepEqual(replicas, expectedReplicas, `${m.label}: SENTINEL REPLICAS`);
    assert.equal((await m.master(NAME))['num-other-sentinels'], '2', `${m.label}: num-other-sentinels`);
  }
  const lines = await waitForValue(
    () => Promise.all(c.live().map(infoSentinelLine)),
    (ls) => ls.every((l) => l === ls[0]),
    { what: 'every monitor to say the same in INFO sentinel', timeoutMs: 10_000 },
  );
  assert.equal(
    lines[0],
    `name=${NAME},status=ok,address=127.0.0.1:${now.primary.port},slaves=${expectedReplicas.length},sentinels=3`,
  );
  return now;
}

/** SENTINEL FAILOVER on `leader` (retried while it has no replica fit for promotion yet). */
async function forcedFailover(
  c: MonitorCluster,
  leader: Watched,
  previousEpoch: number,
): Promise<{ primary: RedisServer; epoch: number }> {
  const { primary: old } = await c.waitForAgreement();
  const t0 = nowMs();
  await waitForValue(
    async () => {
      try {
        return await leader.monitor.command('SENTINEL', 'FAILOVER', NAME);
      } catch (err) {
        // Right after a switch a monitor may not have fresh INFO from any replica yet.
        if (err instanceof RespError && err.message.startsWith('NOGOODSLAVE')) return err.message;
        throw err;
      }
    },
    (v) => v === 'OK',
    { what: `${leader.monitor.label} to accept SENTINEL FAILOVER`, timeoutMs: 20_000, intervalMs: 100 },
  );
  return expectOneFailover(c, { t0, old, leader, previousEpoch });
}

/** Runs steps in order; once one fails the later ones are skipped. Failures carry the cluster dump. */
function stepper(t: TestContext, c: MonitorCluster) {
  let broken = false;
  return (name: string, fn: () => Promise<void>): Promise<void> =>
    t.test(name, async (st) => {
      if (broken) return st.skip('an earlier step failed');
      try {
        await c.withDump(fn);
      } catch (err) {
        broken = true;
        throw err;
      }
    });
}

/**
 * Makes `leader` the first, and the only one to start a failover: quorum 1 on it; a longer
 * down-after and an unreachable quorum on the others, which vote for it once they see the
 * primary down themselves.
 */
async function steerElection(c: MonitorCluster, leader: Watched): Promise<void> {
  assert.equal(await leader.monitor.command('SENTINEL', 'SET', NAME, 'quorum', '1'), 'OK');
  for (const w of c.watched.filter((x) => x !== leader)) {
    // A quorum above the number of monitors: they never reach ODOWN, so never start a failover
    // of their own; they vote once they see the primary down.
    assert.equal(
      await w.monitor.command(
        'SENTINEL',
        'SET',
        NAME,
        'down-after-milliseconds',
        SLOW_DOWN_AFTER_MS,
        'quorum',
        c.watched.length + 1,
      ),
      'OK',
    );
  }
}

/**
 * Kills the primary (SIGKILL) with a sentinel-aware client writing, and checks that exactly one
 * failover follows, led by `leader`, that every monitor converges, that the others never reached
 * ODOWN themselves, and that the client carries on writing on the new primary.
 */
async function killPrimary(
  t: TestContext,
  c: MonitorCluster,
  leader: Watched,
  previousEpoch: number,
): Promise<{ primary: RedisServer; epoch: number }> {
  const writer = new ContinuousWriter({
    client: () => c.client(),
    commandTimeoutMs: 1000,
    maxDurationMs: 60_000,
  });
  writer.start();
  await writer.waitForAcks(50, 15_000);
  const { primary: old } = await c.waitForAgreement();
  const t0 = nowMs();
  await old.kill9();
  const killedAt = nowMs();
  const r = await expectOneFailover(c, { t0, old, leader, previousEpoch });
  for (const w of c.watched.filter((x) => x !== leader)) {
    assert.deepEqual(c.events(w, '+odown', t0), [], `${w.monitor.label}: no +odown`);
  }
  const sentAfter = (): number =>
    writer.records.filter((x) => x.ackAt !== undefined && x.sentAt > killedAt).length;
  await waitForValue(sentAfter, (n) => n >= 50, {
    what: '50 writes sent after the kill to be acknowledged',
    timeoutMs: 15_000,
  });
  const report = await writer.stop();
  const lost = (await writer.verify(r.primary)).lost;
  t.diagnostic(
    `kill -9 led by ${leader.monitor.label}: writer ${report.acknowledged} acknowledged, longest gap ` +
      `${Math.round(report.longestGapMs)} ms, ${lost} acknowledged before the kill missing on the new primary`,
  );
  assert.deepEqual(
    (await missingAckedSince(writer, killedAt, r.primary)).slice(0, 10),
    [],
    'writes acknowledged after the kill are on the new primary',
  );
  return r;
}

for (const mix of MIXES) {
  test(
    `mixed quorum, ${mix.title}: failovers led by Vigil and by redis-sentinel; every monitor converges`,
    { timeout: 150_000 },
    async (t) => {
      const c = await MonitorCluster.start({
        kinds: mix.kinds,
        quorum: 2,
        downAfterMs: DOWN_AFTER_MS,
        failoverTimeoutMs: FAILOVER_TIMEOUT_MS,
        name: NAME,
      });
      const step = stepper(t, c);
      const firstOf = (kind: SentinelKind): Watched => c.watched.find((w) => w.monitor.kind === kind)!;
      const killLeader = firstOf(mix.killLeader);
      let epoch = 0;

      await step('every monitor knows the replicas and both peers; CKQUORUM replies agree', async () => {
        const ids = await Promise.all(
          c.monitors.map(async (m) => String(await m.command('SENTINEL', 'MYID'))),
        );
        for (const [i, m] of c.monitors.entries()) {
          const peers = (await m.sentinels(NAME)).map((s) => s['runid']).sort();
          assert.deepEqual(peers, ids.filter((_, j) => j !== i).sort(), `${m.label}: SENTINEL SENTINELS`);
          assert.equal(
            await m.command('SENTINEL', 'CKQUORUM', NAME),
            'OK 3 usable Sentinels. Quorum and failover authorization can be reached',
            `${m.label}: CKQUORUM`,
          );
        }
        const { primary, epoch: e } = await c.waitForAgreement();
        assert.equal(primary, c.group.primary);
        assert.equal(e, 0);
      });

      await step(
        `kill -9 of the primary, election won by ${kindName(mix.killLeader)}: one failover, a client follows`,
        async () => {
          await steerElection(c, killLeader);
          epoch = (await killPrimary(t, c, killLeader, epoch)).epoch;
        },
      );

      // The old primary of this one stays a primary until a monitor turns it into a replica:
      // Sentinel waits 8 s before doing so.
      let sinceRedisLed = 0;
      await step('SENTINEL FAILOVER led by redis-sentinel: every monitor converges', async () => {
        sinceRedisLed = nowMs();
        epoch = (await forcedFailover(c, firstOf('redis'), epoch)).epoch;
      });

      // The only replica fit for promotion is the old primary of the last failover, turned back
      // into a replica a moment ago by one of the monitors. When that was a Vigil and there is
      // another one, the other one leads.
      await step('SENTINEL FAILOVER led by Vigil: every monitor converges', async () => {
        const converter = c
          .all('+convert-to-slave', sinceRedisLed)
          .sort((a, b) => a.event.at - b.event.at)[0]?.label;
        const leader = c.watched.find((w) => w.monitor.kind === 'vigil' && w.monitor.label !== converter);
        t.diagnostic(`${mix.title}: old primary turned into a replica by ${converter ?? 'nobody'}`);
        epoch = (await forcedFailover(c, leader ?? firstOf('vigil'), epoch)).epoch;
      });

      // The only replica left is the old primary of the last failover, just turned back into a
      // replica (and fully synced) by the Vigil that led it.
      await step(
        `kill -9 right after that, election won by ${kindName(mix.killLeader)}: the replica just demoted is promoted`,
        async () => {
          epoch = (await killPrimary(t, c, killLeader, epoch)).epoch;
        },
      );
    },
  );
}

for (const next of ['redis', 'vigil'] as const) {
  test(
    `the Vigil that led a failover does not undo the next one, led by ${next === 'vigil' ? 'another Vigil' : 'redis-sentinel'} and promoting the old primary`,
    { timeout: 60_000 },
    async () => {
      // The second replica has replica-priority 0, so the second failover can only promote the
      // old primary, which the first leader has just turned into a replica.
      const c = await MonitorCluster.start({
        kinds: ['vigil', next, 'redis'],
        quorum: 2,
        downAfterMs: DOWN_AFTER_MS,
        failoverTimeoutMs: FAILOVER_TIMEOUT_MS,
        name: NAME,
        beforeMonitors: async (g) => {
          await g.replicas[1]!.cli('CONFIG', 'SET', 'replica-priority', '0');
        },
      });
      await c.withDump(async () => {
        const [first, second] = c.watched as [Watched, Watched, Watched];
        const oldPrimary = c.group.primary;
        const r1 = await forcedFailover(c, first, 0);
        assert.equal(r1.primary, c.group.replicas[0]);
        const r2 = await forcedFailover(c, second, r1.epoch);
        assert.equal(r2.primary, oldPrimary);
      });
    },
  );
}

test(
  'kill -9 soon after a failover led by redis-sentinel: the old primary, turned back into a replica by a Vigil, is promoted by redis-sentinel and that Vigil leaves it alone',
  { timeout: 90_000 },
  async (t) => {
    // The second replica has replica-priority 0: after the first failover the only replica fit
    // for promotion is the old primary, once a monitor has turned it into a replica.
    const c = await MonitorCluster.start({
      kinds: ['vigil', 'vigil', 'redis'],
      quorum: 2,
      downAfterMs: DOWN_AFTER_MS,
      failoverTimeoutMs: FAILOVER_TIMEOUT_MS,
      name: NAME,
      beforeMonitors: async (g) => {
        await g.replicas[1]!.cli('CONFIG', 'SET', 'replica-priority', '0');
      },
    });
    await c.withDump(async () => {
      const redis = c.watched[2]!;
      const oldPrimary = c.group.primary;
      const since = nowMs();
      const r1 = await forcedFailover(c, redis, 0);
      assert.equal(r1.primary, c.group.replicas[0]);
      const converter = c
        .all('+convert-to-slave', since)
        .filter((x) => parseInstanceDetails(x.event.payload)?.port === oldPrimary.port)
        .sort((a, b) => a.event.at - b.event.at)[0]?.label;
      t.diagnostic(`old primary turned into a replica by ${converter ?? 'nobody'}`);
      if (converter === undefined || !converter.startsWith('vigil')) {
        t.skip(`the old primary was turned into a replica by ${converter ?? 'nobody'}, not by a Vigil`);
        return;
      }
      await steerElection(c, redis);
      const r2 = await killPrimary(t, c, redis, r1.epoch);
      assert.equal(r2.primary, oldPrimary);
    });
  },
);
