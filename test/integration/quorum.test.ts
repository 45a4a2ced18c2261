/**
 * Quorum and majority with real servers and several Vigil monitors, after Redis's own Sentinel
 * tests (tests/sentinel/tests/00-base, 01-conf-update, 02-slaves-reconf, 06-ckquorum and
 * 07-down-conditions):
 *  - with 3 and with 5 monitors, `kill -9` of the primary gives exactly one failover (one elected
 *    leader, one promotion, one new config epoch), every monitor reports the same new primary and
 *    a sentinel-aware client carries on writing;
 *  - fewer reports than the quorum: no ODOWN; no majority: ODOWN but no failover; quorum = N
 *    (absolute agreement) works;
 *  - a monitor that was down during a failover learns the new configuration when it returns, and
 *    the old primary rejoins as a replica;
 *  - right after a switch the new primary is not taken for down (with down-after 1000 ms, equal to
 *    the ping period, a monitor that only reconnects to it a ping period later would be).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import {
  ContinuousWriter,
  nowMs,
  parseInstanceDetails,
  registerCleanupHooks,
  RespError,
  waitFor,
  type RedisServer,
  type SentinelEvent,
} from '../harness/index.js';
import { missingAckedSince, MonitorCluster, type Watched } from '../harness/monitors.js';

registerCleanupHooks();

const NAME = 'mymaster';
const DOWN_AFTER_MS = 1000;
const FAILOVER_TIMEOUT_MS = 3000;

function startCluster(opts: {
  monitors: number;
  quorum: number;
  replicas?: number;
}): Promise<MonitorCluster> {
  return MonitorCluster.start({
    kinds: Array.from({ length: opts.monitors }, () => 'vigil' as const),
    quorum: opts.quorum,
    downAfterMs: DOWN_AFTER_MS,
    failoverTimeoutMs: FAILOVER_TIMEOUT_MS,
    replicas: opts.replicas,
    name: NAME,
  });
}

/**
 * Kills the primary with SIGKILL and checks that exactly one failover follows (one +elected-leader,
 * one +promoted-slave, one +switch-master per running monitor, one new config epoch: the one the
 * leader was elected in), that every running monitor names the new primary with that epoch and the
 * nodes agree, and that `writer` (if any) carries on writing on the new primary.
 */
async function killPrimaryExpectOneFailover(
  c: MonitorCluster,
  opts: { writer?: ContinuousWriter; previousEpoch: number; expectQuorum?: string },
): Promise<{ primary: RedisServer; epoch: number; tries: number; lost: number | undefined }> {
  const live = c.live();
  const old = await c.waitForAgreement();
  const t0 = nowMs();
  await old.primary.kill9();
  const killedAt = nowMs();
  await c.waitForEveryone('+switch-master', t0, {
    predicate: (e) => e.payload.startsWith(`${NAME} 127.0.0.1 ${old.primary.port} `),
  });
  const now = await c.waitForAgreement({ notPort: old.primary.port });
  // Let a second, unwanted failover show itself if there is one.
  await delay(DOWN_AFTER_MS + 500);

  const elected = c.all('+elected-leader', t0);
  const promoted = c.all('+promoted-slave', t0);
  assert.equal(
    elected.length,
    1,
    `exactly one +elected-leader: ${elected.map((x) => `${x.label}: ${x.event.payload}`).join('; ')}`,
  );
  assert.equal(promoted.length, 1, 'exactly one +promoted-slave');
  assert.equal(promoted[0]!.label, elected[0]!.label, 'the elected leader promoted the replica');
  assert.equal(parseInstanceDetails(promoted[0]!.event.payload)?.port, now.primary.port);
  for (const w of live) {
    const sw = c.events(w, '+switch-master', t0);
    assert.equal(sw.length, 1, `${w.monitor.label}: exactly one +switch-master`);
    assert.equal(sw[0]!.payload, `${NAME} 127.0.0.1 ${old.primary.port} 127.0.0.1 ${now.primary.port}`);
    // Sentinel's ODOWN needs the quorum of reports; the payload says how many there were.
    if (opts.expectQuorum !== undefined) {
      for (const od of c.events(w, '+odown', t0))
        assert.match(od.payload, new RegExp(`#quorum ${opts.expectQuorum}`));
    }
  }
  // One new config epoch: the leader's failover epoch, the one it voted for itself in.
  const leader = c.watched.find((w) => w.monitor.label === elected[0]!.label)!;
  const myid = String(await leader.monitor.command('SENTINEL', 'MYID'));
  const selfVote = c
    .events(leader, '+vote-for-leader', t0)
    .filter((e) => e.payload.startsWith(`${myid} `))
    .at(-1);
  assert.ok(selfVote, `${leader.monitor.label} voted for itself`);
  assert.equal(now.epoch, Number(selfVote.payload.split(' ')[1]), 'config epoch = the leader epoch');
  assert.ok(now.epoch > opts.previousEpoch, `new epoch ${now.epoch} > previous ${opts.previousEpoch}`);
  const tries = c.all('+try-failover', t0).length;

  let lost: number | undefined;
  if (opts.writer !== undefined) {
    const writer = opts.writer;
    const ackedAfterKill = (): number =>
      writer.records.filter((r) => r.ackAt !== undefined && r.sentAt > killedAt).length;
    await waitFor(() => ackedAfterKill() >= 50, {
      what: `50 writes sent after the kill to be acknowledged (have ${ackedAfterKill()})`,
      timeoutMs: 15_000,
    });
    const missing = await missingAckedSince(writer, killedAt, now.primary);
    assert.deepEqual(missing.slice(0, 10), [], 'writes acknowledged after the kill are on the new primary');
    // Writes acknowledged by the old primary just before the kill may not have reached any replica
    // (asynchronous replication): reported, not asserted.
    lost = (await writer.verify(now.primary)).lost;
  }
  return { ...now, tries, lost };
}

test(
  '3 Vigil monitors, quorum 2: kill -9 of the primary gives exactly one failover; the old primary and a crashed monitor rejoin',
  { timeout: 120_000 },
  async (t) => {
    const c = await startCluster({ monitors: 3, quorum: 2 });
    const writer = new ContinuousWriter({
      client: () => c.client(),
      commandTimeoutMs: 1000,
      maxDurationMs: 110_000,
    });
    writer.start();
    await writer.waitForAcks(50, 15_000);
    const oldPrimary = c.group.primary;
    let epoch = 0;
    let broken = false;
    /** Steps run in order; once one fails the later ones are skipped. */
    const step = (name: string, fn: () => Promise<void>): Promise<void> =>
      t.test(name, async (st) => {
        if (broken) return st.skip('an earlier step failed');
        try {
          await c.withDump(fn);
        } catch (err) {
          broken = true;
          throw err;
        }
      });

    await step('exactly one failover, every monitor names the new primary, the client follows', async () => {
      const r = await killPrimaryExpectOneFailover(c, { writer, previousEpoch: 0, expectQuorum: '[23]/2' });
      epoch = r.epoch;
      const report = writer.report();
      t.diagnostic(
        `epoch ${r.epoch} after ${r.tries} +try-failover; writer: ${report.acknowledged} acknowledged, ` +
          `${report.failed} failed, longest gap ${Math.round(report.longestGapMs)} ms, ` +
          `${r.lost} acknowledged before the kill missing on the new primary`,
      );
    });

    await step('the old primary, restarted empty, is turned into a replica of the new one', async () => {
      const t0 = nowMs();
      await oldPrimary.restart();
      const { primary } = await c.waitForAgreement();
      assert.notEqual(primary, oldPrimary);
      const converted = c.all('+convert-to-slave', t0);
      assert.ok(
        converted.some((x) => parseInstanceDetails(x.event.payload)?.port === oldPrimary.port),
        '+convert-to-slave for the old primary',
      );
      // Every monitor lists the old primary among the healthy replicas of the new one.
      for (const m of c.monitors) {
        await waitFor(
          async () =>
            (await m.replicas(NAME)).some(
              (r) => Number(r['port']) === oldPrimary.port && r['flags'] === 'slave',
            ),
          { what: `${m.label} to list ${oldPrimary.addr} as a healthy replica`, timeoutMs: 15_000 },
        );
      }
    });

    await step(
      'with one monitor crashed the other two fail over; the crashed one is updated on restart',
      async () => {
        const crashed = c.watched[2]!;
        await crashed.monitor.kill9();
        const r = await killPrimaryExpectOneFailover(c, { writer, previousEpoch: epoch });
        t.diagnostic(
          `epoch ${r.epoch} after ${r.tries} +try-failover, ${r.lost} acknowledged writes missing on the new primary`,
        );
        const t0 = nowMs();
        await crashed.monitor.start();
        await c.subscribe(crashed);
        const back = await c.waitForAgreement();
        assert.equal(back.primary, r.primary);
        assert.equal(back.epoch, r.epoch);
        // It learned the new primary from its peers' hello messages, not by a failover of its own.
        assert.equal(c.all('+elected-leader', t0).length, 0);
      },
    );
    await writer.stop();
  },
);

test(
  '5 Vigil monitors, quorum 3: kill -9 of the primary gives exactly one failover; all five agree; the client follows',
  { timeout: 90_000 },
  async (t) => {
    const c = await startCluster({ monitors: 5, quorum: 3 });
    await c.withDump(async () => {
      const writer = new ContinuousWriter({
        client: () => c.client(),
        commandTimeoutMs: 1000,
        maxDurationMs: 80_000,
      });
      writer.start();
      await writer.waitForAcks(50, 15_000);
      const r = await killPrimaryExpectOneFailover(c, { writer, previousEpoch: 0, expectQuorum: '[345]/3' });
      const report = writer.report();
      t.diagnostic(
        `epoch ${r.epoch} after ${r.tries} +try-failover; writer: ${report.acknowledged} acknowledged, ` +
          `longest gap ${Math.round(report.longestGapMs)} ms, ${r.lost} acknowledged before the kill missing on the new primary`,
      );
      await writer.stop();
    });
  },
);

test(
  'fewer reports than the quorum: no ODOWN, no failover (3 monitors, quorum 3, one crashed)',
  { timeout: 60_000 },
  async () => {
    const c = await startCluster({ monitors: 3, quorum: 3 });
    await c.withDump(async () => {
      for (const m of c.monitors) {
        assert.equal(
          await m.command('SENTINEL', 'CKQUORUM', NAME),
          'OK 3 usable Sentinels. Quorum and failover authorization can be reached',
        );
      }
      const [a, b, crashed] = c.watched as [Watched, Watched, Watched];
      await crashed.monitor.kill9();
      // 06-ckquorum: once the crashed monitor is seen down, the quorum of 3 cannot be reached.
      for (const m of [a.monitor, b.monitor]) {
        await waitFor(
          async () => {
            try {
              await m.command('SENTINEL', 'CKQUORUM', NAME);
              return false;
            } catch (err) {
              if (!(err instanceof RespError)) throw err;
              assert.equal(
                err.message,
                'NOQUORUM 2 usable Sentinels. Not enough available Sentinels to reach the specified quorum for this master',
              );
              return true;
            }
          },
          { what: `${m.label} CKQUORUM to report NOQUORUM`, timeoutMs: 10_000 },
        );
      }
      const primaryPort = c.group.primary.port;
      const t0 = nowMs();
      await c.group.primary.kill9();
      await Promise.all(
        [a, b].map((w) =>
          w.recorders[0]!.waitForEvent('+sdown', (e) => e.at >= t0 && e.payload.startsWith('master '), 5000),
        ),
      );
      // Three times down-after, and then some: two reports never make an ODOWN with quorum 3.
      await delay(3 * DOWN_AFTER_MS + 1500);
      for (const ch of ['+odown', '+try-failover', '+elected-leader', '+switch-master']) {
        assert.deepEqual(c.all(ch, t0), [], `no ${ch}`);
      }
      for (const m of [a.monitor, b.monitor]) {
        assert.deepEqual(await m.masterAddr(NAME), { host: '127.0.0.1', port: primaryPort });
        const flags = (await m.master(NAME))['flags'] ?? '';
        assert.match(flags, /s_down/);
        assert.doesNotMatch(flags, /o_down/);
      }
    });
  },
);

test(
  'absolute agreement (quorum = N = 3): kill -9 of the primary fails over',
  { timeout: 60_000 },
  async () => {
    const c = await startCluster({ monitors: 3, quorum: 3 });
    await c.withDump(async () => {
      await killPrimaryExpectOneFailover(c, { previousEpoch: 0, expectQuorum: '3/3' });
    });
  },
);

test(
  'no majority: with 3 of 5 monitors crashed, ODOWN (quorum 2) but no failover; a hung primary is SDOWN too',
  { timeout: 90_000 },
  async () => {
    const c = await startCluster({ monitors: 5, quorum: 2 });
    await c.withDump(async () => {
      const survivors = c.watched.slice(0, 2);
      const crashed = c.watched.slice(2);
      for (const w of crashed) await w.monitor.kill9();
      for (const w of survivors) {
        await waitFor(
          async () =>
            (await w.monitor.sentinels(NAME)).filter((s) => /s_down/.test(s['flags'] ?? '')).length === 3,
          { what: `${w.monitor.label} to see the 3 crashed monitors down`, timeoutMs: 10_000 },
        );
        await assert.rejects(
          w.monitor.command('SENTINEL', 'CKQUORUM', NAME),
          (err: unknown) =>
            err instanceof RespError &&
            err.message ===
              'NOQUORUM 2 usable Sentinels. Not enough available Sentinels to reach the majority and authorize a failover',
        );
      }
      const primary = c.group.primary;

      // 07-down-conditions: SDOWN is triggered by a non-responding but connected (SIGSTOPped) primary.
      let t0 = nowMs();
      await primary.pause();
      for (const w of survivors) {
        await w.recorders[0]!.waitForEvent(
          '+sdown',
          (e) => e.at >= t0 && e.payload.startsWith('master '),
          5000,
        );
        await w.recorders[0]!.waitForEvent('+odown', (e) => e.at >= t0, 5000);
      }
      await primary.resume();
      for (const w of survivors) {
        await w.recorders[0]!.waitForEvent(
          '-sdown',
          (e) => e.at >= t0 && e.payload.startsWith('master '),
          5000,
        );
        await w.recorders[0]!.waitForEvent('-odown', (e) => e.at >= t0, 5000);
      }

      // 00-base: failover is not possible without majority agreement.
      t0 = nowMs();
      await primary.kill9();
      for (const w of survivors) {
        const od = await w.recorders[0]!.waitForEvent('+odown', (e) => e.at >= t0, 5000);
        assert.match(od.payload, / #quorum 2\/2$/);
      }
      // An attempt is made and given up for want of votes (election timeout = failover-timeout here).
      const abort = await Promise.race(
        survivors.map((w) =>
          w.recorders[0]!.waitForEvent('-failover-abort-not-elected', (e) => e.at >= t0, 20_000),
        ),
      );
      assert.ok(abort);
      for (const ch of ['+elected-leader', '+selected-slave', '+promoted-slave', '+switch-master']) {
        assert.deepEqual(c.all(ch, 0), [], `no ${ch}`);
      }
      for (const w of survivors) {
        assert.deepEqual(await w.monitor.masterAddr(NAME), { host: '127.0.0.1', port: primary.port });
        assert.equal((await w.monitor.master(NAME))['config-epoch'], '0');
      }
      // Nothing was promoted behind the monitors' back.
      assert.equal((await c.group.masters()).length, 0);

      // The majority comes back: now the failover happens, exactly once. A restarted monitor may
      // win an election first and find no replica it may promote (Sentinel's rule: a replica link
      // down for longer than 10 x down-after plus the time it has itself seen the primary down);
      // such an election ends in -failover-abort-no-good-slave, never in a second promotion.
      t0 = nowMs();
      for (const w of crashed) {
        await w.monitor.start();
        await c.subscribe(w);
      }
      const { primary: next } = await c.waitForAgreement({
        notPort: primary.port,
        timeoutMs: 40_000,
      });
      assert.notEqual(next, primary);
      const promoted = c.all('+promoted-slave', t0);
      assert.equal(promoted.length, 1, 'exactly one +promoted-slave');
      const elected = c.all('+elected-leader', t0);
      const gaveUp = c.all('-failover-abort-no-good-slave', t0);
      assert.equal(
        elected.length,
        gaveUp.length + 1,
        'every other elected leader found no replica to promote',
      );
      for (const w of c.watched) assert.equal(c.events(w, '+switch-master', t0).length, 1);
    });
  },
);

test(
  'three kill -9 failovers in a row: the healthy new primary is never declared down after the switch, nor failed over again',
  { timeout: 90_000 },
  async () => {
    const c = await startCluster({ monitors: 3, quorum: 2, replicas: 3 });
    await c.withDump(async () => {
      const findings: string[] = [];
      for (let round = 1; round <= 3; round++) {
        const { primary: old } = await c.waitForAgreement();
        const t0 = nowMs();
        await old.kill9();
        const fromOld = (e: SentinelEvent): boolean => e.payload.startsWith(`${NAME} 127.0.0.1 ${old.port} `);
        await waitFor(() => c.watched.every((w) => c.events(w, '+switch-master', t0).some(fromOld)), {
          what: `every monitor to switch away from ${old.addr}`,
          timeoutMs: 20_000,
        });
        await delay(3000);
        for (const w of c.watched) {
          const sw = c.events(w, '+switch-master', t0).find(fromOld)!;
          const to = sw.payload.split(' ')[4];
          for (const e of c
            .events(w, '+sdown', sw.at)
            .filter((x) => x.payload === `master ${NAME} 127.0.0.1 ${to}`)) {
            findings.push(
              `round ${round}: ${w.monitor.label} +sdown of the new primary ${to} ${Math.round(e.at - sw.at)} ms after its +switch-master`,
            );
          }
        }
        const elected = c.all('+elected-leader', t0);
        if (elected.length !== 1) {
          findings.push(
            `round ${round}: ${elected.length} +elected-leader after one kill: ` +
              elected.map((x) => `${x.label} ${x.event.payload}`).join('; '),
          );
        }
      }
      assert.deepEqual(findings, []);
    });
  },
);
